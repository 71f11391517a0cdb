package registry

import (
	"encoding/base64"
	"testing"
	"time"
)

func jwtOf(header, claims string) string {
	e := base64.RawURLEncoding.EncodeToString
	return e([]byte(header)) + "." + e([]byte(claims)) + ".c2ln"
}

func TestDecodeToken(t *testing.T) {
	tests := []struct {
		name    string
		tok     string
		wantErr bool
		check   func(t *testing.T, i *TokenInfo)
	}{
		{name: "registry token", tok: jwtOf(`{"alg":"RS256"}`, `{"iss":"auth.example","sub":"alice","aud":"registry.example","exp":1900000000,"iat":1800000000,"access":[{"type":"repository","name":"alice/app","actions":["pull","push"]}]}`),
			check: func(t *testing.T, i *TokenInfo) {
				if i.Algorithm != "RS256" || i.Subject != "alice" || len(i.Audience) != 1 || i.Audience[0] != "registry.example" ||
					!i.Expires.Equal(time.Unix(1900000000, 0)) || !i.HasAccess || !i.Allows("alice/app", "pull", "push") || i.Allows("alice/app", "delete") || i.Allows("bob/app", "pull") {
					t.Errorf("%+v", i)
				}
			}},
		{name: "audience list, empty access", tok: jwtOf(`{"alg":"ES256"}`, `{"aud":["a","b"],"access":[]}`),
			check: func(t *testing.T, i *TokenInfo) {
				if len(i.Audience) != 2 || !i.HasAccess || len(i.Access) != 0 || !i.Expires.IsZero() {
					t.Errorf("%+v", i)
				}
			}},
		{name: "no access claim", tok: jwtOf(`{"alg":"HS256"}`, `{"exp":1.9e9}`),
			check: func(t *testing.T, i *TokenInfo) {
				if i.HasAccess || i.Expires.Unix() != 1900000000 {
					t.Errorf("%+v", i)
				}
			}},
		{name: "wildcard", tok: jwtOf(`{}`, `{"access":[{"type":"repository","name":"*","actions":["*"]}]}`),
			check: func(t *testing.T, i *TokenInfo) {
				if !i.Allows("any/repo", "push") {
					t.Errorf("%+v", i)
				}
			}},
		{name: "opaque token", tok: "dckr_pat_abcdefghijklmnopqrstuvwxyz1", wantErr: true},
		{name: "bad base64", tok: "a.b!.c", wantErr: true},
		{name: "claims not JSON", tok: jwtOf(`{}`, `nope`), wantErr: true},
		{name: "absurd exp ignored", tok: jwtOf(`{}`, `{"exp":1e300}`), check: func(t *testing.T, i *TokenInfo) {
			if !i.Expires.IsZero() {
				t.Errorf("exp %v", i.Expires)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i, err := DecodeToken(tc.tok)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v", err)
			}
			if tc.check != nil {
				tc.check(t, i)
			}
		})
	}
}

func TestExpiresIn(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := ExpiresIn(now.Add(90*time.Second), now); got != "expires in 1m30s (2025-01-01T00:01:30Z)" {
		t.Error(got)
	}
	if got := ExpiresIn(now.Add(-time.Hour), now); got != "EXPIRED 1h0m0s ago (2024-12-31T23:00:00Z)" {
		t.Error(got)
	}
	if got := ExpiresIn(time.Time{}, now); got != "no expiry claim" {
		t.Error(got)
	}
}

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct{ in, base, cred string }{
		{"ghcr.io", "https://ghcr.io", "ghcr.io"},
		{"docker.io", "https://registry-1.docker.io", "docker.io"},
		{"https://index.docker.io/v1/", "https://registry-1.docker.io", "docker.io"},
		{"localhost:5000", "http://localhost:5000", "localhost:5000"},
		{"127.0.0.1:5000", "http://127.0.0.1:5000", "127.0.0.1:5000"},
		{"https://127.0.0.1:5000", "https://127.0.0.1:5000", "127.0.0.1:5000"},
		{"Registry.Example.com:8443/v2/", "https://registry.example.com:8443", "registry.example.com:8443"},
		{"http://10.0.0.5:5000", "http://10.0.0.5:5000", "10.0.0.5:5000"},
	} {
		tg, err := ParseTarget(tc.in)
		if err != nil || tg.Base.String() != tc.base || tg.CredHost != tc.cred {
			t.Errorf("%s: %v %v", tc.in, tg, err)
		}
	}
}
