// Package citest serves, on loopback, the CI provider APIs that package ci reads: GitHub
// Actions (and GitHub Enterprise under /api/v3), GitLab, CircleCI v1.1 and Buildkite, with
// the providers' paths, headers, redirects, pagination and error bodies, and a second server
// on another port for the storage host their signed log links point at.
//
// The storage server refuses any request that carries a credential header, as a signed
// storage URL does, and every request to either server is recorded for assertions.
package citest

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Token is the one token every fake provider accepts. LogsOnlyToken is a Buildkite token
// with read_build_logs but without read_builds.
const (
	Token         = "citest-token-7Hq2Lm9Xw4"
	LogsOnlyToken = "citest-logs-only-5Rt8Kp1Zs"
)

// RateLimitReset is the reset time (Unix seconds) of every rate-limited answer.
const RateLimitReset = 1900000000

// Request is one recorded request.
type Request struct {
	Server string // "api" or "storage"
	Method string
	URI    string // the request URI as sent, escaping included
	Header http.Header
}

// Server is the pair of fake hosts.
type Server struct {
	API     *httptest.Server
	Storage *httptest.Server
	// PageSize is how many jobs a list page holds (default 2, to exercise pagination).
	PageSize int

	mu   sync.Mutex
	reqs []Request
}

// New starts the servers.
func New() *Server {
	s := &Server{PageSize: 2}
	// Storage starts first: the API's handlers read its URL, and a server's goroutines start
	// after everything written before its Start.
	s.Storage = httptest.NewServer(s.record("storage", http.HandlerFunc(s.storage)))
	s.API = httptest.NewServer(s.record("api", http.HandlerFunc(s.api)))
	return s
}

// Close stops the servers.
func (s *Server) Close() {
	s.API.Close()
	s.Storage.Close()
}

// Requests returns the requests seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

func (s *Server) record(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, Request{Server: name, Method: r.Method, URI: r.RequestURI, Header: r.Header.Clone()})
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	switch {
	case strings.HasPrefix(p, "/api/v3/repos/"): // GitHub Enterprise Server
		s.github(w, r, strings.TrimPrefix(p, "/api/v3"))
	case strings.HasPrefix(p, "/repos/"):
		s.github(w, r, p)
	case strings.HasPrefix(p, "/api/v4/"):
		s.gitlab(w, r, strings.TrimPrefix(p, "/api/v4"))
	case strings.HasPrefix(p, "/api/v1.1/"):
		s.circleci(w, r, strings.TrimPrefix(p, "/api/v1.1"))
	case strings.HasPrefix(p, "/v2/"):
		s.buildkite(w, r, strings.TrimPrefix(p, "/v2"))
	default:
		http.NotFound(w, r)
	}
}

// storage serves the signed links: refused with any credential, as signed storage URLs are.
func (s *Server) storage(w http.ResponseWriter, r *http.Request) {
	for _, h := range []string{"Authorization", "Private-Token", "Job-Token", "Circle-Token"} {
		if r.Header.Get(h) != "" {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>InvalidAuthenticationInfo</Code><Message>%s header not allowed with a signed URL</Message></Error>", h)
			return
		}
	}
	if r.URL.Query().Get("sig") != "fixture" {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "<Error><Code>AuthenticationFailed</Code></Error>")
		return
	}
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/actions-results/job-"):
		id := strings.TrimPrefix(p, "/actions-results/job-")
		log, ok := githubJobLogs[id]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, log)
	case strings.HasPrefix(p, "/actions-results/run-"):
		id := strings.TrimPrefix(p, "/actions-results/run-")
		files, ok := githubRunArchives[id]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/zip")
		w.Write(zipOf(files))
	case strings.HasPrefix(p, "/circle-output/"):
		out, ok := circleOutputs[strings.TrimPrefix(p, "/circle-output/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, http.StatusOK, out)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) signed(path string) string {
	return s.Storage.URL + path + "?sig=fixture&se=2030-01-01T00%3A00%3A00Z"
}

// zipOf builds a zip with the files in order (name, content pairs).
func zipOf(files [][2]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, _ := zw.Create(f[0])
		w.Write([]byte(f[1]))
	}
	zw.Close()
	return buf.Bytes()
}

// paginate serves one page of items with GitHub/GitLab style Link headers.
func (s *Server) paginate(w http.ResponseWriter, r *http.Request, n int) (from, to int) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page < 1 {
		page = 1
	}
	size := s.PageSize
	last := (n + size - 1) / size
	if last < 1 {
		last = 1
	}
	link := func(p int, rel string) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: q.Encode()}
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(page-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	from = min((page-1)*size, n)
	return from, min(from+size, n)
}
