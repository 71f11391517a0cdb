package lint_test

import (
	"testing"

	"github.com/sleuth-ci/sleuth/internal/lint"
	"github.com/sleuth-ci/sleuth/internal/match"
	"github.com/sleuth-ci/sleuth/playbook"
	"github.com/sleuth-ci/sleuth/playbooks"
)

func bundled(t *testing.T) []*playbook.Playbook {
	t.Helper()
	pbs, err := playbook.LoadFS(playbooks.FS, ".", "playbooks")
	if err != nil {
		t.Fatalf("bundled catalog does not load:\n%v", err)
	}
	if _, err := playbook.Merge(pbs); err != nil {
		t.Fatalf("bundled catalog: %v", err)
	}
	return pbs
}

// The bundled catalog must lint clean: every regex has a prefilter literal, every anchor is
// exercised by an example, every section is filled in.
func TestBundledCatalogLints(t *testing.T) {
	pbs := bundled(t)
	if len(pbs) < 30 {
		t.Errorf("bundled catalog has %d playbooks, want at least 30", len(pbs))
	}
	for _, p := range lint.Lint(pbs) {
		t.Error(p)
	}
}

// Every bundled playbook matches its must-match examples and none of its near misses.
func TestBundledExamples(t *testing.T) {
	runs, failures, err := lint.TestExamples(bundled(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range failures {
		t.Error(f)
	}
	if runs < 90 {
		t.Errorf("only %d examples ran", runs)
	}
}

// With the whole catalog loaded, each must-match example is still diagnosed as its own
// playbook first: specific playbooks outrank generic ones, and no two overlap by accident.
func TestBundledExamplesRankFirst(t *testing.T) {
	pbs := bundled(t)
	cat, err := match.Compile(pbs, nil)
	if err != nil {
		t.Fatal(err)
	}
	failures, err := lint.RankFirst(pbs, cat)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range failures {
		t.Error(f)
	}
}
