package ci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sleuth-ci/sleuth/internal/netguard"
)

// GitHub Actions: https://github.com/OWNER/REPO/actions/runs/RUN_ID[/attempts/N] (a run),
// .../actions/runs/RUN_ID/job/JOB_ID and https://github.com/OWNER/REPO/runs/JOB_ID (a job;
// the check run id of a job is its id). Any other host is GitHub Enterprise Server, whose
// API is at https://HOST/api/v3; HOST.ghe.com has its API at api.HOST.ghe.com.

const (
	githubAPI        = "https://api.github.com"
	githubAPIVersion = "2022-11-28"
	githubMaxPages   = 50
)

func (t *Target) parseGitHub(p []string) error {
	const forms = "expected OWNER/REPO/actions/runs/RUN_ID, .../actions/runs/RUN_ID/attempts/N or .../actions/runs/RUN_ID/job/JOB_ID (or a GitLab .../-/jobs/ID, CircleCI or Buildkite job URL)"
	if len(p) < 4 {
		return errors.New("not a CI job or run URL sleuth knows: " + forms)
	}
	t.Provider = GitHub
	t.Project = p[0] + "/" + p[1]
	rest := p[2:]
	if len(rest) == 2 && rest[0] == "runs" && isDigits(rest[1]) {
		t.Job = rest[1] // a check run URL: the job's id
		return nil
	}
	if len(rest) < 3 || rest[0] != "actions" || rest[1] != "runs" {
		return errors.New("not a GitHub Actions job or run URL: " + forms)
	}
	if !isDigits(rest[2]) {
		return fmt.Errorf("the run id %q is not a number: %s", rest[2], forms)
	}
	t.Run = rest[2]
	rest = rest[3:]
	if len(rest) >= 2 && rest[0] == "attempts" {
		n, err := strconv.Atoi(rest[1])
		if err != nil || n < 1 {
			return fmt.Errorf("the attempt %q is not a positive number: %s", rest[1], forms)
		}
		t.Attempt = n
		rest = rest[2:]
	}
	switch {
	case len(rest) == 0:
		return nil
	case len(rest) == 2 && (rest[0] == "job" || rest[0] == "jobs"):
		if !isDigits(rest[1]) {
			return fmt.Errorf("the job id %q is not a number: %s", rest[1], forms)
		}
		t.Job = rest[1]
		return nil
	}
	return errors.New("unexpected path after the run id: " + forms)
}

// githubAPIBase returns the API base URL of a GitHub host.
func githubAPIBase(t *Target) string {
	h := t.Host
	switch {
	case h == "github.com" || h == "www.github.com":
		return githubAPI
	case strings.HasSuffix(h, ".ghe.com") && !strings.HasPrefix(h, "api."):
		return "https://api." + h
	}
	scheme := "https"
	if t.Scheme == "http" && netguard.IsLoopback(h) {
		scheme = "http"
	}
	return scheme + "://" + h + "/api/v3"
}

// githubAccess picks the token as gh does: GH_TOKEN or GITHUB_TOKEN for github.com and
// *.ghe.com, GH_ENTERPRISE_TOKEN or GITHUB_ENTERPRISE_TOKEN for a GitHub Enterprise Server
// host, and there also GITHUB_TOKEN when GITHUB_SERVER_URL (set by the Actions runner) names
// that host.
func (c *Client) githubAccess(t *Target, api string, overridden bool) (*credential, access) {
	a := access{
		provider: "GitHub",
		needs:    "the actions:read permission (fine-grained token) or the repo scope (classic token, private repositories)",
		gone:     "GitHub keeps logs 90 days by default (the repository's log retention setting)",
	}
	dotcom := t.Host == "github.com" || t.Host == "www.github.com" || strings.HasSuffix(t.Host, ".ghe.com")
	if dotcom || overridden {
		a.vars = []string{"GH_TOKEN", "GITHUB_TOKEN"}
	} else {
		a.vars = []string{"GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"}
		if su, err := url.Parse(c.getenv("GITHUB_SERVER_URL")); err == nil && strings.EqualFold(su.Host, t.Host) {
			a.vars = append(a.vars, "GITHUB_TOKEN")
		} else if n, _ := c.firstEnv("GH_TOKEN", "GITHUB_TOKEN"); n != "" {
			a.note = n + " is set but is for github.com; GitHub Enterprise Server takes GH_ENTERPRISE_TOKEN"
		}
	}
	name, v := c.firstEnv(a.vars...)
	if name == "" {
		return nil, a
	}
	a.used = name
	return &credential{env: name, header: "Authorization", value: "Bearer " + v, origin: mustOrigin(api)}, a
}

func (c *Client) githubLimited(he *HTTPError) (bool, time.Time) {
	if he.Status != http.StatusForbidden && he.Status != http.StatusTooManyRequests {
		return false, time.Time{}
	}
	if he.Header.Get("X-RateLimit-Remaining") == "0" {
		if n, err := strconv.ParseInt(he.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return true, time.Unix(n, 0)
		}
		return true, time.Time{}
	}
	if d, ok := retryAfter(he.Header); ok {
		return true, c.now().Add(d)
	}
	if strings.Contains(strings.ToLower(he.Message), "rate limit") {
		return true, time.Time{}
	}
	return he.Status == http.StatusTooManyRequests, time.Time{}
}

type githubJob struct {
	ID           int64  `json:"id"`
	RunID        int64  `json:"run_id"`
	RunAttempt   int    `json:"run_attempt"`
	Name         string `json:"name"`
	WorkflowName string `json:"workflow_name"`
	Status       string `json:"status"`
	Conclusion   string `json:"conclusion"`
}

func (j githubJob) title() string {
	if j.WorkflowName != "" {
		return j.WorkflowName + " / " + j.Name
	}
	return j.Name
}

type githubSession struct {
	c    *Client
	t    *Target
	api  string
	cred *credential
	a    access
}

func (s *githubSession) req(u string) request {
	return request{url: u, cred: s.cred, accept: "application/vnd.github+json",
		header: map[string]string{"X-GitHub-Api-Version": githubAPIVersion}}
}

func (s *githubSession) repoURL(format string, args ...any) string {
	return s.api + "/repos/" + s.t.Project + fmt.Sprintf(format, args...)
}

func (s *githubSession) explain(err error, what string) error {
	var he *HTTPError
	if errors.As(err, &he) && he.Status == http.StatusForbidden && s.a.used != "" {
		// An organization with SAML single sign-on refuses tokens not authorized for it.
		if sso := he.Header.Get("X-GitHub-SSO"); strings.HasPrefix(sso, "required") {
			hint := "authorize " + s.a.used + "'s token for the organization's SAML single sign-on"
			if _, u, ok := strings.Cut(sso, "url="); ok {
				hint += " at " + strings.TrimSpace(u)
			}
			return fmt.Errorf("%s: %s", he, hint)
		}
	}
	return s.c.explain(err, what, s.a, s.c.githubLimited)
}

func (c *Client) githubLogs(ctx context.Context, t *Target) ([]*Log, error) {
	api, overridden, err := c.apiBase("SLEUTH_GITHUB_API_URL", githubAPIBase(t))
	if err != nil {
		return nil, err
	}
	s := &githubSession{c: c, t: t, api: api}
	s.cred, s.a = c.githubAccess(t, api, overridden)
	if t.Job != "" {
		var j githubJob
		if _, err := c.getJSON(ctx, s.req(s.repoURL("/actions/jobs/%s", t.Job)), &j); err != nil {
			return nil, s.explain(err, "job "+t.Job+" of "+t.Project)
		}
		if t.Run == "" {
			t.Run = strconv.FormatInt(j.RunID, 10)
		}
		return []*Log{s.jobLog(j)}, nil
	}
	jobs, err := s.runJobs(ctx)
	if err != nil {
		return nil, err
	}
	var picked []githubJob
	counts := map[string]int{}
	for _, j := range jobs {
		state := j.Conclusion
		if state == "" {
			state = j.Status
		}
		counts[state]++
		if c.allJobs || j.Conclusion == "failure" || j.Conclusion == "timed_out" {
			picked = append(picked, j)
		}
	}
	if len(picked) == 0 {
		if len(jobs) == 0 {
			return nil, fmt.Errorf("run %s has no jobs", t.Run)
		}
		return nil, fmt.Errorf("run %s has no failed jobs (%s); pass a job URL, or --all-jobs to analyze every job", t.Run, countText(len(jobs), counts))
	}
	logs := make([]*Log, len(picked))
	for i, j := range picked {
		logs[i] = s.jobLog(j)
	}
	return logs, nil
}

func countText(n int, counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", counts[k], k)
	}
	noun := "jobs"
	if n == 1 {
		noun = "job"
	}
	return fmt.Sprintf("%d %s: %s", n, noun, strings.Join(parts, ", "))
}

// runJobs lists the jobs of the run, following the Link header's rel="next".
func (s *githubSession) runJobs(ctx context.Context) ([]githubJob, error) {
	next := s.repoURL("/actions/runs/%s/jobs?filter=latest&per_page=100", s.t.Run)
	if s.t.Attempt > 0 {
		next = s.repoURL("/actions/runs/%s/attempts/%d/jobs?per_page=100", s.t.Run, s.t.Attempt)
	}
	var jobs []githubJob
	for page := 0; next != ""; page++ {
		if page == githubMaxPages {
			return nil, fmt.Errorf("run %s has more than %d pages of jobs; pass a job URL", s.t.Run, githubMaxPages)
		}
		var body struct {
			TotalCount int         `json:"total_count"`
			Jobs       []githubJob `json:"jobs"`
		}
		h, err := s.c.getJSON(ctx, s.req(next), &body)
		if err != nil {
			return nil, s.explain(err, "run "+s.t.Run+" of "+s.t.Project)
		}
		jobs = append(jobs, body.Jobs...)
		next, err = nextLink(h, next)
		if err != nil {
			return nil, err
		}
	}
	return jobs, nil
}

// nextLink returns the rel="next" URL of a Link header, resolved against the current URL.
// A next page on another origin is refused: the token would not follow it anyway.
func nextLink(h http.Header, cur string) (string, error) {
	for _, v := range h.Values("Link") {
		for _, part := range strings.Split(v, ",") {
			segs := strings.Split(part, ";")
			target := strings.TrimSpace(segs[0])
			if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			isNext := false
			for _, p := range segs[1:] {
				p = strings.TrimSpace(p)
				if p == `rel="next"` || p == "rel=next" {
					isNext = true
				}
			}
			if !isNext {
				continue
			}
			base, err := url.Parse(cur)
			if err != nil {
				return "", err
			}
			u, err := base.Parse(target[1 : len(target)-1])
			if err != nil {
				return "", fmt.Errorf("bad Link header from %s: %v", base.Host, err)
			}
			if netguard.Origin(u) != netguard.Origin(base) {
				return "", fmt.Errorf("%s sent a next page on another host (%s); not followed", base.Host, u.Host)
			}
			return u.String(), nil
		}
	}
	return "", nil
}

func (s *githubSession) jobLog(j githubJob) *Log {
	id := strconv.FormatInt(j.ID, 10)
	run := s.t.Run
	if j.RunID != 0 {
		run = strconv.FormatInt(j.RunID, 10)
	}
	name := s.t.Host + "/" + s.t.Project + "/actions/runs/" + run + "/job/" + id
	if title := j.title(); title != "" {
		name += " (" + title + ")"
	}
	return &Log{Name: name, open: func(ctx context.Context) (io.ReadCloser, int64, error) {
		rc, n, err := s.c.stream(ctx, s.req(s.repoURL("/actions/jobs/%s/logs", id)), "the log of job "+id)
		if err == nil {
			return rc, n, nil
		}
		// Per-job logs can be missing (older GitHub Enterprise Server, some retries); the
		// run's log archive has them per step.
		var he *HTTPError
		if errors.As(err, &he) && (he.Status == http.StatusNotFound || he.Status >= 500) {
			if rc, zerr := s.zipJobLog(ctx, run, j); zerr == nil {
				return rc, -1, nil
			}
		}
		return nil, 0, s.explain(err, "job "+id)
	}}
}
