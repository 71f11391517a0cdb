package redact

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusEntry mirrors testdata/secrets/manifest.json.
type corpusEntry struct {
	Kind   string `json:"kind"`
	Secret string `json:"secret"`
	Marker string `json:"marker"`
	Keep   string `json:"keep"`
}

// TestCorpus streams every file of the secrets corpus through a Stream, line by line as a
// log is read, and checks that every listed secret is gone, replaced by a marker of its kind,
// and that values a CI already masked come out unchanged.
func TestCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "secrets")
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest map[string][]corpusEntry
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	names := make([]string, 0, len(manifest))
	for name := range manifest {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		entries := manifest[name]
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			var st Stream
			var out []string
			for _, l := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
				out = append(out, st.Line(l))
			}
			got := strings.Join(out, "\n")
			for _, e := range entries {
				kinds[e.Kind] = true
				if e.Keep != "" {
					if !strings.Contains(got, e.Keep) {
						t.Errorf("CI-masked text %q was changed", e.Keep)
					}
					continue
				}
				if strings.Contains(got, e.Secret) {
					t.Errorf("%s leaked: %s", e.Kind, e.Secret)
				}
				if !strings.Contains(got, marker(e.Marker)) {
					t.Errorf("%s: no %s marker", e.Kind, marker(e.Marker))
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", got)
			}
		})
	}
	if len(kinds) < 40 {
		t.Errorf("the corpus has %d kinds of secrets, want at least 40", len(kinds))
	}
}

// TestCorpusRulesClean: text that resembles what the corpus rules look for, but holds no
// secret, comes back unchanged.
func TestCorpusRulesClean(t *testing.T) {
	for _, l := range []string{
		"  password incorrect",
		"password expired",
		"    password ***",
		"    password $NETRC_PASSWORD",
		"    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIyZ0F3SUJBZ0lCQURBS0JnZ3Foa2pPUFFRREFqQWpNU0V3SHdZRFZRUUREQmhyTTNNdGMyVnkK",
		"LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0K",
		"vault token lookup: hvs.short",
		"see docs at https://learn.example/entra/identity-platform/howto-create-service-principal-portal",
	} {
		if got := String(l); got != l {
			t.Errorf("changed a clean line:\n in: %s\nout: %s", l, got)
		}
	}
}

// TestWithin: a piece cut out of a line keeps the masking the whole line gave it.
func TestWithin(t *testing.T) {
	for _, c := range []struct{ line, part, want string }{
		{"aws_secret_access_key = c4gJ/TSnswy4Tn/+Fgh+Ri194YkyNgGRYbrulDaX", "c4gJ/TSnswy4Tn/+Fgh+Ri194YkyNgGRYbrulDaX", "[REDACTED:aws-secret-access-key]"},
		{"+ PGPASSWORD=33cq8FO_74Cy6ubJQ pg_dump -h db", "33cq8FO_74Cy6ubJQ", "[REDACTED:password]"},
		{"+ git clone https://ci-bot:O0KixZS_40qQ8T6RO@git.example.com/team/app.git", "//ci-bot:O0KixZS_40qQ8T6RO@git.example.com/team/app.git", "//ci-bot:[REDACTED:url-password]@git.example.com/team/app.git"},
		{"+ git clone https://ci-bot:O0KixZS_40qQ8T6RO@git.example.com/team/app.git", "O0KixZS", "[REDACTED:url-password]"},
		{"+ git clone https://ci-bot:O0KixZS_40qQ8T6RO@git.example.com/team/app.git", "git.example.com", "git.example.com"},
		{"token=a1b2c3d4e5f6g7h8 host=ci.example password=Zq9_xxYYzz11", "host=ci.example", "host=ci.example"},
		{"token=a1b2c3d4e5f6g7h8 host=ci.example password=Zq9_xxYYzz11", "a1b2c3d4e5f6g7h8 host=ci.example password=Zq9", "[REDACTED:token] host=ci.example password=[REDACTED:password]"},
		{"no secret here", "secret", "secret"},
		{`"{\"headers\":{\"Authorization\":\"Bearer DXMkAJ7kBXv3o8SbfVQvpaXbvJMqpr4h\"}}"`, "Bearer DXMkAJ7kBXv3o8SbfVQvpaXbvJMqpr4h", "Bearer [REDACTED:bearer-token]"},
		{"elsewhere", "GITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "GITHUB_TOKEN=[REDACTED:github-token]"},
	} {
		if got := Within(c.line, c.part); got != c.want {
			t.Errorf("Within(%q, %q) = %q, want %q", c.line, c.part, got, c.want)
		}
	}
}

// TestKeysBytes: Keys masks the lines of a private key block and hands every other line
// back as it is, the same slice.
func TestKeysBytes(t *testing.T) {
	in := []string{
		"2024-05-01T12:00:00.0000000Z + cat key.pem",
		"2024-05-01T12:00:00.0000000Z -----BEGIN EC PRIVATE KEY-----",
		"2024-05-01T12:00:00.0000000Z MHcCAQEEIDwWmZ+rcCoxmx16PXGWFooJYEJgzkEV11LQzvrPkfuyoAoGCCqGSM49",
		"2024-05-01T12:00:00.0000000Z -----END EC PRIVATE KEY-----",
		"password=hunter2hunter2 (not a key: left to String)",
	}
	want := []string{in[0], in[1], "2024-05-01T12:00:00.0000000Z [REDACTED:private-key]", in[3], in[4]}
	var k Keys
	for i, l := range in {
		b := []byte(l)
		got := k.Bytes(b)
		if string(got) != want[i] {
			t.Errorf("line %d: got %q, want %q", i, got, want[i])
		}
		if want[i] == l && &got[0] != &b[0] {
			t.Errorf("line %d: an unchanged line was copied", i)
		}
	}
}
