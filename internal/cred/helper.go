package cred

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/docker/docker-credential-helpers/client"
	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/sleuth-ci/sleuth/internal/redact"
)

const helperPrefix = "docker-credential-"

// helper is one docker-credential-<suffix> program, run through the
// docker-credential-helpers client with a timeout and with its stderr captured.
type helper struct {
	Suffix  string
	Path    string // resolved executable; "" when missing
	LookErr error
	timeout time.Duration
}

// HelperError is a failed helper call. Its Error text is redacted and safe to print.
type HelperError struct {
	Helper   string // docker-credential-<suffix>
	Action   string // get, store, erase, list
	TimedOut bool
	Timeout  time.Duration
	Msg      string // the client's error with the helper's stdout (redacted)
	Stderr   string // what the helper printed on stderr (redacted, trimmed)
}

func (e *HelperError) Error() string {
	if e.TimedOut {
		return fmt.Sprintf("%s %s timed out after %s (killed)", e.Helper, e.Action, e.Timeout)
	}
	s := fmt.Sprintf("%s %s failed: %s", e.Helper, e.Action, e.Msg)
	if e.Stderr != "" {
		s += "; stderr: " + e.Stderr
	}
	return s
}

func (e Env) findHelper(suffix string) *helper {
	h := &helper{Suffix: suffix, timeout: e.HelperTimeout}
	p, err := e.LookPath(helperPrefix + suffix)
	if err != nil {
		h.LookErr = err
		return h
	}
	h.Path = p
	return h
}

func (h *helper) Name() string { return helperPrefix + h.Suffix }

// run is one helper invocation; it implements client.Program.
type run struct {
	ctx      context.Context
	path     string
	action   string
	timeout  time.Duration
	in       io.Reader
	stderr   bytes.Buffer
	timedOut bool
}

func (r *run) Input(in io.Reader) { r.in = in }

func (r *run) Output() ([]byte, error) {
	ctx, cancel := context.WithTimeout(r.ctx, r.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.path, r.action)
	cmd.Stdin = r.in
	cmd.Stderr = &r.stderr
	// A helper that hangs may leave children holding the pipes; stop waiting for them.
	cmd.WaitDelay = 500 * time.Millisecond
	out, err := cmd.Output()
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && r.ctx.Err() == nil {
		r.timedOut = true
		return out, fmt.Errorf("timed out after %s", r.timeout)
	}
	return out, err
}

// program returns the ProgramFunc for the client package and a pointer to the last run.
func (h *helper) program(ctx context.Context) (client.ProgramFunc, *[]*run) {
	var runs []*run
	return func(args ...string) client.Program {
		action := ""
		if len(args) > 0 {
			action = args[0]
		}
		r := &run{ctx: ctx, path: h.Path, action: action, timeout: h.timeout}
		runs = append(runs, r)
		return r
	}, &runs
}

func (h *helper) wrap(action string, runs []*run, err error) error {
	he := &HelperError{Helper: h.Name(), Action: action, Timeout: h.timeout}
	if len(runs) > 0 {
		last := runs[len(runs)-1]
		he.TimedOut = last.timedOut
		he.Stderr = cleanOutput(last.stderr.String())
	}
	he.Msg = cleanOutput(err.Error())
	return he
}

// cleanOutput redacts helper output and keeps it to a few hundred bytes on one line.
func cleanOutput(s string) string {
	s = strings.TrimSpace(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = redact.String(strings.TrimRight(l, "\r"))
	}
	s = strings.Join(lines, " | ")
	const max = 400
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}

// Get asks the helper for serverURL. found is false for the "credentials not found" answer.
func (h *helper) Get(ctx context.Context, serverURL string) (cred *Credential, found bool, err error) {
	pf, runs := h.program(ctx)
	c, err := client.Get(pf, serverURL)
	if err != nil {
		if credentials.IsErrCredentialsNotFound(err) {
			return nil, false, nil
		}
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, false, h.wrap("get", *runs, err)
	}
	cr := &Credential{}
	if c.Username == "<token>" {
		cr.IdentityToken = c.Secret
	} else {
		cr.Username = c.Username
		cr.Secret = c.Secret
	}
	if cr.Username == "" && cr.Secret == "" && cr.IdentityToken == "" {
		return nil, false, nil
	}
	return cr, true, nil
}

// Store saves a username and secret under serverURL.
func (h *helper) Store(ctx context.Context, serverURL, user, secret string) error {
	pf, runs := h.program(ctx)
	err := client.Store(pf, &credentials.Credentials{ServerURL: serverURL, Username: user, Secret: secret})
	if err != nil {
		return h.wrap("store", *runs, err)
	}
	return nil
}

// Erase removes serverURL; a helper that has nothing for it is not an error.
func (h *helper) Erase(ctx context.Context, serverURL string) error {
	pf, runs := h.program(ctx)
	err := client.Erase(pf, serverURL)
	if err != nil {
		if credentials.IsErrCredentialsNotFoundMessage(strings.TrimSpace(lastStdout(err))) {
			return nil
		}
		return h.wrap("erase", *runs, err)
	}
	return nil
}

// lastStdout extracts the `out` part of a client error message.
func lastStdout(err error) string {
	s := err.Error()
	i := strings.Index(s, "out: `")
	if i < 0 {
		return ""
	}
	return strings.TrimSuffix(s[i+len("out: `"):], "`")
}

// List returns server URL -> username.
func (h *helper) List(ctx context.Context) (map[string]string, error) {
	pf, runs := h.program(ctx)
	m, err := client.List(pf)
	if err != nil {
		return nil, h.wrap("list", *runs, err)
	}
	return m, nil
}
