// Package hints picks, when no playbook matched, the few log lines that look most like the
// failure, so the user has somewhere to start. It never names a cause.
package hints

import (
	"bytes"
	"sort"

	"github.com/sleuth-ci/sleuth/internal/match"
)

// Max is how many hints an analysis shows.
const Max = 5

// Keywords are the words that make a line worth scoring; the matcher finds them in its pass.
var Keywords = []string{
	"error", "fail", "fatal", "exception", "panic", "traceback", "err!", "aborted",
	"exit code", "exited with", "exit status", "denied", "cannot", "could not", "unable to",
	"not found", "no such file", "undefined", "killed", "timed out", "✖", "✗",
}

// keep bounds the candidates remembered: the last ones matter most, as a failing job stops
// soon after its root error.
const keep = 256

// Collector scores candidate lines while the log streams by.
type Collector struct {
	ring  []Candidate
	count int
}

// Candidate is a scored line.
type Candidate struct {
	match.Evidence
	Score int
}

// NewCollector returns an empty collector.
func NewCollector() *Collector { return &Collector{ring: make([]Candidate, keep)} }

// Observe implements match.Observer.
func (c *Collector) Observe(l match.Line, keyword bool) {
	if !keyword {
		return
	}
	s := Score(l.Text)
	if s <= 0 {
		return
	}
	text := l.Text
	if len(text) > match.MaxLineBytes {
		text = text[:match.MaxLineBytes]
	}
	c.ring[c.count%keep] = Candidate{Evidence: match.Evidence{Line: l.Num, Text: string(text), Step: l.Step}, Score: s}
	c.count++
}

// Hints returns up to n best lines, best first; ties go to the earlier line.
func (c *Collector) Hints(n int) []match.Evidence {
	size := c.count
	if size > keep {
		size = keep
	}
	cands := append([]Candidate(nil), c.ring[:size]...)
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].Score != cands[j].Score {
			return cands[i].Score > cands[j].Score
		}
		return cands[i].Line < cands[j].Line
	})
	out := []match.Evidence{}
	for _, cand := range cands {
		if len(out) == n {
			break
		}
		out = append(out, cand.Evidence)
	}
	return out
}

// noise marks lines that mention failure words without being one: echoed commands, tool
// banners, summaries that report zero failures.
var noise = [][]byte{
	[]byte("0 errors"), []byte("0 failures"), []byte("0 failed"), []byte("warning"),
	[]byte("errors: 0"), []byte("failures: 0"), []byte("--no-"), []byte("-werror"),
}

var strong = [][]byte{
	[]byte("error:"), []byte("error["), []byte("fatal:"), []byte("exception"), []byte("traceback"),
	[]byte("err!"), []byte("failed"), []byte("failure"), []byte("panic:"), []byte("aborted"),
	[]byte("✖"), []byte("✗"),
}

var echo = [][]byte{[]byte("+ "), []byte("$ "), []byte("[command]"), []byte("run ")}

var consequence = [][]byte{
	[]byte("exited with"), []byte("exit code"), []byte("exit status"), []byte("make: ***"),
	[]byte("process completed"),
}

// Score rates how much a line looks like a root failure; 0 means not at all.
func Score(text []byte) int {
	lower := bytes.ToLower(bytes.TrimSpace(text))
	if len(lower) == 0 {
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
	score := 1
	for _, s := range strong {
		if bytes.Contains(lower, s) {
			score += 2
			break
		}
	}
	for _, c := range consequence {
		if bytes.Contains(lower, c) {
			score--
			break
		}
	}
	return score
}
