package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sleuth-ci/sleuth/playbook"
)

// PlaybookText writes the whole playbook for `sleuth explain`.
func PlaybookText(w io.Writer, p *playbook.Playbook, st Style) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "%s\n%s\n", st.Bold(p.Title), st.Dim(fmt.Sprintf("%s · %s · %s playbook", p.ID, p.Category, p.Layer)))
	section := func(title string) { fmt.Fprintf(b, "\n%s\n", st.Bold(title)) }
	section("What this failure means")
	b.WriteString(wrapText(p.Summary) + "\n")
	section("Symptoms")
	b.WriteString("sleuth looks for one or more of these log fragments:\n")
	for _, s := range p.Symptoms() {
		b.WriteString("  " + s + "\n")
	}
	if len(p.Match.All) > 0 {
		fmt.Fprintf(b, "together with, within %d lines:\n", p.Match.EffectiveWindow())
		for _, s := range p.Match.All {
			b.WriteString("  " + s.String() + "\n")
		}
	}
	section("Diagnosis")
	b.WriteString(strings.TrimRight(p.Diagnosis, "\n") + "\n")
	if len(p.Causes) > 0 {
		b.WriteString("\nCommon causes:\n")
		for _, c := range p.Causes {
			b.WriteString("  - " + c + "\n")
		}
	}
	section("Fix steps")
	for i, step := range p.Fix {
		writeStep(b, i+1, step)
	}
	textList(b, st, "Validation", p.Validation)
	if p.Why != "" {
		section("Why it matters")
		b.WriteString(wrapText(p.Why) + "\n")
	}
	textList(b, st, "Prevention", p.Prevention)
	if len(p.Local) > 0 {
		section("Try it locally")
		for _, c := range p.Local {
			b.WriteString("  " + c + "\n")
		}
	}
	if len(p.Related) > 0 {
		section("Related")
		b.WriteString("  " + strings.Join(p.Related, ", ") + "\n")
	}
	if len(p.References) > 0 {
		section("References")
		for _, r := range p.References {
			b.WriteString("  " + r + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func textList(b *strings.Builder, st Style, title string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s\n", st.Bold(title))
	for _, it := range items {
		lines := strings.Split(strings.TrimRight(it, "\n"), "\n")
		b.WriteString("  - " + lines[0] + "\n")
		for _, l := range lines[1:] {
			b.WriteString("    " + l + "\n")
		}
	}
}

// wrapText trims a folded YAML paragraph.
func wrapText(s string) string { return strings.TrimSpace(s) }

// PlaybookMarkdown writes one knowledge-base page in the seed page's shape.
func PlaybookMarkdown(w io.Writer, p *playbook.Playbook) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "# %s\n\n", p.Title)
	fmt.Fprintf(b, "`%s` · category `%s` · %s playbook\n\n", p.ID, p.Category, p.Layer)
	b.WriteString("## What this failure means\n\n" + wrapText(p.Summary) + "\n\n")
	b.WriteString("## Symptoms\n\nsleuth looks for one or more of these log fragments:\n\n")
	for _, s := range p.Symptoms() {
		fmt.Fprintf(b, "- `%s`\n", strings.ReplaceAll(s, "`", "'"))
	}
	if len(p.Match.All) > 0 {
		fmt.Fprintf(b, "\ntogether with, within %d lines:\n\n", p.Match.EffectiveWindow())
		for _, s := range p.Match.All {
			fmt.Fprintf(b, "- `%s`\n", strings.ReplaceAll(s.String(), "`", "'"))
		}
	}
	b.WriteString("\n## Diagnosis\n\n" + strings.TrimRight(p.Diagnosis, "\n") + "\n")
	if len(p.Causes) > 0 {
		b.WriteString("\nCommon causes:\n\n")
		for _, c := range p.Causes {
			b.WriteString("- " + c + "\n")
		}
	}
	b.WriteString("\n## Fix steps\n\n")
	for i, step := range p.Fix {
		b.WriteString(numbered(i+1, step))
	}
	mdList(b, "Validation", p.Validation)
	if p.Why != "" {
		b.WriteString("\n## Why it matters\n\n" + wrapText(p.Why) + "\n")
	}
	mdList(b, "Prevention", p.Prevention)
	if len(p.Local) > 0 {
		b.WriteString("\n## Try it locally\n\n```sh\n")
		for _, c := range p.Local {
			b.WriteString(c + "\n")
		}
		b.WriteString("```\n")
	}
	b.WriteString("\n## How sleuth detects it\n\n")
	fmt.Fprintf(b, "Use `sleuth explain %s` to see the full playbook.\n\n```sh\nsleuth analyze build.log\nsleuth explain %s\n```\n", p.ID, p.ID)
	if len(p.Related) > 0 {
		b.WriteString("\n## Related\n\n")
		for _, r := range p.Related {
			fmt.Fprintf(b, "- [%s](%s.md)\n", r, r)
		}
	}
	if len(p.References) > 0 {
		b.WriteString("\n## References\n\n")
		for _, r := range p.References {
			b.WriteString("- <" + r + ">\n")
		}
	}
	fmt.Fprintf(b, "\nGenerated from %s. Do not edit directly.\n", p.Path)
	_, err := io.WriteString(w, b.String())
	return err
}

// numbered renders a Markdown list item whose continuation lines (code blocks) are indented
// under it.
func numbered(n int, step string) string {
	lines := strings.Split(strings.TrimRight(step, "\n"), "\n")
	prefix := fmt.Sprintf("%d. ", n)
	out := prefix + lines[0] + "\n"
	for _, l := range lines[1:] {
		if l == "" {
			out += "\n"
			continue
		}
		out += strings.Repeat(" ", len(prefix)) + l + "\n"
	}
	return out
}

func mdList(b *strings.Builder, title string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## %s\n\n", title)
	for _, it := range items {
		lines := strings.Split(strings.TrimRight(it, "\n"), "\n")
		b.WriteString("- " + lines[0] + "\n")
		for _, l := range lines[1:] {
			b.WriteString("  " + l + "\n")
		}
	}
}

// Index writes the knowledge-base index page, grouped by category.
func Index(w io.Writer, pbs []*playbook.Playbook) error {
	byCat := map[string][]*playbook.Playbook{}
	for _, p := range pbs {
		byCat[p.Category] = append(byCat[p.Category], p)
	}
	b := &strings.Builder{}
	fmt.Fprintf(b, "# sleuth knowledge base\n\n%d playbooks. Each page says what the failure means, how sleuth recognises it, and how to fix it.\n", len(pbs))
	for _, cat := range sortedKeys(byCat) {
		fmt.Fprintf(b, "\n## %s\n\n", cat)
		for _, p := range byCat[cat] {
			fmt.Fprintf(b, "- [%s](%s.md): %s\n", p.ID, p.ID, p.Title)
		}
	}
	b.WriteString("\nGenerated from the playbook catalog. Do not edit directly.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
