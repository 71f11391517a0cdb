package check

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sleuth-ci/sleuth/internal/registry"
	"github.com/sleuth-ci/sleuth/internal/registry/registrytest"
	"github.com/sleuth-ci/sleuth/playbook"
)

func TestFill(t *testing.T) {
	caps := map[string]string{"registry": "ghcr.io", "image": "ghcr.io/acme/app", "url": "https://api.github.com/user", "blank": "  "}
	tests := []struct {
		name        string
		args        map[string]string
		hosts       []string
		want        map[string]string
		wantMissing []string
	}{
		{"all filled", map[string]string{"host": "{{registry}}", "repo": "{{ image }}", "push": "true"}, nil,
			map[string]string{"host": "ghcr.io", "repo": "ghcr.io/acme/app", "push": "true"}, nil},
		{"embedded", map[string]string{"url": "https://{{registry}}/v2/"}, nil, map[string]string{"url": "https://ghcr.io/v2/"}, nil},
		{"missing optional dropped", map[string]string{"host": "{{registry}}", "repo": "{{repository}}"}, nil,
			map[string]string{"host": "ghcr.io"}, []string{"repository"}},
		{"blank capture is missing", map[string]string{"var": "{{blank}}"}, nil, map[string]string{}, []string{"blank"}},
		{"host from --host", map[string]string{"host": "{{nothere}}"}, []string{"localhost:5000"}, map[string]string{"host": "localhost:5000"}, nil},
		{"--host fills only host", map[string]string{"url": "{{nothere}}"}, []string{"localhost:5000"}, map[string]string{}, []string{"nothere"}},
		{"captured host wins over --host", map[string]string{"host": "{{registry}}"}, []string{"localhost:5000"}, map[string]string{"host": "ghcr.io"}, nil},
		{"literal", map[string]string{"var": "GITHUB_TOKEN|GH_TOKEN"}, nil, map[string]string{"var": "GITHUB_TOKEN|GH_TOKEN"}, nil},
		{"no args", nil, nil, map[string]string{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, missing := Fill(playbook.Check{Kind: "x", Args: tt.args}, caps, tt.hosts)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("args = %v, want %v", got, tt.want)
			}
			if !reflect.DeepEqual(missing, tt.wantMissing) {
				t.Errorf("missing = %v, want %v", missing, tt.wantMissing)
			}
		})
	}
}

func TestRegistryStatus(t *testing.T) {
	tests := []struct {
		code string
		push bool
		want Status
	}{
		{registry.VerdictNoCredentials, false, Verified},
		{registry.VerdictInvalid, false, Verified},
		{registry.VerdictExpired, false, Verified},
		{registry.VerdictInsufficientScope, true, Verified},
		{registry.VerdictDenied, true, Verified},
		{registry.VerdictOK, true, Refuted},
		{registry.VerdictRateLimited, false, Refuted},
		{registry.VerdictNotFound, false, Refuted},
		{registry.VerdictNotFound, true, Unknown},
		{registry.VerdictTLS, false, Unknown},
		{registry.VerdictDNS, false, Unknown},
		{registry.VerdictRefused, false, Unknown},
		{registry.VerdictTimeout, false, Unknown},
		{registry.VerdictNotRegistry, false, Unknown},
		{registry.VerdictPlainHTTP, false, Unknown},
		{registry.VerdictServerError, false, Unknown},
		{registry.VerdictNetwork, false, Unknown},
	}
	for _, tt := range tests {
		if got := registryStatus(tt.code, tt.push); got != tt.want {
			t.Errorf("registryStatus(%s, push=%v) = %s, want %s", tt.code, tt.push, got, tt.want)
		}
	}
}

func TestProbeStatus(t *testing.T) {
	tests := map[string]Status{
		registry.ProbeUnauthenticated: Verified,
		registry.ProbeForbidden:       Verified,
		registry.ProbeOK:              Refuted,
		registry.ProbeRateLimited:     Refuted,
		registry.ProbeNotFound:        Refuted,
		registry.ProbeHTTPError:       Refuted,
		registry.VerdictRefused:       Unknown,
		registry.VerdictTimeout:       Unknown,
		registry.VerdictTLS:           Unknown,
	}
	for code, want := range tests {
		if got := probeStatus(code); got != want {
			t.Errorf("probeStatus(%s) = %s, want %s", code, got, want)
		}
	}
}

func TestRepoFromImage(t *testing.T) {
	tests := []struct{ host, image, want string }{
		{"ghcr.io", "ghcr.io/acme/app", "acme/app"},
		{"ghcr.io", "acme/app:1.0", "acme/app"},
		{"docker.io", "docker.io/nfancy/omix", "nfancy/omix"},
		{"docker.io", "alpine", "library/alpine"},
		{"127.0.0.1:5000", "127.0.0.1:5000/alice/app@sha256:abc", "alice/app"},
		{"localhost:5000", "localhost/team/app:v1", "team/app"},
		{"ghcr.io", "", ""},
	}
	for _, tt := range tests {
		if got := repoFromImage(tt.host, tt.image); got != tt.want {
			t.Errorf("repoFromImage(%q, %q) = %q, want %q", tt.host, tt.image, got, tt.want)
		}
	}
}

// envMap is a process environment for the checks.
func envMap(m map[string]string) Env {
	return Env{
		Getenv:    func(k string) string { return m[k] },
		LookupEnv: func(k string) (string, bool) { v, ok := m[k]; return v, ok },
	}
}

func jwt(exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	h, _ := json.Marshal(map[string]any{"alg": "RS256", "typ": "JWT"})
	c, _ := json.Marshal(map[string]any{"iss": "issuer.example", "exp": exp.Unix()})
	return enc(h) + "." + enc(c) + ".c2lnbmF0dXJl"
}

func TestEnvCheck(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	const pat = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
	tests := []struct {
		name string
		vars map[string]string
		arg  string
		want Status
		code string
	}{
		{"missing in CI", map[string]string{"CI": "true"}, "NPM_TOKEN", Verified, "missing"},
		{"empty in CI", map[string]string{"CI": "true", "NPM_TOKEN": ""}, "NPM_TOKEN", Verified, "empty"},
		{"missing outside CI", map[string]string{}, "NPM_TOKEN", Unknown, "missing"},
		{"alternative set", map[string]string{"CI": "true", "NPM_TOKEN": "npm_abcdefghijklmnopqrstuvwxyz0123456789"}, "NODE_AUTH_TOKEN|NPM_TOKEN", Refuted, "ok"},
		{"well formed", map[string]string{"GITHUB_TOKEN": pat}, "GITHUB_TOKEN", Refuted, "ok"},
		{"trailing newline", map[string]string{"GITHUB_TOKEN": pat + "\n"}, "GITHUB_TOKEN", Verified, "whitespace"},
		{"truncated", map[string]string{"GITHUB_TOKEN": pat[:30]}, "GITHUB_TOKEN", Verified, "malformed"},
		{"placeholder", map[string]string{"GITHUB_TOKEN": "${{ secrets.GH_PAT }}"}, "GITHUB_TOKEN", Verified, "placeholder"},
		{"expired JWT", map[string]string{"TOKEN": jwt(now.Add(-time.Hour))}, "TOKEN", Verified, "expired"},
		{"valid JWT", map[string]string{"TOKEN": jwt(now.Add(time.Hour))}, "TOKEN", Refuted, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := envMap(tt.vars)
			env.Now = func() time.Time { return now }
			r := NewRunner(env)
			res := r.Run(context.Background(), []playbook.Check{{Kind: "env", Args: map[string]string{"var": tt.arg}}}, nil)
			if len(res) != 1 || res[0].Status != tt.want || res[0].Code != tt.code {
				t.Fatalf("got %+v, want %s/%s", res, tt.want, tt.code)
			}
			out, _ := json.Marshal(res)
			for _, v := range tt.vars {
				if len(v) >= 8 && strings.Contains(string(out), strings.TrimSpace(v)) {
					t.Errorf("the value leaked: %s", out)
				}
			}
		})
	}
}

func TestOIDC(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want Status
	}{
		{"not in actions", map[string]string{"CI": "true"}, Unknown},
		{"no permission", map[string]string{"GITHUB_ACTIONS": "true"}, Verified},
		{"half", map[string]string{"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.actions.example/x"}, Verified},
		{"present", map[string]string{"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.actions.example/x", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token-value-123"}, Refuted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := NewRunner(envMap(tt.vars)).Run(context.Background(), []playbook.Check{{Kind: "oidc"}}, nil)
			if res[0].Status != tt.want {
				t.Fatalf("got %+v, want %s", res[0], tt.want)
			}
			if strings.Contains(fmt.Sprint(res), "request-token-value-123") {
				t.Errorf("the request token leaked: %+v", res)
			}
		})
	}
}

func TestSkippedAndUnknownReasons(t *testing.T) {
	r := NewRunner(Env{Getenv: func(string) string { return "" }, Offline: true})
	res := r.Run(context.Background(), []playbook.Check{
		{Kind: "telepathy"},
		{Kind: "registry", Args: map[string]string{"host": "{{registry}}"}},
		{Kind: "registry", Args: map[string]string{"host": "{{image}}"}},
		{Kind: "creds"},
	}, map[string]string{"image": "registry.example/app"})
	want := []struct {
		st     Status
		reason string
	}{
		{Skipped, `unknown check kind "telepathy"`},
		{Skipped, "the log does not show {{registry}}, which the check needs"},
		{Unknown, "offline mode (--offline)"},
		{Skipped, "the log names neither a registry host nor a credential helper"},
	}
	// Local checks run first: creds moves before the registry checks.
	order := []int{0, 3, 1, 2}
	for i, j := range order {
		if res[i].Status != want[j].st || !strings.Contains(res[i].Reason, want[j].reason) {
			t.Errorf("check %d: got %s %q, want %s %q", i, res[i].Status, res[i].Reason, want[j].st, want[j].reason)
		}
	}
}

// dockerEnv writes config.json into a fresh DOCKER_CONFIG and returns an environment that
// reads it, where no credential helper is installed.
func dockerEnv(t *testing.T, config string, extra map[string]string) Env {
	dir := t.TempDir()
	if config != "" {
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]string{"DOCKER_CONFIG": dir, "HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, "xdg"), "XDG_RUNTIME_DIR": filepath.Join(dir, "run"), "PATH": dir}
	for k, v := range extra {
		vars[k] = v
	}
	env := envMap(vars)
	env.Cred.LookPath = func(string) (string, error) { return "", os.ErrNotExist }
	return env
}

func basicAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

func TestCredsAndRegistryAgainstLoopbackRegistry(t *testing.T) {
	srv, err := registrytest.New(registrytest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := srv.Seed("alice/app", "v1"); err != nil {
		t.Fatal(err)
	}
	pushChecks := []playbook.Check{
		{Kind: "registry", Args: map[string]string{"host": "{{registry}}", "repo": "{{image}}", "push": "true"}},
		{Kind: "creds", Args: map[string]string{"host": "{{registry}}"}},
	}
	caps := map[string]string{"registry": srv.Host, "image": srv.Host + "/alice/app"}
	auths := func(user, pass string) string {
		return fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, srv.Host, basicAuth(user, pass))
	}
	tests := []struct {
		name       string
		config     string
		ci         bool
		creds      Status
		reg        Status
		regCode    string
		summary    string
		noRequests bool
	}{
		{"helper missing: verified locally, no request", `{"credsStore": "desktop"}`, true, Verified, Skipped, "",
			`comes from credsStore "desktop", whose helper docker-credential-desktop is not installed`, true},
		{"no credential in CI", "", true, Verified, Skipped, "", "no credential for " + srv.Host, true},
		{"no credential outside CI: unknown, the registry decides", "", false, Unknown, Verified, registry.VerdictNoCredentials, "", false},
		{"read-only account pushes", auths("reader", "reader-pass-4Zt8"), true, Refuted, Verified, registry.VerdictInsufficientScope, "", false},
		{"wrong password", auths("alice", "wrong-pass-3Xy9"), true, Refuted, Verified, registry.VerdictInvalid, "", false},
		{"expired tokens", auths("stale", "stale-pass-2Wm5"), true, Refuted, Verified, registry.VerdictExpired, "", false},
		{"push works", auths("alice", "alice-pass-7Hq2"), true, Refuted, Refuted, registry.VerdictOK, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := map[string]string{}
			if tt.ci {
				extra["CI"] = "true"
			}
			before := len(srv.Requests())
			r := NewRunner(dockerEnv(t, tt.config, extra))
			res := r.Run(context.Background(), pushChecks, caps)
			if res[0].Kind != "creds" || res[1].Kind != "registry" {
				t.Fatalf("local checks must run first: %+v", res)
			}
			if res[0].Status != tt.creds || res[1].Status != tt.reg || res[1].Code != tt.regCode {
				t.Fatalf("creds %s, registry %s/%s; want %s, %s/%s\n%+v", res[0].Status, res[1].Status, res[1].Code, tt.creds, tt.reg, tt.regCode, res)
			}
			if tt.summary != "" && !strings.Contains(res[0].Summary, tt.summary) {
				t.Errorf("creds summary %q does not contain %q", res[0].Summary, tt.summary)
			}
			if n := len(srv.Requests()) - before; tt.noRequests && n != 0 {
				t.Errorf("%d requests reached the registry; a verified local check must stop the network checks", n)
			}
			out, _ := json.Marshal(res)
			for _, secret := range []string{"reader-pass-4Zt8", "wrong-pass-3Xy9", "stale-pass-2Wm5", "alice-pass-7Hq2"} {
				if strings.Contains(string(out), secret) {
					t.Errorf("%s leaked: %s", secret, out)
				}
			}
		})
	}
}

func TestRegistryOnlyToNamedHosts(t *testing.T) {
	srv, err := registrytest.New(registrytest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	env := dockerEnv(t, "", map[string]string{"CI": "true"})
	r := NewRunner(env)
	// A pack playbook with a literal host: not named by the evidence nor by --host.
	res := r.Run(context.Background(), []playbook.Check{{Kind: "registry", Args: map[string]string{"host": srv.Host}}}, map[string]string{"registry": "other.example"})
	if res[0].Status != Unknown || !strings.Contains(res[0].Reason, "not named by the evidence or by --host") {
		t.Fatalf("got %+v", res[0])
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests reached a host nobody named", n)
	}
	env.Hosts = []string{srv.Host}
	res = NewRunner(env).Run(context.Background(), []playbook.Check{{Kind: "registry", Args: map[string]string{"host": srv.Host}}}, nil)
	if res[0].Status == Unknown && strings.Contains(res[0].Reason, "not named") {
		t.Fatalf("--host must allow it: %+v", res[0])
	}
}

// tokenServer answers like an API: 200 for the good token, 401 otherwise, and records which
// Authorization headers it saw.
type tokenServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newTokenServer(good string) *tokenServer {
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ts.seen = append(ts.seen, r.Header.Get("Authorization"))
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") == "Bearer "+good {
			fmt.Fprint(w, `{"login":"ci-bot"}`)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"Bad credentials"}`)
	}))
	return ts
}

func TestProbe(t *testing.T) {
	const good = "good-token-7Yh3Kq9Lm2"
	srv := newTokenServer(good)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	caps := map[string]string{"url": srv.URL + "/user"}
	tests := []struct {
		name   string
		token  string
		hosts  string
		flag   []string
		want   Status
		code   string
		reason string
		sent   bool
	}{
		{"bad token: 401 verified", "bad-token-Pq4Wx8Zr1", host, nil, Verified, registry.ProbeUnauthenticated, "", true},
		{"good token: refuted", good, host, nil, Refuted, registry.ProbeOK, "", true},
		{"token never sent to a host it does not belong to", good, "api.github.example", nil, Unknown, "", "not sending $API_TOKEN to " + host, false},
		{"--host allows it", good, "api.github.example", []string{host}, Refuted, registry.ProbeOK, "", true},
		{"no token: nothing to test", "", host, nil, Unknown, "", "no credentials to test: $API_TOKEN is not set", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.mu.Lock()
			srv.seen = nil
			srv.mu.Unlock()
			vars := map[string]string{}
			if tt.token != "" {
				vars["API_TOKEN"] = tt.token
			}
			env := envMap(vars)
			env.Hosts = tt.flag
			res := NewRunner(env).Run(context.Background(), []playbook.Check{{Kind: "probe", Args: map[string]string{"url": "{{url}}", "env": "API_TOKEN", "hosts": tt.hosts}}}, caps)
			got := res[0]
			if got.Status != tt.want || got.Code != tt.code || !strings.Contains(got.Reason, tt.reason) {
				t.Fatalf("got %+v, want %s/%s %q", got, tt.want, tt.code, tt.reason)
			}
			srv.mu.Lock()
			sent := len(srv.seen) > 0
			srv.mu.Unlock()
			if sent != tt.sent {
				t.Fatalf("request sent = %v, want %v", sent, tt.sent)
			}
			out, _ := json.Marshal(res)
			if tt.token != "" && strings.Contains(string(out), tt.token) {
				t.Errorf("the token leaked: %s", out)
			}
		})
	}
}

func TestProbeNeverPlainHTTPToOtherHosts(t *testing.T) {
	env := envMap(map[string]string{"API_TOKEN": "some-token-Xc5Vb7"})
	res := NewRunner(env).Run(context.Background(), []playbook.Check{{Kind: "probe", Args: map[string]string{"url": "http://api.service.example/user", "env": "API_TOKEN", "hosts": "api.service.example"}}}, map[string]string{"url": "http://api.service.example/user"})
	if res[0].Status != Unknown || !strings.Contains(res[0].Reason, "over plain http") {
		t.Fatalf("got %+v", res[0])
	}
}

func TestSameCheckRunsOnce(t *testing.T) {
	srv := newTokenServer("x")
	defer srv.Close()
	env := envMap(map[string]string{"API_TOKEN": "bad-token-Pq4Wx8Zr1"})
	r := NewRunner(env)
	c := []playbook.Check{{Kind: "probe", Args: map[string]string{"url": "{{url}}", "env": "API_TOKEN", "hosts": strings.TrimPrefix(srv.URL, "http://")}}}
	caps := map[string]string{"url": srv.URL + "/user"}
	a := r.Run(context.Background(), c, caps)
	b := r.Run(context.Background(), c, caps)
	if a[0].Status != Verified || b[0].Status != Verified {
		t.Fatalf("got %+v %+v", a, b)
	}
	if len(srv.seen) != 1 {
		t.Fatalf("the same probe ran %d times", len(srv.seen))
	}
}

func TestScrub(t *testing.T) {
	env := envMap(map[string]string{"CI": "true", "TOKEN": "opaque-secret-value-42"})
	r := NewRunner(env)
	r.Run(context.Background(), []playbook.Check{{Kind: "env", Args: map[string]string{"var": "TOKEN"}}}, nil)
	if got := r.Scrub("before opaque-secret-value-42 after"); got != "before [REDACTED] after" {
		t.Fatalf("Scrub = %q", got)
	}
}
