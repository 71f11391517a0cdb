package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sleuth-ci/sleuth/internal/netguard"
	"github.com/sleuth-ci/sleuth/internal/redact"
)

// Probe verdict codes, besides the network ones shared with Test.
const (
	ProbeOK              = "ok"
	ProbeUnauthenticated = "unauthenticated" // 401: no, invalid or expired credentials
	ProbeForbidden       = "forbidden"       // 403: authenticated, lacking permission, scope or allowlisting
	ProbeRateLimited     = "rate-limited"
	ProbeNotFound        = "not-found"
	ProbeHTTPError       = "http-error"
)

// ProbeOptions configure one probe.
type ProbeOptions struct {
	URL        string
	Method     string
	Header     http.Header // the credential headers (never printed)
	Credential string      // what was sent, for the output ("Bearer token from $GITHUB_TOKEN")
	Secrets    []string    // values that must never appear in the output
	Client     ClientOptions
	Now        func() time.Time
	UserAgent  string
}

// GitHubHeaders are GitHub's headers about the token.
type GitHubHeaders struct {
	OAuthScopes    *string  `json:"oauth_scopes,omitempty"`    // X-OAuth-Scopes: what the token has
	AcceptedScopes *string  `json:"accepted_scopes,omitempty"` // X-Accepted-OAuth-Scopes: what the endpoint accepts
	Missing        []string `json:"missing_scopes,omitempty"`
	Expiration     string   `json:"token_expiration,omitempty"` // GitHub-Authentication-Token-Expiration
	Expired        bool     `json:"token_expired,omitempty"`
	SSO            string   `json:"sso,omitempty"` // X-GitHub-SSO
	RateRemaining  string   `json:"ratelimit_remaining,omitempty"`
	RateReset      string   `json:"ratelimit_reset,omitempty"`
	RequestID      string   `json:"request_id,omitempty"`
}

// ProbeResult is what the probe saw. Every string in it has been redacted.
type ProbeResult struct {
	URL        string          `json:"url"`
	Method     string          `json:"method"`
	Credential string          `json:"credential"`
	Insecure   bool            `json:"insecure"`
	Status     int             `json:"status,omitempty"`
	Challenges []ChallengeView `json:"challenges,omitempty"`
	ParseError string          `json:"challenge_parse_error,omitempty"`
	Message    string          `json:"message,omitempty"`
	GitHub     *GitHubHeaders  `json:"github,omitempty"`
	Redirects  []string        `json:"redirects,omitempty"`
	Warnings   []string        `json:"warnings,omitempty"`
	Verdict    Verdict         `json:"verdict"`
	dropped    bool
}

// Probe sends one request with the given credential headers and classifies the answer.
func Probe(ctx context.Context, o ProbeOptions) (*ProbeResult, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", redact.String(o.URL))
	}
	if u.User != nil {
		return nil, fmt.Errorf("the URL carries credentials (user:password@): they would leak into logs; use --basic-env instead")
	}
	if o.Method == "" {
		o.Method = http.MethodGet
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	sent := hasCredential(o.Header)
	if u.Scheme == "http" && sent && !o.Client.AllowHTTP && !netguard.IsLoopback(u.Host) {
		return nil, (&PlainHTTPError{Host: u.Host})
	}
	r := &ProbeResult{URL: o.URL, Method: o.Method, Credential: o.Credential, Insecure: o.Client.Insecure}
	if r.Credential == "" {
		r.Credential = "none"
	}
	if o.Client.Insecure {
		r.Warnings = append(r.Warnings, "TLS certificate verification is OFF (--insecure)")
	}
	if u.Scheme == "http" && sent && !netguard.IsLoopback(u.Host) {
		r.Warnings = append(r.Warnings, "the credential was sent over plain HTTP (--allow-http): anyone on the path can read it")
	}
	copts := o.Client
	copts.OnRedirect = func(from, to *url.URL, dropped bool) {
		s := to.Scheme + "://" + to.Host + to.Path
		if dropped {
			s += " (credential not forwarded: another origin)"
			sent = false
			r.dropped = true
		}
		r.Redirects = append(r.Redirects, s)
	}
	client := NewClient(copts)
	ctx, cancel := context.WithTimeout(ctx, copts.timeouts().Total)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, o.Method, u.String(), nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range o.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	ua := o.UserAgent
	if ua == "" {
		ua = "sleuth"
	}
	req.Header.Set("User-Agent", ua)
	res, err := client.Do(req)
	if err != nil {
		code, reason := NetProblem(err, u.Host)
		r.Verdict = Verdict{Code: code, Reason: reason, Fix: fixes(code, u.Host, &Result{})}
		sanitizeProbe(r, o.Secrets)
		return r, nil
	}
	defer res.Body.Close()
	body, _ := readCapped(res.Body, maxErrorBody)
	r.Status = res.StatusCode
	if vals := res.Header.Values("WWW-Authenticate"); len(vals) > 0 {
		cs, perr := ParseChallenges(vals...)
		if perr != nil {
			r.ParseError = perr.Error()
		}
		for _, c := range cs {
			v := ChallengeView{Scheme: c.Scheme, Params: c.Params}
			if len(v.Params) == 0 {
				v.Params = nil
			}
			r.Challenges = append(r.Challenges, v)
		}
	}
	r.Message = bodyMessage(res.Header, body)
	r.GitHub = githubHeaders(res.Header, now())
	classifyProbe(r, res, sent, u.Host)
	sanitizeProbe(r, o.Secrets)
	return r, nil
}

// bodyMessage picks the human message of an error body: GitHub's {"message"}, a registry's
// {"errors":[…]}, OAuth's {"error_description"}, or the first line of plain text.
func bodyMessage(h http.Header, b []byte) string {
	var j struct {
		Message     string `json:"message"`
		Error       any    `json:"error"`
		Description string `json:"error_description"`
		Errors      []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(b, &j) == nil {
		var parts []string
		if j.Message != "" {
			parts = append(parts, j.Message)
		}
		if s, ok := j.Error.(string); ok && s != "" {
			parts = append(parts, s)
		}
		if j.Description != "" {
			parts = append(parts, j.Description)
		}
		for _, e := range j.Errors {
			parts = append(parts, strings.ToLower(e.Code)+": "+e.Message)
		}
		return firstLine(strings.Join(parts, "; "))
	}
	if isHTML(h) || len(b) == 0 {
		return ""
	}
	return firstLine(strings.TrimSpace(string(b)))
}

func githubHeaders(h http.Header, now time.Time) *GitHubHeaders {
	g := &GitHubHeaders{}
	any := false
	if vs, ok := h["X-Oauth-Scopes"]; ok {
		v := strings.Join(vs, ",")
		g.OAuthScopes, any = &v, true
	}
	if vs, ok := h["X-Accepted-Oauth-Scopes"]; ok {
		v := strings.Join(vs, ",")
		g.AcceptedScopes, any = &v, true
	}
	if g.OAuthScopes != nil && g.AcceptedScopes != nil {
		have := map[string]bool{}
		for _, s := range splitList(*g.OAuthScopes) {
			have[s] = true
		}
		accepted := splitList(*g.AcceptedScopes)
		ok := len(accepted) == 0
		for _, s := range accepted {
			// A parent scope covers its children (repo covers repo:status, write:packages covers read:packages).
			if have[s] || have[strings.SplitN(s, ":", 2)[0]] || (strings.HasPrefix(s, "read:") && have["write:"+strings.TrimPrefix(s, "read:")]) {
				ok = true
			}
		}
		if !ok {
			g.Missing = accepted
		}
	}
	if v := h.Get("GitHub-Authentication-Token-Expiration"); v != "" {
		g.Expiration, any = v, true
		for _, layout := range []string{"2006-01-02 15:04:05 MST", "2006-01-02 15:04:05 -0700", time.RFC3339} {
			if t, err := time.Parse(layout, v); err == nil {
				g.Expired = t.Before(now)
				break
			}
		}
	}
	if v := h.Get("X-GitHub-SSO"); v != "" {
		g.SSO, any = v, true
	}
	if v := h.Get("X-GitHub-Request-Id"); v != "" {
		g.RequestID, any = v, true
	}
	if any {
		g.RateRemaining = h.Get("X-RateLimit-Remaining")
		g.RateReset = h.Get("X-RateLimit-Reset")
		return g
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func classifyProbe(r *ProbeResult, res *http.Response, sent bool, host string) {
	v := &r.Verdict
	gh := r.GitHub
	msg := r.Message
	var ch Challenge
	for _, c := range r.Challenges {
		if strings.EqualFold(c.Scheme, "Bearer") {
			ch = Challenge{Scheme: c.Scheme, Params: c.Params}
		}
	}
	rateOut := res.Header.Get("X-RateLimit-Remaining") == "0" || strings.Contains(strings.ToLower(msg), "rate limit")
	switch st := res.StatusCode; {
	case st < 400:
		v.Code, v.OK = ProbeOK, true
		v.Reason = fmt.Sprintf("%d %s", st, http.StatusText(st))
		if sent {
			v.Reason += ": the credential was accepted"
		}
		if r.dropped {
			v.Reason += " from the redirect target, which did not get the credential: this answer says nothing about it"
		}
		if gh != nil && gh.Expiration != "" {
			v.Reason += "; the token expires " + gh.Expiration
		}
	case st == http.StatusTooManyRequests || (st == http.StatusForbidden && rateOut):
		v.Code = ProbeRateLimited
		v.Reason = fmt.Sprintf("%d: rate limited", st)
		if gh != nil && gh.RateReset != "" {
			if n, err := parseUnix(gh.RateReset); err == nil {
				v.Reason += "; the limit resets at " + n.UTC().Format(time.RFC3339)
			}
		}
		v.Fix = []string{"wait for the reset, or authenticate (authenticated requests get a higher limit)", "cache responses and avoid polling in CI"}
	case st == http.StatusUnauthorized:
		v.Code = ProbeUnauthenticated
		switch {
		case !sent:
			v.Reason = "401: the server wants credentials and none were sent"
			v.Fix = []string{"send one: --bearer-env VAR, --basic-env USER_VAR:PASS_VAR or --header-env 'Name: VAR'"}
		case gh != nil && gh.Expired:
			v.Reason = "401: the token expired at " + gh.Expiration
			v.Fix = []string{"create a new token and update the secret that holds it"}
		case ch.Params["error"] == "invalid_token" || isExpiredText(msg):
			v.Reason = "401: the credential is invalid or expired (" + orText(ch.Params["error_description"], msg, "error=\"invalid_token\"") + ")"
			v.Fix = []string{"get a new token; if it comes from a CI secret, check the secret was rotated everywhere"}
		default:
			v.Reason = "401: the credential was sent and refused: it is wrong, revoked or expired" + suffix(msg)
			v.Fix = []string{
				"check the variable holds the current token (no trailing newline, not a placeholder, the right one for this host)",
				"check the auth scheme: some APIs want 'token X' or Basic instead of 'Bearer X'",
			}
		}
	case st == http.StatusForbidden:
		v.Code = ProbeForbidden
		switch {
		case !sent:
			v.Reason = "403 without credentials: anonymous access is refused" + suffix(msg)
			v.Fix = []string{"send a credential: --bearer-env VAR"}
		case gh != nil && gh.SSO != "":
			v.Reason = "403: the token is valid but not authorized for the organization's SAML SSO (X-GitHub-SSO: " + gh.SSO + ")"
			v.Fix = []string{"authorize the token for the organization: GitHub → Settings → Developer settings → tokens → Configure SSO"}
		case gh != nil && len(gh.Missing) > 0:
			v.Reason = fmt.Sprintf("403: the token is valid but lacks the scope: the endpoint accepts %s, the token has %s", strings.Join(gh.Missing, ", "), orText(*gh.OAuthScopes, "no scopes"))
			v.Fix = []string{"create a token with one of: " + strings.Join(gh.Missing, ", ")}
		case ch.Params["error"] == "insufficient_scope":
			v.Reason = "403: the token lacks the scope " + orText(ch.Params["scope"], "the server wants")
			v.Fix = []string{"get a token with that scope"}
		case strings.Contains(strings.ToLower(msg), "ip allow list") || strings.Contains(strings.ToLower(msg), "ip address"):
			v.Reason = "403: the request comes from an IP address that is not allowlisted" + suffix(msg)
			v.Fix = []string{"add the runner's egress IP to the allowlist, or use a runner inside the allowed network"}
		case isExpiredText(msg):
			v.Reason = "403: the credential has expired" + suffix(msg)
			v.Fix = []string{"get a new credential"}
		default:
			v.Reason = "403: authenticated, but not allowed: the credential lacks a permission or scope, or the resource is restricted" + suffix(msg)
			v.Fix = []string{
				"give the token or account the permission this endpoint needs (fine-grained tokens: the repository and permission must be selected)",
				"in GitHub Actions: set the job's `permissions:` for GITHUB_TOKEN",
			}
		}
	case st == http.StatusNotFound:
		v.Code = ProbeNotFound
		v.Reason = "404" + suffix(msg)
		if gh != nil && sent {
			v.Reason += "; GitHub answers 404, not 403, for private resources the credential cannot see"
		}
		v.Fix = []string{"check the URL; if the resource is private, check the credential can see it"}
	default:
		v.Code = ProbeHTTPError
		v.Reason = fmt.Sprintf("%d %s%s", st, http.StatusText(st), suffix(msg))
	}
}

func parseUnix(s string) (time.Time, error) {
	var n int64
	_, err := fmt.Sscan(s, &n)
	return time.Unix(n, 0), err
}

func suffix(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}

func orText(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func sanitizeProbe(r *ProbeResult, secrets []string) {
	var pairs []string
	for _, s := range secrets {
		if len(s) >= 4 {
			pairs = append(pairs, s, "[REDACTED]")
		}
	}
	rep := strings.NewReplacer(pairs...)
	clean := func(s string) string { return redact.String(rep.Replace(s)) }
	r.URL, r.Credential, r.ParseError, r.Message = clean(r.URL), clean(r.Credential), clean(r.ParseError), clean(r.Message)
	for i := range r.Redirects {
		r.Redirects[i] = clean(r.Redirects[i])
	}
	for i := range r.Warnings {
		r.Warnings[i] = clean(r.Warnings[i])
	}
	for i := range r.Challenges {
		p := map[string]string{}
		for k, v := range r.Challenges[i].Params {
			p[clean(k)] = clean(v)
		}
		if len(p) > 0 {
			r.Challenges[i].Params = p
		}
		r.Challenges[i].Scheme = clean(r.Challenges[i].Scheme)
	}
	if g := r.GitHub; g != nil {
		if g.OAuthScopes != nil {
			s := clean(*g.OAuthScopes)
			g.OAuthScopes = &s
		}
		if g.AcceptedScopes != nil {
			s := clean(*g.AcceptedScopes)
			g.AcceptedScopes = &s
		}
		g.Expiration, g.SSO, g.RequestID = clean(g.Expiration), clean(g.SSO), clean(g.RequestID)
	}
	r.Verdict.Reason = clean(r.Verdict.Reason)
	for i := range r.Verdict.Fix {
		r.Verdict.Fix[i] = clean(r.Verdict.Fix[i])
	}
}
