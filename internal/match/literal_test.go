package match

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestRequiredLiterals(t *testing.T) {
	tests := []struct {
		re   string
		want []string // nil means: no usable literal
	}{
		{`no basic auth credentials`, []string{"no basic auth credentials"}},
		{`(?i)Permission denied \(publickey`, []string{"permission denied (publickey"}},
		{`denied: .*write_package`, []string{"write_package"}},
		{`\bHTTP[ /]?40[13]\b`, []string{"http401", "http403", "http 401", "http 403", "http/401", "http/403"}},
		{`(?i)\bstatus(?: code)?[ :=]+40[13]\b`, []string{"status ", "status:", "status="}},
		{`(?:E401|E403|ENEEDAUTH)`, []string{"e401", "e403", "eneedauth"}},
		{`npm ERR! code E40[13]`, []string{"npm err! code e401", "npm err! code e403"}},
		{`[Ee]rror: .*`, []string{"error: "}},
		{`(foo|b)ar`, []string{"fooar", "bar"}},
		{`x+y`, nil},
		{`^_{3,} \S.* _{3,}$`, []string{"___"}},
		{`.*`, nil},
		{`(?:abc)?def`, []string{"def"}},
		{`\.pyi?:\d+`, []string{".py:", ".pyi:"}},
		{`e: \S.*\.kts?:`, []string{".kt:", ".kts:"}},
		{`\d+ failing`, []string{" failing"}},
		{`(ab|cd)`, nil}, // too short
		{`(?P<host>[a-z.]+)/v2/`, []string{"/v2/"}},
	}
	for _, tt := range tests {
		got, ok := RequiredLiterals(tt.re)
		if tt.want == nil {
			if ok {
				t.Errorf("RequiredLiterals(%q) = %q, want none", tt.re, got)
			}
			continue
		}
		if !ok || !slices.Equal(got, tt.want) {
			t.Errorf("RequiredLiterals(%q) = %q, %v; want %q", tt.re, got, ok, tt.want)
		}
	}
}

// The literal set must be a true prefilter: whenever the regex matches a line, the lowercased
// line contains one of the literals.
func FuzzRequiredLiteralsSound(f *testing.F) {
	f.Add(`npm ERR! code E40[13]`, "npm ERR! code E401")
	f.Add(`(?i)denied: .*write_package`, "DENIED: permission_denied: WRITE_PACKAGE")
	f.Add(`(foo|b)ar`, "xbar")
	f.Fuzz(func(t *testing.T, expr, line string) {
		re, err := regexp.Compile(expr)
		if err != nil {
			return
		}
		lits, ok := RequiredLiterals(expr)
		if !ok || !re.MatchString(line) {
			return
		}
		lower := toLowerASCII(line)
		for _, l := range lits {
			if containsFold(lower, l) {
				return
			}
		}
		t.Fatalf("regex %q matches %q but none of %q occur", expr, line, lits)
	})
}

func toLowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func containsFold(lowerHay, lit string) bool {
	return regexp.MustCompile("(?i)" + regexp.QuoteMeta(lit)).MatchString(lowerHay)
}

// The automaton reports exactly the patterns that occur, case-folded, overlapping included.
func FuzzAutomaton(f *testing.F) {
	f.Add("he,she,his,hers", "USHERS")
	f.Add("403 forbidden,forbidden,403", "HTTP 403 Forbidden")
	f.Add("✖,ab", "✖ aB")
	f.Fuzz(func(t *testing.T, list, text string) {
		var pats []string
		for _, p := range strings.Split(strings.ToLower(list), ",") {
			if p != "" && len(pats) < 20 {
				pats = append(pats, p)
			}
		}
		if len(pats) == 0 {
			return
		}
		a := newAutomaton(pats)
		got := map[int32]int{}
		a.each([]byte(text), func(p int32) { got[p]++ })
		folded := toLowerASCII(text)
		for i, p := range pats {
			if want := countOverlapping(folded, p); got[int32(i)] != want {
				t.Fatalf("pattern %q in %q: found %d times, want %d", p, text, got[int32(i)], want)
			}
		}
	})
}

func countOverlapping(s, sub string) int {
	n := 0
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			n++
		}
	}
	return n
}
