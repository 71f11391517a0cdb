package redact

import (
	"regexp"
	"strings"
)

// The generic key/value rule: PASSWORD=x, DB_PASSWORD: x, "client_secret": "x",
// --password x, --token=x, ?access_token=x, password = x (ini files), :password => "x".
//
// A key is a run of [A-Za-z0-9_.-]. It is secret-looking when it contains one of the words
// below ending at a component boundary (end of key, '_', '-', '.', or a camelCase hump),
// and its last component does not say that the value is something else (TOKEN_URL,
// password_file, --password-stdin, secret_name, token_type).

type keyWord struct {
	word   string // lower case
	kind   string
	plural bool // also accept word+"s"
	last   bool // only as the last component (DB_PASS, but not process_auth_result)
}

var keyWords = []keyWord{
	{"password", "password", true, false},
	{"passwd", "password", false, false},
	{"passphrase", "password", false, false},
	{"_pass", "password", false, true},
	{"-pass", "password", false, true},
	{".pass", "password", false, true},
	{"_pwd", "password", false, true},
	{"-pwd", "password", false, true},
	{"secret", "secret", true, false},
	{"token", "token", false, false},
	{"apikey", "api-key", true, false},
	{"api_key", "api-key", true, false},
	{"api-key", "api-key", true, false},
	{"api.key", "api-key", true, false},
	{"privatekey", "private-key", false, false},
	{"private_key", "private-key", false, false},
	{"private-key", "private-key", false, false},
	// only last: "docker-credential-desktop" names a helper program, not a secret
	{"credential", "credentials", true, true},
	{"_auth", "auth", false, true},
	{"-auth", "auth", false, true},
}

func keyValueKeywords() []string {
	var kws []string
	for _, k := range keyWords {
		kws = append(kws, k.word)
	}
	return kws
}

// notSecretSuffix lists last key components that describe something other than the
// secret itself.
var notSecretSuffix = map[string]bool{
	"file": true, "files": true, "path": true, "paths": true, "dir": true, "directory": true,
	"url": true, "urls": true, "uri": true, "uris": true, "endpoint": true, "host": true,
	"type": true, "name": true, "names": true, "kind": true, "ttl": true, "length": true,
	"len": true, "count": true, "size": true, "expiry": true, "expires": true, "expire": true,
	"expired": true, "expiration": true, "env": true, "var": true, "mode": true,
	"helper": true, "stdin": true, "prefix": true, "suffix": true, "header": true,
	"format": true, "region": true, "scope": true, "scopes": true, "version": true,
	"source": true, "provider": true, "enabled": true, "required": true, "set": true,
	"present": true, "used": true, "policy": true, "method": true, "limit": true,
	"store": true, "command": true, "cmd": true, "permissions": true, "timeout": true,
	"interval": true, "retries": true, "attempts": true, "delay": true, "min": true, "max": true,
	"result": true, "status": true, "error": true, "failure": true, "success": true,
	"test": true, "tests": true, "spec": true, "mock": true, "fake": true, "dummy": true,
	// file extensions: PrivateKeyFile.scala:47, token.go:12
	"go": true, "py": true, "js": true, "ts": true, "rb": true, "java": true, "scala": true,
	"kt": true, "cs": true, "php": true, "rs": true, "c": true, "h": true, "cpp": true,
	"swift": true, "json": true, "yml": true, "yaml": true, "toml": true, "xml": true,
	"txt": true, "md": true, "html": true, "pem": true, "key": true, "crt": true, "pub": true,
	"sh": true, "erl": true, "ex": true, "exs": true, "class": true, "jar": true, "lock": true,
}

// hostSuffix lists last labels that make a dotted key a host name.
var hostSuffix = map[string]bool{
	"com": true, "org": true, "net": true, "io": true, "dev": true, "example": true,
	"internal": true, "local": true, "cloud": true, "co": true, "gov": true, "edu": true,
}

// notSecretValues are values of a secret-looking key that are settings, not secrets:
// "id-token: write" in a workflow's permissions.
var notSecretValues = map[string]bool{
	"read": true, "write": true, "read-all": true, "write-all": true,
}

// codeCall matches a value that is a function or method call in source code:
// password = providers.gradleProperty("repoPassword"), token: os.Getenv("TOKEN").
var codeCall = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\($`)

// groupedNumber matches a number written with thousands separators: "GITHUB_TOKEN: 1,000
// requests per hour".
var groupedNumber = regexp.MustCompile(`^[0-9]{1,3}(?:,[0-9]{3})+$`)

// envVarName reports an UPPER_SNAKE_CASE name with an underscore: the name of the
// variable that holds the secret (server-password: MAVEN_PASSWORD), not the secret.
func envVarName(v string) bool {
	if strings.IndexByte(v, '_') < 0 {
		return false
	}
	letters := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= 'A' && c <= 'Z':
			letters = true
		case c >= '0' && c <= '9' || c == '_':
		default:
			return false
		}
	}
	return letters && v[0] != '_' && !(v[0] >= '0' && v[0] <= '9')
}

// stopWords are words that follow a --password style flag in prose ("Using --password via
// the CLI is insecure"), never a password.
var stopWords = map[string]bool{
	"via": true, "is": true, "are": true, "was": true, "were": true, "the": true, "a": true,
	"an": true, "and": true, "or": true, "not": true, "to": true, "for": true, "with": true,
	"without": true, "from": true, "in": true, "on": true, "of": true, "flag": true,
	"option": true, "argument": true, "parameter": true, "instead": true, "will": true,
	"must": true, "should": true, "can": true, "cannot": true, "be": true, "has": true,
	"have": true, "if": true, "when": true, "only": true, "requires": true, "value": true,
}

// secretKey reports whether key names a secret, and its kind.
func secretKey(key string) (string, bool) {
	lk := strings.ToLower(key)
	// A host name is not a key: token.actions.githubusercontent.com:sub in a trust policy.
	if i := strings.LastIndexByte(lk, '.'); i >= 0 && hostSuffix[lk[i+1:]] {
		return "", false
	}
	bestEnd, kind := -1, ""
	for _, kw := range keyWords {
		for from := 0; ; {
			p := strings.Index(lk[from:], kw.word)
			if p < 0 {
				break
			}
			p += from
			from = p + 1
			e := p + len(kw.word)
			if kw.plural && e < len(lk) && lk[e] == 's' && keyBoundary(key, e+1) {
				e++
			} else if !keyBoundary(key, e) {
				continue
			}
			if kw.last && e != len(lk) {
				continue
			}
			if e > bestEnd {
				bestEnd, kind = e, kw.kind
			}
		}
	}
	if bestEnd < 0 {
		return "", false
	}
	// Any component after the secret word can say the value is something else:
	// TOKEN_URL_PROD, PrivateKeyFile.scala, password_min_length.
	for rest := key; len(rest) > bestEnd; {
		c := lastComponent(rest)
		if notSecretSuffix[strings.ToLower(c)] {
			return "", false
		}
		rest = strings.TrimRight(rest[:len(rest)-len(c)], "_-.")
	}
	return kind, true
}

// keyBoundary reports whether a key component can end just before e.
func keyBoundary(key string, e int) bool {
	if e >= len(key) {
		return true
	}
	switch c := key[e]; {
	case c == '_' || c == '-' || c == '.':
		return true
	case c >= 'A' && c <= 'Z':
		p := key[e-1]
		return p >= 'a' && p <= 'z'
	}
	return false
}

// lastComponent returns the last _/-/./camelCase component of key.
func lastComponent(key string) string {
	i := len(key)
	for i > 0 {
		c := key[i-1]
		if c == '_' || c == '-' || c == '.' {
			break
		}
		i--
		if c >= 'A' && c <= 'Z' && i > 0 {
			if p := key[i-1]; p >= 'a' && p <= 'z' {
				break
			}
		}
	}
	return key[i:]
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

// plainWord reports a key that reads like a word in a sentence ("Token", "password"),
// as opposed to an identifier (GITHUB_TOKEN, client_secret, x-api-key, PASSWORD).
func plainWord(key string) bool {
	upper := 0
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !isLetter(c) {
			return false
		}
		if c >= 'A' && c <= 'Z' {
			upper++
		}
	}
	return upper < 2 || upper < len(key)
}

// atLineStart reports whether only indentation, list markers or a timestamp precede i on
// its line (a YAML or env dump line "password: x").
func atLineStart(s string, i int) bool {
	// Only a short prefix can qualify; looking further back would make long lines quadratic.
	from := i - 64
	if from < 0 {
		from = 0
	}
	ls := strings.LastIndexByte(s[from:i], '\n') + 1 + from
	if ls == from && from > 0 {
		return false
	}
	p := strings.TrimLeft(s[ls:i], " \t-+*#>|")
	if p == "" {
		return true
	}
	// An ISO-8601 timestamp prefix, as CI runners write: 2024-05-01T12:00:00.1234567Z
	if len(p) >= 20 && p[4] == '-' && p[7] == '-' && (p[10] == 'T' || p[10] == ' ') && p[13] == ':' {
		sp := strings.IndexAny(p[11:], " \t")
		if sp >= 0 {
			return strings.TrimLeft(p[11+sp:], " \t-+*#>|") == ""
		}
	}
	return false
}

// redactKeyValues masks the values of secret-looking keys.
func redactKeyValues(s string) string {
	var e edits
	i := 0
	for i < len(s) {
		if !isKeyByte(s[i]) {
			i++
			continue
		}
		ks := i
		for i < len(s) && isKeyByte(s[i]) {
			i++
		}
		ke := i
		if !maybeAssigned(s, ks, ke) {
			continue
		}
		kind, ok := secretKey(s[ks:ke])
		if !ok {
			continue
		}
		if ks > 0 {
			// $TOKEN, ${TOKEN:-x} and %TOKEN% are references, not assignments.
			if c := s[ks-1]; c == '$' || c == '{' || c == '%' {
				continue
			}
			// scheme://x-access-token:TOKEN@host belongs to the URL rule.
			if ks >= 3 && s[ks-3:ks] == "://" {
				continue
			}
		}
		a, b, ok := secretValue(s, ks, ke)
		if !ok {
			continue
		}
		e.add(a, b, kind)
		if b > i {
			i = b
		}
	}
	return e.apply(s)
}

// maybeAssigned is a cheap test that the key s[ks:ke] is followed by a separator
// (optionally after a closing quote and blanks), or is a flag followed by a blank.
func maybeAssigned(s string, ks, ke int) bool {
	p := ke
	if p < len(s) && (s[p] == '"' || s[p] == '\'') {
		p++
	} else if p+1 < len(s) && s[p] == '\\' && s[p+1] == '"' {
		p += 2
	}
	for p < len(s) && (s[p] == ' ' || s[p] == '\t') {
		p++
	}
	if p < len(s) && (s[p] == '=' || s[p] == ':') {
		return true
	}
	return s[ks] == '-' && p > ke && p < len(s)
}

// secretValue finds the value that follows the key s[ks:ke] and decides whether to mask
// it. It returns the span to mask.
func secretValue(s string, ks, ke int) (int, int, bool) {
	key := s[ks:ke]
	p := ke
	// Quoted key: "password": ..., 'token' => ..., \"secret\": ...
	quotedKey := false
	if ks > 0 && (s[ks-1] == '"' || s[ks-1] == '\'') && p < len(s) && s[p] == s[ks-1] {
		p++
		quotedKey = true
	} else if ks > 1 && s[ks-2] == '\\' && s[ks-1] == '"' && strings.HasPrefix(s[p:], `\"`) {
		p += 2
		quotedKey = true
	}
	sp := p
	for p < len(s) && (s[p] == ' ' || s[p] == '\t') {
		p++
	}
	spaced := p > sp
	if p >= len(s) {
		return 0, 0, false
	}
	var sep byte
	switch s[p] {
	case '=':
		if p+1 < len(s) && (s[p+1] == '=' || s[p+1] == '~') {
			return 0, 0, false
		}
		if p+1 < len(s) && s[p+1] == '>' {
			p++
		}
		sep = '='
		p++
	case ':':
		if p+1 < len(s) && (s[p+1] == ':' || s[p+1] == '=' || s[p+1] == '/') {
			return 0, 0, false
		}
		sep = ':'
		p++
	default:
		if !spaced || key[0] != '-' || strings.HasPrefix(key, "-.") || key == "-" || key == "--" {
			return 0, 0, false
		}
		sep = ' ' // --password VALUE
	}
	for p < len(s) && (s[p] == ' ' || s[p] == '\t') {
		p++
	}
	a, b := valueSpan(s, p)
	if a >= b {
		return 0, 0, false
	}
	v := s[a:b]
	if v[0] == '=' || isPlaceholder(v) || !hasAlnum(v) || notSecretValues[strings.ToLower(v)] ||
		codeCall.MatchString(v) || envVarName(v) || groupedNumber.MatchString(v) {
		return 0, 0, false
	}
	switch sep {
	case ' ':
		if v[0] == '-' || stopWords[strings.ToLower(v)] {
			return 0, 0, false
		}
	case ':':
		if !quotedKey && plainWord(key) && !atLineStart(s, ks) && !looksSecret(v) {
			return 0, 0, false
		}
	}
	return a, b, true
}

// valueSpan returns the value that starts at p: the inside of a quoted string, or a run
// up to white space, a quote, a backtick or '&' (URL query), without trailing
// punctuation. Markers inside the run are part of it.
func valueSpan(s string, p int) (int, int) {
	if p >= len(s) {
		return p, p
	}
	if s[p] == '"' || s[p] == '\'' || strings.HasPrefix(s[p:], `\"`) {
		q := s[p : p+1]
		if s[p] == '\\' {
			q = `\"`
		}
		a := p + len(q)
		end := lineEnd(s, a)
		for j := a; j < end; j++ {
			if strings.HasPrefix(s[j:], q) && (q != `"` || s[j-1] != '\\' || j == a) {
				return a, j
			}
		}
		return a, trimRightSpace(s, a, end)
	}
	b := p
	for b < len(s) {
		c := s[b]
		if c <= ' ' || c == 0x7f || c == '"' || c == '\'' || c == '`' || c == '&' {
			break
		}
		if c == '\\' && b+1 < len(s) && s[b+1] == '"' {
			break
		}
		b++
	}
	// Trailing punctuation is not part of the value, unless it closes a bracket opened in
	// the value (a marker, [secure], <token>, ${VAR}).
	for b > p {
		c := s[b-1]
		open := byte(0)
		switch c {
		case ')':
			open = '('
		case '}':
			open = '{'
		case ']':
			open = '['
		case '>':
			open = '<'
		case ',', ';':
			b--
			continue
		default:
			return p, b
		}
		if strings.IndexByte(s[p:b], open) >= 0 {
			break
		}
		b--
	}
	return p, b
}

func hasAlnum(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; isLetter(c) || c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}
