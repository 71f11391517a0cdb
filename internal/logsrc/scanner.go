package logsrc

import (
	"bufio"
	"io"
	"unicode/utf8"
)

const (
	// ReadBufferSize is the size of the Scanner's read buffer.
	ReadBufferSize = 256 << 10
	// MaxLineBytes is how much of one raw line a Scanner keeps; the rest of
	// a longer line is skipped up to its '\n'.
	MaxLineBytes = 64 << 10
)

// Line is one raw line of a log, normalized.
type Line struct {
	Num  int    // 1-based raw line number (raw input split on '\n')
	Text []byte // normalized text; only valid until the next call to Scan
	Step string // the CI step/group/section the line belongs to ("" if none)
}

// Scanner yields the normalized lines of a log. Lines are numbered by raw
// line: the input split on '\n', a final line without '\n' included.
//
// Step is the innermost step open after the line's own markers are applied:
// a "##[group]Build" line belongs to "Build", and an "##[endgroup]" line
// to the enclosing step (usually "").
//
// Memory use is bounded: a Scanner keeps one read buffer and at most
// MaxLineBytes of a line, and does not allocate per line.
type Scanner struct {
	r     *bufio.Reader
	norm  normalizer
	steps steps
	long  []byte // head of the current over-long line
	max   int
	line  Line
	n     int
	err   error
	done  bool
}

// NewScanner returns a Scanner reading from r.
func NewScanner(r io.Reader) *Scanner {
	s := &Scanner{r: bufio.NewReaderSize(r, ReadBufferSize), max: MaxLineBytes}
	s.norm.steps = &s.steps
	return s
}

// Scan advances to the next line, which is then available through Line.
// It returns false at the end of the input or on a read error.
func (s *Scanner) Scan() bool {
	if s.done {
		return false
	}
	frag, err := s.r.ReadSlice('\n')
	var raw []byte
	switch err {
	case nil:
		raw = frag[:len(frag)-1]
	case bufio.ErrBufferFull:
		// An over-long line: keep its head, skip the rest up to '\n'.
		s.long = append(s.long[:0], frag[:min(len(frag), s.max)]...)
		for err == bufio.ErrBufferFull {
			_, err = s.r.ReadSlice('\n')
		}
		if err != nil {
			s.finish(err)
		}
		raw = s.long
	default:
		s.finish(err)
		if len(frag) == 0 {
			s.line = Line{}
			return false
		}
		raw = frag
	}
	if len(raw) > s.max {
		raw = cut(raw, s.max)
	}
	s.n++
	s.line = Line{Num: s.n, Text: s.norm.normalize(raw), Step: s.steps.top()}
	return true
}

func (s *Scanner) finish(err error) {
	s.done = true
	if err != io.EOF {
		s.err = err
	}
}

// Line returns the current line.
func (s *Scanner) Line() Line { return s.line }

// Err returns the first read error, or nil at a clean end of input.
func (s *Scanner) Err() error { return s.err }

// Lines returns the number of lines seen so far.
func (s *Scanner) Lines() int { return s.n }

// cut shortens b to at most n bytes, not splitting a UTF-8 sequence.
func cut(b []byte, n int) []byte {
	for i := n; i > n-utf8.UTFMax && i > 0; i-- {
		if utf8.RuneStart(b[i]) {
			return b[:i]
		}
	}
	return b[:n]
}
