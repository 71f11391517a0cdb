package registry

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sleuth-ci/sleuth/internal/registry/registrytest"
)

func startRegistry(t *testing.T, opts registrytest.Options) *registrytest.Server {
	t.Helper()
	s, err := registrytest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	for _, ref := range [][2]string{{"alice/app", "v1"}, {"public/hello", "latest"}, {"locked/app", "v1"}, {"limited/app", "v1"}} {
		if _, err := s.Seed(ref[0], ref[1]); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func pw(user string) *Credential {
	return &Credential{Username: user, Password: registrytest.DefaultUsers[user].Password}
}

var noProxy = func(*http.Request) (*url.URL, error) { return nil, nil }

func testOpts(target, repo string, push bool, c *Credential) TestOptions {
	return TestOptions{Target: target, Repo: repo, Push: push, Credential: c, CredentialSource: "test",
		Client: ClientOptions{Proxy: noProxy, Timeouts: Timeouts{Connect: 2 * time.Second, TLS: 2 * time.Second, Header: 5 * time.Second, Total: 10 * time.Second}}}
}

// allSecrets are the fixture credentials that must never appear in any output.
func allSecrets() []string {
	var out []string
	for _, u := range registrytest.DefaultUsers {
		out = append(out, u.Password)
		if u.RefreshToken != "" {
			out = append(out, u.RefreshToken)
		}
	}
	return append(out, "wrong-pass-3Xy9")
}

func assertNoSecret(t *testing.T, r *Result, extra ...string) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, s := range append(allSecrets(), extra...) {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("secret %q leaked into the result: %s", s[:3]+"…", out)
		}
	}
	// No issued token either: any JWT in the output is a leak.
	if strings.Contains(out, "eyJ") {
		t.Errorf("a token leaked into the result: %s", out)
	}
}

func TestHandshakeVerdicts(t *testing.T) {
	tokenReg := startRegistry(t, registrytest.Options{})
	basicReg := startRegistry(t, registrytest.Options{Basic: true})
	elsewhere := startRegistry(t, registrytest.Options{TokenElsewhere: true})
	validStored := tokenReg.Token("alice", time.Now().Add(time.Hour), "alice/app", "pull")
	expiredStored := tokenReg.Token("alice", time.Now().Add(-time.Hour), "alice/app", "pull")

	tests := []struct {
		name      string
		reg       *registrytest.Server
		repo      string
		push      bool
		cred      *Credential
		want      string
		reason    string // substring of the reason
		warning   string // substring of some warning
		steps     []string
		extra     []string // more secrets to check
		cancelled int
	}{
		{name: "login ok", reg: tokenReg, cred: pw("alice"), want: VerdictOK, reason: "logged in to", steps: []string{"ping", "token", "ping"}},
		{name: "pull ok", reg: tokenReg, repo: "alice/app", cred: pw("alice"), want: VerdictOK, reason: "pull works", steps: []string{"ping", "token", "ping", "pull"}},
		{name: "manifest head ok", reg: tokenReg, repo: "alice/app:v1", cred: pw("alice"), want: VerdictOK, reason: "manifest alice/app:v1"},
		{name: "push ok, upload cancelled", reg: tokenReg, repo: "alice/app", push: true, cred: pw("alice"), want: VerdictOK, reason: "pull and push work",
			steps: []string{"ping", "token", "ping", "pull", "push", "cancel upload"}, cancelled: 1},
		{name: "anonymous public pull", reg: tokenReg, repo: "public/hello", want: VerdictOK, reason: "anonymous"},
		{name: "anonymous ping", reg: tokenReg, want: VerdictOK, reason: "answers anonymously"},
		{name: "anonymous private repo", reg: tokenReg, repo: "alice/app", want: VerdictNoCredentials, reason: "no credential was found"},
		{name: "wrong password at the token endpoint", reg: tokenReg, repo: "alice/app", cred: &Credential{Username: "alice", Password: "wrong-pass-3Xy9"},
			want: VerdictInvalid, reason: "incorrect username or password", steps: []string{"ping", "token"}},
		{name: "read-only account pushing", reg: tokenReg, repo: "alice/app", push: true, cred: pw("reader"), want: VerdictInsufficientScope,
			reason: "grants repository:alice/app:pull"},
		{name: "expired token", reg: tokenReg, repo: "alice/app", cred: pw("stale"), want: VerdictExpired, reason: "the token expired at"},
		{name: "denied repository", reg: tokenReg, repo: "locked/app", cred: pw("alice"), want: VerdictDenied, reason: "requested access to the resource is denied"},
		{name: "rate limited", reg: tokenReg, repo: "limited/app", cred: pw("alice"), want: VerdictRateLimited, reason: "RateLimit-Remaining: 0;w=21600"},
		{name: "repository missing", reg: tokenReg, repo: "alice/nothing", cred: pw("alice"), want: VerdictNotFound, reason: "name_unknown"},
		{name: "identity token (OAuth2 refresh)", reg: tokenReg, repo: "alice/app", push: true,
			cred: &Credential{Username: "<token>", IdentityToken: registrytest.DefaultUsers["alice"].RefreshToken}, want: VerdictOK, reason: "pull and push work", cancelled: 1},
		{name: "wrong identity token", reg: tokenReg, repo: "alice/app",
			cred: &Credential{Username: "<token>", IdentityToken: "not-the-refresh-5Gh1"}, want: VerdictInvalid, reason: "invalid grant", extra: []string{"not-the-refresh-5Gh1"}},
		{name: "stored registry token", reg: tokenReg, repo: "alice/app", cred: &Credential{RegistryToken: validStored}, want: VerdictOK, steps: []string{"ping", "ping", "pull"}},
		{name: "stored registry token expired", reg: tokenReg, repo: "alice/app", cred: &Credential{RegistryToken: expiredStored}, want: VerdictExpired, reason: "the token expired at"},
		{name: "basic ok", reg: basicReg, repo: "alice/app", push: true, cred: pw("alice"), want: VerdictOK, cancelled: 1},
		{name: "basic no credentials", reg: basicReg, repo: "alice/app", want: VerdictNoCredentials, reason: "no basic auth credentials"},
		{name: "basic wrong password", reg: basicReg, cred: &Credential{Username: "alice", Password: "wrong-pass-3Xy9"}, want: VerdictInvalid, reason: "refused the credentials of alice"},
		{name: "basic read-only push denied", reg: basicReg, repo: "alice/app", push: true, cred: pw("reader"), want: VerdictDenied},
		{name: "realm on another host", reg: elsewhere, repo: "alice/app", cred: pw("alice"), want: VerdictOK, warning: "on another host than the registry"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(tc.reg.Cancelled())
			r, err := Test(context.Background(), testOpts(tc.reg.Host, tc.repo, tc.push, tc.cred))
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict.Code != tc.want {
				b, _ := json.MarshalIndent(r, "", "  ")
				t.Fatalf("verdict %s, want %s\n%s", r.Verdict.Code, tc.want, b)
			}
			if r.Verdict.OK != (tc.want == VerdictOK) {
				t.Errorf("OK = %v", r.Verdict.OK)
			}
			if !strings.Contains(r.Verdict.Reason, tc.reason) {
				t.Errorf("reason %q does not contain %q", r.Verdict.Reason, tc.reason)
			}
			if tc.want != VerdictOK && len(r.Verdict.Fix) == 0 {
				t.Errorf("a failed verdict without a fix")
			}
			if tc.warning != "" && !strings.Contains(strings.Join(r.Warnings, "\n"), tc.warning) {
				t.Errorf("warnings %q lack %q", r.Warnings, tc.warning)
			}
			if tc.steps != nil {
				var names []string
				for _, s := range r.Steps {
					names = append(names, s.Name)
				}
				if strings.Join(names, ",") != strings.Join(tc.steps, ",") {
					t.Errorf("steps %v, want %v", names, tc.steps)
				}
			}
			if got := len(tc.reg.Cancelled()) - before; got != tc.cancelled {
				t.Errorf("%d uploads cancelled, want %d", got, tc.cancelled)
			}
			assertNoSecret(t, r, append(tc.extra, validStored, expiredStored)...)
		})
	}
}

func TestHandshakeGrantDecoded(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	r, err := Test(context.Background(), testOpts(reg.Host, "alice/app", true, pw("reader")))
	if err != nil {
		t.Fatal(err)
	}
	var g *Grant
	for _, s := range r.Steps {
		if s.Name == "token" {
			g = s.Grant
		}
	}
	if g == nil || g.Token == nil {
		t.Fatalf("no decoded grant in %+v", r.Steps)
	}
	if g.Token.Subject != "reader" || g.Token.Issuer != registrytest.Issuer || len(g.Token.Access) != 1 ||
		strings.Join(g.Token.Access[0].Actions, ",") != "pull" || g.Token.Expires.Before(time.Now()) {
		t.Errorf("grant %+v", g.Token)
	}
	if g.ExpiresIn != 300 || strings.Join(g.Requested, " ") != "repository:alice/app:pull,push" {
		t.Errorf("grant %+v", g)
	}
}

// The token realm on another host receives the credentials; the registry's own listener never
// sees the password.
func TestRealmElsewhereGetsCredentialsOnlyThere(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{TokenElsewhere: true})
	if _, err := Test(context.Background(), testOpts(reg.Host, "alice/app", false, pw("alice"))); err != nil {
		t.Fatal(err)
	}
	var sawToken bool
	for _, rq := range reg.Requests() {
		if rq.Listener == "registry" && strings.HasPrefix(rq.Auth, "basic") {
			t.Errorf("registry listener got Basic credentials: %+v", rq)
		}
		if rq.Listener == "token" && rq.Auth == "basic:alice" {
			sawToken = true
		}
	}
	if !sawToken {
		t.Errorf("token server never got the credentials: %+v", reg.Requests())
	}
}

func TestNetworkVerdicts(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer tlsSrv.Close()
	plainSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer plainSrv.Close()
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<html><body>Not Found</body></html>"))
	}))
	defer web.Close()
	webOK := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>welcome</html>"))
	}))
	defer webOK.Close()
	// A port that was just free: nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	reg := startRegistry(t, registrytest.Options{})
	_, port, _ := net.SplitHostPort(reg.Host)
	resolver := startDNS(t, map[string]net.IP{"reg.example": net.IPv4(127, 0, 0, 1)})

	tests := []struct {
		name, target string
		cred         *Credential
		insecure     bool
		want, reason string
	}{
		{name: "unknown CA", target: tlsSrv.URL, want: VerdictTLS, reason: "unknown authority"},
		{name: "TLS to a plain HTTP port", target: "https://" + strings.TrimPrefix(plainSrv.URL, "http://"), want: VerdictTLS, reason: "does not speak TLS"},
		{name: "connection refused", target: closed, want: VerdictRefused, reason: "nothing listens on " + closed},
		{name: "not a registry (404 html)", target: web.URL, want: VerdictNotRegistry, reason: "404"},
		{name: "not a registry (200 html)", target: webOK.URL, want: VerdictNotRegistry, reason: "text/html"},
		{name: "DNS: no such host", target: "https://nowhere.example", want: VerdictDNS, reason: "does not resolve"},
		{name: "credentials over plain HTTP to a non-loopback name", target: "http://reg.example:" + port, cred: pw("alice"), want: VerdictPlainHTTP, reason: "refusing to send credentials over plain HTTP to reg.example:" + port},
		{name: "anonymous over plain HTTP is fine", target: "http://reg.example:" + port, want: VerdictOK},
		{name: "insecure skips verification", target: tlsSrv.URL, insecure: true, want: VerdictNotRegistry},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := testOpts(tc.target, "", false, tc.cred)
			o.Client.Resolver = resolver
			o.Client.Insecure = tc.insecure
			r, err := Test(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict.Code != tc.want || !strings.Contains(r.Verdict.Reason, tc.reason) {
				b, _ := json.MarshalIndent(r, "", "  ")
				t.Fatalf("verdict %s %q, want %s containing %q\n%s", r.Verdict.Code, r.Verdict.Reason, tc.want, tc.reason, b)
			}
			if tc.insecure && !strings.Contains(strings.Join(r.Warnings, " "), "verification is OFF") {
				t.Errorf("--insecure not announced: %q", r.Warnings)
			}
			assertNoSecret(t, r)
		})
	}
}

// A redirect to another origin must not carry the Authorization header.
func TestRedirectDropsAuthorization(t *testing.T) {
	var gotAuth string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"tags":[]}`))
	}))
	defer other.Close()
	var first string
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="r"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		first = r.Header.Get("Authorization")
		if r.URL.Path == "/v2/" {
			return
		}
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer reg.Close()
	r, err := Test(context.Background(), testOpts(reg.URL, "alice/app", false, pw("alice")))
	if err != nil {
		t.Fatal(err)
	}
	if first == "" {
		t.Fatal("the registry never got credentials")
	}
	if gotAuth != "" {
		t.Errorf("Authorization forwarded to another origin on redirect")
	}
	if r.Verdict.Code != VerdictOK {
		t.Errorf("verdict %+v", r.Verdict)
	}
	var noted bool
	for _, s := range r.Steps {
		for _, n := range s.Notes {
			noted = noted || strings.Contains(n, "Authorization not forwarded")
		}
	}
	if !noted {
		t.Errorf("the dropped Authorization is not shown: %+v", r.Steps)
	}
}

func TestRedirectLimit(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srv.URL+"/v2/", http.StatusFound)
	}))
	defer srv.Close()
	r, err := Test(context.Background(), testOpts(srv.URL, "", false, nil))
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict.Code != VerdictNetwork || !strings.Contains(r.Verdict.Reason, "redirects") {
		t.Errorf("verdict %+v", r.Verdict)
	}
}

func TestHeaderTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	o := testOpts(srv.URL, "", false, nil)
	o.Client.Timeouts.Header = 200 * time.Millisecond
	start := time.Now()
	r, err := Test(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict.Code != VerdictTimeout {
		t.Errorf("verdict %+v", r.Verdict)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %s", time.Since(start))
	}
}

func TestTestRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		target, repo string
		push         bool
		want         string
	}{
		{"", "", false, "no registry host"},
		{"ftp://x", "", false, "scheme must be http or https"},
		{"https://user:pw@x", "", false, "must not contain credentials"},
		{"x.example", "Bad Name", false, "invalid"},
		{"x.example", "", true, "--push needs --repo"},
	} {
		_, err := Test(context.Background(), TestOptions{Target: tc.target, Repo: tc.repo, Push: tc.push})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q %q: err %v, want %q", tc.target, tc.repo, err, tc.want)
		}
	}
}
