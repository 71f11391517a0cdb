// Package eval measures how well a catalog diagnoses a labelled corpus of real CI logs.
//
// A corpus is a directory holding cases.jsonl: one JSON object per line naming a log excerpt
// (relative to the directory), the playbook id it should be diagnosed as ("" for a green log
// that must produce no diagnosis), and the public source it came from. Run analyses every
// case exactly as `sleuth analyze` does and scores the answers.
package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/sleuth-ci/sleuth/internal/diagnose"
	"github.com/sleuth-ci/sleuth/internal/logsrc"
	"github.com/sleuth-ci/sleuth/internal/match"
	"github.com/sleuth-ci/sleuth/internal/redact"
)

// CasesFile is the name of the case list inside a corpus directory.
const CasesFile = "cases.jsonl"

// Schema names the JSON contract of a Report and of a baseline.
const Schema = "sleuth.eval.v1"

// Tolerance is how far a metric may move the wrong way before Compare calls it a drop; it
// absorbs rounding of the rates written to a baseline.
const Tolerance = 0.0001

// Case is one labelled log excerpt.
type Case struct {
	File   string `json:"file"`
	Expect string `json:"expect"`
	Source string `json:"source"`
	Note   string `json:"note,omitempty"`

	Line int `json:"-"` // line of cases.jsonl that declared it
}

// Green reports whether the case is a successful log that must produce no diagnosis.
func (c Case) Green() bool { return c.Expect == "" }

// CorpusError is a defect of the corpus itself: it names the file and, when it applies, the
// line.
type CorpusError struct {
	File string
	Line int
	Msg  string
}

func (e *CorpusError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Load reads dir/cases.jsonl and checks that every case names a readable file. Blank lines
// and lines starting with '#' are skipped. Every defect found is returned, one per line, as
// CorpusErrors joined with errors.Join.
func Load(dir string) ([]Case, error) {
	path := filepath.Join(dir, CasesFile)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &CorpusError{File: path, Msg: "no such file: a corpus is a directory with a " + CasesFile + " case list"}
		}
		return nil, &CorpusError{File: path, Msg: err.Error()}
	}
	defer f.Close()
	return parse(dir, path, f)
}

func parse(dir, path string, r io.Reader) ([]Case, error) {
	var (
		cases []Case
		errs  []error
		seen  = map[string]int{}
	)
	bad := func(line int, format string, args ...any) {
		errs = append(errs, &CorpusError{File: path, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 || text[0] == '#' {
			continue
		}
		var c Case
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			bad(n, "bad JSON: %v", err)
			continue
		}
		if dec.More() {
			bad(n, "bad JSON: more than one object on the line")
			continue
		}
		c.Line = n
		switch {
		case c.File == "":
			bad(n, `missing "file"`)
			continue
		case filepath.IsAbs(c.File) || !filepath.IsLocal(filepath.FromSlash(c.File)):
			bad(n, "file %q must be a path inside the corpus directory", c.File)
			continue
		}
		if first, ok := seen[c.File]; ok {
			bad(n, "file %q is already listed on line %d", c.File, first)
			continue
		}
		seen[c.File] = n
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(c.File)))
		switch {
		case errors.Is(err, os.ErrNotExist):
			bad(n, "file %q does not exist", c.File)
			continue
		case err != nil:
			bad(n, "file %q: %v", c.File, err)
			continue
		case fi.IsDir():
			bad(n, "file %q is a directory", c.File)
			continue
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		bad(n+1, "%v", err)
	}
	if len(errs) == 0 && len(cases) == 0 {
		return nil, &CorpusError{File: path, Msg: "no cases"}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cases, nil
}

// Outcome classifies the answer to one case.
type Outcome string

// Outcomes. Only OutcomeCorrect counts towards top-1 accuracy.
const (
	OutcomeCorrect   Outcome = "correct"    // top-1 is the expected id, or a green log got nothing
	OutcomeRanked    Outcome = "ranked"     // the expected id is diagnosed, but not first
	OutcomeWrong     Outcome = "wrong"      // a different id is top-1 and the expected one is absent
	OutcomeUnmatched Outcome = "unmatched"  // an id was expected and nothing was diagnosed
	OutcomeFalseHit  Outcome = "false-diag" // a green log got a diagnosis
)

// Result is the answer to one case.
type Result struct {
	File    string   `json:"file"`
	Expect  string   `json:"expect"`
	Got     []string `json:"got"`            // diagnosed ids, best first
	Rank    int      `json:"rank,omitempty"` // 1-based position of the expected id, 0 if absent
	Outcome Outcome  `json:"outcome"`
	// Evidence is the first evidence line of the top diagnosis, redacted.
	Evidence *match.Evidence `json:"evidence,omitempty"`
	// UnknownID is set when the expected id is not in the catalog.
	UnknownID bool `json:"unknown_id,omitempty"`
	// Seen is set when a catalog example was taken from the same source: the case is then
	// not held out, and a hit may only show that the playbook knows its own example.
	Seen   bool   `json:"seen,omitempty"`
	Source string `json:"source,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Miss reports whether the case was not answered correctly at top-1.
func (r Result) Miss() bool { return r.Outcome != OutcomeCorrect }

// Metrics are the numbers a baseline keeps. Rates are fractions in 0..1.
type Metrics struct {
	Cases     int `json:"cases"`
	Labelled  int `json:"labelled"`
	Green     int `json:"green"`
	Top1Count int `json:"top1_count"`
	Top3Count int `json:"top3_count"`
	// Unmatched counts labelled cases that got no diagnosis at all.
	Unmatched int `json:"unmatched_count"`
	// WrongTop1 counts labelled cases whose top-1 is another id; GreenHits counts green logs
	// that got any diagnosis. Together they are the false diagnoses.
	WrongTop1 int `json:"wrong_top1_count"`
	GreenHits int `json:"green_diagnosed_count"`

	Top1 float64 `json:"top1"` // (labelled with the expected id first + green with nothing) / cases
	Top3 float64 `json:"top3"` // (labelled with the expected id in the first 3 + green with nothing) / cases
	// UnmatchedRate is Unmatched / labelled cases.
	UnmatchedRate float64 `json:"unmatched_rate"`
	// FalseRate is (WrongTop1 + GreenHits) / cases: a confident wrong answer.
	FalseRate float64 `json:"false_diagnosis_rate"`
	// Cost weighs a false diagnosis twice as heavily as no answer:
	// (Unmatched + 2*(WrongTop1+GreenHits)) / cases. Lower is better.
	Cost float64 `json:"cost"`
}

// Report is the outcome of a whole corpus.
type Report struct {
	Schema  string  `json:"schema"`
	Corpus  string  `json:"corpus"`
	Catalog int     `json:"catalog"` // playbooks in the catalog used
	Metrics Metrics `json:"metrics"`
	// UnknownN counts labelled cases expecting an id the catalog does not have.
	UnknownN int `json:"unknown_expected_ids"`
	// HeldOut scores only the cases whose source no catalog example uses (see MarkSeen);
	// nil until MarkSeen is called.
	HeldOut *Metrics `json:"held_out,omitempty"`
	// Drops lists the metrics worse than the baseline, when one was compared.
	Drops   []Drop   `json:"drops,omitempty"`
	Misses  []Result `json:"misses"`
	Results []Result `json:"-"`
}

// Run analyses every case of the corpus in dir with the catalog, the way `sleuth analyze`
// does, and scores the answers.
func Run(dir string, cases []Case, cat *match.Catalog, known func(id string) bool) (*Report, error) {
	rep := &Report{Schema: Schema, Corpus: dir, Misses: []Result{}}
	for _, c := range cases {
		r, err := runCase(dir, c, cat)
		if err != nil {
			return nil, &CorpusError{File: filepath.Join(dir, CasesFile), Line: c.Line, Msg: err.Error()}
		}
		if !c.Green() && known != nil && !known(c.Expect) {
			r.UnknownID = true
			rep.UnknownN++
		}
		rep.Results = append(rep.Results, r)
		if r.Miss() {
			rep.Misses = append(rep.Misses, r)
		}
	}
	rep.Metrics = Score(rep.Results)
	return rep, nil
}

func runCase(dir string, c Case, cat *match.Catalog) (Result, error) {
	src, err := logsrc.Open(filepath.Join(dir, filepath.FromSlash(c.File)), nil)
	if err != nil {
		return Result{}, err
	}
	defer src.Close()
	a, err := diagnose.Run(src, c.File, cat, diagnose.Options{})
	if err != nil {
		return Result{}, err
	}
	return judge(c, a), nil
}

// judge scores one analysis against its label.
func judge(c Case, a *diagnose.Analysis) Result {
	r := Result{File: c.File, Expect: c.Expect, Got: []string{}, Source: c.Source, Note: c.Note}
	for i, d := range a.Diagnoses {
		r.Got = append(r.Got, d.ID)
		if d.ID == c.Expect && r.Rank == 0 {
			r.Rank = i + 1
		}
	}
	if len(a.Diagnoses) > 0 && len(a.Diagnoses[0].Evidence) > 0 {
		e := a.Diagnoses[0].Evidence[0]
		e.Text = redact.String(e.Text)
		e.Step = redact.String(e.Step)
		r.Evidence = &e
	}
	switch {
	case c.Green() && len(r.Got) == 0:
		r.Outcome = OutcomeCorrect
	case c.Green():
		r.Outcome = OutcomeFalseHit
	case len(r.Got) == 0:
		r.Outcome = OutcomeUnmatched
	case r.Rank == 1:
		r.Outcome = OutcomeCorrect
	case r.Rank > 1:
		r.Outcome = OutcomeRanked
	default:
		r.Outcome = OutcomeWrong
	}
	return r
}

// Score computes the metrics of a set of results.
func Score(results []Result) Metrics {
	var m Metrics
	for _, r := range results {
		m.Cases++
		if r.Expect == "" {
			m.Green++
			if len(r.Got) == 0 {
				m.Top1Count++
				m.Top3Count++
			} else {
				m.GreenHits++
			}
			continue
		}
		m.Labelled++
		switch {
		case len(r.Got) == 0:
			m.Unmatched++
		case r.Rank != 1:
			m.WrongTop1++
		}
		if r.Rank == 1 {
			m.Top1Count++
		}
		if r.Rank >= 1 && r.Rank <= 3 {
			m.Top3Count++
		}
	}
	m.Top1 = ratio(m.Top1Count, m.Cases)
	m.Top3 = ratio(m.Top3Count, m.Cases)
	m.UnmatchedRate = ratio(m.Unmatched, m.Labelled)
	m.FalseRate = ratio(m.WrongTop1+m.GreenHits, m.Cases)
	m.Cost = ratio(m.Unmatched+2*(m.WrongTop1+m.GreenHits), m.Cases)
	return m
}

// ratio is a/b rounded to 4 decimals, 0 when b is 0, so baselines are stable text.
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return math.Round(float64(a)/float64(b)*10000) / 10000
}

// Baseline is the committed record of a corpus run.
type Baseline struct {
	Schema  string  `json:"schema"`
	Metrics Metrics `json:"metrics"`
}

// WriteBaseline writes the report's metrics as a baseline file.
func WriteBaseline(path string, rep *Report) error {
	data, err := json.MarshalIndent(Baseline{Schema: Schema, Metrics: rep.Metrics}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// ReadBaseline reads a baseline file written by WriteBaseline.
func ReadBaseline(path string) (Metrics, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Metrics{}, fmt.Errorf("baseline: %w", err)
	}
	var b Baseline
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return Metrics{}, fmt.Errorf("baseline %s: bad JSON: %v", path, err)
	}
	if b.Schema != Schema {
		return Metrics{}, fmt.Errorf("baseline %s: schema %q, want %q", path, b.Schema, Schema)
	}
	return b.Metrics, nil
}

// Drop is one metric that moved the wrong way against the baseline.
type Drop struct {
	Metric string  `json:"metric"`
	Was    float64 `json:"was"`
	Now    float64 `json:"now"`
}

func (d Drop) String() string {
	dir := "fell"
	if d.Now > d.Was {
		dir = "rose"
	}
	return fmt.Sprintf("%s %s from %s to %s", d.Metric, dir, pct(d.Was), pct(d.Now))
}

// Compare lists every metric of now that is worse than base by more than Tolerance: top-1 or
// top-3 lower, unmatched or false-diagnosis rate higher.
func Compare(base, now Metrics) []Drop {
	var drops []Drop
	lower := func(name string, was, is float64) {
		if is < was-Tolerance {
			drops = append(drops, Drop{name, was, is})
		}
	}
	higher := func(name string, was, is float64) {
		if is > was+Tolerance {
			drops = append(drops, Drop{name, was, is})
		}
	}
	lower("top-1 accuracy", base.Top1, now.Top1)
	lower("top-3 accuracy", base.Top3, now.Top3)
	higher("unmatched rate", base.UnmatchedRate, now.UnmatchedRate)
	higher("false-diagnosis rate", base.FalseRate, now.FalseRate)
	return drops
}

// SourceKey normalises a source address for comparison: no fragment, query or trailing slash.
func SourceKey(u string) string {
	if i := strings.IndexAny(u, "#?"); i >= 0 {
		u = u[:i]
	}
	return strings.TrimRight(strings.TrimSpace(u), "/")
}

// MarkSeen flags the results whose source is also the source of a catalog example
// (seen reports whether a SourceKey is one) and scores the remaining, held-out cases
// into rep.HeldOut. The baseline keeps the whole-corpus metrics only: the held-out set
// changes whenever a playbook gains an example.
func (rep *Report) MarkSeen(seen func(key string) bool) {
	var held []Result
	for i := range rep.Results {
		r := &rep.Results[i]
		r.Seen = r.Source != "" && seen(SourceKey(r.Source))
		if !r.Seen {
			held = append(held, *r)
		}
	}
	for i := range rep.Misses {
		rep.Misses[i].Seen = rep.Misses[i].Source != "" && seen(SourceKey(rep.Misses[i].Source))
	}
	m := Score(held)
	rep.HeldOut = &m
}

// Text writes the human report: the metrics, then every miss.
func Text(w io.Writer, rep *Report) error {
	m := rep.Metrics
	var b strings.Builder
	fmt.Fprintf(&b, "corpus %s: %d cases (%d labelled, %d green), catalog of %d playbooks\n\n",
		rep.Corpus, m.Cases, m.Labelled, m.Green, rep.Catalog)
	fmt.Fprintf(&b, "  top-1 accuracy        %7s  (%d/%d)\n", pct(m.Top1), m.Top1Count, m.Cases)
	fmt.Fprintf(&b, "  top-3 accuracy        %7s  (%d/%d)\n", pct(m.Top3), m.Top3Count, m.Cases)
	fmt.Fprintf(&b, "  unmatched rate        %7s  (%d/%d labelled got no diagnosis)\n", pct(m.UnmatchedRate), m.Unmatched, m.Labelled)
	fmt.Fprintf(&b, "  false-diagnosis rate  %7s  (%d/%d: %d wrong top-1, %d green logs diagnosed)\n",
		pct(m.FalseRate), m.WrongTop1+m.GreenHits, m.Cases, m.WrongTop1, m.GreenHits)
	fmt.Fprintf(&b, "  cost                  %7.4f  (unmatched + 2 x false, per case; lower is better)\n", m.Cost)
	if h := rep.HeldOut; h != nil && h.Cases < m.Cases {
		fmt.Fprintf(&b, "\n%d cases share their source with a catalog example; on the %d held-out cases:\n", m.Cases-h.Cases, h.Cases)
		fmt.Fprintf(&b, "  top-1 %s, top-3 %s, unmatched %s, false-diagnosis %s\n", pct(h.Top1), pct(h.Top3), pct(h.UnmatchedRate), pct(h.FalseRate))
	}
	if rep.UnknownN > 0 {
		fmt.Fprintf(&b, "\n%d labelled cases expect an id the catalog does not have (marked \"no such playbook\").\n", rep.UnknownN)
	}
	if len(rep.Misses) == 0 {
		b.WriteString("\nno misses\n")
	} else {
		fmt.Fprintf(&b, "\nmisses (%d):\n", len(rep.Misses))
		for _, r := range rep.Misses {
			b.WriteString(missLine(r))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func missLine(r Result) string {
	expect := r.Expect
	if expect == "" {
		expect = "(nothing: green log)"
	} else if r.UnknownID {
		expect += " (no such playbook)"
	}
	got := "(nothing)"
	if len(r.Got) > 0 {
		got = strings.Join(r.Got[:min(3, len(r.Got))], ", ")
		if len(r.Got) > 3 {
			got += fmt.Sprintf(" (+%d)", len(r.Got)-3)
		}
	}
	s := fmt.Sprintf("  %s [%s]\n      expected %s, got %s", r.File, r.Outcome, expect, got)
	if r.Rank > 1 {
		s += fmt.Sprintf(" (expected ranked #%d)", r.Rank)
	}
	s += "\n"
	if r.Evidence != nil {
		text := r.Evidence.Text
		if len(text) > 160 {
			text = text[:157] + "..."
		}
		s += fmt.Sprintf("      line %d: %s\n", r.Evidence.Line, text)
	}
	return s
}

// JSON writes the machine report.
func JSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func pct(v float64) string { return fmt.Sprintf("%.2f%%", v*100) }
