package cli_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sleuth-ci/sleuth/internal/registry/registrytest"
)

// registryCmds are the testscript commands that start loopback registries and check what
// the CLI wrote.
var registryCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"registry-start": registryStart,
	"docker-auth":    dockerAuth,
	"oci-verify":     ociVerify,
	"closed-port":    closedPort,
	"http-fixture":   httpFixture,
	"tarball-verify": tarballVerify,
}

// registryStart starts a test registry on 127.0.0.1 for the rest of the script:
//
//	registry-start [-basic] [-token-elsewhere] NAME
//
// sets $NAME to its host:port and $NAME_DIGEST to the digest of alice/app:v1. Seeded:
// alice/app:v1, public/hello:latest, locked/app:v1 (403), limited/app:v1 (429). Accounts:
// registrytest.DefaultUsers.
func registryStart(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! registry-start")
	}
	var opts registrytest.Options
	var name string
	for _, a := range args {
		switch a {
		case "-basic":
			opts.Basic = true
		case "-token-elsewhere":
			opts.TokenElsewhere = true
		default:
			name = a
		}
	}
	if name == "" {
		ts.Fatalf("usage: registry-start [-basic] [-token-elsewhere] NAME")
	}
	s, err := registrytest.New(opts)
	ts.Check(err)
	ts.Defer(s.Close)
	img, err := s.Seed("alice/app", "v1")
	ts.Check(err)
	for _, r := range [][2]string{{"public/hello", "latest"}, {"locked/app", "v1"}, {"limited/app", "v1"}} {
		_, err := s.Seed(r[0], r[1])
		ts.Check(err)
	}
	d, err := img.Digest()
	ts.Check(err)
	ts.Setenv(name, s.Host)
	ts.Setenv(name+"_DIGEST", d.String())
}

// dockerAuth adds an auths entry to $DOCKER_CONFIG/config.json: docker-auth HOST USER PASSWORD.
func dockerAuth(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: docker-auth HOST USER PASSWORD")
	}
	dir := ts.Getenv("DOCKER_CONFIG")
	if dir == "" {
		ts.Fatalf("set DOCKER_CONFIG first")
	}
	ts.Check(os.MkdirAll(dir, 0o700))
	path := filepath.Join(dir, "config.json")
	cfg := map[string]any{}
	if b, err := os.ReadFile(path); err == nil {
		ts.Check(json.Unmarshal(b, &cfg))
	}
	auths, _ := cfg["auths"].(map[string]any)
	if auths == nil {
		auths = map[string]any{}
	}
	auths[args[0]] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(args[1] + ":" + args[2]))}
	cfg["auths"] = auths
	b, err := json.MarshalIndent(cfg, "", "  ")
	ts.Check(err)
	ts.Check(os.WriteFile(path, b, 0o600))
}

// ociVerify checks an OCI layout: oci-verify DIR DIGEST: the layout holds the image with
// that manifest digest, and every blob of it is present and matches its digest.
func ociVerify(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: oci-verify DIR DIGEST")
	}
	p, err := layout.FromPath(ts.MkAbs(args[0]))
	ts.Check(err)
	idx, err := p.ImageIndex()
	ts.Check(err)
	m, err := idx.IndexManifest()
	ts.Check(err)
	for _, d := range m.Manifests {
		if d.Digest.String() != args[1] {
			continue
		}
		img, err := p.Image(d.Digest)
		ts.Check(err)
		ts.Check(validate.Image(img))
		fmt.Fprintf(ts.Stdout(), "verified %s (%s)\n", d.Digest, d.Annotations["org.opencontainers.image.ref.name"])
		return
	}
	ts.Fatalf("no manifest %s in %s", args[1], args[0])
}

// closedPort sets $NAME to a 127.0.0.1 address where nothing listens: closed-port NAME.
func closedPort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: closed-port NAME")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	addr := ln.Addr().String()
	ts.Check(ln.Close())
	ts.Setenv(args[0], addr)
}

// The fixture token of http-fixture (test data, not a secret).
const fixtureToken = "fixture-token-Qm4Lp8"

// httpFixture starts an HTTP server on 127.0.0.1 answering the way GitHub's API and
// registries do, for sleuth probe: http-fixture NAME sets $NAME to its base URL.
func httpFixture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: http-fixture NAME")
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		state := "absent"
		if r.Header.Get("Authorization") != "" {
			state = "present"
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"message":"other host: authorization %s"}`, state)
	}))
	ts.Defer(other.Close)
	jsonMsg := func(w http.ResponseWriter, status int, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"message":%q}`, msg)
	}
	mux := http.NewServeMux()
	bearer := func(r *http.Request) string { return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") }
	mux.HandleFunc("/user", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-GitHub-Request-Id", "AB12:3456")
		switch bearer(r) {
		case "":
			jsonMsg(w, 401, "Requires authentication")
		case fixtureToken:
			w.Header().Set("X-OAuth-Scopes", "repo, read:org")
			w.Header().Set("X-Accepted-OAuth-Scopes", "")
			w.Header().Set("GitHub-Authentication-Token-Expiration", time.Now().Add(30*24*time.Hour).UTC().Format("2006-01-02 15:04:05 MST"))
			jsonMsg(w, 200, "ok")
		default:
			jsonMsg(w, 401, "Bad credentials")
		}
	})
	mux.HandleFunc("/expired", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("GitHub-Authentication-Token-Expiration", "2024-01-02 03:04:05 UTC")
		jsonMsg(w, 401, "Bad credentials")
	})
	mux.HandleFunc("/orgs/acme", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-GitHub-SSO", "required; url=https://github.example/orgs/acme/sso?authorization_request=XYZ")
		jsonMsg(w, 403, "Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.")
	})
	mux.HandleFunc("/orgs/acme/hooks", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-OAuth-Scopes", "repo, read:org")
		w.Header().Set("X-Accepted-OAuth-Scopes", "admin:org_hook")
		jsonMsg(w, 403, "Must have admin rights to Repository.")
	})
	mux.HandleFunc("/rate", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-GitHub-Request-Id", "AB12:3457")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", "1900000000")
		jsonMsg(w, 403, "API rate limit exceeded for user ID 1.")
	})
	mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://auth.example/token",service="registry.example",error="invalid_token",error_description="token is expired"`)
		jsonMsg(w, 401, "authentication required")
	})
	mux.HandleFunc("/basic", func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "ci-bot" || p != fixtureToken {
			w.Header().Set("WWW-Authenticate", `Basic realm="Artifacts"`)
			jsonMsg(w, 401, "HTTP Basic: Access denied")
			return
		}
		jsonMsg(w, 200, "ok")
	})
	mux.HandleFunc("/api/v4/user", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Private-Token") != fixtureToken {
			jsonMsg(w, 401, "401 Unauthorized")
			return
		}
		jsonMsg(w, 200, "ok")
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL)
}

// tarballVerify checks a docker-load tarball: tarball-verify FILE TAG: the image named TAG is
// in it and valid.
func tarballVerify(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tarball-verify FILE TAG")
	}
	tag, err := name.NewTag(args[1])
	ts.Check(err)
	img, err := tarball.ImageFromPath(ts.MkAbs(args[0]), &tag)
	ts.Check(err)
	ts.Check(validate.Image(img))
	fmt.Fprintf(ts.Stdout(), "verified tarball image %s\n", tag)
}
