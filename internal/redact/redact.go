// Package redact masks secrets in text that came from a CI log or a credential store.
//
// String is the single entry point for one string (usually one log line). Text without
// secrets costs one table-driven byte scan and comes back as the very same string; only
// when that scan finds a keyword does a rule (a regular expression or a small hand-written
// matcher, in the style of gitleaks and trufflehog) run, and only the rules whose keywords
// were seen.
//
// A masked secret is replaced by a marker that names its kind, for example
// "[REDACTED:github-token]". Surrounding text (header names, schemes, keys, hosts) is kept.
// Redaction is idempotent: String(String(x)) == String(x).
//
// Private keys printed over several lines cannot be recognised one line at a time; Stream
// keeps the state needed to mask every line of a PEM private key block.
package redact

import "strings"

// markerPrefix starts every marker. Markers are inert: no rule matches inside one, and a
// value that consists only of markers is never masked again.
const markerPrefix = "[REDACTED:"

// maxPasses bounds the fixpoint loop in String. Masking one secret can, in rare inputs,
// change what a later rule sees; running the rules again until nothing changes makes the
// result stable. Real lines settle after the first pass.
const maxPasses = 6

func marker(kind string) string { return markerPrefix + kind + "]" }

// String returns s with every secret replaced by a marker naming its kind, e.g.
// "[REDACTED:github-token]". Text without secrets comes back unchanged (the same string),
// after a single cheap prefilter pass that does not allocate.
func String(s string) string {
	m := scan(s)
	if m == 0 {
		return s
	}
	return fixpoint(s, m, scan)
}

// fixpoint applies the selected rules until the text stops changing.
func fixpoint(s string, m uint64, sel func(string) uint64) string {
	out := applyRules(s, m)
	for pass := 1; pass < maxPasses && out != s; pass++ {
		s = out
		if m = sel(s); m == 0 {
			break
		}
		out = applyRules(s, m)
	}
	return out
}

// applyRules runs, in order, the rules whose bit is set in m.
func applyRules(s string, m uint64) string {
	for i := range rules {
		if m&(1<<uint(i)) != 0 {
			s = rules[i].apply(s)
		}
	}
	return s
}

// isMarkers reports whether v consists only of one or more markers.
func isMarkers(v string) bool {
	if v == "" {
		return false
	}
	for v != "" {
		if !strings.HasPrefix(v, markerPrefix) {
			return false
		}
		end := strings.IndexByte(v, ']')
		if end < 0 {
			return false
		}
		for i := len(markerPrefix); i < end; i++ {
			if c := v[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
		v = v[end+1:]
	}
	return true
}
