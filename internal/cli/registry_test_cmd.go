package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sleuth-ci/sleuth/internal/cred"
	"github.com/sleuth-ci/sleuth/internal/redact"
	"github.com/sleuth-ci/sleuth/internal/registry"
)

func init() { registrySubcommands = append(registrySubcommands, newRegistryTestCmd) }

type registryTestOptions struct {
	*global
	repo     string
	push     bool
	json     bool
	insecure bool
	timeout  time.Duration
	now      func() time.Time
}

func newRegistryTestCmd(g *global) *cobra.Command {
	o := &registryTestOptions{global: g, now: time.Now}
	cmd := &cobra.Command{
		Use:   "test HOST",
		Short: "Run the registry's authentication handshake step by step and say what is wrong",
		Long: `Find the credential Docker-compatible tools would use for HOST (the same chain as
'sleuth creds'), then run the OCI distribution handshake with it and show every step:
GET /v2/, the WWW-Authenticate challenge, the token request and what the token grants
(its access claim and expiry, decoded, never printed), then, with --repo, a pull request
(the tags list, or a manifest HEAD for NAME:TAG) and, with --push, the start of a blob
upload that is cancelled at once (nothing is written).

The verdict names the failure and the fix: ok, no-credentials, invalid-credentials,
expired, insufficient-scope, denied, not-found, rate-limited, tls-error, dns-error,
connection-refused, timeout, not-a-registry, plain-http-refused, server-error.

HOST is a host, host:port or URL; loopback hosts without a scheme use http. Credentials
are never sent over plain HTTP except to loopback, never forwarded to another host on a
redirect, and never printed.

Exit codes: 0 the verdict is ok, 1 any other verdict, 2 usage error.`,
		Example: `  sleuth registry test ghcr.io --repo myorg/app
  sleuth registry test docker.io --repo library/alpine:3.20
  sleuth registry test 123456789012.dkr.ecr.eu-west-1.amazonaws.com --repo team/api --push
  sleuth registry test localhost:5000 --json | jq -r .verdict.code`,
		Args: exactArgs(1, "HOST"),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context(), args[0]) },
	}
	cmd.Flags().StringVar(&o.repo, "repo", "", "repository `NAME[:TAG]` to test pull (and push) rights on")
	cmd.Flags().BoolVar(&o.push, "push", false, "also test push rights (starts and cancels a blob upload)")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON (schema sleuth.registry-test.v1)")
	cmd.Flags().BoolVar(&o.insecure, "insecure", false, "skip TLS certificate verification (the output says so)")
	cmd.Flags().DurationVar(&o.timeout, "timeout", registry.DefaultTimeouts.Total, "give up after this `duration`")
	return cmd
}

type credInfoJSON struct {
	Source      string         `json:"source"`
	ConfigPath  string         `json:"config_path,omitempty"`
	Description string         `json:"description"`
	Problems    []cred.Problem `json:"problems,omitempty"`
}

type registryTestJSON struct {
	Schema     string       `json:"schema"`
	Credential credInfoJSON `json:"credential"`
	*registry.Result
}

func (o *registryTestOptions) run(ctx context.Context, host string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.timeout <= 0 {
		return usageErr("--timeout must be positive")
	}
	t, err := registry.ParseTarget(host)
	if err != nil {
		return usageErr("%v", err)
	}
	if o.push && o.repo == "" {
		return usageErr("--push needs --repo: push rights are per repository")
	}
	res, err := cred.Resolve(ctx, t.CredHost, o.credEnv())
	if err != nil {
		return usageErr("%v", err)
	}
	var c *registry.Credential
	var secrets []string
	if rc := res.Credential; rc != nil {
		c = &registry.Credential{Username: rc.Username, Password: rc.Secret, IdentityToken: rc.IdentityToken, RegistryToken: rc.RegistryToken}
		secrets = []string{rc.Secret, rc.IdentityToken, rc.RegistryToken}
	}
	source := res.Source
	if res.ConfigPath != "" && !strings.Contains(source, res.ConfigPath) {
		source += " (" + res.ConfigPath + ")"
	}
	r, err := registry.Test(ctx, registry.TestOptions{
		Target: host, Repo: o.repo, Push: o.push, Credential: c, CredentialSource: source, Now: o.now,
		UserAgent: "sleuth/" + Version,
		Client:    registry.ClientOptions{Insecure: o.insecure, Timeouts: registry.Timeouts{Total: o.timeout}},
	})
	if err != nil {
		return usageErr("%v", err)
	}
	info := credInfoJSON{Source: redact.String(res.Source), ConfigPath: res.ConfigPath, Description: "none (anonymous)", Problems: res.Problems}
	if res.Credential != nil {
		info.Description = redact.String(res.Credential.Describe())
	}
	var buf bytes.Buffer
	if o.json {
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(registryTestJSON{Schema: "sleuth.registry-test.v1", Credential: info, Result: r}); err != nil {
			return err
		}
	} else {
		renderRegistryTest(&buf, r, info, o.now())
	}
	if _, err := io.WriteString(o.env.Stdout, scrubSecrets(buf.String(), secrets...)); err != nil {
		return err
	}
	if !r.Verdict.OK {
		return &exitError{code: 1}
	}
	return nil
}

// scrubSecrets removes known secret values from s: the last guard before output.
func scrubSecrets(s string, secrets ...string) string {
	for _, v := range secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "[REDACTED]")
		}
	}
	return s
}

func verdictTitle(code string) string {
	return strings.ToUpper(strings.ReplaceAll(code, "-", " "))
}

func renderRegistryTest(w io.Writer, r *registry.Result, c credInfoJSON, now time.Time) {
	fmt.Fprintf(w, "Registry:    %s\n", r.Registry)
	fmt.Fprintf(w, "Credential:  %s — %s\n", c.Source, c.Description)
	for _, p := range c.Problems {
		fmt.Fprintf(w, "             note: %s\n", p.Message)
	}
	if r.Repo != "" {
		what := "pull"
		if r.Push {
			what = "pull, push"
		}
		name := r.Repo
		if r.Reference != "" {
			name += ":" + r.Reference
		}
		fmt.Fprintf(w, "Repository:  %s (%s)\n", name, what)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", wn)
	}
	fmt.Fprintln(w)
	for _, s := range r.Steps {
		fmt.Fprintf(w, "%d. %s %s %s\n", s.N, strings.ToUpper(s.Name), s.Method, s.URL)
		fmt.Fprintf(w, "   auth:      %s\n", s.Auth)
		if s.Error != "" {
			fmt.Fprintf(w, "   error:     %s\n", s.Error)
		}
		if s.Status != 0 {
			fmt.Fprintf(w, "   status:    %d %s\n", s.Status, http.StatusText(s.Status))
		}
		for _, ch := range s.Challenges {
			fmt.Fprintf(w, "   challenge: %s\n", challengeText(ch))
		}
		if s.ParseError != "" {
			fmt.Fprintf(w, "   (malformed WWW-Authenticate: %s)\n", s.ParseError)
		}
		for _, k := range []string{"RateLimit-Limit", "RateLimit-Remaining", "Retry-After", "X-RateLimit-Remaining"} {
			if v := s.Headers[k]; v != "" {
				fmt.Fprintf(w, "   %s: %s\n", k, v)
			}
		}
		for _, e := range s.Errors {
			fmt.Fprintf(w, "   error:     %s: %s\n", e.Code, e.Message)
		}
		if s.Body != "" {
			fmt.Fprintf(w, "   body:      %s\n", s.Body)
		}
		if g := s.Grant; g != nil {
			renderGrant(w, g, now)
		}
		for _, n := range s.Notes {
			fmt.Fprintf(w, "   note:      %s\n", n)
		}
	}
	v := r.Verdict
	fmt.Fprintf(w, "\nVerdict: %s — %s\n", verdictTitle(v.Code), v.Reason)
	if len(v.Fix) > 0 {
		fmt.Fprintln(w, "Fix:")
		for _, f := range v.Fix {
			fmt.Fprintf(w, "  - %s\n", f)
		}
	}
}

func challengeText(ch registry.ChallengeView) string {
	keys := make([]string, 0, len(ch.Params))
	for k := range ch.Params {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i] == "realm" || keys[j] == "realm" {
			return keys[i] == "realm"
		}
		return keys[i] < keys[j]
	})
	parts := []string{ch.Scheme}
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%q", k, ch.Params[k]))
	}
	return strings.Join(parts, " ")
}

func renderGrant(w io.Writer, g *registry.Grant, now time.Time) {
	if len(g.Requested) > 0 {
		fmt.Fprintf(w, "   requested: %s\n", strings.Join(g.Requested, " "))
	}
	if g.Opaque {
		fmt.Fprintf(w, "   token:     opaque (not a JWT), expires_in %ds\n", g.ExpiresIn)
		return
	}
	t := g.Token
	if t == nil {
		return
	}
	desc := "JWT " + t.Algorithm
	if t.Issuer != "" {
		desc += ", iss " + t.Issuer
	}
	if t.Subject != "" {
		desc += ", sub " + t.Subject
	}
	if len(t.Audience) > 0 {
		desc += ", aud " + strings.Join(t.Audience, ",")
	}
	fmt.Fprintf(w, "   token:     %s (not shown)\n", desc)
	fmt.Fprintf(w, "   validity:  %s\n", registry.ExpiresIn(t.Expires, now))
	if t.HasAccess {
		var acc []string
		for _, a := range t.Access {
			acc = append(acc, a.String())
		}
		if len(acc) == 0 {
			acc = []string{"nothing (empty access claim)"}
		}
		fmt.Fprintf(w, "   granted:   %s\n", strings.Join(acc, " "))
	}
	if g.RefreshToken {
		fmt.Fprintf(w, "   note:      a refresh token was returned (not shown)\n")
	}
}
