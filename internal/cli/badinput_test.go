package cli_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sleuth-ci/sleuth/internal/cli"
)

// Bad input that a testscript file cannot write (see testdata/script/badinput.txtar for the
// rest): every case ends in time, without a panic, with the right exit code and, for errors,
// exactly one line on stderr that names the file.

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBadInputFiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	elf := append([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00\x01\x00\x00\x00"), random[:4096]...)
	e401 := "npm ERR! code E401\nnpm ERR! Unable to authenticate, need: Basic realm=\"npm\"\n"
	var many strings.Builder
	for range 5000 {
		many.WriteString(e401)
	}
	whole := gz(t, []byte(many.String()))

	cases := []struct {
		name    string
		data    []byte
		code    int
		stdout  string // regexp the text output must match
		stderr  string // regexp of the one stderr line, "" for none
		nolines bool
	}{
		{name: "random.bin", data: random, code: cli.ExitUsage, stderr: `^sleuth: \S*random.bin: not a text log: binary data$`},
		{name: "app", data: elf, code: cli.ExitUsage, stderr: `^sleuth: \S*app: not a text log: an ELF executable$`},
		{name: "random.gz", data: gz(t, random), code: cli.ExitUsage, stderr: `^sleuth: \S*random.gz: not a text log: binary data$`},
		{name: "truncated.gz", data: whole[:len(whole)/2], code: cli.ExitUsage, stderr: `^sleuth: \S*truncated.gz: truncated gzip data: unexpected EOF$`},
		{name: "corrupt.gz", data: append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, random[:200]...), code: cli.ExitUsage, stderr: `^sleuth: \S*corrupt.gz: corrupt gzip data: `},
		{name: "gzip-header-only.gz", data: []byte{0x1f, 0x8b}, code: cli.ExitUsage, stderr: `^sleuth: \S*gzip-header-only.gz: truncated gzip data`},
		{name: "nul.log", data: []byte("step 1\x00\x00\x00\n" + e401 + "\x00tail\n"), code: 0, stdout: `line 2: npm ERR! code E401`},
		{name: "invalid-utf8.log", data: []byte("caf\xe9 \xff\xfe\xfd\n" + e401), code: 0, stdout: `line 2: npm ERR! code E401`},
		{name: "crlf.log", data: []byte(strings.ReplaceAll("Build\n"+e401, "\n", "\r\n")), code: 0, stdout: `line 2: npm ERR! code E401\n`},
		{name: "cr-only.log", data: []byte("progress 10%\rprogress 100%\r" + e401), code: 0, stdout: `npm ERR! code E401`},
		{name: "no-newline.log", data: []byte("npm ERR! code E401"), code: 0, stdout: `line 1: npm ERR! code E401`},
		{name: "only-newlines.log", data: bytes.Repeat([]byte("\n"), 10000), code: cli.ExitNoMatch, stdout: `no known failure matched \(10000 lines read\)`},
		{name: "ansi.log", data: []byte("\x1b[31mnpm ERR! code E401\x1b[0m\n\x1b[?25l\x1b]0;title\x07\n"), code: 0, stdout: `line 1: npm ERR! code E401\n`},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name)
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"analyze", path}, {"analyze", "--json", path}, {"fix", path}} {
				r := sleuth(t, noEnv, nil, args...)
				want := c.code
				if args[0] == "fix" && c.code == 0 {
					want = 0
				}
				if r.code != want {
					t.Errorf("sleuth %s: exit %d, want %d\nstdout: %s\nstderr: %s", args[0], r.code, want, r.stdout, r.stderr)
				}
				checkStderr(t, r, c.stderr)
				if c.stdout != "" && len(args) == 2 && args[0] == "analyze" && !regexp.MustCompile(c.stdout).MatchString(r.stdout) {
					t.Errorf("sleuth analyze: stdout does not match %q:\n%s", c.stdout, r.stdout)
				}
			}
			// The same bytes on stdin.
			r := sleuth(t, noEnv, c.data, "analyze", "-")
			if r.code != c.code {
				t.Errorf("stdin: exit %d, want %d: %s", r.code, c.code, r.stderr)
			}
			checkStderr(t, r, strings.Replace(c.stderr, `\S*`+c.name, "stdin", 1))
		})
	}
}

// checkStderr: no stderr when want is "", else exactly one line matching want.
func checkStderr(t *testing.T, r result, want string) {
	t.Helper()
	if want == "" {
		if r.stderr != "" && r.code != cli.ExitNoMatch {
			t.Errorf("sleuth %s: unexpected stderr: %s", strings.Join(r.args, " "), r.stderr)
		}
		return
	}
	if strings.Count(r.stderr, "\n") != 1 || !regexp.MustCompile(want).MatchString(strings.TrimSuffix(r.stderr, "\n")) {
		t.Errorf("sleuth %s: stderr is not one line matching %q:\n%s", strings.Join(r.args, " "), want, r.stderr)
	}
}

func TestBadInputNoPermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their permissions")
	}
	path := filepath.Join(t.TempDir(), "secret.log")
	if err := os.WriteFile(path, []byte("npm ERR! code E401\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	r := sleuth(t, noEnv, nil, "analyze", path)
	if r.code != cli.ExitUsage {
		t.Errorf("exit %d, want 2", r.code)
	}
	checkStderr(t, r, `^sleuth: open \S*secret.log: permission denied$`)
}

// TestBadInputHugeLine: a 100 MB line, never committed, generated here. Memory stays
// bounded (the line is kept in part) and the line after it is still read.
func TestBadInputHugeLine(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100 MB")
	}
	path := filepath.Join(t.TempDir(), "huge.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	for range 100 {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.WriteString("\nnpm ERR! code E401\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := sleuth(t, noEnv, nil, "analyze", "--json", path)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, `"line": 2`) || !strings.Contains(r.stdout, `"lines": 2`) {
		t.Errorf("the line after the huge one was not diagnosed:\n%.2000s", r.stdout)
	}
	if len(r.stdout) > 64<<10 {
		t.Errorf("the output holds %d bytes: the huge line was printed whole", len(r.stdout))
	}
	t.Logf("100 MB line analyzed in %v", time.Since(start))
}

// failingReader returns some of a log, then an error: stdin closed by a dying producer.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestBadInputStdin(t *testing.T) {
	cases := []struct {
		name   string
		stdin  io.Reader
		code   int
		stderr string
	}{
		{"closed early", &failingReader{[]byte("npm ERR! code E401\npartial li"), io.ErrClosedPipe}, cli.ExitUsage, `^sleuth: stdin: read error: io: read/write on closed pipe$`},
		{"fails at once", &failingReader{nil, errors.New("input/output error")}, cli.ExitUsage, `^sleuth: stdin: read error: input/output error$`},
		{"empty", strings.NewReader(""), cli.ExitNoMatch, ""},
		{"cut mid-line", strings.NewReader("npm ERR! code E4"), cli.ExitNoMatch, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, args := range [][]string{{"analyze", "-"}, {"fix", "-"}} {
				var out, errb bytes.Buffer
				env := cli.Env{Stdin: c.stdin, Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
				done := make(chan int, 1)
				go func() { done <- cli.Run(env, args) }()
				select {
				case code := <-done:
					if code != c.code {
						t.Errorf("sleuth %s: exit %d, want %d: %s", args[0], code, c.code, errb.String())
					}
					if c.stderr != "" {
						checkStderr(t, result{args, out.String(), errb.String(), code}, c.stderr)
					}
				case <-time.After(time.Minute):
					t.Fatalf("sleuth %s did not finish", args[0])
				}
				if fr, ok := c.stdin.(*failingReader); ok {
					fr.data = nil // the second run reads the error at once
				}
			}
		})
	}
}
