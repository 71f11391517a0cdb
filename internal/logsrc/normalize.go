package logsrc

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

const (
	esc = 0x1b
	bel = 0x07

	// maxStepName caps the length of a step name taken from a log.
	maxStepName = 256
	// maxSteps caps the depth of nested steps kept.
	maxSteps = 32
)

// Normalize returns the normalized text of one raw log line (a trailing
// "\n" or "\r\n" is allowed): terminal escape sequences, NUL bytes, CI
// timestamps and CI markers are removed, and of carriage-return separated
// progress output only the last non-empty segment is kept.
//
// The input is never modified; the result may share its storage.
func Normalize(line []byte) []byte {
	var n normalizer
	return n.normalize(line)
}

// StepMarker starts a line that opens the step named by the rest of the line, replacing
// any open steps. sleuth's CI fetchers write it where they put one log together from
// per-step pieces (CircleCI step outputs, GitHub's run log archive), so evidence names the
// step; the marker line itself has no text.
const StepMarker = "##[step]"

// StepLine returns the "\n"-terminated marker line that opens the step name.
func StepLine(name string) string {
	name = strings.Join(strings.Fields(name), " ")
	return StepMarker + string(trimName([]byte(name))) + "\n"
}

// lineStart marks the bytes that may begin a timestamp prefix, a BOM or a CI
// marker, so lines starting with any other byte skip those checks entirely.
var lineStart = [256]bool{
	'0': true, '1': true, '2': true, '3': true, '4': true,
	'5': true, '6': true, '7': true, '8': true, '9': true,
	0xEF: true,                                  // UTF-8 byte order mark
	'#':  true,                                  // GitHub ##[group]
	':':  true,                                  // GitHub ::error::
	's':  true,                                  // GitLab section_start:
	't':  true,                                  // Travis travis_fold:
	'-':  true, '+': true, '~': true, '^': true, // Buildkite --- +++ ~~~ ^^^
}

// normalizer holds the reusable buffers of a Scanner; the zero value is
// ready to use and tracks no steps.
type normalizer struct {
	buf   []byte // escape-stripped copy of the current line
	out   []byte // joined text, when a line has text on both sides of a marker
	steps *steps // nil: markers are recognized but not tracked
}

// normalize returns the text of line. It never modifies line; the result
// is valid until the next call.
func (n *normalizer) normalize(line []byte) []byte {
	if l := len(line); l > 0 && line[l-1] == '\n' {
		line = line[:l-1]
	}
	// Travis and GitLab markers end with "\r" (and "ESC [0K"); such lines
	// take the segment path, which also finds markers after other output.
	l := len(line)
	line = trimCR(line)
	segmented := len(line) < l
	if len(line) == 0 {
		return line
	}
	if lineStart[line[0]] {
		line = skipPrefix(line)
	}
	if bytes.IndexByte(line, esc) >= 0 || bytes.IndexByte(line, 0) >= 0 {
		n.buf = stripControls(n.buf[:0], line)
		line = trimCR(n.buf)
		segmented = true
	}
	cr := bytes.IndexByte(line, '\r')
	if cr < 0 && !segmented {
		if len(line) == 0 || !lineStart[line[0]] {
			return line // fast path: plain text
		}
		if text, ok := n.marker(line); ok {
			return text
		}
		return line
	}
	return n.segments(line, cr)
}

// segments handles a line holding carriage returns or escape sequences:
// progress output overwritten in place, and Travis/GitLab markers (which
// come wrapped in "\r" and "ESC [0K").
//
// The text is the last non-blank segment; a marker "commits" the text seen
// before it, so output printed without a trailing newline right before a
// marker is kept (joined by a space with the text after the marker).
func (n *normalizer) segments(line []byte, cr int) []byte {
	var (
		cur       []byte // last non-blank text since the last marker
		committed []byte // text kept from before markers
		joined    bool   // committed lives in n.out
	)
	commit := func() {
		if cur == nil {
			return
		}
		switch {
		case committed == nil:
			committed = cur
		case !joined:
			n.out = append(append(append(n.out[:0], committed...), ' '), cur...)
			committed, joined = n.out, true
		default:
			n.out = append(append(n.out, ' '), cur...)
			committed = n.out
		}
		cur = nil
	}
	rest := line
	for {
		seg := rest
		if cr >= 0 {
			seg = rest[:cr]
		}
		if len(seg) > 0 {
			// Markers can follow output that had no trailing newline.
			if k := embeddedMarker(seg); k > 0 {
				if !isBlank(seg[:k]) {
					cur = seg[:k]
				}
				seg = seg[k:]
			}
			if text, ok := n.marker(seg); ok {
				commit()
				if len(text) > 0 {
					cur = text
				}
			} else if !isBlank(seg) {
				cur = seg
			}
		}
		if cr < 0 {
			break
		}
		rest = rest[cr+1:]
		cr = bytes.IndexByte(rest, '\r')
	}
	commit()
	if committed == nil {
		return line[:0]
	}
	return committed
}

// embeddedMarker returns the index of a Travis or GitLab marker that does
// not start the segment, or -1.
func embeddedMarker(seg []byte) int {
	for _, p := range [...]string{"travis_", "section_"} {
		off := 1
		for off < len(seg) {
			i := bytes.Index(seg[off:], []byte(p))
			if i < 0 {
				break
			}
			k := off + i
			if isMarkerAt(seg[k:]) {
				return k
			}
			off = k + 1
		}
	}
	return -1
}

func isMarkerAt(b []byte) bool {
	return bytes.HasPrefix(b, []byte("travis_fold:start:")) ||
		bytes.HasPrefix(b, []byte("travis_fold:end:")) ||
		bytes.HasPrefix(b, []byte("travis_time:start:")) ||
		bytes.HasPrefix(b, []byte("travis_time:end:")) ||
		isGitLabSection(b)
}

func isGitLabSection(b []byte) bool {
	var rest []byte
	switch {
	case bytes.HasPrefix(b, []byte("section_start:")):
		rest = b[len("section_start:"):]
	case bytes.HasPrefix(b, []byte("section_end:")):
		rest = b[len("section_end:"):]
	default:
		return false
	}
	i := 0
	for i < len(rest) && isDigit(rest[i]) {
		i++
	}
	return i > 0 && i < len(rest) && rest[i] == ':'
}

// marker recognizes a CI marker at the start of seg. It returns the text
// that replaces the segment and true, or false if seg is no marker. Step
// changes are applied to n.steps.
func (n *normalizer) marker(seg []byte) ([]byte, bool) {
	if len(seg) < 3 {
		return nil, false
	}
	switch seg[0] {
	case '#':
		return n.githubLogCommand(seg)
	case ':':
		return n.workflowCommand(seg)
	case 's':
		return n.gitlabSection(seg)
	case 't':
		return n.travisMarker(seg)
	case '-', '+', '~', '^':
		return n.buildkiteHeader(seg)
	}
	return nil, false
}

// githubLogCommand handles "##[group]NAME", "##[endgroup]", "##[error]msg"
// and the other "##[name]msg" forms of GitHub Actions and Azure Pipelines.
func (n *normalizer) githubLogCommand(seg []byte) ([]byte, bool) {
	if seg[1] != '#' || seg[2] != '[' {
		return nil, false
	}
	end := bytes.IndexByte(seg[3:], ']')
	if end < 0 {
		return nil, false
	}
	name, msg := seg[3:3+end], seg[4+end:]
	switch string(name) {
	case "group":
		n.steps.openGroup(msg)
		return msg, true
	case "endgroup":
		n.steps.endGroup()
		return nil, true
	case "step":
		// sleuth's own step boundary (StepLine): the marker line has no text.
		n.steps.set(msg)
		return nil, true
	case "error", "warning", "notice", "debug", "command", "section", "info":
		return msg, true
	}
	return nil, false
}

// workflowCommand handles GitHub workflow commands: "::error::msg",
// "::error file=x,line=1::msg", "::group::NAME", "::endgroup::" and the
// warning, notice and debug forms.
func (n *normalizer) workflowCommand(seg []byte) ([]byte, bool) {
	if seg[1] != ':' {
		return nil, false
	}
	i := 2
	for i < len(seg) && (seg[i] >= 'a' && seg[i] <= 'z' || seg[i] == '-') {
		i++
	}
	cmd := seg[2:i]
	var msg []byte
	switch {
	case bytes.HasPrefix(seg[i:], []byte("::")):
		msg = seg[i+2:]
	case i < len(seg) && seg[i] == ' ':
		j := bytes.Index(seg[i:], []byte("::"))
		if j < 0 {
			return nil, false
		}
		msg = seg[i+j+2:]
	default:
		return nil, false
	}
	switch string(cmd) {
	case "group":
		n.steps.openGroup(msg)
		return msg, true
	case "endgroup":
		n.steps.endGroup()
		return nil, true
	case "error", "warning", "notice", "debug":
		return msg, true
	}
	return nil, false
}

// gitlabSection handles "section_start:TIME:NAME[options]" and
// "section_end:TIME:NAME". The section header follows after "\r" (a
// separate segment); any text directly after the name is returned.
func (n *normalizer) gitlabSection(seg []byte) ([]byte, bool) {
	if !isGitLabSection(seg) {
		return nil, false
	}
	start := seg[len("section_")] == 's'
	rest := seg[bytes.IndexByte(seg, ':')+1:]
	rest = rest[bytes.IndexByte(rest, ':')+1:]
	i := 0
	for i < len(rest) && isNameByte(rest[i]) {
		i++
	}
	name := rest[:i]
	rest = rest[i:]
	if len(rest) > 0 && rest[0] == '[' {
		if j := bytes.IndexByte(rest, ']'); j >= 0 {
			rest = rest[j+1:]
		}
	}
	if start {
		n.steps.push(name)
	} else {
		n.steps.pop(name)
	}
	return bytes.TrimLeft(rest, " "), true
}

// travisMarker handles "travis_fold:start:NAME", "travis_fold:end:NAME",
// "travis_time:start:ID" and "travis_time:end:ID:start=...,finish=...".
func (n *normalizer) travisMarker(seg []byte) ([]byte, bool) {
	switch {
	case bytes.HasPrefix(seg, []byte("travis_fold:start:")):
		n.steps.push(seg[len("travis_fold:start:"):])
	case bytes.HasPrefix(seg, []byte("travis_fold:end:")):
		n.steps.pop(seg[len("travis_fold:end:"):])
	case bytes.HasPrefix(seg, []byte("travis_time:start:")),
		bytes.HasPrefix(seg, []byte("travis_time:end:")):
	default:
		return nil, false
	}
	return nil, true
}

// buildkiteHeader handles Buildkite section headers "--- NAME",
// "+++ NAME", "~~~ NAME" and the "^^^ +++" directive.
//
// Test and diff output that looks like a header ("--- FAIL: TestX",
// "--- a/file", "+++ b/file", "--- Expected") is left alone.
func (n *normalizer) buildkiteHeader(seg []byte) ([]byte, bool) {
	c := seg[0]
	if len(seg) < 4 || seg[1] != c || seg[2] != c || seg[3] != ' ' {
		return nil, false
	}
	name := bytes.TrimSpace(seg[4:])
	if c == '^' {
		if string(name) == "+++" {
			return nil, true
		}
		return nil, false
	}
	if len(name) == 0 || bytes.IndexByte(name, '\t') >= 0 || looksLikeDiffOrTest(name) {
		return nil, false
	}
	n.steps.set(name)
	return name, true
}

func looksLikeDiffOrTest(name []byte) bool {
	for _, p := range [...]string{
		"FAIL:", "PASS:", "SKIP:", "BENCH:", // go test
		"a/", "b/", "/", "./", "../", // unified diff headers
		"Expected", "Actual", "expected", "actual", // testify and friends
		"old", "new", "original", "modified", "current", "desired",
	} {
		if bytes.HasPrefix(name, []byte(p)) {
			return true
		}
	}
	return false
}

// skipPrefix removes a UTF-8 byte order mark and a CI timestamp from the
// start of a line: GitHub Actions "2024-01-02T03:04:05.1234567Z ", and
// GitLab's "2024-01-02T03:04:05.123456Z 00O " (with its stream id).
func skipPrefix(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		b = b[3:]
	}
	if len(b) == 0 || !isDigit(b[0]) {
		return b
	}
	n := timestampLen(b)
	if n == 0 {
		return b
	}
	b = b[n:]
	// GitLab: two hex digits of stream number, O or E, then ' ' or '+'.
	if len(b) >= 4 && isHex(b[0]) && isHex(b[1]) && (b[2] == 'O' || b[2] == 'E') && (b[3] == ' ' || b[3] == '+') {
		b = b[4:]
	}
	return b
}

// timestampLen returns the length of an RFC 3339 UTC timestamp
// "YYYY-MM-DDTHH:MM:SS[.frac]Z" plus the single space after it at the start
// of b, or 0.
func timestampLen(b []byte) int {
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(b) < len(layout)+1 {
		return 0
	}
	for i := 0; i < len(layout); i++ {
		if layout[i] == 'd' {
			if !isDigit(b[i]) {
				return 0
			}
		} else if b[i] != layout[i] {
			return 0
		}
	}
	i := len(layout)
	if b[i] == '.' {
		i++
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i >= len(b) || b[i] != 'Z' {
		return 0
	}
	i++
	if i < len(b) {
		if b[i] != ' ' {
			return 0
		}
		i++
	}
	return i
}

// stripControls appends b to dst without terminal escape sequences and NUL
// bytes.
func stripControls(dst, b []byte) []byte {
	nul := bytes.IndexByte(b, 0) // next NUL in b, -1 for none
	for len(b) > 0 {
		e := bytes.IndexByte(b, esc)
		if nul >= 0 && (e < 0 || nul < e) {
			dst = append(dst, b[:nul]...)
			b = b[nul+1:]
			nul = bytes.IndexByte(b, 0)
			continue
		}
		if e < 0 {
			return append(dst, b...)
		}
		dst = append(dst, b[:e]...)
		k := escapeLen(b[e:])
		b = b[e+k:]
		if nul >= 0 {
			if nul -= e + k; nul < 0 { // the NUL was inside the sequence
				nul = bytes.IndexByte(b, 0)
			}
		}
	}
	return dst
}

// escapeLen returns the length of the escape sequence at the start of b
// (b[0] == ESC). Malformed or unterminated sequences are cut short rather
// than swallowing the rest of the line.
func escapeLen(b []byte) int {
	if len(b) < 2 {
		return len(b)
	}
	switch c := b[1]; {
	case c == '[': // CSI: parameters 0x30-0x3F, intermediates 0x20-0x2F, final 0x40-0x7E
		i := 2
		for i < len(b) && b[i] >= 0x30 && b[i] <= 0x3F {
			i++
		}
		for i < len(b) && b[i] >= 0x20 && b[i] <= 0x2F {
			i++
		}
		if i < len(b) && b[i] >= 0x40 && b[i] <= 0x7E {
			i++
		}
		return i
	case c == ']' || c == '_' || c == 'P' || c == '^' || c == 'X':
		// OSC, APC (Buildkite "ESC _bk;t=...BEL"), DCS, PM, SOS: a string
		// ended by BEL or ST (ESC \).
		for i := 2; i < len(b); i++ {
			switch b[i] {
			case bel:
				return i + 1
			case esc:
				if i+1 < len(b) && b[i+1] == '\\' {
					return i + 2
				}
				return i // a new sequence starts: this one was unterminated
			case '\r':
				return i
			}
		}
		return 2 // unterminated: drop the introducer, keep the text
	case c >= 0x20 && c <= 0x2F: // nF: ESC ( B and friends
		i := 2
		for i < len(b) && b[i] >= 0x20 && b[i] <= 0x2F {
			i++
		}
		if i < len(b) && b[i] >= 0x30 && b[i] <= 0x7E {
			i++
		}
		return i
	case c >= 0x30 && c <= 0x7E: // two-byte sequences: ESC 7, ESC M, ESC =, ...
		return 2
	}
	return 1
}

// steps is a bounded stack of step names.
type steps struct {
	stack []string
}

func (s *steps) top() string {
	if s == nil || len(s.stack) == 0 {
		return ""
	}
	return s.stack[len(s.stack)-1]
}

func (s *steps) push(name []byte) {
	if s == nil {
		return
	}
	v := stepName(name)
	if len(s.stack) >= maxSteps {
		s.stack[len(s.stack)-1] = v
		return
	}
	s.stack = append(s.stack, v)
}

// pop ends the innermost step named name (and any opened inside it), or
// the innermost step when name is empty. An unknown name is ignored.
func (s *steps) pop(name []byte) {
	if s == nil || len(s.stack) == 0 {
		return
	}
	if len(name) == 0 {
		s.stack[len(s.stack)-1] = ""
		s.stack = s.stack[:len(s.stack)-1]
		return
	}
	name = trimName(name)
	for i := len(s.stack) - 1; i >= 0; i-- {
		if s.stack[i] == string(name) {
			clear(s.stack[i:])
			s.stack = s.stack[:i]
			return
		}
	}
}

// openGroup opens a GitHub group. A "Run X" group opens a step: its inputs are inside the
// group, its output follows the endgroup. Other groups nest inside the step.
func (s *steps) openGroup(name []byte) {
	if bytes.HasPrefix(name, []byte("Run ")) {
		s.set(name)
	} else {
		s.push(name)
	}
}

// endGroup closes the innermost GitHub group, but keeps a "Run X" step open: the step's
// output comes after its group.
func (s *steps) endGroup() {
	if s == nil || len(s.stack) == 0 {
		return
	}
	if len(s.stack) == 1 && strings.HasPrefix(s.stack[0], "Run ") {
		return
	}
	s.pop(nil)
}

// set replaces all open steps by name (Buildkite sections do not nest).
func (s *steps) set(name []byte) {
	if s == nil {
		return
	}
	if len(s.stack) == 1 && s.stack[0] == string(trimName(name)) {
		return
	}
	clear(s.stack)
	s.stack = append(s.stack[:0], stepName(name))
}

func stepName(name []byte) string {
	return string(trimName(name))
}

// trimName bounds a step name taken from the log and trims blanks.
func trimName(name []byte) []byte {
	name = bytes.TrimSpace(name)
	if len(name) > maxStepName {
		// Cut after the last blank within the limit, so that no word is kept in part (a
		// token cut in half is no longer recognisable as a secret); a name without one is
		// cut at a rune boundary.
		if i := bytes.LastIndexAny(name[:maxStepName+1], " \t"); i > 0 {
			return bytes.TrimSpace(name[:i])
		}
		i := maxStepName
		for i > 0 && !utf8.RuneStart(name[i]) {
			i--
		}
		name = name[:i]
	}
	return name
}

func trimCR(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' }

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c == '.' || c == '-'
}
