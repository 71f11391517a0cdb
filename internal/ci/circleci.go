package ci

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// CircleCI: https://app.circleci.com/pipelines/VCS/ORG/REPO/PIPELINE/workflows/ID/jobs/NUM
// and the legacy https://circleci.com/VCS/ORG/REPO/NUM. The v1.1 "single job" API lists the
// job's steps; each step's output lives at a signed output_url (no token), a JSON array of
// {"message", "type", "time"}.

const circleAPI = "https://circleci.com/api/v1.1"

var circleVCS = map[string]string{"gh": "gh", "github": "gh", "bb": "bb", "bitbucket": "bb"}

func (t *Target) parseCircleCI(host string, p []string) error {
	const forms = "expected app.circleci.com/pipelines/VCS/ORG/REPO/N/workflows/ID/jobs/NUM or circleci.com/VCS/ORG/REPO/NUM"
	t.Provider = CircleCI
	var vcs, org, repo, num string
	switch {
	case host == "app.circleci.com" && len(p) >= 9 && p[0] == "pipelines" && p[5] == "workflows" && p[7] == "jobs":
		vcs, org, repo, num = p[1], p[2], p[3], p[8]
		if rest := p[9:]; len(rest) > 0 && rest[0] != "parallel-runs" {
			return errors.New("unexpected path after the job number: " + forms)
		}
	case host != "app.circleci.com" && len(p) == 4:
		vcs, org, repo, num = p[0], p[1], p[2], p[3]
	case host == "app.circleci.com" && len(p) >= 5 && p[0] == "pipelines" && !(len(p) >= 8 && p[7] == "jobs"):
		return errors.New("this is a CircleCI pipeline or workflow, not a job: open the failed job and pass its URL (…/jobs/NUM)")
	default:
		return errors.New("not a CircleCI job URL: " + forms)
	}
	v, ok := circleVCS[vcs]
	if !ok {
		if vcs == "circleci" {
			return errors.New("projects with circleci/ slugs (GitLab or GitHub App integrations) have no step log API; download the log from the web page and analyze the file")
		}
		return fmt.Errorf("unknown VCS %q: expected github (gh) or bitbucket (bb)", vcs)
	}
	if !isDigits(num) {
		return fmt.Errorf("the job number %q is not a number: %s", num, forms)
	}
	t.Project = v + "/" + org + "/" + repo
	t.Job = num
	return nil
}

func (c *Client) circleLimited(he *HTTPError) (bool, time.Time) {
	if he.Status != http.StatusTooManyRequests {
		return false, time.Time{}
	}
	if d, ok := retryAfter(he.Header); ok {
		return true, c.now().Add(d)
	}
	return true, time.Time{}
}

type circleJob struct {
	Status    string `json:"status"`
	Workflows struct {
		JobName      string `json:"job_name"`
		WorkflowName string `json:"workflow_name"`
	} `json:"workflows"`
	Steps []struct {
		Name    string `json:"name"`
		Actions []struct {
			Name      string `json:"name"`
			Index     int    `json:"index"`
			HasOutput bool   `json:"has_output"`
			OutputURL string `json:"output_url"`
			Status    string `json:"status"`
		} `json:"actions"`
	} `json:"steps"`
}

type circleOutput struct {
	step string
	url  string
}

func (c *Client) circleLogs(ctx context.Context, t *Target) ([]*Log, error) {
	api, _, err := c.apiBase("SLEUTH_CIRCLECI_API_URL", circleAPI)
	if err != nil {
		return nil, err
	}
	a := access{provider: "CircleCI", vars: []string{"CIRCLE_TOKEN", "CIRCLECI_CLI_TOKEN"},
		needs: "access to the project (a personal API token from User Settings, Personal API Tokens)"}
	var cred *credential
	if name, v := c.firstEnv(a.vars...); name != "" {
		a.used = name
		cred = &credential{env: name, header: "Circle-Token", value: v, origin: mustOrigin(api)}
	}
	var j circleJob
	u := api + "/project/" + t.Project + "/" + t.Job
	if _, err := c.getJSON(ctx, request{url: u, cred: cred, accept: "application/json"}, &j); err != nil {
		return nil, c.explain(err, "job "+t.Job+" of "+t.Project, a, c.circleLimited)
	}
	var outs []circleOutput
	for _, s := range j.Steps {
		for _, act := range s.Actions {
			if act.OutputURL == "" {
				continue
			}
			name := s.Name
			if name == "" {
				name = act.Name
			}
			if len(s.Actions) > 1 {
				name = fmt.Sprintf("%s (container %d)", name, act.Index)
			}
			outs = append(outs, circleOutput{step: name, url: act.OutputURL})
		}
	}
	name := t.Display
	title := j.Workflows.JobName
	if j.Workflows.WorkflowName != "" && title != "" {
		title = j.Workflows.WorkflowName + " / " + title
	}
	if title != "" {
		name += " (" + title + ")"
	}
	return []*Log{{Name: name, open: func(ctx context.Context) (io.ReadCloser, int64, error) {
		if len(outs) == 0 {
			return nil, 0, fmt.Errorf("job %s has no step output (status %s)", t.Job, orUnknown(j.Status))
		}
		return pipeLog(ctx, func(ctx context.Context, w *logWriter) error {
			for _, o := range outs {
				if err := w.step(o.step); err != nil {
					return err
				}
				if err := c.circleStepOutput(ctx, o, w); err != nil {
					return err
				}
				if err := w.endLine(); err != nil {
					return err
				}
			}
			return nil
		}), -1, nil
	}}}, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// circleStepOutput streams one step's output messages into w, without holding the whole
// array in memory.
func (c *Client) circleStepOutput(ctx context.Context, o circleOutput, w io.Writer) error {
	resp, err := c.get(ctx, request{url: o.url, accept: "application/json"})
	if err != nil {
		var he *HTTPError
		if errors.As(err, &he) && (he.Status == http.StatusForbidden || he.Status == http.StatusNotFound) {
			return fmt.Errorf("the output of step %q: %v: the signed link may have expired; try again", o.step, err)
		}
		return fmt.Errorf("the output of step %q: %v", o.step, err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(capped(resp.Body, maxLogBytes, "the output of step "+o.step))
	var r io.Reader = br
	// The output is sometimes stored gzip-compressed without a Content-Encoding.
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("the output of step %q: %v", o.step, err)
		}
		defer gz.Close()
		r = gz
	}
	dec := json.NewDecoder(r)
	bad := func(err error) error {
		return fmt.Errorf("the output of step %q is not the expected JSON array: %v", o.step, err)
	}
	if tok, err := dec.Token(); err != nil {
		return bad(err)
	} else if d, ok := tok.(json.Delim); !ok || d != '[' {
		return bad(fmt.Errorf("starts with %v", tok))
	}
	for dec.More() {
		var m struct {
			Message string `json:"message"`
		}
		if err := dec.Decode(&m); err != nil {
			return bad(err)
		}
		if _, err := io.WriteString(w, m.Message); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return bad(err)
	}
	return nil
}
