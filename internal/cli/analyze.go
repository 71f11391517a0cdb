package cli

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sleuth-ci/sleuth/internal/ci"
	"github.com/sleuth-ci/sleuth/internal/diagnose"
	"github.com/sleuth-ci/sleuth/internal/hints"
	"github.com/sleuth-ci/sleuth/internal/logsrc"
	"github.com/sleuth-ci/sleuth/internal/match"
	"github.com/sleuth-ci/sleuth/internal/redact"
	"github.com/sleuth-ci/sleuth/internal/report"
	"github.com/sleuth-ci/sleuth/playbook"
)

type analyzeOptions struct {
	*global
	format       string
	json         bool
	explainScore bool
	allJobs      bool
}

func newAnalyzeCmd(g *global) *cobra.Command {
	o := &analyzeOptions{global: g}
	cmd := &cobra.Command{
		Use:   "analyze FILE|URL|- [FILE|URL...]",
		Short: "Diagnose one or more failing CI logs",
		Long: `Read one or more CI logs (files, '-' for stdin, gzip detected by content) and name the
failure: the best diagnoses first, each with its evidence lines, a confidence and the fix.
When nothing known matches, sleuth says so and shows the lines that look most like the
failure. It never guesses.

` + ciHelp + `

Exit codes: 0 every log was diagnosed, 1 some log matched nothing known, 2 usage or input error.`,
		Example: `  sleuth analyze build.log
  sleuth analyze --json build.log | jq '.diagnoses[0].id'
  gh run view --log-failed | sleuth analyze -
  sleuth analyze https://github.com/acme/app/actions/runs/123/job/456
  GITLAB_TOKEN=... sleuth analyze https://gitlab.com/acme/app/-/jobs/789
  sleuth analyze --all-jobs https://buildkite.com/acme/app/builds/42
  sleuth analyze --format markdown build.log >> "$GITHUB_STEP_SUMMARY"
  sleuth analyze --format github build.log     # annotations, plus the job summary
  sleuth analyze --format gitlab build.log > gl-code-quality-report.json
  sleuth analyze --format sarif build.log > sleuth.sarif
  sleuth analyze --explain-score build.log`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(args) },
	}
	cmd.Flags().StringVarP(&o.format, "format", "f", "text", "output `format`: "+strings.Join(formats, ", "))
	cmd.Flags().BoolVar(&o.json, "json", false, "shorthand for --format json")
	cmd.Flags().BoolVar(&o.explainScore, "explain-score", false, "show which patterns matched on which lines and how the confidence was computed")
	cmd.Flags().BoolVar(&o.allJobs, "all-jobs", false, "for a CI run URL, analyze every job, not only the failed ones")
	return cmd
}

func (o *analyzeOptions) run(args []string) error {
	if o.json {
		o.format = "json"
	}
	if !slices.Contains(formats, o.format) {
		return usageErr("unknown format %q: use one of %s", o.format, strings.Join(formats, ", "))
	}
	cat, err := o.compiled()
	if err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	var (
		analyses []*diagnose.Analysis
		inputErr error
	)
	for _, path := range args {
		as, err := o.analyzeOne(path, cat)
		for _, a := range as {
			analyses = append(analyses, redactAnalysis(a))
		}
		if err != nil {
			// Report it, but keep what the other logs said.
			printErrors(o.env.Stderr, err)
			inputErr = err
		}
	}
	if len(analyses) > 0 {
		if err := o.render(analyses); err != nil {
			return &exitError{code: ExitUsage, err: err}
		}
	}
	if inputErr != nil {
		return &exitError{code: ExitUsage}
	}
	for _, a := range analyses {
		if len(a.Diagnoses) == 0 {
			return &exitError{code: ExitNoMatch}
		}
	}
	return nil
}

// formats are the output formats of analyze: for people, for scripts, and for CI systems
// (GitHub Actions annotations, a GitLab Code Quality report, SARIF 2.1.0).
var formats = []string{"text", "json", "markdown", "github", "gitlab", "sarif"}

// render prints analyses that are already redacted.
func (o *analyzeOptions) render(as []*diagnose.Analysis) error {
	switch o.format {
	case "json":
		return report.JSON(o.env.Stdout, as)
	case "markdown":
		return report.Markdown(o.env.Stdout, as)
	case "github":
		if err := report.GitHub(o.env.Stdout, as); err != nil {
			return err
		}
		return o.appendStepSummary(as)
	case "gitlab":
		return report.GitLab(o.env.Stdout, as, diagnosisPlaybooks(as))
	case "sarif":
		// The rules describe the playbooks in full: the whole catalog, not the matching index,
		// shown as explain shows it (packs redacted).
		pbs, err := o.playbooks()
		if err != nil {
			return err
		}
		byID := make(map[string]*playbook.Playbook, len(pbs))
		for _, p := range display(pbs) {
			byID[p.ID] = p
		}
		return report.SARIF(o.env.Stdout, as, Version, func(id string) *playbook.Playbook { return byID[id] })
	}
	return report.Text(o.env.Stdout, as, o.style(), o.explainScore)
}

// appendStepSummary adds the Markdown report to the GitHub Actions job summary when the
// runner names one: appended, since earlier steps may have written to it too.
func (o *analyzeOptions) appendStepSummary(as []*diagnose.Analysis) error {
	path := o.env.Getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("cannot write the job summary (GITHUB_STEP_SUMMARY): %w", err)
	}
	// A blank line keeps the report apart from what is already there.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		_, _ = f.WriteString("\n")
	}
	if err := report.Markdown(f, as); err != nil {
		f.Close()
		return fmt.Errorf("cannot write the job summary (GITHUB_STEP_SUMMARY): %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write the job summary (GITHUB_STEP_SUMMARY): %w", err)
	}
	return nil
}

// diagnosisPlaybooks looks playbooks up from the diagnoses themselves (enough for layers).
func diagnosisPlaybooks(as []*diagnose.Analysis) report.Lookup {
	byID := map[string]*playbook.Playbook{}
	for _, a := range as {
		for i := range a.Diagnoses {
			if p := a.Diagnoses[i].Playbook(); p != nil {
				byID[p.ID] = p
			}
		}
	}
	return func(id string) *playbook.Playbook { return byID[id] }
}

// compiled loads and compiles the catalog with the hint keywords.
func (g *global) compiled() (*match.Catalog, error) {
	pbs, err := g.matchingPlaybooks()
	if err != nil {
		return nil, err
	}
	return match.Compile(pbs, hints.Keywords)
}

// analyzeOne analyzes a file, stdin, or the logs of a CI job or run URL (one per job).
func (o *analyzeOptions) analyzeOne(path string, cat *match.Catalog) ([]*diagnose.Analysis, error) {
	if ci.IsURL(path) {
		return o.analyzeURL(context.Background(), path, cat, o.allJobs, diagnose.Options{Explain: o.explainScore})
	}
	src, err := logsrc.Open(path, o.env.Stdin)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	// Gzip sizes are compressed sizes: progress is then shown as bytes read only.
	size := src.Size
	if src.Gzip {
		size = -1
	}
	r, done := o.withProgress(src, src.Name, size)
	defer done()
	a, err := diagnose.Run(r, src.Name, cat, diagnose.Options{Explain: o.explainScore})
	if err != nil {
		return nil, err
	}
	return []*diagnose.Analysis{a}, nil
}

// analyzeFile is the shared first step of commands that act on the top diagnosis.
func (g *global) analyzeFile(path string) (*diagnose.Analysis, error) {
	cat, err := g.compiled()
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	if ci.IsURL(path) {
		a, err := g.analyzeOneURL(context.Background(), path, cat)
		if err != nil {
			return nil, &exitError{code: ExitUsage, err: err}
		}
		return redactAnalysis(a), nil
	}
	src, err := logsrc.Open(path, g.env.Stdin)
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	defer src.Close()
	a, err := diagnose.Run(src, src.Name, cat, diagnose.Options{})
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	return redactAnalysis(a), nil
}

// redactAnalysis masks secrets in every string that came from the log or a pack.
func redactAnalysis(a *diagnose.Analysis) *diagnose.Analysis {
	a.Source = redact.String(a.Source)
	for i := range a.Diagnoses {
		d := &a.Diagnoses[i]
		// The title comes from the playbook: a pack's is redacted as explain shows it.
		if p := d.Playbook(); p == nil || !isBundled(p) {
			d.Title = redact.String(d.Title)
		}
		for j := range d.Evidence {
			d.Evidence[j].Text = redact.String(d.Evidence[j].Text)
			d.Evidence[j].Step = redact.String(d.Evidence[j].Step)
		}
		for k, v := range d.Captures {
			d.Captures[k] = redact.String(v)
		}
		// One stream over the steps: a key pasted over several steps is masked whole.
		d.Fix = redactTexts(d.Fix)
	}
	for i := range a.Hints {
		a.Hints[i].Text = redact.String(a.Hints[i].Text)
		a.Hints[i].Step = redact.String(a.Hints[i].Step)
	}
	return a
}

type fixOptions struct{ *global }

func newFixCmd(g *global) *cobra.Command {
	o := &fixOptions{global: g}
	return &cobra.Command{
		Use:   "fix FILE|URL|-",
		Short: "Print only the fix steps of the top diagnosis",
		Example: `  sleuth fix build.log
  cat build.log | sleuth fix -
  sleuth fix https://github.com/OWNER/REPO/actions/runs/RUN_ID/job/JOB_ID`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := o.analyzeFile(args[0])
			if err != nil {
				return err
			}
			if len(a.Diagnoses) == 0 {
				fmt.Fprintf(o.env.Stderr, "sleuth: %s: no known failure matched; run 'sleuth analyze %s' for the lines that look like it\n", a.Source, redact.String(args[0]))
				return &exitError{code: ExitNoMatch}
			}
			return report.Fix(o.env.Stdout, a, o.style())
		},
	}
}
