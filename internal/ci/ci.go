// Package ci fetches the logs of CI jobs from the providers' APIs, given the URL of a job or
// a run as a user copies it from the browser: GitHub Actions (and GitHub Enterprise),
// GitLab (gitlab.com and self-managed), CircleCI and Buildkite.
//
// Tokens come from the environment variables each provider's own tools use, are sent only
// to the API origin they belong to (never to the storage hosts the APIs redirect to, never
// over plain http except to loopback) and never appear in an error: an error names the
// variable, not the value.
//
// The API base URLs can be overridden, for tests and for GitHub Enterprise or GitLab behind
// another address: SLEUTH_GITHUB_API_URL, SLEUTH_GITLAB_API_URL, SLEUTH_CIRCLECI_API_URL,
// SLEUTH_BUILDKITE_API_URL.
package ci

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sleuth-ci/sleuth/internal/netguard"
)

// Provider names a CI service.
type Provider string

// The providers sleuth reads logs from.
const (
	GitHub    Provider = "github"
	GitLab    Provider = "gitlab"
	CircleCI  Provider = "circleci"
	Buildkite Provider = "buildkite"
)

// Options configure a Client.
type Options struct {
	// Getenv reads tokens and the SLEUTH_*_API_URL overrides; nil reads nothing.
	Getenv func(string) string
	// AllJobs fetches every job of a run, not only the failed ones.
	AllJobs bool
	// HTTP is the client to use; nil means NewHTTPClient(DefaultTimeouts).
	HTTP *http.Client
	// Now is the clock for rate-limit reset times; nil means time.Now.
	Now func() time.Time
	// TempDir holds downloaded run log archives until Close; "" means os.TempDir().
	TempDir string
}

// Client fetches CI logs.
type Client struct {
	http    *http.Client
	getenv  func(string) string
	allJobs bool
	now     func() time.Time
	tempDir string

	mu    sync.Mutex
	temps []*os.File             // run log archives, removed by Close
	zips  map[string]*zip.Reader // run log archives by URL
}

// New returns a Client.
func New(o Options) *Client {
	c := &Client{http: o.HTTP, getenv: o.Getenv, allJobs: o.AllJobs, now: o.Now, tempDir: o.TempDir}
	if c.http == nil {
		c.http = NewHTTPClient(DefaultTimeouts)
	}
	if c.getenv == nil {
		c.getenv = func(string) string { return "" }
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Close removes the temporary files the client made.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, f := range c.temps {
		f.Close()
		if err := os.Remove(f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	c.temps = nil
	return errors.Join(errs...)
}

// Log is the log of one job, ready to be opened.
type Log struct {
	// Name is what to show the user: the job's URL without scheme, credentials or query,
	// and the job's name, e.g. "github.com/acme/app/actions/runs/1/job/2 (build / test)".
	Name string
	open func(ctx context.Context) (io.ReadCloser, int64, error)
}

// Open starts reading the log. The size is in bytes, -1 when unknown; the stream is
// capped at 1 GiB.
func (l *Log) Open(ctx context.Context) (io.ReadCloser, int64, error) {
	rc, n, err := l.open(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", l.Name, err)
	}
	return rc, n, nil
}

// IsURL reports whether arg is meant as a URL (http or https) rather than a file name.
func IsURL(arg string) bool {
	l := strings.ToLower(arg)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}

// Logs resolves a job or run URL to the logs to analyze: one for a job URL; for a run URL,
// those of its failed jobs (all of them with Options.AllJobs).
func (c *Client) Logs(ctx context.Context, raw string) ([]*Log, error) {
	t, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	var logs []*Log
	switch t.Provider {
	case GitHub:
		logs, err = c.githubLogs(ctx, t)
	case GitLab:
		logs, err = c.gitlabLogs(ctx, t)
	case CircleCI:
		logs, err = c.circleLogs(ctx, t)
	case Buildkite:
		logs, err = c.buildkiteLogs(ctx, t)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.Display, err)
	}
	return logs, nil
}

// Target is what a CI URL points at.
type Target struct {
	Provider Provider
	// Scheme and Host are those of the web URL (Host with its port, if any).
	Scheme, Host string
	// Project: OWNER/REPO (GitHub), GROUP/SUBGROUP/PROJECT (GitLab), VCS/ORG/REPO
	// (CircleCI, VCS "gh" or "bb"), ORG/PIPELINE (Buildkite).
	Project string
	// Run is the GitHub run id or the Buildkite build number; "" for providers without.
	Run string
	// Attempt is the GitHub run attempt, 0 for the latest.
	Attempt int
	// Job is the job id (GitHub, GitLab), number (CircleCI) or UUID (Buildkite); "" for a
	// whole run.
	Job string
	// Display is the URL without scheme, credentials, query or trailing slash, as shown to
	// the user; a Buildkite job keeps its "#UUID".
	Display string
}

// Parse recognizes a CI job or run URL. Errors say what was wrong and which forms are
// accepted.
func Parse(raw string) (*Target, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%q is not an http(s) URL of a CI job", stripSecrets(raw))
	}
	host := strings.ToLower(u.Host)
	parts := splitPath(u.EscapedPath())
	for i, p := range parts {
		if s, err := url.PathUnescape(p); err == nil {
			parts[i] = s
		}
	}
	t := &Target{Scheme: u.Scheme, Host: host}
	display := host + "/" + strings.Join(parts, "/")
	switch {
	case host == "buildkite.com" || host == "www.buildkite.com":
		err = t.parseBuildkite(parts, u)
	case host == "app.circleci.com" || host == "circleci.com" || host == "www.circleci.com":
		err = t.parseCircleCI(host, parts)
	case indexOf(parts, "-") >= 1:
		err = t.parseGitLab(parts)
	default:
		err = t.parseGitHub(parts)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", display, err)
	}
	t.Display = display
	if t.Provider == Buildkite && t.Job != "" {
		t.Display += "#" + t.Job
	}
	return t, nil
}

func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func indexOf(parts []string, s string) int {
	for i, p := range parts {
		if p == s {
			return i
		}
	}
	return -1
}

func isDigits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// stripSecrets removes credentials and the query from a URL-ish string for messages.
func stripSecrets(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		u.User = nil
		u.RawQuery = ""
		u.Fragment = ""
		return u.String()
	}
	if len(raw) > 100 {
		raw = raw[:100] + "…"
	}
	return raw
}

// apiBase returns the override in variable env, or def. An override must be an http(s) URL.
func (c *Client) apiBase(env, def string) (string, bool, error) {
	v := strings.TrimSpace(c.getenv(env))
	if v == "" {
		return strings.TrimSuffix(def, "/"), false, nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false, fmt.Errorf("%s=%q is not an http(s) URL", env, stripSecrets(v))
	}
	return strings.TrimSuffix(v, "/"), true, nil
}

// firstEnv returns the first set variable of names and its value.
func (c *Client) firstEnv(names ...string) (string, string) {
	for _, n := range names {
		if v := strings.TrimSpace(c.getenv(n)); v != "" {
			return n, v
		}
	}
	return "", ""
}

func mustOrigin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return netguard.Origin(u)
}

// access says, for error messages, which token was used and what one needs.
type access struct {
	provider string   // "GitHub"
	vars     []string // the variables sleuth reads for this host, in order
	used     string   // the variable whose token was sent, "" if none
	note     string   // why a set variable was not used, if so
	needs    string   // what the token needs, e.g. "the actions:read permission"
	gone     string   // how long the provider keeps logs, for a 410
}

func (a access) sent() string {
	if a.used != "" {
		return a.used + " was sent"
	}
	s := "no token was sent (" + strings.Join(a.vars, ", ") + " not set)"
	if a.note != "" {
		s = "no token was sent (" + a.note + ")"
	}
	return s
}

func (a access) setHint() string {
	return "set " + strings.Join(a.vars, " or ") + " to a token with " + a.needs
}

// explain turns an API error into one line that says what happened and what to do. what
// names the thing asked for ("job 2", "the jobs of run 1"). limited reports a rate limit
// and when it resets.
func (c *Client) explain(err error, what string, a access, limited func(*HTTPError) (bool, time.Time)) error {
	var he *HTTPError
	if !errors.As(err, &he) {
		return err
	}
	if limited != nil {
		if ok, reset := limited(he); ok {
			return fmt.Errorf("%s: %s API rate limit exceeded%s; %s", he, a.provider, c.resetText(reset), a.rateHint())
		}
	}
	switch he.Status {
	case http.StatusUnauthorized:
		if a.used != "" {
			return fmt.Errorf("%s: %s was sent and refused (wrong, revoked or expired token); %s", he, a.used, a.setHint())
		}
		return fmt.Errorf("%s: %s; %s", he, a.sent(), a.setHint())
	case http.StatusForbidden:
		if a.used != "" {
			return fmt.Errorf("%s: %s was sent and lacks access to %s; it needs %s", he, a.used, what, a.needs)
		}
		return fmt.Errorf("%s: %s; %s", he, a.sent(), a.setHint())
	case http.StatusNotFound:
		if a.used != "" {
			return fmt.Errorf("%s: %s not found, or %s cannot see it (it needs %s)", he, what, a.used, a.needs)
		}
		return fmt.Errorf("%s: %s not found, or it is private and %s; %s", he, what, a.sent(), a.setHint())
	case http.StatusGone:
		if a.gone != "" {
			return fmt.Errorf("%s: the log of %s has expired or was deleted; %s", he, what, a.gone)
		}
		return fmt.Errorf("%s: the log of %s has expired or was deleted", he, what)
	case http.StatusTooManyRequests:
		return fmt.Errorf("%s: %s API rate limit exceeded%s; %s", he, a.provider, c.resetText(time.Time{}), a.rateHint())
	}
	if he.Status >= 500 {
		return fmt.Errorf("%s: the %s API failed; try again later", he, a.provider)
	}
	return he
}

func (a access) rateHint() string {
	if a.used != "" {
		return "wait, or use another token than " + a.used
	}
	return "wait, or set " + strings.Join(a.vars, " or ") + " for a higher limit"
}

func (c *Client) resetText(reset time.Time) string {
	if reset.IsZero() {
		return ""
	}
	return fmt.Sprintf("; it resets at %s (in %s)", reset.UTC().Format(time.RFC3339), approx(reset.Sub(c.now())))
}

// approx prints a wait as people say it: "42s", "12m", "2h5m".
func approx(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d <= 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Round(time.Minute)/time.Minute))
	}
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	if m == 0 {
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}
