package citest

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// GitLab fixtures. Project group/sub/project (public): pipeline 100 with jobs 101 push-image
// (failed), 102 unit (success), 103 flaky (failed, allowed to fail). Project group/private
// needs the token (PRIVATE-TOKEN or JOB-TOKEN); group/limited is rate limited. The project
// path must come URL-encoded (group%2Fsub%2Fproject), as the API requires.

type glJob struct {
	project string
	id      int64
	name    string
	stage   string
	status  string
	allowed bool
}

var gitlabFixtureJobs = []glJob{
	{"group/sub/project", 101, "push-image", "deploy", "failed", false},
	{"group/sub/project", 102, "unit", "test", "success", false},
	{"group/sub/project", 103, "flaky", "test", "failed", true},
	{"group/private", 201, "push-image", "deploy", "failed", false},
}

// GitLabTraceLog is the trace of job 101: docker push without credentials in the
// step_script section.
const GitLabTraceLog = "\x1b[0KRunning with gitlab-runner 17.0.0 (44feccdf)\x1b[0;m\n" +
	"\x1b[0K  on runner-1 t3_abc, system ID: s_123\x1b[0;m\n" +
	"section_start:1714568400:prepare_executor\r\x1b[0K\x1b[0K\x1b[36;1mPreparing the \"docker\" executor\x1b[0;m\x1b[0;m\n" +
	"\x1b[0KUsing Docker executor with image docker:27 ...\x1b[0;m\n" +
	"section_end:1714568402:prepare_executor\r\x1b[0K\n" +
	"section_start:1714568405:step_script\r\x1b[0K\x1b[0K\x1b[36;1mExecuting \"step_script\" stage of the job script\x1b[0;m\x1b[0;m\n" +
	"\x1b[32;1m$ docker push registry.example.com/group/app:latest\x1b[0;m\n" +
	"The push refers to repository [registry.example.com/group/app]\n" +
	"no basic auth credentials\n" +
	"section_end:1714568407:step_script\r\x1b[0K\n" +
	"\x1b[31;1mERROR: Job failed: exit code 1\n\x1b[0;m\n"

// messageError answers {"message": msg}, the error body of GitLab, CircleCI and Buildkite.
func messageError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"message": msg})
}

func (s *Server) gitlab(w http.ResponseWriter, r *http.Request, p string) {
	authed := false
	if v := r.Header.Get("Private-Token") + r.Header.Get("Job-Token"); v != "" {
		if v != Token {
			messageError(w, http.StatusUnauthorized, "401 Unauthorized")
			return
		}
		authed = true
	}
	// /projects/:id/... where :id is the URL-encoded path: its slashes are %2F.
	rest, ok := strings.CutPrefix(p, "/projects/")
	if !ok {
		messageError(w, http.StatusNotFound, "404 Not Found")
		return
	}
	enc, tail, _ := strings.Cut(rest, "/")
	project, err := url.PathUnescape(enc)
	if err != nil {
		messageError(w, http.StatusNotFound, "404 Project Not Found")
		return
	}
	switch project {
	case "group/private":
		if !authed {
			messageError(w, http.StatusNotFound, "404 Project Not Found")
			return
		}
	case "group/limited":
		w.Header().Set("RateLimit-Limit", "2000")
		w.Header().Set("RateLimit-Remaining", "0")
		w.Header().Set("RateLimit-Reset", strconv.Itoa(RateLimitReset))
		w.Header().Set("Retry-After", "60")
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, "Retry later\n")
		return
	case "group/sub/project":
	default:
		messageError(w, http.StatusNotFound, "404 Project Not Found")
		return
	}
	parts := strings.Split(tail, "/")
	find := func(id string) (glJob, bool) {
		for _, j := range gitlabFixtureJobs {
			if j.project == project && strconv.FormatInt(j.id, 10) == id {
				return j, true
			}
		}
		return glJob{}, false
	}
	jobJSON := func(j glJob) map[string]any {
		return map[string]any{
			"id": j.id, "name": j.name, "stage": j.stage, "status": j.status, "ref": "main",
			"allow_failure": j.allowed, "tag": false, "created_at": "2024-05-01T13:00:00.000Z",
			"web_url":  fmt.Sprintf("https://gitlab.example.com/%s/-/jobs/%d", j.project, j.id),
			"pipeline": map[string]any{"id": 100, "project_id": 7, "ref": "main", "status": "failed"},
		}
	}
	switch {
	case len(parts) == 2 && parts[0] == "jobs": // GET /projects/:id/jobs/:job_id
		j, ok := find(parts[1])
		if !ok {
			messageError(w, http.StatusNotFound, "404 Not found")
			return
		}
		writeJSON(w, http.StatusOK, jobJSON(j))
	case len(parts) == 3 && parts[0] == "jobs" && parts[2] == "trace": // the log file
		if _, ok := find(parts[1]); !ok {
			messageError(w, http.StatusNotFound, "404 Not found")
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, GitLabTraceLog)
	case len(parts) == 3 && parts[0] == "pipelines" && parts[2] == "jobs":
		var jobs []map[string]any
		// GitLab lists a pipeline's jobs newest first.
		for i := len(gitlabFixtureJobs) - 1; i >= 0; i-- {
			if j := gitlabFixtureJobs[i]; j.project == project && parts[1] == "100" {
				jobs = append(jobs, jobJSON(j))
			}
		}
		if len(jobs) == 0 {
			messageError(w, http.StatusNotFound, "404 Not found")
			return
		}
		from, to := s.paginate(w, r, len(jobs))
		w.Header().Set("X-Total", strconv.Itoa(len(jobs)))
		writeJSON(w, http.StatusOK, jobs[from:to])
	default:
		messageError(w, http.StatusNotFound, "404 Not Found")
	}
}

// CircleCI fixtures: gh/acme/app job 7 (public, failed in step "./gradlew build", with a
// parallel step), gh/acme/private job 9 (needs the token).

type circleMsg struct {
	Message string `json:"message"`
	Time    string `json:"time"`
	Type    string `json:"type"`
}

var circleOutputs = map[string][]circleMsg{
	"7-0": {{Message: "Build-agent version 1.0.250000-abc (2024-05-01T13:00:00+0000)\r\n", Type: "out"}},
	"7-1": {{Message: "Cloning git repository\r\nCloning into '.'...\r\n", Type: "out"}},
	"7-2": {
		{Message: "> Task :app:compileJava FAILED\r\n\r\nFAILURE: Build failed with an exception.\r\n", Type: "out"},
		{Message: "\r\n* What went wrong:\r\nExecution failed for task ':app:compileJava'.\r\n> Could not resolve all files for configuration ':app:compileClasspath'.\r\n   > Could not resolve com.acme:lib:1.2.3.\r\n      > Could not GET 'https://maven.example.com/releases/com/acme/lib/1.2.3/lib-1.2.3.pom'. ", Type: "err"},
		{Message: "Received status code 401 from server: Unauthorized\r\n", Type: "err"},
		{Message: "\r\nExited with code exit status 1\r\n", Type: "out"},
	},
	"7-3-0": {{Message: "tests 1..40 ok\r\n", Type: "out"}},
	"7-3-1": {{Message: "tests 41..80 ok\r\n", Type: "out"}},
	"9-0":   {{Message: "private output\r\n", Type: "out"}},
}

func (s *Server) circleJobJSON(project string, num int) map[string]any {
	action := func(step, index int, name, key, status string, parallel bool) map[string]any {
		return map[string]any{
			"index": index, "step": step, "name": name, "type": "test", "status": status,
			"parallel": parallel, "has_output": true, "output_url": s.signed("/circle-output/" + key),
			"truncated": false, "failed": status == "failed", "exit_code": 0, "messages": []string{},
			"start_time": "2024-05-01T13:00:00.000Z", "end_time": "2024-05-01T13:00:01.000Z", "run_time_millis": 1000,
		}
	}
	steps := []map[string]any{
		{"name": "Spin up environment", "actions": []any{action(0, 0, "Spin up environment", "7-0", "success", false)}},
		{"name": "Checkout code", "actions": []any{action(101, 0, "Checkout code", "7-1", "success", false)}},
		{"name": "Run tests", "actions": []any{action(102, 0, "Run tests", "7-3-0", "success", true), action(102, 1, "Run tests", "7-3-1", "success", true)}},
		{"name": "./gradlew build", "actions": []any{action(103, 0, "./gradlew build", "7-2", "failed", false)}},
		{"name": "Uploading artifacts", "actions": []any{map[string]any{"index": 0, "step": 104, "name": "Uploading artifacts", "has_output": false, "status": "success"}}},
	}
	if num == 9 {
		steps = []map[string]any{{"name": "Build", "actions": []any{action(0, 0, "Build", "9-0", "failed", false)}}}
	}
	return map[string]any{
		"vcs_url":   "https://github.com/" + project,
		"build_url": fmt.Sprintf("https://circleci.com/gh/%s/%d", project, num),
		"build_num": num, "branch": "main", "lifecycle": "finished", "outcome": "failed", "status": "failed",
		"workflows": map[string]any{"job_name": "build", "workflow_name": "main", "workflow_id": "6a1e9b6c-0000-4000-8000-000000000001"},
		"steps":     steps,
	}
}

func (s *Server) circleci(w http.ResponseWriter, r *http.Request, p string) {
	if v := r.Header.Get("Circle-Token"); v != "" && v != Token {
		messageError(w, http.StatusUnauthorized, "You must log in first.")
		return
	}
	// /project/:vcs/:org/:repo/:num
	parts := strings.Split(strings.TrimPrefix(p, "/project/"), "/")
	if len(parts) != 4 || parts[0] != "gh" {
		messageError(w, http.StatusNotFound, "Project not found")
		return
	}
	project := parts[1] + "/" + parts[2]
	num, _ := strconv.Atoi(parts[3])
	switch {
	case project == "acme/app" && num == 7:
	case project == "acme/private" && num == 9 && r.Header.Get("Circle-Token") != "":
	case project == "acme/private":
		messageError(w, http.StatusNotFound, "Project not found")
		return
	default:
		messageError(w, http.StatusNotFound, "Build not found")
		return
	}
	body := s.circleJobJSON(project, num)
	if !strings.Contains(r.Header.Get("Accept"), "application/json") {
		// Without the JSON Accept header, v1.1 answers for humans.
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "// Hello human (for machine readable JSON, use the \"application/json\" Accept header)\n")
	}
	writeJSON(w, http.StatusOK, body)
}

// Buildkite fixtures: acme/app build 42 with jobs BuildkitePushJob (failed), a passed job, a
// waiter and a soft-failed job. Every request needs the token; LogsOnlyToken may read logs
// but not builds. Organization "limited" is rate limited.

// Buildkite job ids of build 42.
const (
	BuildkiteBuildJob = "0190a1b2-c3d4-4e5f-8a9b-000000000001"
	BuildkitePushJob  = "0190a1b2-c3d4-4e5f-8a9b-000000000002"
	BuildkiteLintJob  = "0190a1b2-c3d4-4e5f-8a9b-000000000003"
)

// BuildkitePushLog is the log of BuildkitePushJob: npm E401 under the "Install" header.
const BuildkitePushLog = "\x1b_bk;t=1714568400000\x07~~~ Preparing working directory\n" +
	"\x1b_bk;t=1714568400100\x07$ cd /buildkite/builds/agent-1/acme/app\n" +
	"\x1b_bk;t=1714568401000\x07--- :npm: Install\n" +
	"\x1b_bk;t=1714568401100\x07$ npm ci\n" +
	"\x1b_bk;t=1714568405000\x07npm ERR! code E401\n" +
	"\x1b_bk;t=1714568405100\x07npm ERR! Unable to authenticate, your authentication token seems to be invalid.\n" +
	"\x1b_bk;t=1714568405200\x07^^^ +++\n" +
	"\x1b_bk;t=1714568405300\x07\U0001f6a8 Error: The command exited with status 1\n"

func (s *Server) buildkite(w http.ResponseWriter, r *http.Request, p string) {
	auth := r.Header.Get("Authorization")
	if auth != "Bearer "+Token && auth != "Bearer "+LogsOnlyToken {
		messageError(w, http.StatusUnauthorized, "Authentication required. Please supply a valid API Access Token: https://buildkite.com/docs/apis/rest-api#authentication")
		return
	}
	// /organizations/:org/pipelines/:pipeline/builds/:number[/jobs/:job/log.txt]
	parts := strings.Split(strings.TrimPrefix(p, "/organizations/"), "/")
	if len(parts) > 0 && parts[0] == "limited" {
		w.Header().Set("RateLimit-Remaining", "0")
		w.Header().Set("RateLimit-Limit", "200")
		w.Header().Set("RateLimit-Reset", "42")
		messageError(w, http.StatusTooManyRequests, "You have exceeded your rate limit")
		return
	}
	if len(parts) < 5 || parts[0] != "acme" || parts[1] != "pipelines" || parts[2] != "app" || parts[3] != "builds" || parts[4] != "42" {
		messageError(w, http.StatusNotFound, "No build found")
		return
	}
	base := "http://" + r.Host + "/v2/organizations/acme/pipelines/app/builds/42"
	job := func(id, name, state string, soft bool) map[string]any {
		return map[string]any{
			"id": id, "type": "script", "name": name, "step_key": nil, "state": state, "soft_failed": soft,
			"web_url": "https://buildkite.com/acme/app/builds/42#" + id, "log_url": base + "/jobs/" + id + "/log",
			"raw_log_url": base + "/jobs/" + id + "/log.txt", "exit_status": 1,
		}
	}
	switch rest := parts[5:]; {
	case len(rest) == 0:
		if auth == "Bearer "+LogsOnlyToken {
			messageError(w, http.StatusForbidden, "Your access token does not have the read_builds scope")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"id": "0190a1b2-0000-4000-8000-000000000042", "number": 42, "state": "failed",
			"web_url": "https://buildkite.com/acme/app/builds/42",
			"jobs": []any{
				job(BuildkiteBuildJob, ":hammer: Build", "passed", false),
				map[string]any{"id": "0190a1b2-c3d4-4e5f-8a9b-0000000000ff", "type": "waiter"},
				job(BuildkitePushJob, ":docker: Push", "failed", false),
				job(BuildkiteLintJob, "Lint", "failed", true),
			},
		})
	case len(rest) == 3 && rest[0] == "jobs" && rest[2] == "log.txt":
		switch rest[1] {
		case BuildkitePushJob:
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, BuildkitePushLog)
		case BuildkiteBuildJob, BuildkiteLintJob:
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, "--- build\nok\n")
		default:
			messageError(w, http.StatusNotFound, "No job found")
		}
	default:
		messageError(w, http.StatusNotFound, "Not Found")
	}
}
