package ci

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCredentialNotForwardedAcrossOrigins(t *testing.T) {
	var got http.Header
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		io.WriteString(w, "log")
	}))
	defer other.Close()
	var first http.Header
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first = r.Header.Clone()
		http.Redirect(w, r, other.URL+"/signed?sig=1", http.StatusFound)
	}))
	defer api.Close()

	c := New(Options{})
	for _, header := range []string{"Authorization", "PRIVATE-TOKEN", "JOB-TOKEN", "Circle-Token"} {
		cred := &credential{env: "T", header: header, value: "secret-value", origin: mustOrigin(api.URL)}
		rc, _, err := c.stream(context.Background(), request{url: api.URL + "/logs", cred: cred}, "log")
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
		if first.Get(header) != "secret-value" {
			t.Errorf("%s: the API did not get the credential", header)
		}
		if got.Get(header) != "" {
			t.Errorf("%s forwarded to another origin", header)
		}
	}

	// Belt and braces: a credential header set on the request itself is dropped on a
	// cross-origin redirect too.
	req, _ := http.NewRequest(http.MethodGet, api.URL+"/logs", nil)
	req.Header.Set("Private-Token", "secret-value")
	resp, err := NewHTTPClient(DefaultTimeouts).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got.Get("Private-Token") != "" {
		t.Error("Private-Token forwarded by the redirect")
	}
}

func TestCredentialSameOriginRedirectKept(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusMovedPermanently)
			return
		}
		got = r.Header.Get("Authorization")
	}))
	defer srv.Close()
	c := New(Options{})
	cred := &credential{env: "T", header: "Authorization", value: "Bearer x", origin: mustOrigin(srv.URL)}
	resp, err := c.get(context.Background(), request{url: srv.URL + "/old", cred: cred})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got != "Bearer x" {
		t.Errorf("same-origin redirect lost the credential: %q", got)
	}
}

func TestPlainHTTPRefusedForCredentials(t *testing.T) {
	c := New(Options{})
	cred := &credential{env: "GH_TOKEN", header: "Authorization", value: "Bearer x", origin: "http://ci.example.invalid:80"}
	_, err := c.get(context.Background(), request{url: "http://ci.example.invalid/api", cred: cred})
	if err == nil || !strings.Contains(err.Error(), "refusing to send GH_TOKEN over plain http to ci.example.invalid: use an https URL") {
		t.Fatalf("err = %v", err)
	}
}

func TestRedirectRules(t *testing.T) {
	loops := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		loops++
		http.Redirect(w, r, "/again", http.StatusFound)
	}))
	defer srv.Close()
	c := New(Options{})
	_, err := c.get(context.Background(), request{url: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "stopped after 5 redirects") || loops != 6 {
		t.Errorf("err = %v after %d requests", err, loops)
	}

	https, _ := http.NewRequest(http.MethodGet, "https://api.example.invalid/logs", nil)
	plain, _ := http.NewRequest(http.MethodGet, "http://storage.example.invalid/log", nil)
	if err := checkRedirect(plain, []*http.Request{https}); err == nil || !strings.Contains(err.Error(), "refusing a redirect from https to plain http") {
		t.Errorf("downgrade: %v", err)
	}
}

func TestHeaderTimeout(t *testing.T) {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()
	defer close(done)
	c := New(Options{HTTP: NewHTTPClient(Timeouts{Connect: time.Second, TLS: time.Second, Header: 100 * time.Millisecond, Total: 10 * time.Second})})
	start := time.Now()
	_, err := c.get(context.Background(), request{url: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "did not answer in time") || time.Since(start) > 3*time.Second {
		t.Errorf("err = %v after %s", err, time.Since(start))
	}
}

func TestCappedReader(t *testing.T) {
	b, err := io.ReadAll(capped(strings.NewReader("0123456789"), 10, "the log"))
	if err != nil || string(b) != "0123456789" {
		t.Errorf("exactly the cap: %q %v", b, err)
	}
	b, err = io.ReadAll(capped(strings.NewReader("0123456789x"), 10, "the log"))
	if err == nil || err.Error() != "the log is larger than 0 MiB; stopped reading" || len(b) != 10 {
		t.Errorf("over the cap: %d bytes, %v", len(b), err)
	}
	b, err = io.ReadAll(capped(strings.NewReader(strings.Repeat("x", 3<<20)), 2<<20, "the answer"))
	if err == nil || err.Error() != "the answer is larger than 2 MiB; stopped reading" || len(b) != 2<<20 {
		t.Errorf("over the cap: %d bytes, %v", len(b), err)
	}
}

func TestJSONBodyCapped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"jobs": [`)
		chunk := strings.Repeat(`{"id": 1, "name": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},`, 1000)
		for i := 0; i*len(chunk) <= maxJSONBytes; i++ {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	var v struct{ Jobs []githubJob }
	_, err := New(Options{}).getJSON(context.Background(), request{url: srv.URL}, &v)
	if err == nil || !strings.Contains(err.Error(), "is larger than 32 MiB; stopped reading") {
		t.Errorf("err = %v", err)
	}
}

func TestNextLink(t *testing.T) {
	const cur = "https://api.github.com/repos/a/b/actions/runs/1/jobs?filter=latest&per_page=100"
	tests := []struct {
		link, want, err string
	}{
		{`<https://api.github.com/repos/a/b/actions/runs/1/jobs?filter=latest&per_page=100&page=2>; rel="next", <https://api.github.com/repos/a/b/actions/runs/1/jobs?filter=latest&per_page=100&page=3>; rel="last"`,
			"https://api.github.com/repos/a/b/actions/runs/1/jobs?filter=latest&per_page=100&page=2", ""},
		{`<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first"`, "", ""},
		{`</repos/a/b/actions/runs/1/jobs?page=2>; rel="next"`, "https://api.github.com/repos/a/b/actions/runs/1/jobs?page=2", ""},
		{`<https://elsewhere.example/jobs?page=2>; rel="next"`, "", "sent a next page on another host (elsewhere.example); not followed"},
		{"", "", ""},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.link != "" {
			h.Set("Link", tt.link)
		}
		got, err := nextLink(h, cur)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("nextLink(%q) = %q, %v; want %q, %q", tt.link, got, err, tt.want, tt.err)
		}
	}
}

func TestServerMessage(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`, "Bad credentials"},
		{`{"message":"404 Project Not Found"}`, "404 Project Not Found"},
		{`{"error":"invalid_token","error_description":"Token was revoked."}`, "invalid_token"},
		{`{"message":{"base":["x"]}}`, ""},
		{"Retry later\n", "Retry later"},
		{"<html><body>Bad gateway</body></html>", ""},
		{`{"message":"` + strings.Repeat("a", 300) + `"}`, strings.Repeat("a", 200) + "…"},
	}
	for _, tt := range tests {
		if got := serverMessage([]byte(tt.body)); got != tt.want {
			t.Errorf("serverMessage(%.40q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestNetErrorNamesHost(t *testing.T) {
	c := New(Options{})
	// A port nothing listens on, on loopback.
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	_, err := c.get(context.Background(), request{url: addr})
	if err == nil || !strings.HasPrefix(err.Error(), "request to "+strings.TrimPrefix(addr, "http://")+" failed: ") {
		t.Errorf("err = %v", err)
	}
	var he *HTTPError
	if errors.As(err, &he) {
		t.Errorf("a network error is no HTTPError")
	}
}

func TestApprox(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 0: "0s", 42 * time.Second: "42s", 59*time.Second + 600*time.Millisecond: "1m",
		12 * time.Minute: "12m", 12*time.Minute + 29*time.Second: "12m", time.Hour: "1h",
		2*time.Hour + 5*time.Minute + 10*time.Second: "2h5m",
	} {
		if got := approx(d); got != want {
			t.Errorf("approx(%s) = %q, want %q", d, got, want)
		}
	}
}
