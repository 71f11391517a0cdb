package logsrc

import (
	"bytes"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// plain text and line endings
		{"empty", "", ""},
		{"plain", "npm ERR! code E401", "npm ERR! code E401"},
		{"plain with newline", "hello world\n", "hello world"},
		{"crlf", "Build language: ruby\r\n", "Build language: ruby"},
		{"trailing cr", "Build language: ruby\r", "Build language: ruby"},
		{"leading blanks kept", "    at Object.<anonymous> (test.js:1:1)", "    at Object.<anonymous> (test.js:1:1)"},
		{"hash in middle untouched", "see issue #123 and ##[error] later", "see issue #123 and ##[error] later"},
		{"starts with digit not timestamp", "2 passing (30ms)", "2 passing (30ms)"},
		{"invalid utf8 passes", "bad \xff\xfe bytes", "bad \xff\xfe bytes"},
		{"nul dropped", "a\x00b\x00", "ab"},
		{"bom", "\xef\xbb\xbfhello", "hello"},

		// ANSI / VT escapes
		{"sgr", "\x1b[31;1mERROR\x1b[0m: failed", "ERROR: failed"},
		{"sgr semicolon m", "\x1b[0;mdone", "done"},
		{"erase line", "remote: Counting objects: 81729, done.\x1b[K", "remote: Counting objects: 81729, done."},
		{"erase 0K", "\x1b[0Kfoo", "foo"},
		{"private mode", "\x1b[?25lhidden cursor\x1b[?25h", "hidden cursor"},
		{"osc title bel", "\x1b]0;my title\x07text", "text"},
		{"osc hyperlink st", "\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"two char esc", "\x1b7saved\x1b8", "saved"},
		{"charset esc", "\x1b(Bascii", "ascii"},
		{"esc at end", "text\x1b", "text"},
		{"unterminated osc keeps text", "\x1b]0;title without end", "0;title without end"},
		{"lone esc bad byte", "a\x1b\x01b", "a\x01b"},

		// carriage-return progress
		{"progress", "50%\r100%", "100%"},
		{"progress trailing cr", "Downloading 10%\rDownloading 100%\r", "Downloading 100%"},
		{"progress with erase", "remote: Compressing objects:   0% (1/68894)   \x1b[K\rremote: Compressing objects: 100% (68894/68894), done.\x1b[K\r", "remote: Compressing objects: 100% (68894/68894), done."},
		{"progress last blank ignored", "Building\r        \r", "Building"},
		{"only crs", "\r\r\r", ""},

		// GitHub Actions
		{"gh timestamp", "2024-01-02T03:04:05.1234567Z Run actions/checkout@v4", "Run actions/checkout@v4"},
		{"gh timestamp no frac", "2024-01-02T03:04:05Z hello", "hello"},
		{"gh timestamp only", "2024-01-02T03:04:05.1234567Z", ""},
		{"gh timestamp with bom", "\xef\xbb\xbf2024-01-02T03:04:05.1234567Z Current runner version: '2.311.0'", "Current runner version: '2.311.0'"},
		{"gh timestamp then ansi", "2024-01-02T03:04:05.1234567Z \x1b[36;1mnpm test\x1b[0m", "npm test"},
		{"not a timestamp", "2024-01-02 03:04:05 INFO started", "2024-01-02 03:04:05 INFO started"},
		{"gh group", "2024-01-02T03:04:05.1234567Z ##[group]Run actions/setup-node@v4", "Run actions/setup-node@v4"},
		{"gh endgroup", "2024-01-02T03:04:06.0000000Z ##[endgroup]", ""},
		{"gh error", "2024-01-02T03:04:07.0000000Z ##[error]Process completed with exit code 1.", "Process completed with exit code 1."},
		{"gh warning", "##[warning]Node.js 16 actions are deprecated.", "Node.js 16 actions are deprecated."},
		{"gh notice", "##[notice]Docs updated", "Docs updated"},
		{"gh debug", "##[debug]Evaluating condition for step: 'Build'", "Evaluating condition for step: 'Build'"},
		{"gh command", "##[command]/usr/bin/git version", "/usr/bin/git version"},
		{"azure section", "##[section]Starting: Build", "Starting: Build"},
		{"gh unknown marker untouched", "##[foo]bar", "##[foo]bar"},
		{"wf error", "::error::Something went wrong", "Something went wrong"},
		{"wf error params", "::error file=app.js,line=10,col=15::Missing semicolon", "Missing semicolon"},
		{"wf warning title", "::warning title=Deprecated::Use v2", "Use v2"},
		{"wf notice", "::notice::done", "done"},
		{"wf debug", "::debug::Set output", "Set output"},
		{"wf group", "::group::Install dependencies", "Install dependencies"},
		{"wf endgroup", "::endgroup::", ""},
		{"wf unknown untouched", "::set-output name=x::1", "::set-output name=x::1"},
		{"double colon text untouched", "::not a command", "::not a command"},
		{"cpp scope untouched", "::std::vector<int> v;", "::std::vector<int> v;"},

		// GitLab
		{"gitlab section start", "section_start:1560896352:step_script\r\x1b[0KExecuting \"step_script\" stage of the job script", "Executing \"step_script\" stage of the job script"},
		{"gitlab section start options", "\x1b[0Ksection_start:1560896352:build_app[collapsed=true]\r\x1b[0K\x1b[36;1mBuilding the app\x1b[0;m", "Building the app"},
		{"gitlab section end", "section_end:1560896353:step_script\r\x1b[0K", ""},
		{"gitlab end then start", "\x1b[0Ksection_end:1560896353:prepare_script\r\x1b[0K\x1b[0Ksection_start:1560896353:get_sources\r\x1b[0K\x1b[0K\x1b[36;1mGetting source from Git repository\x1b[0;m", "Getting source from Git repository"},
		{"gitlab output before end", "last output\x1b[0Ksection_end:1560896353:step_script\r\x1b[0K", "last output"},
		{"gitlab timestamp", "2024-02-29T10:15:54.640071Z 00O Running with gitlab-runner 17.0.0", "Running with gitlab-runner 17.0.0"},
		{"gitlab timestamp continuation", "2024-02-29T10:15:54.640071Z 01E+error: more", "error: more"},
		{"section word untouched", "section_start is a word here", "section_start is a word here"},

		// Travis
		{"travis fold start", "travis_fold:start:system_info\r\x1b[0K\x1b[33;1mBuild system information\x1b[0m\r", "Build system information"},
		{"travis fold end", "travis_fold:end:system_info\r\x1b[0K\r", ""},
		{"travis chain", "travis_fold:end:git.checkout\r\x1b[0Ktravis_time:start:02eb6009\r\x1b[0Ktravis_time:end:02eb6009:start=1448324590845030360,finish=1448324590851044914,duration=6014554\r\x1b[0Ktravis_fold:start:rvm\r\x1b[0Ktravis_time:start:11e3ad4c\r\x1b[0K$ rvm use default\r", "$ rvm use default"},
		{"travis time start", "travis_time:start:162a4e8b\r\x1b[0K$ git clone --depth=50 https://github.com/a/b.git a/b\r", "$ git clone --depth=50 https://github.com/a/b.git a/b"},
		{"travis time end after output", "\x1b[0mtravis_time:end:002657c2:start=1564330870683604088,finish=1564330880835669775,duration=10152065687\r\x1b[0K\x1b[31;1mThe command \"npm run lint\" exited with 1.\x1b[0m\r", "The command \"npm run lint\" exited with 1."},
		{"travis output kept before marker", "'Foo.purs' should fail   travis_time:end:0b04d5f7:start=1,finish=2,duration=1\r\x1b[0K\x1b[31;1mThe command \"make\" exited with 1.\x1b[0m\r", "'Foo.purs' should fail    The command \"make\" exited with 1."},
		{"travis marker after output, no escape", "nltravis_time:start:02c61126\r", "nl"},
		{"travis marker quoted in shell trace", "+echo -en 'travis_fold:end:install\\r\\033[0K'", "+echo -en 'travis_fold:end:install\\r\\033[0K'"},
		{"travis word untouched", "travis_fold is mentioned", "travis_fold is mentioned"},

		// Buildkite
		{"bk timestamp", "\x1b_bk;t=1600000000000\x07Running tests", "Running tests"},
		{"bk timestamp many", "\x1b_bk;t=1600000000000\x07a\x1b_bk;t=1600000000001\x07b", "ab"},
		{"bk section", "--- :golang: Build", ":golang: Build"},
		{"bk section with timestamp", "\x1b_bk;t=1600000000000\x07+++ Run tests", "Run tests"},
		{"bk collapsed", "~~~ Setup environment", "Setup environment"},
		{"bk expand previous", "^^^ +++", ""},
		{"go test fail untouched", "--- FAIL: TestLogin (0.01s)", "--- FAIL: TestLogin (0.01s)"},
		{"go test pass untouched", "--- PASS: TestLogin (0.01s)", "--- PASS: TestLogin (0.01s)"},
		{"diff header untouched", "--- a/main.go", "--- a/main.go"},
		{"diff header plus untouched", "+++ b/main.go", "+++ b/main.go"},
		{"testify expected untouched", "--- Expected", "--- Expected"},
		{"dashes untouched", "----------", "----------"},
		{"rust test header untouched", "---- tests::it_works stdout ----", "---- tests::it_works stdout ----"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			orig := bytes.Clone(in)
			got := Normalize(in)
			if string(got) != tt.want {
				t.Errorf("Normalize(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if !bytes.Equal(in, orig) {
				t.Errorf("Normalize modified its input: %q", in)
			}
		})
	}
}

func TestStepTracking(t *testing.T) {
	var st steps
	n := normalizer{steps: &st}
	seq := []struct{ in, text, step string }{
		{"##[group]Run npm ci", "Run npm ci", "Run npm ci"},
		{"npm ERR! code E401", "npm ERR! code E401", "Run npm ci"},
		{"##[endgroup]", "", "Run npm ci"}, // the step's output follows its group
		{"::group::Tests", "Tests", "Tests"},
		{"::endgroup::", "", "Run npm ci"},
		{"section_start:1:outer\r\x1b[0KOuter", "Outer", "outer"},
		{"section_start:2:inner[collapsed=true]\r\x1b[0KInner", "Inner", "inner"},
		{"section_end:3:inner\r\x1b[0K", "", "outer"},
		{"section_end:4:unknown\r\x1b[0K", "", "outer"},
		{"section_end:5:outer\r\x1b[0K", "", "Run npm ci"},
		{"travis_fold:start:install\r\x1b[0K$ npm install\r", "$ npm install", "install"},
		{"travis_fold:end:install\r\x1b[0Ktravis_fold:start:script\r\x1b[0K$ npm test\r", "$ npm test", "script"},
		{"travis_fold:end:script\r\x1b[0K\r", "", "Run npm ci"},
		{"--- Build", "Build", "Build"},
		{"+++ Test", "Test", "Test"},
		{"--- FAIL: TestX (0.00s)", "--- FAIL: TestX (0.00s)", "Test"},
		{"^^^ +++", "", "Test"},
	}
	for i, s := range seq {
		got := n.normalize([]byte(s.in))
		if string(got) != s.text || st.top() != s.step {
			t.Errorf("%d: %q -> text %q step %q, want %q %q", i, s.in, got, st.top(), s.text, s.step)
		}
	}
}

// The step marker sleuth's CI fetchers write: any name (those a Buildkite header would
// refuse as diff or test output too), no text of its own, replacing open steps.
func TestStepMarker(t *testing.T) {
	var st steps
	n := normalizer{steps: &st}
	seq := []struct{ in, text, step string }{
		{"##[group]Run make", "Run make", "Run make"},
		{"##[group]Inner", "Inner", "Inner"},
		{strings.TrimSuffix(StepLine("./gradlew build"), "\n"), "", "./gradlew build"},
		{"error: boom", "error: boom", "./gradlew build"},
		{strings.TrimSuffix(StepLine("new  tests\r\n(2)"), "\n"), "", "new tests (2)"},
		{"2024-05-01T13:00:00.0000000Z " + strings.TrimSuffix(StepLine("Run tests"), "\n"), "", "Run tests"},
		{"##[step]", "", ""},
	}
	for i, s := range seq {
		got := n.normalize([]byte(s.in))
		if string(got) != s.text || st.top() != s.step {
			t.Errorf("%d: %q -> text %q step %q, want %q %q", i, s.in, got, st.top(), s.text, s.step)
		}
	}
	if l := StepLine("a\nb"); l != "##[step]a b\n" {
		t.Errorf("StepLine = %q", l)
	}
	if l := StepLine(strings.Repeat("x", 1000)); len(l) != len(StepMarker)+maxStepName+1 {
		t.Errorf("StepLine of a long name: %d bytes", len(l))
	}
}

func TestStepNameBounded(t *testing.T) {
	var st steps
	n := normalizer{steps: &st}
	long := bytes.Repeat([]byte("é"), 1000)
	n.normalize(append([]byte("##[group]"), long...))
	if got := st.top(); len(got) > maxStepName || len(got) == 0 {
		t.Fatalf("step name length %d", len(got))
	}
	for i := 0; i < 1000; i++ {
		n.normalize([]byte("::group::x"))
	}
	if len(st.stack) > maxSteps {
		t.Fatalf("stack depth %d > %d", len(st.stack), maxSteps)
	}
}

func BenchmarkNormalizePlain(b *testing.B) {
	line := []byte("    at Object.<anonymous> (/home/runner/work/app/app/node_modules/jest/build/index.js:12:34)")
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	var n normalizer
	for b.Loop() {
		n.normalize(line)
	}
}

func BenchmarkNormalizeANSI(b *testing.B) {
	line := []byte("2024-01-02T03:04:05.1234567Z \x1b[31;1mError:\x1b[0m Cannot find module 'express' from '/home/runner/work/app/app/src/index.js'\r")
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	var n normalizer
	for b.Loop() {
		n.normalize(line)
	}
}
