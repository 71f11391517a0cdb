package logsrc

import (
	"bytes"
	"compress/gzip"
	"testing"
)

func checkText(t *testing.T, text []byte) {
	t.Helper()
	if bytes.IndexByte(text, esc) >= 0 || bytes.IndexByte(text, 0) >= 0 || bytes.IndexByte(text, '\r') >= 0 {
		t.Fatalf("control byte in normalized text %q", text)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"plain line",
		"\x1b[31;1mERROR\x1b[0m\r\n",
		"2024-01-02T03:04:05.1234567Z ##[group]Run x",
		"::error file=a.go,line=1::boom",
		"section_start:1560896352:step_script\r\x1b[0KTitle",
		"travis_fold:end:a\r\x1b[0Ktravis_fold:start:b\r\x1b[0K$ cmd\r",
		"\x1b_bk;t=1600000000000\x07--- Build",
		"\x1b]8;;http://x\x1b\\link\x1b]8;;\x07",
		"50%\r100%",
		"\xef\xbb\xbf\xff\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		orig := bytes.Clone(in)
		out := Normalize(in)
		if !bytes.Equal(in, orig) {
			t.Fatal("input modified")
		}
		checkText(t, out)
		if len(out) > len(in) {
			t.Fatalf("output longer than input: %q -> %q", in, out)
		}
		// The Scanner's reused buffers must give the same text.
		var st steps
		n := normalizer{steps: &st}
		n.normalize([]byte("\x1b[1mwarm\x1b[0m\rup\x00"))
		if got := n.normalize(in); !bytes.Equal(got, out) {
			t.Fatalf("scanner normalizer %q != Normalize %q", got, out)
		}
		if len(st.stack) > maxSteps {
			t.Fatal("step stack unbounded")
		}
	})
}

func FuzzScanner(f *testing.F) {
	for _, s := range []string{
		"",
		"a\nb",
		"##[group]G\r\nx\r\n##[endgroup]\r\n",
		"section_start:1:s\r\x1b[0KT\nsection_end:2:s\r\x1b[0K\n",
		"travis_fold:start:f\r\x1b[0K$ x\r\ntravis_fold:end:f\r\x1b[0K\r\n",
		"\x1b_bk;t=1\x07+++ T\n\x00\xff\n",
	} {
		f.Add([]byte(s), uint16(8), false)
	}
	f.Fuzz(func(t *testing.T, in []byte, max uint16, gz bool) {
		want := bytes.Count(in, []byte("\n"))
		if len(in) > 0 && in[len(in)-1] != '\n' {
			want++
		}
		var r *bytes.Reader
		if gz {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(in)
			zw.Close()
			src, err := Open("-", bytes.NewReader(b.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			data := new(bytes.Buffer)
			if _, err := data.ReadFrom(src); err != nil {
				t.Fatal(err)
			}
			r = bytes.NewReader(data.Bytes())
		} else {
			r = bytes.NewReader(in)
		}
		s := NewScanner(r)
		s.max = 1 + int(max)%512 // small caps exercise the long-line path
		if len(in)%2 == 0 {
			s.max = MaxLineBytes
		}
		n := 0
		for s.Scan() {
			n++
			l := s.Line()
			if l.Num != n {
				t.Fatalf("line number %d, want %d", l.Num, n)
			}
			checkText(t, l.Text)
			if len(l.Text) > s.max {
				t.Fatalf("text of %d bytes over cap %d", len(l.Text), s.max)
			}
		}
		if s.Err() != nil {
			t.Fatal(s.Err())
		}
		if s.Lines() != want || n != want {
			t.Fatalf("%d lines (Lines %d), want %d", n, s.Lines(), want)
		}
	})
}
