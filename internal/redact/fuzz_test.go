package redact

import (
	"strings"
	"testing"
)

// plantedToken is a generated, format-valid GitHub classic token that FuzzString plants
// into every input; it must never survive redaction.
var plantedToken = "ghp_" + newGen(1).s(alnum, 36)

func FuzzString(f *testing.F) {
	for _, c := range secretCases() {
		f.Add(c.in, uint16(0))
	}
	for i, l := range cleanLines {
		f.Add(l, uint16(i))
	}
	f.Fuzz(func(t *testing.T, s string, at uint16) {
		// The input as given: no panic, idempotent, prefilter agrees with running every rule.
		check(t, s)

		// The input with a token planted at a fuzzed position.
		p := int(at) % (len(s) + 1)
		planted := s[:p] + plantedToken + s[p:]
		out := check(t, planted)
		if strings.Contains(out, plantedToken) {
			t.Fatalf("planted token survived:\n in: %q\nout: %q", planted, out)
		}
		if body := plantedToken[4:]; !strings.Contains(s, body) && strings.Contains(out, body) {
			t.Fatalf("planted token body survived:\n in: %q\nout: %q", planted, out)
		}
	})
}

func check(t *testing.T, s string) string {
	t.Helper()
	out := String(s)
	if again := String(out); again != out {
		t.Fatalf("not idempotent:\n   in: %q\n once: %q\ntwice: %q", s, out, again)
	}
	if all := fixpoint(s, scanAll(s), scanAll); all != out {
		t.Fatalf("prefilter changes the result:\n in: %q\nout: %q\nall: %q", s, out, all)
	}
	var st Stream
	for _, l := range strings.Split(s, "\n") {
		_ = st.Line(l)
	}
	return out
}
