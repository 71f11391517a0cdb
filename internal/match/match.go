// Package match compiles a playbook catalog into one prefilter automaton and finds, in one
// streaming pass over a log, every line where a playbook matches.
//
// Per line: an Aho-Corasick automaton over the literals that every anchor pattern requires
// finds the candidate anchors; only those run their regex. A confirmed anchor waits until the
// lines after it have arrived, then its window is checked against the playbook's all/none
// patterns. Memory is bounded by the largest window, never by the log.
package match

import (
	"bytes"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"

	"github.com/sleuth-ci/sleuth/internal/redact"
	"github.com/sleuth-ci/sleuth/playbook"
)

// MaxHitsPerPlaybook bounds the hits kept per playbook from the start of the log, and
// LastHitsPerPlaybook those kept from its end; the ones between are only counted.
const (
	MaxHitsPerPlaybook  = 5
	LastHitsPerPlaybook = 3
)

// MaxLineBytes bounds the text kept for one evidence line.
const MaxLineBytes = 2000

// Catalog is a compiled set of playbooks, safe for concurrent use by many Matchers.
type Catalog struct {
	Playbooks []*playbook.Playbook

	anchors    []anchor
	windows    []window // per playbook
	extracts   [][]extract
	ac         *automaton
	acTargets  [][]int32 // automaton pattern -> anchors it may confirm; -1 means a hint keyword
	unfiltered []int32   // anchors with no usable literal: run on every line
	maxWindow  int
	hintWords  int
}

type anchor struct {
	playbook int
	pattern  playbook.Pattern
	re       *lazyRegexp // nil when the literal hit alone confirms the anchor
}

type window struct {
	size int
	all  []*lazyRegexp
	none []*lazyRegexp
}

type extract struct {
	name string
	re   *lazyRegexp
}

// lazyRegexp compiles on first use: most patterns never see a candidate line, and compiling
// them all would dominate the start-up of a short analysis.
type lazyRegexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() {
		re, err := regexp.Compile(l.expr)
		if err != nil {
			// The loader validated the syntax; a regex that still fails to compile (too large)
			// matches nothing rather than stopping the analysis.
			re = regexp.MustCompile(`[^\x00-\x{10FFFF}]`)
		}
		l.re = re
	})
	return l.re
}

// Compile builds the catalog. hintWords are extra case-insensitive literals whose presence on
// a line is reported to the line observer (the hint collector), found in the same pass.
func Compile(pbs []*playbook.Playbook, hintWords []string) (*Catalog, error) {
	c := &Catalog{Playbooks: pbs}
	var literals []string
	litIndex := map[string]int{}
	addLiteral := func(lit string, target int32) {
		i, ok := litIndex[lit]
		if !ok {
			i = len(literals)
			litIndex[lit] = i
			literals = append(literals, lit)
			c.acTargets = append(c.acTargets, nil)
		}
		c.acTargets[i] = append(c.acTargets[i], target)
	}
	for pi, p := range pbs {
		w := window{size: p.Match.EffectiveWindow()}
		if len(p.Match.All) == 0 && len(p.Match.None) == 0 && len(p.Extract) == 0 {
			w.size = 0 // nothing looks beyond the anchor line: no need to wait for later lines
		}
		for _, pat := range p.Match.All {
			re, err := compilePattern(p, pat)
			if err != nil {
				return nil, err
			}
			w.all = append(w.all, re)
		}
		for _, pat := range p.Match.None {
			re, err := compilePattern(p, pat)
			if err != nil {
				return nil, err
			}
			w.none = append(w.none, re)
		}
		if w.size > c.maxWindow {
			c.maxWindow = w.size
		}
		c.windows = append(c.windows, w)

		var exs []extract
		for _, ex := range p.Extract {
			if _, err := syntax.Parse(ex.Re, syntax.Perl); err != nil {
				return nil, fmt.Errorf("%s: extract %s: %v", p.Path, ex.Name, err)
			}
			exs = append(exs, extract{name: ex.Name, re: &lazyRegexp{expr: ex.Re}})
		}
		c.extracts = append(c.extracts, exs)

		for _, pat := range p.Match.Any {
			a := anchor{playbook: pi, pattern: pat}
			ai := int32(len(c.anchors))
			if pat.Regex == "" {
				lit := strings.ToLower(pat.Literal)
				if !isASCII(lit) || len(lit) < MinLiteral {
					// The automaton folds ASCII case only; confirm other literals by regex.
					re, err := compilePattern(p, pat)
					if err != nil {
						return nil, err
					}
					a.re = re
				}
				c.anchors = append(c.anchors, a)
				if len(lit) >= MinLiteral {
					addLiteral(lit, ai)
				} else {
					c.unfiltered = append(c.unfiltered, ai)
				}
				continue
			}
			re, err := compilePattern(p, pat)
			if err != nil {
				return nil, err
			}
			a.re = re
			c.anchors = append(c.anchors, a)
			lits, ok := RequiredLiterals(pat.Regex)
			if !ok {
				c.unfiltered = append(c.unfiltered, ai)
				continue
			}
			for _, lit := range lits {
				addLiteral(lit, ai)
			}
		}
	}
	for _, w := range hintWords {
		addLiteral(strings.ToLower(w), -1)
	}
	c.hintWords = len(hintWords)
	c.ac = newAutomaton(literals)
	return c, nil
}

func compilePattern(p *playbook.Playbook, pat playbook.Pattern) (*lazyRegexp, error) {
	expr := pat.AsRegex()
	if _, err := syntax.Parse(expr, syntax.Perl); err != nil {
		return nil, fmt.Errorf("%s:%d: invalid pattern %q: %v", p.Path, pat.Line, pat.String(), err)
	}
	return &lazyRegexp{expr: expr}, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Literals returns the prefilter literals (for tests and diagnostics).
func (c *Catalog) Literals() int { return len(c.acTargets) }

// Unfiltered returns how many anchors run on every line because they have no usable literal.
func (c *Catalog) Unfiltered() int { return len(c.unfiltered) }

// Line is one normalized log line as the matcher sees it.
type Line struct {
	Num  int
	Text []byte
	Step string
}

// Evidence is a line kept as proof.
type Evidence struct {
	Line int    `json:"line"`
	Text string `json:"text"`
	Step string `json:"step,omitempty"`
}

// Hit is one confirmed match of a playbook: the anchor line and the lines that satisfied its
// all patterns.
type Hit struct {
	Anchor   Evidence
	Pattern  string     // the anchor pattern that matched, as written
	Support  []Evidence // lines that satisfied the all patterns, in order
	Captures map[string]string
}

// Result is everything one playbook matched in a log.
type Result struct {
	Playbook *playbook.Playbook
	Hits     []Hit // the first MaxHitsPerPlaybook hits and the last LastHitsPerPlaybook, in line order
	Count    int   // all confirmed hits, including those not kept

	last [LastHitsPerPlaybook]Hit // ring of the latest hits past the first ones
}

// Observer receives every line, with whether it contains a hint keyword. It must not keep
// Text beyond the call.
type Observer interface {
	Observe(l Line, keyword bool)
}

// Matcher runs a catalog over one log, line by line.
type Matcher struct {
	c        *Catalog
	observer Observer
	ring     []ringLine // last 2*maxWindow+1 lines
	pending  []pending  // confirmed anchors waiting for their window, in line order
	results  []Result
	seen     []uint32 // per anchor: the line stamp it was last a candidate on
	stamp    uint32
	lastLine int
}

type ringLine struct {
	num  int
	text []byte
	step string
}

type pending struct {
	anchor int32
	line   int
}

// NewMatcher starts a pass over one log. observer may be nil.
func (c *Catalog) NewMatcher(observer Observer) *Matcher {
	m := &Matcher{
		c:        c,
		observer: observer,
		ring:     make([]ringLine, 2*c.maxWindow+1),
		results:  make([]Result, len(c.Playbooks)),
		seen:     make([]uint32, len(c.anchors)),
	}
	for i, p := range c.Playbooks {
		m.results[i].Playbook = p
	}
	return m
}

// Add feeds the next line. Lines must arrive in increasing Num order.
func (m *Matcher) Add(l Line) {
	m.lastLine = l.Num
	slot := &m.ring[l.Num%len(m.ring)]
	slot.num = l.Num
	slot.text = append(slot.text[:0], l.Text...)
	slot.step = l.Step

	m.stamp++
	keyword := false
	m.c.ac.each(l.Text, func(lit int32) {
		for _, ai := range m.c.acTargets[lit] {
			if ai < 0 {
				keyword = true
				continue
			}
			m.candidate(ai, l)
		}
	})
	for _, ai := range m.c.unfiltered {
		m.candidate(ai, l)
	}
	if m.observer != nil {
		m.observer.Observe(l, keyword)
	}
	m.flush(l.Num)
}

// candidate confirms one anchor on a line and queues it for its window check.
func (m *Matcher) candidate(ai int32, l Line) {
	if m.seen[ai] == m.stamp {
		return
	}
	m.seen[ai] = m.stamp
	a := &m.c.anchors[ai]
	if a.re != nil && !a.re.get().Match(l.Text) {
		return
	}
	// One queued anchor per playbook and line is enough.
	for i := len(m.pending) - 1; i >= 0 && m.pending[i].line == l.Num; i-- {
		if m.c.anchors[m.pending[i].anchor].playbook == a.playbook {
			return
		}
	}
	m.pending = append(m.pending, pending{anchor: ai, line: l.Num})
}

// flush checks every pending anchor whose window is complete at line upTo.
func (m *Matcher) flush(upTo int) {
	n := 0
	for _, p := range m.pending {
		a := &m.c.anchors[p.anchor]
		if p.line+m.c.windows[a.playbook].size > upTo {
			m.pending[n] = p
			n++
			continue
		}
		m.check(p)
	}
	m.pending = m.pending[:n]
}

// Finish checks anchors whose windows reach past the end of the log and returns the results
// of every playbook that matched, in catalog order.
func (m *Matcher) Finish() []Result {
	for _, p := range m.pending {
		m.check(p)
	}
	m.pending = nil
	var out []Result
	for _, r := range m.results {
		if r.Count == 0 {
			continue
		}
		extra := min(r.Count-MaxHitsPerPlaybook, LastHitsPerPlaybook)
		for i := extra; i > 0; i-- {
			r.Hits = append(r.Hits, r.last[(r.Count-MaxHitsPerPlaybook-i)%LastHitsPerPlaybook])
		}
		out = append(out, r)
	}
	return out
}

// Lines returns the number of the last line seen.
func (m *Matcher) Lines() int { return m.lastLine }

func (m *Matcher) line(num int) *ringLine {
	if num < 1 || num > m.lastLine || m.lastLine-num >= len(m.ring) {
		return nil
	}
	r := &m.ring[num%len(m.ring)]
	if r.num != num {
		return nil
	}
	return r
}

func (m *Matcher) check(p pending) {
	a := &m.c.anchors[p.anchor]
	res := &m.results[a.playbook]
	w := &m.c.windows[a.playbook]
	from, to := p.line-w.size, p.line+w.size
	for _, lre := range w.none {
		re := lre.get()
		for n := from; n <= to; n++ {
			if l := m.line(n); l != nil && re.Match(l.text) {
				return
			}
		}
	}
	var support []Evidence
	for _, lre := range w.all {
		re := lre.get()
		found := false
		for n := from; n <= to && !found; n++ {
			if l := m.line(n); l != nil && re.Match(l.text) {
				found = true
				if n != p.line {
					support = appendEvidence(support, evidence(l))
				}
			}
		}
		if !found {
			return
		}
	}
	anchorLine := m.line(p.line)
	hit := Hit{
		Anchor:   evidence(anchorLine),
		Pattern:  a.pattern.String(),
		Support:  sortEvidence(support),
		Captures: m.captures(a, anchorLine, from, to),
	}
	if res.Count < MaxHitsPerPlaybook {
		res.Hits = append(res.Hits, hit)
	} else {
		res.last[(res.Count-MaxHitsPerPlaybook)%LastHitsPerPlaybook] = hit
	}
	res.Count++
}

// captures collects named groups of the anchor regex, then the playbook's extract rules,
// tried on the anchor line first and then on the window. A capture is masked here, in the
// context of its whole line: cut out of it, a password or a key's value is no longer
// recognisable as one.
func (m *Matcher) captures(a *anchor, anchorLine *ringLine, from, to int) map[string]string {
	out := map[string]string{}
	if a.re != nil {
		re := a.re.get()
		if sub := re.FindSubmatch(anchorLine.text); sub != nil {
			for i, name := range re.SubexpNames() {
				if name != "" && len(sub[i]) > 0 {
					out[name] = redact.Within(string(anchorLine.text), string(sub[i]))
				}
			}
		}
	}
	for _, ex := range m.c.extracts[a.playbook] {
		if _, done := out[ex.name]; done {
			continue
		}
		re := ex.re.get()
		idx := re.SubexpIndex(ex.name)
		try := func(text []byte) bool {
			sub := re.FindSubmatch(text)
			if sub != nil && len(sub[idx]) > 0 {
				out[ex.name] = redact.Within(string(text), string(sub[idx]))
				return true
			}
			return false
		}
		if try(anchorLine.text) {
			continue
		}
		for n := from; n <= to; n++ {
			if l := m.line(n); l != nil && n != anchorLine.num && try(l.text) {
				break
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func evidence(l *ringLine) Evidence {
	return Evidence{Line: l.num, Text: string(Cut(l.text)), Step: l.step}
}

// Cut shortens a line to at most MaxLineBytes for evidence. A longer line is cut after its
// last blank within the limit, so that no word is kept in part: a token or key cut in half
// is no longer recognisable as a secret, and its first half would be printed.
func Cut(text []byte) []byte {
	if len(text) <= MaxLineBytes {
		return text
	}
	if i := bytes.LastIndexAny(text[:MaxLineBytes+1], " \t"); i > 0 {
		return text[:i]
	}
	return text[:MaxLineBytes]
}

func appendEvidence(list []Evidence, e Evidence) []Evidence {
	for _, x := range list {
		if x.Line == e.Line {
			return list
		}
	}
	return append(list, e)
}

func sortEvidence(list []Evidence) []Evidence {
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && list[j].Line < list[j-1].Line; j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
	return list
}
