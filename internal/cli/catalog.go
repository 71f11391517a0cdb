package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sleuth-ci/sleuth/internal/report"
	"github.com/sleuth-ci/sleuth/playbook"
)

func newExplainCmd(g *global) *cobra.Command {
	var markdown bool
	cmd := &cobra.Command{
		Use:   "explain ID",
		Short: "Show the whole playbook for a failure",
		Long: `Show everything sleuth knows about one failure: what it means, the signals it looks for,
how to diagnose it, common causes, fix steps, validation, why it matters, prevention and how to
try it locally.`,
		Example: `  sleuth explain http-auth-failure
  sleuth explain --markdown docker-no-basic-auth > page.md`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pbs, err := g.playbooks()
			if err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			p := find(pbs, args[0])
			if p == nil {
				msg := fmt.Sprintf("no playbook %q", args[0])
				if near := nearest(pbs, args[0], 3); len(near) > 0 {
					msg += "; did you mean " + strings.Join(near, ", ") + "?"
				} else {
					msg += "; run 'sleuth list' to see them all"
				}
				return usageErr("%s", msg)
			}
			p = display([]*playbook.Playbook{p})[0]
			if markdown {
				return report.PlaybookMarkdown(g.env.Stdout, p)
			}
			return report.PlaybookText(g.env.Stdout, p, g.style())
		},
	}
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print the knowledge-base page instead")
	return cmd
}

func find(pbs []*playbook.Playbook, id string) *playbook.Playbook {
	for _, p := range pbs {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// nearest suggests ids that contain the query or are a few edits away from it.
func nearest(pbs []*playbook.Playbook, query string, n int) []string {
	type scored struct {
		id   string
		dist int
	}
	var cands []scored
	q := strings.ToLower(query)
	for _, p := range pbs {
		d := levenshtein(q, p.ID)
		if strings.Contains(p.ID, q) || strings.Contains(q, p.ID) {
			d = 0
		}
		if d <= len(q)/2+1 {
			cands = append(cands, scored{p.ID, d})
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].dist != cands[j].dist {
			return cands[i].dist < cands[j].dist
		}
		return cands[i].id < cands[j].id
	})
	var out []string
	for i := 0; i < len(cands) && i < n; i++ {
		out = append(out, cands[i].id)
	}
	return out
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func newListCmd(g *global) *cobra.Command {
	var (
		category string
		asJSON   bool
		patterns bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the playbooks in the catalog",
		Example: `  sleuth list
  sleuth list --category auth
  sleuth list --json | jq -r '.[].id'
  sleuth list --patterns > patterns.txt && rg -i -f patterns.txt build.log`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			pbs, err := g.matchingPlaybooks()
			if err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			if category != "" {
				var kept []*playbook.Playbook
				for _, p := range pbs {
					if p.Category == category {
						kept = append(kept, p)
					}
				}
				if len(kept) == 0 {
					return usageErr("no playbook in category %q; categories: %s", category, strings.Join(playbook.Categories, ", "))
				}
				pbs = kept
			}
			if !patterns {
				// --patterns prints regexes other tools run: they are printed as written.
				pbs = display(pbs)
			}
			switch {
			case patterns:
				seen := map[string]bool{}
				for _, p := range pbs {
					for _, pat := range p.Match.Any {
						// Names of capture groups are dropped: other tools (grep -E, ripgrep
						// with several patterns) reject repeated names.
						re := captureName.ReplaceAllString(pat.AsRegex(), "(")
						if !seen[re] {
							seen[re] = true
							fmt.Fprintln(g.env.Stdout, re)
						}
					}
				}
				return nil
			case asJSON:
				type entry struct {
					ID       string `json:"id"`
					Title    string `json:"title"`
					Category string `json:"category"`
					Layer    string `json:"layer"`
					Path     string `json:"path"`
				}
				out := make([]entry, len(pbs))
				for i, p := range pbs {
					out[i] = entry{p.ID, p.Title, p.Category, string(p.Layer), p.Path}
				}
				enc := json.NewEncoder(g.env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			tw := tabwriter.NewWriter(g.env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCATEGORY\tLAYER\tTITLE")
			for _, p := range pbs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.ID, p.Category, p.Layer, p.Title)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&category, "category", "", "only playbooks of this `category`")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&patterns, "patterns", false, "print every anchor pattern as a regex, one a line")
	return cmd
}

var captureName = regexp.MustCompile(`\(\?P?<[A-Za-z_][A-Za-z0-9_]*>`)

func newDocsCmd(g *global) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "docs --out DIR",
		Short: "Generate the Markdown knowledge base",
		Long: `Write one Markdown page per playbook, in the shape of 'sleuth explain --markdown', and an
index.md grouped by category.`,
		Example: `  sleuth docs --out site/failures`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErr("docs needs --out DIR")
			}
			pbs, err := g.playbooks()
			if err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			pbs = display(pbs)
			if err := os.MkdirAll(out, 0o755); err != nil {
				return usageErr("%v", err)
			}
			write := func(name string, render func(f *os.File) error) error {
				f, err := os.Create(filepath.Join(out, name))
				if err != nil {
					return err
				}
				if err := render(f); err != nil {
					f.Close()
					return err
				}
				return f.Close()
			}
			for _, p := range pbs {
				if err := write(p.ID+".md", func(f *os.File) error { return report.PlaybookMarkdown(f, p) }); err != nil {
					return usageErr("%v", err)
				}
			}
			if err := write("index.md", func(f *os.File) error { return report.Index(f, pbs) }); err != nil {
				return usageErr("%v", err)
			}
			fmt.Fprintf(g.env.Stderr, "wrote %d pages and index.md to %s\n", len(pbs), out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "output `DIR` (created if missing)")
	return cmd
}
