package check

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sleuth-ci/sleuth/internal/cred"
	"github.com/sleuth-ci/sleuth/internal/netguard"
	"github.com/sleuth-ci/sleuth/internal/registry"
)

// registryStatus maps a registry handshake verdict to a check status. The suspected cause of
// an authentication playbook is confirmed by a refusal; network failures leave it unknown.
func registryStatus(code string, push bool) Status {
	switch code {
	case registry.VerdictNoCredentials, registry.VerdictInvalid, registry.VerdictExpired,
		registry.VerdictInsufficientScope, registry.VerdictDenied:
		return Verified
	case registry.VerdictOK, registry.VerdictRateLimited:
		return Refuted
	case registry.VerdictNotFound:
		if push {
			return Unknown // a new repository: push rights cannot be tested through a pull
		}
		return Refuted
	}
	return Unknown // tls, dns, refused, timeout, not a registry, plain http, server error, network
}

// probeStatus maps a probe verdict to a check status.
func probeStatus(code string) Status {
	switch code {
	case registry.ProbeUnauthenticated, registry.ProbeForbidden:
		return Verified
	case registry.ProbeOK, registry.ProbeRateLimited, registry.ProbeNotFound, registry.ProbeHTTPError:
		return Refuted
	}
	return Unknown
}

// registry runs the handshake with the credential Docker-compatible tools would use.
func (r *Runner) registry(ctx context.Context, args map[string]string, allowed map[string]bool, res *Result) {
	host := args["host"]
	t, err := registry.ParseTarget(host)
	if err != nil {
		res.Status, res.Reason = Skipped, err.Error()
		return
	}
	if !allowed[hostOf(host)] {
		res.Status, res.Reason = Unknown, fmt.Sprintf("%s is not named by the evidence or by --host: sleuth does not contact it", host)
		return
	}
	push := false
	if v := args["push"]; v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			res.Status, res.Reason = Skipped, fmt.Sprintf("push=%q is not true or false", v)
			return
		}
		push = b
	}
	repo := repoFromImage(t.CredHost, args["repo"])
	loginOnly := push && repo == ""
	if loginOnly {
		push = false
	}
	rs, err := cred.Resolve(ctx, t.CredHost, r.env.Cred)
	if err != nil {
		res.Status, res.Reason = Unknown, err.Error()
		return
	}
	var c *registry.Credential
	if rc := rs.Credential; rc != nil {
		r.remember(rc.Secret, rc.IdentityToken, rc.RegistryToken)
		c = &registry.Credential{Username: rc.Username, Password: rc.Secret, IdentityToken: rc.IdentityToken, RegistryToken: rc.RegistryToken}
	}
	source := rs.Source
	if rs.ConfigPath != "" && !strings.Contains(source, rs.ConfigPath) {
		source += " (" + rs.ConfigPath + ")"
	}
	copts := r.env.Client
	copts.Timeouts.Total = r.env.Timeout
	tr, err := registry.Test(ctx, registry.TestOptions{
		Target: host, Repo: repo, Push: push, Credential: c, CredentialSource: source,
		Client: copts, Now: r.env.Now, UserAgent: r.env.UserAgent,
	})
	if err != nil {
		res.Status, res.Reason = Skipped, err.Error()
		return
	}
	v := tr.Verdict
	st := registryStatus(v.Code, push)
	res.Status, res.Code = st, v.Code
	res.Summary = fmt.Sprintf("registry %s: %s — %s", t.CredHost, v.Code, v.Reason)
	switch {
	case loginOnly && st == Refuted:
		// Only the login was tested: it working does not refute a push denial.
		res.Status = Unknown
		res.Reason = "the log does not name the repository, and push rights are per repository: only the login was tested, and it works"
	case st == Unknown:
		res.Reason = v.Reason
	}
	if st == Verified {
		res.Fix = v.Fix
	}
	for _, s := range tr.Steps {
		line := fmt.Sprintf("%d. %s %s %s", s.N, s.Name, s.Method, s.URL)
		if s.Status != 0 {
			line += fmt.Sprintf(" → %d", s.Status)
		}
		if s.Error != "" {
			line += " → " + s.Error
		}
		res.Details = append(res.Details, line)
	}
}

// repoFromImage turns what a log names (ghcr.io/owner/app:tag, docker.io/user/app, app) into
// the repository on host: without the registry host and the tag or digest.
func repoFromImage(host, image string) string {
	image = strings.TrimSpace(image)
	if image == "" {
		return ""
	}
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	if first, rest, ok := strings.Cut(image, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		image = rest
	}
	slash := strings.LastIndexByte(image, '/')
	if i := strings.LastIndexByte(image, ':'); i > slash {
		image = image[:i]
	}
	image = strings.ToLower(image)
	if host == cred.DockerHub && image != "" && !strings.Contains(image, "/") {
		image = "library/" + image
	}
	return image
}

// probe sends one GET with the token from the environment, only to hosts it belongs to.
func (r *Runner) probe(ctx context.Context, args map[string]string, allowed map[string]bool, res *Result) {
	raw := strings.TrimSpace(args["url"])
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		res.Status, res.Reason = Skipped, "the evidence does not give an http(s) URL without credentials in it"
		return
	}
	host := hostOf(raw)
	if !allowed[host] {
		res.Status, res.Reason = Unknown, fmt.Sprintf("%s is not named by the evidence or by --host: sleuth does not contact it", u.Host)
		return
	}
	names := alternatives(args["env"])
	name, v, _ := r.firstSet(names)
	if strings.TrimSpace(v) == "" {
		res.Status, res.Reason = Unknown, fmt.Sprintf("no credentials to test: $%s is not set here", strings.Join(names, " / $"))
		return
	}
	r.remember(v)
	belongs := false
	for _, p := range append(strings.Split(args["hosts"], ","), r.env.Hosts...) {
		if hostMatches(host, p) {
			belongs = true
		}
	}
	if !belongs {
		res.Status, res.Reason = Unknown, fmt.Sprintf("not sending $%s to %s: the check does not name that host as one the token belongs to; allow it with --host %s", name, u.Host, u.Host)
		return
	}
	if u.Scheme == "http" && !netguard.IsLoopback(u.Host) {
		res.Status, res.Reason = Unknown, fmt.Sprintf("not sending $%s over plain http to %s: credentials go over plain http only to loopback", name, u.Host)
		return
	}
	h := http.Header{}
	header := strings.TrimSpace(args["header"])
	value := strings.TrimRight(v, "\r\n")
	switch {
	case header == "" || strings.EqualFold(header, "bearer"):
		h.Set("Authorization", "Bearer "+value)
	case strings.EqualFold(header, "token"):
		h.Set("Authorization", "token "+value)
	default:
		h.Set(header, value)
	}
	copts := r.env.Client
	copts.Timeouts.Total = r.env.Timeout
	pr, err := registry.Probe(ctx, registry.ProbeOptions{
		URL: raw, Method: http.MethodGet, Header: h, Secrets: []string{v, value},
		Credential: fmt.Sprintf("token from $%s (%d chars)", name, len(value)),
		Client:     copts, Now: r.env.Now, UserAgent: r.env.UserAgent,
	})
	if err != nil {
		res.Status, res.Reason = Unknown, err.Error()
		return
	}
	pv := pr.Verdict
	st := probeStatus(pv.Code)
	res.Status, res.Code = st, pv.Code
	status := ""
	if pr.Status != 0 {
		status = fmt.Sprintf(" (HTTP %d)", pr.Status)
	}
	res.Summary = fmt.Sprintf("GET %s with $%s%s: %s — %s", redactURL(u), name, status, pv.Code, pv.Reason)
	switch st {
	case Verified:
		res.Fix = pv.Fix
	case Unknown:
		res.Reason = pv.Reason
	}
	if pr.Message != "" {
		res.Details = append(res.Details, "message: "+pr.Message)
	}
	res.Details = append(res.Details, pr.Warnings...)
}

// redactURL drops the query, where tokens travel.
func redactURL(u *url.URL) string {
	c := *u
	c.RawQuery, c.Fragment = "", ""
	return c.String()
}
