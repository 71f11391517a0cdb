package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// PullOptions configure a pull.
type PullOptions struct {
	Ref      string
	Platform string // os/arch[/variant]; empty: the whole index into a layout, linux/GOARCH for Docker
	Keychain authn.Keychain
	Client   ClientOptions
	// Progress is called with the bytes of blobs received so far and the expected total
	// (0 when unknown).
	Progress func(done, total int64)
}

// Pulled describes what was pulled.
type Pulled struct {
	Ref       string `json:"ref"`
	Digest    string `json:"digest"`
	MediaType string `json:"media_type"`
	Platform  string `json:"platform,omitempty"`
	Layers    int    `json:"layers"`
	Size      int64  `json:"size"`
	Dir       string `json:"dir,omitempty"`
	index     v1.ImageIndex
	image     v1.Image
	ref       name.Reference
}

// PullError is a pull failure with a hint of what to run next.
type PullError struct {
	Err  error
	Hint string
}

func (e *PullError) Error() string {
	if e.Hint == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + "\n  " + e.Hint
}

func (e *PullError) Unwrap() error { return e.Err }

// countingTransport counts blob bytes as they are read.
type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
	fn   func(int64)
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(r)
	if err == nil && strings.Contains(r.URL.Path, "/blobs/sha256:") && r.Method == http.MethodGet {
		res.Body = &countingBody{ReadCloser: res.Body, n: t.n, fn: t.fn}
	}
	return res, err
}

type countingBody struct {
	io.ReadCloser
	n  *atomic.Int64
	fn func(int64)
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && b.fn != nil {
		b.fn(b.n.Add(int64(n)))
	}
	return n, err
}

// Fetch resolves the reference and its manifest (no blobs yet).
func Fetch(ctx context.Context, o PullOptions) (*Pulled, func(int64), []remote.Option, error) {
	ref, err := name.ParseReference(o.Ref)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%q is not an image reference (want HOST/NAME[:TAG|@DIGEST]): %v", o.Ref, err)
	}
	var total atomic.Int64
	var count atomic.Int64
	progress := func(done int64) {
		if o.Progress != nil {
			o.Progress(done, total.Load())
		}
	}
	tr := countingTransport{next: NewTransport(o.Client), n: &count, fn: progress}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(o.Keychain), remote.WithTransport(tr), remote.WithUserAgent("sleuth"),
		// 429 is a verdict, not something to wait out with retries.
		remote.WithRetryStatusCodes(http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout)}
	if o.Platform != "" {
		p, err := v1.ParsePlatform(o.Platform)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("--platform %q: %v (want os/arch[/variant], e.g. linux/amd64)", o.Platform, err)
		}
		opts = append(opts, remote.WithPlatform(*p))
	}
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, nil, nil, explainPullError(err, ref)
	}
	p := &Pulled{Ref: ref.Name(), Digest: desc.Digest.String(), MediaType: string(desc.MediaType), ref: ref}
	if desc.MediaType.IsIndex() && o.Platform == "" {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, nil, nil, explainPullError(err, ref)
		}
		p.index = idx
		m, err := idx.IndexManifest()
		if err != nil {
			return nil, nil, nil, explainPullError(err, ref)
		}
		p.Layers = len(m.Manifests)
	} else {
		img, err := desc.Image()
		if err != nil {
			return nil, nil, nil, explainPullError(err, ref)
		}
		p.image = img
		if d, err := img.Digest(); err == nil {
			p.Digest = d.String()
		}
		m, err := img.Manifest()
		if err != nil {
			return nil, nil, nil, explainPullError(err, ref)
		}
		p.MediaType = string(m.MediaType)
		if p.MediaType == "" {
			p.MediaType = string(types.OCIManifestSchema1)
		}
		p.Layers = len(m.Layers)
		p.Size = m.Config.Size
		for _, l := range m.Layers {
			p.Size += l.Size
		}
		total.Store(p.Size)
		if cf, err := img.ConfigFile(); err == nil && cf.OS != "" {
			p.Platform = cf.OS + "/" + cf.Architecture
			if cf.Variant != "" {
				p.Platform += "/" + cf.Variant
			}
		}
	}
	return p, progress, opts, nil
}

// WriteLayout appends what was fetched to the OCI layout in dir (created when missing),
// annotated with its reference name.
func (p *Pulled) WriteLayout(dir string) error {
	lp, err := openLayout(dir)
	if err != nil {
		return err
	}
	ann := layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": p.ref.Name(),
	})
	if p.index != nil {
		err = lp.AppendIndex(p.index, ann)
	} else {
		err = lp.AppendImage(p.image, ann)
	}
	if err != nil {
		return explainPullError(err, p.ref)
	}
	p.Dir = dir
	return nil
}

func openLayout(dir string) (layout.Path, error) {
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err == nil {
		lp, err := layout.FromPath(dir)
		if err != nil {
			return "", fmt.Errorf("%s is not a valid OCI layout: %v", dir, err)
		}
		return lp, nil
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return "", fmt.Errorf("%s exists, is not empty and is not an OCI layout: choose another directory with -o", dir)
	}
	return layout.Write(dir, empty.Index)
}

// WriteDockerTarball writes a docker-load tarball of the image (an index is resolved to the
// platform, linux/GOARCH by default).
func (p *Pulled) WriteDockerTarball(w io.Writer, opts []remote.Option) error {
	img := p.image
	if img == nil {
		plat := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
		desc, err := remote.Get(p.ref, append(opts, remote.WithPlatform(plat))...)
		if err != nil {
			return explainPullError(err, p.ref)
		}
		if img, err = desc.Image(); err != nil {
			return explainPullError(err, p.ref)
		}
	}
	tag, ok := p.ref.(name.Tag)
	if !ok {
		// docker load needs a tag to name the image; a digest reference gets its repository:digest-prefix.
		t, err := name.NewTag(p.ref.Context().Name() + ":" + "sha256-" + strings.TrimPrefix(p.Digest, "sha256:")[:12])
		if err != nil {
			return err
		}
		tag = t
	}
	if err := tarball.Write(tag, img, w); err != nil {
		return explainPullError(err, p.ref)
	}
	return nil
}

// explainPullError turns registry errors into one line plus what to run next.
func explainPullError(err error, ref name.Reference) error {
	var te *transport.Error
	host := ref.Context().RegistryStr()
	testCmd := fmt.Sprintf("sleuth registry test %s --repo %s", host, ref.Context().RepositoryStr())
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized:
			return &PullError{Err: fmt.Errorf("pull %s: authentication failed (401): %v", ref, err), Hint: "see why, step by step: " + testCmd}
		case http.StatusForbidden:
			return &PullError{Err: fmt.Errorf("pull %s: access denied (403): %v", ref, err), Hint: "see why, step by step: " + testCmd}
		case http.StatusNotFound:
			return &PullError{Err: fmt.Errorf("pull %s: not found: %v", ref, err), Hint: "check the name and tag; list the tags: " + testCmd}
		case http.StatusTooManyRequests:
			return &PullError{Err: fmt.Errorf("pull %s: rate limited: %v", ref, err), Hint: "authenticate for a higher limit, or wait"}
		}
	}
	var plain *PlainHTTPError
	if errors.As(err, &plain) {
		return &PullError{Err: fmt.Errorf("pull %s: %v", ref, plain)}
	}
	if code, reason := NetProblem(err, host); code != VerdictNetwork {
		return &PullError{Err: fmt.Errorf("pull %s: %s", ref, reason), Hint: strings.Join(fixes(code, host, &Result{})[:1], "")}
	}
	return &PullError{Err: fmt.Errorf("pull %s: %v", ref, err)}
}
