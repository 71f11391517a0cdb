package hints

import (
	"bytes"
)

// Score levels: how much a line, read on its own, looks like the root of a failure.
const (
	levelWeak   = 1 // mentions a failure word, or reports a consequence
	levelMedium = 3 // a failure word where a message would put it
	levelLoud   = 4 // an upper-case marker: ERROR, FAILED, FAIL, FATAL
	levelStrong = 5 // the line opens with an error marker: "error:", "FAIL:", "✖", "Traceback"
)

// echo prefixes mark commands being run, not their output.
var echo = [][]byte{[]byte("+ "), []byte("$ "), []byte("[command]"), []byte("run "), []byte("##[group]")}

// noise marks lines that mention failure words without being one: tool banners, summaries
// that report zero failures, passing tests, compiler flags.
var noise = [][]byte{
	[]byte("0 errors"), []byte("0 failures"), []byte("0 failed"), []byte("errors: 0"),
	[]byte("failures: 0"), []byte("failed: 0"), []byte(" 0 error"), []byte("--no-"), []byte("-werror"),
	[]byte("--- pass"), []byte("✓"), []byte("✔"), []byte("error_reporting"), []byte("-fno-"),
	[]byte("errorprone"), []byte("if-no-files-found"), []byte("continue-on-error"),
	[]byte("set -e"), []byte("allow_failures"), []byte("fast_finish"),
}

// openers mark a line that starts with an error marker (after any timestamp).
var openers = [][]byte{
	[]byte("error:"), []byte("error["), []byte("error "), []byte("error!"), []byte("[error]"),
	[]byte("err!"), []byte("npm err!"), []byte("fatal:"), []byte("fatal error"), []byte("fatal "),
	[]byte("fail:"), []byte("fail "), []byte("fail\t"), []byte("failed:"), []byte("failed "), []byte("failure:"),
	[]byte("--- fail"), []byte("✖"), []byte("✗"), []byte("❌"), []byte("×"), []byte("[-]"), []byte("[!]"),
	[]byte("[fail]"), []byte("[failed]"), []byte("not ok"), []byte("** ("),
	[]byte("traceback"), []byte("panic:"), []byte("exception"), []byte("caused by:"),
	[]byte("rake aborted"), []byte("could not"), []byte("couldn't"), []byte("cannot "),
	[]byte("can't "), []byte("unable to"), []byte("no such file"), []byte("e   "), []byte("> could not"),
	[]byte("> failed"), []byte("what went wrong"), []byte("uncaught "), []byte("unhandled "),
	[]byte("segmentation fault"), []byte("killed"), []byte("undefined reference"),
	[]byte("undefined symbol"), []byte("syntax error"), []byte("timeout"), []byte("timed out"),
}

// failure words a message puts in its body: "x.c:3:1: error: ...", "Build failed", "not found".
var medium = [][]byte{
	[]byte("error:"), []byte(": error"), []byte("error "), []byte("exception"), []byte("failed"), []byte("failure"),
	[]byte("fatal"), []byte("panic"), []byte("panicked at"), []byte("aborted"), []byte("not found"),
	[]byte("cannot"), []byte("could not"), []byte("couldn't"), []byte("unable to"), []byte("denied"),
	[]byte("no such file"), []byte("undefined"), []byte("timed out"), []byte("✖"), []byte("✗"),
	[]byte("❌"), []byte("err!"), []byte("traceback"), []byte("killed"), []byte("not ok"),
}

// consequence marks the job reporting that something above failed: worth little on its own.
var consequence = [][]byte{
	[]byte("exited with"), []byte("exit code"), []byte("exit status"), []byte("make: ***"),
	[]byte("make[1]: ***"), []byte("make[2]: ***"), []byte("make[3]: ***"), []byte("recipe for target"),
	[]byte("process completed"), []byte("npm err! code elifecycle"), []byte("npm err! errno"),
	[]byte("npm err! failed at the"), []byte("npm err! this is probably not a problem"),
	[]byte("npm err! a complete log"), []byte("npm err! test failed"), []byte("npm err! exit status"),
	[]byte("npm err! tell the author"), []byte("npm err! you can get information"),
	[]byte("npm err! not with npm itself"), []byte("npm err!     /"), []byte("npm err! code 1"),
	[]byte("command failed with"), []byte("tasks: top"), []byte("see full trace"),
	[]byte("returned a non-zero code"), []byte("non-zero exit"), []byte("error: job failed"),
	[]byte("there were test failures"), []byte("script returned exit code"), []byte("info visit https://yarnpkg"),
	[]byte("for more details"), []byte("see above"), []byte("run with --stacktrace"),
	[]byte("run with --info"), []byte("run with --scan"), []byte("get more help at"),
	[]byte("build failed"), []byte("build failure"), []byte("tests failed"), []byte("test failed"),
	[]byte("the command \""), []byte("your build exited"), []byte("failed to execute goal"),
	[]byte("error: failed to solve"), []byte("errors occurred"), []byte("error(s) occurred"),
	[]byte("failed tests"), []byte("tests unsuccessful"), []byte("failed: total"), []byte("total time"),
}

// warnings are not failures, whatever words they use.
var warnings = [][]byte{
	[]byte("warning"), []byte("npm warn"), []byte("deprecat"), []byte("warn "), []byte("[warn]"),
	[]byte("notice"),
}

// Score rates how much a line looks like a root failure; 0 means not at all.
func Score(text []byte) int {
	t := bytes.TrimSpace(text)
	return score(t, lowerInto(nil, t))
}

// lowerInto writes the ASCII-lower-cased t into buf, reusing its memory. Multi-byte UTF-8
// sequences are copied unchanged: every marker the scoring looks for is ASCII or compared
// as written ("✖").
func lowerInto(buf, t []byte) []byte {
	buf = append(buf[:0], t...)
	for i, b := range buf {
		if 'A' <= b && b <= 'Z' {
			buf[i] = b + ('a' - 'A')
		}
	}
	return buf
}

// score is Score on a trimmed line and its lower-cased copy.
func score(t, lower []byte) int {
	if len(t) == 0 {
		return 0
	}
	for _, e := range echo {
		if bytes.HasPrefix(lower, e) {
			return 0
		}
	}
	for _, n := range noise {
		if bytes.Contains(lower, n) {
			return 0
		}
	}
	if isStackFrame(t, lower) || isAssignment(t) {
		return 0
	}
	// The runner's own verdict is the consequence, never the cause.
	if bytes.Equal(lower, []byte("npm err!")) || bytes.HasPrefix(lower, []byte("done. your build exited")) ||
		bytes.HasPrefix(lower, []byte("the command \"")) && bytes.Contains(lower, []byte("exited with 0")) {
		return 0
	}
	body := skipStamp(lower)
	score := levelWeak
	switch {
	case hasAnyPrefix(body, openers) || isErrorType(skipStamp(t)) || isFileLineError(body):
		score = levelStrong
	case hasLoudWord(t):
		score = levelLoud
	case containsAny(lower, medium):
		score = levelMedium
	}
	if containsAny(lower, consequence) || bytes.HasPrefix(lower, []byte("npm err!")) && bytes.Contains(lower, []byte(": `")) {
		score = levelWeak
	}
	if score < levelStrong || !bytes.HasPrefix(body, []byte("error")) {
		if containsAny(lower, warnings) && !bytes.Contains(lower, []byte(" 0 warning")) {
			score = min(score, levelWeak)
			if bytes.HasPrefix(body, []byte("npm warn")) {
				return 0
			}
		}
	}
	return score
}

// plainScore rates a line without a failure keyword that stands right above a failure
// marker: a tool's last words ("Please commit the generated files") are often the reason.
// It returns -1 for lines that are clearly not a message.
func plainScore(text []byte) int {
	t := bytes.TrimSpace(text)
	if len(t) < 8 {
		return -1
	}
	lower := bytes.ToLower(t)
	for _, e := range echo {
		if bytes.HasPrefix(lower, e) {
			return -1
		}
	}
	if isStackFrame(t, lower) || isAssignment(t) || containsAny(lower, warnings) ||
		bytes.HasPrefix(lower, []byte("travis_")) || bytes.HasPrefix(lower, []byte("npm ")) ||
		bytes.HasPrefix(lower, []byte("> ")) || bytes.HasPrefix(lower, []byte("(see")) ||
		bytes.HasPrefix(lower, []byte("done")) || bytes.Contains(lower, []byte("passed")) ||
		bytes.Contains(lower, []byte("passing")) || bytes.Contains(lower, []byte("pending")) ||
		bytes.HasPrefix(lower, []byte("ran ")) || bytes.HasPrefix(lower, []byte("finished")) ||
		bytes.HasPrefix(lower, []byte("total")) || bytes.HasPrefix(lower, []byte("time:")) ||
		bytes.HasPrefix(lower, []byte("----")) || bytes.HasPrefix(lower, []byte("====")) ||
		bytes.HasPrefix(lower, []byte("info")) || bytes.HasPrefix(lower, []byte("ok")) {
		return -1
	}
	return levelWeak + 1
}

// isStackFrame reports a frame of a stack trace: the cascade, not the message.
func isStackFrame(t, lower []byte) bool {
	switch {
	case bytes.HasPrefix(lower, []byte("at ")) && (bytes.IndexByte(t, '(') > 0 || bytes.Contains(t, []byte(".js:")) || bytes.Contains(t, []byte(".ts:"))):
		return true // Java, JavaScript, .NET
	case bytes.HasPrefix(lower, []byte("file \"")) && bytes.Contains(lower, []byte("\", line ")):
		return true // Python
	case bytes.HasPrefix(lower, []byte("from ")) && bytes.Contains(lower, []byte(":in `")):
		return true // Ruby
	case bytes.Contains(lower, []byte(":in `")) && bytes.IndexByte(t[:bytes.Index(lower, []byte(":in `"))], ' ') < 0:
		return true // Ruby, a bare frame
	case bytes.Contains(lower, []byte(".go:")) && bytes.Contains(lower, []byte(" +0x")):
		return true // Go
	case bytes.HasPrefix(lower, []byte("goroutine ")) && bytes.HasSuffix(lower, []byte(":")):
		return true
	case len(t) > 2 && t[0] == '(' && bytes.Contains(t, []byte(") lib/")):
		return true // Elixir
	case bytes.HasPrefix(lower, []byte("... ")) && bytes.Contains(lower, []byte("more")):
		return true
	}
	return false
}

// isAssignment reports an environment dump or settings line: "FOO_ERROR_LEVEL=1",
// "export FAIL_FAST=true", "Setting environment variables from .travis.yml".
func isAssignment(t []byte) bool {
	if bytes.HasPrefix(t, []byte("export ")) || bytes.HasPrefix(t, []byte("$ export ")) {
		return true
	}
	i := bytes.IndexByte(t, '=')
	if i <= 0 || i > 60 {
		return false
	}
	for _, b := range t[:i] {
		if !(b == '_' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9') {
			return false
		}
	}
	return true
}

// skipStamp drops a leading timestamp or bracketed time ("[02:22:53] ", "08:18:55.470 ",
// "2019-07-08T08:18:55Z ") so markers at the start of the message are seen.
func skipStamp(b []byte) []byte {
	for range 3 {
		if len(b) == 0 {
			return b
		}
		end := -1
		if b[0] == '[' {
			if j := bytes.IndexByte(b, ']'); j > 0 && j < 40 && isStampy(b[1:j]) {
				end = j + 1
			}
		} else if b[0] >= '0' && b[0] <= '9' {
			j := bytes.IndexByte(b, ' ')
			if j < 0 {
				j = len(b)
			}
			if j < 40 && isStampy(b[:j]) && bytes.ContainsAny(b[:j], ":-/") {
				end = j
			}
		}
		if end < 0 {
			return b
		}
		b = bytes.TrimLeft(b[end:], " \t")
	}
	return b
}

func isStampy(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c == ':' || c == '.' || c == '-' || c == '/' || c == 'T' ||
			c == 't' || c == 'Z' || c == 'z' || c == '+' || c == ',') {
			return false
		}
	}
	return bytes.ContainsAny(b, "0123456789")
}

// isErrorType reports a line opening with an exception or error type and a colon:
// "SyntaxError: Unexpected token", "java.lang.IllegalStateException: boom", "AssertionError".
func isErrorType(t []byte) bool {
	end := 0
	for end < len(t) && end < 120 {
		c := t[end]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '$' || c == ':' && end+1 < len(t) && t[end+1] == ':') {
			break
		}
		if c == ':' {
			end += 2
			continue
		}
		end++
	}
	if end == 0 {
		return false
	}
	word := t[:end]
	if !(bytes.HasSuffix(word, []byte("Error")) || bytes.HasSuffix(word, []byte("Exception")) ||
		bytes.HasSuffix(word, []byte("Failure")) || bytes.HasSuffix(word, []byte("Fault"))) {
		return false
	}
	return end == len(t) || t[end] == ':' || t[end] == ' ' && end+1 < len(t) && t[end+1] == '('
}

// isFileLineError reports compiler-style messages: "src/a.c:12:5: error: ...",
// "Foo.hs:38:10: error:", "a.go:3:1: undefined: x".
func isFileLineError(lower []byte) bool {
	i := bytes.Index(lower, []byte(": error"))
	if i < 0 {
		i = bytes.Index(lower, []byte(": fatal error"))
	}
	if i < 0 || i > 300 {
		return false
	}
	head := lower[:i]
	return bytes.IndexByte(head, ' ') < 0 && bytes.IndexByte(head, ':') > 0
}

// hasLoudWord reports an upper-case failure word standing alone: "Chrome 75 ERROR",
// "*** FAILED test case 89 ***", "FAIL github.com/x/y 0.1s".
func hasLoudWord(t []byte) bool {
	for _, w := range [][]byte{[]byte("ERROR"), []byte("FAILED"), []byte("FAIL"), []byte("FATAL"), []byte("FAILURE"), []byte("CRASH")} {
		for off := 0; ; {
			j := bytes.Index(t[off:], w)
			if j < 0 {
				break
			}
			j += off
			end := j + len(w)
			if (j == 0 || !isWordByte(t[j-1])) && (end == len(t) || !isWordByte(t[end])) {
				return true
			}
			off = end
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func hasAnyPrefix(b []byte, list [][]byte) bool {
	for _, p := range list {
		if bytes.HasPrefix(b, p) {
			return true
		}
	}
	return false
}

func containsAny(b []byte, list [][]byte) bool {
	for _, p := range list {
		if bytes.Contains(b, p) {
			return true
		}
	}
	return false
}
