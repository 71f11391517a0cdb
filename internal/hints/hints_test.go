package hints

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/sleuth-ci/sleuth/internal/match"
)

func TestScore(t *testing.T) {
	tests := []struct {
		name string
		line string
		want int
	}{
		// Roots: an error marker where the message starts.
		{"compiler", "src/ShellCheck/Fixer.hs:38:10: error:", levelStrong},
		{"gcc", "main.c:12:5: error: 'x' undeclared (first use in this function)", levelStrong},
		{"rust", "error[E0425]: cannot find value `x` in this scope", levelStrong},
		{"go test", "--- FAIL: TestSeparator (0.03s)", levelStrong},
		{"python type", "ModuleNotFoundError: No module named 'yaml'", levelStrong},
		{"js type", "SyntaxError: Unexpected token )", levelStrong},
		{"java type", "java.lang.IllegalStateException: boom", levelStrong},
		{"traceback", "Traceback (most recent call last):", levelStrong},
		{"tap", "not ok 6 no errors", levelStrong},
		{"elixir", `** (RuntimeError) Line does not match format`, levelStrong},
		{"pester", "[-] - runs all files -> Expected and actual values differ!", levelStrong},
		{"mocha cross", "✖ 3 problems (3 errors, 0 warnings)", levelStrong},
		{"rake", "rake aborted!", levelStrong},
		{"git", "fatal: Remote branch main not found in upstream origin", levelStrong},
		{"timestamped", "[02:22:53] Error: Cannot find module 'gulp'", levelStrong},
		{"pytest E", "E   AssertionError: assert 1 == 2", levelStrong},
		{"upper case", "Chrome 75.0.3770 (Mac OS X 10.13.6) ERROR", levelLoud},
		{"ct", "Testing ejabberd: *** FAILED test case 89 of 1470 ***", levelLoud},
		{"body", "Could not find artifact a:b:jar:1.0 in central", levelStrong},
		{"in body", "(./a.md): found character that cannot start any token", levelMedium},
		{"npm code", "npm ERR! code E404", levelStrong},

		// Consequences: the job reporting that something above failed.
		{"travis", `The command "npm test" exited with 1.`, levelWeak},
		{"actions", "##[error]Process completed with exit code 1.", levelWeak},
		{"make", "make: *** [Makefile:12: test] Error 2", levelWeak},
		{"make recipe", "Makefile:120: recipe for target 'xref' failed", levelWeak},
		{"npm lifecycle", "npm ERR! code ELIFECYCLE", levelWeak},
		{"npm failed at", "npm ERR! Failed at the x@1.0.0 test script.", levelWeak},
		{"npm script", "npm ERR! x@1.0.0 lint: `eslint .`", levelWeak},
		{"yarn", "error Command failed with exit code 1.", levelWeak},
		{"sbt summary", "[error] (core / Test / test) sbt.TestsFailedException: Tests unsuccessful", levelWeak},
		{"warning", "warning: unused variable 'x' [-Wunused-variable]", levelWeak},

		// Not failures at all.
		{"empty", "   ", 0},
		{"shell trace", "+ npm run lint --fail-on-error", 0},
		{"echo", "$ make test", 0},
		{"actions echo", "[command]/usr/bin/git fetch --no-tags", 0},
		{"zero", "Ran 12 tests: 0 failures, 0 errors", 0},
		{"pass", "--- PASS: TestErrors (0.00s)", 0},
		{"check mark", "  ✓ handles errors gracefully", 0},
		{"flag", "cc -Werror -Wall -c x.c", 0},
		{"java frame", "\tat com.example.Foo.bar(Foo.java:12)", 0},
		{"js frame", "    at Object.<anonymous> (/app/test.js:3:9)", 0},
		{"python frame", `  File "/app/x.py", line 3, in <module>`, 0},
		{"ruby frame", "/app/Rakefile:21:in `block in <top (required)>'", 0},
		{"go frame", "\t/app/main.go:12 +0x1d", 0},
		{"env", "RAILS_ERROR_PAGES=false", 0},
		{"npm warn", "npm WARN deprecated request@2.88.0: request has been deprecated", 0},
		{"bare npm", "npm ERR! ", 0},
		{"build done", "Done. Your build exited with 1.", 0},
		{"passing command", `The command "make" exited with 0.`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Score([]byte(tt.line)); got != tt.want {
				t.Errorf("Score(%q) = %d, want %d", tt.line, got, tt.want)
			}
		})
	}
}

// feed runs lines through a collector the way the matcher does: keyword is whether the line
// holds one of the Keywords, case-insensitively.
func feed(lines []string, step string) *Collector {
	c := NewCollector()
	for i, l := range lines {
		c.Observe(match.Line{Num: i + 1, Text: []byte(l), Step: step}, hasKeyword(l))
	}
	return c
}

func hasKeyword(l string) bool {
	lower := bytes.ToLower([]byte(l))
	for _, k := range Keywords {
		if bytes.Contains(lower, []byte(k)) {
			return true
		}
	}
	return false
}

func TestCollector(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  int // line number of the first hint
	}{
		{
			name: "root just above the travis verdict beats an earlier setup error",
			lines: []string{
				"$ sudo apt-get install -y libfoo",
				"E: Unable to locate package libfoo-doc",
				"Reading package lists...",
				"$ npm test",
				"> x@1.0.0 test /home/travis/build/x",
				"> mocha",
				"  1 failing",
				"  1) parser handles input:",
				"     Error: expected 1 to equal 2",
				"      at Context.<anonymous> (test/parse.js:12:9)",
				"npm ERR! Test failed.  See above for more details.",
				`The command "npm test" exited with 1.`,
				"",
				"Done. Your build exited with 1.",
			},
			want: 9,
		},
		{
			name: "first line of a block speaks for it",
			lines: []string{
				"$ bundle exec rake",
				"(./a.md): found character that cannot start any token while scanning",
				"FAILURE!!! 1 files were unable to be parsed!",
				"Please check the YAML headers for the documents that failed!",
				"Command failed with status (1): [ruby tests/yaml.rb...]",
				"rake aborted!",
				`The command "bundle exec rake" exited with 1.`,
			},
			want: 2,
		},
		{
			name: "the message under a header beats the header",
			lines: []string{
				"$ rake",
				"rake aborted!",
				"No Rakefile found (looking for: rakefile, Rakefile)",
				"/usr/lib/ruby/bin/rake:15:in `eval'",
				"(See full trace by running task with --trace)",
				`The command "rake" exited with 1.`,
			},
			want: 3,
		},
		{
			name: "a plain last word before the verdict",
			lines: []string{
				"$ ./build.sh",
				"Compiling 12 files",
				"warning: deprecated API in a.c",
				"",
				"",
				"Please commit all changes generated by building",
				`The command "./build.sh" exited with 1.`,
			},
			want: 6,
		},
		{
			name: "cleanup after the failure does not outrank it",
			lines: []string{
				"$ go test ./...",
				"--- FAIL: TestParse (0.00s)",
				"    parse_test.go:12: got 1, want 2",
				"FAIL",
				"FAIL\tgithub.com/x/y\t0.012s",
				`The command "go test ./..." exited with 1.`,
				"$ cat /tmp/server.log",
				"ERROR: connection refused while shutting down",
			},
			want: 2,
		},
		{
			name: "no verdict: the end of the log is where the job stopped",
			lines: append(append([]string{"error: this was retried and recovered"}, filler(200)...),
				"Compiling app", "src/app.ts(3,5): error TS2304: Cannot find name 'x'.",
				"##[error]Process completed with exit code 2."),
			want: 203,
		},
		{
			name: "stack frames and consequences are not roots",
			lines: []string{
				"Traceback (most recent call last):",
				`  File "x.py", line 3, in <module>`,
				"    import yaml",
				"ModuleNotFoundError: No module named 'yaml'",
				"make: *** [Makefile:3: test] Error 1",
				"##[error]Process completed with exit code 2.",
			},
			want: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := feed(tt.lines, "").Hints(Max)
			if len(got) == 0 {
				t.Fatalf("no hints")
			}
			if got[0].Line != tt.want {
				t.Errorf("first hint is line %d %q, want line %d %q\nall: %+v", got[0].Line, got[0].Text, tt.want, tt.lines[tt.want-1], got)
			}
		})
	}
}

func filler(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("[%d/%d] compiling module_%d.c", i, n, i)
	}
	return out
}

func TestSetupStepsDownRanked(t *testing.T) {
	c := NewCollector()
	lines := []struct{ text, step string }{
		{"fatal: could not read Username for 'https://github.com'", "git.submodule"},
		{"$ make", ""},
		{"main.c:3:1: error: expected ';' before '}' token", ""},
		{`The command "make" exited with 2.`, ""},
	}
	for i, l := range lines {
		c.Observe(match.Line{Num: i + 1, Text: []byte(l.text), Step: l.step}, hasKeyword(l.text))
	}
	if got := c.Hints(Max); len(got) == 0 || got[0].Line != 3 {
		t.Fatalf("hints = %+v, want line 3 first", got)
	}
}

func TestCollectorBounded(t *testing.T) {
	c := NewCollector()
	for i := 1; i <= 100000; i++ {
		c.Observe(match.Line{Num: i, Text: []byte(fmt.Sprintf("error: number %d", i))}, true)
	}
	if len(c.candidates()) > keep {
		t.Fatalf("%d candidates kept, want at most %d", len(c.candidates()), keep)
	}
	got := c.Hints(Max)
	if len(got) != Max {
		t.Fatalf("got %d hints", len(got))
	}
	// Repeated identical messages are one hint.
	d := feed([]string{"error: same", "ok", "error: same", "ok", "error: same"}, "").Hints(Max)
	if len(d) != 1 {
		t.Fatalf("duplicates not folded: %+v", d)
	}
}

func TestObserveNoAllocForPlainLines(t *testing.T) {
	c := NewCollector()
	l := match.Line{Num: 1, Text: []byte("Downloading https://repo.example.org/a/b/c-1.2.3.jar (12 kB at 300 kB/s)")}
	c.Observe(l, false) // warm the tail buffers
	allocs := testing.AllocsPerRun(1000, func() {
		l.Num++
		c.Observe(l, false)
	})
	if allocs != 0 {
		t.Fatalf("Observe allocates %.1f times per plain line", allocs)
	}
}

// BenchmarkObservePlain measures the cost of lines without a keyword, which are nearly all
// of a big log.
func BenchmarkObservePlain(b *testing.B) {
	lines := make([][]byte, 1024)
	size := 0
	for i := range lines {
		lines[i] = []byte(fmt.Sprintf("[%4d/9999] Compiling src/pkg_%d/module_%d.go with flags -O2 -g (%d kB)", i, i%37, i, i*3))
		size += len(lines[i]) + 1
	}
	c := NewCollector()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			n++
			c.Observe(match.Line{Num: n, Text: l, Step: "script"}, false)
		}
	}
}

// BenchmarkObserveMixed has one keyword line in fifty, as in a failing build log.
func BenchmarkObserveMixed(b *testing.B) {
	lines := make([][]byte, 1000)
	kw := make([]bool, len(lines))
	size := 0
	for i := range lines {
		if i%50 == 0 {
			lines[i] = []byte(fmt.Sprintf("src/pkg_%d/module_%d.c:%d:5: error: expected ';' before '}' token", i%37, i, i))
			kw[i] = true
		} else {
			lines[i] = []byte(fmt.Sprintf("[%4d/9999] Compiling src/pkg_%d/module_%d.go with flags -O2 -g", i, i%37, i))
		}
		size += len(lines[i]) + 1
	}
	c := NewCollector()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		for j, l := range lines {
			n++
			c.Observe(match.Line{Num: n, Text: l}, kw[j])
		}
	}
}
