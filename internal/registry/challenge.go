// Package registry runs the OCI distribution authentication handshake step by step and says,
// from what the registry and its token server answered, whether a credential works and, if
// not, why and what to do. It also probes any HTTP endpoint for the 401/403 classes and pulls
// images with the same credential chain.
package registry

import (
	"fmt"
	"sort"
	"strings"
)

// Challenge is one authentication challenge of a WWW-Authenticate header (RFC 7235 §4.1).
type Challenge struct {
	Scheme  string            // as sent; compare with strings.EqualFold
	Params  map[string]string // parameter names lower-cased; first occurrence wins
	Token68 string            // the token68 form (`Basic abc==`), rare in practice
}

// Param returns the value of a parameter (name is case-insensitive).
func (c Challenge) Param(name string) string { return c.Params[strings.ToLower(name)] }

// Is reports whether the challenge uses scheme (case-insensitive).
func (c Challenge) Is(scheme string) bool { return strings.EqualFold(c.Scheme, scheme) }

// String renders the challenge in canonical form: parameters sorted, values quoted.
func (c Challenge) String() string {
	var b strings.Builder
	b.WriteString(c.Scheme)
	if c.Token68 != "" {
		b.WriteByte(' ')
		b.WriteString(c.Token68)
	}
	keys := make([]string, 0, len(c.Params))
	for k := range c.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// realm first, as servers send it.
	for i, k := range keys {
		if k == "realm" {
			copy(keys[1:i+1], keys[:i])
			keys[0] = "realm"
		}
	}
	for i, k := range keys {
		if i == 0 && c.Token68 == "" {
			b.WriteByte(' ')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteString(`="`)
		v := c.Params[k]
		for j := 0; j < len(v); j++ {
			if v[j] == '"' || v[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(v[j])
		}
		b.WriteByte('"')
	}
	return b.String()
}

// Limits that keep a hostile header from costing more than it is worth.
const (
	maxHeaderLen  = 16 << 10
	maxChallenges = 16
	maxParams     = 32
)

// ParseChallenges parses the values of one or more WWW-Authenticate headers. It is lenient the
// way clients must be (unquoted values with '/' or ':', stray commas, missing spaces) and never
// fails outright: it returns every challenge it could read, and a non-nil error describing the
// first thing that was wrong, for display.
func ParseChallenges(values ...string) ([]Challenge, error) {
	var (
		out      []Challenge
		firstErr error
	)
	for _, v := range values {
		if len(v) > maxHeaderLen {
			v = v[:maxHeaderLen]
			if firstErr == nil {
				firstErr = fmt.Errorf("header longer than %d bytes, truncated", maxHeaderLen)
			}
		}
		p := parser{s: v}
		cs, err := p.parse(maxChallenges - len(out))
		out = append(out, cs...)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if len(out) >= maxChallenges {
			break
		}
	}
	return out, firstErr
}

type parser struct {
	s   string
	i   int
	err error
}

func (p *parser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("at byte %d: %s", p.i, fmt.Sprintf(format, args...))
	}
}

func isTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isToken68Char(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", c) >= 0
}

func (p *parser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// skipSeparators skips whitespace and commas (empty list elements are allowed by RFC 7230 §7).
func (p *parser) skipSeparators() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == ',') {
		p.i++
	}
}

func (p *parser) token() string {
	start := p.i
	for p.i < len(p.s) && isTchar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// paramAhead reports whether a `name =` auth-param starts at the current position (and not a
// token68 such as `abc==`).
func (p *parser) paramAhead() bool {
	j := p.i
	for j < len(p.s) && isTchar(p.s[j]) {
		j++
	}
	if j == p.i {
		return false
	}
	for j < len(p.s) && (p.s[j] == ' ' || p.s[j] == '\t') {
		j++
	}
	if j >= len(p.s) || p.s[j] != '=' {
		return false
	}
	j++
	if j < len(p.s) && p.s[j] == '=' {
		return false // `abc==` is token68 padding
	}
	return true
}

// token68Ahead reports whether a token68 (followed by the end or a comma) starts here.
func (p *parser) token68Ahead() (string, bool) {
	j := p.i
	for j < len(p.s) && isToken68Char(p.s[j]) {
		j++
	}
	if j == p.i {
		return "", false
	}
	for j < len(p.s) && p.s[j] == '=' {
		j++
	}
	k := j
	for k < len(p.s) && (p.s[k] == ' ' || p.s[k] == '\t') {
		k++
	}
	if k < len(p.s) && p.s[k] != ',' {
		return "", false
	}
	return p.s[p.i:j], true
}

func (p *parser) quoted() string {
	p.i++ // opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '"':
			p.i++
			return b.String()
		case '\\':
			p.i++
			if p.i < len(p.s) {
				b.WriteByte(p.s[p.i])
				p.i++
			}
			continue
		}
		b.WriteByte(c)
		p.i++
	}
	p.fail("unterminated quoted string")
	return b.String()
}

// value reads a parameter value: a quoted string, or (leniently) everything up to the next
// comma or whitespace.
func (p *parser) value() string {
	if p.i < len(p.s) && p.s[p.i] == '"' {
		return p.quoted()
	}
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != ',' && p.s[p.i] != ' ' && p.s[p.i] != '\t' {
		p.i++
	}
	return p.s[start:p.i]
}

// skipElement skips to the next comma, past quoted strings, after something unreadable.
func (p *parser) skipElement() {
	for p.i < len(p.s) && p.s[p.i] != ',' {
		if p.s[p.i] == '"' {
			p.quoted()
			continue
		}
		p.i++
	}
}

func (p *parser) parse(limit int) ([]Challenge, error) {
	var out []Challenge
	for {
		p.skipSeparators()
		if p.i >= len(p.s) {
			break
		}
		if len(out) >= limit {
			p.fail("more than %d challenges, the rest ignored", maxChallenges)
			break
		}
		scheme := p.token()
		if scheme == "" {
			p.fail("expected an auth scheme, found %q", p.s[p.i:p.i+1])
			p.i++
			p.skipElement()
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '=' {
			p.fail("parameter %q before any auth scheme", scheme)
			p.i++
			p.skipSpace()
			p.value()
			continue
		}
		c := Challenge{Scheme: scheme, Params: map[string]string{}}
		if p.i < len(p.s) && p.s[p.i] != ' ' && p.s[p.i] != '\t' && p.s[p.i] != ',' {
			p.fail("unexpected %q after scheme %q", p.s[p.i:p.i+1], scheme)
			p.skipElement()
			out = append(out, c)
			continue
		}
		p.skipSpace()
		if !p.paramAhead() {
			if t, ok := p.token68Ahead(); ok {
				c.Token68 = t
				p.i += len(t)
			}
			out = append(out, c)
			continue
		}
		// auth-params, comma separated, until something that is not `name=`.
		for {
			p.skipSpace()
			if !p.paramAhead() {
				break
			}
			name := strings.ToLower(p.token())
			p.skipSpace()
			p.i++ // '='
			p.skipSpace()
			v := p.value()
			if _, dup := c.Params[name]; dup {
				p.fail("parameter %q repeated; the first is used", name)
			} else if len(c.Params) >= maxParams {
				p.fail("more than %d parameters in one challenge", maxParams)
			} else {
				c.Params[name] = v
			}
			p.skipSpace()
			if p.i >= len(p.s) {
				break
			}
			if p.s[p.i] != ',' {
				p.fail("expected ',' after parameter %q", name)
				if p.paramAhead() {
					continue // `a="1" b="2"`: read b too
				}
				p.skipElement()
			}
			// Commas (possibly several) separate the parameters and the challenges alike.
			for p.i < len(p.s) && (p.s[p.i] == ',' || p.s[p.i] == ' ' || p.s[p.i] == '\t') {
				p.i++
			}
		}
		out = append(out, c)
	}
	return out, p.err
}

// Scope is one parsed scope string (`repository:alice/app:pull,push`).
type Scope struct {
	Type    string
	Name    string
	Actions []string
}

// ParseScopes parses a space-separated scope parameter. The resource name may itself contain
// one ':' (host:port), so the actions are what follows the last ':'.
func ParseScopes(s string) []Scope {
	var out []Scope
	for _, f := range strings.Fields(s) {
		first := strings.IndexByte(f, ':')
		last := strings.LastIndexByte(f, ':')
		if first < 0 || last == first {
			out = append(out, Scope{Type: f})
			continue
		}
		typ := f[:first]
		if k := strings.IndexByte(typ, '('); k >= 0 {
			typ = typ[:k] // repository(plugin) is repository
		}
		var actions []string
		for _, a := range strings.Split(f[last+1:], ",") {
			if a != "" {
				actions = append(actions, a)
			}
		}
		out = append(out, Scope{Type: typ, Name: f[first+1 : last], Actions: actions})
	}
	return out
}

func (s Scope) String() string {
	if s.Name == "" && len(s.Actions) == 0 {
		return s.Type
	}
	return s.Type + ":" + s.Name + ":" + strings.Join(s.Actions, ",")
}
