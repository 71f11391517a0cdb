package playbooks

import (
	"reflect"
	"testing"

	"github.com/sleuth-ci/sleuth/playbook"
)

// Whatever ForMatching returns, fresh index or fallback, holds the same matching fields as
// the YAML.
func TestForMatchingAgreesWithYAML(t *testing.T) {
	got, err := ForMatching()
	if err != nil {
		t.Fatal(err)
	}
	full, err := playbook.LoadFS(FS, ".", "playbooks")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(full) {
		t.Fatalf("%d playbooks for matching, %d in the YAML", len(got), len(full))
	}
	for i, p := range full {
		g := got[i]
		if g.ID != p.ID || g.Title != p.Title || g.Category != p.Category || g.Layer != p.Layer || g.Path != p.Path ||
			!reflect.DeepEqual(g.Match, p.Match) || !reflect.DeepEqual(g.Extract, p.Extract) || !reflect.DeepEqual(g.Fix, p.Fix) {
			t.Errorf("%s differs between the index and the YAML", p.ID)
		}
	}
}

func BenchmarkForMatching(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ForMatching(); err != nil {
			b.Fatal(err)
		}
	}
}
