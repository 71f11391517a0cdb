package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestCheckVar(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	enc := base64.RawURLEncoding.EncodeToString
	jwt := func(claims string) string {
		return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(claims)) + ".c2lnbmF0dXJlUExBTlRFRA"
	}
	const tok = "ghp_PLANTEDplantedPLANTEDplanted01234567"
	cases := []struct {
		name, value string
		set         bool
		status      string
		masked      string
		problem     string
	}{
		{"ok", tok, true, "ok", "ghp_..., 40 chars", ""},
		{"unset", "", false, "missing", "", "is not set"},
		{"empty", "", true, "empty", "", "set but empty"},
		{"only spaces", "   ", true, "empty", "3 chars", "only whitespace"},
		{"trailing newline", tok + "\n", true, "whitespace", "ghp_..., 41 chars", "ends with a newline"},
		{"CRLF", tok + "\r\n", true, "whitespace", "ghp_..., 42 chars", "ends with CRLF"},
		{"leading space", " " + tok, true, "whitespace", `" ghp"..., 41 chars`, "starts with whitespace"},
		{"inner newline", "PLANTEDa\nPLANTEDb", true, "whitespace", "PLAN..., 17 chars", "line break inside"},
		{"11 chars shows no prefix", "PLANTED1234", true, "ok", "11 chars", ""},
		{"12 chars shows 4", "PLANTED12345", true, "ok", "PLAN..., 12 chars", ""},
		{"unicode counted in characters", "pässwörd-PLANTED", true, "ok", "päss..., 16 chars", ""},
		{"shell placeholder", "$NPM_TOKEN", true, "placeholder", "10 chars", "unexpanded placeholder"},
		{"masked by CI", "***", true, "placeholder", "3 chars", "unexpanded placeholder"},
		{"expired one second ago", jwt(`{"exp":` + itoa(now.Unix()-1) + `}`), true, "expired", "", "expired at 2025-06-01T11:59:59Z (1s before now)"},
		{"expires in an hour", jwt(`{"exp":` + itoa(now.Unix()+3600) + `}`), true, "ok", "", ""},
		{"not yet valid", jwt(`{"nbf":` + itoa(now.Unix()+120) + `}`), true, "not-yet-valid", "", "not valid before 2025-06-01T12:02:00Z (2m from now)"},
		{"private key keeps its lines", "-----BEGIN RSA PRIVATE KEY-----\nPLANTED\n-----END RSA PRIVATE KEY-----", true, "ok", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := checkVar("V", c.value, c.set, now, func(string) string { return "" })
			if v.Status != c.status || v.OK != (c.status == "ok") {
				t.Errorf("status = %q ok=%v, want %q; problems %v", v.Status, v.OK, c.status, v.Problems)
			}
			if c.masked != "" && v.Masked != c.masked {
				t.Errorf("masked = %q, want %q", v.Masked, c.masked)
			}
			if c.problem != "" && !strings.Contains(strings.Join(v.Problems, "|"), c.problem) {
				t.Errorf("problems %v lack %q", v.Problems, c.problem)
			}
			b, _ := json.Marshal(v)
			if strings.Contains(string(b), "PLANTED") || (c.value != "" && len(c.value) > 4 && strings.Contains(string(b), c.value)) {
				t.Errorf("check leaks the value: %s", b)
			}
		})
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestEnvCheckExitCodesAndClock(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	tok := enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(`{"exp":1750000000}`)) + ".c2ln"
	vars := map[string]string{"TOK": tok, "E": ""}
	run := func(now time.Time, names ...string) (int, string) {
		var out bytes.Buffer
		g := &global{env: Env{Stdout: &out, Stderr: &out, Getenv: func(k string) string { return vars[k] }}}
		o := &envCheckOptions{global: g, now: func() time.Time { return now }, lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
		err := o.run(names)
		code := 0
		if ee, ok := err.(*exitError); ok {
			code = ee.code
		} else if err != nil {
			code = -1
		}
		return code, out.String()
	}
	if code, out := run(time.Unix(1749999999, 0), "TOK"); code != 0 || !strings.Contains(out, "TOK: ok") {
		t.Errorf("before exp: %d %s", code, out)
	}
	if code, out := run(time.Unix(1750000000, 0), "TOK"); code != ExitNoMatch || !strings.Contains(out, "TOK: expired") {
		t.Errorf("at exp: %d %s", code, out)
	}
	if code, _ := run(time.Unix(0, 0), "E"); code != ExitNoMatch {
		t.Errorf("empty: %d", code)
	}
	if code, _ := run(time.Unix(0, 0), "NOPE"); code != ExitNoMatch {
		t.Errorf("missing: %d", code)
	}
	if code, _ := run(time.Unix(0, 0), "bad-name"); code != ExitUsage {
		t.Errorf("bad name: %d", code)
	}
}

func TestRegistryAddPrompt(t *testing.T) {
	home := t.TempDir()
	vars := map[string]string{"HOME": home, "XDG_RUNTIME_DIR": home + "/run"}
	var out, errb bytes.Buffer
	g := &global{env: Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }}}
	prompted := false
	o := &registryAddOptions{global: g, user: "alice", store: "file",
		stdinTerminal: func() bool { return true },
		readPassword:  func() ([]byte, error) { prompted = true; return []byte("prompt-PLANTED-secret"), nil },
	}
	if err := o.run(nil, "ghcr.io"); err != nil {
		t.Fatal(err)
	}
	if !prompted || !strings.Contains(errb.String(), "Password for alice at ghcr.io: ") {
		t.Errorf("no prompt: %q", errb.String())
	}
	if !strings.Contains(out.String(), "Saved credentials for ghcr.io (user alice)") {
		t.Errorf("stdout = %q", out.String())
	}
	if strings.Contains(out.String()+errb.String(), "PLANTED") {
		t.Errorf("secret echoed")
	}
	// Not a terminal: a usage error, no prompt.
	o.stdinTerminal = func() bool { return false }
	prompted = false
	err := o.run(nil, "quay.io")
	if ee, ok := err.(*exitError); !ok || ee.code != ExitUsage || prompted {
		t.Errorf("err = %v, prompted = %v", err, prompted)
	}
}
