package ci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Buildkite: https://buildkite.com/ORG/PIPELINE/builds/N#JOB_UUID (a job; the new build page
// also names it with ?jid=JOB_UUID) and https://buildkite.com/ORG/PIPELINE/builds/N (a
// build). The log is GET /v2/organizations/ORG/pipelines/PIPELINE/builds/N/jobs/JOB/log.txt.

const buildkiteAPI = "https://api.buildkite.com/v2"

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func (t *Target) parseBuildkite(p []string, u *url.URL) error {
	const forms = "expected buildkite.com/ORG/PIPELINE/builds/N#JOB_UUID or buildkite.com/ORG/PIPELINE/builds/N"
	t.Provider = Buildkite
	if len(p) < 4 || p[2] != "builds" {
		return errors.New("not a Buildkite build or job URL: " + forms)
	}
	if !isDigits(p[3]) {
		return fmt.Errorf("the build number %q is not a number: %s", p[3], forms)
	}
	t.Project = p[0] + "/" + p[1]
	t.Run = p[3]
	job := u.Fragment
	if j := u.Query().Get("jid"); j != "" {
		job = j
	}
	switch rest := p[4:]; {
	case len(rest) == 2 && rest[0] == "jobs":
		job = rest[1]
	case len(rest) > 0 && rest[0] != "steps" && rest[0] != "summary":
		return errors.New("unexpected path after the build number: " + forms)
	}
	if job != "" && !uuidRE.MatchString(job) {
		return fmt.Errorf("%q is not a job UUID: %s", job, forms)
	}
	t.Job = strings.ToLower(job)
	return nil
}

func (c *Client) buildkiteLimited(he *HTTPError) (bool, time.Time) {
	if he.Status != http.StatusTooManyRequests {
		return false, time.Time{}
	}
	// Buildkite's RateLimit-Reset is the number of seconds until the limit resets.
	if n, err := strconv.Atoi(he.Header.Get("RateLimit-Reset")); err == nil && n >= 0 {
		return true, c.now().Add(time.Duration(n) * time.Second)
	}
	if d, ok := retryAfter(he.Header); ok {
		return true, c.now().Add(d)
	}
	return true, time.Time{}
}

type buildkiteJob struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Name       string `json:"name"`
	Label      string `json:"label"`
	State      string `json:"state"`
	SoftFailed bool   `json:"soft_failed"`
}

func (j buildkiteJob) title() string {
	if j.Name != "" {
		return j.Name
	}
	return j.Label
}

func (c *Client) buildkiteLogs(ctx context.Context, t *Target) ([]*Log, error) {
	api, _, err := c.apiBase("SLEUTH_BUILDKITE_API_URL", buildkiteAPI)
	if err != nil {
		return nil, err
	}
	a := access{provider: "Buildkite", vars: []string{"BUILDKITE_API_TOKEN"},
		needs: "the read_build_logs scope (and read_builds to name the job)"}
	var cred *credential
	if name, v := c.firstEnv(a.vars...); name != "" {
		a.used = name
		cred = &credential{env: name, header: "Authorization", value: "Bearer " + v, origin: mustOrigin(api)}
	}
	org, pipeline, _ := strings.Cut(t.Project, "/")
	build := api + "/organizations/" + url.PathEscape(org) + "/pipelines/" + url.PathEscape(pipeline) + "/builds/" + t.Run
	explain := func(err error, what string) error { return c.explain(err, what, a, c.buildkiteLimited) }
	logOf := func(j buildkiteJob) *Log {
		name := t.Host + "/" + t.Project + "/builds/" + t.Run + "#" + j.ID
		if title := j.title(); title != "" {
			name += " (" + title + ")"
		}
		return &Log{Name: name, open: func(ctx context.Context) (io.ReadCloser, int64, error) {
			rc, n, err := c.stream(ctx, request{url: build + "/jobs/" + url.PathEscape(j.ID) + "/log.txt", cred: cred, accept: "text/plain"}, "the log of job "+j.ID)
			if err != nil {
				return nil, 0, explain(err, "job "+j.ID)
			}
			return rc, n, nil
		}}
	}
	var b struct {
		Jobs []buildkiteJob `json:"jobs"`
	}
	_, err = c.getJSON(ctx, request{url: build, cred: cred, accept: "application/json"}, &b)
	if t.Job != "" {
		// The build only names the job: a token without read_builds can still read the log.
		var he *HTTPError
		if err != nil && !(errors.As(err, &he) && he.Status == http.StatusForbidden) {
			return nil, explain(err, "build "+t.Run+" of "+t.Project)
		}
		j := buildkiteJob{ID: t.Job}
		for _, bj := range b.Jobs {
			if strings.EqualFold(bj.ID, t.Job) {
				j = bj
			}
		}
		if err == nil && j.Type == "" {
			return nil, fmt.Errorf("build %s has no job %s", t.Run, t.Job)
		}
		return []*Log{logOf(j)}, nil
	}
	if err != nil {
		return nil, explain(err, "build "+t.Run+" of "+t.Project)
	}
	var logs []*Log
	counts := map[string]int{}
	n := 0
	for _, j := range b.Jobs {
		if j.Type != "script" {
			continue // waiters, block and trigger steps have no log
		}
		n++
		counts[j.State]++
		if c.allJobs || ((j.State == "failed" || j.State == "timed_out") && !j.SoftFailed) {
			logs = append(logs, logOf(j))
		}
	}
	if len(logs) == 0 {
		if n == 0 {
			return nil, fmt.Errorf("build %s has no command jobs", t.Run)
		}
		return nil, fmt.Errorf("build %s has no failed jobs (%s); pass a job URL, or --all-jobs to analyze every job", t.Run, countText(n, counts))
	}
	return logs, nil
}
