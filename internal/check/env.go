package check

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/sleuth-ci/sleuth/internal/cred"
)

// envVar checks a secret variable: verified when it is missing, empty, contaminated,
// a placeholder, malformed for its kind, or an expired JWT. The value is never printed.
func (r *Runner) envVar(args map[string]string, res *Result) {
	names := alternatives(args["var"])
	if len(names) == 0 {
		res.Status, res.Reason = Skipped, "the check names no variable"
		return
	}
	for _, n := range names {
		if !envNameRe.MatchString(n) {
			res.Status, res.Reason = Skipped, fmt.Sprintf("%q is not an environment variable name", n)
			return
		}
	}
	name, v, set := r.firstSet(names)
	either := strings.Join(names, " or ")
	if !set || v == "" {
		what := "is not set"
		switch {
		case set:
			either, what = name, "is set but empty"
		case len(names) > 1:
			what = "are not set"
		}
		if !r.env.inCI() {
			res.Status, res.Code = Unknown, "missing"
			res.Summary = fmt.Sprintf("%s %s here", either, what)
			res.Reason = notInCI
			return
		}
		res.Status, res.Code = Verified, "missing"
		if set {
			res.Code = "empty"
		}
		res.Summary = fmt.Sprintf("%s %s in this job", either, what)
		res.Fix = append(res.Fix, fmt.Sprintf("map the secret into the step's environment, e.g. in GitHub Actions: env: { %s: ${{ secrets.%s }} }", names[0], names[0]))
		res.Fix = append(res.Fix, missingHints(r.env.Getenv)...)
		return
	}
	r.remember(v)
	k := cred.Classify(strings.TrimSpace(v))
	kind := k.Name
	if kind == "" {
		kind = "unknown format"
	}
	desc := fmt.Sprintf("$%s (%s, %d chars)", name, kind, len(v))
	verify := func(code, format string, a ...any) {
		res.Status, res.Code = Verified, code
		res.Summary = desc + ": " + fmt.Sprintf(format, a...)
	}
	trimmed := strings.TrimSpace(v)
	now := r.env.Now()
	switch {
	case trimmed == "":
		verify("empty", "holds only whitespace")
	case strings.HasSuffix(v, "\n") || strings.HasSuffix(v, "\r"):
		verify("whitespace", "ends with a newline: tools send it verbatim and authentication fails")
		res.Fix = []string{"store the secret without the trailing newline (printf '%s' instead of echo)"}
	case strings.TrimLeftFunc(v, unicode.IsSpace) != v || strings.TrimRightFunc(v, unicode.IsSpace) != v:
		verify("whitespace", "starts or ends with spaces")
		res.Fix = []string{"store the secret without surrounding spaces"}
	case placeholderValue.MatchString(trimmed):
		verify("placeholder", "looks like an unexpanded placeholder or a masked value, not a secret: the CI did not substitute it")
		res.Fix = []string{"check the secret's name and that secrets are available in this context (forks, protected branches)"}
	case k.Malformed:
		verify("malformed", "%s", k.Note)
		res.Fix = []string{"copy the whole token again; it was truncated or has extra characters"}
	case k.ID == "jwt":
		j, err := cred.DecodeJWT(trimmed)
		switch {
		case err != nil:
		case j.Expired(now):
			verify("expired", "a JWT that expired at %s", j.ExpiresAt.UTC().Format("2006-01-02 15:04:05 MST"))
			res.Fix = []string{"get a fresh token in the job, right before it is used; do not store short-lived tokens as secrets"}
		case j.NotYetValid(now):
			verify("not-yet-valid", "a JWT not valid before %s: is the clock wrong?", j.NotBefore.UTC().Format("2006-01-02 15:04:05 MST"))
		}
	}
	if res.Status == "" {
		res.Status, res.Code = Refuted, "ok"
		res.Summary = desc + ": set, well formed and not expired; the variable itself is not the cause"
	}
}

var envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

var placeholderValue = regexp.MustCompile(`^(\$[A-Za-z_][A-Za-z0-9_]*|\$\{[^}]*\}|\$\{\{.*\}\}|\$\(.*\)|%[A-Za-z_][A-Za-z0-9_]*%|<[^<>]+>|\*{3,}|\[MASKED\]|\{\{.*\}\})$`)

// firstSet returns the first of the names that is set and non-empty, else the first set one.
func (r *Runner) firstSet(names []string) (string, string, bool) {
	var setName string
	setFound := false
	for _, n := range names {
		v, ok := r.env.LookupEnv(n)
		if ok && v != "" {
			return n, v, true
		}
		if ok && !setFound {
			setName, setFound = n, true
		}
	}
	if setFound {
		return setName, "", true
	}
	return names[0], "", false
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
	}
	if getenv("GITLAB_CI") == "true" && getenv("CI_COMMIT_REF_PROTECTED") == "false" {
		hs = append(hs, "protected GitLab CI/CD variables are only set on protected branches and tags (CI_COMMIT_REF_PROTECTED=false)")
	}
	return hs
}

// oidc checks that a GitHub Actions job can request an OIDC token.
func (r *Runner) oidc(_ map[string]string, res *Result) {
	get := r.env.Getenv
	if get("GITHUB_ACTIONS") != "true" {
		res.Status, res.Reason = Unknown, "not running in GitHub Actions (GITHUB_ACTIONS is not true): the OIDC request variables exist only inside a job"
		return
	}
	var missing []string
	for _, k := range []string{"ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"} {
		if strings.TrimSpace(get(k)) == "" {
			missing = append(missing, k)
		} else {
			r.remember(get(k))
		}
	}
	if len(missing) == 0 {
		res.Status, res.Code = Refuted, "present"
		res.Summary = "ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are set: this job may request an OIDC token"
		return
	}
	res.Status, res.Code = Verified, "missing"
	res.Summary = fmt.Sprintf("%s not set: the job has no permission to request an OIDC token", strings.Join(missing, " and ")+map[bool]string{true: " is", false: " are"}[len(missing) == 1])
	res.Fix = []string{"give the job the permission: permissions: { id-token: write, contents: read } (at the job or workflow level; a permissions block replaces all defaults)"}
	if ev := get("GITHUB_EVENT_NAME"); strings.HasPrefix(ev, "pull_request") && ev != "pull_request_target" {
		res.Fix = append(res.Fix, "pull requests from forks never get id-token: write (GITHUB_EVENT_NAME="+ev+")")
	}
}
