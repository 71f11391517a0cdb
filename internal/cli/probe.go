package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sleuth-ci/sleuth/internal/netguard"
	"github.com/sleuth-ci/sleuth/internal/registry"
)

type probeOptions struct {
	*global
	bearerEnv string
	basicEnv  string
	headerEnv []string
	method    string
	json      bool
	insecure  bool
	allowHTTP bool
	timeout   time.Duration
	now       func() time.Time
}

func newProbeCmd(g *global) *cobra.Command {
	o := &probeOptions{global: g, now: time.Now}
	cmd := &cobra.Command{
		Use:   "probe URL",
		Short: "Send one authenticated HTTP request and say whether it is a 401 or a 403 problem",
		Long: `Send one request to URL with a credential taken from an environment variable (never
from the command line, where it would land in shell history and process lists), and show
the status, the parsed WWW-Authenticate challenge, GitHub's token headers (X-OAuth-Scopes,
X-Accepted-OAuth-Scopes, GitHub-Authentication-Token-Expiration, X-GitHub-SSO) and a
verdict in the two classes that matter:

  401 unauthenticated  no credential, or a wrong, revoked or expired one
  403 forbidden        the credential is valid but lacks a permission or scope, SSO
                       authorization, or the IP is not allowlisted

A credential is never sent over plain http to a host other than loopback unless
--allow-http, never forwarded to another host on a redirect, and never printed.

Exit codes: 0 the request succeeded (2xx/3xx), 1 any other answer or a network error,
2 usage error.`,
		Example: `  sleuth probe --bearer-env GITHUB_TOKEN https://api.github.com/user
  sleuth probe --basic-env CI_USER:CI_PASS https://artifacts.example.com/api/repositories
  sleuth probe --header-env 'PRIVATE-TOKEN: GITLAB_TOKEN' https://gitlab.example.com/api/v4/user
  sleuth probe --json --bearer-env NPM_TOKEN https://npm-registry.example/-/whoami`,
		Args: exactArgs(1, "URL"),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context(), args[0]) },
	}
	f := cmd.Flags()
	f.StringVar(&o.bearerEnv, "bearer-env", "", "send 'Authorization: Bearer $`VAR`'")
	f.StringVar(&o.basicEnv, "basic-env", "", "send Basic auth from `USER_VAR:PASS_VAR`")
	f.StringArrayVar(&o.headerEnv, "header-env", nil, "send header `'Name: VAR'` with the value of $VAR (repeatable)")
	f.StringVarP(&o.method, "method", "X", "GET", "HTTP `method` (GET or HEAD)")
	f.BoolVar(&o.json, "json", false, "print JSON (schema sleuth.probe.v1)")
	f.BoolVar(&o.insecure, "insecure", false, "skip TLS certificate verification (the output says so)")
	f.BoolVar(&o.allowHTTP, "allow-http", false, "allow sending the credential over plain http to a non-loopback host")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "give up after this `duration`")
	return cmd
}

var envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// secretFromEnv reads the variable named by flag; the error never contains the value.
func (o *probeOptions) secretFromEnv(flag, name string, warn *[]string) (string, error) {
	if !envVarName.MatchString(name) {
		return "", usageErr("%s takes the NAME of an environment variable (like GITHUB_TOKEN), not a value; put the secret in a variable", flag)
	}
	v := o.env.Getenv(name)
	if v == "" {
		return "", usageErr("environment variable %s is not set or empty (%s)", name, flag)
	}
	if t := strings.TrimRight(v, "\r\n"); t != v {
		*warn = append(*warn, fmt.Sprintf("$%s ends with a newline; it was stripped (a common cause of 401s when a secret is pasted from a file)", name))
		v = t
	}
	if strings.TrimSpace(v) != v {
		*warn = append(*warn, fmt.Sprintf("$%s has leading or trailing spaces; sent as is", name))
	}
	return v, nil
}

func (o *probeOptions) run(ctx context.Context, rawURL string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	method := strings.ToUpper(o.method)
	if method != http.MethodGet && method != http.MethodHead {
		return usageErr("--method must be GET or HEAD (a probe must not change anything)")
	}
	if o.timeout <= 0 {
		return usageErr("--timeout must be positive")
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErr("%q is not an http(s) URL", scrubURL(rawURL))
	}
	if u.User != nil {
		return usageErr("the URL carries credentials (user:password@); they leak into logs and process lists: use --basic-env USER_VAR:PASS_VAR")
	}
	if o.bearerEnv != "" && o.basicEnv != "" {
		return usageErr("--bearer-env and --basic-env both set the Authorization header: pick one")
	}
	var (
		warns   []string
		secrets []string
		descs   []string
	)
	h := http.Header{}
	if o.bearerEnv != "" {
		v, err := o.secretFromEnv("--bearer-env", o.bearerEnv, &warns)
		if err != nil {
			return err
		}
		h.Set("Authorization", "Bearer "+v)
		secrets = append(secrets, v)
		descs = append(descs, fmt.Sprintf("Bearer token from $%s (%d chars)", o.bearerEnv, len(v)))
	}
	if o.basicEnv != "" {
		uv, pv, ok := strings.Cut(o.basicEnv, ":")
		if !ok {
			return usageErr("--basic-env wants USER_VAR:PASS_VAR, two variable names")
		}
		user, err := o.secretFromEnv("--basic-env", uv, &warns)
		if err != nil {
			return err
		}
		pass, err := o.secretFromEnv("--basic-env", pv, &warns)
		if err != nil {
			return err
		}
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
		secrets = append(secrets, pass, base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
		descs = append(descs, fmt.Sprintf("Basic auth, user from $%s, password from $%s (%d chars)", uv, pv, len(pass)))
	}
	for _, spec := range o.headerEnv {
		name, vr, ok := strings.Cut(spec, ":")
		name, vr = strings.TrimSpace(name), strings.TrimSpace(vr)
		if !ok || name == "" || !validHeaderName(name) {
			return usageErr("--header-env wants 'Name: VAR' (a header name, a colon, a variable name)")
		}
		if strings.EqualFold(name, "Authorization") && h.Get("Authorization") != "" {
			return usageErr("Authorization is already set by --bearer-env/--basic-env")
		}
		v, err := o.secretFromEnv("--header-env", vr, &warns)
		if err != nil {
			return err
		}
		h.Set(name, v)
		secrets = append(secrets, v)
		descs = append(descs, fmt.Sprintf("header %s from $%s (%d chars)", http.CanonicalHeaderKey(name), vr, len(v)))
	}
	if u.Scheme == "http" && len(h) > 0 && !netguard.IsLoopback(u.Host) && !o.allowHTTP {
		return usageErr("refusing to send a credential over plain http to %s: use https (or --allow-http if you accept that anyone on the path can read it)", u.Host)
	}
	r, err := registry.Probe(ctx, registry.ProbeOptions{
		URL: rawURL, Method: method, Header: h, Credential: strings.Join(descs, "; "), Secrets: secrets, Now: o.now,
		UserAgent: "sleuth/" + Version,
		Client:    registry.ClientOptions{Insecure: o.insecure, AllowHTTP: o.allowHTTP, Timeouts: registry.Timeouts{Total: o.timeout}},
	})
	if err != nil {
		return usageErr("%v", err)
	}
	r.Warnings = append(warns, r.Warnings...)
	var buf bytes.Buffer
	if o.json {
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Schema string `json:"schema"`
			*registry.ProbeResult
		}{"sleuth.probe.v1", r}); err != nil {
			return err
		}
	} else {
		renderProbe(&buf, r)
	}
	if _, err := io.WriteString(o.env.Stdout, scrubSecrets(buf.String(), secrets...)); err != nil {
		return err
	}
	if !r.Verdict.OK {
		return &exitError{code: 1}
	}
	return nil
}

func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return s != ""
}

func scrubURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = url.User("REDACTED")
		return u.String()
	}
	return s
}

func renderProbe(w io.Writer, r *registry.ProbeResult) {
	fmt.Fprintf(w, "%s %s\n", r.Method, r.URL)
	fmt.Fprintf(w, "credential: %s\n", r.Credential)
	for _, wn := range r.Warnings {
		fmt.Fprintf(w, "warning:    %s\n", wn)
	}
	for _, rd := range r.Redirects {
		fmt.Fprintf(w, "redirect:   %s\n", rd)
	}
	if r.Status != 0 {
		fmt.Fprintf(w, "status:     %d %s\n", r.Status, http.StatusText(r.Status))
	}
	for _, ch := range r.Challenges {
		fmt.Fprintf(w, "challenge:  %s\n", challengeText(ch))
	}
	if r.ParseError != "" {
		fmt.Fprintf(w, "            (malformed WWW-Authenticate: %s)\n", r.ParseError)
	}
	if r.Message != "" {
		fmt.Fprintf(w, "message:    %s\n", r.Message)
	}
	if g := r.GitHub; g != nil {
		if g.OAuthScopes != nil {
			fmt.Fprintf(w, "github:     X-OAuth-Scopes: %s\n", orNone(*g.OAuthScopes))
		}
		if g.AcceptedScopes != nil {
			fmt.Fprintf(w, "github:     X-Accepted-OAuth-Scopes: %s\n", orNone(*g.AcceptedScopes))
		}
		if len(g.Missing) > 0 {
			fmt.Fprintf(w, "github:     missing scope: one of %s\n", strings.Join(g.Missing, ", "))
		}
		if g.Expiration != "" {
			state := "not expired"
			if g.Expired {
				state = "EXPIRED"
			}
			fmt.Fprintf(w, "github:     GitHub-Authentication-Token-Expiration: %s (%s)\n", g.Expiration, state)
		}
		if g.SSO != "" {
			fmt.Fprintf(w, "github:     X-GitHub-SSO: %s\n", g.SSO)
		}
		if g.RateRemaining != "" {
			fmt.Fprintf(w, "github:     X-RateLimit-Remaining: %s\n", g.RateRemaining)
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

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(none)"
	}
	return s
}
