package cli_test

import (
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sleuth-ci/sleuth/internal/ci/citest"
)

// ciCmds are the testscript commands for CI job URLs.
var ciCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"ci-server":   ciServer,
	"ci-requests": ciRequests,
}

// ciServers maps each running script to its server (scripts run in parallel).
var ciServers sync.Map // *testscript.TestScript -> *citest.Server

// ciServer starts the fake CI provider APIs (package citest) on loopback for the rest of
// the script: ci-server NAME sets $NAME to the API's URL, $NAME_HOST to its host:port,
// $NAME_STORAGE to the storage host's URL, $CI_TOKEN to the token they accept, and points
// the SLEUTH_*_API_URL variables at it.
func ciServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ci-server NAME")
	}
	s := citest.New()
	ciServers.Store(ts, s)
	ts.Defer(func() {
		s.Close()
		ciServers.Delete(ts)
	})
	name := args[0]
	ts.Setenv(name, s.API.URL)
	ts.Setenv(name+"_HOST", strings.TrimPrefix(s.API.URL, "http://"))
	ts.Setenv(name+"_STORAGE", s.Storage.URL)
	ts.Setenv("CI_TOKEN", citest.Token)
	ts.Setenv("SLEUTH_GITHUB_API_URL", s.API.URL)
	ts.Setenv("SLEUTH_CIRCLECI_API_URL", s.API.URL+"/api/v1.1")
	ts.Setenv("SLEUTH_BUILDKITE_API_URL", s.API.URL+"/v2")
}

// ciRequests checks what the CI server received:
//
//	ci-requests [-path PREFIX] SERVER HEADER VALUE
//	! ci-requests [-path PREFIX] SERVER HEADER
//
// passes when every request to SERVER ("api" or "storage"), or only those whose URI starts
// with PREFIX, carried HEADER with VALUE, or, negated, when none carried HEADER at all. It
// fails if no such request was made.
func ciRequests(ts *testscript.TestScript, neg bool, args []string) {
	v, _ := ciServers.Load(ts)
	s, _ := v.(*citest.Server)
	if s == nil {
		ts.Fatalf("ci-requests: run ci-server first")
	}
	prefix := ""
	if len(args) >= 2 && args[0] == "-path" {
		prefix, args = args[1], args[2:]
	}
	if (neg && len(args) != 2) || (!neg && len(args) != 3) {
		ts.Fatalf("usage: ci-requests [-path PREFIX] SERVER HEADER VALUE | ! ci-requests [-path PREFIX] SERVER HEADER")
	}
	n := 0
	for _, r := range s.Requests() {
		if r.Server != args[0] || !strings.HasPrefix(r.URI, prefix) {
			continue
		}
		n++
		got := r.Header.Get(args[1])
		if neg && got != "" {
			ts.Fatalf("%s request %s carried %s", r.Server, r.URI, args[1])
		}
		if !neg && got != args[2] {
			ts.Fatalf("%s request %s: %s is %q, want %q", r.Server, r.URI, args[1], got, args[2])
		}
	}
	if n == 0 {
		ts.Fatalf("no request reached %s%s", args[0], prefix)
	}
	ts.Logf("%d %s requests checked", n, args[0])
}
