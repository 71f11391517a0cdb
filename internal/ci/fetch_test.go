package ci_test

import (
	"context"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sleuth-ci/sleuth/internal/ci"
	"github.com/sleuth-ci/sleuth/internal/ci/citest"
	"github.com/sleuth-ci/sleuth/internal/logsrc"
)

// now is the fixed clock of the tests: 12 minutes before citest.RateLimitReset.
var now = time.Unix(citest.RateLimitReset, 0).Add(-12 * time.Minute)

func newClient(t *testing.T, env map[string]string, all bool) *ci.Client {
	t.Helper()
	c := ci.New(ci.Options{
		Getenv:  func(k string) string { return env[k] },
		AllJobs: all,
		Now:     func() time.Time { return now },
		TempDir: t.TempDir(),
	})
	t.Cleanup(func() { c.Close() })
	return c
}

func fixture(t *testing.T) *citest.Server {
	t.Helper()
	s := citest.New()
	t.Cleanup(s.Close)
	return s
}

func read(t *testing.T, l *ci.Log) string {
	t.Helper()
	rc, _, err := l.Open(context.Background())
	if err != nil {
		t.Fatalf("open %s: %v", l.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", l.Name, err)
	}
	return string(b)
}

func names(logs []*ci.Log) []string {
	var out []string
	for _, l := range logs {
		out = append(out, l.Name)
	}
	return out
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// stepOf scans a log as the analysis does and returns the step of the first line holding text.
func stepOf(t *testing.T, log, text string) string {
	t.Helper()
	sc := logsrc.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		if strings.Contains(string(sc.Line().Text), text) {
			return sc.Line().Step
		}
	}
	t.Fatalf("no line with %q in:\n%s", text, log)
	return ""
}

func TestGitHubJob(t *testing.T) {
	s := fixture(t)
	c := newClient(t, map[string]string{"SLEUTH_GITHUB_API_URL": s.API.URL, "GH_TOKEN": citest.Token}, false)
	logs, err := c.Logs(context.Background(), "https://github.com/acme/app/actions/runs/1/job/11")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"github.com/acme/app/actions/runs/1/job/11 (ci / test)"}; !sameStrings(names(logs), want) {
		t.Fatalf("names = %q, want %q", names(logs), want)
	}
	if got := read(t, logs[0]); got != citest.GitHubTestLog {
		t.Fatalf("log = %q", got)
	}
	if st := stepOf(t, citest.GitHubTestLog, "npm ERR! code E401"); st != "Run npm ci" {
		t.Errorf("step = %q", st)
	}
	// The API got the token and GitHub's headers; the storage host (another port) got the
	// signed URL only.
	apiOrigin, _ := url.Parse(s.API.URL)
	storageOrigin, _ := url.Parse(s.Storage.URL)
	if apiOrigin.Host == storageOrigin.Host {
		t.Fatal("API and storage share an origin")
	}
	var sawAPI, sawStorage bool
	for _, r := range s.Requests() {
		switch r.Server {
		case "api":
			sawAPI = true
			if r.Header.Get("Authorization") != "Bearer "+citest.Token ||
				r.Header.Get("Accept") != "application/vnd.github+json" ||
				r.Header.Get("X-GitHub-Api-Version") != "2022-11-28" {
				t.Errorf("API request %s headers: %v", r.URI, r.Header)
			}
		case "storage":
			sawStorage = true
			for k, v := range r.Header {
				if strings.Contains(strings.Join(v, ","), citest.Token) || strings.EqualFold(k, "Authorization") {
					t.Errorf("storage request %s carried %s", r.URI, k)
				}
			}
			if !strings.HasPrefix(r.URI, "/actions-results/job-11?sig=fixture") {
				t.Errorf("storage request %s", r.URI)
			}
		}
	}
	if !sawAPI || !sawStorage {
		t.Errorf("requests: api %v storage %v", sawAPI, sawStorage)
	}
}

func TestGitHubCheckRunURL(t *testing.T) {
	s := fixture(t)
	c := newClient(t, map[string]string{"SLEUTH_GITHUB_API_URL": s.API.URL}, false)
	logs, err := c.Logs(context.Background(), "https://github.com/acme/app/runs/13?check_suite_focus=true")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"github.com/acme/app/actions/runs/1/job/13 (ci / build)"}; !sameStrings(names(logs), want) {
		t.Fatalf("names = %q", names(logs))
	}
	if got := read(t, logs[0]); got != citest.GitHubBuildLog {
		t.Fatalf("log = %q", got)
	}
}

func TestGitHubRun(t *testing.T) {
	s := fixture(t)
	env := map[string]string{"SLEUTH_GITHUB_API_URL": s.API.URL, "GITHUB_TOKEN": citest.Token}
	logs, err := newClient(t, env, false).Logs(context.Background(), "https://github.com/acme/app/actions/runs/1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"github.com/acme/app/actions/runs/1/job/11 (ci / test)",
		"github.com/acme/app/actions/runs/1/job/13 (ci / build)",
	}
	if !sameStrings(names(logs), want) {
		t.Fatalf("failed jobs = %q, want %q", names(logs), want)
	}
	if got := read(t, logs[1]); got != citest.GitHubBuildLog {
		t.Errorf("second log = %q", got)
	}
	// Job 13 is on the second page: the Link header was followed.
	pages := 0
	for _, r := range s.Requests() {
		if strings.Contains(r.URI, "/actions/runs/1/jobs?") {
			pages++
			if !strings.Contains(r.URI, "filter=latest") || !strings.Contains(r.URI, "per_page=100") {
				t.Errorf("list request %s", r.URI)
			}
		}
	}
	if pages != 2 {
		t.Errorf("%d list pages fetched, want 2", pages)
	}

	all, err := newClient(t, env, true).Logs(context.Background(), "https://github.com/acme/app/actions/runs/1")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 {
		t.Errorf("--all-jobs: %q", names(all))
	}
}

func TestGitHubRunArchiveFallback(t *testing.T) {
	s := fixture(t)
	c := newClient(t, map[string]string{"SLEUTH_GITHUB_API_URL": s.API.URL, "GH_TOKEN": citest.Token}, false)
	logs, err := c.Logs(context.Background(), "https://github.com/acme/app/actions/runs/2")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"github.com/acme/app/actions/runs/2/job/21 (release / deploy)"}; !sameStrings(names(logs), want) {
		t.Fatalf("names = %q", names(logs))
	}
	got := read(t, logs[0])
	// Steps in their numeric order, each opened by a marker, the whole-job file left out,
	// and a step without a final newline kept on its own lines.
	want := "##[step]Set up job\n" +
		"2024-05-01T13:00:00.0000000Z Current runner version: '2.317.0'\n2024-05-01T13:00:00.1000000Z Operating System\n" +
		"##[step]Log in\n" +
		"2024-05-01T13:00:02.0000000Z ##[group]Run docker/login-action@v3\n2024-05-01T13:00:02.1000000Z with:\n2024-05-01T13:00:02.2000000Z ##[endgroup]\n2024-05-01T13:00:03.0000000Z ##[warning]Skipped: no registry password\n" +
		"##[step]Push image\n" +
		"2024-05-01T13:00:05.0000000Z The push refers to repository [registry.example.com/acme/app]\n2024-05-01T13:00:05.1000000Z no basic auth credentials\n2024-05-01T13:00:05.2000000Z ##[error]Process completed with exit code 1.\n" +
		"##[step]system\n" +
		"2024-05-01T13:00:06.0000000Z Job completed\n"
	if got != want {
		t.Fatalf("rebuilt log:\n%s\nwant:\n%s", got, want)
	}
	// The step named by the archive, not the "Run" group of the step before.
	if st := stepOf(t, got, "no basic auth credentials"); st != "Push image" {
		t.Errorf("step = %q", st)
	}
	for _, r := range s.Requests() {
		if r.Server == "storage" && r.Header.Get("Authorization") != "" {
			t.Errorf("token sent to storage: %s", r.URI)
		}
	}
}

func TestGitHubEnterprise(t *testing.T) {
	s := fixture(t)
	u, _ := url.Parse(s.API.URL)
	job := "http://" + u.Host + "/acme/private/actions/runs/4/job/41"
	// A github.com token is not sent to an Enterprise Server host.
	c := newClient(t, map[string]string{"GH_TOKEN": citest.Token}, false)
	_, err := c.Logs(context.Background(), job)
	if err == nil || !strings.Contains(err.Error(), "GH_TOKEN is set but is for github.com; GitHub Enterprise Server takes GH_ENTERPRISE_TOKEN") {
		t.Fatalf("err = %v", err)
	}
	c = newClient(t, map[string]string{"GH_ENTERPRISE_TOKEN": citest.Token}, false)
	logs, err := c.Logs(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, logs[0]); got != citest.GitHubTestLog {
		t.Fatalf("log = %q", got)
	}
	if want := u.Host + "/acme/private/actions/runs/4/job/41 (ci / test)"; logs[0].Name != want {
		t.Errorf("name = %q, want %q", logs[0].Name, want)
	}
	for _, r := range s.Requests() {
		if r.Server == "api" && !strings.HasPrefix(r.URI, "/api/v3/repos/acme/private/") {
			t.Errorf("GHES request outside /api/v3: %s", r.URI)
		}
	}
}

func TestGitHubErrors(t *testing.T) {
	s := fixture(t)
	tests := []struct {
		name, url string
		env       map[string]string
		want      string
	}{
		{"expired", "https://github.com/acme/app/actions/runs/3/job/31", map[string]string{"GH_TOKEN": citest.Token},
			"github.com/acme/app/actions/runs/3/job/31 (nightly / test): " + hostOf(s) + " answered 410 Gone (Server Error): the log of job 31 has expired or was deleted; GitHub keeps logs 90 days by default"},
		{"private without token", "https://github.com/acme/private/actions/runs/4/job/41", nil,
			"answered 404 Not Found (Not Found): job 41 of acme/private not found, or it is private and no token was sent (GH_TOKEN, GITHUB_TOKEN not set); set GH_TOKEN or GITHUB_TOKEN to a token with the actions:read permission (fine-grained token) or the repo scope (classic token, private repositories)"},
		{"bad token", "https://github.com/acme/app/actions/runs/1/job/11", map[string]string{"GITHUB_TOKEN": "ghp_wrongwrongwrongwrongwrongwrongwrong1"},
			"answered 401 Unauthorized (Bad credentials): GITHUB_TOKEN was sent and refused (wrong, revoked or expired token); set GH_TOKEN or GITHUB_TOKEN"},
		{"no access", "https://github.com/acme/noscope/actions/runs/7/job/71", map[string]string{"GH_TOKEN": citest.Token},
			"answered 403 Forbidden (Resource not accessible by personal access token): GH_TOKEN was sent and lacks access to job 71 of acme/noscope; it needs the actions:read permission"},
		{"sso", "https://github.com/acme/sso/actions/runs/8/job/81", map[string]string{"GH_TOKEN": citest.Token},
			"answered 403 Forbidden (Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.): authorize GH_TOKEN's token for the organization's SAML single sign-on at https://github.com/orgs/acme/sso?authorization_request=AbC123"},
		{"rate limited", "https://github.com/acme/limited/actions/runs/6", nil,
			"answered 403 Forbidden (API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)): GitHub API rate limit exceeded; it resets at 2030-03-17T17:46:40Z (in 12m); wait, or set GH_TOKEN or GITHUB_TOKEN"},
		{"no failed jobs", "https://github.com/acme/app/actions/runs/5", nil,
			"github.com/acme/app/actions/runs/5: run 5 has no failed jobs (2 jobs: 2 success); pass a job URL, or --all-jobs to analyze every job"},
		{"no such job", "https://github.com/acme/app/actions/runs/1/job/99", nil,
			"job 99 of acme/app not found, or it is private and no token was sent"},
		{"bad override", "https://github.com/acme/app/actions/runs/1/job/11", map[string]string{"SLEUTH_GITHUB_API_URL": "ftp://x"},
			`SLEUTH_GITHUB_API_URL="ftp://x" is not an http(s) URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"SLEUTH_GITHUB_API_URL": s.API.URL}
			for k, v := range tt.env {
				env[k] = v
			}
			c := newClient(t, env, false)
			logs, err := c.Logs(context.Background(), tt.url)
			if err == nil && len(logs) == 1 {
				_, _, err = logs[0].Open(context.Background())
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n %s\nwant it to contain:\n %s", err, tt.want)
			}
			for _, v := range tt.env {
				if len(v) > 8 && strings.Contains(err.Error(), v) {
					t.Errorf("error shows a token value: %s", err)
				}
			}
		})
	}
}

func hostOf(s *citest.Server) string {
	u, _ := url.Parse(s.API.URL)
	return u.Host
}

func TestGitLab(t *testing.T) {
	s := fixture(t)
	host := hostOf(s)
	job := "http://" + host + "/group/sub/project/-/jobs/101"
	logs, err := newClient(t, nil, false).Logs(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if want := host + "/group/sub/project/-/jobs/101 (push-image)"; logs[0].Name != want {
		t.Errorf("name = %q, want %q", logs[0].Name, want)
	}
	got := read(t, logs[0])
	if got != citest.GitLabTraceLog {
		t.Fatalf("trace = %q", got)
	}
	if st := stepOf(t, got, "no basic auth credentials"); st != "step_script" {
		t.Errorf("step = %q", st)
	}
	for _, r := range s.Requests() {
		if !strings.HasPrefix(r.URI, "/api/v4/projects/group%2Fsub%2Fproject/jobs/101") {
			t.Errorf("request %s: the project path must be URL-encoded", r.URI)
		}
	}

	// A pipeline: its failed job; the allowed failure only with everything else.
	logs, err = newClient(t, nil, false).Logs(context.Background(), "http://"+host+"/group/sub/project/-/pipelines/100")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{host + "/group/sub/project/-/jobs/101 (push-image)"}; !sameStrings(names(logs), want) {
		t.Errorf("pipeline jobs = %q", names(logs))
	}
	logs, err = newClient(t, nil, true).Logs(context.Background(), "http://"+host+"/group/sub/project/-/pipelines/100")
	want := []string{
		host + "/group/sub/project/-/jobs/101 (push-image)",
		host + "/group/sub/project/-/jobs/102 (unit)",
		host + "/group/sub/project/-/jobs/103 (flaky)",
	}
	if err != nil || !sameStrings(names(logs), want) {
		t.Errorf("all pipeline jobs = %q, %v", names(logs), err)
	}
}

func TestGitLabTokens(t *testing.T) {
	s := fixture(t)
	host := hostOf(s)
	job := "http://" + host + "/group/private/-/jobs/201"
	tests := []struct {
		name   string
		env    map[string]string
		header string // the header the token must travel in, "" for an error
		want   string
	}{
		{"GITLAB_TOKEN for GITLAB_HOST", map[string]string{"GITLAB_TOKEN": citest.Token, "GITLAB_HOST": "http://" + host}, "Private-Token", ""},
		{"CI_JOB_TOKEN for its instance", map[string]string{"CI_JOB_TOKEN": citest.Token, "CI_SERVER_URL": "http://" + host}, "Job-Token", ""},
		{"GITLAB_TOKEN is for gitlab.com", map[string]string{"GITLAB_TOKEN": citest.Token}, "",
			"404 Not Found (404 Project Not Found): job 201 of group/private not found, or it is private and no token was sent (GITLAB_TOKEN is set but is for gitlab.com; set GITLAB_HOST=http://" + host + " to use it for " + host + ")"},
		{"no token", nil, "", "no token was sent (GITLAB_TOKEN, CI_JOB_TOKEN not set); set GITLAB_TOKEN or CI_JOB_TOKEN to a token with the read_api scope"},
		{"bad token", map[string]string{"GITLAB_TOKEN": "glpat-wrongwrongwrongwrong", "GITLAB_HOST": host}, "",
			"401 Unauthorized (401 Unauthorized): GITLAB_TOKEN was sent and refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(s.Requests())
			logs, err := newClient(t, tt.env, false).Logs(context.Background(), job)
			if tt.header == "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
				if strings.Contains(err.Error(), citest.Token) {
					t.Errorf("token in error")
				}
				if tt.want != "" && strings.Contains(tt.want, "is for gitlab.com") {
					for _, r := range s.Requests()[before:] {
						if r.Header.Get("Private-Token") != "" {
							t.Errorf("token sent to a host it is not for")
						}
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			read(t, logs[0])
			for _, r := range s.Requests()[before:] {
				if r.Header.Get(tt.header) != citest.Token {
					t.Errorf("%s: %s header %q", r.URI, tt.header, r.Header.Get(tt.header))
				}
			}
		})
	}
	// Rate limited: the reset time from RateLimit-Reset.
	_, err := newClient(t, nil, false).Logs(context.Background(), "http://"+host+"/group/limited/-/jobs/1")
	if err == nil || !strings.Contains(err.Error(), "429 Too Many Requests (Retry later): GitLab API rate limit exceeded; it resets at 2030-03-17T17:46:40Z (in 12m)") {
		t.Errorf("err = %v", err)
	}
}

func TestCircleCI(t *testing.T) {
	s := fixture(t)
	for _, job := range []string{
		"https://app.circleci.com/pipelines/github/acme/app/12/workflows/6a1e9b6c-0000-4000-8000-000000000001/jobs/7",
		"https://circleci.com/gh/acme/app/7",
	} {
		c := newClient(t, map[string]string{"SLEUTH_CIRCLECI_API_URL": s.API.URL + "/api/v1.1", "CIRCLE_TOKEN": citest.Token}, false)
		logs, err := c.Logs(context.Background(), job)
		if err != nil {
			t.Fatal(err)
		}
		t1, _ := ci.Parse(job)
		if want := t1.Display + " (main / build)"; logs[0].Name != want {
			t.Errorf("name = %q, want %q", logs[0].Name, want)
		}
		got := read(t, logs[0])
		want := "##[step]Spin up environment\nBuild-agent version 1.0.250000-abc (2024-05-01T13:00:00+0000)\r\n" +
			"##[step]Checkout code\nCloning git repository\r\nCloning into '.'...\r\n" +
			"##[step]Run tests (container 0)\ntests 1..40 ok\r\n" +
			"##[step]Run tests (container 1)\ntests 41..80 ok\r\n" +
			"##[step]./gradlew build\n> Task :app:compileJava FAILED\r\n\r\nFAILURE: Build failed with an exception.\r\n" +
			"\r\n* What went wrong:\r\nExecution failed for task ':app:compileJava'.\r\n> Could not resolve all files for configuration ':app:compileClasspath'.\r\n   > Could not resolve com.acme:lib:1.2.3.\r\n      > Could not GET 'https://maven.example.com/releases/com/acme/lib/1.2.3/lib-1.2.3.pom'. Received status code 401 from server: Unauthorized\r\n" +
			"\r\nExited with code exit status 1\r\n"
		if got != want {
			t.Fatalf("log:\n%q\nwant:\n%q", got, want)
		}
		if st := stepOf(t, got, "Received status code 401"); st != "./gradlew build" {
			t.Errorf("step = %q", st)
		}
	}
	for _, r := range s.Requests() {
		switch r.Server {
		case "api":
			if r.Header.Get("Circle-Token") != citest.Token || r.Header.Get("Accept") != "application/json" {
				t.Errorf("API request headers %v", r.Header)
			}
		case "storage":
			if r.Header.Get("Circle-Token") != "" {
				t.Errorf("token sent to the output host: %s", r.URI)
			}
		}
	}
	// A private project without a token.
	c := newClient(t, map[string]string{"SLEUTH_CIRCLECI_API_URL": s.API.URL + "/api/v1.1"}, false)
	_, err := c.Logs(context.Background(), "https://circleci.com/gh/acme/private/9")
	if err == nil || !strings.Contains(err.Error(), "answered 404 Not Found (Project not found): job 9 of gh/acme/private not found, or it is private and no token was sent (CIRCLE_TOKEN, CIRCLECI_CLI_TOKEN not set); set CIRCLE_TOKEN or CIRCLECI_CLI_TOKEN to a token with access to the project (a personal API token") {
		t.Errorf("err = %v", err)
	}
}

func TestBuildkite(t *testing.T) {
	s := fixture(t)
	env := map[string]string{"SLEUTH_BUILDKITE_API_URL": s.API.URL + "/v2", "BUILDKITE_API_TOKEN": citest.Token}
	job := "https://buildkite.com/acme/app/builds/42#" + citest.BuildkitePushJob
	logs, err := newClient(t, env, false).Logs(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if want := "buildkite.com/acme/app/builds/42#" + citest.BuildkitePushJob + " (:docker: Push)"; logs[0].Name != want {
		t.Errorf("name = %q", logs[0].Name)
	}
	got := read(t, logs[0])
	if got != citest.BuildkitePushLog {
		t.Fatalf("log = %q", got)
	}
	if st := stepOf(t, got, "npm ERR! code E401"); st != ":npm: Install" {
		t.Errorf("step = %q", st)
	}
	for _, r := range s.Requests() {
		if r.Header.Get("Authorization") != "Bearer "+citest.Token {
			t.Errorf("%s without the token", r.URI)
		}
		if strings.Contains(r.URI, "/jobs/") && !strings.HasSuffix(r.URI, "/jobs/"+citest.BuildkitePushJob+"/log.txt") {
			t.Errorf("log request %s", r.URI)
		}
	}

	// The build: its failed job, not the soft failure.
	logs, err = newClient(t, env, false).Logs(context.Background(), "https://buildkite.com/acme/app/builds/42")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"buildkite.com/acme/app/builds/42#" + citest.BuildkitePushJob + " (:docker: Push)"}; !sameStrings(names(logs), want) {
		t.Errorf("failed jobs = %q", names(logs))
	}

	// A token that reads logs but not builds: the log, without the job's name.
	logs, err = newClient(t, map[string]string{"SLEUTH_BUILDKITE_API_URL": s.API.URL + "/v2", "BUILDKITE_API_TOKEN": citest.LogsOnlyToken}, false).Logs(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if want := "buildkite.com/acme/app/builds/42#" + citest.BuildkitePushJob; logs[0].Name != want {
		t.Errorf("name = %q", logs[0].Name)
	}

	// No token; rate limited.
	_, err = newClient(t, map[string]string{"SLEUTH_BUILDKITE_API_URL": s.API.URL + "/v2"}, false).Logs(context.Background(), job)
	if err == nil || !strings.Contains(err.Error(), "answered 401 Unauthorized (Authentication required. Please supply a valid API Access Token: https://buildkite.com/docs/apis/rest-api#authentication): no token was sent (BUILDKITE_API_TOKEN not set); set BUILDKITE_API_TOKEN to a token with the read_build_logs scope") {
		t.Errorf("err = %v", err)
	}
	_, err = newClient(t, env, false).Logs(context.Background(), "https://buildkite.com/limited/app/builds/1")
	if err == nil || !strings.Contains(err.Error(), "Buildkite API rate limit exceeded; it resets at 2030-03-17T17:35:22Z (in 42s); wait, or use another token than BUILDKITE_API_TOKEN") {
		t.Errorf("err = %v", err)
	}
}
