package redact

import (
	"regexp"
	"strings"
)

// A rule masks one family of secrets. Rules run in table order: token formats that can be
// recognised by themselves first, then contextual rules (headers, URLs, files, command
// lines), and the generic key/value rule last, so that the most specific kind names the
// marker.
type rule struct {
	kind     string                       // main kind, for documentation and tests
	keywords []string                     // lower-case; at least one must occur for a match
	check    func(s string, end int) bool // optional confirmation of a keyword hit ending at end
	apply    func(s string) string        // returns s itself when nothing was masked
}

// Token formats: facts from gitleaks (config/gitleaks.toml) and trufflehog detectors.
var rules = []rule{
	tokenRule("github-token", []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"},
		`(?:gh[pousr]|github_pat)_[0-9A-Za-z_]{36,}`),
	tokenRule("gitlab-token", []string{"glpat-", "gldt-", "glrt-", "glcbt-", "glptt-", "glft-",
		"glimt-", "glagent-", "gloas-", "glsoat-", "glffct-", "gr1348941"},
		`(?:gl(?:pat|dt|rt|cbt|ptt|ft|imt|agent|oas|soat|ffct)-|GR1348941)[0-9A-Za-z_=-]{20,}(?:\.[0-9A-Za-z_=-]+)*`),
	tokenRule("npm-token", []string{"npm_"}, ci("npm_")+`[0-9A-Za-z]{36,}`),
	tokenRule("pypi-token", []string{"pypi-age"}, `pypi-AgE[0-9A-Za-z_-]{50,}`),
	tokenRule("aws-access-key-id", []string{"a3t", "akia", "asia", "abia", "acca"},
		`\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b`),
	tokenRule("slack-token", []string{"xox", "xapp-"},
		`(?:xoxe\.)?xox[abeoprs]-[0-9A-Za-z-]{10,}|xapp-[0-9]-[0-9A-Za-z-]{10,}`),
	groupRule("slack-webhook", []string{"hooks.slack.com/"},
		`hooks\.slack\.com/(?:services|workflows|triggers)/([0-9A-Za-z+/_-]{8,})`, 1, false),
	tokenRule("docker-hub-token", []string{"dckr_"}, `dckr_(?:pat|oat)_[0-9A-Za-z_-]{24,}`),
	tokenRule("rubygems-token", []string{"rubygems_"}, `rubygems_[0-9a-f]{48}`),
	tokenRule("nuget-api-key", []string{"oy2"}, `\boy2[0-9a-z]{43}\b`),
	tokenRule("gcp-api-key", []string{"aiza"}, `AIza[0-9A-Za-z_-]{35}`),
	tokenRule("digitalocean-token", []string{"dop_v1_", "doo_v1_", "dor_v1_"}, `do[opr]_v1_[0-9a-f]{64}`),
	tokenRule("pulumi-token", []string{"pul-"}, `pul-[0-9a-f]{40}`),
	tokenRule("heroku-token", []string{"hrku-"}, `HRKU-AA[0-9A-Za-z_-]{58}`),
	tokenRule("openshift-token", []string{"sha256~"}, `sha256~[0-9A-Za-z_-]{43}`),
	tokenRule("doppler-token", []string{"dp.pt."}, `dp\.pt\.[0-9A-Za-z]{43}`),
	tokenRule("terraform-token", []string{".atlasv1."}, `[0-9A-Za-z]{14}\.atlasv1\.[0-9A-Za-z_=-]{60,70}`),
	tokenRule("artifactory-token", []string{"akcp"}, `AKCp[0-9A-Za-z]{69}`),
	tokenRule("acr-password", []string{"+acr"}, `[0-9A-Za-z+/]{42}\+ACR[0-9A-Za-z]{6}`),
	tokenRule("vault-token", []string{"hvs.", "hvb.", "hvr."}, `\bhv[sbr]\.[0-9A-Za-z_-]{24,}`),
	// Microsoft Entra ID (Azure AD) client secrets: three characters, a digit, "Q~", 31-34 more.
	groupRule("azure-client-secret", []string{"q~"},
		`(?:^|[^0-9A-Za-z_~.])([0-9A-Za-z_~.]{3}[0-9]Q~[0-9A-Za-z_~.-]{31,34})`, 1, false),
	tokenRule("jwt", []string{"eyj", "ewogic", "ewoid"},
		`(?:eyJ|ewogIC|ewoid)[0-9A-Za-z_-]{10,}={0,2}\.(?:eyJ|ewo)[0-9A-Za-z_-]{10,}={0,2}\.[0-9A-Za-z_+/=-]*`),

	// Private keys (see pem.go) and JSON service account keys.
	{kind: "private-key", keywords: []string{"private key"}, apply: redactPEM},
	// A PEM private key encoded in base64 as a whole (kubeconfig client-key-data, Kubernetes
	// secret data, CI variables): "-----BEGIN" then "PRIVATE KEY" at one of its three
	// alignments. Certificates ("CERTIFICATE") are left alone.
	tokenRule("private-key", []string{"ls0tls1crudjti"},
		`LS0tLS1CRUdJTi[0-9A-Za-z+/]{0,24}?(?:UFJJVkFURSBLRV|BSSVZBVEUgS0V|QUklWQVRFIEtFW)[0-9A-Za-z+/]*={0,2}`),
	groupRule("private-key", []string{`"private_key"`},
		`"private_key"[ \t]*:[ \t]*"((?:[^"\\\n]|\\.)*)"`, 1, true),

	// HTTP Authorization headers, keeping the header name and scheme.
	{kind: "authorization", keywords: []string{"authorization"}, apply: redactAuthorization},
	// Credentials in URLs (scheme://user:pass@host, scheme://TOKEN@host).
	{kind: "url-password", keywords: []string{"://"}, check: urlHasUserinfo, apply: redactURLCredentials},
	// Signed URLs and Azure connection strings.
	groupRule("sas-signature", []string{"sig="}, `[?&]sig=([^&\s"'#<>]+)`, 1, true),
	groupRule("url-signature", []string{"signature="},
		`[?&](?:[Xx]-[Aa]mz-|[Xx]-[Gg]oog-)?[Ss]ignature=([^&\s"'#<>]+)`, 1, true),
	groupRule("azure-key", []string{"accountkey=", "sharedaccesskey=", "sharedaccesssignature="},
		`(?:`+ci("AccountKey")+`|`+ci("SharedAccessKey")+`|`+ci("SharedAccessSignature")+`)=([^;\s"']+)`, 1, true),

	// AWS credentials files, environment and STS JSON output.
	{kind: "aws-secret-access-key", keywords: []string{"secretaccess", "secret_access",
		"secret-access", "sessiontoken", "session_token", "session-token"}, apply: redactAWS},

	// Docker config.json and .npmrc.
	groupRule("docker-auth", []string{`"auth"`}, `"auth"[ \t]*:[ \t]*"([^"\n]*)"`, 1, true),
	groupRule("docker-identity-token", []string{`"identitytoken"`},
		`"identitytoken"[ \t]*:[ \t]*"([^"\n]*)"`, 1, true),
	{kind: "npm-token", keywords: []string{"_authtoken", "_auth", "_password"}, check: assignedAt, apply: redactNpmrc},

	// Command lines: login -p, curl -u user:pass, mysql -pSECRET, .netrc.
	{kind: "password", keywords: []string{"login", "sshpass"}, apply: redactLoginPassword},
	{kind: "password", keywords: []string{"curl"}, apply: redactCurlUser},
	{kind: "password", keywords: []string{"mysql"}, apply: redactMySQLPassword},
	groupRule("netrc-password", []string{"machine"},
		`\bmachine[ \t]+\S+[ \t]+(?:login[ \t]+\S+[ \t]+)?password[ \t]+(\S+)`, 1, true),
	// A .netrc written over several lines: "  password VALUE" alone on its line.
	{kind: "netrc-password", keywords: []string{"password"}, apply: redactNetrcLine},

	// KEY=value, KEY: value, "key": "value", --flag value for secret-looking keys.
	{kind: "password", keywords: keyValueKeywords(), apply: redactKeyValues},
}

// tokenRule masks every whole match of pattern.
func tokenRule(kind string, keywords []string, pattern string) rule {
	return groupRule(kind, keywords, pattern, 0, false)
}

// groupRule masks submatch g of every match of pattern. With values set, the submatch is a
// value after a key and is left alone when it is obviously not a secret.
func groupRule(kind string, keywords []string, pattern string, g int, values bool) rule {
	re := regexp.MustCompile(pattern)
	return rule{kind: kind, keywords: keywords, apply: func(s string) string {
		return replaceSubmatch(s, re, g, func(v string) string {
			if isMarkers(v) || values && isPlaceholder(v) {
				return ""
			}
			return kind
		})
	}}
}

// replaceSubmatch replaces submatch g of every match of re in s with the marker of the
// kind returned by kindOf; an empty kind leaves the match alone.
func replaceSubmatch(s string, re *regexp.Regexp, g int, kindOf func(v string) string) string {
	locs := re.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		return s
	}
	var e edits
	for _, loc := range locs {
		a, b := loc[2*g], loc[2*g+1]
		if a < 0 || a == b {
			continue
		}
		if kind := kindOf(s[a:b]); kind != "" {
			e.add(a, b, kind)
		}
	}
	return e.apply(s)
}

// edits collects non-overlapping replacements in increasing order.
type edits struct {
	list []edit
}

type edit struct {
	a, b int
	kind string
}

func (e *edits) add(a, b int, kind string) {
	if n := len(e.list); n > 0 && a < e.list[n-1].b {
		return
	}
	e.list = append(e.list, edit{a, b, kind})
}

func (e *edits) apply(s string) string {
	if len(e.list) == 0 {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s) + 16*len(e.list))
	last := 0
	for _, x := range e.list {
		sb.WriteString(s[last:x.a])
		sb.WriteString(marker(x.kind))
		last = x.b
	}
	sb.WriteString(s[last:])
	return sb.String()
}

// ci returns a regular expression matching the ASCII string w in any letter case. Unlike
// (?i) it does not fold non-ASCII letters (such as the Kelvin sign) onto ASCII ones, so the
// expressions agree with the ASCII prefilter.
func ci(w string) string {
	var sb strings.Builder
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= 'a' && c <= 'z':
			sb.WriteString("[" + string(c-32) + string(c) + "]")
		case c >= 'A' && c <= 'Z':
			sb.WriteString("[" + string(c) + string(c+32) + "]")
		default:
			sb.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return sb.String()
}

// ---- AWS -------------------------------------------------------------------------------

var awsRe = regexp.MustCompile(`(` + ci("aws") + `[_-]?)?(` + ci("secret") + `[_-]?` + ci("access") + `[_-]?` +
	ci("key") + `|` + ci("session") + `[_-]?` + ci("token") + `)["']?[ \t]*[:=][ \t]*["']?([0-9A-Za-z/+=]{16,})`)

func redactAWS(s string) string {
	locs := awsRe.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		return s
	}
	var e edits
	for _, loc := range locs {
		kind := "aws-secret-access-key"
		if hasPrefixFold(s[loc[4]:loc[5]], "session") {
			kind = "aws-session-token"
		}
		e.add(loc[6], loc[7], kind)
	}
	return e.apply(s)
}

// ---- .npmrc ------------------------------------------------------------------------------

var npmrcRe = regexp.MustCompile("(?:^|[^0-9A-Za-z_])(_authToken|_auth|_password)[ \t]*=[ \t]*[\"']?([^\\s\"'`]+)")

func redactNpmrc(s string) string {
	locs := npmrcRe.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		return s
	}
	var e edits
	for _, loc := range locs {
		v := s[loc[4]:loc[5]]
		if isMarkers(v) || isPlaceholder(v) || !hasAlnum(v) {
			continue
		}
		kind := "npm-token"
		switch s[loc[2]:loc[3]] {
		case "_auth":
			kind = "npm-auth"
		case "_password":
			kind = "npm-password"
		}
		e.add(loc[4], loc[5], kind)
	}
	return e.apply(s)
}

// ---- Authorization header ---------------------------------------------------------------

// The quotes may be escaped, as in JSON inside a JSON string: \"Authorization\":\"Bearer x\".
var authHeaderRe = regexp.MustCompile(`\b(?:` + ci("proxy-") + `)?` + ci("authorization") + `(?:\\?["'])?[ \t]*[:=][ \t]*(?:\\?["'])?`)

// schemes maps an HTTP authentication scheme (lower case) to the kind of its credential.
var schemes = map[string]string{
	"basic": "basic-auth", "bearer": "bearer-token", "token": "token", "negotiate": "authorization",
	"ntlm": "authorization", "apikey": "api-key", "api-key": "api-key", "key": "api-key",
	"sso-key": "api-key", "jwt": "jwt", "otp": "authorization", "oauth": "bearer-token",
	"digest": "", "aws4-hmac-sha256": "", "hoba": "", "mutual": "", "vapid": "",
}

func redactAuthorization(s string) string {
	locs := authHeaderRe.FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	var e edits
	for _, loc := range locs {
		p := loc[1]
		w1e := runEnd(s, p, isCredByte)
		if w1e == p {
			continue
		}
		w1 := s[p:w1e]
		kind, isScheme := schemes[strings.ToLower(w1)]
		if !isScheme {
			// No scheme: the value itself is the credential.
			if !isPlaceholder(w1) && !isMarkers(w1) && (looksSecret(w1) || len(w1) >= 16) {
				e.add(p, w1e, "authorization")
			}
			continue
		}
		q := w1e
		for q < len(s) && (s[q] == ' ' || s[q] == '\t') {
			q++
		}
		if q == w1e || q == len(s) {
			continue
		}
		if kind == "" {
			// Parameterised schemes (Digest, AWS4-HMAC-SHA256): mask the rest of the line.
			end := lineEnd(s, q)
			for end > q && (s[end-1] == ' ' || s[end-1] == '\t' || s[end-1] == '\r') {
				end--
			}
			if v := s[q:end]; v != "" && !isMarkers(v) {
				e.add(q, end, "authorization")
			}
			continue
		}
		ve := runEnd(s, q, isCredByte)
		v := s[q:ve]
		if v == "" || isMarkers(v) || isPlaceholder(v) {
			continue
		}
		e.add(q, ve, kind)
	}
	return e.apply(s)
}

// isCredByte reports whether c can be part of a header credential (anything up to
// white space, a quote, a backslash or a comma).
func isCredByte(c byte) bool {
	switch c {
	case '"', '\'', '`', '\\', ',', 0x7f:
		return false
	}
	return c > ' '
}

func runEnd(s string, i int, ok func(byte) bool) int {
	for i < len(s) && ok(s[i]) {
		i++
	}
	return i
}

func lineEnd(s string, i int) int {
	if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(s)
}

func lineStart(s string, i int) int {
	return strings.LastIndexByte(s[:i], '\n') + 1
}

// ---- URLs with credentials --------------------------------------------------------------

// authorityEnd returns the end of the URL authority that starts at i.
func authorityEnd(s string, i int) int {
	for i < len(s) {
		switch c := s[i]; c {
		case '/', '?', '#', '"', '\'', '`', '<', '>', '\\', '(', ')', '[', ']', '{', '}', '|', 0x7f:
			return i
		default:
			if c <= ' ' {
				return i
			}
		}
		i++
	}
	return i
}

// urlHasUserinfo confirms a "://" hit: the authority that follows contains '@'.
func urlHasUserinfo(s string, a int) bool {
	e := authorityEnd(s, a)
	return strings.IndexByte(s[a:e], '@') > 0
}

func redactURLCredentials(s string) string {
	var e edits
	for from := 0; ; {
		k := strings.Index(s[from:], "://")
		if k < 0 {
			break
		}
		a := from + k + 3
		end := authorityEnd(s, a)
		from = a
		// Markers contain ']' which ends the authority; let a marker be part of userinfo.
		for end < len(s) && strings.HasPrefix(s[end:], markerPrefix) {
			close := strings.IndexByte(s[end:], ']')
			end = authorityEnd(s, end+close+1)
		}
		auth := s[a:end]
		at := strings.LastIndexByte(auth, '@')
		if at <= 0 {
			continue
		}
		ui := auth[:at]
		if isMarkers(ui) {
			continue
		}
		if c := colonOutsideMarkers(ui); c >= 0 {
			pass := ui[c+1:]
			if pass != "" && !isMarkers(pass) && !isPlaceholder(pass) {
				e.add(a+c+1, a+at, "url-password")
			}
		} else if !isMarkers(ui) && !isPlaceholder(ui) && looksToken(ui) {
			e.add(a, a+at, "url-token")
		}
		from = end
	}
	return e.apply(s)
}

// looksToken reports whether a lone URL userinfo is a token rather than a user name
// such as "git" or "oauth2".
func looksToken(v string) bool {
	if len(v) >= 20 {
		return true
	}
	var letters, digits int
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letters++
		}
	}
	return len(v) >= 12 && letters > 0 && digits > 0
}

// ---- command lines ------------------------------------------------------------------------

// segmentEnd returns the end of the shell command that continues at i: the next
// newline, ';', '|' or '&'.
func segmentEnd(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case '\n', ';', '|', '&':
			return i
		}
		i++
	}
	return i
}

// wordAt reports whether the lower-case word w occurs at i as a whole word.
func wordAt(s string, i int, w string) bool {
	if !hasPrefixFold(s[i:], w) {
		return false
	}
	if i > 0 && isWordByte(s[i-1]) {
		return false
	}
	j := i + len(w)
	return j == len(s) || !isWordByte(s[j])
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// quotedOrRun parses a command-line argument at i: a quoted string (returning the span
// inside the quotes) or a run of non-space bytes.
func quotedOrRun(s string, i, limit int) (a, b int) {
	if i >= limit {
		return i, i
	}
	if q := s[i]; q == '"' || q == '\'' {
		j := strings.IndexByte(s[i+1:limit], q)
		if j < 0 {
			return i + 1, trimRightSpace(s, i+1, limit)
		}
		return i + 1, i + 1 + j
	}
	j := i
	for j < limit && s[j] > ' ' && s[j] != 0x7f && s[j] != '"' && s[j] != '\'' {
		j++
	}
	return i, j
}

func trimRightSpace(s string, a, b int) int {
	for b > a && (s[b-1] == ' ' || s[b-1] == '\t' || s[b-1] == '\r') {
		b--
	}
	return b
}

// redactLoginPassword masks "-p SECRET" and "-p=SECRET" after a login command
// (docker/podman/helm registry/oras/... login) or sshpass.
func redactLoginPassword(s string) string {
	var e edits
	for i := 0; i < len(s); i++ {
		if !(wordAt(s, i, "login") || wordAt(s, i, "sshpass")) {
			continue
		}
		end := segmentEnd(s, i)
		for j := i; j+2 < end; j++ {
			if s[j] != '-' || s[j+1] != 'p' || (j > 0 && s[j-1] != ' ' && s[j-1] != '\t') {
				continue
			}
			k := j + 2
			switch {
			case s[k] == '=':
				k++
			case s[k] == ' ' || s[k] == '\t':
				for k < end && (s[k] == ' ' || s[k] == '\t') {
					k++
				}
			default:
				continue
			}
			a, b := quotedOrRun(s, k, end)
			if v := s[a:b]; v != "" && v[0] != '-' && !isMarkers(v) && !isPlaceholder(v) {
				e.add(a, b, "password")
			}
			j = b
		}
		i = end
	}
	return e.apply(s)
}

// redactCurlUser masks the password of "curl -u user:pass" / "--user user:pass".
func redactCurlUser(s string) string {
	var e edits
	for i := 0; i < len(s); i++ {
		if !wordAt(s, i, "curl") {
			continue
		}
		end := segmentEnd(s, i)
		for j := i + 4; j < end; j++ {
			if s[j] != '-' || (s[j-1] != ' ' && s[j-1] != '\t') {
				continue
			}
			k := j
			switch {
			case strings.HasPrefix(s[j:end], "--user"):
				k += 6
			case strings.HasPrefix(s[j:end], "-u"):
				k += 2
			default:
				continue
			}
			if k < end && s[k] == '=' {
				k++
			}
			for k < end && (s[k] == ' ' || s[k] == '\t') {
				k++
			}
			a, b := quotedOrRun(s, k, end)
			c := strings.IndexByte(s[a:b], ':')
			if c < 0 {
				continue
			}
			if v := s[a+c+1 : b]; v != "" && !isMarkers(v) && !isPlaceholder(v) {
				e.add(a+c+1, b, "password")
			}
			j = b
		}
		i = end
	}
	return e.apply(s)
}

// redactMySQLPassword masks the attached form "mysql -pSECRET" (a separate word after -p
// is the database name, not a password).
func redactMySQLPassword(s string) string {
	var e edits
	for i := 0; i+5 <= len(s); i++ {
		if !hasPrefixFold(s[i:], "mysql") || (i > 0 && isWordByte(s[i-1])) {
			continue
		}
		end := segmentEnd(s, i)
		for j := i + 5; j+2 < end; j++ {
			if s[j] != '-' || s[j+1] != 'p' || (s[j-1] != ' ' && s[j-1] != '\t') {
				continue
			}
			k := j + 2
			if c := s[k]; c == ' ' || c == '\t' || c == '\r' {
				continue
			}
			a, b := quotedOrRun(s, k, end)
			if v := s[a:b]; v != "" && !isMarkers(v) && !isPlaceholder(v) {
				e.add(a, b, "password")
			}
			j = b
		}
		i = end
	}
	return e.apply(s)
}

// colonOutsideMarkers returns the index of the first ':' of v that is not inside a marker.
func colonOutsideMarkers(v string) int {
	for i := 0; i < len(v); i++ {
		if strings.HasPrefix(v[i:], markerPrefix) {
			if j := strings.IndexByte(v[i:], ']'); j >= 0 {
				i += j
				continue
			}
		}
		if v[i] == ':' {
			return i
		}
	}
	return -1
}

// assignedAt confirms a keyword hit that is followed by optional blanks and '='.
func assignedAt(s string, end int) bool {
	for end < len(s) && (s[end] == ' ' || s[end] == '\t') {
		end++
	}
	return end < len(s) && s[end] == '='
}

// ---- .netrc over several lines -------------------------------------------------------------

var netrcLineRe = regexp.MustCompile(`\bpassword[ \t]+([^\s"']+)[ \t\r]*(?:\n|$)`)

// redactNetrcLine masks the value of a line that is only "password VALUE" (after
// indentation or a timestamp), as in a .netrc file written one token per line. A value
// made only of letters ("password incorrect", "Password expired") is a sentence, not a
// password.
func redactNetrcLine(s string) string {
	locs := netrcLineRe.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		return s
	}
	var e edits
	for _, loc := range locs {
		v := s[loc[2]:loc[3]]
		if !atLineStart(s, loc[0]) || isMarkers(v) || isPlaceholder(v) || stopWords[strings.ToLower(v)] {
			continue
		}
		for i := 0; i < len(v); i++ {
			if !isLetter(v[i]) {
				e.add(loc[2], loc[3], "netrc-password")
				break
			}
		}
	}
	return e.apply(s)
}
