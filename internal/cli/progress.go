package cli

import (
	"fmt"
	"io"
	"time"
)

// progressMin is the size below which reading is too quick to be worth a progress line.
const progressMin = 64 << 20

// progressReader shows how far reading a long log has got, on one terminal line that it
// clears when done.
type progressReader struct {
	r       io.Reader
	w       io.Writer
	name    string
	total   int64 // -1 when unknown
	read    int64
	last    time.Time
	now     func() time.Time
	visible bool
}

// withProgress wraps r when stderr is a terminal and the input is large or of unknown size.
func (g *global) withProgress(r io.Reader, name string, size int64) (io.Reader, func()) {
	if !g.env.StderrIsTerminal || (size >= 0 && size < progressMin) {
		return r, func() {}
	}
	p := &progressReader{r: r, w: g.env.Stderr, name: name, total: size, now: time.Now}
	p.last = p.now()
	return p, p.done
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.read += int64(n)
	if t := p.now(); t.Sub(p.last) >= 200*time.Millisecond {
		p.last = t
		p.visible = true
		if p.total > 0 {
			fmt.Fprintf(p.w, "\r\x1b[Ksleuth: reading %s: %d%% (%s of %s)", p.name, p.read*100/p.total, mb(p.read), mb(p.total))
		} else {
			fmt.Fprintf(p.w, "\r\x1b[Ksleuth: reading %s: %s", p.name, mb(p.read))
		}
	}
	return n, err
}

func (p *progressReader) done() {
	if p.visible {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }
