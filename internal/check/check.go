// Package check runs the live verifications that playbooks declare (what `sleuth doctor`
// runs): is the suspected cause of a diagnosis really the cause, here and now?
//
// Verification is tri-state, in the style of trufflehog: a check ends verified (the suspected
// cause is confirmed), refuted (it is not the cause) or unknown (it could not tell, and says
// why: no network, a timeout, no credentials to test, offline mode). A check that could not
// even start because the log did not show what it needs is skipped, with the reason.
//
// Cheap local checks (creds, env, oidc) run before any network call (registry, probe); when a
// local check has already verified the cause of a diagnosis, its network checks are not run.
// Network calls go only to hosts the evidence names or the user allowed (--host), with
// timeouts; a token from the environment goes only to hosts it belongs to. Every string a
// Result holds has been redacted, and the values of the secrets that were read are scrubbed.
package check

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/sleuth-ci/sleuth/internal/cred"
	"github.com/sleuth-ci/sleuth/internal/redact"
	"github.com/sleuth-ci/sleuth/internal/registry"
	"github.com/sleuth-ci/sleuth/playbook"
)

// Status is how a check ended.
type Status string

// The states of a check. Verified, Refuted and Unknown are the tri-state result of a check
// that ran; Skipped means it did not run.
const (
	Verified Status = "verified" // the suspected cause is confirmed
	Refuted  Status = "refuted"  // it is not the cause
	Unknown  Status = "unknown"  // the check could not tell; Reason says why
	Skipped  Status = "skipped"  // the check did not run; Reason says why
)

// Result is the outcome of one check. Every string in it is safe to print.
type Result struct {
	Kind    string            `json:"kind"`
	Args    map[string]string `json:"args,omitempty"`
	Status  Status            `json:"status"`
	Code    string            `json:"code,omitempty"`    // what was found, machine-readable: helper-missing, insufficient-scope, missing, ...
	Summary string            `json:"summary,omitempty"` // what was found, one line
	Reason  string            `json:"reason,omitempty"`  // why unknown or skipped
	Fix     []string          `json:"fix,omitempty"`
	Details []string          `json:"details,omitempty"`
	Network bool              `json:"network"` // the check contacts a server
}

// Spec describes a check kind: the arguments it takes and whether it uses the network.
type Spec struct {
	Kind     string
	Required []string
	Optional []string
	Network  bool
	// Literal lists arguments that must not contain placeholders: they are trust anchors
	// (which hosts a token may be sent to) and must not come from a log.
	Literal []string
	Help    string
}

// Kinds are the check kinds, in the order they run.
var Kinds = []Spec{
	{Kind: "creds", Optional: []string{"host", "helper"},
		Help: "the Docker credential chain for host (or the hosts that use helper): verified when a source is broken or nothing answers"},
	{Kind: "env", Required: []string{"var"},
		Help: "a CI secret variable (alternatives separated by |): verified when missing, empty, malformed, expired or a placeholder"},
	{Kind: "oidc", Optional: []string{"audience"},
		Help: "GitHub Actions OIDC: verified when ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN are missing (no id-token: write)"},
	{Kind: "registry", Required: []string{"host"}, Optional: []string{"repo", "push"}, Network: true,
		Help: "the registry handshake with the credential Docker would use: verified when the registry refuses it"},
	{Kind: "probe", Required: []string{"url", "env"}, Optional: []string{"hosts", "header"}, Network: true, Literal: []string{"hosts", "header"},
		Help: "one authenticated GET with the token in env, sent only to hosts: verified on 401 or 403"},
}

// Lookup returns the spec of a kind.
func Lookup(kind string) (Spec, bool) {
	for _, s := range Kinds {
		if s.Kind == kind {
			return s, true
		}
	}
	return Spec{}, false
}

// Args lists every argument the kind accepts.
func (s Spec) Args() []string { return append(append([]string(nil), s.Required...), s.Optional...) }

var placeholderRe = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// Placeholders lists the capture names that s refers to as {{name}}.
func Placeholders(s string) []string {
	var out []string
	for _, m := range placeholderRe.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// Fill replaces the {{name}} placeholders of the check's arguments with the captures. An
// argument whose placeholders cannot all be filled is left out and its missing names are
// returned. A host argument the log does not name is taken from hosts (--host), the first.
func Fill(c playbook.Check, captures map[string]string, hosts []string) (map[string]string, []string) {
	args := map[string]string{}
	var missing []string
	for _, k := range sortedKeys(c.Args) {
		v := c.Args[k]
		var miss []string
		out := placeholderRe.ReplaceAllStringFunc(v, func(m string) string {
			name := placeholderRe.FindStringSubmatch(m)[1]
			if val := strings.TrimSpace(captures[name]); val != "" {
				return val
			}
			miss = append(miss, name)
			return m
		})
		if len(miss) > 0 && k == "host" && len(hosts) > 0 {
			out, miss = hosts[0], nil
		}
		if len(miss) > 0 {
			missing = append(missing, miss...)
			continue
		}
		if strings.TrimSpace(out) != "" {
			args[k] = out
		}
	}
	return args, missing
}

// Env is what the checks read and may do.
type Env struct {
	Getenv func(string) string
	// LookupEnv tells an unset variable from an empty one (nil: Getenv, then os.LookupEnv).
	LookupEnv func(string) (string, bool)
	Cred      cred.Env
	Offline   bool          // run only the local checks
	Hosts     []string      // --host: hosts the user allows network checks (and tokens) to go to
	Timeout   time.Duration // per network check; default 20s
	Client    registry.ClientOptions
	Now       func() time.Time
	UserAgent string
}

func (e Env) withDefaults() Env {
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if e.LookupEnv == nil {
		getenv := e.Getenv
		e.LookupEnv = func(k string) (string, bool) {
			if v := getenv(k); v != "" {
				return v, true
			}
			_, ok := os.LookupEnv(k)
			return "", ok
		}
	}
	if e.Cred.Getenv == nil {
		e.Cred.Getenv = e.Getenv
	}
	e.Cred = e.Cred.WithDefaults()
	if e.Timeout <= 0 {
		e.Timeout = 20 * time.Second
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.UserAgent == "" {
		e.UserAgent = "sleuth"
	}
	return e
}

// inCI reports whether the process runs in a CI job: the job's environment and files are
// then the ones the failing tool saw.
func (e Env) inCI() bool {
	for _, k := range []string{"CI", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "BUILDKITE", "JENKINS_URL", "TF_BUILD", "TRAVIS"} {
		if v := strings.ToLower(e.Getenv(k)); v != "" && v != "false" && v != "0" {
			return true
		}
	}
	return false
}

const notInCI = "this is not a CI job (CI is not set), so its environment is not the failing job's: run sleuth doctor in the job (see docs/ci.md)"

// Runner runs checks for one doctor run. It remembers results, so a check declared by
// several diagnoses with the same arguments runs once, and the secrets it read, so that
// they can be scrubbed from any output.
type Runner struct {
	env     Env
	done    map[string]Result
	secrets []string
}

// NewRunner prepares a run.
func NewRunner(env Env) *Runner {
	return &Runner{env: env.withDefaults(), done: map[string]Result{}}
}

// Planned is one declared check with its arguments filled in.
type Planned struct {
	Spec    Spec
	Args    map[string]string
	Missing []string // placeholders the log did not fill
	known   bool
	kind    string
}

// Plan fills the declared checks of one diagnosis, local kinds first.
func Plan(checks []playbook.Check, captures map[string]string, hosts []string) []Planned {
	var out []Planned
	for _, c := range checks {
		s, ok := Lookup(c.Kind)
		args, missing := Fill(c, captures, hosts)
		out = append(out, Planned{Spec: s, Args: args, Missing: missing, known: ok, kind: c.Kind})
	}
	sort.SliceStable(out, func(i, j int) bool { return !out[i].Spec.Network && out[j].Spec.Network })
	return out
}

// Run runs the declared checks of one diagnosis: local checks first; network checks only when
// no local check verified the cause, and never in offline mode.
func (r *Runner) Run(ctx context.Context, checks []playbook.Check, captures map[string]string) []Result {
	allowed := allowedHosts(captures, r.env.Hosts)
	var out []Result
	localVerified := ""
	for _, p := range Plan(checks, captures, r.env.Hosts) {
		res := Result{Kind: p.kind, Args: p.Args, Network: p.Spec.Network}
		switch {
		case !p.known:
			res.Status, res.Reason = Skipped, fmt.Sprintf("unknown check kind %q (this sleuth knows %s)", p.kind, strings.Join(kindNames(), ", "))
		case len(p.Missing) > 0:
			res.Status, res.Reason = Skipped, missingReason(p)
		case !hasRequired(p):
			res.Status, res.Reason = Skipped, fmt.Sprintf("the check needs %s", strings.Join(p.Spec.Required, " and "))
		case p.Spec.Network && localVerified != "":
			res.Status, res.Reason = Skipped, fmt.Sprintf("not needed: the local %s check already verified the cause", localVerified)
		case p.Spec.Network && r.env.Offline:
			res.Status, res.Reason = Unknown, "offline mode (--offline): network checks are not run"
		default:
			key := cacheKey(p.kind, p.Args)
			if prev, ok := r.done[key]; ok {
				res = prev
				break
			}
			res = r.run(ctx, p, allowed)
			r.done[key] = res
		}
		res = r.clean(res)
		if res.Status == Verified && !p.Spec.Network && localVerified == "" {
			localVerified = p.kind
		}
		out = append(out, res)
	}
	return out
}

func (r *Runner) run(ctx context.Context, p Planned, allowed map[string]bool) Result {
	res := Result{Kind: p.kind, Args: p.Args, Network: p.Spec.Network}
	if err := ctx.Err(); err != nil {
		res.Status, res.Reason = Unknown, "interrupted: "+err.Error()
		return res
	}
	switch p.kind {
	case "creds":
		r.creds(ctx, p.Args, &res)
	case "env":
		r.envVar(p.Args, &res)
	case "oidc":
		r.oidc(p.Args, &res)
	case "registry":
		r.registry(ctx, p.Args, allowed, &res)
	case "probe":
		r.probe(ctx, p.Args, allowed, &res)
	}
	return res
}

func missingReason(p Planned) string {
	names := make([]string, 0, len(p.Missing))
	seen := map[string]bool{}
	for _, m := range p.Missing {
		if !seen[m] {
			seen[m] = true
			names = append(names, "{{"+m+"}}")
		}
	}
	reason := fmt.Sprintf("the log does not show %s, which the check needs", strings.Join(names, ", "))
	if _, ok := p.Args["host"]; !ok && contains(p.Spec.Args(), "host") {
		reason += "; name the host with --host"
	}
	return reason
}

func hasRequired(p Planned) bool {
	for _, k := range p.Spec.Required {
		if strings.TrimSpace(p.Args[k]) == "" {
			return false
		}
	}
	return true
}

func kindNames() []string {
	var out []string
	for _, s := range Kinds {
		out = append(out, s.Kind)
	}
	return out
}

func cacheKey(kind string, args map[string]string) string {
	var b strings.Builder
	b.WriteString(kind)
	for _, k := range sortedKeys(args) {
		b.WriteString("\x00" + k + "=" + args[k])
	}
	return b.String()
}

// clean redacts every string of the result and removes the secrets the runner read.
func (r *Runner) clean(res Result) Result {
	s := func(v string) string { return r.Scrub(redact.String(v)) }
	if res.Args != nil {
		a := make(map[string]string, len(res.Args))
		for k, v := range res.Args {
			a[k] = s(v)
		}
		res.Args = a
	}
	res.Summary, res.Reason = s(res.Summary), s(res.Reason)
	for i := range res.Fix {
		res.Fix[i] = s(res.Fix[i])
	}
	for i := range res.Details {
		res.Details[i] = s(res.Details[i])
	}
	return res
}

// Scrub removes the values of every secret the checks read from s: the last guard before
// output, behind redaction.
func (r *Runner) Scrub(s string) string {
	for _, v := range r.secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "[REDACTED]")
		}
	}
	return s
}

func (r *Runner) remember(vs ...string) {
	for _, v := range vs {
		if v = strings.TrimSpace(v); len(v) >= 4 {
			r.secrets = append(r.secrets, v)
		}
	}
}

// allowedHosts are the hosts network checks may contact: those the captures name, and --host.
func allowedHosts(captures map[string]string, hosts []string) map[string]bool {
	out := map[string]bool{}
	for _, v := range captures {
		if h := hostOf(v); h != "" {
			out[h] = true
		}
	}
	for _, h := range hosts {
		if h := hostOf(h); h != "" {
			out[h] = true
		}
	}
	return out
}

// hostOf returns the lower-case host[:port] a value names: a URL's host, or the first path
// element of host/path. Docker Hub's names are one host.
func hostOf(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	if strings.Contains(v, "://") {
		u, err := url.Parse(v)
		if err != nil {
			return ""
		}
		v = u.Host
	} else if i := strings.IndexByte(v, '/'); i >= 0 {
		v = v[:i]
	}
	v = strings.ToLower(strings.TrimSuffix(v, "."))
	if v == "" || strings.ContainsAny(v, " \t\"'\\@") {
		return ""
	}
	switch v {
	case "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return "docker.io"
	}
	return v
}

// hostMatches reports whether host matches a pattern: a host, host:port, or *.domain.
func hostMatches(host, pattern string) bool {
	pattern = strings.ToLower(strings.TrimSpace(pattern))
	if pattern == "" {
		return false
	}
	if hostOf(pattern) == host {
		return true
	}
	bare := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		bare = h
	}
	if strings.HasPrefix(pattern, "*.") {
		return strings.HasSuffix(bare, pattern[1:])
	}
	return pattern == bare
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// alternatives splits "A|B" into its variable names.
func alternatives(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(p), "$")); p != "" {
			out = append(out, p)
		}
	}
	return out
}
