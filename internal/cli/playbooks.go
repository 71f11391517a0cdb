package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sleuth-ci/sleuth/internal/lint"
	"github.com/sleuth-ci/sleuth/internal/redact"
	"github.com/sleuth-ci/sleuth/playbook"
)

func newPlaybooksCmd(g *global) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "playbooks",
		Short: "Validate playbook packs and run their examples",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "lint [DIR]",
		Short: "Check playbooks: schema, unique ids, regexes, prefilter literals, examples, sections",
		Example: `  sleuth playbooks lint               # the bundled catalog and any packs
  sleuth playbooks lint ./my-playbooks`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pbs, ids, err := g.lintTarget(args)
			if err != nil {
				return err
			}
			problems := lint.Lint(append(pbs, ids...))
			var mine []*playbook.Error
			for _, p := range problems {
				for _, t := range pbs {
					if t.Path == p.Path {
						mine = append(mine, p)
						break
					}
				}
			}
			for _, p := range mine {
				fmt.Fprintln(g.env.Stdout, redact.String(p.Error()))
			}
			if len(mine) > 0 {
				fmt.Fprintf(g.env.Stdout, "%d problems in %d playbooks\n", len(mine), len(pbs))
				return &exitError{code: ExitNoMatch}
			}
			fmt.Fprintf(g.env.Stdout, "%d playbooks, no problems\n", len(pbs))
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "test [DIR]",
		Short: "Run every playbook's must-match and must-not-match examples",
		Example: `  sleuth playbooks test
  sleuth playbooks test ./my-playbooks`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pbs, _, err := g.lintTarget(args)
			if err != nil {
				return err
			}
			runs, failures, err := lint.TestExamples(pbs)
			if err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			for _, f := range failures {
				// Failures quote example log lines and captures.
				fmt.Fprintln(g.env.Stdout, redact.String(f.String()))
			}
			fmt.Fprintf(g.env.Stdout, "%d passed, %d failed\n", runs-len(failures), len(failures))
			if len(failures) > 0 {
				return &exitError{code: ExitNoMatch}
			}
			return nil
		},
	})
	return cmd
}

// lintTarget returns the playbooks to check (one directory, or the whole catalog) and the
// other playbooks whose ids they may refer to.
func (g *global) lintTarget(args []string) (target, others []*playbook.Playbook, err error) {
	if len(args) == 0 {
		pbs, err := g.playbooks()
		if err != nil {
			return nil, nil, &exitError{code: ExitUsage, err: err}
		}
		return pbs, nil, nil
	}
	pack, err := playbook.LoadDir(args[0])
	if err != nil {
		return nil, nil, &exitError{code: ExitUsage, err: err}
	}
	if _, err := playbook.Merge(pack); err != nil {
		return nil, nil, &exitError{code: ExitUsage, err: err}
	}
	// The rest of the catalog only resolves related ids; a problem there is not this pack's.
	all, _ := g.playbooks()
	inPack := map[string]bool{}
	for _, p := range pack {
		inPack[p.ID] = true
	}
	for _, p := range all {
		if !inPack[p.ID] {
			others = append(others, p)
		}
	}
	return pack, others, nil
}
