// Package lint checks playbooks beyond their schema, and runs their own examples.
package lint

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"

	"github.com/sleuth-ci/sleuth/internal/check"
	"github.com/sleuth-ci/sleuth/internal/diagnose"
	"github.com/sleuth-ci/sleuth/internal/match"
	"github.com/sleuth-ci/sleuth/playbook"
)

// Problem is one finding, located in a playbook file.
type Problem = playbook.Error

// Lint checks a catalog: prefilter literals, patterns that cannot match, examples, sections,
// related ids.
func Lint(pbs []*playbook.Playbook) []*Problem {
	ids := map[string]bool{}
	for _, p := range pbs {
		ids[p.ID] = true
	}
	var out []*Problem
	for _, p := range pbs {
		out = append(out, lintOne(p, ids)...)
	}
	return out
}

func lintOne(p *playbook.Playbook, ids map[string]bool) []*Problem {
	var out []*Problem
	bad := func(line int, format string, args ...any) {
		out = append(out, &Problem{Path: p.Path, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	exampleLines := exampleLines(p.Examples.Match)
	for _, pat := range p.Match.Any {
		if pat.Regex != "" {
			if _, ok := match.RequiredLiterals(pat.Regex); !ok {
				bad(pat.Line, "regex %q has no required literal of %d+ characters: it would run on every line", pat.Regex, match.MinLiteral)
			}
		} else if len(pat.Literal) < match.MinLiteral {
			bad(pat.Line, "literal %q is shorter than %d characters", pat.Literal, match.MinLiteral)
		}
	}
	for _, group := range [][]playbook.Pattern{p.Match.Any, p.Match.All, p.Match.None} {
		for _, pat := range group {
			if reason := cannotMatch(pat); reason != "" {
				bad(pat.Line, "pattern %q can never match: %s", pat.String(), reason)
			}
		}
	}
	for _, pat := range p.Match.Any {
		re := regexp.MustCompile(pat.AsRegex())
		if !anyMatch(re, exampleLines) {
			bad(pat.Line, "anchor %q matches no line of the must-match examples", pat.String())
		}
	}
	if n := len(p.Examples.Match); n < 2 {
		bad(p.Line, "needs at least 2 must-match examples (has %d)", n)
	}
	if len(p.Examples.NoMatch) < 1 {
		bad(p.Line, "needs at least 1 must-not-match example")
	}
	for _, ex := range append(append([]playbook.Example(nil), p.Examples.Match...), p.Examples.NoMatch...) {
		if strings.TrimSpace(ex.Source) == "" {
			bad(ex.Line, "example has no source")
		}
		if strings.TrimSpace(ex.Log) == "" {
			bad(ex.Line, "example has an empty log")
		}
	}
	sections := []struct {
		name  string
		empty bool
	}{
		{"diagnosis", strings.TrimSpace(p.Diagnosis) == ""},
		{"causes", len(p.Causes) == 0},
		{"validation", len(p.Validation) == 0},
		{"why", strings.TrimSpace(p.Why) == ""},
		{"prevention", len(p.Prevention) == 0},
		{"local", len(p.Local) == 0},
	}
	for _, s := range sections {
		if s.empty {
			bad(p.Line, "section %s is empty", s.name)
		}
	}
	for _, r := range p.Related {
		if !ids[r] {
			bad(p.Line, "related id %q is not in the catalog", r)
		}
	}
	for _, msg := range lintChecks(p) {
		bad(p.Line, "%s", msg)
	}
	return out
}

// lintChecks checks the live checks: known kinds and arguments, the required arguments, and
// placeholders that name captures the playbook can produce (extract names and named groups
// of its anchor regexes).
func lintChecks(p *playbook.Playbook) []string {
	var out []string
	captures := Captures(p)
	for i, c := range p.Checks {
		where := fmt.Sprintf("checks[%d] (%s)", i, c.Kind)
		spec, ok := check.Lookup(c.Kind)
		if !ok {
			var kinds []string
			for _, s := range check.Kinds {
				kinds = append(kinds, s.Kind)
			}
			out = append(out, fmt.Sprintf("%s: unknown check kind %q (known: %s)", where, c.Kind, strings.Join(kinds, ", ")))
			continue
		}
		known := spec.Args()
		for _, k := range sortedKeys(c.Args) {
			if !slices.Contains(known, k) {
				out = append(out, fmt.Sprintf("%s: unknown argument %q (it takes %s)", where, k, strings.Join(known, ", ")))
			}
		}
		for _, k := range spec.Required {
			if strings.TrimSpace(c.Args[k]) == "" {
				out = append(out, fmt.Sprintf("%s: argument %q is required", where, k))
			}
		}
		for _, k := range sortedKeys(c.Args) {
			names := check.Placeholders(c.Args[k])
			if len(names) > 0 && slices.Contains(spec.Literal, k) {
				out = append(out, fmt.Sprintf("%s: argument %q must be literal: it says where a token may be sent, which a log must not decide", where, k))
				continue
			}
			for _, n := range names {
				if !captures[n] {
					out = append(out, fmt.Sprintf("%s: argument %s uses {{%s}}, which the playbook never captures (captures: %s)", where, k, n, strings.Join(sortedSet(captures), ", ")))
				}
			}
		}
	}
	return out
}

// Captures lists the names a playbook can capture: its extract names and the named groups of
// its anchor regexes.
func Captures(p *playbook.Playbook) map[string]bool {
	out := map[string]bool{}
	for _, ex := range p.Extract {
		out[ex.Name] = true
	}
	for _, pat := range p.Match.Any {
		if pat.Regex == "" {
			continue
		}
		re, err := regexp.Compile(pat.Regex)
		if err != nil {
			continue
		}
		for _, n := range re.SubexpNames() {
			if n != "" {
				out[n] = true
			}
		}
	}
	return out
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

// cannotMatch finds patterns that no normalized line can contain.
func cannotMatch(pat playbook.Pattern) string {
	text := pat.Literal
	if pat.Regex != "" {
		text = pat.Regex
		if strings.Contains(text, `\n`) || strings.Contains(text, `\r`) {
			return "lines never contain a newline or carriage return"
		}
		if re, err := syntax.Parse(text, syntax.Perl); err == nil && textAfterEnd(re) {
			return "text after the end-of-line anchor $"
		}
	}
	if strings.ContainsAny(text, "\n\r\x1b") {
		return "lines never contain newlines, carriage returns or escape codes"
	}
	return ""
}

// textAfterEnd reports a concatenation that requires a character after $.
func textAfterEnd(re *syntax.Regexp) bool {
	if re.Op == syntax.OpConcat {
		ended := false
		for _, sub := range re.Sub {
			switch sub.Op {
			case syntax.OpEndText, syntax.OpEndLine:
				ended = true
			case syntax.OpLiteral, syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL, syntax.OpPlus:
				if ended {
					return true
				}
			}
		}
	}
	for _, sub := range re.Sub {
		if textAfterEnd(sub) {
			return true
		}
	}
	return false
}

func exampleLines(exs []playbook.Example) []string {
	var lines []string
	for _, ex := range exs {
		lines = append(lines, strings.Split(ex.Log, "\n")...)
	}
	return lines
}

func anyMatch(re *regexp.Regexp, lines []string) bool {
	for _, l := range lines {
		if re.MatchString(l) {
			return true
		}
	}
	return false
}

// Failure is one example that did not behave as declared.
type Failure struct {
	Playbook *playbook.Playbook
	Example  playbook.Example
	Msg      string
}

func (f Failure) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", f.Playbook.Path, f.Example.Line, f.Playbook.ID, f.Msg)
}

// TestExamples runs every playbook over its own examples, alone: must-match examples must
// produce it (with the declared captures), no_match examples must not. It returns the number
// of examples run and the failures.
func TestExamples(pbs []*playbook.Playbook) (int, []Failure, error) {
	var (
		runs     int
		failures []Failure
	)
	for _, p := range pbs {
		cat, err := match.Compile([]*playbook.Playbook{p}, nil)
		if err != nil {
			return runs, failures, err
		}
		for _, ex := range p.Examples.Match {
			runs++
			d, err := diagnoseExample(cat, ex)
			if err != nil {
				return runs, failures, err
			}
			if d == nil {
				failures = append(failures, Failure{p, ex, "must-match example did not match"})
				continue
			}
			for _, k := range sortedKeys(ex.Captures) {
				if got := d.Captures[k]; got != ex.Captures[k] {
					failures = append(failures, Failure{p, ex, fmt.Sprintf("capture %s = %q, want %q", k, got, ex.Captures[k])})
				}
			}
		}
		for _, ex := range p.Examples.NoMatch {
			runs++
			d, err := diagnoseExample(cat, ex)
			if err != nil {
				return runs, failures, err
			}
			if d != nil {
				failures = append(failures, Failure{p, ex, fmt.Sprintf("must-not-match example matched line %d: %q", d.Evidence[0].Line, d.Evidence[0].Text)})
			}
		}
	}
	return runs, failures, nil
}

func diagnoseExample(cat *match.Catalog, ex playbook.Example) (*diagnose.Diagnosis, error) {
	a, err := diagnose.Run(strings.NewReader(ex.Log), "example", cat, diagnose.Options{})
	if err != nil {
		return nil, err
	}
	if len(a.Diagnoses) == 0 {
		return nil, nil
	}
	return &a.Diagnoses[0], nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// RankFirst runs every must-match example against the whole catalog and reports those whose
// top diagnosis is another playbook: overlapping playbooks that rank the wrong way round.
func RankFirst(pbs []*playbook.Playbook, cat *match.Catalog) ([]Failure, error) {
	var failures []Failure
	for _, p := range pbs {
		for _, ex := range p.Examples.Match {
			d, err := diagnoseExample(cat, ex)
			if err != nil {
				return failures, err
			}
			switch {
			case d == nil:
				failures = append(failures, Failure{p, ex, "no diagnosis with the whole catalog"})
			case d.ID != p.ID:
				failures = append(failures, Failure{p, ex, fmt.Sprintf("the whole catalog ranks %s first (line %d)", d.ID, d.Evidence[0].Line)})
			}
		}
	}
	return failures, nil
}
