package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/sleuth-ci/sleuth/internal/cred"
	"github.com/sleuth-ci/sleuth/internal/redact"
	"github.com/sleuth-ci/sleuth/internal/registry"
)

type pullOptions struct {
	*global
	dir      string
	docker   bool
	quiet    bool
	platform string
	insecure bool
	timeout  time.Duration
}

func newPullCmd(g *global) *cobra.Command {
	o := &pullOptions{global: g}
	cmd := &cobra.Command{
		Use:   "pull REF",
		Short: "Pull an image or OCI artifact with the Docker credential chain: end-to-end proof",
		Long: `Pull REF (HOST/NAME[:TAG|@DIGEST]) with the credential Docker-compatible tools would use
for its registry (the chain 'sleuth creds' shows), into an OCI image layout directory, or
with --docker straight into 'docker load'. Any OCI artifact can be pulled into a layout; a
multi-platform index is kept whole unless --platform picks one image.

Progress is shown on stderr when it is a terminal; --quiet prints nothing but errors.
When the pull fails on authentication, run 'sleuth registry test' for the step-by-step why.

The docker CLI used by --docker is $SLEUTH_DOCKER if set (for example podman), else docker.

Exit codes: 0 pulled, 1 the pull failed, 2 usage error.`,
		Example: `  sleuth pull ghcr.io/myorg/app:v1.2.3
  sleuth pull -o ./layout --platform linux/arm64 docker.io/library/alpine:3.20
  sleuth pull --docker --quiet registry.example.com:5000/team/api:latest
  SLEUTH_DOCKER=podman sleuth pull --docker ghcr.io/myorg/app:v1`,
		Args: exactArgs(1, "REF"),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context(), args[0]) },
	}
	cmd.Flags().StringVarP(&o.dir, "output", "o", "oci-layout", "OCI layout `DIR` to write (created if missing; existing layouts are appended to)")
	cmd.Flags().BoolVar(&o.docker, "docker", false, "load the image into Docker (docker load) instead of writing a layout")
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "print nothing but errors")
	cmd.Flags().StringVar(&o.platform, "platform", "", "pick one image of a multi-platform index: `os/arch[/variant]`")
	cmd.Flags().BoolVar(&o.insecure, "insecure", false, "skip TLS certificate verification")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 30*time.Minute, "give up after this `duration`")
	return cmd
}

func (o *pullOptions) dockerBin() string {
	if b := o.env.Getenv("SLEUTH_DOCKER"); b != "" {
		return b
	}
	return "docker"
}

func (o *pullOptions) run(ctx context.Context, ref string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.docker && o.dir != "oci-layout" && o.dir != "" {
		return usageErr("-o and --docker exclude each other: --docker loads into Docker, -o writes a layout")
	}
	if o.timeout <= 0 {
		return usageErr("--timeout must be positive")
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	fail := func(err error) error {
		return &exitError{code: 1, err: errors.New(redact.String(err.Error()))}
	}
	var dockerPath string
	if o.docker {
		var err error
		if dockerPath, err = o.checkDocker(ctx); err != nil {
			return fail(err)
		}
	}
	kc := &registry.Keychain{Ctx: ctx, Env: o.credEnv()}
	prog := o.progress(ref)
	p, _, ropts, err := registry.Fetch(ctx, registry.PullOptions{
		Ref: ref, Platform: o.platform, Keychain: kc, Progress: prog.update,
		Client: registry.ClientOptions{Insecure: o.insecure, Timeouts: registry.Timeouts{Total: o.timeout}},
	})
	if err != nil {
		prog.done()
		if strings.Contains(err.Error(), "not an image reference") || strings.Contains(err.Error(), "--platform") {
			return usageErr("%s", redact.String(err.Error()))
		}
		return fail(err)
	}
	if o.docker {
		out, err := o.dockerLoad(ctx, dockerPath, func(w io.Writer) error { return p.WriteDockerTarball(w, ropts) })
		prog.done()
		if err != nil {
			return fail(err)
		}
		if !o.quiet {
			fmt.Fprint(o.env.Stdout, redact.String(out))
		}
	} else {
		err := p.WriteLayout(o.dir)
		prog.done()
		if err != nil {
			return fail(err)
		}
	}
	if !o.quiet {
		o.summary(p, kc.Resolutions())
	}
	return nil
}

func (o *pullOptions) summary(p *registry.Pulled, res []*cred.Resolution) {
	w := o.env.Stdout
	what := fmt.Sprintf("%d layers, %s", p.Layers, humanBytes(p.Size))
	if strings.Contains(p.MediaType, "index") || strings.Contains(p.MediaType, "manifest.list") {
		what = fmt.Sprintf("index of %d manifests", p.Layers)
	}
	if p.Platform != "" {
		what = p.Platform + ", " + what
	}
	dest := "into Docker"
	if p.Dir != "" {
		dest = "into OCI layout " + p.Dir
	}
	fmt.Fprintf(w, "Pulled %s\n  digest:     %s (%s)\n  written:    %s\n", redact.String(p.Ref), p.Digest, what, dest)
	seen := map[string]bool{}
	for _, r := range res {
		if seen[r.Host] {
			continue
		}
		seen[r.Host] = true
		desc := "anonymous"
		if r.Credential != nil {
			desc = r.Source + " — " + r.Credential.Describe()
		}
		fmt.Fprintf(w, "  credential: %s for %s\n", redact.String(desc), r.Host)
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// checkDocker finds the docker CLI and makes sure its daemon answers, before any download.
func (o *pullOptions) checkDocker(ctx context.Context) (string, error) {
	bin := o.dockerBin()
	path, err := exec.LookPath(bin)
	if err != nil {
		return "", fmt.Errorf("--docker needs the %s CLI, and it is not on PATH: install Docker (or set SLEUTH_DOCKER=podman), or drop --docker to write an OCI layout", bin)
	}
	vctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(vctx, path, "version", "--format", "{{.Server.Version}}")
	cmd.Stderr = &stderr
	if out, err := cmd.Output(); err != nil || strings.TrimSpace(string(out)) == "" {
		why := strings.TrimSpace(firstLineOf(stderr.String()))
		if why == "" && err != nil {
			why = err.Error()
		}
		return "", fmt.Errorf("the Docker daemon is not reachable (%s version: %s): start Docker or set DOCKER_HOST, or drop --docker to write an OCI layout", bin, why)
	}
	return path, nil
}

func firstLineOf(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// dockerLoad pipes the tarball that write produces into `docker load`.
func (o *pullOptions) dockerLoad(ctx context.Context, path string, write func(io.Writer) error) (string, error) {
	args := []string{"load"}
	if o.quiet {
		args = append(args, "--quiet")
	}
	cmd := exec.CommandContext(ctx, path, args...)
	pr, pw := io.Pipe()
	cmd.Stdin = pr
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s load: %v", o.dockerBin(), err)
	}
	var werr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		werr = write(pw)
		pw.CloseWithError(werr)
	}()
	err := cmd.Wait()
	pr.CloseWithError(errors.New("docker load exited"))
	wg.Wait()
	if werr != nil {
		return "", werr
	}
	if err != nil {
		return "", fmt.Errorf("%s load failed: %s", o.dockerBin(), orDefault(firstLineOf(stderr.String()), err.Error()))
	}
	return stdout.String(), nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// pullProgress prints one updating line on a terminal stderr.
type pullProgress struct {
	w       io.Writer
	ref     string
	on      bool
	mu      sync.Mutex
	last    time.Time
	visible bool
}

func (o *pullOptions) progress(ref string) *pullProgress {
	return &pullProgress{w: o.env.Stderr, ref: ref, on: o.env.StderrIsTerminal && !o.quiet}
}

func (p *pullProgress) update(done, total int64) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.visible = true
	if total > 0 {
		pct := done * 100 / total
		if pct > 100 {
			pct = 100
		}
		fmt.Fprintf(p.w, "\r\x1b[Kpulling %s: %d%% (%s of %s)", redact.String(p.ref), pct, humanBytes(done), humanBytes(total))
	} else {
		fmt.Fprintf(p.w, "\r\x1b[Kpulling %s: %s", redact.String(p.ref), humanBytes(done))
	}
}

func (p *pullProgress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.visible {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.visible = false
	}
}
