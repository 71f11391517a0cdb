// Package hints picks, when no playbook matched, the few log lines that look most like the
// failure, so the user has somewhere to start. It never names a cause.
//
// Two things decide a hint: how the line itself reads (Score: an error marker at its start
// beats a failure word in its middle; stack frames, warnings, echoed commands and the
// runner's own "exited with 1" are not roots), and where it stands in the log. A CI job
// stops soon after its root error, and the runner then reports the failed command
// ("The command \"make\" exited with 2.", "##[error]Process completed with exit code 1.",
// "ERROR: Job failed"). That first failure marker is the anchor: the lines shortly above it,
// in the output of the command that failed, are where the root usually is, and the first
// line of a block of error lines is the one that says what went wrong.
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
	"not found", "no such file", "undefined", "killed", "timed out", "✖", "✗", "❌",
	"not ok", "[-]", "** (", "couldn't", "no output has been received", "timeout",
}

const (
	// keep bounds the candidates remembered: the last ones matter most, as a failing job
	// stops soon after its root error.
	keep = 256
	// tailLines is how many recent lines without a keyword are remembered, so the plain
	// message just above a failure marker ("Please commit the generated files") can be a hint.
	tailLines = 4
	// near is how many lines above the first failure marker count as "shortly above".
	near = 30
	// far is the outer reach of that bonus.
	far = 120
	// blockLag is what the first line of a block gives up against the block's best line.
	blockLag = 0
)

// Collector scores candidate lines while the log streams by. Its memory is bounded: two
// rings of candidates and a few recent lines, whatever the size of the log.
type Collector struct {
	ring  []Candidate // recent candidates
	count int

	// frozen holds the candidates seen before the first failure marker, taken when it came.
	frozen   []Candidate
	failLine int    // line of the first failure marker, 0 if none yet
	failCmd  int    // line of the command echo that preceded it
	failStep string // step the failure marker was in
	failFrom int    // first line of the failed command's output (see FailedRegion)

	stepName  string // step of the last line seen
	stepStart int    // line where that step began

	last     int  // last line number seen
	cmdLine  int  // line of the last command echo ("$ make")
	prevCand int  // line of the last candidate (for blocks)
	head     int  // ring index (count) of the first line of the current block
	follow   int  // a header line ("rake aborted!") asks for the next line: its score
	followAt int  // the line the header was on
	followHd bool // the header opened its block
	followIx int  // ring index (count) of the header

	tail  [tailLines]tailLine
	tails int
	lower []byte // scratch: the current line, lower-cased
}

type tailLine struct {
	num  int
	text []byte
	step string
	cmd  int
}

// Candidate is a scored line.
type Candidate struct {
	match.Evidence
	Score int // how the line reads on its own (Score)

	cmd   int  // the command echo line before it
	first bool // first line of a block of candidates
	block int  // for the first line of a block: the best Score in the block
}

// NewCollector returns an empty collector.
func NewCollector() *Collector { return &Collector{ring: make([]Candidate, keep)} }

// Observe implements match.Observer. Lines without a keyword cost a few comparisons and, for
// the last few non-blank ones, a copy into a reused buffer; they never allocate once warm.
func (c *Collector) Observe(l match.Line, keyword bool) {
	c.last = l.Num
	if l.Step != c.stepName {
		c.stepName, c.stepStart = l.Step, l.Num
	}
	text := l.Text
	if !keyword {
		if isCommandEcho(text) {
			c.cmdLine = l.Num
			c.follow = 0
			return
		}
		if c.follow > 0 && l.Num-c.followAt <= 3 {
			if len(bytes.TrimSpace(text)) == 0 {
				return
			}
			s := c.follow
			c.follow = 0
			if plain := plainScore(text); plain >= 0 {
				c.addFollowed(l, s)
				return
			}
		}
		if c.failLine == 0 && len(text) > 0 && !isBlank(text) {
			t := &c.tail[c.tails%tailLines]
			t.num, t.step, t.cmd = l.Num, l.Step, c.cmdLine
			t.text = append(t.text[:0], match.Cut(text)...)
			c.tails++
		}
		return
	}
	if isCommandEcho(text) {
		c.cmdLine = l.Num
		c.follow = 0
		return
	}
	t := bytes.TrimSpace(text)
	c.lower = lowerInto(c.lower, t)
	if c.failLine == 0 && isFailureMarker(c.lower) {
		c.freeze(l)
		return
	}
	s := score(t, c.lower)
	follow := c.follow
	c.follow = 0
	if follow > 0 && l.Num-c.followAt <= 3 && s < follow {
		s = follow
	}
	if s <= 0 {
		return
	}
	if follow > 0 && l.Num-c.followAt <= 3 {
		c.addFollowed(l, s)
		return
	}
	first := c.prevCand != l.Num-1
	c.add(l, s, first)
	if s >= levelMedium && isHeader(text) {
		c.follow = s
		c.followAt = l.Num
		c.followHd = first
		c.followIx = c.count - 1
	}
}

// addFollowed adds the line a header announced. When the header opened its block, the
// message takes its place as the block's first line: "rake aborted!" says less than the
// "No Rakefile found" under it.
func (c *Collector) addFollowed(l match.Line, s int) {
	if !c.followHd || c.count-c.followIx > keep || c.prevCand != c.followAt {
		c.add(l, s, c.prevCand != l.Num-1)
		return
	}
	h := &c.ring[c.followIx%keep]
	h.first = false
	c.add(l, max(s, h.block), true)
}

func (c *Collector) add(l match.Line, s int, first bool) {
	text := match.Cut(l.Text)
	c.ring[c.count%keep] = Candidate{
		Evidence: match.Evidence{Line: l.Num, Text: string(bytes.TrimRight(text, " \t")), Step: l.Step},
		Score:    s,
		cmd:      c.cmdLine,
		first:    first,
		block:    s,
	}
	if first {
		c.head = c.count
	} else if c.count-c.head < keep {
		// The block is as strong as its strongest line, and its first line speaks for it.
		h := &c.ring[c.head%keep]
		h.block = max(h.block, s)
	}
	c.count++
	c.prevCand = l.Num
}

// freeze records the first failure marker and keeps the candidates seen so far, plus the
// plain lines just above the marker.
func (c *Collector) freeze(l match.Line) {
	c.failLine = l.Num
	c.failCmd = c.cmdLine
	c.failStep = l.Step
	c.failFrom = c.cmdLine
	if l.Step != "" && c.stepStart > c.failFrom {
		c.failFrom = c.stepStart
	}
	// The plain lines just above the marker, when nothing scored stands between them: a
	// tool's last words. The first of them opens the block.
	first := true
	for i := 0; i < tailLines; i++ {
		t := &c.tail[(c.tails+i)%tailLines]
		if t.num == 0 || t.num <= c.prevCand || l.Num-t.num > 3 {
			continue
		}
		if s := plainScore(t.text); s > 0 {
			c.cmdLine = t.cmd
			c.add(match.Line{Num: t.num, Text: t.text, Step: t.step}, s, first)
			first = false
		}
	}
	c.cmdLine = c.failCmd
	c.frozen = c.candidates()
	c.count = 0
}

func (c *Collector) candidates() []Candidate {
	size := min(c.count, keep)
	out := make([]Candidate, 0, size)
	start := c.count - size
	for i := start; i < c.count; i++ {
		out = append(out, c.ring[i%keep])
	}
	return out
}

// rank is a candidate's final score: how it reads plus where it stands.
func (c *Collector) rank(cand *Candidate) int {
	r := cand.Score * 4
	if cand.first {
		r = max(r, cand.block*4-blockLag)
	} else {
		r -= 3
	}
	if setupStep(cand.Step) && cand.Step != c.failStep {
		r -= 8
	}
	if c.failLine > 0 {
		d := c.failLine - cand.Line
		switch {
		case d < 0:
			r -= 10 // after the failure: cleanup, after_failure dumps, cache upload
		case c.failCmd > 0 && cand.cmd == c.failCmd && cand.Line > c.failCmd:
			r += 6 // in the output of the command that failed
			fallthrough
		default:
			switch {
			case d <= near:
				r += 6
			case d <= far:
				r += 3
			}
		}
		return r
	}
	// No failure marker: the end of the log is where the job stopped.
	switch d := c.last - cand.Line; {
	case d <= near:
		r += 6
	case d <= far:
		r += 3
	}
	return r
}

// Hints returns up to n best lines, best first; ties go to the earlier line.
func (c *Collector) Hints(n int) []match.Evidence {
	cands := append(c.frozen[:len(c.frozen):len(c.frozen)], c.candidates()...)
	type ranked struct {
		Candidate
		r int
	}
	rs := make([]ranked, len(cands))
	for i := range cands {
		rs[i] = ranked{cands[i], c.rank(&cands[i])}
	}
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].r != rs[j].r {
			return rs[i].r > rs[j].r
		}
		return rs[i].Line < rs[j].Line
	})
	out := []match.Evidence{}
	seen := map[string]bool{}
	for _, cand := range rs {
		if len(out) == n {
			break
		}
		// The same message repeated (retries, several jobs) is one hint.
		if seen[cand.Text] {
			continue
		}
		seen[cand.Text] = true
		out = append(out, cand.Evidence)
	}
	return out
}

// FailedRegion returns the lines of the command whose failure the runner reported first:
// from its echo ("$ make test") or the start of its step, to the runner's verdict ("The
// command \"make test\" exited with 2.", "Process completed with exit code 1."). ok is false
// when the log holds no verdict. An error inside this region is what failed the job; the same
// error earlier, in a command that went on to succeed, did not.
func (c *Collector) FailedRegion() (from, to int, ok bool) {
	if c.failLine == 0 {
		return 0, 0, false
	}
	return max(c.failFrom, 1), c.failLine, true
}

// isCommandEcho reports a shell trace or runner echo of a command about to run.
func isCommandEcho(text []byte) bool {
	return len(text) >= 2 && text[0] == '$' && text[1] == ' '
}

func isBlank(text []byte) bool {
	for _, b := range text {
		if b != ' ' && b != '\t' && b != '\r' {
			return false
		}
	}
	return true
}

// failureMarkers are the runners' own words for "the command failed": consequences that
// anchor the search for the root, never hints themselves.
var failureMarkers = [][]byte{
	[]byte("the command \""), // Travis: The command "make" exited with 2. / failed 3 times.
	[]byte("process completed with exit code"),
	[]byte("error: job failed"),
	[]byte("your build exited with"),
	[]byte("no output has been received in the last"),
	[]byte("exited with code"), // CircleCI, docker compose
}

// lower is the trimmed, lower-cased line.
func isFailureMarker(lower []byte) bool {
	if len(lower) > 600 {
		return false
	}
	for i, m := range failureMarkers {
		j := bytes.Index(lower, m)
		if j < 0 {
			continue
		}
		// The runner speaks at the start of its line; a test output quoting it does not.
		if j > 12 && i != 3 {
			continue
		}
		rest := lower[j:]
		if bytes.Contains(rest, []byte("exited with 0.")) || bytes.Contains(rest, []byte("exit code 0")) ||
			bytes.HasSuffix(rest, []byte("with 0")) {
			return false
		}
		if i == 0 && !bytes.Contains(rest, []byte("exited with")) && !bytes.Contains(rest, []byte("failed")) {
			continue
		}
		return true
	}
	return false
}

// isHeader reports a short line that announces the real message on the next line:
// "rake aborted!", "Failures:", "FAILURE: Build failed with an exception.".
func isHeader(text []byte) bool {
	t := bytes.TrimSpace(text)
	if len(t) == 0 || len(t) > 60 {
		return false
	}
	last := t[len(t)-1]
	if last != ':' && last != '!' {
		return false
	}
	// A bare prefix ("npm ERR!", "error:") introduces nothing, and neither does a tool's
	// own log prefix.
	if bytes.HasPrefix(t, []byte("npm ")) || bytes.HasPrefix(t, []byte("*")) {
		return false
	}
	return bytes.IndexByte(bytes.TrimRight(t, ":! "), ' ') > 0
}

// setupStep reports steps that prepare the machine; errors there rarely fail the job.
func setupStep(step string) bool {
	if step == "" {
		return false
	}
	for _, p := range setupSteps {
		if len(step) >= len(p) && step[:len(p)] == p {
			return true
		}
	}
	return false
}

var setupSteps = []string{
	"system_info", "git.checkout", "git.submodule", "services", "apt", "cache.", "rvm", "nvm",
	"jdk_switcher", "worker_info", "docker_mtu", "resolvconf", "fix.", "hosts.", "ssh_key",
	"ssh-key", "Set up job", "Set up ", "Initialize containers", "Post ", "Complete job", "Stop containers",
	"Build system information", "Worker information",
}
