package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sleuth-ci/sleuth/internal/eval"
	"github.com/sleuth-ci/sleuth/playbook"
)

type evalOptions struct {
	*global
	json          bool
	baseline      string
	writeBaseline string
}

func newEvalCmd(g *global) *cobra.Command {
	o := &evalOptions{global: g}
	cmd := &cobra.Command{
		Use:   "eval CORPUS",
		Short: "Measure diagnosis accuracy over a labelled corpus of logs",
		Long: `Run the same analysis as 'sleuth analyze' on every log of a labelled corpus and score it.

A corpus is a directory with a cases.jsonl file, one JSON object per line:
  {"file": "docker/login-401.log", "expect": "docker-login-incorrect-credentials", "source": "https://..."}
"expect" is the playbook id the log should be diagnosed as, or "" for a green log that must
produce no diagnosis. "note" is optional.

Metrics: top-1 and top-3 accuracy (a green log counts as right when nothing is diagnosed),
unmatched rate (an id was expected, nothing was diagnosed; over labelled cases), false-diagnosis
rate (a wrong top-1, or any diagnosis on a green log; over all cases), and a cost that weighs a
false diagnosis twice as heavily as no answer. Every miss is listed with its first evidence line.

Exit codes: 0 done (and no drop against --baseline), 1 a metric dropped against the baseline,
2 usage error or a bad corpus (the file and line are named).`,
		Example: `  sleuth eval testdata/corpus
  sleuth eval --json testdata/corpus | jq .metrics
  sleuth eval testdata/corpus --baseline testdata/corpus/baseline.json
  sleuth eval testdata/corpus --write-baseline testdata/corpus/baseline.json
  sleuth eval --playbooks ./my-pack testdata/corpus`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(args[0]) },
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print the report as JSON")
	cmd.Flags().StringVar(&o.baseline, "baseline", "", "compare with the baseline `FILE` and exit 1 on any drop")
	cmd.Flags().StringVar(&o.writeBaseline, "write-baseline", "", "write the metrics to the baseline `FILE`")
	return cmd
}

func (o *evalOptions) run(dir string) error {
	if o.baseline != "" && o.writeBaseline != "" {
		return usageErr("--baseline and --write-baseline cannot be used together: compare first, then write")
	}
	var base eval.Metrics
	if o.baseline != "" {
		m, err := eval.ReadBaseline(o.baseline)
		if err != nil {
			return usageErr("%v", err)
		}
		base = m
	}
	cases, err := eval.Load(dir)
	if err != nil {
		return corpusErr(err)
	}
	pbs, err := o.playbooks()
	if err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	cat, err := o.compiled()
	if err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	ids := make(map[string]bool, len(pbs))
	sources := map[string]bool{}
	for _, p := range pbs {
		ids[p.ID] = true
		for _, ex := range append(append([]playbook.Example(nil), p.Examples.Match...), p.Examples.NoMatch...) {
			if ex.Source != "" {
				sources[eval.SourceKey(ex.Source)] = true
			}
		}
	}
	rep, err := eval.Run(dir, cases, cat, func(id string) bool { return ids[id] })
	if err != nil {
		return corpusErr(err)
	}
	rep.Catalog = len(pbs)
	rep.MarkSeen(func(key string) bool { return sources[key] })
	if o.baseline != "" {
		rep.Drops = eval.Compare(base, rep.Metrics)
	}
	if o.json {
		err = eval.JSON(o.env.Stdout, rep)
	} else {
		err = eval.Text(o.env.Stdout, rep)
	}
	if err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	if o.writeBaseline != "" {
		if err := eval.WriteBaseline(o.writeBaseline, rep); err != nil {
			return &exitError{code: ExitUsage, err: fmt.Errorf("write baseline: %w", err)}
		}
		fmt.Fprintf(o.env.Stderr, "sleuth: wrote baseline %s\n", o.writeBaseline)
	}
	if len(rep.Drops) > 0 {
		msgs := make([]string, len(rep.Drops))
		for i, d := range rep.Drops {
			msgs[i] = d.String()
		}
		return &exitError{code: ExitNoMatch, err: fmt.Errorf("accuracy dropped against %s: %s; fix the regression, or if it is intended, update the baseline with 'sleuth eval %s --write-baseline %s'",
			o.baseline, strings.Join(msgs, "; "), dir, o.baseline)}
	}
	if o.baseline != "" {
		fmt.Fprintf(o.env.Stderr, "sleuth: no drop against %s\n", o.baseline)
	}
	return nil
}

// corpusErr prints every defect of a bad corpus on its own line: exit 2.
func corpusErr(err error) error {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		var lines []string
		for _, e := range joined.Unwrap() {
			lines = append(lines, e.Error())
		}
		return &exitError{code: ExitUsage, err: errors.New(strings.Join(lines, "\nsleuth: "))}
	}
	return &exitError{code: ExitUsage, err: err}
}
