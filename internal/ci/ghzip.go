package ci

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/sleuth-ci/sleuth/internal/logsrc"
)

// GitHub's run log archive (GET /repos/OWNER/REPO/actions/runs/RUN_ID/logs, a redirect to a
// zip) holds one file per job at the top ("0_build.txt") and a folder per job with one file
// per step ("build/1_Set up job.txt", "build/2_Run tests.txt"). A job's log is rebuilt from
// its step files, each opened with a step marker so evidence names the step; without step
// files, the job's top-level file is used as it is.

// runArchive downloads the archive of a run (attempt) once per client, into a temporary
// file that Close removes.
func (s *githubSession) runArchive(ctx context.Context, run string, attempt int) (*zip.Reader, error) {
	u := s.repoURL("/actions/runs/%s/logs", run)
	if attempt > 0 {
		u = s.repoURL("/actions/runs/%s/attempts/%d/logs", run, attempt)
	}
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.zips == nil {
		c.zips = map[string]*zip.Reader{}
	}
	if zr, ok := c.zips[u]; ok {
		return zr, nil
	}
	resp, err := c.get(ctx, s.req(u))
	if err != nil {
		return nil, s.explain(err, "run "+run)
	}
	defer resp.Body.Close()
	f, err := os.CreateTemp(c.tempDir, "sleuth-run-*.zip")
	if err != nil {
		return nil, err
	}
	c.temps = append(c.temps, f)
	n, err := io.Copy(f, capped(resp.Body, maxZipBytes, "the log archive of run "+run))
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(f, n)
	if err != nil {
		return nil, fmt.Errorf("the log archive of run %s is not a valid zip: %v", run, err)
	}
	c.zips[u] = zr
	return zr, nil
}

// zipJobLog returns job j's log rebuilt from the run's archive.
func (s *githubSession) zipJobLog(ctx context.Context, run string, j githubJob) (io.ReadCloser, error) {
	zr, err := s.runArchive(ctx, run, j.RunAttempt)
	if err != nil {
		return nil, err
	}
	steps := archiveSteps(zr, j.Name)
	if len(steps) == 0 {
		return nil, fmt.Errorf("the log archive of run %s has no files for job %q", run, j.Name)
	}
	return pipeLog(ctx, func(ctx context.Context, w *logWriter) error {
		for _, st := range steps {
			if st.name != "" {
				if err := w.step(st.name); err != nil {
					return err
				}
			}
			rc, err := st.file.Open()
			if err != nil {
				return fmt.Errorf("the log archive of run %s: %s: %v", run, st.file.Name, err)
			}
			_, err = io.Copy(w, rc)
			rc.Close()
			if err != nil {
				return err
			}
			if err := w.endLine(); err != nil {
				return err
			}
		}
		return nil
	}), nil
}

type archiveStep struct {
	num  int
	name string // "" for a whole-job file
	file *zip.File
}

// archiveSteps returns the step files of the job named name in order, or else its
// top-level file.
func archiveSteps(zr *zip.Reader, name string) []archiveStep {
	var steps, whole []archiveStep
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		dir, file := path.Split(f.Name)
		dir = strings.TrimSuffix(dir, "/")
		num, base := splitNumbered(file)
		switch {
		case dir == "" && sameJob(base, name):
			whole = append(whole, archiveStep{num: num, file: f})
		case dir != "" && !strings.Contains(dir, "/") && sameJob(dir, name):
			steps = append(steps, archiveStep{num: num, name: base, file: f})
		}
	}
	if len(steps) == 0 {
		steps = whole
	}
	slices.SortStableFunc(steps, func(a, b archiveStep) int {
		if a.num != b.num {
			return a.num - b.num
		}
		return strings.Compare(a.name, b.name)
	})
	return steps
}

// splitNumbered splits "2_Run tests.txt" into 2 and "Run tests"; a file without a number
// sorts last.
func splitNumbered(file string) (int, string) {
	file = strings.TrimSuffix(file, ".txt")
	if i := strings.IndexByte(file, '_'); i > 0 {
		if n, err := strconv.Atoi(file[:i]); err == nil {
			return n, file[i+1:]
		}
	}
	return 1 << 30, file
}

// sameJob compares a file or folder name of the archive with a job name: exactly, or
// ignoring the characters the archive cannot hold in a name and case.
func sameJob(entry, job string) bool {
	if entry == job {
		return true
	}
	squash := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b.WriteRune(unicode.ToLower(r))
			}
		}
		return b.String()
	}
	e := squash(entry)
	return e != "" && e == squash(job)
}

// logWriter writes a rebuilt log: step markers, and a newline wherever a piece did not
// end with one, so pieces never share a line.
type logWriter struct {
	w    io.Writer
	last byte
	n    int64
}

func (w *logWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if n > 0 {
		w.last = p[n-1]
		w.n += int64(n)
	}
	if err == nil && w.n > maxLogBytes {
		err = fmt.Errorf("the log is larger than %d MiB; stopped reading", maxLogBytes>>20)
	}
	return n, err
}

func (w *logWriter) endLine() error {
	if w.n == 0 || w.last == '\n' {
		return nil
	}
	_, err := w.Write([]byte{'\n'})
	return err
}

func (w *logWriter) step(name string) error {
	if err := w.endLine(); err != nil {
		return err
	}
	_, err := io.WriteString(w, logsrc.StepLine(name))
	return err
}

// pipeLog runs write on a goroutine and returns what it writes as a stream. Closing the
// stream cancels the writer's context.
func pipeLog(ctx context.Context, write func(ctx context.Context, w *logWriter) error) io.ReadCloser {
	ctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	go func() {
		err := write(ctx, &logWriter{w: pw})
		pw.CloseWithError(err)
	}()
	return &pipeReader{PipeReader: pr, cancel: cancel}
}

type pipeReader struct {
	*io.PipeReader
	cancel context.CancelFunc
}

func (p *pipeReader) Close() error {
	p.cancel()
	return p.PipeReader.Close()
}
