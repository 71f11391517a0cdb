package playbook_test

import (
	"strings"
	"testing"

	"github.com/sleuth-ci/sleuth/playbook"
)

func TestParseErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"bad yaml", "id: x\ntitle: T\nmatch: [oops\n", "p.yaml:2: did not find expected"},
		{"unknown field", "id: x\ntitle: T\ncategory: auth\nsummary: s\nfix: [f]\nmatch: {any: [abc]}\ncolour: red\n", "p.yaml:7: field colour not found"},
		{"invalid regex", "id: x\ntitle: T\ncategory: auth\nsummary: s\nfix: [f]\nmatch:\n  any:\n    - re: 'a(b'\n", "p.yaml:8: invalid regex"},
		{"bad id", "id: Bad_ID\ntitle: T\ncategory: auth\nsummary: s\nfix: [f]\nmatch: {any: [abc]}\n", "p.yaml:1: id \"Bad_ID\" must be"},
		{"bad category", "id: x\ntitle: T\ncategory: misc\nsummary: s\nfix: [f]\nmatch: {any: [abc]}\n", "category \"misc\" is not one of"},
		{"no anchors", "id: x\ntitle: T\ncategory: auth\nsummary: s\nfix: [f]\n", "match.any needs at least one pattern"},
		{"window too big", "id: x\ntitle: T\ncategory: auth\nsummary: s\nfix: [f]\nmatch: {any: [abc], window: 999}\n", "match.window must be between"},
		{"pattern with both", "id: x\ntitle: T\ncategory: auth\nsummary: s\nfix: [f]\nmatch: {any: [{re: a, lit: b}]}\n", "exactly one of re or lit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := playbook.Parse("p.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseAcceptsProse(t *testing.T) {
	p, err := playbook.Parse("p.yaml", []byte(`id: x
title: T
category: auth
summary: s
match: {any: [abc], window: 0}
causes:
  - Expired token: the token expired.
  - plain text
fix: [f]
`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Causes[0] != "Expired token: the token expired." || p.Causes[1] != "plain text" {
		t.Errorf("causes = %q", p.Causes)
	}
	if p.Match.EffectiveWindow() != 0 || p.Layer != playbook.LayerTool {
		t.Errorf("window %d layer %s", p.Match.EffectiveWindow(), p.Layer)
	}
}

func TestMergeDuplicatesAndOverrides(t *testing.T) {
	mk := func(id, path string) *playbook.Playbook { return &playbook.Playbook{ID: id, Path: path, Line: 1} }
	merged, err := playbook.Merge([]*playbook.Playbook{mk("a", "bundled/a.yaml")}, []*playbook.Playbook{mk("a", "pack/a.yaml")})
	if err != nil || len(merged) != 1 || merged[0].Path != "pack/a.yaml" {
		t.Fatalf("override: %v %v", merged, err)
	}
	_, err = playbook.Merge([]*playbook.Playbook{mk("a", "p/one.yaml"), mk("a", "p/two.yaml")})
	if err == nil || !strings.Contains(err.Error(), `p/two.yaml:1: duplicate id "a" (also in p/one.yaml:1)`) {
		t.Fatalf("duplicate: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("id: x\ntitle: T\ncategory: auth\nsummary: s\nfix: [f]\nmatch: {any: [abc]}\n"))
	f.Add([]byte("match:\n  any:\n    - re: '(?P<x>a+)'\n  window: 3\n"))
	f.Add([]byte("causes:\n  - a: b\n  - {c: d, e: f}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := playbook.Parse("fuzz.yaml", data)
		if err == nil && (p.ID == "" || len(p.Match.Any) == 0) {
			t.Fatalf("accepted a playbook without id or anchors: %+v", p)
		}
	})
}
