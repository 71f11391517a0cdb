package lint

import (
	"strings"
	"testing"

	"github.com/sleuth-ci/sleuth/playbook"
)

func TestLintFindsProblems(t *testing.T) {
	p, err := playbook.Parse("p.yaml", []byte(`id: weak
title: Weak
category: build
summary: s
fix: [f]
match:
  any:
    - re: '\d+ failing'
    - re: '.*'
    - re: 'done$ later'
    - re: '[$%]PATH not set'
    - never in examples
  none:
    - re: 'a\nb'
related: [nope]
examples:
  match:
    - source: x
      log: "3 failing\nPATH not set $PATH not set"
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, pr := range Lint([]*playbook.Playbook{p}) {
		got = append(got, pr.Error())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`".*" has no required literal`,
		`"re: done$ later" can never match: text after the end-of-line anchor`,
		`a\\nb" can never match`,
		`anchor "never in examples" matches no line`,
		"needs at least 2 must-match examples (has 1)",
		"needs at least 1 must-not-match example",
		"section diagnosis is empty",
		`related id "nope" is not in the catalog`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in:\n%s", want, all)
		}
	}
	if strings.Contains(all, "[$%]PATH") {
		t.Errorf("a $ inside a character class is not an end anchor:\n%s", all)
	}
}
