package cred

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Fake secrets planted in configs and helpers; none may appear in any output.
const (
	plantGitHub  = "ghp_PLANTEDplantedPLANTEDplanted01234567"
	plantPass    = "hunter2-PLANTED-password"
	plantHelper  = "helper-PLANTED-secret-9f8e7d"
	plantStderr  = "ghp_STDERRleakSTDERRleakSTDERRleak012345"
	plantStore   = "store-PLANTED-secret-4b3a2c"
	plantEnvAuth = "envauth-PLANTED-secret-77aa"
)

var allPlanted = []string{plantGitHub, plantPass, plantHelper, plantStderr, plantStore, plantEnvAuth}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// Credential helper scripts implementing the docker-credential-helpers protocol: one
// argument (get, store, erase, list), input on stdin, answer on stdout, errors on stdout
// with exit status 1.

// fileHelper keeps credentials in $HELPER_DIR-like directory baked into the script, one
// file per server URL (hex-encoded name) holding the JSON the get action prints.
func fileHelperScript(dataDir string) string {
	return `#!/bin/sh
DIR='` + dataDir + `'
mkdir -p "$DIR"
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
case "$1" in
get)
	url=$(cat)
	if [ -z "$url" ]; then echo "no credentials server URL"; exit 1; fi
	f="$DIR/$(hex "$url")"
	if [ -f "$f" ]; then cat "$f"; exit 0; fi
	echo "credentials not found in native keychain"; exit 1 ;;
store)
	in=$(cat)
	url=$(printf '%s' "$in" | sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p')
	if [ -z "$url" ]; then echo "no credentials server URL"; exit 1; fi
	printf '%s' "$in" > "$DIR/$(hex "$url")" ;;
erase)
	url=$(cat)
	f="$DIR/$(hex "$url")"
	if [ -f "$f" ]; then rm -f "$f"; exit 0; fi
	echo "credentials not found in native keychain"; exit 1 ;;
list)
	cat >/dev/null
	sep=''
	printf '{'
	for f in "$DIR"/*; do
		[ -f "$f" ] || continue
		u=$(sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p' "$f")
		n=$(sed -n 's/.*"Username":"\([^"]*\)".*/\1/p' "$f")
		printf '%s"%s":"%s"' "$sep" "$u" "$n"
		sep=','
	done
	printf '}\n' ;;
version) echo "fake 0.0.1" ;;
*) echo "unknown action"; exit 1 ;;
esac
`
}

// notFoundScript answers every get with the real "not found" text.
const notFoundScript = `#!/bin/sh
cat >/dev/null
case "$1" in
list) echo '{}' ;;
*) echo "credentials not found in native keychain"; exit 1 ;;
esac
`

// dbusScript fails like docker-credential-secretservice on a headless runner, and leaks
// a token on stderr (which must come out redacted).
const dbusScript = `#!/bin/sh
cat >/dev/null
echo "debug: using token ` + plantStderr + `" >&2
echo 'Cannot autolaunch D-Bus without X11 $DISPLAY'
exit 1
`

// hangScript never answers.
const hangScript = `#!/bin/sh
exec sleep 30
`

// garbageScript answers get with something that is not JSON.
const garbageScript = `#!/bin/sh
cat >/dev/null
echo '<html>oops, not json</html>'
`

// staticScript returns fixed credentials for any server URL.
func staticScript(user, secret string) string {
	return `#!/bin/sh
url=$(cat)
case "$1" in
get) printf '{"ServerURL":"%s","Username":"` + user + `","Secret":"` + secret + `"}\n' "$url" ;;
list) echo '{}' ;;
*) echo "unsupported"; exit 1 ;;
esac
`
}

// testEnv is an isolated environment: a home, a bin dir searched by LookPath only, and
// environment variables from vars.
type testEnv struct {
	t    *testing.T
	root string
	home string
	bin  string
	vars map[string]string
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("helper scripts are POSIX shell")
	}
	root := t.TempDir()
	te := &testEnv{t: t, root: root, home: filepath.Join(root, "home"), bin: filepath.Join(root, "bin"), vars: map[string]string{}}
	for _, d := range []string{te.home, te.bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	te.vars["HOME"] = te.home
	// Keep the real runtime dir out of the test.
	te.vars["XDG_RUNTIME_DIR"] = filepath.Join(root, "run")
	return te
}

func (te *testEnv) env() Env {
	return Env{
		Getenv:        func(k string) string { return te.vars[k] },
		HelperTimeout: 5 * time.Second,
		LookPath: func(name string) (string, error) {
			p := filepath.Join(te.bin, name)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p, nil
			}
			return "", &os.PathError{Op: "lookpath", Path: name, Err: os.ErrNotExist}
		},
		Now: func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) },
	}
}

func (te *testEnv) write(rel, content string, mode os.FileMode) string {
	te.t.Helper()
	p := rel
	if !filepath.IsAbs(p) {
		p = filepath.Join(te.root, rel)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		te.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		te.t.Fatal(err)
	}
	return p
}

func (te *testEnv) helper(suffix, script string) {
	te.write(filepath.Join("bin", "docker-credential-"+suffix), script, 0o755)
}

func (te *testEnv) dockerConfig(content string) string {
	return te.write(filepath.Join("home", ".docker", "config.json"), content, 0o600)
}

// assertNoSecrets fails when any planted secret appears in s.
func assertNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, p := range allPlanted {
		if strings.Contains(s, p) {
			t.Errorf("%s leaks a planted secret %q:\n%s", what, p, s)
		}
	}
}

func resolutionText(r *Resolution) string {
	var b strings.Builder
	b.WriteString(r.Host + "|" + r.Source + "|" + r.ConfigPath + "|")
	if r.Credential != nil {
		b.WriteString(r.Credential.Describe())
	}
	for _, p := range r.Problems {
		b.WriteString("|" + p.Kind + ": " + p.Message)
	}
	return b.String()
}
