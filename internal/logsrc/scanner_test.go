package logsrc

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

type got struct {
	Num  int
	Text string
	Step string
}

func scanAll(t *testing.T, r io.Reader) ([]got, *Scanner) {
	t.Helper()
	s := NewScanner(r)
	var out []got
	for s.Scan() {
		l := s.Line()
		out = append(out, got{l.Num, string(l.Text), l.Step})
	}
	return out, s
}

func TestScannerBasics(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []got
	}{
		{"empty", "", nil},
		{"single newline", "\n", []got{{1, "", ""}}},
		{"no trailing newline", "a\nb", []got{{1, "a", ""}, {2, "b", ""}}},
		{"trailing newline", "a\nb\n", []got{{1, "a", ""}, {2, "b", ""}}},
		{"crlf", "one\r\ntwo\r\n\r\n", []got{{1, "one", ""}, {2, "two", ""}, {3, "", ""}}},
		{"nul", "a\x00b\n\x00\x00\nc", []got{{1, "ab", ""}, {2, "", ""}, {3, "c", ""}}},
		{"invalid utf8", "\xff\xfe\xfd\n\xc3(\n", []got{{1, "\xff\xfe\xfd", ""}, {2, "\xc3(", ""}}},
		{"bare cr is not a line break", "50%\r100%\ndone\n", []got{{1, "100%", ""}, {2, "done", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, s := scanAll(t, strings.NewReader(tt.in))
			if s.Err() != nil {
				t.Fatalf("Err() = %v", s.Err())
			}
			if fmt.Sprint(out) != fmt.Sprint(tt.want) {
				t.Errorf("got  %+v\nwant %+v", out, tt.want)
			}
			if s.Lines() != len(tt.want) {
				t.Errorf("Lines() = %d, want %d", s.Lines(), len(tt.want))
			}
			if s.Scan() {
				t.Error("Scan() after end returned true")
			}
		})
	}
}

func TestScannerSteps(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []got
	}{
		{"github", "2024-01-02T03:04:05.1234567Z ##[group]Run npm ci\n" +
			"2024-01-02T03:04:05.2000000Z npm ERR! code E401\n" +
			"2024-01-02T03:04:05.3000000Z ##[endgroup]\n" +
			"2024-01-02T03:04:05.4000000Z ##[error]Process completed with exit code 1.\n",
			[]got{{1, "Run npm ci", "Run npm ci"}, {2, "npm ERR! code E401", "Run npm ci"}, {3, "", "Run npm ci"}, {4, "Process completed with exit code 1.", "Run npm ci"}}},
		{"github workflow commands", "::group::Install\nok\n::endgroup::\n::error file=a.go,line=3::boom\n",
			[]got{{1, "Install", "Install"}, {2, "ok", "Install"}, {3, "", ""}, {4, "boom", ""}}},
		{"gitlab", "\x1b[0Ksection_start:1560896352:prepare_executor\r\x1b[0K\x1b[0K\x1b[36;1mPreparing the \"docker\" executor\x1b[0;m\n" +
			"Using Docker executor with image golang:1.22 ...\n" +
			"\x1b[0Ksection_end:1560896353:prepare_executor\r\x1b[0K\x1b[0Ksection_start:1560896353:step_script\r\x1b[0K\x1b[0K\x1b[36;1mExecuting \"step_script\" stage of the job script\x1b[0;m\n" +
			"\x1b[32;1m$ go test ./...\x1b[0;m\n" +
			"\x1b[0Ksection_end:1560896360:step_script\r\x1b[0K\n" +
			"\x1b[31;1mERROR: Job failed: exit code 1\n\x1b[0;m\n",
			[]got{{1, "Preparing the \"docker\" executor", "prepare_executor"}, {2, "Using Docker executor with image golang:1.22 ...", "prepare_executor"},
				{3, "Executing \"step_script\" stage of the job script", "step_script"}, {4, "$ go test ./...", "step_script"},
				{5, "", ""}, {6, "ERROR: Job failed: exit code 1", ""}, {7, "", ""}}},
		{"travis", "travis_fold:start:install\r\x1b[0Ktravis_time:start:0a1b\r\x1b[0K$ npm install\r\n" +
			"npm ERR! 404 Not Found\r\n" +
			"\r\n" +
			"travis_time:end:0a1b:start=1,finish=2,duration=1\r\x1b[0K\r\n" +
			"\x1b[31;1mThe command \"npm install\" failed and exited with 1 during .\x1b[0m\r\n" +
			"travis_fold:end:install\r\x1b[0K\r\n" +
			"Done. Your build exited with 1.\r\n",
			[]got{{1, "$ npm install", "install"}, {2, "npm ERR! 404 Not Found", "install"}, {3, "", "install"}, {4, "", "install"},
				{5, "The command \"npm install\" failed and exited with 1 during .", "install"}, {6, "", ""}, {7, "Done. Your build exited with 1.", ""}}},
		{"buildkite", "\x1b_bk;t=1600000000000\x07--- :docker: Build image\n" +
			"\x1b_bk;t=1600000000100\x07Step 1/5 : FROM golang\n" +
			"\x1b_bk;t=1600000000200\x07+++ :go: Test\n" +
			"\x1b_bk;t=1600000000300\x07--- FAIL: TestAuth (0.02s)\n" +
			"\x1b_bk;t=1600000000400\x07^^^ +++\n",
			[]got{{1, ":docker: Build image", ":docker: Build image"}, {2, "Step 1/5 : FROM golang", ":docker: Build image"},
				{3, ":go: Test", ":go: Test"}, {4, "--- FAIL: TestAuth (0.02s)", ":go: Test"}, {5, "", ":go: Test"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, s := scanAll(t, strings.NewReader(tt.in))
			if s.Err() != nil {
				t.Fatal(s.Err())
			}
			if fmt.Sprint(out) != fmt.Sprint(tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", out, tt.want)
			}
		})
	}
}

func TestScannerLongLine(t *testing.T) {
	var in bytes.Buffer
	in.WriteString("first\n")
	long := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16) // 3 MiB, longer than the read buffer
	in.Write(long)
	in.WriteString("\nlast\n")
	in.Write(long[:100000]) // long line without trailing newline, shorter than the buffer
	out, s := scanAll(t, &in)
	if s.Err() != nil {
		t.Fatal(s.Err())
	}
	if len(out) != 4 || s.Lines() != 4 {
		t.Fatalf("got %d lines (Lines %d), want 4", len(out), s.Lines())
	}
	if out[0].Text != "first" || out[2].Text != "last" || out[2].Num != 3 {
		t.Errorf("lines around the long one: %+v %+v", out[0], out[2])
	}
	for _, i := range []int{1, 3} {
		if len(out[i].Text) != MaxLineBytes || out[i].Text != string(long[:MaxLineBytes]) {
			t.Errorf("line %d: kept %d bytes, want the first %d", i+1, len(out[i].Text), MaxLineBytes)
		}
	}
}

func TestScannerLongLineUTF8Cut(t *testing.T) {
	in := strings.Repeat("é", MaxLineBytes) + "\nnext\n" // 2 bytes per rune
	in = "x" + in                                        // shift so the cap falls inside a rune
	out, _ := scanAll(t, strings.NewReader(in))
	if len(out) != 2 || out[1].Text != "next" {
		t.Fatalf("got %d lines", len(out))
	}
	if len(out[0].Text) > MaxLineBytes || !utf8Valid(out[0].Text) {
		t.Errorf("truncated line: %d bytes, valid UTF-8 %v", len(out[0].Text), utf8Valid(out[0].Text))
	}
}

func TestScannerSmallReads(t *testing.T) {
	in := "travis_fold:start:a\r\x1b[0Kx\r\ny\r\ntravis_fold:end:a\r\x1b[0K\r\nz"
	want, _ := scanAll(t, strings.NewReader(in))
	out, s := scanAll(t, iotest.OneByteReader(strings.NewReader(in)))
	if s.Err() != nil || fmt.Sprint(out) != fmt.Sprint(want) {
		t.Errorf("one-byte reads: %+v, %v; want %+v", out, s.Err(), want)
	}
}

func TestScannerReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("a\nb"), iotest.ErrReader(boom))
	out, s := scanAll(t, r)
	if len(out) != 2 || out[1].Text != "b" {
		t.Errorf("got %+v", out)
	}
	if !errors.Is(s.Err(), boom) {
		t.Errorf("Err() = %v, want boom", s.Err())
	}
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

func TestScannerGzip(t *testing.T) {
	plain := []byte("##[group]Build\r\ngo build ./...\r\n##[error]exit 1\r\n")
	dir := t.TempDir()
	path := filepath.Join(dir, "build.log") // no .gz suffix: detected by content
	if err := os.WriteFile(path, gzipBytes(t, plain), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if !src.Gzip {
		t.Error("gzip not detected")
	}
	out, s := scanAll(t, src)
	want := []got{{1, "Build", "Build"}, {2, "go build ./...", "Build"}, {3, "exit 1", "Build"}}
	if s.Err() != nil || fmt.Sprint(out) != fmt.Sprint(want) {
		t.Errorf("got %+v, %v", out, s.Err())
	}
}

func TestScannerTruncatedGzip(t *testing.T) {
	var plain bytes.Buffer
	for i := range 20000 {
		fmt.Fprintf(&plain, "line %d of a log that was cut off\n", i)
	}
	gz := gzipBytes(t, plain.Bytes())
	src, err := Open("-", bytes.NewReader(gz[:len(gz)/2]))
	if err != nil {
		t.Fatal(err)
	}
	out, s := scanAll(t, src)
	if len(out) == 0 || len(out) >= 20000 {
		t.Errorf("got %d lines before the error", len(out))
	}
	err = s.Err()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Err() = %v, want unexpected EOF", err)
	}
	if want := "stdin: truncated gzip data: unexpected EOF"; err.Error() != want {
		t.Errorf("Err() = %q, want %q", err, want)
	}
}

// TestScannerAllocs checks that scanning does not allocate per line: the
// whole multi-MB log costs a fixed number of allocations.
func TestScannerAllocs(t *testing.T) {
	log := genLog(4 << 20)
	lines := bytes.Count(log, []byte("\n"))
	r := bytes.NewReader(log)
	allocs := testing.AllocsPerRun(3, func() {
		r.Reset(log)
		s := NewScanner(r)
		for s.Scan() {
		}
		if s.Lines() != lines {
			t.Fatalf("Lines() = %d, want %d", s.Lines(), lines)
		}
	})
	// Buffers plus one string per step marker; nothing per plain line.
	markers := bytes.Count(log, []byte("##[group]")) + bytes.Count(log, []byte("travis_fold:start:")) + bytes.Count(log, []byte("--- "))
	if limit := float64(markers + 20); allocs > limit {
		t.Errorf("%.0f allocations for %d lines (%d markers); want <= %.0f", allocs, lines, markers, limit)
	}
	t.Logf("%.0f allocations for %d lines (%.4f per line)", allocs, lines, allocs/float64(lines))
}

// TestScannerMemoryBounded checks that a huge single line does not grow
// the Scanner's buffers beyond the line cap.
func TestScannerMemoryBounded(t *testing.T) {
	r := io.MultiReader(
		io.LimitReader(repeatReader('x'), 100<<20), // a 100 MB line
		strings.NewReader("\n\x1b[31m"),
		io.LimitReader(repeatReader('y'), 10<<20), // 10 MB line with an escape: slow path
		strings.NewReader("\nend\n"),
	)
	s := NewScanner(r)
	n := 0
	for s.Scan() {
		n++
	}
	if s.Err() != nil || n != 3 {
		t.Fatalf("lines %d, err %v", n, s.Err())
	}
	if cap(s.long) > MaxLineBytes || cap(s.norm.buf) > 2*MaxLineBytes || cap(s.norm.out) > 2*MaxLineBytes {
		t.Errorf("buffers grew: long %d, buf %d, out %d", cap(s.long), cap(s.norm.buf), cap(s.norm.out))
	}
}

type repeatReader byte

func (c repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
