package diagnose_test

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/sleuth-ci/sleuth/internal/diagnose"
	"github.com/sleuth-ci/sleuth/internal/hints"
	"github.com/sleuth-ci/sleuth/internal/match"
	"github.com/sleuth-ci/sleuth/playbook"
	"github.com/sleuth-ci/sleuth/playbooks"
)

func parse(t testing.TB, id, layer, anchors string) *playbook.Playbook {
	t.Helper()
	p, err := playbook.Parse(id+".yaml", []byte(fmt.Sprintf(
		"id: %s\ntitle: %s\ncategory: auth\nlayer: %s\nsummary: s\nfix: [fix %s]\nmatch: {any: [%s]}\n", id, id, layer, id, anchors)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func analyze(t testing.TB, pbs []*playbook.Playbook, log string) *diagnose.Analysis {
	t.Helper()
	cat, err := match.Compile(pbs, hints.Keywords)
	if err != nil {
		t.Fatal(err)
	}
	a, err := diagnose.Run(strings.NewReader(log), "test.log", cat, diagnose.Options{Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func ids(a *diagnose.Analysis) string {
	var out []string
	for _, d := range a.Diagnoses {
		out = append(out, fmt.Sprintf("%s@%d", d.ID, d.Evidence[0].Line))
	}
	return strings.Join(out, " ")
}

func TestRanking(t *testing.T) {
	ghcr := parse(t, "ghcr-denied", "tool", "'write_package'")
	registry := parse(t, "registry-denied", "class", "'denied:'")
	http := parse(t, "http-403", "generic", "'403 Forbidden'")
	npm := parse(t, "npm-e401", "tool", "'npm ERR! code E401'")
	compile := parse(t, "compile-error", "tool", "'error: cannot find symbol'")
	tests := []struct {
		name string
		pbs  []*playbook.Playbook
		log  string
		want string
	}{
		{"specific beats generic on the same line, which is dropped",
			[]*playbook.Playbook{http, registry, ghcr},
			"push\ndenied: permission_denied: write_package 403 Forbidden\n",
			"ghcr-denied@2"},
		{"a generic on its own line is kept, after the specific one",
			[]*playbook.Playbook{http, ghcr},
			"curl: 403 Forbidden\ndenied: permission_denied: write_package\n",
			"ghcr-denied@2 http-403@1"},
		{"the first root error beats its cascade",
			[]*playbook.Playbook{npm, compile},
			"x\nerror: cannot find symbol\ny\nnpm ERR! code E401\n",
			"compile-error@2 npm-e401@4"},
		{"order of the catalog does not matter",
			[]*playbook.Playbook{compile, npm},
			"x\nerror: cannot find symbol\ny\nnpm ERR! code E401\n",
			"compile-error@2 npm-e401@4"},
		{"the failed command's error beats an earlier one in a command that succeeded",
			[]*playbook.Playbook{npm, compile},
			"$ npm install\nnpm ERR! code E401\nretrying\n$ make\nerror: cannot find symbol\nThe command \"make\" exited with 2.\n",
			"compile-error@5 npm-e401@2"},
		{"a repeated error speaks from the failed command's output",
			[]*playbook.Playbook{compile},
			"$ make deps\nerror: cannot find symbol\n$ make\nerror: cannot find symbol\nThe command \"make\" exited with 2.\n",
			"compile-error@4"},
		{"a GitHub step is the failed command",
			[]*playbook.Playbook{npm, compile},
			"##[group]Run make deps\nerror: cannot find symbol\n##[group]Run npm ci\nnpm ERR! code E401\n##[error]Process completed with exit code 1.\n",
			"npm-e401@4 compile-error@2"},
		{"ties on the same line break by id",
			[]*playbook.Playbook{parse(t, "zeta", "tool", "boom"), parse(t, "alpha", "tool", "boom")},
			"boom\n",
			"alpha@1 zeta@1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(analyze(t, tt.pbs, tt.log)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConfidenceIsExplained(t *testing.T) {
	p, err := playbook.Parse("x.yaml", []byte("id: x\ntitle: X\ncategory: build\nsummary: s\nfix: ['run {{target}} again']\n"+
		"match: {any: [{re: 'make: \\*\\*\\* \\[(?P<target>\\w+)\\] Error'}], all: [error:], window: 3}\n"))
	if err != nil {
		t.Fatal(err)
	}
	a := analyze(t, []*playbook.Playbook{p}, "main.c:3: error: boom\nmake: *** [all] Error 1\nmake: *** [all] Error 1\n")
	if len(a.Diagnoses) != 1 {
		t.Fatalf("diagnoses: %s", ids(a))
	}
	d := a.Diagnoses[0]
	if d.Confidence != 0.95 {
		t.Errorf("confidence %.2f, want 0.95 (0.80 tool + 0.10 corroborated + 0.05 repeated)", d.Confidence)
	}
	if len(d.Score) != 3 || !strings.Contains(d.Score[1].Reason, "nearby lines 1") {
		t.Errorf("score parts: %+v", d.Score)
	}
	if d.Fix[0] != "run all again" {
		t.Errorf("fix not expanded from captures: %q", d.Fix)
	}
	if got := []int{d.Evidence[0].Line, d.Evidence[1].Line}; got[0] != 2 || got[1] != 1 {
		t.Errorf("evidence order: anchor first, then support: %v", got)
	}
}

func TestHintsOnlyWithoutDiagnosis(t *testing.T) {
	a := analyze(t, []*playbook.Playbook{parse(t, "never", "tool", "will never appear")}, "start\nerror: the widget broke\ndone\n")
	if len(a.Diagnoses) != 0 || len(a.Hints) == 0 || a.Hints[0].Line != 2 {
		t.Fatalf("diagnoses %s hints %+v", ids(a), a.Hints)
	}
}

// noiseLog streams a realistic CI log of about size bytes, with a failure at the end.
type noiseLog struct {
	remaining int
	buf       []byte
	i         int
}

var noiseLines = []string{
	"2024-05-01T12:00:00.0000000Z npm http fetch GET 200 https://npm-registry.example/lodash/-/lodash-4.17.21.tgz 12ms (cache hit)",
	"2024-05-01T12:00:00.0370000Z ok  \tgithub.com/acme/payments/internal/api\t0.412s\tcoverage: 81.2% of statements",
	"2024-05-01T12:00:00.0740000Z #12 sha256:4f2c9e1a7b3d5e8f9a0b1c2d3e4f5a6b7c8d9e0f 12.3MB / 80.1MB 2.1s",
	"2024-05-01T12:00:00.1110000Z tests/test_views.py::test_update_12 PASSED [ 42%]",
	"2024-05-01T12:00:00.1480000Z \x1b[32m✓\x1b[0m returns the error page when the token is missing (3 ms)",
}

var (
	noiseBytes = func() (out [][]byte) {
		for _, l := range noiseLines {
			out = append(out, []byte(l+"\n"))
		}
		return out
	}()
	failure = []byte("denied: permission_denied: write_package\n")
)

func (n *noiseLog) Read(p []byte) (int, error) {
	if n.remaining <= 0 {
		return 0, io.EOF
	}
	written := 0
	for written < len(p) && n.remaining > 0 {
		if len(n.buf) == 0 {
			n.buf = noiseBytes[n.i%len(noiseBytes)]
			n.i++
			if n.remaining <= len(n.buf)+200 {
				n.buf = failure
			}
		}
		c := copy(p[written:], n.buf)
		n.buf = n.buf[c:]
		written += c
		n.remaining -= c
	}
	return written, nil
}

func bundledCatalog(t testing.TB) *match.Catalog {
	t.Helper()
	pbs, err := playbooks.ForMatching()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := match.Compile(pbs, hints.Keywords)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// heapWatch reads a log and records the largest live heap seen every megabyte.
type heapWatch struct {
	r        io.Reader
	read     int
	peakHeap uint64
}

func (h *heapWatch) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if h.read/(1<<20) != (h.read+n)/(1<<20) {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		h.peakHeap = max(h.peakHeap, ms.HeapAlloc)
	}
	h.read += n
	return n, err
}

// Memory must not grow with the log: the live heap while reading 64 MB is no larger than
// while reading 4 MB, and the pass allocates almost nothing per line.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 68 MB")
	}
	if raceEnabled {
		t.Skip("the race detector changes allocations and heap growth")
	}
	cat := bundledCatalog(t)
	measure := func(size int) (peak, allocs uint64) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		w := &heapWatch{r: &noiseLog{remaining: size}}
		a, err := diagnose.Run(w, "noise", cat, diagnose.Options{})
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if len(a.Diagnoses) == 0 {
			t.Fatalf("the failure at the end of a %d byte log was not found", size)
		}
		return w.peakHeap - min(w.peakHeap, before.HeapAlloc), after.Mallocs - before.Mallocs
	}
	smallPeak, _ := measure(4 << 20)
	largePeak, largeAllocs := measure(64 << 20)
	lines := uint64(64<<20) / 120
	t.Logf("live heap growth: %d KB reading 4 MB, %d KB reading 64 MB; %d allocations for ~%d lines", smallPeak>>10, largePeak>>10, largeAllocs, lines)
	if largePeak > smallPeak+(2<<20) {
		t.Errorf("live heap grows with the log: %d bytes at 4 MB, %d at 64 MB", smallPeak, largePeak)
	}
	if largeAllocs > lines/4 {
		t.Errorf("%d allocations for ~%d lines: the pass should not allocate per line", largeAllocs, lines)
	}
}

func benchmarkAnalyze(b *testing.B, size int) {
	cat := bundledCatalog(b)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := diagnose.Run(&noiseLog{remaining: size}, "noise", cat, diagnose.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAnalyze1KB(b *testing.B)   { benchmarkAnalyze(b, 1<<10) }
func BenchmarkAnalyze1MB(b *testing.B)   { benchmarkAnalyze(b, 1<<20) }
func BenchmarkAnalyze100MB(b *testing.B) { benchmarkAnalyze(b, 100<<20) }

func BenchmarkCompileCatalog(b *testing.B) {
	pbs, err := playbook.LoadFS(playbooks.FS, ".", "playbooks")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := match.Compile(pbs, hints.Keywords); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStartup is what every analysis pays before reading a line: the bundled catalog
// from its generated index, compiled.
func BenchmarkStartup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		pbs, err := playbooks.ForMatching()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := match.Compile(pbs, hints.Keywords); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadCatalog parses every YAML file, as explain, docs and lint do.
func BenchmarkLoadCatalog(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := playbook.LoadFS(playbooks.FS, ".", "playbooks"); err != nil {
			b.Fatal(err)
		}
	}
}

// doubled returns the catalog plus a copy of every playbook whose anchors differ, so the
// automaton holds about twice as many literals.
func doubled(b *testing.B) *match.Catalog {
	pbs, err := playbooks.ForMatching()
	if err != nil {
		b.Fatal(err)
	}
	all := append([]*playbook.Playbook(nil), pbs...)
	for _, p := range pbs {
		c := *p
		c.ID += "-copy"
		c.Match.Any = nil
		for _, pat := range p.Match.Any {
			// A distinct prefix keeps the copies from sharing candidate lines with the originals.
			if pat.Regex != "" {
				pat.Regex = "zqx " + pat.Regex
			} else {
				pat.Literal = "zqx " + pat.Literal
			}
			c.Match.Any = append(c.Match.Any, pat)
		}
		all = append(all, &c)
	}
	cat, err := match.Compile(all, hints.Keywords)
	if err != nil {
		b.Fatal(err)
	}
	return cat
}

// BenchmarkAnalyze10MBDoubledCatalog against BenchmarkAnalyze10MB shows what doubling the
// catalog costs the scan.
func BenchmarkAnalyze10MBDoubledCatalog(b *testing.B) {
	cat := doubled(b)
	b.SetBytes(10 << 20)
	for b.Loop() {
		if _, err := diagnose.Run(&noiseLog{remaining: 10 << 20}, "noise", cat, diagnose.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAnalyze10MB(b *testing.B) { benchmarkAnalyze(b, 10<<20) }
