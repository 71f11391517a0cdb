package check

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/sleuth-ci/sleuth/internal/cred"
)

// creds resolves the Docker credential chain for the host (or for the hosts configured to
// use the helper the log names) and turns its problems into a result.
func (r *Runner) creds(ctx context.Context, args map[string]string, res *Result) {
	host, helper := strings.TrimSpace(args["host"]), normalizeHelper(args["helper"])
	if host == "" && helper == "" && len(r.env.Hosts) > 0 {
		host = r.env.Hosts[0]
	}
	if host == "" && helper == "" {
		res.Status, res.Reason = Skipped, "the log names neither a registry host nor a credential helper; name the host with --host"
		return
	}
	var (
		hosts    []string
		storeAll bool // the helper is the credsStore: it answers for every registry
	)
	if host != "" {
		hosts = []string{host}
	} else {
		var why string
		hosts, storeAll, why = r.helperHosts(helper)
		if len(hosts) == 0 {
			res.Status, res.Code = Refuted, "helper-not-configured"
			res.Summary = why
			return
		}
	}
	var lastClean *cred.Resolution
	for _, h := range hosts {
		rs, err := cred.Resolve(ctx, h, r.env.Cred)
		if err != nil {
			res.Status, res.Reason = Unknown, err.Error()
			return
		}
		if rs.Credential != nil {
			c := rs.Credential
			r.remember(c.Secret, c.IdentityToken, c.RegistryToken)
		}
		for _, p := range rs.Problems {
			if !p.Serious() {
				res.Details = append(res.Details, p.Message)
			}
		}
		if p, ok := firstSerious(rs, helper); ok {
			res.Status, res.Code = Verified, p.Kind
			label := "the credential for " + rs.Host
			if storeAll && p.Kind == cred.KindHelperMissing {
				label = "the credentials for every registry"
			}
			res.Summary, res.Fix = describeProblem(label, p)
			return
		}
		lastClean = rs
	}
	rs := lastClean
	switch {
	case rs.Credential != nil:
		res.Status, res.Code = Refuted, "resolves"
		res.Summary = fmt.Sprintf("the credential for %s resolves cleanly: %s, %s", rs.Host, rs.Source, rs.Credential.Describe())
		if helper != "" {
			res.Summary += fmt.Sprintf("; docker-credential-%s is not in the way here", helper)
		}
	case helper != "":
		res.Status, res.Code = Refuted, "anonymous"
		res.Summary = fmt.Sprintf("no credential helper problem for %s here: no source has a credential for it (anonymous)", rs.Host)
	case !r.env.inCI():
		res.Status, res.Code = Unknown, "anonymous"
		res.Summary = fmt.Sprintf("no credential for %s in any source here (anonymous)", rs.Host)
		res.Reason = notInCI
	default:
		res.Status, res.Code = Verified, "anonymous"
		res.Summary = fmt.Sprintf("no credential for %s in any source (DOCKER_AUTH_CONFIG, %s, the containers auth.json files, sleuth's store): the tool sent its requests anonymously", rs.Host, cred.DockerConfigPath(r.env.Cred))
		res.Fix = []string{fmt.Sprintf("log in to %s in this job, before the step that failed: docker login %s (or docker/login-action in GitHub Actions)", rs.Host, loginHost(rs.Host))}
	}
}

// firstSerious returns the first problem that breaks authentication; with a helper named
// by the log, the problems about that helper come first.
func firstSerious(rs *cred.Resolution, helper string) (cred.Problem, bool) {
	var first *cred.Problem
	for i, p := range rs.Problems {
		if !p.Serious() {
			continue
		}
		if helper != "" && strings.Contains(p.Message, "docker-credential-"+helper) {
			return p, true
		}
		if first == nil {
			first = &rs.Problems[i]
		}
	}
	if first == nil {
		return cred.Problem{}, false
	}
	return *first, true
}

var helperMissingRe = regexp.MustCompile(`^(credsStore|credHelpers\["[^"]*"\]) is "([^"]+)" but (\S+) is not on PATH`)

// describeProblem turns a resolver problem into the one line that leads the report and the
// fix. cred's messages end in "Fix: ..." where it knows one.
func describeProblem(label string, p cred.Problem) (string, []string) {
	msg, fix, _ := strings.Cut(p.Message, ". Fix: ")
	var fixes []string
	if fix != "" {
		fixes = append(fixes, strings.TrimSuffix(fix, "."))
	}
	if p.Kind == cred.KindHelperMissing {
		if m := helperMissingRe.FindStringSubmatch(msg); m != nil {
			verb := "comes"
			if strings.HasPrefix(label, "the credentials") {
				verb = "come"
			}
			return fmt.Sprintf("%s %s from %s %q, whose helper %s is not installed (not on PATH)", label, verb, m[1], m[2], m[3]), fixes
		}
	}
	return fmt.Sprintf("%s: %s", label, msg), fixes
}

// helperHosts lists the hosts whose credentials the Docker config sends to the helper: the
// credHelpers entries naming it, or, for a credsStore, Docker Hub as the first of all hosts.
func (r *Runner) helperHosts(helper string) ([]string, bool, string) {
	path := cred.DockerConfigPath(r.env.Cred)
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, false, fmt.Sprintf("%s does not exist here, so nothing names docker-credential-%s: this machine does not reproduce the failure", path, helper)
		}
		return []string{cred.DockerHub}, false, ""
	}
	cf, err := cred.ParseConfig(path, data)
	if err != nil {
		// A config that does not parse is itself the problem: let the resolver say so.
		return []string{cred.DockerHub}, false, ""
	}
	var hosts []string
	for k, v := range cf.CredentialHelpers {
		if normalizeHelper(v) == helper {
			hosts = append(hosts, cred.NormalizeHost(k))
		}
	}
	sort.Strings(hosts)
	storeAll := normalizeHelper(cf.CredentialsStore) == helper
	if storeAll {
		hosts = append([]string{cred.DockerHub}, hosts...)
	}
	if len(hosts) == 0 {
		return nil, false, fmt.Sprintf("%s names docker-credential-%s neither as credsStore nor in credHelpers: this machine does not reproduce the failure", path, helper)
	}
	return hosts, storeAll, ""
}

func normalizeHelper(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "docker-credential-")
	return strings.TrimSuffix(s, ".exe")
}

func loginHost(h string) string {
	if h == cred.DockerHub {
		return ""
	}
	return h
}
