package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sleuth-ci/sleuth/internal/netguard"
	"github.com/sleuth-ci/sleuth/internal/redact"
)

// Credential is what the handshake may present. Never print its fields.
type Credential struct {
	Username      string
	Password      string
	IdentityToken string // OAuth2 refresh token (az acr login, docker login with a device flow)
	RegistryToken string // a bearer token to send as is
}

func (c *Credential) usable() bool {
	return c != nil && (c.Password != "" || c.IdentityToken != "" || c.RegistryToken != "")
}

// TestOptions configure one registry test.
type TestOptions struct {
	Target           string // HOST, HOST:PORT or URL
	Repo             string // NAME[:TAG|@DIGEST]; empty: only the login is tested
	Push             bool   // also test push rights (an upload is started and cancelled)
	Credential       *Credential
	CredentialSource string // where the credential came from, for the output
	Client           ClientOptions
	Now              func() time.Time
	UserAgent        string
}

// Result is everything the test saw. Every string in it has been redacted.
type Result struct {
	Target           string   `json:"target"`
	Registry         string   `json:"registry"`
	Repo             string   `json:"repository,omitempty"`
	Reference        string   `json:"reference,omitempty"`
	Push             bool     `json:"push"`
	Insecure         bool     `json:"insecure"`
	CredentialSource string   `json:"credential_source"`
	Username         string   `json:"username,omitempty"`
	Notes            []string `json:"notes,omitempty"`
	Steps            []*Step  `json:"steps"`
	Warnings         []string `json:"warnings,omitempty"`
	Verdict          Verdict  `json:"verdict"`
}

func (r *Result) neededActions() []string {
	if r.Push {
		return []string{"pull", "push"}
	}
	return []string{"pull"}
}

// Step is one HTTP exchange of the handshake.
type Step struct {
	N          int               `json:"n"`
	Name       string            `json:"name"`
	Method     string            `json:"method"`
	URL        string            `json:"url"`
	Auth       string            `json:"auth"`
	Status     int               `json:"status,omitempty"`
	Challenges []ChallengeView   `json:"challenges,omitempty"`
	ParseError string            `json:"challenge_parse_error,omitempty"`
	Errors     []APIError        `json:"errors,omitempty"`
	Body       string            `json:"body,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	Grant      *Grant            `json:"grant,omitempty"`
	Notes      []string          `json:"notes,omitempty"`
	Error      string            `json:"error,omitempty"`
	ElapsedMS  int64             `json:"elapsed_ms"`
}

// ChallengeView is a challenge as shown to the user.
type ChallengeView struct {
	Scheme string            `json:"scheme"`
	Params map[string]string `json:"params,omitempty"`
}

// APIError is one entry of a registry error body.
type APIError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  string `json:"detail,omitempty"`
}

// Grant is what the token server answered (never the token itself).
type Grant struct {
	ExpiresIn    int        `json:"expires_in"`
	IssuedAt     string     `json:"issued_at,omitempty"`
	RefreshToken bool       `json:"refresh_token_returned"`
	Requested    []string   `json:"requested_scopes,omitempty"`
	Token        *TokenInfo `json:"token,omitempty"`
	Opaque       bool       `json:"opaque"` // not a JWT: the grant cannot be inspected
}

type response struct {
	status     int
	header     http.Header
	body       []byte
	challenges []Challenge
	apiErrors  []APIError
}

func (r *response) bearer() (Challenge, bool) {
	for _, c := range r.challenges {
		if c.Is("Bearer") {
			return c, true
		}
	}
	return Challenge{}, false
}

func (r *response) message() string {
	var parts []string
	for _, e := range r.apiErrors {
		parts = append(parts, strings.TrimSpace(strings.ToLower(e.Code)+": "+e.Message))
	}
	if len(parts) == 0 && len(r.body) > 0 && !isHTML(r.header) {
		return strings.TrimSpace(firstLine(string(r.body)))
	}
	return strings.Join(parts, "; ")
}

type handshake struct {
	o        TestOptions
	r        *Result
	client   *http.Client
	base     *url.URL
	credHost string
	now      func() time.Time
	authz    string   // Authorization header value for the registry
	credSent bool     // authz carries a credential (not an anonymous token)
	scopes   []string // scopes of the current bearer token
	token    *TokenInfo
	secrets  []string
	cur      *Step
}

// Test runs the handshake against a registry and returns what happened with a verdict. The
// error is only for a target or repository name that cannot be used at all.
func Test(ctx context.Context, o TestOptions) (*Result, error) {
	t, err := ParseTarget(o.Target)
	if err != nil {
		return nil, err
	}
	r := &Result{Target: o.Target, Registry: t.Base.String(), Push: o.Push, Insecure: o.Client.Insecure,
		CredentialSource: o.CredentialSource, Notes: t.Notes}
	if r.CredentialSource == "" {
		r.CredentialSource = "anonymous"
	}
	if o.Repo != "" {
		name, ref := splitRepo(o.Repo)
		if t.CredHost == "docker.io" && !strings.Contains(name, "/") {
			name = "library/" + name
		}
		if !validRepoName(name) {
			return nil, fmt.Errorf("repository name %q is invalid: lowercase letters, digits and . _ - separated by /", name)
		}
		r.Repo, r.Reference = name, ref
	} else if o.Push {
		return nil, fmt.Errorf("--push needs --repo: push rights are per repository")
	}
	if o.Credential != nil {
		r.Username = o.Credential.Username
	}
	if o.Client.Insecure {
		r.Warnings = append(r.Warnings, "TLS certificate verification is OFF (--insecure): this test cannot tell an impostor from the registry")
	}
	h := &handshake{o: o, r: r, base: t.Base, credHost: t.CredHost, now: o.Now}
	if h.now == nil {
		h.now = time.Now
	}
	if c := o.Credential; c != nil {
		h.secrets = append(h.secrets, c.Password, c.IdentityToken, c.RegistryToken)
	}
	copts := o.Client
	copts.OnRedirect = func(from, to *url.URL, dropped bool) {
		if h.cur == nil {
			return
		}
		n := "redirected to " + to.Scheme + "://" + to.Host + to.Path
		if dropped {
			n += " (Authorization not forwarded: another origin)"
		}
		h.cur.Notes = append(h.cur.Notes, n)
	}
	h.client = NewClient(copts)
	total := copts.timeouts().Total
	ctx, cancel := context.WithTimeout(ctx, total)
	defer cancel()
	h.run(ctx)
	h.sanitize()
	return r, nil
}

func (h *handshake) verdict(code, reason string) {
	fix := fixes(code, h.credHost, h.r)
	if code == VerdictTLS && strings.Contains(reason, "does not speak TLS") && len(fix) > 1 {
		fix[0], fix[1] = fix[1], fix[0] // the plain-HTTP answer is the likely one
	}
	h.r.Verdict = Verdict{Code: code, OK: code == VerdictOK, Reason: reason, Fix: fix}
}

func (h *handshake) run(ctx context.Context) {
	ping := h.base.JoinPath("/v2/").String()
	resp := h.do(ctx, "ping", http.MethodGet, ping, "", nil)
	if resp == nil {
		return
	}
	switch resp.status {
	case http.StatusOK:
		if !looksLikeRegistry(resp) {
			h.verdict(VerdictNotRegistry, fmt.Sprintf("%s answered 200 with %s and no Docker-Distribution-Api-Version header: not an OCI registry API", ping, contentType(resp.header)))
			return
		}
		h.note("the registry needs no authentication for /v2/")
	case http.StatusUnauthorized:
		if len(resp.challenges) == 0 {
			h.verdict(VerdictNotRegistry, "/v2/ answered 401 without a WWW-Authenticate challenge: not a registry API, or a proxy in between")
			return
		}
		if !h.authenticate(ctx, resp, h.repoScopes()) {
			return
		}
		resp = h.do(ctx, "ping", http.MethodGet, ping, h.authz, nil)
		if resp == nil {
			return
		}
		if resp.status != http.StatusOK {
			h.judge(resp, "the registry's /v2/ endpoint")
			return
		}
	default:
		h.judge(resp, "/v2/")
		return
	}
	if h.r.Repo == "" {
		switch {
		case h.credSent:
			h.verdict(VerdictOK, fmt.Sprintf("logged in to %s as %s (credential from %s); give --repo to test pull and push rights on a repository", h.base.Host, orUnknown(h.r.Username), h.r.CredentialSource))
		case h.o.Credential.usable():
			h.verdict(VerdictOK, fmt.Sprintf("%s answered without asking for the credential; give --repo to test a repository", h.base.Host))
		default:
			h.verdict(VerdictOK, fmt.Sprintf("%s is reachable and answers anonymously (no credential found); give --repo to test a repository", h.base.Host))
		}
		return
	}
	// Pull: the tags list, or a manifest HEAD when a tag or digest was given.
	method, u := http.MethodGet, h.base.JoinPath("/v2/", h.r.Repo, "tags/list").String()
	what := "the tags list of " + h.r.Repo
	if h.r.Reference != "" {
		method, u = http.MethodHead, h.base.JoinPath("/v2/", h.r.Repo, "manifests", h.r.Reference).String()
		what = "the manifest " + h.r.Repo + ":" + h.r.Reference
	}
	resp = h.scoped(ctx, "pull", method, u)
	if resp == nil {
		return
	}
	if resp.status/100 != 2 {
		h.judge(resp, what)
		return
	}
	if !h.r.Push {
		h.verdict(VerdictOK, fmt.Sprintf("pull works: %s read %s (credential: %s)", h.who(), what, h.r.CredentialSource))
		return
	}
	// Push: start a blob upload, then cancel it.
	resp = h.scoped(ctx, "push", http.MethodPost, h.base.JoinPath("/v2/", h.r.Repo, "blobs/uploads/").String())
	if resp == nil {
		return
	}
	if resp.status != http.StatusAccepted {
		h.judge(resp, "a blob upload to "+h.r.Repo)
		return
	}
	h.cancelUpload(ctx, resp)
	h.verdict(VerdictOK, fmt.Sprintf("pull and push work: %s may read and write %s (credential: %s)", h.who(), h.r.Repo, h.r.CredentialSource))
}

func (h *handshake) who() string {
	if h.credSent {
		return orUnknown(h.r.Username)
	}
	return "anonymous"
}

func orUnknown(s string) string {
	if s == "" {
		return "(token)"
	}
	return s
}

func (h *handshake) repoScopes() []string {
	if h.r.Repo == "" {
		return nil
	}
	return []string{"repository:" + h.r.Repo + ":" + strings.Join(h.r.neededActions(), ",")}
}

// scoped sends a repository request; on a challenge for a scope the current token does not
// cover (or when nothing was sent yet) it authenticates once more and retries.
func (h *handshake) scoped(ctx context.Context, name, method, u string) *response {
	resp := h.do(ctx, name, method, u, h.authz, nil)
	if resp == nil || resp.status != http.StatusUnauthorized {
		return resp
	}
	ch, ok := resp.bearer()
	retry := h.authz == ""
	if ok && ch.Param("error") == "" {
		for _, s := range strings.Fields(ch.Param("scope")) {
			if !slices.Contains(h.scopes, s) {
				retry = true
			}
		}
	}
	if !retry || len(resp.challenges) == 0 {
		return resp
	}
	scopes := h.repoScopes()
	if ok && ch.Param("scope") != "" {
		scopes = strings.Fields(ch.Param("scope"))
	}
	if !h.authenticate(ctx, resp, scopes) {
		return nil
	}
	return h.do(ctx, name, method, u, h.authz, nil)
}

func (h *handshake) cancelUpload(ctx context.Context, resp *response) {
	loc := resp.header.Get("Location")
	if loc == "" {
		h.note("the registry gave no upload Location; nothing to cancel")
		return
	}
	ref, err := url.Parse(loc)
	if err != nil {
		h.warn("upload Location is not a URL; the started upload will expire on the registry")
		return
	}
	target := h.cur.urlParsed().ResolveReference(ref)
	authz := h.authz
	if !netguard.SameOrigin(target, h.base) {
		authz = ""
	}
	d := h.do(ctx, "cancel upload", http.MethodDelete, target.String(), authz, nil)
	if d == nil {
		h.r.Verdict = Verdict{} // a failed cancel does not change the verdict
		h.warn("could not cancel the started upload; it expires on the registry's side")
		return
	}
	if d.status/100 == 2 {
		h.note("upload cancelled; nothing was written")
	} else {
		h.warn(fmt.Sprintf("cancelling the upload answered %d; the started upload expires on the registry's side", d.status))
	}
}

func (s *Step) urlParsed() *url.URL {
	u, _ := url.Parse(s.URL)
	if u == nil {
		return &url.URL{}
	}
	return u
}

func (h *handshake) note(s string) {
	if h.cur != nil {
		h.cur.Notes = append(h.cur.Notes, s)
	}
}

func (h *handshake) warn(s string) { h.r.Warnings = append(h.r.Warnings, s) }

// authenticate answers a 401: it picks the challenge and sets h.authz. It returns false after
// setting a verdict when that is impossible.
func (h *handshake) authenticate(ctx context.Context, resp *response, scopes []string) bool {
	cred := h.o.Credential
	if ch, ok := resp.bearer(); ok {
		return h.bearerToken(ctx, ch, scopes)
	}
	var basic *Challenge
	var schemes []string
	for i, c := range resp.challenges {
		schemes = append(schemes, c.Scheme)
		if c.Is("Basic") && basic == nil {
			basic = &resp.challenges[i]
		}
	}
	if basic == nil {
		h.verdict(VerdictNotRegistry, fmt.Sprintf("the server asks for %s authentication; registries use Basic or Bearer", strings.Join(schemes, ", ")))
		return false
	}
	if cred == nil || cred.Username == "" || cred.Password == "" {
		reason := fmt.Sprintf("the registry asks for Basic authentication (realm %q) and no username and password were found for it (Docker says: no basic auth credentials)", basic.Param("realm"))
		if cred.usable() {
			reason = "the registry asks for Basic authentication, but the credential found is a token without a username and password"
		}
		h.verdict(VerdictNoCredentials, reason)
		return false
	}
	h.authz = "Basic " + base64.StdEncoding.EncodeToString([]byte(cred.Username+":"+cred.Password))
	h.credSent = true
	h.note("Basic challenge: the next request sends the username and password of " + cred.Username)
	return true
}

func (h *handshake) bearerToken(ctx context.Context, ch Challenge, scopes []string) bool {
	cred := h.o.Credential
	realm := ch.Param("realm")
	ru, err := url.Parse(realm)
	if realm == "" || err != nil || (ru.Scheme != "https" && ru.Scheme != "http") || ru.Host == "" {
		h.verdict(VerdictNotRegistry, fmt.Sprintf("the Bearer challenge has no usable realm (%q): the token server cannot be found", realm))
		return false
	}
	if !netguard.SameOrigin(ru, h.base) {
		w := fmt.Sprintf("the token realm %s is on another host than the registry %s", ru.Host, h.base.Host)
		if cred.usable() {
			w += ": your credentials are sent there; make sure you trust it"
		}
		h.warn(w)
	}
	if cred != nil && cred.RegistryToken != "" {
		h.authz = "Bearer " + cred.RegistryToken
		h.credSent = true
		h.scopes = scopes
		h.note("using the stored registry token from " + h.r.CredentialSource + " (no token request)")
		if info, err := DecodeToken(cred.RegistryToken); err == nil {
			h.token = info
			h.cur.Grant = &Grant{Token: info}
		}
		return true
	}
	q := url.Values{}
	if svc := ch.Param("service"); svc != "" {
		q.Set("service", svc)
	}
	for _, s := range scopes {
		q.Add("scope", s)
	}
	var resp *response
	var sentCred bool
	if cred != nil && cred.IdentityToken != "" {
		form := url.Values{}
		form.Set("grant_type", "refresh_token")
		form.Set("refresh_token", cred.IdentityToken)
		form.Set("service", ch.Param("service"))
		form.Set("client_id", "sleuth")
		form.Set("scope", strings.Join(scopes, " "))
		resp = h.do(ctx, "token", http.MethodPost, ru.String(), "", form)
		sentCred = true
		if resp != nil && (resp.status == http.StatusNotFound || resp.status == http.StatusMethodNotAllowed) {
			h.note("the token server does not take OAuth2 POST; falling back to GET")
			resp = nil
		} else if resp == nil {
			return false
		}
	}
	if resp == nil {
		tu := *ru
		qq := tu.Query()
		for k, vs := range q {
			for _, v := range vs {
				qq.Add(k, v)
			}
		}
		tu.RawQuery = qq.Encode()
		authz := ""
		sentCred = false
		if cred != nil && cred.Username != "" && cred.Password != "" {
			authz = "Basic " + base64.StdEncoding.EncodeToString([]byte(cred.Username+":"+cred.Password))
			sentCred = true
		}
		resp = h.do(ctx, "token", http.MethodGet, tu.String(), authz, nil)
		if resp == nil {
			return false
		}
	}
	switch {
	case resp.status == http.StatusOK:
	case resp.status == http.StatusUnauthorized && sentCred:
		h.verdict(VerdictInvalid, fmt.Sprintf("the token server %s refused the credentials of %s (from %s): %s", ru.Host, orUnknown(h.r.Username), h.r.CredentialSource, orStatus(resp)))
		return false
	case (resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden) && !sentCred:
		h.verdict(VerdictNoCredentials, fmt.Sprintf("the token server %s gives no anonymous token (%d: %s) and no credential was found for this registry", ru.Host, resp.status, orStatus(resp)))
		return false
	case resp.status == http.StatusForbidden:
		code := VerdictDenied
		if isExpiredText(resp.message()) {
			code = VerdictExpired
		}
		h.verdict(code, fmt.Sprintf("the token server %s knows the credential of %s and refuses it a token: %s", ru.Host, orUnknown(h.r.Username), orStatus(resp)))
		return false
	case resp.status == http.StatusTooManyRequests:
		h.verdict(VerdictRateLimited, "the token server is rate limiting: "+rateLimitText(resp))
		return false
	case resp.status >= 500:
		h.verdict(VerdictServerError, fmt.Sprintf("the token server %s failed with %d: %s", ru.Host, resp.status, orStatus(resp)))
		return false
	default:
		h.verdict(VerdictNotRegistry, fmt.Sprintf("the token server %s answered %d: %s", ru.Host, resp.status, orStatus(resp)))
		return false
	}
	var tr struct {
		Token        string          `json:"token"`
		AccessToken  string          `json:"access_token"`
		ExpiresIn    json.Number     `json:"expires_in"`
		IssuedAt     string          `json:"issued_at"`
		RefreshToken string          `json:"refresh_token"`
		Extra        json.RawMessage `json:"-"`
	}
	if err := json.Unmarshal(resp.body, &tr); err != nil {
		h.verdict(VerdictNotRegistry, fmt.Sprintf("the token server %s answered 200 without a JSON token: %v", ru.Host, err))
		return false
	}
	tok := tr.Token
	if tok == "" {
		tok = tr.AccessToken
	}
	h.secrets = append(h.secrets, tr.Token, tr.AccessToken, tr.RefreshToken)
	if tok == "" {
		h.verdict(VerdictNotRegistry, fmt.Sprintf("the token server %s answered 200 without a token", ru.Host))
		return false
	}
	g := &Grant{IssuedAt: tr.IssuedAt, RefreshToken: tr.RefreshToken != "", Requested: scopes}
	g.ExpiresIn = 60 // the spec's default
	if n, err := tr.ExpiresIn.Int64(); err == nil && n > 0 && n < 1<<31 {
		g.ExpiresIn = int(n)
	}
	info, err := DecodeToken(tok)
	if err != nil {
		g.Opaque = true
		h.note("the token is opaque (not a JWT): what it grants shows only in the registry's answers")
	} else {
		g.Token = info
		h.token = info
		if !info.Expires.IsZero() && info.Expires.Before(h.now()) {
			h.note(fmt.Sprintf("the issued token expired at %s, before it was used (clock skew or a misconfigured token server)", info.Expires.Format(time.RFC3339)))
		}
		if info.HasAccess && h.r.Repo != "" {
			want := h.r.neededActions()
			if !info.Allows(h.r.Repo, want...) {
				h.note(fmt.Sprintf("granted %s, requested %s: the token server grants only what this account may do", accessList(info.Access), strings.Join(scopes, " ")))
			}
		}
	}
	h.cur.Grant = g
	h.authz = "Bearer " + tok
	h.credSent = sentCred
	h.scopes = scopes
	return true
}

func accessList(as []Access) string {
	if len(as) == 0 {
		return "no access"
	}
	var s []string
	for _, a := range as {
		s = append(s, a.String())
	}
	return strings.Join(s, " ")
}

func orStatus(r *response) string {
	if m := r.message(); m != "" {
		return m
	}
	return http.StatusText(r.status)
}

func isExpiredText(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "token has expired") || strings.Contains(s, "token is expired") || strings.Contains(s, "expired token")
}

// judge turns a failed registry answer into the verdict.
func (h *handshake) judge(resp *response, what string) {
	msg := orStatus(resp)
	ch, _ := resp.bearer()
	anon := !h.credSent
	switch {
	case resp.status == http.StatusUnauthorized && ch.Param("error") == "insufficient_scope":
		if anon {
			h.verdict(VerdictNoCredentials, fmt.Sprintf("anonymous access does not cover %s (the registry wants %s) and no credential was found", what, ch.Param("scope")))
			return
		}
		granted := "an unknown set of rights (opaque token)"
		if h.token != nil && h.token.HasAccess {
			granted = accessList(h.token.Access)
		}
		h.verdict(VerdictInsufficientScope, fmt.Sprintf("%s is authenticated, but the token grants %s and %s needs %s (error=\"insufficient_scope\")", orUnknown(h.r.Username), granted, what, ch.Param("scope")))
	case resp.status == http.StatusUnauthorized && ch.Param("error") == "invalid_token":
		reason := "the registry rejected the token as invalid or expired (error=\"invalid_token\")"
		if h.token != nil && !h.token.Expires.IsZero() && h.token.Expires.Before(h.now()) {
			reason = fmt.Sprintf("the token expired at %s (error=\"invalid_token\")", h.token.Expires.Format(time.RFC3339))
		}
		h.verdict(VerdictExpired, reason)
	case resp.status == http.StatusUnauthorized && isExpiredText(msg):
		h.verdict(VerdictExpired, "the registry says the credential has expired: "+msg)
	case resp.status == http.StatusUnauthorized && anon:
		h.verdict(VerdictNoCredentials, fmt.Sprintf("%s requires authentication and no credential was found: %s", what, msg))
	case resp.status == http.StatusUnauthorized:
		h.verdict(VerdictInvalid, fmt.Sprintf("the registry refused the credentials of %s (from %s) for %s: %s", orUnknown(h.r.Username), h.r.CredentialSource, what, msg))
	case resp.status == http.StatusForbidden && isExpiredText(msg):
		h.verdict(VerdictExpired, "the registry says the credential has expired: "+msg)
	case resp.status == http.StatusForbidden && anon:
		h.verdict(VerdictNoCredentials, fmt.Sprintf("anonymous access to %s is denied (%s) and no credential was found", what, msg))
	case resp.status == http.StatusForbidden:
		h.verdict(VerdictDenied, fmt.Sprintf("%s is authenticated, but the registry denies %s: %s", orUnknown(h.r.Username), what, msg))
	case resp.status == http.StatusTooManyRequests:
		h.verdict(VerdictRateLimited, "the registry is rate limiting: "+rateLimitText(resp))
	case resp.status == http.StatusNotFound && what == "/v2/":
		h.verdict(VerdictNotRegistry, fmt.Sprintf("%s answered 404 at /v2/ (%s): no OCI registry API here", h.base.Host, contentType(resp.header)))
	case resp.status == http.StatusNotFound:
		h.verdict(VerdictNotFound, fmt.Sprintf("%s: %s", what, msg))
	case resp.status >= 500:
		h.verdict(VerdictServerError, fmt.Sprintf("%s failed with %d: %s", what, resp.status, msg))
	default:
		if !looksLikeRegistry(resp) {
			h.verdict(VerdictNotRegistry, fmt.Sprintf("%s answered %d with %s: not an OCI registry API", what, resp.status, contentType(resp.header)))
			return
		}
		h.verdict(VerdictServerError, fmt.Sprintf("%s answered %d: %s", what, resp.status, msg))
	}
}

func rateLimitText(r *response) string {
	s := orStatus(r)
	var hs []string
	for _, k := range []string{"RateLimit-Limit", "RateLimit-Remaining", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		if v := r.header.Get(k); v != "" {
			hs = append(hs, k+": "+v)
		}
	}
	if len(hs) > 0 {
		s += " (" + strings.Join(hs, ", ") + ")"
	}
	return s
}

func looksLikeRegistry(r *response) bool {
	if r.header.Get("Docker-Distribution-Api-Version") != "" || len(r.apiErrors) > 0 {
		return true
	}
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func isHTML(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "text/html"
}

func contentType(h http.Header) string {
	if ct := h.Get("Content-Type"); ct != "" {
		return ct
	}
	return "no Content-Type"
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		// Cut after the last blank, so that no word is kept in part: a server that echoes
		// the credential it was sent would otherwise leave half a token, which neither the
		// exact-value scrub nor redaction can recognise any more.
		if i := strings.LastIndexAny(s[:201], " \t"); i > 0 {
			return strings.TrimRight(s[:i], " \t") + " …"
		}
		s = s[:200] + "…"
	}
	return s
}

var interestingHeaders = []string{
	"Docker-Distribution-Api-Version", "Content-Type", "Location",
	"RateLimit-Limit", "RateLimit-Remaining", "Docker-RateLimit-Source", "Retry-After",
	"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
}

// do performs one request as a step. It returns nil after setting the verdict when the request
// could not be made.
func (h *handshake) do(ctx context.Context, name, method, u, authz string, form url.Values) *response {
	st := &Step{N: len(h.r.Steps) + 1, Name: name, Method: method, URL: u, Auth: h.describeAuth(name, authz, form)}
	h.r.Steps = append(h.r.Steps, st)
	h.cur = st
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	if authz != "" && !h.credSent && strings.HasPrefix(authz, "Bearer ") && form == nil {
		ctx = withAnonymousAuth(ctx) // an anonymous token is no secret of the user's
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		st.Error = err.Error()
		h.verdict(VerdictNetwork, err.Error())
		return nil
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	ua := h.o.UserAgent
	if ua == "" {
		ua = "sleuth"
	}
	req.Header.Set("User-Agent", ua)
	start := time.Now()
	res, err := h.client.Do(req)
	st.ElapsedMS = time.Since(start).Milliseconds()
	if err != nil {
		code, reason := NetProblem(err, req.URL.Host)
		st.Error = reason
		h.verdict(code, reason)
		return nil
	}
	defer res.Body.Close()
	limit := int64(maxErrorBody)
	if name == "token" {
		limit = maxTokenBody
	}
	b, truncated := readCapped(res.Body, limit)
	if truncated {
		st.Notes = append(st.Notes, fmt.Sprintf("body larger than %d bytes; the rest was not read", limit))
	}
	r := &response{status: res.StatusCode, header: res.Header, body: b}
	st.Status = res.StatusCode
	if vals := res.Header.Values("WWW-Authenticate"); len(vals) > 0 {
		cs, perr := ParseChallenges(vals...)
		r.challenges = cs
		if perr != nil {
			st.ParseError = perr.Error()
		}
		for _, c := range cs {
			v := ChallengeView{Scheme: c.Scheme, Params: c.Params}
			if len(v.Params) == 0 {
				v.Params = nil
			}
			st.Challenges = append(st.Challenges, v)
		}
	}
	if res.StatusCode/100 != 2 || name != "token" {
		var eb struct {
			Errors []struct {
				Code    string          `json:"code"`
				Message string          `json:"message"`
				Detail  json.RawMessage `json:"detail"`
			} `json:"errors"`
		}
		if json.Unmarshal(b, &eb) == nil {
			for _, e := range eb.Errors {
				d := string(e.Detail)
				if d == "null" || len(d) > 300 {
					d = ""
				}
				r.apiErrors = append(r.apiErrors, APIError{Code: e.Code, Message: e.Message, Detail: d})
			}
		}
		st.Errors = r.apiErrors
		if len(r.apiErrors) == 0 && len(b) > 0 && res.StatusCode/100 != 2 && !isHTML(res.Header) {
			st.Body = firstLine(string(b))
		}
	}
	for _, k := range interestingHeaders {
		if v := res.Header.Get(k); v != "" {
			if st.Headers == nil {
				st.Headers = map[string]string{}
			}
			st.Headers[k] = v
		}
	}
	return r
}

func (h *handshake) describeAuth(name, authz string, form url.Values) string {
	switch {
	case form != nil:
		return "OAuth2 refresh token (identity token from " + h.r.CredentialSource + ")"
	case authz == "":
		return "none"
	case strings.HasPrefix(authz, "Basic "):
		return fmt.Sprintf("Basic (user %s, from %s)", orUnknown(h.r.Username), h.r.CredentialSource)
	case h.o.Credential != nil && h.o.Credential.RegistryToken != "" && authz == "Bearer "+h.o.Credential.RegistryToken:
		return "Bearer (stored registry token from " + h.r.CredentialSource + ")"
	case strings.HasPrefix(authz, "Bearer ") && h.credSent:
		return "Bearer (token granted to " + orUnknown(h.r.Username) + ")"
	default:
		return "Bearer (anonymous token)"
	}
}

// sanitize redacts every string that came from the server or the user, and removes any
// credential or token that slipped into one.
func (h *handshake) sanitize() {
	var pairs []string
	for _, s := range h.secrets {
		if len(s) >= 4 {
			pairs = append(pairs, s, "[REDACTED]")
		}
	}
	rep := strings.NewReplacer(pairs...)
	clean := func(s string) string { return redact.String(rep.Replace(s)) }
	r := h.r
	r.Target = clean(r.Target)
	r.Registry = clean(r.Registry)
	r.CredentialSource = clean(r.CredentialSource)
	r.Username = clean(r.Username)
	for i := range r.Warnings {
		r.Warnings[i] = clean(r.Warnings[i])
	}
	for i := range r.Notes {
		r.Notes[i] = clean(r.Notes[i])
	}
	r.Verdict.Reason = clean(r.Verdict.Reason)
	for i := range r.Verdict.Fix {
		r.Verdict.Fix[i] = clean(r.Verdict.Fix[i])
	}
	for _, st := range r.Steps {
		st.URL = clean(st.URL)
		st.Auth = clean(st.Auth)
		st.ParseError = clean(st.ParseError)
		st.Body = clean(st.Body)
		st.Error = clean(st.Error)
		for i := range st.Notes {
			st.Notes[i] = clean(st.Notes[i])
		}
		for i := range st.Errors {
			st.Errors[i].Code = clean(st.Errors[i].Code)
			st.Errors[i].Message = clean(st.Errors[i].Message)
			st.Errors[i].Detail = clean(st.Errors[i].Detail)
		}
		for i := range st.Challenges {
			st.Challenges[i].Scheme = clean(st.Challenges[i].Scheme)
			p := map[string]string{}
			for k, v := range st.Challenges[i].Params {
				p[clean(k)] = clean(v)
			}
			if len(p) > 0 {
				st.Challenges[i].Params = p
			}
		}
		for k, v := range st.Headers {
			st.Headers[k] = clean(v)
		}
		if g := st.Grant; g != nil {
			g.IssuedAt = clean(g.IssuedAt)
			if t := g.Token; t != nil {
				t.Issuer, t.Subject = clean(t.Issuer), clean(t.Subject)
				for i := range t.Audience {
					t.Audience[i] = clean(t.Audience[i])
				}
				for i := range t.Access {
					t.Access[i].Name = clean(t.Access[i].Name)
				}
			}
		}
	}
}

// ExpiresIn formats the remaining validity of a token at now.
func ExpiresIn(exp, now time.Time) string {
	if exp.IsZero() {
		return "no expiry claim"
	}
	d := exp.Sub(now).Round(time.Second)
	if d < 0 {
		return fmt.Sprintf("EXPIRED %s ago (%s)", -d, exp.Format(time.RFC3339))
	}
	return fmt.Sprintf("expires in %s (%s)", d, exp.Format(time.RFC3339))
}
