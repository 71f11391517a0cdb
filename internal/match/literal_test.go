package match

import (
	"regexp"
	"slices"
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
		{`\bHTTP[ /]?40[13]\b`, []string{"http"}},
		{`(?i)\bstatus(?: code)?[ :=]+40[13]\b`, []string{"status"}},
		{`(?:E401|E403|ENEEDAUTH)`, []string{"e401", "e403", "eneedauth"}},
		{`npm ERR! code E40[13]`, []string{"npm err! code e401", "npm err! code e403"}},
		{`[Ee]rror: .*`, []string{"error: "}},
		{`(foo|b)ar`, []string{"fooar", "bar"}},
		{`x+y`, nil},
		{`^_{3,} \S.* _{3,}$`, []string{"___"}},
		{`.*`, nil},
		{`(?:abc)?def`, []string{"def"}},
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
