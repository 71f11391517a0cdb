package diagnose_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sleuth-ci/sleuth/internal/diagnose"
	"github.com/sleuth-ci/sleuth/internal/hints"
	"github.com/sleuth-ci/sleuth/internal/match"
	"github.com/sleuth-ci/sleuth/playbook"
	"github.com/sleuth-ci/sleuth/playbooks"
)

// The LogChunks development split (Brandt, Panichella, Zaidman, Beller, "LogChunks: A Data Set
// for Build Log Analysis", MSR 2020): real failed Travis CI logs with the hand-labelled chunk
// that says why each failed. Read in place, never copied into the repository.
const logchunksDir = "../../../shared/logchunks"

// logchunksHit1Floor sits about two points under the measured hit@1 of the whole analysis
// (diagnoses, then hints), so a regression fails the test while small catalog changes do not.
const logchunksHit1Floor = 0.68

type chunkLabel struct {
	ID    string  `json:"id"`
	Log   string  `json:"log"`
	Start *int    `json:"chunk_start_line"`
	End   int     `json:"chunk_end_line"`
	All   [][]int `json:"all_occurrences"`
}

// spans are the labelled occurrences of the chunk, as score.py counts them.
func (g *chunkLabel) spans() [][2]int {
	if len(g.All) == 0 {
		return [][2]int{{*g.Start, g.End}}
	}
	out := make([][2]int, 0, len(g.All))
	for _, s := range g.All {
		if len(s) == 2 {
			out = append(out, [2]int{s[0], s[1]})
		}
	}
	return out
}

func (g *chunkLabel) inside(line int) bool {
	for _, s := range g.spans() {
		if s[0] <= line && line <= s[1] {
			return true
		}
	}
	return false
}

// evidenceLines orders the lines an analysis offers as scripts/logchunks-score.sh does: the
// top diagnosis's evidence, the other diagnoses' first lines, then the hints, deduplicated.
func evidenceLines(a *diagnose.Analysis) []int {
	var out []int
	seen := map[int]bool{}
	add := func(n int) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for i, d := range a.Diagnoses {
		for j, e := range d.Evidence {
			if i > 0 && j > 0 {
				break
			}
			add(e.Line)
		}
	}
	for _, h := range a.Hints {
		add(h.Line)
	}
	return out
}

// logchunksCatalog compiles the embedded playbooks. Others may be editing a playbook while this
// runs; a catalog that fails to load is retried for a while before the test gives up.
func logchunksCatalog(t *testing.T) *match.Catalog {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			t.Logf("bundled catalog did not load (%v); retrying in a minute", lastErr)
			time.Sleep(time.Minute)
		}
		pbs, err := playbook.LoadFS(playbooks.FS, ".", "playbooks")
		if err != nil {
			lastErr = err
			continue
		}
		cat, err := match.Compile(pbs, hints.Keywords)
		if err != nil {
			lastErr = err
			continue
		}
		return cat
	}
	t.Fatalf("bundled catalog: %v", lastErr)
	return nil
}

func TestLogChunks(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 260 real logs")
	}
	f, err := os.Open(filepath.Join(logchunksDir, "index.jsonl"))
	if err != nil {
		t.Skipf("LogChunks not available: %v", err)
	}
	var gold []chunkLabel
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var g chunkLabel
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatal(err)
		}
		if g.Start != nil { // score.py skips unlocated chunks
			gold = append(gold, g)
		}
	}
	f.Close()
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	cat := logchunksCatalog(t)

	type result struct {
		lines     []int
		diagnosed bool
		err       error
	}
	results := make([]result, len(gold))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := range gold {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			lf, err := os.Open(filepath.Join(logchunksDir, gold[i].Log))
			if err != nil {
				results[i].err = err
				return
			}
			defer lf.Close()
			a, err := diagnose.Run(lf, gold[i].Log, cat, diagnose.Options{})
			if err != nil {
				results[i].err = err
				return
			}
			results[i] = result{lines: evidenceLines(a), diagnosed: len(a.Diagnoses) > 0}
		}(i)
	}
	wg.Wait()

	type tally struct{ n, covered, hit1, hit3 int }
	var all, diag, hinted tally
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("%s: %v", gold[i].ID, r.err)
		}
		grp := &hinted
		if r.diagnosed {
			grp = &diag
		}
		for _, tl := range []*tally{&all, grp} {
			tl.n++
			if len(r.lines) > 0 {
				tl.covered++
			}
			for k, line := range r.lines {
				if k >= 3 {
					break
				}
				if gold[i].inside(line) {
					if k == 0 {
						tl.hit1++
					}
					tl.hit3++
					break
				}
			}
		}
	}
	rate := func(a, n int) float64 {
		if n == 0 {
			return 0
		}
		return float64(a) / float64(n)
	}
	t.Logf("all %d logs: hit@1 %.3f  hit@3 %.3f  coverage %.3f", all.n, rate(all.hit1, all.n), rate(all.hit3, all.n), rate(all.covered, all.n))
	t.Logf("diagnosed %d: hit@1 %.3f  hit@3 %.3f", diag.n, rate(diag.hit1, diag.n), rate(diag.hit3, diag.n))
	t.Logf("hints only %d: hit@1 %.3f  hit@3 %.3f", hinted.n, rate(hinted.hit1, hinted.n), rate(hinted.hit3, hinted.n))
	if got := rate(all.hit1, all.n); got < logchunksHit1Floor {
		t.Errorf("hit@1 %.3f is below the floor %.2f", got, logchunksHit1Floor)
	}
}
