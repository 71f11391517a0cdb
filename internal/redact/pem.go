package redact

import (
	"bytes"
	"regexp"
	"sort"
	"strings"
	"unsafe"
)

// PEM private keys. "-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN OPENSSH PRIVATE
// KEY-----", "-----BEGIN PGP PRIVATE KEY BLOCK-----", ... Certificates and public keys are
// not secrets and are left alone.

var (
	pemBeginRe = regexp.MustCompile(`-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----`)
	pemEndRe   = regexp.MustCompile(`-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----`)
)

const keyKind = "private-key"

// redactPEM masks key material inside a string: between a BEGIN and an END marker
// (possibly across the lines of a multi-line string, or on one line as in JSON with \n
// escapes), after a BEGIN marker whose END is missing, and base64 right before an END
// marker. Each line keeps its indentation and the markers themselves are kept.
func redactPEM(s string) string {
	begins := pemBeginRe.FindAllStringIndex(s, -1)
	ends := pemEndRe.FindAllStringIndex(s, -1)
	if begins == nil && ends == nil {
		return s
	}
	var e edits
	pos, k := 0, 0
	usedEnd := make([]bool, len(ends))
	for _, b := range begins {
		if b[0] < pos {
			continue
		}
		be := b[1]
		for k < len(ends) && ends[k][0] < be {
			k++
		}
		z, next := -1, len(s)
		if k < len(ends) {
			z, next = ends[k][0], ends[k][1]
			usedEnd[k] = true
		}
		if z >= 0 {
			if hasBase64Run(s[be:z], 16) {
				maskLines(&e, s, be, z)
			}
		} else {
			eol := lineEnd(s, be)
			rest := s[be:eol]
			if hasBase64Run(rest, 16) || (blankish(rest) && eol < len(s)) {
				maskLines(&e, s, be, len(s))
			}
		}
		pos = next
	}
	// An END marker whose BEGIN is elsewhere: mask base64 glued to its left.
	for k, en := range ends {
		if usedEnd[k] {
			continue
		}
		a := en[0]
		for a > 0 && (isBase64Byte(s[a-1]) || s[a-1] == '\\') {
			a--
		}
		if hasBase64Run(s[a:en[0]], 16) {
			e.list = append(e.list, edit{a, en[0], keyKind})
		}
	}
	sortEdits(&e)
	return e.apply(s)
}

// sortEdits orders edits by position (the orphan-END pass may add edits out of order)
// and drops overlaps.
func sortEdits(e *edits) {
	l := e.list
	sort.Slice(l, func(i, j int) bool { return l[i].a < l[j].a })
	out := l[:0]
	for _, x := range l {
		if n := len(out); n > 0 && x.a < out[n-1].b {
			continue
		}
		out = append(out, x)
	}
	e.list = out
}

// maskLines masks the content of every line segment of s[a:z], keeping indentation and
// trailing quotes or commas, and skipping blank or already masked segments.
func maskLines(e *edits, s string, a, z int) {
	for la := a; la < z; {
		lz := lineEnd(s, la)
		if lz > z {
			lz = z
		}
		ca, cz := la, lz
		for ca < cz && (s[ca] == ' ' || s[ca] == '\t') {
			ca++
		}
		for cz > ca && strings.IndexByte(" \t\r\"',", s[cz-1]) >= 0 {
			cz--
		}
		if c := s[ca:cz]; !blankish(c) && !isMarkers(c) {
			e.add(ca, cz, keyKind)
		}
		la = lz + 1
	}
}

// blankish reports text with nothing but white space, quotes, commas and \n escapes.
func blankish(t string) bool {
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case ' ', '\t', '\r', '\n', '"', '\'', ',':
		case '\\':
			if i+1 < len(t) && (t[i+1] == 'n' || t[i+1] == 'r') {
				i++
			}
		default:
			return false
		}
	}
	return true
}

func isBase64Byte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}

func hasBase64Run(t string, n int) bool {
	run := 0
	for i := 0; i < len(t); i++ {
		if isBase64Byte(t[i]) {
			if run++; run >= n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// maxKeyLines ends a PEM block whose END line never comes (a truncated log), so that one
// stray BEGIN line cannot hide the rest of a log. A 16384-bit RSA key is about 200 lines.
const maxKeyLines = 256

// Stream is a line-oriented redactor that remembers state across lines: inside a PEM
// private key block, every line until the END line is masked. The zero value is ready to
// use. A Stream is not safe for concurrent use.
type Stream struct {
	inKey bool
	lines int
}

// Line returns text (one line, without its newline) with secrets masked.
func (st *Stream) Line(text string) string {
	if st.inKey {
		if loc := pemEndRe.FindStringIndex(text); loc != nil {
			st.inKey = false
			return maskKeyLine(text[:loc[0]]) + String(text[loc[0]:])
		}
		if st.lines++; st.lines > maxKeyLines {
			st.inKey = false
			return String(text)
		}
		return maskKeyLine(text)
	}
	out := String(text)
	if opensKeyBlock(text) {
		st.inKey, st.lines = true, 0
	}
	return out
}

// Bytes is Line for a line held in a byte slice that the caller may reuse. It returns line
// itself, without allocating, when nothing was masked, and a new slice otherwise.
func (st *Stream) Bytes(line []byte) []byte {
	// The string view is only read while Line runs and is not kept.
	s := unsafe.String(unsafe.SliceData(line), len(line))
	if out := st.Line(s); out != s {
		return []byte(out)
	}
	return line
}

// Keys masks private keys printed over several lines, and only those: a line is looked at
// closely only inside a key block or when it contains "PRIVATE KEY", so that the cost on
// other lines is one substring search. Lines are masked as Stream masks them. It is meant
// to run over a whole log before anything keeps a line out of its context; the other
// secrets, which one line identifies, are masked where text leaves the program. The zero
// value is ready to use; a Keys is not safe for concurrent use.
type Keys struct{ st Stream }

var privateKey = []byte("PRIVATE KEY")

// Bytes returns line with private key material masked: line itself, without allocating,
// when there was none, and a new slice otherwise.
func (k *Keys) Bytes(line []byte) []byte {
	if !k.st.inKey && !bytes.Contains(line, privateKey) {
		return line
	}
	return k.st.Bytes(line)
}

// opensKeyBlock reports whether the last BEGIN marker of a line has no END after it and is
// followed by nothing or by key material, so that the following lines are the key.
func opensKeyBlock(text string) bool {
	locs := pemBeginRe.FindAllStringIndex(text, -1)
	if locs == nil {
		return false
	}
	rest := text[locs[len(locs)-1][1]:]
	if pemEndRe.MatchString(rest) {
		return false
	}
	return blankish(rest) || hasBase64Run(rest, 16)
}

// maskKeyLine masks a line inside a key block, keeping its indentation and a leading CI
// timestamp.
func maskKeyLine(line string) string {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if p := line[i:]; len(p) >= 20 && p[4] == '-' && p[7] == '-' && (p[10] == 'T' || p[10] == ' ') && p[13] == ':' {
		if sp := strings.IndexAny(p[11:], " \t"); sp >= 0 {
			i += 11 + sp
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
		}
	}
	c := strings.TrimRight(line[i:], " \t\r")
	if blankish(c) || isMarkers(c) {
		return line
	}
	return line[:i] + marker(keyKind)
}
