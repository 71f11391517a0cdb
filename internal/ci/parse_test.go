package ci_test

import (
	"strings"
	"testing"

	"github.com/sleuth-ci/sleuth/internal/ci"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want ci.Target
	}{
		// GitHub Actions.
		{"https://github.com/acme/app/actions/runs/123/job/456", ci.Target{Provider: ci.GitHub, Scheme: "https", Host: "github.com", Project: "acme/app", Run: "123", Job: "456", Display: "github.com/acme/app/actions/runs/123/job/456"}},
		{"https://github.com/acme/app/actions/runs/123/job/456?pr=7#step:4:12", ci.Target{Provider: ci.GitHub, Scheme: "https", Host: "github.com", Project: "acme/app", Run: "123", Job: "456", Display: "github.com/acme/app/actions/runs/123/job/456"}},
		{"https://github.com/acme/app/actions/runs/123/", ci.Target{Provider: ci.GitHub, Scheme: "https", Host: "github.com", Project: "acme/app", Run: "123", Display: "github.com/acme/app/actions/runs/123"}},
		{"https://github.com/acme/app/actions/runs/123/attempts/2", ci.Target{Provider: ci.GitHub, Scheme: "https", Host: "github.com", Project: "acme/app", Run: "123", Attempt: 2, Display: "github.com/acme/app/actions/runs/123/attempts/2"}},
		{"https://github.com/acme/app/runs/456?check_suite_focus=true", ci.Target{Provider: ci.GitHub, Scheme: "https", Host: "github.com", Project: "acme/app", Job: "456", Display: "github.com/acme/app/runs/456"}},
		{"https://user:s3cret@GitHub.com/acme/app/actions/runs/1/job/2", ci.Target{Provider: ci.GitHub, Scheme: "https", Host: "github.com", Project: "acme/app", Run: "1", Job: "2", Display: "github.com/acme/app/actions/runs/1/job/2"}},
		{"https://ghe.example.com/acme/app/actions/runs/9/job/10", ci.Target{Provider: ci.GitHub, Scheme: "https", Host: "ghe.example.com", Project: "acme/app", Run: "9", Job: "10", Display: "ghe.example.com/acme/app/actions/runs/9/job/10"}},
		// GitLab, subgroups and self-managed hosts.
		{"https://gitlab.com/group/sub/project/-/jobs/789", ci.Target{Provider: ci.GitLab, Scheme: "https", Host: "gitlab.com", Project: "group/sub/project", Job: "789", Display: "gitlab.com/group/sub/project/-/jobs/789"}},
		{"https://gitlab.example.com:8443/g/p/-/jobs/5/raw", ci.Target{Provider: ci.GitLab, Scheme: "https", Host: "gitlab.example.com:8443", Project: "g/p", Job: "5", Display: "gitlab.example.com:8443/g/p/-/jobs/5/raw"}},
		{"https://gitlab.com/g/p/-/pipelines/77", ci.Target{Provider: ci.GitLab, Scheme: "https", Host: "gitlab.com", Project: "g/p", Run: "77", Display: "gitlab.com/g/p/-/pipelines/77"}},
		// CircleCI, new and legacy.
		{"https://app.circleci.com/pipelines/github/acme/app/12/workflows/6a1e9b6c-0000-4000-8000-000000000001/jobs/34", ci.Target{Provider: ci.CircleCI, Scheme: "https", Host: "app.circleci.com", Project: "gh/acme/app", Job: "34", Display: "app.circleci.com/pipelines/github/acme/app/12/workflows/6a1e9b6c-0000-4000-8000-000000000001/jobs/34"}},
		{"https://app.circleci.com/pipelines/gh/acme/app/12/workflows/w/jobs/34/parallel-runs/0/steps/0-102", ci.Target{Provider: ci.CircleCI, Scheme: "https", Host: "app.circleci.com", Project: "gh/acme/app", Job: "34", Display: "app.circleci.com/pipelines/gh/acme/app/12/workflows/w/jobs/34/parallel-runs/0/steps/0-102"}},
		{"https://circleci.com/gh/acme/app/34", ci.Target{Provider: ci.CircleCI, Scheme: "https", Host: "circleci.com", Project: "gh/acme/app", Job: "34", Display: "circleci.com/gh/acme/app/34"}},
		{"https://circleci.com/bitbucket/acme/app/34", ci.Target{Provider: ci.CircleCI, Scheme: "https", Host: "circleci.com", Project: "bb/acme/app", Job: "34", Display: "circleci.com/bitbucket/acme/app/34"}},
		// Buildkite: the job in the fragment, in ?jid=, or none for the whole build.
		{"https://buildkite.com/acme/app/builds/42#0190A1B2-c3d4-4e5f-8a9b-000000000002", ci.Target{Provider: ci.Buildkite, Scheme: "https", Host: "buildkite.com", Project: "acme/app", Run: "42", Job: "0190a1b2-c3d4-4e5f-8a9b-000000000002", Display: "buildkite.com/acme/app/builds/42#0190a1b2-c3d4-4e5f-8a9b-000000000002"}},
		{"https://buildkite.com/acme/app/builds/42/steps/canvas?jid=0190a1b2-c3d4-4e5f-8a9b-000000000002", ci.Target{Provider: ci.Buildkite, Scheme: "https", Host: "buildkite.com", Project: "acme/app", Run: "42", Job: "0190a1b2-c3d4-4e5f-8a9b-000000000002", Display: "buildkite.com/acme/app/builds/42/steps/canvas#0190a1b2-c3d4-4e5f-8a9b-000000000002"}},
		{"https://buildkite.com/acme/app/builds/42", ci.Target{Provider: ci.Buildkite, Scheme: "https", Host: "buildkite.com", Project: "acme/app", Run: "42", Display: "buildkite.com/acme/app/builds/42"}},
	}
	for _, tt := range tests {
		got, err := ci.Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if *got != tt.want {
			t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, *got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ftp://github.com/acme/app/actions/runs/1", `"ftp://github.com/acme/app/actions/runs/1" is not an http(s) URL of a CI job`},
		{"https://", `is not an http(s) URL of a CI job`},
		{"https://github.com/acme/app/pull/3", "github.com/acme/app/pull/3: not a GitHub Actions job or run URL: expected OWNER/REPO/actions/runs/RUN_ID"},
		{"https://github.com/acme", "github.com/acme: not a CI job or run URL sleuth knows"},
		{"https://github.com/acme/app/actions/runs/abc", `the run id "abc" is not a number`},
		{"https://github.com/acme/app/actions/runs/1/job/x", `the job id "x" is not a number`},
		{"https://github.com/acme/app/actions/runs/1/attempts/0", `the attempt "0" is not a positive number`},
		{"https://github.com/acme/app/actions/runs/1/job/2/extra", "unexpected path after the run id"},
		{"https://gitlab.com/project/-/jobs/1", "the project path needs a group and a project"},
		{"https://gitlab.com/g/p/-/jobs/abc", `the job id "abc" is not a number`},
		{"https://gitlab.com/g/p/-/merge_requests/3", "not a GitLab job or pipeline URL"},
		{"https://app.circleci.com/pipelines/github/acme/app/12", "this is a CircleCI pipeline or workflow, not a job"},
		{"https://app.circleci.com/pipelines/circleci/AbC/XyZ/12/workflows/w/jobs/3", "projects with circleci/ slugs"},
		{"https://circleci.com/gl/acme/app/34", `unknown VCS "gl"`},
		{"https://circleci.com/gh/acme/app/x", `the job number "x" is not a number`},
		{"https://buildkite.com/acme/app", "not a Buildkite build or job URL"},
		{"https://buildkite.com/acme/app/builds/42#step-7", `"step-7" is not a job UUID`},
		{"https://buildkite.com/acme/app/builds/latest", `the build number "latest" is not a number`},
		{"https://example.com/", "not a CI job or run URL sleuth knows"},
	}
	for _, tt := range tests {
		_, err := ci.Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q): no error, want %q", tt.in, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %q, want it to contain %q", tt.in, err, tt.want)
		}
	}
	// Credentials in a URL never reach an error.
	_, err := ci.Parse("https://bot:hunter2@github.com/acme/app/pull/3?token=abc")
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "abc") {
		t.Errorf("error leaks credentials: %v", err)
	}
}

func TestIsURL(t *testing.T) {
	for in, want := range map[string]bool{
		"https://github.com/a/b": true, "HTTP://x": true, "build.log": false, "-": false, "http.log": false,
	} {
		if got := ci.IsURL(in); got != want {
			t.Errorf("IsURL(%q) = %v", in, got)
		}
	}
}
