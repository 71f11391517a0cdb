package redact

import "strings"

// isPlaceholder reports whether a value found after a secret-looking key is obviously not
// a secret: empty, already masked by the CI (***, [MASKED], [secure], XXXXX-XXXXX), a
// variable reference ($VAR, ${VAR}, $(cmd), %VAR%, {{ .X }}, ${{ secrets.X }}), a
// placeholder (<token>), a boolean or null, a file path or a URL.
func isPlaceholder(v string) bool {
	v = strings.TrimSpace(v)
	if v == "" || isMarkers(v) {
		return true
	}
	if strings.Trim(v, ".…`()[],;:'\"") == "" {
		return true // "password ...": an ellipsis in prose or docs
	}
	if maskedByCI(v) {
		return true
	}
	if len(v) > 2 && v[0] == '\\' && v[1] == '$' {
		v = v[1:] // \${NPM_TOKEN}: a reference, escaped for a shell
	}
	switch v[0] {
	case '$':
		return len(v) > 1 && (v[1] == '{' || v[1] == '(' || v[1] == '_' || isLetter(v[1]))
	case '%':
		return len(v) > 2 && v[len(v)-1] == '%'
	case '<':
		return v[len(v)-1] == '>'
	case '{':
		return strings.HasPrefix(v, "{{")
	case '[':
		if v[len(v)-1] != ']' || len(v) > 24 {
			return false
		}
		for i := 1; i < len(v)-1; i++ {
			if c := v[i]; !(isLetter(c) || c == ' ' || c == '_' || c == '-' || c == ':') {
				return false
			}
		}
		return true
	case '|', '>':
		return len(v) <= 2 // YAML block scalar indicators
	}
	if isPathLike(v) || isPlainURL(v) {
		return true
	}
	switch strings.ToLower(v) {
	case "true", "false", "null", "nil", "none", "undefined", "yes", "no", "on", "off",
		"empty", "redacted", "masked", "hidden", "filtered", "secure", "unset", "not set",
		"anon", "anonymous": // token='anon': the documented way to ask for no credential
		return true
	}
	return false
}

// maskedByCI reports values made only of mask characters: ***, XXXXX-XXXXX, xxxx.
func maskedByCI(v string) bool {
	mask := false
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '*', 'x', 'X':
			mask = true
		case '-', '.':
		default:
			return false
		}
	}
	return mask
}

// isPathLike reports file paths (/run/secrets/x, ./key.json, ~/.npmrc, C:\x). A value
// starting with '/' but made of random-looking segments is treated as a secret (base64
// values can start with '/').
func isPathLike(v string) bool {
	switch {
	case strings.HasPrefix(v, "./"), strings.HasPrefix(v, "../"), strings.HasPrefix(v, "~/"):
	case len(v) > 3 && isLetter(v[0]) && v[1] == ':' && v[2] == '\\':
		return true
	case strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//"):
	default:
		return false
	}
	if strings.ContainsAny(v, "+=") {
		return false
	}
	for _, seg := range strings.Split(v, "/") {
		if randomLooking(seg) {
			return false
		}
	}
	return true
}

// isPlainURL reports a URL without userinfo (URLs with credentials are handled by their
// own rule).
func isPlainURL(v string) bool {
	i := strings.Index(v, "://")
	if i <= 0 || i > 12 {
		return false
	}
	for j := 0; j < i; j++ {
		if c := v[j]; !(isLetter(c) || c >= '0' && c <= '9' || c == '+' || c == '.' || c == '-') {
			return false
		}
	}
	a := i + 3
	return strings.IndexByte(v[a:authorityEnd(v, a)], '@') < 0
}

// randomLooking reports a segment of 12+ bytes that mixes upper case, lower case and
// digits, as random tokens do and file names rarely do.
func randomLooking(seg string) bool {
	if len(seg) < 12 {
		return false
	}
	var up, lo, dig bool
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case c >= 'A' && c <= 'Z':
			up = true
		case c >= 'a' && c <= 'z':
			lo = true
		case c >= '0' && c <= '9':
			dig = true
		}
	}
	return up && lo && dig
}

// looksSecret reports whether a value after a prose-like key ("Token: ...") looks like a
// credential rather than a word: long enough and mixing letters with digits or cases.
func looksSecret(v string) bool {
	var letters, digits, upper, lower int
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'A' && c <= 'Z':
			upper++
			letters++
		case c >= 'a' && c <= 'z':
			lower++
			letters++
		}
	}
	if len(v) >= 8 && letters > 0 && digits > 0 {
		return true
	}
	return len(v) >= 16 && upper > 0 && lower > 0
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
