package citest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// GitHub fixtures. Repositories: acme/app (public), acme/private (needs the token),
// acme/limited (rate limited), acme/noscope (the token lacks access), acme/sso (the token
// is not authorized for the organization's SAML single sign-on).
//
// acme/app run 1: jobs 11 test (failure), 12 lint (success), 13 build (failure), 14 docs
// (skipped), two per page. Run 2: job 21 deploy (failure) whose per-job log is missing (404)
// but whose run archive has it per step. Run 3: job 31 (failure) whose log expired (410).
// Run 5: jobs 51, 52, all successful. acme/private run 4: job 41 (failure).

type ghJob struct {
	repo       string
	id, run    int64
	name       string
	workflow   string
	conclusion string
}

var githubFixtureJobs = []ghJob{
	{"acme/app", 11, 1, "test", "ci", "failure"},
	{"acme/app", 12, 1, "lint", "ci", "success"},
	{"acme/app", 13, 1, "build", "ci", "failure"},
	{"acme/app", 14, 1, "docs", "ci", "skipped"},
	{"acme/app", 21, 2, "deploy", "release", "failure"},
	{"acme/app", 31, 3, "test", "nightly", "failure"},
	{"acme/private", 41, 4, "test", "ci", "failure"},
	{"acme/app", 51, 5, "test", "ci", "success"},
	{"acme/app", 52, 5, "lint", "ci", "success"},
	{"acme/limited", 61, 6, "test", "ci", "failure"},
	{"acme/noscope", 71, 7, "test", "ci", "failure"},
	{"acme/sso", 81, 8, "test", "ci", "failure"},
}

// GitHubTestLog is the log of job 11: npm refused with E401 in step "Run npm ci".
const GitHubTestLog = `2024-05-01T13:00:00.0000000Z ##[group]Runner Image
2024-05-01T13:00:00.0100000Z   Image: ubuntu-24.04
2024-05-01T13:00:00.0200000Z ##[endgroup]
2024-05-01T13:00:01.0000000Z ##[group]Run actions/checkout@v4
2024-05-01T13:00:01.1000000Z with:
2024-05-01T13:00:01.2000000Z   repository: acme/app
2024-05-01T13:00:01.3000000Z ##[endgroup]
2024-05-01T13:00:02.0000000Z Syncing repository: acme/app
2024-05-01T13:00:03.0000000Z ##[group]Run npm ci
2024-05-01T13:00:03.1000000Z npm ci
2024-05-01T13:00:03.2000000Z shell: /usr/bin/bash -e {0}
2024-05-01T13:00:03.3000000Z ##[endgroup]
2024-05-01T13:00:05.0000000Z npm ERR! code E401
2024-05-01T13:00:05.1000000Z npm ERR! Unable to authenticate, your authentication token seems to be invalid.
2024-05-01T13:00:05.2000000Z npm ERR! To correct this please try logging in again with:
2024-05-01T13:00:05.3000000Z npm ERR!     npm login
2024-05-01T13:00:05.4000000Z ##[error]Process completed with exit code 1.
`

// GitHubBuildLog is the log of job 13: Gradle got a 401 in step "Run ./gradlew build".
const GitHubBuildLog = `2024-05-01T13:00:00.0000000Z ##[group]Run ./gradlew build
2024-05-01T13:00:00.1000000Z ./gradlew build
2024-05-01T13:00:00.2000000Z ##[endgroup]
2024-05-01T13:00:09.0000000Z FAILURE: Build failed with an exception.
2024-05-01T13:00:09.1000000Z * What went wrong:
2024-05-01T13:00:09.2000000Z Execution failed for task ':app:compileJava'.
2024-05-01T13:00:09.3000000Z > Could not resolve all files for configuration ':app:compileClasspath'.
2024-05-01T13:00:09.4000000Z    > Could not resolve com.acme:lib:1.2.3.
2024-05-01T13:00:09.5000000Z       > Could not GET 'https://maven.example.com/releases/com/acme/lib/1.2.3/lib-1.2.3.pom'. Received status code 401 from server: Unauthorized
2024-05-01T13:00:09.6000000Z ##[error]Process completed with exit code 1.
`

var githubJobLogs = map[string]string{
	"11": GitHubTestLog,
	"13": GitHubBuildLog,
	"12": "2024-05-01T13:00:00.0000000Z ##[group]Run make lint\n2024-05-01T13:00:01.0000000Z ok\n",
	"14": "",
	"41": GitHubTestLog,
	"51": "2024-05-01T13:00:00.0000000Z ok\n",
	"52": "2024-05-01T13:00:00.0000000Z ok\n",
}

// The archive of run 2, as GitHub lays it out: a file per job at the top, a folder per job
// with a file per step. Step "Push image" fails: the registry wanted credentials.
var githubRunArchives = map[string][][2]string{
	"2": {
		{"0_deploy.txt", "2024-05-01T13:00:00.0000000Z whole job log\n"},
		{"deploy/1_Set up job.txt", "2024-05-01T13:00:00.0000000Z Current runner version: '2.317.0'\n2024-05-01T13:00:00.1000000Z Operating System"},
		{"deploy/3_Push image.txt", "2024-05-01T13:00:05.0000000Z The push refers to repository [registry.example.com/acme/app]\n2024-05-01T13:00:05.1000000Z no basic auth credentials\n2024-05-01T13:00:05.2000000Z ##[error]Process completed with exit code 1.\n"},
		{"deploy/2_Log in.txt", "2024-05-01T13:00:02.0000000Z ##[group]Run docker/login-action@v3\n2024-05-01T13:00:02.1000000Z with:\n2024-05-01T13:00:02.2000000Z ##[endgroup]\n2024-05-01T13:00:03.0000000Z ##[warning]Skipped: no registry password\n"},
		{"deploy/system.txt", "2024-05-01T13:00:06.0000000Z Job completed\n"},
	},
}

func githubError(w http.ResponseWriter, status int, msg, doc string, h map[string]string) {
	for k, v := range h {
		w.Header().Set(k, v)
	}
	writeJSON(w, status, map[string]string{
		"message":           msg,
		"documentation_url": "https://docs.github.com/rest/actions/workflow-jobs#" + doc,
		"status":            strconv.Itoa(status),
	})
}

func (s *Server) githubJobJSON(j ghJob, host string) map[string]any {
	api := "http://" + host + "/repos/" + j.repo
	return map[string]any{
		"id":            j.id,
		"run_id":        j.run,
		"run_url":       fmt.Sprintf("%s/actions/runs/%d", api, j.run),
		"run_attempt":   1,
		"node_id":       "CR_kwDOABCD" + strconv.FormatInt(j.id, 10),
		"head_sha":      "f83a356604ae3c5d03e1b46ef4d1ca77d64a90b0",
		"url":           fmt.Sprintf("%s/actions/jobs/%d", api, j.id),
		"html_url":      fmt.Sprintf("https://github.com/%s/actions/runs/%d/job/%d", j.repo, j.run, j.id),
		"status":        "completed",
		"conclusion":    j.conclusion,
		"created_at":    "2024-05-01T12:59:50Z",
		"started_at":    "2024-05-01T13:00:00Z",
		"completed_at":  "2024-05-01T13:00:10Z",
		"name":          j.name,
		"workflow_name": j.workflow,
		"head_branch":   "main",
		"labels":        []string{"ubuntu-latest"},
		"runner_name":   "GitHub Actions 12",
		"steps": []map[string]any{
			{"name": "Set up job", "status": "completed", "conclusion": "success", "number": 1},
			{"name": "Run " + j.name, "status": "completed", "conclusion": j.conclusion, "number": 2},
		},
		"check_run_url": fmt.Sprintf("%s/check-runs/%d", api, j.id),
	}
}

// github serves p, the path after the API root (/repos/OWNER/REPO/...).
func (s *Server) github(w http.ResponseWriter, r *http.Request, p string) {
	if v := r.Header.Get("X-GitHub-Api-Version"); v != "" && v != "2022-11-28" {
		githubError(w, http.StatusBadRequest, "Unsupported 'X-GitHub-Api-Version' header value: "+v, "", nil)
		return
	}
	authed := false
	if a := r.Header.Get("Authorization"); a != "" {
		if a != "Bearer "+Token && a != "token "+Token {
			githubError(w, http.StatusUnauthorized, "Bad credentials", "", nil)
			return
		}
		authed = true
	}
	parts := strings.Split(strings.TrimPrefix(p, "/repos/"), "/")
	if len(parts) < 4 || parts[2] != "actions" {
		githubError(w, http.StatusNotFound, "Not Found", "", nil)
		return
	}
	repo, rest := parts[0]+"/"+parts[1], parts[3:]
	switch repo {
	case "acme/private":
		if !authed {
			githubError(w, http.StatusNotFound, "Not Found", "get-a-job-for-a-workflow-run", nil)
			return
		}
	case "acme/limited":
		githubError(w, http.StatusForbidden, "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)", "", map[string]string{
			"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Used": "60",
			"X-RateLimit-Reset": strconv.Itoa(RateLimitReset), "X-RateLimit-Resource": "core",
		})
		return
	case "acme/sso":
		if authed {
			githubError(w, http.StatusForbidden, "Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.", "", map[string]string{
				"X-GitHub-SSO": "required; url=https://github.com/orgs/acme/sso?authorization_request=AbC123",
			})
			return
		}
	case "acme/noscope":
		if authed {
			githubError(w, http.StatusForbidden, "Resource not accessible by personal access token", "get-a-job-for-a-workflow-run", nil)
			return
		}
	}
	w.Header().Set("X-RateLimit-Remaining", "4999")
	job := func(id string) (ghJob, bool) {
		for _, j := range githubFixtureJobs {
			if j.repo == repo && strconv.FormatInt(j.id, 10) == id {
				return j, true
			}
		}
		return ghJob{}, false
	}
	switch {
	case len(rest) == 2 && rest[0] == "jobs": // GET /repos/{owner}/{repo}/actions/jobs/{job_id}
		j, ok := job(rest[1])
		if !ok {
			githubError(w, http.StatusNotFound, "Not Found", "get-a-job-for-a-workflow-run", nil)
			return
		}
		writeJSON(w, http.StatusOK, s.githubJobJSON(j, r.Host))
	case len(rest) == 3 && rest[0] == "jobs" && rest[2] == "logs": // download job logs: 302
		j, ok := job(rest[1])
		switch {
		case ok && j.id == 31:
			githubError(w, http.StatusGone, "Server Error", "download-job-logs-for-a-workflow-run", nil)
		case ok && githubJobLogs[rest[1]] != "" || ok && j.id == 14:
			w.Header().Set("Location", s.signed("/actions-results/job-"+rest[1]))
			w.WriteHeader(http.StatusFound)
		default:
			githubError(w, http.StatusNotFound, "Not Found", "download-job-logs-for-a-workflow-run", nil)
		}
	case len(rest) == 3 && rest[0] == "runs" && rest[2] == "jobs",
		len(rest) == 5 && rest[0] == "runs" && rest[2] == "attempts" && rest[4] == "jobs":
		if len(rest) == 3 && r.URL.Query().Get("filter") != "latest" {
			githubError(w, http.StatusBadRequest, "expected filter=latest in this fixture", "list-jobs-for-a-workflow-run", nil)
			return
		}
		var jobs []map[string]any
		for _, j := range githubFixtureJobs {
			if j.repo == repo && strconv.FormatInt(j.run, 10) == rest[1] {
				jobs = append(jobs, s.githubJobJSON(j, r.Host))
			}
		}
		if len(jobs) == 0 {
			githubError(w, http.StatusNotFound, "Not Found", "list-jobs-for-a-workflow-run", nil)
			return
		}
		from, to := s.paginate(w, r, len(jobs))
		writeJSON(w, http.StatusOK, map[string]any{"total_count": len(jobs), "jobs": jobs[from:to]})
	case len(rest) == 3 && rest[0] == "runs" && rest[2] == "logs",
		len(rest) == 5 && rest[0] == "runs" && rest[2] == "attempts" && rest[4] == "logs":
		if _, ok := githubRunArchives[rest[1]]; !ok {
			githubError(w, http.StatusNotFound, "Not Found", "download-workflow-run-logs", nil)
			return
		}
		w.Header().Set("Location", s.signed("/actions-results/run-"+rest[1]))
		w.WriteHeader(http.StatusFound)
	default:
		githubError(w, http.StatusNotFound, "Not Found", "", nil)
	}
}
