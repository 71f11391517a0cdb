package diagnose

import (
	"io"

	"github.com/sleuth-ci/sleuth/internal/logsrc"
	"github.com/sleuth-ci/sleuth/internal/match"
	"github.com/sleuth-ci/sleuth/internal/redact"
)

// Reading and normalizing run on one goroutine, matching on another, so a long log uses two
// cores. Lines travel in batches, in order, through a fixed set of reused buffers: memory
// stays bounded and the result is the same as a sequential pass.

const (
	batchLines   = 1024
	batchBuffers = 4
)

type batch struct {
	text  []byte // the lines' text, back to back
	lines []batchLine
}

type batchLine struct {
	num        int
	start, end int
	step       string
}

// scanResult is what the reading side reports when it stops.
type scanResult struct {
	lines int
	err   error
}

// scanLines reads r into batches until EOF, an error, or stop is closed.
//
// Private keys printed over several lines are masked here, before the matcher sees a line:
// only the whole stream knows that a line of base64 lies between a BEGIN and an END line,
// and an evidence line, a hint or a capture no longer does. Every other secret is
// recognisable on its own line and is masked where the analysis leaves the program.
func scanLines(r io.Reader, free <-chan *batch, full chan<- *batch, stop <-chan struct{}) scanResult {
	defer close(full)
	sc := logsrc.NewScanner(r)
	var keys redact.Keys
	var b *batch
	send := func() bool {
		select {
		case full <- b:
			b = nil
			return true
		case <-stop:
			return false
		}
	}
	for sc.Scan() {
		if b == nil {
			select {
			case b = <-free:
			case <-stop:
				return scanResult{sc.Lines(), nil}
			}
			b.text, b.lines = b.text[:0], b.lines[:0]
		}
		l := sc.Line()
		start := len(b.text)
		b.text = append(b.text, keys.Bytes(l.Text)...)
		b.lines = append(b.lines, batchLine{num: l.Num, start: start, end: len(b.text), step: l.Step})
		if len(b.lines) == batchLines && !send() {
			return scanResult{sc.Lines(), nil}
		}
	}
	if b != nil && len(b.lines) > 0 && !send() {
		return scanResult{sc.Lines(), nil}
	}
	return scanResult{sc.Lines(), sc.Err()}
}

// feed runs the matcher over a log, reading on a second goroutine.
func feed(r io.Reader, m *match.Matcher) (lines int, err error) {
	free := make(chan *batch, batchBuffers)
	full := make(chan *batch, batchBuffers)
	stop := make(chan struct{})
	for range batchBuffers {
		free <- &batch{}
	}
	done := make(chan scanResult, 1)
	go func() { done <- scanLines(r, free, full, stop) }()
	for b := range full {
		for _, l := range b.lines {
			m.Add(match.Line{Num: l.num, Text: b.text[l.start:l.end], Step: l.step})
		}
		free <- b
	}
	close(stop)
	res := <-done
	return res.lines, res.err
}
