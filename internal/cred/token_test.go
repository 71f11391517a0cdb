package cred

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	rep := strings.Repeat
	cases := []struct {
		in, id    string
		malformed bool
	}{
		{"ghp_" + rep("a1B2", 9), "github-classic-pat", false},
		{"ghp_" + rep("a", 35), "github-classic-pat", true},
		{"ghp_" + rep("a", 36) + "\n", "github-classic-pat", false}, // classified on the trimmed value
		{"gho_" + rep("Z", 36), "github-oauth", false},
		{"ghu_" + rep("Z", 36), "github-app-user", false},
		{"ghs_" + rep("Z", 36), "github-app-installation", false},
		{"ghr_" + rep("Z", 36), "github-refresh", false},
		{"github_pat_" + rep("A", 22) + "_" + rep("b", 59), "github-fine-grained-pat", false},
		{"glpat-" + rep("x", 20), "gitlab-pat", false},
		{"glpat-short", "gitlab-pat", true},
		{"glcbt-64_" + rep("x", 20), "gitlab-ci-job-token", false},
		{"npm_" + rep("a", 36), "npm", false},
		{"npm_" + rep("a", 30), "npm", true},
		{"pypi-AgEIcHlwaS5vcmc" + rep("A", 60), "pypi", false},
		{"AKIA" + rep("Q", 16), "aws-access-key-id", false},
		{"ASIA" + rep("Q", 16), "aws-temporary-access-key-id", false},
		{"AKIA" + rep("Q", 15), "aws-access-key-id", true},
		{"xoxb-1234567890-1234567890-abc", "slack-bot", false},
		{"xoxp-1-2-3", "slack-user", false},
		{"dckr_pat_" + rep("a", 27), "dockerhub-pat", false},
		{"dckr_pat_short", "dockerhub-pat", true},
		{"dckr_oat_" + rep("a", 32), "dockerhub-oat", false},
		{rep("a", 42) + "+ACR" + rep("b", 6), "acr-admin-password", false},
		{jwtWith("RS256", map[string]any{"sub": "x"}), "jwt", false},
		{"eyJhbGciOi.eyJzdWIi.sig", "", false}, // JWT-shaped but not decodable
		{"hunter2", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		k := Classify(c.in)
		if k.ID != c.id || k.Malformed != c.malformed {
			t.Errorf("Classify(%.30q) = %q malformed=%v, want %q malformed=%v", c.in, k.ID, k.Malformed, c.id, c.malformed)
		}
		if k.Note != "" && strings.Contains(k.Note, c.in) {
			t.Errorf("note quotes the value: %s", k.Note)
		}
	}
}

func TestDecodeJWT(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	enc := base64.RawURLEncoding.EncodeToString
	cases := []struct {
		name, in                  string
		wantErr                   string
		alg, iss, sub             string
		aud                       []string
		expired, notYet, unsigned bool
	}{
		{name: "full", in: jwtWith("ES256", map[string]any{"iss": "https://token.actions.githubusercontent.com", "sub": "repo:o/r:ref:refs/heads/main", "aud": "sts.amazonaws.com", "exp": now.Add(time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix()}),
			alg: "ES256", iss: "https://token.actions.githubusercontent.com", sub: "repo:o/r:ref:refs/heads/main", aud: []string{"sts.amazonaws.com"}},
		{name: "expired, aud list", in: jwtWith("RS256", map[string]any{"aud": []any{"a", "b"}, "exp": now.Add(-time.Second).Unix()}), alg: "RS256", aud: []string{"a", "b"}, expired: true},
		{name: "exp equal to now is expired", in: jwtWith("RS256", map[string]any{"exp": now.Unix()}), alg: "RS256", expired: true},
		{name: "not yet valid", in: jwtWith("RS256", map[string]any{"nbf": now.Add(time.Hour).Unix()}), alg: "RS256", notYet: true},
		{name: "alg none, empty signature", in: enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{"sub":"x"}`)) + ".", alg: "none", sub: "x", unsigned: true},
		{name: "fractional exp", in: enc([]byte(`{"alg":"HS256"}`)) + "." + enc([]byte(`{"exp":1.5e9}`)) + ".sig", alg: "HS256", expired: true},
		{name: "padded base64", in: base64.URLEncoding.EncodeToString([]byte(`{"alg":"HS256"}`)) + "." + base64.URLEncoding.EncodeToString([]byte(`{"a":1}`)) + ".s", alg: "HS256"},
		{name: "two parts", in: "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ", wantErr: "3"},
		{name: "header not base64", in: "e!J.eyJhIjoxfQ.s", wantErr: "header is not base64url"},
		{name: "header not JSON", in: enc([]byte("hello")) + "." + enc([]byte(`{}`)) + ".s", wantErr: "header is not a JSON object"},
		{name: "no alg", in: enc([]byte(`{"typ":"JWT"}`)) + "." + enc([]byte(`{}`)) + ".s", wantErr: `no "alg"`},
		{name: "payload array", in: enc([]byte(`{"alg":"HS256"}`)) + "." + enc([]byte(`[1]`)) + ".s", wantErr: "payload is not a JSON object"},
		{name: "trailing data", in: enc([]byte(`{"alg":"HS256"}{}`)) + "." + enc([]byte(`{}`)) + ".s", wantErr: "trailing data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j, err := DecodeJWT(c.in)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if j.Alg != c.alg || j.Issuer != c.iss || j.Subject != c.sub || strings.Join(j.Audience, ",") != strings.Join(c.aud, ",") {
				t.Errorf("got %+v", j)
			}
			if j.Expired(now) != c.expired || j.NotYetValid(now) != c.notYet || j.Unsigned() != c.unsigned {
				t.Errorf("expired=%v notYet=%v unsigned=%v", j.Expired(now), j.NotYetValid(now), j.Unsigned())
			}
			sig := c.in[strings.LastIndex(c.in, ".")+1:]
			if len(sig) > 3 && strings.Contains(j.Summary(now), sig) {
				t.Errorf("summary contains the signature")
			}
		})
	}
}

// FuzzDecodeJWT: decoding never panics, accepts only three-part tokens with a JSON header
// carrying alg, and the summary never contains the signature.
func FuzzDecodeJWT(f *testing.F) {
	enc := base64.RawURLEncoding.EncodeToString
	f.Add(jwtWith("RS256", map[string]any{"iss": "https://issuer.example", "sub": "s", "aud": []any{"a", 1}, "exp": 1700000000, "nbf": 1.5, "iat": "x"}))
	f.Add(enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{}`)) + ".")
	f.Add(enc([]byte(`{"alg":"HS256"}`)) + "." + enc([]byte(`{"exp":1e300}`)) + ".sig")
	f.Add(enc([]byte(`{"alg":"HS256"}`)) + "." + enc([]byte(`{"exp":-1e300,"nbf":"NaN"}`)) + ".sig")
	f.Add("eyJ.eyJ.")
	f.Add("..")
	f.Add("a.b.c.d")
	f.Add(enc([]byte(`{"alg":"\u0000\u001b[31m"}`)) + "." + enc([]byte(`{"iss":"`+strings.Repeat("é", 100)+`"}`)) + ".x")
	now := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, s string) {
		j, err := DecodeJWT(s)
		if err != nil {
			if j != nil {
				t.Fatal("non-nil JWT with an error")
			}
			return
		}
		if strings.Count(strings.TrimSpace(s), ".") != 2 {
			t.Fatalf("accepted %q without exactly two dots", s)
		}
		sum := j.Summary(now)
		parts := strings.Split(strings.TrimSpace(s), ".")
		sig := parts[2]
		if len(sig) >= 8 && strings.Contains(sum, sig) && !strings.Contains(string(mustB64(parts[1]))+string(mustB64(parts[0])), sig) {
			t.Fatalf("summary %q contains the signature %q", sum, sig)
		}
		for _, r := range sum {
			if r < 0x20 {
				t.Fatalf("summary has a control character: %q", sum)
			}
		}
		_ = j.Expired(now)
		_ = j.NotYetValid(now)
	})
}

func mustB64(s string) []byte {
	b, _ := b64url(s)
	return b
}
