package logchunks

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadAndRank(t *testing.T) {
	dir := t.TempDir()
	index := `{"id":"a","log":"a.log","chunk":"boom","chunk_start_line":10,"chunk_end_line":12,"all_occurrences":[[10,12],[40,41]]}
{"id":"b","log":"b.log","chunk":"x","chunk_start_line":null,"chunk_end_line":null,"all_occurrences":[]}

{"id":"c","log":"c.log","chunk":"y","chunk_start_line":3,"chunk_end_line":3,"all_occurrences":[]}
`
	if err := os.WriteFile(filepath.Join(dir, "index.jsonl"), []byte(index), 0o644); err != nil {
		t.Fatal(err)
	}
	labels, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 2 || labels[0].ID != "a" || labels[1].ID != "c" {
		t.Fatalf("labels = %+v (the unlocated one must be left out)", labels)
	}
	a := labels[0]
	for lines, want := range map[string]int{"9 11": 1, "41": 0, "13 20 30": -1, "": -1} {
		var ls []int
		for _, f := range splitInts(lines) {
			ls = append(ls, f)
		}
		if got := a.Rank(ls); got != want {
			t.Errorf("Rank(%v) = %d, want %d", ls, got, want)
		}
	}
	if !labels[1].Inside(3) || labels[1].Inside(4) {
		t.Error("a single-line chunk without occurrences")
	}
	if err := os.WriteFile(filepath.Join(dir, "index.jsonl"), []byte("{oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil {
		t.Error("a broken index loaded")
	}
}

func splitInts(s string) []int {
	var out []int
	n, in := 0, false
	for _, c := range s + " " {
		if c >= '0' && c <= '9' {
			n, in = n*10+int(c-'0'), true
		} else if in {
			out, n, in = append(out, n), 0, false
		}
	}
	return out
}
