package diagnose_test

import (
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/sleuth-ci/sleuth/internal/diagnose"
	"github.com/sleuth-ci/sleuth/internal/logchunks"
)

// The LogChunks development split (Brandt, Panichella, Zaidman, Beller, "LogChunks: A Data Set
// for Build Log Analysis", MSR 2020): real failed Travis CI logs with the hand-labelled chunk
// that says why each failed. Read in place, never copied into the repository.
const logchunksDir = "../../../shared/logchunks"

// logchunksHit1Floor sits about two points under the measured hit@1 of the whole analysis
// (diagnoses, then hints), so a regression fails the test while small catalog changes do not.
const logchunksHit1Floor = 0.75

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

func TestLogChunks(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 260 real logs")
	}
	gold, err := logchunks.Load(logchunksDir)
	if err != nil {
		t.Skipf("LogChunks not available: %v", err)
	}
	cat := bundledCatalog(t)

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
			switch rank := gold[i].Rank(r.lines); {
			case rank == 0:
				tl.hit1++
				tl.hit3++
			case rank > 0 && rank < 3:
				tl.hit3++
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
