// Package cli implements the sleuth commands. Each command has an options struct and gets its
// input, output and environment from Env, so behaviour is testable end to end.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sleuth-ci/sleuth/internal/redact"
	"github.com/sleuth-ci/sleuth/internal/report"
	"github.com/sleuth-ci/sleuth/playbook"
	"github.com/sleuth-ci/sleuth/playbooks"
)

// Exit codes, part of the contract with scripts.
const (
	ExitDiagnosed = 0 // a known failure was diagnosed (or the command succeeded)
	ExitNoMatch   = 1 // the command ran, nothing known matched
	ExitUsage     = 2 // usage or input error
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=v1.2.3".
var Version = "dev"

// Env is everything a command reads from or writes to the outside world.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// IsTerminal reports whether Stdout is a terminal (colour is used only then).
	IsTerminal bool
	// StderrIsTerminal reports whether Stderr is a terminal (progress is shown only then).
	StderrIsTerminal bool
}

// OSEnv is the real process environment.
func OSEnv() Env {
	return Env{
		Stdin:            os.Stdin,
		Stdout:           os.Stdout,
		Stderr:           os.Stderr,
		Getenv:           os.Getenv,
		IsTerminal:       term.IsTerminal(int(os.Stdout.Fd())),
		StderrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error // nil when the command already said everything
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func usageErr(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// global holds the flags every command shares.
type global struct {
	env      Env
	packs    []string
	noColor  bool
	full     catalogLoad
	matching catalogLoad
}

func (g *global) style() report.Style {
	return report.Style{Color: g.env.IsTerminal && !g.noColor && g.env.Getenv("NO_COLOR") == "" && g.env.Getenv("TERM") != "dumb"}
}

// packDirs lists the extra playbook directories: flags first, then SLEUTH_PLAYBOOKS.
func (g *global) packDirs() []string {
	dirs := append([]string(nil), g.packs...)
	if v := g.env.Getenv("SLEUTH_PLAYBOOKS"); v != "" {
		for _, d := range filepath.SplitList(v) {
			if d != "" {
				dirs = append(dirs, d)
			}
		}
	}
	return dirs
}

// catalogLoad is one way of loading the catalog, done once per command.
type catalogLoad struct {
	playbooks []*playbook.Playbook
	err       error
	done      bool
}

// playbooks loads the whole bundled catalog and the extra packs once: for the commands that
// show whole playbooks.
func (g *global) playbooks() ([]*playbook.Playbook, error) {
	return g.load(&g.full, func() ([]*playbook.Playbook, error) {
		return playbook.LoadFS(playbooks.FS, ".", "playbooks")
	})
}

// matchingPlaybooks loads the same catalog with only the fields that matching and listing
// need, from the generated index: no YAML to parse when a command starts.
func (g *global) matchingPlaybooks() ([]*playbook.Playbook, error) {
	return g.load(&g.matching, playbooks.ForMatching)
}

func (g *global) load(c *catalogLoad, bundled func() ([]*playbook.Playbook, error)) ([]*playbook.Playbook, error) {
	if c.done {
		return c.playbooks, c.err
	}
	c.done = true
	pbs, err := bundled()
	if err != nil {
		c.err = fmt.Errorf("bundled catalog: %w", err)
		return nil, c.err
	}
	packs := [][]*playbook.Playbook{pbs}
	for _, dir := range g.packDirs() {
		pack, err := playbook.LoadDir(dir)
		if err != nil {
			c.err = err
			return nil, err
		}
		packs = append(packs, pack)
	}
	c.playbooks, c.err = playbook.Merge(packs...)
	return c.playbooks, c.err
}

// NewRoot builds the command tree.
func NewRoot(env Env) *cobra.Command {
	g := &global{env: env}
	root := &cobra.Command{
		Use:   "sleuth",
		Short: "Tell why a CI job failed, and prove it",
		Long: `sleuth reads a failing CI log and names the failure, deterministically: the exact
evidence lines, a confidence, and the fix. Every failure it knows is a playbook you can read
with 'sleuth explain'.

Exit codes: 0 diagnosed, 1 nothing known matched, 2 usage or input error.`,
		Example: `  sleuth analyze build.log
  curl -sL "$LOG_URL" | sleuth analyze -
  sleuth analyze --json build.log.gz
  sleuth explain docker-no-basic-auth
  sleuth list --category auth`,
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.PersistentFlags().StringArrayVar(&g.packs, "playbooks", nil, "extra playbook `DIR` (repeatable; also SLEUTH_PLAYBOOKS)")
	root.PersistentFlags().BoolVar(&g.noColor, "no-color", false, "never colour the output (also NO_COLOR)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageErr("%v (see --help)", err)
	})
	root.AddCommand(
		newAnalyzeCmd(g),
		newFixCmd(g),
		newExplainCmd(g),
		newListCmd(g),
		newDocsCmd(g),
		newPlaybooksCmd(g),
		newEvalCmd(g),
		newCredsCmd(g),
		newRegistryCmd(g),
		newEnvCmd(g),
		newProbeCmd(g),
		newPullCmd(g),
		newDoctorCmd(g),
	)
	return root
}

// Run executes the command line and returns the process exit code.
func Run(env Env, args []string) int {
	root := NewRoot(env)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitDiagnosed
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			printError(env.Stderr, ee.err)
		}
		return ee.code
	}
	// Errors from cobra itself (unknown command, bad arguments) are usage errors.
	printError(env.Stderr, err)
	if strings.HasPrefix(err.Error(), "unknown command") {
		fmt.Fprintln(env.Stderr, "Run 'sleuth --help' for the list of commands.")
	}
	return ExitUsage
}

// printError prints err, one line per problem. Messages can quote a path, a URL or a line of
// a file the user gave, so they are redacted like a log.
func printError(w io.Writer, err error) {
	var pe playbook.Errors
	if errors.As(err, &pe) {
		for _, e := range pe {
			fmt.Fprintf(w, "sleuth: %s\n", redact.String(e.Error()))
		}
		return
	}
	fmt.Fprintf(w, "sleuth: %s\n", redact.String(err.Error()))
}
