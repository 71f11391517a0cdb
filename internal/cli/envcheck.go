package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/sleuth-ci/sleuth/internal/cred"
	"github.com/sleuth-ci/sleuth/internal/redact"
)

type envCheckOptions struct {
	*global
	json   bool
	now    func() time.Time
	lookup func(string) (string, bool) // nil: the command's Getenv, with os.LookupEnv telling unset from empty
}

func newEnvCmd(g *global) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Check CI secrets in the environment",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return usageErr("missing subcommand: see 'sleuth env --help'") },
	}
	cmd.AddCommand(newEnvCheckCmd(g))
	return cmd
}

func newEnvCheckCmd(g *global) *cobra.Command {
	o := &envCheckOptions{global: g, now: time.Now}
	cmd := &cobra.Command{
		Use:   "check VAR...",
		Short: "Is a CI secret set, clean, and what kind of token is it? Never prints the value",
		Long: `Check environment variables that should hold secrets: set or not, empty, contaminated by
whitespace or a newline, an unexpanded placeholder ($VAR, ${{ secrets.X }}), what kind of token
it is by its format (GitHub, GitLab, npm, PyPI, AWS, Slack, Docker Hub, JWT) and whether it has
that format's shape. For JWTs it decodes the claims (iss, sub, aud, exp, nbf) and says whether the
token is expired or not yet valid, and flags alg "none".

The value is never printed: only its length and, for values of 12 characters or more, its first
4 characters.

Exit codes: 0 all set and look fine, 1 some variable is missing, empty or bad, 2 usage error.`,
		Example: `  sleuth env check GITHUB_TOKEN NPM_TOKEN
  sleuth env check --json AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  sleuth env check ACTIONS_ID_TOKEN_REQUEST_TOKEN || echo "secrets missing"`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("name at least one variable: sleuth env check VAR...")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error { return o.run(args) },
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON (schema sleuth.envcheck.v1)")
	return cmd
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// varCheck is the verdict on one variable. It never holds the value.
type varCheck struct {
	Name     string   `json:"name"`
	Status   string   `json:"status"` // ok, missing, empty, whitespace, placeholder, malformed, expired, not-yet-valid, unsigned
	OK       bool     `json:"ok"`
	Set      bool     `json:"set"`
	Length   int      `json:"length"`
	Masked   string   `json:"masked,omitempty"`
	Kind     string   `json:"kind,omitempty"`
	KindID   string   `json:"kind_id,omitempty"`
	Problems []string `json:"problems"`
	Notes    []string `json:"notes"`
	JWT      *jwtJSON `json:"jwt,omitempty"`
}

type jwtJSON struct {
	Alg         string   `json:"alg"`
	Kid         string   `json:"kid,omitempty"`
	Issuer      string   `json:"iss,omitempty"`
	Subject     string   `json:"sub,omitempty"`
	Audience    []string `json:"aud,omitempty"`
	ExpiresAt   string   `json:"exp,omitempty"`
	NotBefore   string   `json:"nbf,omitempty"`
	IssuedAt    string   `json:"iat,omitempty"`
	Expired     bool     `json:"expired"`
	NotYetValid bool     `json:"not_yet_valid"`
	Unsigned    bool     `json:"unsigned"`
	Summary     string   `json:"summary"`
}

func (o *envCheckOptions) run(names []string) error {
	for _, n := range names {
		if !envName.MatchString(n) {
			if strings.HasPrefix(n, "$") {
				return usageErr("%q: give the variable's name without '$' (sleuth env check %s)", n, strings.Trim(n, "${}"))
			}
			return usageErr("%q is not an environment variable name (letters, digits and '_', not starting with a digit)", n)
		}
	}
	lookup := o.lookup
	if lookup == nil {
		lookup = func(k string) (string, bool) {
			if v := o.env.Getenv(k); v != "" {
				return v, true
			}
			_, ok := os.LookupEnv(k)
			return "", ok
		}
	}
	getenv := func(k string) string { v, _ := lookup(k); return v }
	now := o.now()
	var checks []*varCheck
	allOK := true
	for _, n := range names {
		v, set := lookup(n)
		c := checkVar(n, v, set, now, getenv)
		allOK = allOK && c.OK
		checks = append(checks, c)
	}
	if o.json {
		enc := json.NewEncoder(o.env.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			Schema    string      `json:"schema"`
			OK        bool        `json:"ok"`
			Variables []*varCheck `json:"variables"`
		}{"sleuth.envcheck.v1", allOK, checks})
	} else {
		o.renderText(checks)
	}
	if !allOK {
		return &exitError{code: ExitNoMatch}
	}
	return nil
}

func (o *envCheckOptions) renderText(checks []*varCheck) {
	w := o.env.Stdout
	for i, c := range checks {
		if i > 0 {
			fmt.Fprintln(w)
		}
		head := c.Name + ": " + c.Status
		switch {
		case !c.Set:
			head += " (not set)"
		case c.Length == 0:
			head += " (set but empty)"
		default:
			head += " (" + c.Masked + ")"
		}
		fmt.Fprintln(w, head)
		if c.Kind != "" {
			printField(w, "kind", c.Kind)
		}
		if c.JWT != nil {
			printField(w, "jwt", c.JWT.Summary)
		}
		for _, p := range c.Problems {
			printField(w, "problem", p)
		}
		for _, n := range c.Notes {
			printField(w, "note", n)
		}
	}
}

// mask shows the length and, for values of 12 characters or more, the first 4 characters.
func mask(v string) string {
	n := utf8.RuneCountInString(v)
	if n < 12 {
		return fmt.Sprintf("%d chars", n)
	}
	prefix := string([]rune(v)[:4])
	if strings.IndexFunc(prefix, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		// Make leading whitespace visible.
		return fmt.Sprintf("%q..., %d chars", prefix, n)
	}
	return fmt.Sprintf("%s..., %d chars", prefix, n)
}

var placeholder = regexp.MustCompile(`^(\$[A-Za-z_][A-Za-z0-9_]*|\$\{[^}]*\}|\$\{\{.*\}\}|\$\(.*\)|%[A-Za-z_][A-Za-z0-9_]*%|<[^<>]+>|\*{3,}|\[MASKED\]|\{\{.*\}\})$`)

func checkVar(name, v string, set bool, now time.Time, getenv func(string) string) *varCheck {
	c := &varCheck{Name: name, Set: set, Length: utf8.RuneCountInString(v), Problems: []string{}, Notes: []string{}}
	fail := func(status, format string, args ...any) {
		if c.Status == "" || c.Status == "ok" {
			c.Status = status
		}
		c.Problems = append(c.Problems, redact.String(fmt.Sprintf(format, args...)))
	}
	if !set {
		fail("missing", "%s is not set in this environment", name)
		c.Notes = append(c.Notes, missingHints(getenv)...)
		return c
	}
	if v == "" {
		fail("empty", "%s is set but empty", name)
		c.Notes = append(c.Notes, missingHints(getenv)...)
		return c
	}
	c.Masked = mask(v)
	trimmed := strings.TrimSpace(v)
	if trimmed == "" {
		fail("empty", "%s holds only whitespace (%d chars)", name, c.Length)
		return c
	}
	k := cred.Classify(trimmed)
	c.Kind, c.KindID = k.Name, k.ID

	// Whitespace and newline contamination.
	switch {
	case strings.HasSuffix(v, "\r\n"):
		fail("whitespace", "ends with CRLF (\\r\\n): a file saved on Windows or `echo`; tools send it verbatim and authentication fails. Strip it (printf '%%s', tr -d '\\r\\n')")
	case strings.HasSuffix(v, "\n"):
		fail("whitespace", "ends with a newline: typically written with `echo` or a heredoc; tools send it verbatim and authentication fails. Strip it (printf '%%s', tr -d '\\n')")
	case strings.HasSuffix(v, "\r"):
		fail("whitespace", "ends with a carriage return (\\r): a file saved on Windows?")
	}
	if strings.TrimLeftFunc(v, unicode.IsSpace) != v {
		fail("whitespace", "starts with whitespace")
	}
	if t := strings.TrimRight(v, "\r\n"); strings.TrimRightFunc(t, unicode.IsSpace) != t {
		fail("whitespace", "ends with spaces or tabs")
	}
	if k.ID != "private-key" && strings.ContainsAny(strings.TrimSpace(v), "\r\n") {
		fail("whitespace", "contains a line break inside the value (%d lines): two values pasted together?", strings.Count(strings.TrimSpace(v), "\n")+1)
	}
	if placeholder.MatchString(trimmed) {
		fail("placeholder", "looks like an unexpanded placeholder or an already-masked value, not a secret: the CI did not substitute it (wrong secret name, or a context where secrets are not available)")
	}
	if k.Malformed {
		fail("malformed", "%s", k.Note)
	}
	if k.ID == "aws-temporary-access-key-id" && getenv("AWS_SESSION_TOKEN") == "" && name != "AWS_SESSION_TOKEN" {
		c.Notes = append(c.Notes, "an ASIA key is temporary and only works together with AWS_SESSION_TOKEN, which is not set")
	}
	if k.ID == "jwt" {
		if j, err := cred.DecodeJWT(trimmed); err == nil {
			c.JWT = &jwtJSON{Alg: j.Alg, Kid: j.Kid, Issuer: j.Issuer, Subject: j.Subject, Audience: j.Audience,
				Expired: j.Expired(now), NotYetValid: j.NotYetValid(now), Unsigned: j.Unsigned(),
				Summary: redact.String(j.Summary(now))}
			if j.ExpiresAt != nil {
				c.JWT.ExpiresAt = j.ExpiresAt.Format(time.RFC3339)
			}
			if j.NotBefore != nil {
				c.JWT.NotBefore = j.NotBefore.Format(time.RFC3339)
			}
			if j.IssuedAt != nil {
				c.JWT.IssuedAt = j.IssuedAt.Format(time.RFC3339)
			}
			switch {
			case j.Expired(now):
				fail("expired", "the JWT expired at %s (%s before now)", j.ExpiresAt.Format(time.RFC3339), humanSince(now.Sub(*j.ExpiresAt)))
			case j.NotYetValid(now):
				fail("not-yet-valid", "the JWT is not valid before %s (%s from now): a clock skew?", j.NotBefore.Format(time.RFC3339), humanSince(j.NotBefore.Sub(now)))
			}
			if j.Unsigned() {
				fail("unsigned", "the JWT has alg \"none\": it is unsigned, and any verifier that accepts it can be fooled")
			}
			if j.ExpiresAt == nil {
				c.Notes = append(c.Notes, "the JWT has no exp claim: it does not expire by itself")
			}
		}
	}
	if c.Status == "" {
		c.Status = "ok"
		c.OK = true
	}
	if c.Kind == "" {
		c.Kind = "unknown format (a password or an opaque token)"
	}
	return c
}

func humanSince(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// missingHints explains, from CI context variables, why a secret may be absent.
func missingHints(getenv func(string) string) []string {
	var hs []string
	if getenv("GITHUB_ACTIONS") == "true" {
		switch getenv("GITHUB_EVENT_NAME") {
		case "pull_request", "pull_request_review", "pull_request_review_comment":
			hs = append(hs, "GitHub Actions does not pass secrets to workflows run for pull requests from forks (GITHUB_EVENT_NAME="+getenv("GITHUB_EVENT_NAME")+")")
		}
		if strings.HasPrefix(getenv("GITHUB_ACTOR"), "dependabot") {
			hs = append(hs, "runs triggered by Dependabot get Dependabot secrets, not Actions secrets")
		}
		hs = append(hs, "in GitHub Actions a secret must be mapped explicitly: env: { NAME: ${{ secrets.NAME }} }")
	}
	if getenv("GITLAB_CI") == "true" && getenv("CI_COMMIT_REF_PROTECTED") == "false" {
		hs = append(hs, "protected GitLab CI/CD variables are only set on protected branches and tags (CI_COMMIT_REF_PROTECTED=false)")
	}
	return hs
}
