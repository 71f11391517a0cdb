package cred

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// jwtWith builds an unsigned-looking but well-formed JWT with the given claims.
func jwtWith(alg string, claims map[string]any) string {
	h, _ := json.Marshal(map[string]any{"alg": alg, "typ": "JWT"})
	p, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p) + ".c2lnbmF0dXJlLXNpZ25hdHVyZQ"
}

func TestResolve(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	expiredJWT := jwtWith("RS256", map[string]any{"iss": "https://login.example", "exp": now.Add(-time.Hour).Unix()})
	validJWT := jwtWith("RS256", map[string]any{"iss": "https://login.example", "exp": now.Add(time.Hour).Unix()})

	type tc struct {
		name       string
		setup      func(te *testEnv)
		host       string
		wantHost   string
		wantSource string // prefix
		wantUser   string
		wantSecret string
		wantIDTok  string
		wantKinds  []string // exactly these kinds, in order
		wantMsg    []string // substrings of some problem message
	}
	cases := []tc{
		{
			name:       "nothing configured is anonymous",
			setup:      func(te *testEnv) {},
			host:       "ghcr.io",
			wantSource: "anonymous",
		},
		{
			name: "auths with a plain host key",
			setup: func(te *testEnv) {
				te.dockerConfig(`{"auths":{"ghcr.io":{"auth":"` + b64("alice:"+plantGitHub) + `"}}}`)
			},
			host: "ghcr.io", wantSource: "auths (", wantUser: "alice", wantSecret: plantGitHub,
			wantKinds: []string{KindPlainText},
		},
		{
			name: "DOCKER_CONFIG is honoured",
			setup: func(te *testEnv) {
				te.dockerConfig(`{"auths":{"ghcr.io":{"auth":"` + b64("wrong:"+plantPass) + `"}}}`)
				p := te.write("alt/config.json", `{"auths":{"ghcr.io":{"auth":"`+b64("alice:"+plantGitHub)+`"}}}`, 0o600)
				te.vars["DOCKER_CONFIG"] = filepath.Dir(p)
			},
			host: "ghcr.io", wantSource: "auths (", wantUser: "alice", wantSecret: plantGitHub,
			wantKinds: []string{KindPlainText}, wantMsg: []string{"/alt/config.json"},
		},
		{
			name: "DOCKER_AUTH_CONFIG comes first",
			setup: func(te *testEnv) {
				te.vars["DOCKER_AUTH_CONFIG"] = `{"auths":{"ghcr.io":{"auth":"` + b64("envuser:"+plantEnvAuth) + `"}}}`
				te.dockerConfig(`{"auths":{"ghcr.io":{"auth":"` + b64("alice:"+plantGitHub) + `"}}}`)
			},
			host: "ghcr.io", wantSource: "DOCKER_AUTH_CONFIG", wantUser: "envuser", wantSecret: plantEnvAuth,
			wantKinds: []string{KindShadowed},
		},
		{
			name: "DOCKER_AUTH_CONFIG with unknown fields is ignored",
			setup: func(te *testEnv) {
				te.vars["DOCKER_AUTH_CONFIG"] = `{"credsStore":"desktop","auths":{"ghcr.io":{"auth":"` + b64("envuser:"+plantEnvAuth) + `"}}}`
				te.dockerConfig(`{"auths":{"ghcr.io":{"auth":"` + b64("alice:"+plantGitHub) + `"}}}`)
			},
			host: "ghcr.io", wantSource: "auths (", wantUser: "alice",
			wantKinds: []string{KindMalformedConfig, KindPlainText}, wantMsg: []string{`unknown field "credsStore"`},
		},
		{
			name: "DOCKER_AUTH_CONFIG keys are exact: docker.io is not Docker Hub's key",
			setup: func(te *testEnv) {
				te.vars["DOCKER_AUTH_CONFIG"] = `{"auths":{"docker.io":{"auth":"` + b64("envuser:"+plantEnvAuth) + `"}}}`
			},
			host: "docker.io", wantSource: "anonymous",
			wantKinds: []string{KindKeyMismatch}, wantMsg: []string{`"https://index.docker.io/v1/"`},
		},
		{
			name: "credHelpers beats credsStore and auths",
			setup: func(te *testEnv) {
				te.helper("gcloud", staticScript("oauth2accesstoken", plantHelper))
				te.helper("other", staticScript("nobody", plantPass))
				te.dockerConfig(`{"credsStore":"other","credHelpers":{"gcr.io":"gcloud"},"auths":{"gcr.io":{"auth":"` + b64("alice:"+plantGitHub) + `"}}}`)
			},
			host: "gcr.io", wantSource: "credHelpers (docker-credential-gcloud)", wantUser: "oauth2accesstoken", wantSecret: plantHelper,
			wantKinds: []string{KindShadowedAuths},
		},
		{
			name: "credsStore beats auths",
			setup: func(te *testEnv) {
				te.helper("desktop", staticScript("bob", plantHelper))
				te.dockerConfig(`{"credsStore":"desktop","auths":{"ghcr.io":{"auth":"` + b64("alice:"+plantGitHub) + `"}}}`)
			},
			host: "ghcr.io", wantSource: "credsStore (docker-credential-desktop)", wantUser: "bob", wantSecret: plantHelper,
			wantKinds: []string{KindShadowedAuths}, wantMsg: []string{"answers first"},
		},
		{
			name: "helper says not found: the auths entry is shadowed and unused",
			setup: func(te *testEnv) {
				te.helper("fake", notFoundScript)
				te.dockerConfig(`{"credsStore":"fake","auths":{"ghcr.io":{"auth":"` + b64("alice:"+plantGitHub) + `"}}}`)
			},
			host: "ghcr.io", wantSource: "anonymous",
			wantKinds: []string{KindShadowedAuths}, wantMsg: []string{"Docker never reads it", "docker login ghcr.io"},
		},
		{
			name: "leftover credsStore desktop without the binary",
			setup: func(te *testEnv) {
				te.dockerConfig(`{"credsStore":"desktop","auths":{"https://index.docker.io/v1/":{}}}`)
			},
			host: "docker.io", wantSource: "anonymous",
			wantKinds: []string{KindHelperMissing}, wantMsg: []string{"docker-credential-desktop is not on PATH", "leftover from Docker Desktop"},
		},
		{
			name: "helper that fails without D-Bus, stderr redacted",
			setup: func(te *testEnv) {
				te.helper("secretservice", dbusScript)
				te.dockerConfig(`{"credsStore":"secretservice"}`)
			},
			host: "ghcr.io", wantSource: "anonymous",
			wantKinds: []string{KindHelperFailed},
			wantMsg:   []string{"Cannot autolaunch D-Bus without X11 $DISPLAY", "stderr: debug: using token [REDACTED", "headless runner"},
		},
		{
			name: "helper that prints garbage",
			setup: func(te *testEnv) {
				te.helper("junk", garbageScript)
				te.dockerConfig(`{"credHelpers":{"ghcr.io":"junk"}}`)
			},
			host: "ghcr.io", wantSource: "anonymous",
			wantKinds: []string{KindHelperFailed}, wantMsg: []string{"docker-credential-junk get failed: invalid character"},
		},
		{
			name: "helper returning an identity token",
			setup: func(te *testEnv) {
				te.helper("acr", staticScript("<token>", validJWT))
				te.dockerConfig(`{"credHelpers":{"myreg.azurecr.io":"acr"}}`)
			},
			host: "myreg.azurecr.io", wantSource: "credHelpers (docker-credential-acr)", wantIDTok: validJWT,
			wantKinds: []string{KindIdentityToken},
		},
		{
			name: "auths identity token that expired",
			setup: func(te *testEnv) {
				te.dockerConfig(`{"auths":{"myreg.azurecr.io":{"auth":"` + b64("00000000-0000-0000-0000-000000000000:") + `","identitytoken":"` + expiredJWT + `"}}}`)
			},
			host: "myreg.azurecr.io", wantSource: "auths (", wantUser: "00000000-0000-0000-0000-000000000000", wantIDTok: expiredJWT,
			wantKinds: []string{KindIdentityToken, KindTokenExpired}, wantMsg: []string{"expired 1h00m ago"},
		},
		{
			name: "URL-style key resolves for the host, with a note",
			setup: func(te *testEnv) {
				te.dockerConfig(`{"auths":{"https://registry.example.com/v2/":{"auth":"` + b64("carol:"+plantPass) + `"}}}`)
			},
			host: "registry.example.com", wantSource: "auths (", wantUser: "carol", wantSecret: plantPass,
			wantKinds: []string{KindKeyFormat, KindPlainText},
		},
		{
			name: "host given as a URL is normalized",
			setup: func(te *testEnv) {
				te.dockerConfig(`{"auths":{"registry.example.com":{"auth":"` + b64("carol:"+plantPass) + `"}}}`)
			},
			host: "https://registry.example.com/v2/", wantHost: "registry.example.com", wantSource: "auths (", wantUser: "carol",
			wantKinds: []string{KindPlainText},
		},
		{
			name: "Docker Hub under docker.io is never used",
			setup: func(te *testEnv) {
				te.dockerConfig(`{"auths":{"docker.io":{"auth":"` + b64("dave:"+plantPass) + `"}}}`)
			},
			host: "docker.io", wantSource: "anonymous",
			wantKinds: []string{KindKeyMismatch}, wantMsg: []string{`auths key "docker.io"`, `"https://index.docker.io/v1/"`},
		},
		{
			name: "Docker Hub without the trailing slash is never used",
			setup: func(te *testEnv) {
				te.dockerConfig(`{"auths":{"https://index.docker.io/v1":{"auth":"` + b64("dave:"+plantPass) + `"}}}`)
			},
			host: "index.docker.io", wantHost: "docker.io", wantSource: "anonymous",
			wantKinds: []string{KindKeyMismatch},
		},
		{
			name: "Docker Hub canonical key answers for every Docker Hub name",
			setup: func(te *testEnv) {
				te.dockerConfig(`{"auths":{"https://index.docker.io/v1/":{"auth":"` + b64("dave:"+plantPass) + `"}}}`)
			},
			host: "registry-1.docker.io", wantHost: "docker.io", wantSource: "auths (", wantUser: "dave",
			wantKinds: []string{KindPlainText},
		},
		{
			name: "key differing in case is not used by Docker",
			setup: func(te *testEnv) {
				te.dockerConfig(`{"auths":{"Registry.Example.com":{"auth":"` + b64("carol:"+plantPass) + `"}}}`)
			},
			host: "registry.example.com", wantSource: "anonymous",
			wantKinds: []string{KindKeyMismatch}, wantMsg: []string{"case or port differ"},
		},
		{
			name: "credHelpers keys are exact",
			setup: func(te *testEnv) {
				te.helper("gcloud", staticScript("oauth2accesstoken", plantHelper))
				te.dockerConfig(`{"credHelpers":{"https://gcr.io":"gcloud"}}`)
			},
			host: "gcr.io", wantSource: "anonymous",
			wantKinds: []string{KindKeyMismatch}, wantMsg: []string{`credHelpers key "https://gcr.io"`},
		},
		{
			name: "malformed JSON names the line",
			setup: func(te *testEnv) {
				te.dockerConfig("{\n  \"auths\": {\n    \"ghcr.io\": {\"auth\": \"" + b64("alice:"+plantGitHub) + "\"},\n  }\n}\n")
			},
			host: "ghcr.io", wantSource: "anonymous",
			wantKinds: []string{KindMalformedConfig}, wantMsg: []string{"config.json:4:3: invalid JSON"},
		},
		{
			name: "truncated JSON",
			setup: func(te *testEnv) {
				te.dockerConfig("{\n  \"auths\": {\n")
			},
			host: "ghcr.io", wantSource: "anonymous",
			wantKinds: []string{KindMalformedConfig}, wantMsg: []string{"unexpected end of file"},
		},
		{
			name: "one bad auth field breaks the whole file",
			setup: func(te *testEnv) {
				te.dockerConfig("{\"auths\": {\n\"ghcr.io\": {\"auth\": \"" + b64("alice:"+plantGitHub) + "\"},\n\"quay.io\": {\"auth\": \"" + plantPass + "\"}\n}}")
			},
			host: "ghcr.io", wantSource: "anonymous",
			wantKinds: []string{KindMalformedConfig}, wantMsg: []string{`:3: auths["quay.io"].auth is not base64`, "every registry fails"},
		},
		{
			name: "auth without a colon",
			setup: func(te *testEnv) {
				te.dockerConfig(`{"auths":{"ghcr.io":{"auth":"` + b64(plantGitHub) + `"}}}`)
			},
			host: "ghcr.io", wantSource: "anonymous",
			wantKinds: []string{KindMalformedConfig}, wantMsg: []string{"without a ':'"},
		},
		{
			name: "empty marker and no helper",
			setup: func(te *testEnv) {
				te.dockerConfig(`{"auths":{"https://index.docker.io/v1/":{}}}`)
			},
			host: "docker.io", wantSource: "anonymous",
			wantKinds: []string{KindEmptyEntry}, wantMsg: []string{"run `docker login ` again"},
		},
		{
			name: "docker CLI default store detection on a headless runner",
			setup: func(te *testEnv) {
				te.helper("secretservice", dbusScript)
			},
			host: "ghcr.io", wantSource: "anonymous",
			wantKinds: []string{KindDefaultStore, KindHelperFailed}, wantMsg: []string{"(missing) names no credential store"},
		},
		{
			name: "REGISTRY_AUTH_FILE when Docker has nothing",
			setup: func(te *testEnv) {
				te.vars["REGISTRY_AUTH_FILE"] = te.write("podman/auth.json", `{"auths":{"quay.io":{"auth":"`+b64("robot+ci:"+plantPass)+`"}}}`, 0o600)
			},
			host: "quay.io", wantSource: "auths (", wantUser: "robot+ci", wantSecret: plantPass,
			wantKinds: []string{KindOtherToolsDiffer}, wantMsg: []string{"podman/auth.json", "the docker CLI does not read"},
		},
		{
			name: "XDG_RUNTIME_DIR containers auth.json, Docker Hub alias key",
			setup: func(te *testEnv) {
				te.write("run/containers/auth.json", `{"auths":{"docker.io":{"auth":"`+b64("erin:"+plantPass)+`"}}}`, 0o600)
			},
			host: "docker.io", wantSource: "auths (", wantUser: "erin",
			wantKinds: []string{KindOtherToolsDiffer},
		},
		{
			name: "Docker config answers before containers auth.json",
			setup: func(te *testEnv) {
				te.write("run/containers/auth.json", `{"auths":{"quay.io":{"auth":"`+b64("robot:"+plantPass)+`"}}}`, 0o600)
				te.dockerConfig(`{"auths":{"quay.io":{"auth":"` + b64("alice:"+plantGitHub) + `"}}}`)
			},
			host: "quay.io", wantSource: "auths (", wantUser: "alice",
			wantKinds: []string{KindPlainText},
		},
		{
			name: "sleuth store when Docker has nothing",
			setup: func(te *testEnv) {
				te.write("home/.config/sleuth/credentials.json", `{"version":1,"registries":{"ghcr.io":{"username":"frank","secret":"`+plantStore+`"}}}`, 0o600)
			},
			host: "ghcr.io", wantSource: "sleuth store (", wantUser: "frank", wantSecret: plantStore,
		},
		{
			name: "sleuth store shadowed by Docker",
			setup: func(te *testEnv) {
				te.write("home/.config/sleuth/credentials.json", `{"version":1,"registries":{"ghcr.io":{"username":"frank","secret":"`+plantStore+`"}}}`, 0o600)
				te.dockerConfig(`{"auths":{"ghcr.io":{"auth":"` + b64("alice:"+plantGitHub) + `"}}}`)
			},
			host: "ghcr.io", wantSource: "auths (", wantUser: "alice",
			wantKinds: []string{KindPlainText, KindShadowed}, wantMsg: []string{`user frank,`},
		},
		{
			name: "sleuth store used when the Docker helper is missing",
			setup: func(te *testEnv) {
				te.write("home/.config/sleuth/credentials.json", `{"version":1,"registries":{"ghcr.io":{"username":"frank","secret":"`+plantStore+`"}}}`, 0o600)
				te.dockerConfig(`{"credsStore":"desktop"}`)
			},
			host: "ghcr.io", wantSource: "sleuth store (", wantUser: "frank",
			wantKinds: []string{KindHelperMissing},
		},
		{
			name: "corrupted sleuth store is reported",
			setup: func(te *testEnv) {
				te.write("home/.config/sleuth/credentials.json", `{"version":1,"registries":{`, 0o600)
			},
			host: "ghcr.io", wantSource: "anonymous",
			wantKinds: []string{KindStoreUnreadable}, wantMsg: []string{"is corrupted"},
		},
		{
			name: "world-readable file is flagged",
			setup: func(te *testEnv) {
				te.write("home/.docker/config.json", `{"auths":{"ghcr.io":{"auth":"`+b64("alice:"+plantGitHub)+`"}}}`, 0o644)
			},
			host: "ghcr.io", wantSource: "auths (", wantUser: "alice",
			wantKinds: []string{KindPlainText, KindInsecureFile}, wantMsg: []string{"chmod 600"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			te := newTestEnv(t)
			c.setup(te)
			r, err := Resolve(context.Background(), c.host, te.env())
			if err != nil {
				t.Fatal(err)
			}
			text := resolutionText(r)
			wantHost := c.wantHost
			if wantHost == "" {
				wantHost = c.host
			}
			if r.Host != wantHost {
				t.Errorf("Host = %q, want %q", r.Host, wantHost)
			}
			if !strings.HasPrefix(r.Source, c.wantSource) {
				t.Errorf("Source = %q, want prefix %q\n%s", r.Source, c.wantSource, text)
			}
			if c.wantSource == "anonymous" && r.Credential != nil {
				t.Errorf("anonymous with a credential")
			}
			if c.wantUser != "" || c.wantSecret != "" || c.wantIDTok != "" {
				if r.Credential == nil {
					t.Fatalf("no credential: %s", text)
				}
				if r.Credential.Username != c.wantUser && c.wantUser != "" {
					t.Errorf("Username = %q, want %q", r.Credential.Username, c.wantUser)
				}
				if c.wantSecret != "" && r.Credential.Secret != c.wantSecret {
					t.Errorf("Secret differs")
				}
				if c.wantIDTok != "" && r.Credential.IdentityToken != c.wantIDTok {
					t.Errorf("IdentityToken differs")
				}
			}
			var kinds []string
			for _, p := range r.Problems {
				kinds = append(kinds, p.Kind)
			}
			if !slices.Equal(kinds, c.wantKinds) {
				t.Errorf("problem kinds = %v, want %v\n%s", kinds, c.wantKinds, text)
			}
			for _, m := range c.wantMsg {
				if !strings.Contains(text, m) {
					t.Errorf("no problem mentions %q:\n%s", m, text)
				}
			}
			assertNoSecrets(t, "resolution", text)
			if strings.Contains(text, expiredJWT) || strings.Contains(text, validJWT) {
				t.Errorf("resolution leaks a JWT: %s", text)
			}
		})
	}
}

func TestResolveHelperTimeout(t *testing.T) {
	te := newTestEnv(t)
	te.helper("slow", hangScript)
	te.dockerConfig(`{"credsStore":"slow"}`)
	env := te.env()
	env.HelperTimeout = 300 * time.Millisecond
	start := time.Now()
	r, err := Resolve(context.Background(), "ghcr.io", env)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Resolve took %s with a 300ms helper timeout", d)
	}
	if len(r.Problems) != 1 || r.Problems[0].Kind != KindHelperTimeout {
		t.Fatalf("problems = %+v, want one helper-timeout", r.Problems)
	}
	if !strings.Contains(r.Problems[0].Message, "docker-credential-slow get timed out after 300ms") {
		t.Errorf("message = %q", r.Problems[0].Message)
	}
	if r.Source != Anonymous {
		t.Errorf("Source = %q", r.Source)
	}
}

func TestResolveCancelled(t *testing.T) {
	te := newTestEnv(t)
	te.helper("slow", hangScript)
	te.dockerConfig(`{"credsStore":"slow"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := Resolve(ctx, "ghcr.io", te.env()); err == nil {
		t.Fatal("Resolve with a cancelled context returned no error")
	}
}

func TestResolveEmptyHost(t *testing.T) {
	if _, err := Resolve(context.Background(), " ", Env{}); err == nil {
		t.Fatal("want an error for an empty host")
	}
}

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"docker.io":                        "docker.io",
		"index.docker.io":                  "docker.io",
		"registry-1.docker.io":             "docker.io",
		"https://index.docker.io/v1/":      "docker.io",
		"https://registry.example.com/v2/": "registry.example.com",
		"registry.example.com:5000":        "registry.example.com:5000",
		"http://127.0.0.1:5000":            "127.0.0.1:5000",
		"GHCR.io":                          "ghcr.io",
		"quay.io/org/repo":                 "quay.io",
		"[::1]:5000":                       "[::1]:5000",
	} {
		if got := NormalizeHost(in); got != want {
			t.Errorf("NormalizeHost(%q) = %q, want %q", in, got, want)
		}
	}
	if AuthKey("docker.io") != DockerHubKey || AuthKey("ghcr.io") != "ghcr.io" {
		t.Error("AuthKey")
	}
}

func TestDescribe(t *testing.T) {
	jwt := jwtWith("RS256", map[string]any{"exp": 1})
	cases := []struct {
		c    *Credential
		want string
	}{
		{&Credential{Username: "alice", Secret: "0123456789abcdef01234567"}, `user alice, password (24 chars)`},
		{&Credential{Username: "alice", Secret: plantGitHub}, `user alice, password (40 chars, GitHub classic personal access token)`},
		{&Credential{IdentityToken: jwt}, "identity token (JWT, " + itoaTest(len(jwt)) + " chars)"},
		{&Credential{Username: plantGitHub, Secret: "x"}, "user (hidden: the username looks like a GitHub classic personal access token, 40 chars), password (1 chars)"},
		{&Credential{RegistryToken: "abc"}, "registry token (3 chars)"},
		{&Credential{}, "no secret"},
		{nil, "none"},
	}
	for _, c := range cases {
		got := c.c.Describe()
		if got != c.want {
			t.Errorf("Describe() = %q, want %q", got, c.want)
		}
		assertNoSecrets(t, "Describe", got)
	}
}

func itoaTest(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestParseDockerAuthConfig(t *testing.T) {
	cases := []struct {
		in      string
		wantErr string
		user    string
	}{
		{`{"auths":{"ghcr.io":{"auth":"` + b64("u:"+plantEnvAuth) + `"}}}`, "", "u"},
		{`{"auths":{"ghcr.io":{"auth":"` + b64("u:p") + `"}}}{"auths":{}}`, "more than one JSON object", ""},
		{`{"auths":{"ghcr.io":{"username":"u","password":"` + plantEnvAuth + `"}}}`, `unknown field "username"`, ""},
		{`{"auths":{"ghcr.io":{}}}`, "missing key `auth` for ghcr.io", ""},
		{`{"auths":{"ghcr.io":{"auth":"!!!"}}}`, "is not base64", ""},
		{`{"auths":`, "unexpected EOF", ""},
		{`{"auths": x}`, "not valid JSON at byte", ""},
	}
	for _, c := range cases {
		m, err := ParseDockerAuthConfig(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseDockerAuthConfig(%.40q) error = %v, want %q", c.in, err, c.wantErr)
			}
			if err != nil {
				assertNoSecrets(t, "error", err.Error())
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseDockerAuthConfig: %v", err)
			continue
		}
		if m["ghcr.io"].Username != c.user {
			t.Errorf("user = %q", m["ghcr.io"].Username)
		}
	}
}

func TestScan(t *testing.T) {
	te := newTestEnv(t)
	te.helper("store", fileHelperScript(filepath.Join(te.root, "helperdata")))
	te.dockerConfig(`{"credsStore":"store","credHelpers":{"gcr.io":"gcloud"},"auths":{"https://index.docker.io/v1/":{},"https://registry.example.com/v2/":{"auth":"` + b64("u:"+plantPass) + `"}}}`)
	te.vars["DOCKER_AUTH_CONFIG"] = `{"auths":{"env.example.com":{"auth":"` + b64("u:"+plantEnvAuth) + `"}}}`
	te.write("run/containers/auth.json", `{"auths":{"quay.io":{"auth":"`+b64("robot:"+plantPass)+`"}}}`, 0o600)
	te.write("home/.config/sleuth/credentials.json", `{"version":1,"registries":{"sleuth.example.com":{"username":"frank","secret":"`+plantStore+`"}}}`, 0o600)
	// The credsStore helper lists one more host.
	h := te.env().WithDefaults().findHelper("store")
	if err := h.Store(context.Background(), "helper.example.com", "hu", plantHelper); err != nil {
		t.Fatal(err)
	}
	inv := Scan(context.Background(), te.env())
	want := []string{"docker.io", "env.example.com", "gcr.io", "helper.example.com", "quay.io", "registry.example.com", "sleuth.example.com"}
	if !slices.Equal(inv.Hosts, want) {
		t.Errorf("hosts = %v, want %v", inv.Hosts, want)
	}
	var states []string
	for _, l := range inv.Locations {
		states = append(states, l.Name+"="+l.State)
	}
	wantStates := []string{"docker config=found", "DOCKER_AUTH_CONFIG=set", "containers auth=found", "containers auth=missing", "sleuth store=found"}
	if !slices.Equal(states, wantStates) {
		t.Errorf("locations = %v, want %v", states, wantStates)
	}
	b, _ := json.Marshal(inv)
	assertNoSecrets(t, "inventory", string(b))
}
