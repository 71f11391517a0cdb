package cred

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
)

// TokenKind names what a secret looks like by its format. It never holds the secret.
type TokenKind struct {
	ID   string // stable identifier, e.g. "github-classic-pat"; "" when unknown
	Name string // human name, e.g. "GitHub classic personal access token"
	// Malformed is set when the value starts like this kind but does not have its shape
	// (truncated on paste, extra characters): Note says what is off.
	Malformed bool
	Note      string
}

type tokenRule struct {
	id, name string
	prefix   string         // cheap prefix test
	full     *regexp.Regexp // the whole value must match to be well formed; nil: prefix is enough
	strict   bool           // a prefix match that fails full is reported as malformed
	shape    string         // what full expects, for the note
}

// Token formats from the public gitleaks and trufflehog rule sets. Order matters: longer and
// more specific prefixes first.
var tokenRules = []tokenRule{
	{id: "github-fine-grained-pat", name: "GitHub fine-grained personal access token", prefix: "github_pat_", full: regexp.MustCompile(`^github_pat_[A-Za-z0-9_]{36,255}$`)},
	{id: "github-classic-pat", name: "GitHub classic personal access token", prefix: "ghp_", full: regexp.MustCompile(`^ghp_[0-9A-Za-z]{36}$`), strict: true, shape: "ghp_ + 36 letters/digits (40 chars)"},
	{id: "github-oauth", name: "GitHub OAuth token", prefix: "gho_", full: regexp.MustCompile(`^gho_[0-9A-Za-z]{36}$`), strict: true, shape: "gho_ + 36 letters/digits (40 chars)"},
	{id: "github-app-user", name: "GitHub App user-to-server token", prefix: "ghu_", full: regexp.MustCompile(`^ghu_[0-9A-Za-z]{36}$`), strict: true, shape: "ghu_ + 36 letters/digits (40 chars)"},
	{id: "github-app-installation", name: "GitHub App installation token (e.g. GITHUB_TOKEN)", prefix: "ghs_", full: regexp.MustCompile(`^ghs_[0-9A-Za-z]{36,}$`), strict: true, shape: "ghs_ + at least 36 letters/digits"},
	{id: "github-refresh", name: "GitHub refresh token", prefix: "ghr_", full: regexp.MustCompile(`^ghr_[0-9A-Za-z]{36,}$`), strict: true, shape: "ghr_ + at least 36 letters/digits"},
	{id: "gitlab-pat", name: "GitLab personal access token", prefix: "glpat-", full: regexp.MustCompile(`^glpat-[0-9A-Za-z_.=-]{20,300}$`), strict: true, shape: "glpat- + at least 20 characters"},
	{id: "gitlab-deploy-token", name: "GitLab deploy token", prefix: "gldt-"},
	{id: "gitlab-ci-job-token", name: "GitLab CI job token", prefix: "glcbt-"},
	{id: "gitlab-runner-token", name: "GitLab runner authentication token", prefix: "glrt-"},
	{id: "gitlab-pipeline-trigger", name: "GitLab pipeline trigger token", prefix: "glptt-"},
	{id: "gitlab-feed-token", name: "GitLab feed token", prefix: "glft-"},
	{id: "gitlab-oauth-secret", name: "GitLab OAuth application secret", prefix: "gloas-"},
	{id: "npm", name: "npm access token", prefix: "npm_", full: regexp.MustCompile(`^npm_[A-Za-z0-9]{36}$`), strict: true, shape: "npm_ + 36 letters/digits (40 chars)"},
	{id: "pypi", name: "PyPI API token", prefix: "pypi-AgEIcHlwaS5vcmc", full: regexp.MustCompile(`^pypi-AgEIcHlwaS5vcmc[\w-]{50,1000}$`), strict: true, shape: "pypi-AgEIcHlwaS5vcmc + at least 50 characters"},
	{id: "aws-access-key-id", name: "AWS access key id (long-term, AKIA)", prefix: "AKIA", full: regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`), strict: true, shape: "AKIA + 16 of A-Z2-7 (20 chars)"},
	{id: "aws-temporary-access-key-id", name: "AWS temporary access key id (ASIA; needs AWS_SESSION_TOKEN)", prefix: "ASIA", full: regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`), strict: true, shape: "ASIA + 16 of A-Z2-7 (20 chars)"},
	{id: "slack-bot", name: "Slack bot token", prefix: "xoxb-", full: regexp.MustCompile(`^xoxb-[0-9]{10,13}-[0-9]{10,13}[A-Za-z0-9-]*$`)},
	{id: "slack-user", name: "Slack user token", prefix: "xoxp-"},
	{id: "slack-user", name: "Slack user token", prefix: "xoxe-"},
	{id: "slack-app", name: "Slack app-level token", prefix: "xapp-"},
	{id: "slack-legacy", name: "Slack legacy token", prefix: "xoxa-"},
	{id: "slack-legacy", name: "Slack legacy token", prefix: "xoxr-"},
	{id: "slack-legacy", name: "Slack legacy token", prefix: "xoxo-"},
	{id: "slack-legacy", name: "Slack legacy token", prefix: "xoxs-"},
	{id: "slack-webhook", name: "Slack webhook URL", prefix: "https://hooks.slack.com/"},
	{id: "dockerhub-pat", name: "Docker Hub personal access token", prefix: "dckr_pat_", full: regexp.MustCompile(`^dckr_pat_[A-Za-z0-9_-]{27,}$`), strict: true, shape: "dckr_pat_ + at least 27 characters"},
	{id: "dockerhub-oat", name: "Docker Hub organization access token", prefix: "dckr_oat_", full: regexp.MustCompile(`^dckr_oat_[A-Za-z0-9_-]{32,}$`), strict: true, shape: "dckr_oat_ + at least 32 characters"},
	{id: "digitalocean", name: "DigitalOcean token", prefix: "dop_v1_"},
	{id: "gcp-api-key", name: "Google API key", prefix: "AIza", full: regexp.MustCompile(`^AIza[\w-]{35}$`)},
	{id: "private-key", name: "PEM private key", prefix: "-----BEGIN "},
}

var acrAdminPassword = regexp.MustCompile(`^[A-Za-z0-9+/]{42}\+ACR[A-Za-z0-9]{6}$`)

// Classify says what kind of token s looks like. It only looks at the shape of the value.
func Classify(s string) TokenKind {
	s = strings.TrimSpace(s)
	if s == "" {
		return TokenKind{}
	}
	for _, r := range tokenRules {
		if !strings.HasPrefix(s, r.prefix) {
			continue
		}
		if r.id == "private-key" && !strings.Contains(s, "PRIVATE KEY") {
			continue
		}
		k := TokenKind{ID: r.id, Name: r.name}
		if r.full != nil && r.strict && !r.full.MatchString(s) {
			k.Malformed = true
			k.Note = fmt.Sprintf("has the prefix of the %s format but not its shape (%d chars; expected %s): truncated or extra characters?", r.name, len(s), r.shape)
		}
		return k
	}
	if acrAdminPassword.MatchString(s) {
		return TokenKind{ID: "acr-admin-password", Name: "Azure Container Registry admin password"}
	}
	if LooksLikeJWT(s) {
		return TokenKind{ID: "jwt", Name: "JWT"}
	}
	return TokenKind{}
}

// LooksLikeJWT reports whether s has the shape header.payload.signature with a JSON header.
func LooksLikeJWT(s string) bool {
	if !strings.HasPrefix(s, "eyJ") || strings.Count(s, ".") != 2 {
		return false
	}
	_, err := DecodeJWT(s)
	return err == nil
}

// JWT is the decoded, unverified header and claims of a JSON Web Token. The signature is
// never kept.
type JWT struct {
	Alg, Kid, Typ string
	Issuer        string
	Subject       string
	Audience      []string
	ExpiresAt     *time.Time
	NotBefore     *time.Time
	IssuedAt      *time.Time
	Signed        bool // a non-empty signature part is present
}

// DecodeJWT decodes the header and payload of a compact JWS without verifying it.
func DecodeJWT(s string) (*JWT, error) {
	s = strings.TrimSpace(s)
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("not a JWT: %d dot-separated parts, want 3", len(parts))
	}
	hb, err := b64url(parts[0])
	if err != nil {
		return nil, fmt.Errorf("JWT header is not base64url: %w", err)
	}
	pb, err := b64url(parts[1])
	if err != nil {
		return nil, fmt.Errorf("JWT payload is not base64url: %w", err)
	}
	var hdr struct {
		Alg *string `json:"alg"`
		Kid any     `json:"kid"`
		Typ any     `json:"typ"`
	}
	if err := strictObject(hb, &hdr); err != nil {
		return nil, fmt.Errorf("JWT header is not a JSON object: %w", err)
	}
	if hdr.Alg == nil {
		return nil, errors.New("JWT header has no \"alg\"")
	}
	var claims map[string]any
	if err := strictObject(pb, &claims); err != nil {
		return nil, fmt.Errorf("JWT payload is not a JSON object: %w", err)
	}
	j := &JWT{Alg: *hdr.Alg, Kid: str(hdr.Kid), Typ: str(hdr.Typ), Signed: parts[2] != ""}
	j.Issuer = str(claims["iss"])
	j.Subject = str(claims["sub"])
	switch a := claims["aud"].(type) {
	case string:
		j.Audience = []string{a}
	case []any:
		for _, v := range a {
			if s, ok := v.(string); ok {
				j.Audience = append(j.Audience, s)
			}
		}
	}
	j.ExpiresAt = numericDate(claims["exp"])
	j.NotBefore = numericDate(claims["nbf"])
	j.IssuedAt = numericDate(claims["iat"])
	return j, nil
}

// Unsigned reports alg "none": anyone can forge such a token.
func (j *JWT) Unsigned() bool { return strings.EqualFold(j.Alg, "none") }

// Expired reports exp <= now.
func (j *JWT) Expired(now time.Time) bool {
	return j.ExpiresAt != nil && !now.Before(*j.ExpiresAt)
}

// NotYetValid reports nbf > now.
func (j *JWT) NotYetValid(now time.Time) bool {
	return j.NotBefore != nil && now.Before(*j.NotBefore)
}

func strictObject(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return errors.New("not an object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

func b64url(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if s == "" {
		return nil, errors.New("empty")
	}
	return base64.RawURLEncoding.DecodeString(s)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func numericDate(v any) *time.Time {
	n, ok := v.(json.Number)
	if !ok {
		return nil
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < -1e11 || f > 1e11 {
		return nil
	}
	sec, frac := math.Modf(f)
	t := time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return &t
}

// Summary describes the JWT's non-secret metadata on one line.
func (j *JWT) Summary(now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "alg %s", safeClaim(j.Alg))
	if j.Issuer != "" {
		fmt.Fprintf(&b, ", iss %s", safeClaim(j.Issuer))
	}
	if j.Subject != "" {
		fmt.Fprintf(&b, ", sub %s", safeClaim(j.Subject))
	}
	if len(j.Audience) > 0 {
		aud := make([]string, len(j.Audience))
		for i, a := range j.Audience {
			aud[i] = safeClaim(a)
		}
		fmt.Fprintf(&b, ", aud %s", strings.Join(aud, ","))
	}
	if j.ExpiresAt != nil {
		fmt.Fprintf(&b, ", exp %s (%s)", j.ExpiresAt.Format(time.RFC3339), relative(*j.ExpiresAt, now))
	}
	if j.NotBefore != nil {
		fmt.Fprintf(&b, ", nbf %s (%s)", j.NotBefore.Format(time.RFC3339), relative(*j.NotBefore, now))
	}
	return b.String()
}

// safeClaim keeps a claim printable and short; claims are metadata, but a token may carry
// anything, so the caller still passes the line through redact.String.
func safeClaim(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 80 {
		s = string(r[:77]) + "..."
	}
	if s == "" {
		return `""`
	}
	return s
}

func relative(t, now time.Time) string {
	d := t.Sub(now)
	if d >= 0 {
		return "in " + humanDuration(d)
	}
	return humanDuration(-d) + " ago"
}

func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}
