package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sleuth-ci/sleuth/internal/hints"
	"github.com/sleuth-ci/sleuth/internal/match"
	"github.com/sleuth-ci/sleuth/playbook"
	"github.com/sleuth-ci/sleuth/playbooks"
)

// compile builds a catalog from playbooks and returns it with an id lookup.
func compile(t *testing.T, pbs []*playbook.Playbook) (*match.Catalog, func(string) bool) {
	t.Helper()
	cat, err := match.Compile(pbs, hints.Keywords)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, p := range pbs {
		ids[p.ID] = true
	}
	return cat, func(id string) bool { return ids[id] }
}

func fixtureCatalog(t *testing.T) (*match.Catalog, func(string) bool) {
	t.Helper()
	pbs, err := playbook.LoadDir("testdata/pack")
	if err != nil {
		t.Fatal(err)
	}
	return compile(t, pbs)
}

func bundledCatalog(t *testing.T) (*match.Catalog, func(string) bool) {
	t.Helper()
	pbs, err := playbook.LoadFS(playbooks.FS, ".", "playbooks")
	if err != nil {
		t.Fatalf("bundled catalog: %v", err)
	}
	return compile(t, pbs)
}

// TestTinyCorpusOutcomes runs a corpus with one case of every outcome against a fixture pack.
func TestTinyCorpusOutcomes(t *testing.T) {
	cat, known := fixtureCatalog(t)
	cases, err := Load("testdata/tiny")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run("testdata/tiny", cases, cat, known)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		outcome Outcome
		rank    int
		got     []string
		unknown bool
	}{
		"correct.log":     {OutcomeCorrect, 1, []string{"alpha-failed"}, false},
		"ranked.log":      {OutcomeRanked, 2, []string{"beta-broke", "alpha-failed"}, false},
		"wrong.log":       {OutcomeWrong, 0, []string{"beta-broke"}, false},
		"unmatched.log":   {OutcomeUnmatched, 0, []string{}, false},
		"green-clean.log": {OutcomeCorrect, 0, []string{}, false},
		"green-hit.log":   {OutcomeFalseHit, 0, []string{"alpha-failed"}, false},
		"unknown.log":     {OutcomeUnmatched, 0, []string{}, true},
	}
	if len(rep.Results) != len(want) {
		t.Fatalf("got %d results, want %d", len(rep.Results), len(want))
	}
	for _, r := range rep.Results {
		w, ok := want[r.File]
		if !ok {
			t.Errorf("unexpected result for %s", r.File)
			continue
		}
		if r.Outcome != w.outcome || r.Rank != w.rank || strings.Join(r.Got, ",") != strings.Join(w.got, ",") || r.UnknownID != w.unknown {
			t.Errorf("%s: got outcome=%s rank=%d got=%v unknown=%v, want %s %d %v %v",
				r.File, r.Outcome, r.Rank, r.Got, r.UnknownID, w.outcome, w.rank, w.got, w.unknown)
		}
	}
	wantM := Metrics{
		Cases: 7, Labelled: 5, Green: 2,
		Top1Count: 2, Top3Count: 3, Unmatched: 2, WrongTop1: 2, GreenHits: 1,
		Top1: 0.2857, Top3: 0.4286, UnmatchedRate: 0.4, FalseRate: 0.4286, Cost: 1.1429,
	}
	if rep.Metrics != wantM {
		t.Errorf("metrics:\n got %+v\nwant %+v", rep.Metrics, wantM)
	}
	if rep.UnknownN != 1 {
		t.Errorf("unknown expected ids = %d, want 1", rep.UnknownN)
	}
	if len(rep.Misses) != 5 {
		t.Errorf("misses = %d, want 5 (all but the two correct cases)", len(rep.Misses))
	}
	// The first evidence line of the top diagnosis is kept for the report.
	for _, m := range rep.Misses {
		if m.File == "green-hit.log" && (m.Evidence == nil || m.Evidence.Line != 1) {
			t.Errorf("green-hit.log evidence = %+v, want line 1", m.Evidence)
		}
	}
}

func TestTextAndJSONReports(t *testing.T) {
	cat, known := fixtureCatalog(t)
	cases, err := Load("testdata/tiny")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run("testdata/tiny", cases, cat, known)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := Text(&text, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"7 cases (5 labelled, 2 green)",
		"top-1 accuracy         28.57%  (2/7)",
		"unmatched rate         40.00%  (2/5 labelled got no diagnosis)",
		"false-diagnosis rate   42.86%  (3/7: 2 wrong top-1, 1 green logs diagnosed)",
		"ranked.log [ranked]\n      expected alpha-failed, got beta-broke, alpha-failed (expected ranked #2)\n      line 1: beta step broke",
		"unknown.log [unmatched]\n      expected delta-missing (no such playbook), got (nothing)",
		"green-hit.log [false-diag]\n      expected (nothing: green log), got alpha-failed",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := JSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Schema  string   `json:"schema"`
		Metrics Metrics  `json:"metrics"`
		Misses  []Result `json:"misses"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Schema != Schema || back.Metrics != rep.Metrics || len(back.Misses) != 5 {
		t.Errorf("JSON round trip: %+v", back)
	}
}

func TestLoadBadCorpus(t *testing.T) {
	tests := []struct {
		name  string
		cases string // "" means no cases.jsonl at all
		files []string
		want  []string // each must appear in the error
	}{
		{"no case list", "", nil, []string{"cases.jsonl: no such file"}},
		{"empty", "# only a comment\n\n", nil, []string{"cases.jsonl: no cases"}},
		{"bad json", `{"file": "a.log", "expect": "x", "source": "s"}` + "\n" + `{"file": "b.log",` + "\n", []string{"a.log"},
			[]string{"cases.jsonl:2: bad JSON"}},
		{"unknown field", `{"file": "a.log", "expected": "x"}` + "\n", []string{"a.log"},
			[]string{`cases.jsonl:1: bad JSON: json: unknown field "expected"`}},
		{"missing file field", `{"expect": "x"}` + "\n", nil, []string{`cases.jsonl:1: missing "file"`}},
		{"file does not exist", `{"file": "gone.log", "expect": "x"}` + "\n", nil,
			[]string{`cases.jsonl:1: file "gone.log" does not exist`}},
		{"escapes the corpus", `{"file": "../outside.log", "expect": "x"}` + "\n", nil,
			[]string{`cases.jsonl:1: file "../outside.log" must be a path inside the corpus directory`}},
		{"duplicate", `{"file": "a.log", "expect": "x"}` + "\n" + `{"file": "a.log", "expect": "y"}` + "\n", []string{"a.log"},
			[]string{`cases.jsonl:2: file "a.log" is already listed on line 1`}},
		{"two objects", `{"file": "a.log"} {"file": "a.log"}` + "\n", []string{"a.log"},
			[]string{"cases.jsonl:1: bad JSON: more than one object on the line"}},
		{"every defect named", `{"file": "gone.log"}` + "\n" + `not json` + "\n", nil,
			[]string{`cases.jsonl:1: file "gone.log" does not exist`, "cases.jsonl:2: bad JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.cases != "" {
				if err := os.WriteFile(filepath.Join(dir, CasesFile), []byte(tt.cases), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("x\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Load(dir)
			if err == nil {
				t.Fatal("Load succeeded on a bad corpus")
			}
			var ce *CorpusError
			if !errors.As(err, &ce) {
				t.Errorf("error %v is not a *CorpusError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestCompare(t *testing.T) {
	base := Metrics{Top1: 0.8, Top3: 0.9, UnmatchedRate: 0.1, FalseRate: 0.05}
	tests := []struct {
		name string
		now  Metrics
		want []string
	}{
		{"same", base, nil},
		{"better everywhere", Metrics{Top1: 0.9, Top3: 0.95, UnmatchedRate: 0.05, FalseRate: 0.01}, nil},
		{"within tolerance", Metrics{Top1: 0.79995, Top3: 0.9, UnmatchedRate: 0.10005, FalseRate: 0.05}, nil},
		{"top-1 fell", Metrics{Top1: 0.79, Top3: 0.9, UnmatchedRate: 0.1, FalseRate: 0.05}, []string{"top-1 accuracy fell from 80.00% to 79.00%"}},
		{"top-3 fell", Metrics{Top1: 0.8, Top3: 0.85, UnmatchedRate: 0.1, FalseRate: 0.05}, []string{"top-3 accuracy fell from 90.00% to 85.00%"}},
		{"more unmatched and false", Metrics{Top1: 0.8, Top3: 0.9, UnmatchedRate: 0.2, FalseRate: 0.06},
			[]string{"unmatched rate rose from 10.00% to 20.00%", "false-diagnosis rate rose from 5.00% to 6.00%"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range Compare(base, tt.now) {
				got = append(got, d.String())
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Compare = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBaselineRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baseline.json")
	m := Metrics{Cases: 3, Labelled: 2, Green: 1, Top1Count: 2, Top1: 0.6667}
	if err := WriteBaseline(path, &Report{Metrics: m}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != m {
		t.Errorf("round trip: got %+v, want %+v", got, m)
	}
	for name, content := range map[string]string{
		"bad json":     "{",
		"other schema": `{"schema": "something.else", "metrics": {}}`,
		"extra field":  `{"schema": "sleuth.eval.v1", "metrics": {}, "drift": 1}`,
	} {
		p := filepath.Join(t.TempDir(), "b.json")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadBaseline(p); err == nil {
			t.Errorf("%s: ReadBaseline accepted %q", name, content)
		}
	}
	if _, err := ReadBaseline(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("ReadBaseline accepted a missing file")
	}
}

const corpusDir = "../../testdata/corpus"

// TestCorpusBaseline runs the real corpus with the bundled catalog and fails on any drop
// against the committed baseline. When a change improves the numbers, regenerate it:
//
//	go run ./cmd/sleuth eval testdata/corpus --write-baseline testdata/corpus/baseline.json
func TestCorpusBaseline(t *testing.T) {
	cases, err := Load(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if !strings.HasPrefix(c.Source, "https://") {
			t.Errorf("%s: source %q must be the public URL the excerpt came from", c.File, c.Source)
		}
	}
	cat, known := bundledCatalog(t)
	rep, err := Run(corpusDir, cases, cat, known)
	if err != nil {
		t.Fatal(err)
	}
	base, err := ReadBaseline(filepath.Join(corpusDir, "baseline.json"))
	if err != nil {
		t.Fatal(err)
	}
	drops := Compare(base, rep.Metrics)
	if len(drops) == 0 {
		return
	}
	var misses bytes.Buffer
	_ = Text(&misses, rep)
	for _, d := range drops {
		t.Errorf("accuracy dropped: %s", d)
	}
	t.Logf("current report:\n%s", misses.String())
	t.Log("if the drop is intended, regenerate the baseline: go run ./cmd/sleuth eval testdata/corpus --write-baseline testdata/corpus/baseline.json")
}

func TestMarkSeenHeldOut(t *testing.T) {
	for in, want := range map[string]string{
		"https://github.com/o/r/issues/1":                "https://github.com/o/r/issues/1",
		"https://github.com/o/r/issues/1/":               "https://github.com/o/r/issues/1",
		"https://github.com/o/r/issues/1#issuecomment-2": "https://github.com/o/r/issues/1",
		" https://example.org/page?x=1 ":                 "https://example.org/page",
	} {
		if got := SourceKey(in); got != want {
			t.Errorf("SourceKey(%q) = %q, want %q", in, got, want)
		}
	}
	rep := &Report{Results: []Result{
		{File: "a.log", Expect: "x", Got: []string{"x"}, Rank: 1, Outcome: OutcomeCorrect, Source: "https://s/1#c"},
		{File: "b.log", Expect: "x", Got: []string{}, Outcome: OutcomeUnmatched, Source: "https://s/2"},
		{File: "c.log", Expect: "", Got: []string{}, Outcome: OutcomeCorrect, Source: "https://s/3"},
	}}
	rep.Misses = []Result{rep.Results[1]}
	rep.Metrics = Score(rep.Results)
	rep.MarkSeen(func(key string) bool { return key == "https://s/1" })
	if !rep.Results[0].Seen || rep.Results[1].Seen || rep.Results[2].Seen {
		t.Errorf("seen flags = %v %v %v, want true false false", rep.Results[0].Seen, rep.Results[1].Seen, rep.Results[2].Seen)
	}
	h := rep.HeldOut
	if h == nil || h.Cases != 2 || h.Top1Count != 1 || h.Unmatched != 1 {
		t.Fatalf("held-out metrics = %+v, want 2 cases, 1 top-1, 1 unmatched", h)
	}
	var b strings.Builder
	if err := Text(&b, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "1 cases share their source with a catalog example; on the 2 held-out cases:") {
		t.Errorf("text report lacks the held-out line:\n%s", b.String())
	}
}
