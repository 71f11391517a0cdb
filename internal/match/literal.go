package match

import (
	"regexp/syntax"
	"strings"
)

// MinLiteral is the shortest required literal accepted for the prefilter: shorter ones would
// make almost every line a candidate.
const MinLiteral = 3

// RequiredLiterals returns a set of lowercase strings such that every match of the regex
// contains at least one of them. ok is false when no such set with literals of at least
// MinLiteral bytes exists (the regex would have to run on every line).
func RequiredLiterals(expr string) (lits []string, ok bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, false
	}
	set := required(re.Simplify())
	if set == nil {
		return nil, false
	}
	for _, s := range set {
		if len(s) < MinLiteral {
			return nil, false
		}
	}
	return dedupe(set), true
}

// required computes the literal set for one node, or nil when unknown.
func required(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(re.Rune))}
	case syntax.OpCapture:
		return required(re.Sub[0])
	case syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min < 1 {
			return nil
		}
		if sub := re.Sub[0]; sub.Op == syntax.OpLiteral && re.Min <= 16 {
			// x{3,} contains xxx.
			return []string{strings.Repeat(strings.ToLower(string(sub.Rune)), re.Min)}
		}
		return required(re.Sub[0])
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			s := required(sub)
			if s == nil {
				return nil
			}
			out = append(out, s...)
		}
		return out
	case syntax.OpConcat:
		return requiredConcat(re.Sub)
	case syntax.OpCharClass:
		return classLiterals(re)
	}
	return nil
}

// requiredConcat joins runs of adjacent fixed pieces (literals and small classes) into longer
// literals, and keeps the best set among the runs and the other children.
func requiredConcat(subs []*syntax.Regexp) []string {
	var best []string
	consider := func(s []string) {
		if s != nil && betterSet(s, best) {
			best = s
		}
	}
	var run []string // cross product of the current run of fixed pieces
	flush := func() {
		consider(run)
		run = nil
	}
	for _, sub := range subs {
		piece := fixedPiece(sub)
		if piece == nil && (sub.Op == syntax.OpPlus || sub.Op == syntax.OpRepeat && sub.Min >= 1) {
			// x+ starts with x: the run extends by one x, then ends.
			if first := fixedPiece(sub.Sub[0]); first != nil && run != nil && len(run)*len(first) <= 64 {
				var next []string
				for _, a := range run {
					for _, b := range first {
						next = append(next, a+b)
					}
				}
				run = next
			}
		}
		if piece == nil {
			flush()
			consider(required(sub))
			continue
		}
		if run == nil {
			run = piece
			continue
		}
		if len(run)*len(piece) > 64 {
			flush()
			run = piece
			continue
		}
		var next []string
		for _, a := range run {
			for _, b := range piece {
				next = append(next, a+b)
			}
		}
		run = next
	}
	flush()
	return best
}

// fixedPiece returns the exact strings a node matches when it is a literal, a small character
// class or a capture/alternation of such, or nil.
func fixedPiece(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(re.Rune))}
	case syntax.OpCharClass:
		return classLiterals(re)
	case syntax.OpCapture:
		return fixedPiece(re.Sub[0])
	case syntax.OpQuest:
		// s? is s or nothing: \.pyi?: is one of .py: and .pyi:
		s := fixedPiece(re.Sub[0])
		if s == nil || len(s) > 8 {
			return nil
		}
		return append([]string{""}, s...)
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			s := fixedPiece(sub)
			if s == nil {
				return nil
			}
			out = append(out, s...)
		}
		if len(out) > 16 {
			return nil
		}
		return out
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			s := fixedPiece(sub)
			if s == nil || len(out)*len(s) > 16 {
				return nil
			}
			var next []string
			for _, a := range out {
				for _, b := range s {
					next = append(next, a+b)
				}
			}
			out = next
		}
		return out
	}
	return nil
}

// classLiterals expands a character class of at most 4 distinct lowercase characters
// (such as [Ee] or [13]).
func classLiterals(re *syntax.Regexp) []string {
	seen := map[string]bool{}
	var out []string
	for i := 0; i+1 < len(re.Rune); i += 2 {
		lo, hi := re.Rune[i], re.Rune[i+1]
		if hi-lo > 4 {
			return nil
		}
		for r := lo; r <= hi; r++ {
			if r == 'ſ' || r == '\u212a' { // what (?i) adds for s and k (long s, Kelvin sign)
				continue
			}
			s := strings.ToLower(string(r))
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 || len(out) > 4 {
		return nil
	}
	return out
}

// betterSet prefers sets whose shortest literal is longer, then sets of rarer text (a rarer
// literal makes fewer candidate lines), then smaller sets.
func betterSet(a, b []string) bool {
	if b == nil {
		return true
	}
	ma, mb := minLen(a), minLen(b)
	if ma != mb {
		return ma > mb
	}
	if ca, cb := commonness(a), commonness(b); ca != cb {
		return ca < cb
	}
	return len(a) < len(b)
}

// commonness is how common the most common literal of a set is in log text: the sum of its
// bytes' commonness.
func commonness(set []string) int {
	worst := 0
	for _, s := range set {
		c := 0
		for i := 0; i < len(s); i++ {
			c += byteCommonness(s[i])
		}
		worst = max(worst, c)
	}
	return worst
}

// byteCommonness ranks bytes by how often they appear in CI logs, roughly: spaces and the
// most frequent letters first, then other letters and common punctuation, then the rest.
func byteCommonness(b byte) int {
	switch {
	case b == ' ':
		return 10
	case strings.IndexByte("etaoinsrlcd", b) >= 0:
		return 8
	case strings.IndexByte("uhmpgfybw0123456789:/.-_", b) >= 0:
		return 6
	case b >= 'a' && b <= 'z':
		return 4
	}
	return 2
}

func minLen(set []string) int {
	m := -1
	for _, s := range set {
		if m < 0 || len(s) < m {
			m = len(s)
		}
	}
	return m
}

// dedupe drops repeated literals, and literals that contain another one of the set: a line
// with "abcdef" has "def" too.
func dedupe(set []string) []string {
	var out []string
	for i, s := range set {
		redundant := false
		for j, t := range set {
			if i != j && strings.Contains(s, t) && (s != t || j < i) {
				redundant = true
				break
			}
		}
		if !redundant {
			out = append(out, s)
		}
	}
	return out
}
