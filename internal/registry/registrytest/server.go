// Package registrytest runs a real OCI registry on loopback (go-containerregistry's in-memory
// registry) behind the distribution token authentication: a token endpoint on the same
// host:port issuing signed JWTs with an access claim, challenges with scope and error, and the
// failures registries really produce (wrong password at the token endpoint, insufficient scope,
// expired tokens, denied repositories, rate limiting, a realm on another host, Basic auth).
package registrytest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Service and Issuer of the tokens.
const (
	Service = "test-registry"
	Issuer  = "test-issuer"
)

// User is an account of the test registry.
type User struct {
	Password     string
	RefreshToken string              // accepted by POST grant_type=refresh_token
	Access       map[string][]string // repository (or "prefix/*") → actions
	Expired      bool                // tokens issued to this user are already expired
}

// Options select the variant of the registry.
type Options struct {
	Basic bool // Basic authentication at the registry instead of token auth
	// TokenElsewhere serves the token endpoint on a second listener (another host:port).
	TokenElsewhere bool
	Users          map[string]User     // default: DefaultUsers
	Anonymous      map[string][]string // what anonymous tokens grant; default: pull on public/*
	Denied         []string            // repositories answered with 403 DENIED to everyone
	RateLimited    []string            // repositories answered with 429 TOOMANYREQUESTS
}

// The fixture accounts. The passwords are test values, not secrets.
var DefaultUsers = map[string]User{
	"alice": {Password: "alice-pass-7Hq2", RefreshToken: "alice-refresh-9Kd3", Access: map[string][]string{
		"alice/*": {"pull", "push", "delete"}, "public/*": {"pull"}, "locked/*": {"pull", "push"}, "limited/*": {"pull"},
	}},
	"reader": {Password: "reader-pass-4Zt8", Access: map[string][]string{"alice/app": {"pull"}, "public/*": {"pull"}}},
	"stale":  {Password: "stale-pass-2Wm5", Expired: true, Access: map[string][]string{"alice/*": {"pull", "push"}}},
}

// Server is a running test registry.
type Server struct {
	URL      string // http://127.0.0.1:PORT
	Host     string // 127.0.0.1:PORT
	TokenURL string // the realm

	opts  Options
	reg   *httptest.Server
	tok   *httptest.Server
	inner http.Handler
	key   []byte

	mu        sync.Mutex
	uploads   map[string]bool
	cancelled []string
	requests  []Request
}

// Request is what the server saw, for tests that check where credentials went.
type Request struct {
	Method, Path string
	Auth         string // "none", "basic:USER", "bearer", "other"
	Listener     string // "registry" or "token"
}

// New starts a registry on 127.0.0.1.
func New(opts Options) (*Server, error) {
	if opts.Users == nil {
		opts.Users = DefaultUsers
	}
	if opts.Anonymous == nil {
		opts.Anonymous = map[string][]string{"public/*": {"pull"}}
	}
	if opts.Denied == nil {
		opts.Denied = []string{"locked/app"}
	}
	if opts.RateLimited == nil {
		opts.RateLimited = []string{"limited/app"}
	}
	s := &Server{opts: opts, uploads: map[string]bool{}, key: make([]byte, 32)}
	if _, err := rand.Read(s.key); err != nil {
		return nil, err
	}
	s.inner = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.reg = httptest.NewUnstartedServer(http.HandlerFunc(s.serveRegistry))
	s.reg.Listener.Close()
	s.reg.Listener = ln
	s.reg.Start()
	s.URL = s.reg.URL
	s.Host = strings.TrimPrefix(s.reg.URL, "http://")
	s.TokenURL = s.URL + "/token"
	if opts.TokenElsewhere {
		s.tok = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.log(r, "token")
			if r.URL.Path != "/token" {
				http.NotFound(w, r)
				return
			}
			s.serveToken(w, r)
		}))
		s.TokenURL = s.tok.URL + "/token"
	}
	return s, nil
}

// Close stops the listeners.
func (s *Server) Close() {
	s.reg.Close()
	if s.tok != nil {
		s.tok.Close()
	}
}

// Cancelled lists the upload IDs cancelled with DELETE.
func (s *Server) Cancelled() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.cancelled)
}

// Requests lists every request seen.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *Server) log(r *http.Request, listener string) {
	a := "none"
	if h := r.Header.Get("Authorization"); h != "" {
		switch {
		case strings.HasPrefix(h, "Basic "):
			u, _, _ := r.BasicAuth()
			a = "basic:" + u
		case strings.HasPrefix(h, "Bearer "):
			a = "bearer"
		default:
			a = "other"
		}
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Auth: a, Listener: listener})
	s.mu.Unlock()
}

// Seed writes a small random image to repo:tag, bypassing authentication (through a
// loopback listener of its own), and returns it.
func (s *Server) Seed(repo, tag string) (v1.Image, error) {
	img, err := random.Image(512, 2)
	if err != nil {
		return nil, err
	}
	if err := s.Write(repo, tag, img); err != nil {
		return nil, err
	}
	return img, nil
}

// Write stores img at repo:tag, bypassing authentication.
func (s *Server) Write(repo, tag string, img v1.Image) error {
	direct := httptest.NewServer(s.inner)
	defer direct.Close()
	ref, err := name.ParseReference(strings.TrimPrefix(direct.URL, "http://")+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		return err
	}
	return remote.Write(ref, img)
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

func writeErrors(w http.ResponseWriter, status int, errs ...apiError) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": errs})
}

// need is what a request requires: a repository and its actions ("" repo: just a login).
type need struct {
	typ, name string
	actions   []string
}

func (n need) scope() string {
	if n.name == "" {
		return ""
	}
	return n.typ + ":" + n.name + ":" + strings.Join(n.actions, ",")
}

func requirement(r *http.Request) (need, bool) {
	p := strings.TrimPrefix(r.URL.Path, "/v2/")
	if r.URL.Path == "/v2/" || r.URL.Path == "/v2" {
		return need{}, true
	}
	if p == "_catalog" {
		return need{typ: "registry", name: "catalog", actions: []string{"*"}}, true
	}
	for _, marker := range []string{"/tags/", "/manifests/", "/blobs/", "/referrers/"} {
		if i := strings.Index(p, marker); i > 0 {
			n := need{typ: "repository", name: p[:i]}
			switch r.Method {
			case http.MethodGet, http.MethodHead:
				n.actions = []string{"pull"}
			case http.MethodDelete:
				if strings.Contains(p, "/blobs/uploads/") {
					n.actions = []string{"pull", "push"}
				} else {
					n.actions = []string{"delete"}
				}
			default:
				n.actions = []string{"pull", "push"}
			}
			return n, true
		}
	}
	return need{}, false
}

func (s *Server) serveRegistry(w http.ResponseWriter, r *http.Request) {
	s.log(r, "registry")
	if r.URL.Path == "/token" && s.tok == nil && !s.opts.Basic {
		s.serveToken(w, r)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/v2") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
	n, ok := requirement(r)
	if !ok {
		writeErrors(w, http.StatusNotFound, apiError{Code: "NAME_UNKNOWN", Message: "repository name not known to registry"})
		return
	}
	var granted []access
	if s.opts.Basic {
		user, pass, ok := r.BasicAuth()
		u, known := s.opts.Users[user]
		if !ok || !known || !hmac.Equal([]byte(pass), []byte(u.Password)) {
			w.Header().Set("WWW-Authenticate", `Basic realm="test-realm"`)
			writeErrors(w, http.StatusUnauthorized, apiError{Code: "UNAUTHORIZED", Message: "authentication required"})
			return
		}
		if n.name != "" && !covers(grant(u.Access, []need{n}), n) {
			writeErrors(w, http.StatusForbidden, apiError{Code: "DENIED", Message: "requested access to the resource is denied"})
			return
		}
	} else {
		challenge := fmt.Sprintf(`Bearer realm=%q,service=%q`, s.TokenURL, Service)
		if sc := n.scope(); sc != "" {
			challenge += fmt.Sprintf(`,scope=%q`, sc)
		}
		h := r.Header.Get("Authorization")
		if !strings.HasPrefix(h, "Bearer ") {
			s.unauthorized(w, challenge, "", n)
			return
		}
		claims, err := s.verify(strings.TrimPrefix(h, "Bearer "))
		if err != nil {
			s.unauthorized(w, challenge+`,error="invalid_token"`, err.Error(), n)
			return
		}
		granted = claims.Access
		if n.name != "" && !covers(granted, n) {
			s.unauthorized(w, challenge+`,error="insufficient_scope"`, "", n)
			return
		}
	}
	if slices.Contains(s.opts.Denied, n.name) {
		writeErrors(w, http.StatusForbidden, apiError{Code: "DENIED", Message: "requested access to the resource is denied"})
		return
	}
	if slices.Contains(s.opts.RateLimited, n.name) {
		w.Header().Set("RateLimit-Limit", "100;w=21600")
		w.Header().Set("RateLimit-Remaining", "0;w=21600")
		w.Header().Set("Retry-After", "3600")
		writeErrors(w, http.StatusTooManyRequests, apiError{Code: "TOOMANYREQUESTS", Message: "You have reached your pull rate limit. You may increase the limit by authenticating and upgrading"})
		return
	}
	// Cancelling an upload (DELETE on its location), which the in-memory registry lacks.
	if r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/blobs/uploads/") {
		id := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		s.mu.Lock()
		known := s.uploads[id]
		if known {
			delete(s.uploads, id)
			s.cancelled = append(s.cancelled, id)
		}
		s.mu.Unlock()
		if !known {
			writeErrors(w, http.StatusNotFound, apiError{Code: "BLOB_UPLOAD_UNKNOWN", Message: "blob upload unknown to registry"})
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rw := &captureWriter{ResponseWriter: w}
	s.inner.ServeHTTP(rw, r)
	if r.Method == http.MethodPost && rw.status == http.StatusAccepted {
		if loc := rw.Header().Get("Location"); loc != "" {
			s.mu.Lock()
			s.uploads[loc[strings.LastIndex(loc, "/")+1:]] = true
			s.mu.Unlock()
		}
	}
}

type captureWriter struct {
	http.ResponseWriter
	status int
}

func (c *captureWriter) WriteHeader(code int) {
	c.status = code
	c.ResponseWriter.WriteHeader(code)
}

func (s *Server) unauthorized(w http.ResponseWriter, challenge, _ string, n need) {
	w.Header().Set("WWW-Authenticate", challenge)
	var detail []map[string]string
	for _, a := range n.actions {
		detail = append(detail, map[string]string{"Type": n.typ, "Name": n.name, "Action": a})
	}
	e := apiError{Code: "UNAUTHORIZED", Message: "authentication required"}
	if len(detail) > 0 {
		e.Detail = detail
	}
	writeErrors(w, http.StatusUnauthorized, e)
}

type access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

type claims struct {
	Iss    string   `json:"iss"`
	Sub    string   `json:"sub"`
	Aud    string   `json:"aud"`
	Exp    int64    `json:"exp"`
	Nbf    int64    `json:"nbf"`
	Iat    int64    `json:"iat"`
	Jti    string   `json:"jti"`
	Access []access `json:"access"`
}

func covers(granted []access, n need) bool {
	for _, want := range n.actions {
		ok := false
		for _, g := range granted {
			if g.Type == n.typ && g.Name == n.name && (slices.Contains(g.Actions, want) || slices.Contains(g.Actions, "*")) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// grant is the intersection of what was requested and what the ACL allows (the token spec:
// a subset is not an error).
func grant(acl map[string][]string, wants []need) []access {
	var out []access
	for _, w := range wants {
		if w.typ != "repository" {
			continue
		}
		var allowed []string
		for pat, acts := range acl {
			if pat == w.name || (strings.HasSuffix(pat, "/*") && strings.HasPrefix(w.name, strings.TrimSuffix(pat, "*"))) {
				allowed = append(allowed, acts...)
			}
		}
		var got []string
		for _, a := range w.actions {
			if slices.Contains(allowed, a) && !slices.Contains(got, a) {
				got = append(got, a)
			}
		}
		out = append(out, access{Type: w.typ, Name: w.name, Actions: got})
	}
	return out
}

func parseScopes(vals []string) []need {
	var out []need
	for _, v := range vals {
		for _, f := range strings.Fields(v) {
			first, last := strings.IndexByte(f, ':'), strings.LastIndexByte(f, ':')
			if first < 0 || first == last {
				continue
			}
			out = append(out, need{typ: f[:first], name: f[first+1 : last], actions: strings.Split(f[last+1:], ",")})
		}
	}
	return out
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	var (
		user   string
		u      User
		authed bool
		scopes []string
		svc    string
	)
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		svc, scopes = q.Get("service"), q["scope"]
		if r.Header.Get("Authorization") != "" {
			name, pass, ok := r.BasicAuth()
			known, exists := s.opts.Users[name]
			if !ok || !exists || !hmac.Equal([]byte(pass), []byte(known.Password)) {
				writeErrors(w, http.StatusUnauthorized, apiError{Code: "UNAUTHORIZED", Message: "incorrect username or password"})
				return
			}
			user, u, authed = name, known, true
		}
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			writeErrors(w, http.StatusBadRequest, apiError{Code: "UNSUPPORTED", Message: "bad form"})
			return
		}
		svc, scopes = r.PostForm.Get("service"), []string{r.PostForm.Get("scope")}
		if r.PostForm.Get("client_id") == "" {
			writeErrors(w, http.StatusBadRequest, apiError{Code: "UNSUPPORTED", Message: "missing client_id"})
			return
		}
		switch r.PostForm.Get("grant_type") {
		case "refresh_token":
			rt := r.PostForm.Get("refresh_token")
			for name, known := range s.opts.Users {
				if known.RefreshToken != "" && hmac.Equal([]byte(rt), []byte(known.RefreshToken)) {
					user, u, authed = name, known, true
				}
			}
		case "password":
			name := r.PostForm.Get("username")
			if known, ok := s.opts.Users[name]; ok && hmac.Equal([]byte(r.PostForm.Get("password")), []byte(known.Password)) {
				user, u, authed = name, known, true
			}
		}
		if !authed {
			writeErrors(w, http.StatusUnauthorized, apiError{Code: "UNAUTHORIZED", Message: "invalid grant"})
			return
		}
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if svc != Service {
		writeErrors(w, http.StatusBadRequest, apiError{Code: "UNSUPPORTED", Message: "unknown service " + strconvQuote(svc)})
		return
	}
	acl := s.opts.Anonymous
	if authed {
		acl = u.Access
	}
	now := time.Now()
	c := claims{Iss: Issuer, Sub: user, Aud: Service, Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(5 * time.Minute).Unix(),
		Jti: fmt.Sprint(now.UnixNano()), Access: grant(acl, parseScopes(scopes))}
	if authed && u.Expired {
		c.Exp = now.Add(-10 * time.Minute).Unix()
		c.Iat = now.Add(-20 * time.Minute).Unix()
		c.Nbf = c.Iat
	}
	if c.Access == nil {
		c.Access = []access{}
	}
	tok := s.sign(c)
	resp := map[string]any{"token": tok, "access_token": tok, "expires_in": 300, "issued_at": time.Unix(c.Iat, 0).UTC().Format(time.RFC3339)}
	if authed && (r.URL.Query().Get("offline_token") == "true" || r.PostForm.Get("access_type") == "offline") && u.RefreshToken != "" {
		resp["refresh_token"] = u.RefreshToken
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

func (s *Server) sign(c claims) string {
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, _ := json.Marshal(c)
	msg := hdr + "." + base64.RawURLEncoding.EncodeToString(body)
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(msg))
	return msg + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verify checks the signature, issuer, audience and validity window (60 s leeway).
func (s *Server) verify(tok string) (*claims, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("malformed token")
	}
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, m.Sum(nil)) {
		return nil, fmt.Errorf("invalid token signature")
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("malformed token")
	}
	var c claims
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, fmt.Errorf("malformed token")
	}
	now := time.Now().Unix()
	const leeway = 60
	switch {
	case c.Iss != Issuer:
		return nil, fmt.Errorf("token from untrusted issuer")
	case c.Aud != Service:
		return nil, fmt.Errorf("token intended for another audience")
	case c.Exp+leeway < now:
		return nil, fmt.Errorf("token not to be used after %s", time.Unix(c.Exp, 0).UTC().Format(time.RFC3339))
	case c.Nbf-leeway > now:
		return nil, fmt.Errorf("token not to be used before %s", time.Unix(c.Nbf, 0).UTC().Format(time.RFC3339))
	}
	return &c, nil
}

// Token returns a signed token for user with the given access, expiring at exp (for tests of
// stored registry tokens).
func (s *Server) Token(user string, exp time.Time, repo string, actions ...string) string {
	return s.sign(claims{Iss: Issuer, Sub: user, Aud: Service, Iat: time.Now().Unix(), Nbf: time.Now().Add(-time.Minute).Unix(),
		Exp: exp.Unix(), Access: []access{{Type: "repository", Name: repo, Actions: actions}}})
}
