package ci

import (
	"cmp"
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

// GitLab (gitlab.com or self-managed): https://HOST/GROUP[/SUBGROUP...]/PROJECT/-/jobs/ID
// (a job) and .../-/pipelines/ID (a pipeline). The API is at https://HOST/api/v4.

const gitlabMaxPages = 50

func (t *Target) parseGitLab(p []string) error {
	const forms = "expected GROUP/PROJECT/-/jobs/ID or GROUP/PROJECT/-/pipelines/ID"
	i := indexOf(p, "-")
	if i < 2 {
		return errors.New("not a GitLab job URL: the project path needs a group and a project: " + forms)
	}
	t.Provider = GitLab
	t.Project = strings.Join(p[:i], "/")
	rest := p[i+1:]
	if len(rest) == 3 && rest[0] == "jobs" && rest[2] == "raw" {
		rest = rest[:2]
	}
	if len(rest) != 2 || (rest[0] != "jobs" && rest[0] != "pipelines") {
		return errors.New("not a GitLab job or pipeline URL: " + forms)
	}
	if !isDigits(rest[1]) {
		return fmt.Errorf("the %s id %q is not a number: %s", strings.TrimSuffix(rest[0], "s"), rest[1], forms)
	}
	if rest[0] == "jobs" {
		t.Job = rest[1]
	} else {
		t.Run = rest[1]
	}
	return nil
}

func gitlabAPIBase(t *Target) string {
	scheme := "https"
	if t.Scheme == "http" && netguard.IsLoopback(t.Host) {
		scheme = "http"
	}
	return scheme + "://" + t.Host + "/api/v4"
}

// hostOf returns the host[:port] of a URL or bare host name, lower case.
func hostOf(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	if !strings.Contains(v, "://") {
		v = "https://" + v
	}
	u, err := url.Parse(v)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// gitlabAccess picks the token: GITLAB_TOKEN (sent as PRIVATE-TOKEN) for the host glab
// uses it for (GITLAB_HOST, default gitlab.com), then CI_JOB_TOKEN (sent as JOB-TOKEN) for
// the instance the job runs on (CI_SERVER_URL). A token is never sent to another host.
func (c *Client) gitlabAccess(t *Target, api string, overridden bool) (*credential, access) {
	a := access{
		provider: "GitLab",
		vars:     []string{"GITLAB_TOKEN", "CI_JOB_TOKEN"},
		needs:    "the read_api scope (and at least the Reporter role on a private project)",
		gone:     "it was erased or removed by the instance's job log retention",
	}
	tokenHost := hostOf(c.getenv("GITLAB_HOST"))
	if tokenHost == "" {
		tokenHost = hostOf(c.getenv("GL_HOST"))
	}
	if tokenHost == "" {
		tokenHost = "gitlab.com"
	}
	serverHost := hostOf(c.getenv("CI_SERVER_URL"))
	if serverHost == "" {
		serverHost = hostOf(c.getenv("CI_SERVER_HOST"))
	}
	o := mustOrigin(api)
	if v := strings.TrimSpace(c.getenv("GITLAB_TOKEN")); v != "" {
		if overridden || tokenHost == t.Host {
			a.used = "GITLAB_TOKEN"
			return &credential{env: a.used, header: "PRIVATE-TOKEN", value: v, origin: o}, a
		}
		a.note = fmt.Sprintf("GITLAB_TOKEN is set but is for %s; set GITLAB_HOST=%s://%s to use it for %s", tokenHost, t.Scheme, t.Host, t.Host)
	}
	if v := strings.TrimSpace(c.getenv("CI_JOB_TOKEN")); v != "" {
		if overridden || serverHost == t.Host {
			a.used = "CI_JOB_TOKEN"
			return &credential{env: a.used, header: "JOB-TOKEN", value: v, origin: o}, a
		}
		if a.note == "" {
			a.note = "CI_JOB_TOKEN is set but is for " + orNone(serverHost)
		}
	}
	return nil, a
}

func orNone(s string) string {
	if s == "" {
		return "another instance"
	}
	return s
}

func (c *Client) gitlabLimited(he *HTTPError) (bool, time.Time) {
	if he.Status != http.StatusTooManyRequests {
		return false, time.Time{}
	}
	if n, err := strconv.ParseInt(he.Header.Get("RateLimit-Reset"), 10, 64); err == nil && n > 0 {
		return true, time.Unix(n, 0)
	}
	if d, ok := retryAfter(he.Header); ok {
		return true, c.now().Add(d)
	}
	return true, time.Time{}
}

type gitlabJob struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Stage        string `json:"stage"`
	Status       string `json:"status"`
	AllowFailure bool   `json:"allow_failure"`
}

func (c *Client) gitlabLogs(ctx context.Context, t *Target) ([]*Log, error) {
	api, overridden, err := c.apiBase("SLEUTH_GITLAB_API_URL", gitlabAPIBase(t))
	if err != nil {
		return nil, err
	}
	cred, a := c.gitlabAccess(t, api, overridden)
	project := api + "/projects/" + url.PathEscape(t.Project)
	explain := func(err error, what string) error { return c.explain(err, what, a, c.gitlabLimited) }
	logOf := func(j gitlabJob) *Log {
		id := strconv.FormatInt(j.ID, 10)
		name := t.Host + "/" + t.Project + "/-/jobs/" + id
		if j.Name != "" {
			name += " (" + j.Name + ")"
		}
		return &Log{Name: name, open: func(ctx context.Context) (io.ReadCloser, int64, error) {
			rc, n, err := c.stream(ctx, request{url: project + "/jobs/" + id + "/trace", cred: cred}, "the log of job "+id)
			if err != nil {
				return nil, 0, explain(err, "job "+id)
			}
			return rc, n, nil
		}}
	}
	if t.Job != "" {
		var j gitlabJob
		if _, err := c.getJSON(ctx, request{url: project + "/jobs/" + t.Job, cred: cred, accept: "application/json"}, &j); err != nil {
			return nil, explain(err, "job "+t.Job+" of "+t.Project)
		}
		return []*Log{logOf(j)}, nil
	}
	next := project + "/pipelines/" + t.Run + "/jobs?per_page=100"
	var jobs []gitlabJob
	for page := 0; next != ""; page++ {
		if page == gitlabMaxPages {
			return nil, fmt.Errorf("pipeline %s has more than %d pages of jobs; pass a job URL", t.Run, gitlabMaxPages)
		}
		var batch []gitlabJob
		h, err := c.getJSON(ctx, request{url: next, cred: cred, accept: "application/json"}, &batch)
		if err != nil {
			return nil, explain(err, "pipeline "+t.Run+" of "+t.Project)
		}
		jobs = append(jobs, batch...)
		if next, err = nextLink(h, next); err != nil {
			return nil, err
		}
	}
	// The API lists the newest first; the pipeline's order is the jobs' order.
	slices.SortStableFunc(jobs, func(a, b gitlabJob) int { return cmp.Compare(a.ID, b.ID) })
	var failed, allowed, all []*Log
	counts := map[string]int{}
	for _, j := range jobs {
		counts[j.Status]++
		l := logOf(j)
		all = append(all, l)
		switch {
		case j.Status == "failed" && j.AllowFailure:
			allowed = append(allowed, l)
		case j.Status == "failed":
			failed = append(failed, l)
		}
	}
	switch {
	case c.allJobs && len(all) > 0:
		return all, nil
	case len(failed) > 0:
		return failed, nil
	case len(allowed) > 0:
		return allowed, nil
	case len(jobs) == 0:
		return nil, fmt.Errorf("pipeline %s has no jobs", t.Run)
	}
	return nil, fmt.Errorf("pipeline %s has no failed jobs (%s); pass a job URL, or --all-jobs to analyze every job", t.Run, countText(len(jobs), counts))
}
