package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sleuth-ci/sleuth/internal/ci"
	"github.com/sleuth-ci/sleuth/internal/diagnose"
	"github.com/sleuth-ci/sleuth/internal/logsrc"
	"github.com/sleuth-ci/sleuth/internal/match"
)

// ciHelp is the part of the help of commands that take a CI job URL.
const ciHelp = `A CI job or run URL is fetched from the provider's API: GitHub Actions (token from
GH_TOKEN or GITHUB_TOKEN; GH_ENTERPRISE_TOKEN for GitHub Enterprise Server), GitLab
(GITLAB_TOKEN for gitlab.com or GITLAB_HOST, or CI_JOB_TOKEN), CircleCI (CIRCLE_TOKEN) and
Buildkite (BUILDKITE_API_TOKEN). A run URL stands for its failed jobs. Tokens go only to
the provider's API, never to the storage hosts it redirects to, and are never printed.`

// ciLogs lists the logs a CI job or run URL stands for. The client must be closed.
func (g *global) ciLogs(ctx context.Context, raw string, allJobs bool) (*ci.Client, []*ci.Log, error) {
	c := ci.New(ci.Options{Getenv: g.env.Getenv, AllJobs: allJobs})
	logs, err := c.Logs(ctx, raw)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, logs, nil
}

// analyzeURL analyzes every log a CI URL stands for. A log that cannot be read is reported
// in the error, and the others are still analyzed.
func (g *global) analyzeURL(ctx context.Context, raw string, cat *match.Catalog, allJobs bool, opts diagnose.Options) ([]*diagnose.Analysis, error) {
	c, logs, err := g.ciLogs(ctx, raw, allJobs)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var (
		as   []*diagnose.Analysis
		errs []error
	)
	for _, l := range logs {
		a, err := g.analyzeCILog(ctx, l, cat, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		as = append(as, a)
	}
	return as, errors.Join(errs...)
}

// analyzeCILog streams one fetched log into the analysis, gzip detected by content as for
// files.
func (g *global) analyzeCILog(ctx context.Context, l *ci.Log, cat *match.Catalog, opts diagnose.Options) (*diagnose.Analysis, error) {
	rc, size, err := l.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// Read the first bytes here, so a failure names the job rather than stdin.
	br := bufio.NewReaderSize(rc, 64<<10)
	if _, err := br.Peek(2); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: %w", l.Name, err)
	}
	src, err := logsrc.Open("-", br)
	if err != nil {
		var se *logsrc.SourceError
		if errors.As(err, &se) {
			se.Name = l.Name
		}
		return nil, err
	}
	defer src.Close()
	src.Name = l.Name
	if src.Gzip {
		size = -1
	}
	r, done := g.withProgress(sourceErrors{src}, l.Name, size)
	defer done()
	return diagnose.Run(r, l.Name, cat, opts)
}

// sourceErrors drops the source name from read errors: the analysis names the log once.
type sourceErrors struct{ r io.Reader }

func (s sourceErrors) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	var se *logsrc.SourceError
	if err != nil && errors.As(err, &se) {
		err = fmt.Errorf("%s: %w", se.Msg, se.Err)
	}
	return n, err
}

// analyzeOneURL is analyzeFile for a URL: commands that act on one diagnosis need one job.
func (g *global) analyzeOneURL(ctx context.Context, raw string, cat *match.Catalog) (*diagnose.Analysis, error) {
	c, logs, err := g.ciLogs(ctx, raw, false)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if len(logs) > 1 {
		names := make([]string, len(logs))
		for i, l := range logs {
			names[i] = l.Name
		}
		display := raw
		if t, err := ci.Parse(raw); err == nil {
			display = t.Display
		}
		return nil, fmt.Errorf("%s: %d jobs failed; pass the URL of one of them: %s", display, len(logs), strings.Join(names, ", "))
	}
	return g.analyzeCILog(ctx, logs[0], cat, diagnose.Options{})
}

// printErrors prints each of the errors joined in err on its own line.
func printErrors(w io.Writer, err error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			printErrors(w, e)
		}
		return
	}
	printError(w, err)
}
