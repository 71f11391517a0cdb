package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sleuth-ci/sleuth/internal/diagnose"
	"github.com/sleuth-ci/sleuth/internal/hints"
	"github.com/sleuth-ci/sleuth/internal/logsrc"
	"github.com/sleuth-ci/sleuth/internal/match"
	"github.com/sleuth-ci/sleuth/internal/redact"
	"github.com/sleuth-ci/sleuth/internal/report"
)

type analyzeOptions struct {
	*global
	format       string
	json         bool
	explainScore bool
}

func newAnalyzeCmd(g *global) *cobra.Command {
	o := &analyzeOptions{global: g}
	cmd := &cobra.Command{
		Use:   "analyze FILE|- [FILE...]",
		Short: "Diagnose one or more failing CI logs",
		Long: `Read one or more CI logs (files, '-' for stdin, gzip detected by content) and name the
failure: the best diagnoses first, each with its evidence lines, a confidence and the fix.
When nothing known matches, sleuth says so and shows the lines that look most like the
failure. It never guesses.

Exit codes: 0 every log was diagnosed, 1 some log matched nothing known, 2 usage or input error.`,
		Example: `  sleuth analyze build.log
  sleuth analyze --json build.log | jq '.diagnoses[0].id'
  gh run view --log-failed | sleuth analyze -
  sleuth analyze --format markdown build.log >> "$GITHUB_STEP_SUMMARY"
  sleuth analyze --explain-score build.log`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(args) },
	}
	cmd.Flags().StringVarP(&o.format, "format", "f", "text", "output `format`: text, json or markdown")
	cmd.Flags().BoolVar(&o.json, "json", false, "shorthand for --format json")
	cmd.Flags().BoolVar(&o.explainScore, "explain-score", false, "show which patterns matched on which lines and how the confidence was computed")
	return cmd
}

func (o *analyzeOptions) run(args []string) error {
	if o.json {
		o.format = "json"
	}
	switch o.format {
	case "text", "json", "markdown":
	default:
		return usageErr("unknown format %q: use text, json or markdown", o.format)
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
		a, err := o.analyzeOne(path, cat)
		if err != nil {
			// Report it, but keep what the other logs said.
			printError(o.env.Stderr, err)
			inputErr = err
			continue
		}
		analyses = append(analyses, redactAnalysis(a))
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

func (o *analyzeOptions) render(as []*diagnose.Analysis) error {
	switch o.format {
	case "json":
		return report.JSON(o.env.Stdout, as)
	case "markdown":
		return report.Markdown(o.env.Stdout, as)
	}
	return report.Text(o.env.Stdout, as, o.style(), o.explainScore)
}

// compiled loads and compiles the catalog with the hint keywords.
func (g *global) compiled() (*match.Catalog, error) {
	pbs, err := g.matchingPlaybooks()
	if err != nil {
		return nil, err
	}
	return match.Compile(pbs, hints.Keywords)
}

func (o *analyzeOptions) analyzeOne(path string, cat *match.Catalog) (*diagnose.Analysis, error) {
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
	return diagnose.Run(r, src.Name, cat, diagnose.Options{Explain: o.explainScore})
}

// analyzeFile is the shared first step of commands that act on the top diagnosis.
func (g *global) analyzeFile(path string) (*diagnose.Analysis, error) {
	cat, err := g.compiled()
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
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

// redactAnalysis masks secrets in every string that came from the log.
func redactAnalysis(a *diagnose.Analysis) *diagnose.Analysis {
	a.Source = redact.String(a.Source)
	for i := range a.Diagnoses {
		d := &a.Diagnoses[i]
		for j := range d.Evidence {
			d.Evidence[j].Text = redact.String(d.Evidence[j].Text)
			d.Evidence[j].Step = redact.String(d.Evidence[j].Step)
		}
		for k, v := range d.Captures {
			d.Captures[k] = redact.String(v)
		}
		for j := range d.Fix {
			d.Fix[j] = redact.String(d.Fix[j])
		}
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
		Use:   "fix FILE|-",
		Short: "Print only the fix steps of the top diagnosis",
		Example: `  sleuth fix build.log
  cat build.log | sleuth fix -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := o.analyzeFile(args[0])
			if err != nil {
				return err
			}
			if len(a.Diagnoses) == 0 {
				fmt.Fprintf(o.env.Stderr, "sleuth: %s: no known failure matched; run 'sleuth analyze %s' for the lines that look like it\n", a.Source, args[0])
				return &exitError{code: ExitNoMatch}
			}
			return report.Fix(o.env.Stdout, a, o.style())
		},
	}
}
