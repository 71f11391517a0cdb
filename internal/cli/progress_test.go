package cli

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func TestProgressReader(t *testing.T) {
	var out bytes.Buffer
	clock := time.Unix(0, 0)
	p := &progressReader{r: strings.NewReader(strings.Repeat("x", 300<<20>>10)), w: &out, name: "big.log", total: 300 << 20 >> 10,
		now: func() time.Time { clock = clock.Add(100 * time.Millisecond); return clock }}
	p.last = clock
	if _, err := io.Copy(io.Discard, struct{ io.Reader }{p}); err != nil {
		t.Fatal(err)
	}
	p.done()
	got := out.String()
	if !strings.Contains(got, "sleuth: reading big.log: ") || !strings.Contains(got, "%") {
		t.Fatalf("no progress shown: %q", got)
	}
	if !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("progress line not cleared at the end: %q", got[len(got)-20:])
	}
}

func TestNoProgressWhenNotATerminal(t *testing.T) {
	g := &global{env: Env{Stderr: io.Discard}}
	r := strings.NewReader("x")
	if got, _ := g.withProgress(r, "x", -1); got != io.Reader(r) {
		t.Error("progress wraps the reader although stderr is not a terminal")
	}
	g.env.StderrIsTerminal = true
	if got, _ := g.withProgress(r, "x", 10); got != io.Reader(r) {
		t.Error("progress for a small file")
	}
	if got, _ := g.withProgress(r, "x", -1); got == io.Reader(r) {
		t.Error("no progress for stdin on a terminal")
	}
}
