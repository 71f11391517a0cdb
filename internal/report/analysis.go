// Package report renders analyses and playbooks, one renderer per format. Everything it is
// given has already been redacted.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sleuth-ci/sleuth/internal/diagnose"
	"github.com/sleuth-ci/sleuth/internal/match"
)

// Style colours text for a terminal; the zero Style prints plain text.
type Style struct{ Color bool }

func (s Style) wrap(code, text string) string {
	if !s.Color {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// Bold, Red, Dim and Green colour one piece of text.
func (s Style) Bold(t string) string  { return s.wrap("1", t) }
func (s Style) Red(t string) string   { return s.wrap("31", t) }
func (s Style) Dim(t string) string   { return s.wrap("2", t) }
func (s Style) Green(t string) string { return s.wrap("32", t) }

// JSON writes analyses as the sleuth.analysis.v1 contract: one object for one log, an array
// for several.
func JSON(w io.Writer, as []*diagnose.Analysis) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if len(as) == 1 {
		return enc.Encode(as[0])
	}
	return enc.Encode(as)
}

// Text writes analyses for people.
func Text(w io.Writer, as []*diagnose.Analysis, st Style, explain bool) error {
	b := &strings.Builder{}
	for i, a := range as {
		if i > 0 {
			b.WriteString("\n")
		}
		textOne(b, a, st, explain)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func textOne(b *strings.Builder, a *diagnose.Analysis, st Style, explain bool) {
	if len(a.Diagnoses) == 0 {
		fmt.Fprintf(b, "%s: no known failure matched (%s read).\n", st.Bold(a.Source), plural(a.Lines, "line"))
		if len(a.Hints) == 0 {
			b.WriteString("No line looks like an error either; the failure may be outside this log.\n")
			return
		}
		b.WriteString("These lines look most like the failure:\n")
		for _, h := range a.Hints {
			writeEvidence(b, "  ", h, st)
		}
		return
	}
	fmt.Fprintf(b, "%s: %s (%s read)\n", st.Bold(a.Source), plural(len(a.Diagnoses), "diagnosis"), plural(a.Lines, "line"))
	for i, d := range a.Diagnoses {
		fmt.Fprintf(b, "\n%d. %s  %s\n", i+1, st.Bold(d.Title), st.Dim(fmt.Sprintf("[%s, %s, confidence %.2f]", d.ID, d.Category, d.Confidence)))
		b.WriteString("   Evidence:\n")
		for _, e := range d.Evidence {
			writeEvidence(b, "     ", e, st)
		}
		if len(d.Captures) > 0 {
			b.WriteString("   Found: " + captures(d.Captures) + "\n")
		}
		if explain {
			b.WriteString("   Score:\n")
			for _, p := range d.Score {
				fmt.Fprintf(b, "     %+.2f  %s\n", p.Delta, p.Reason)
			}
		}
		if i == 0 {
			b.WriteString("   Fix:\n")
			for j, step := range d.Fix {
				writeStep(b, j+1, step)
			}
		}
		fmt.Fprintf(b, "   More: sleuth explain %s\n", d.ID)
	}
}

func writeEvidence(b *strings.Builder, indent string, e match.Evidence, st Style) {
	step := ""
	if e.Step != "" {
		step = " " + st.Dim("["+oneLine(e.Step)+"]")
	}
	fmt.Fprintf(b, "%s%s%s %s\n", indent, st.Red(fmt.Sprintf("line %d:", e.Line)), step, oneLine(e.Text))
}

// writeStep prints a numbered step; its later lines (code blocks) are indented under it.
func writeStep(b *strings.Builder, n int, step string) {
	lines := strings.Split(strings.TrimRight(step, "\n"), "\n")
	fmt.Fprintf(b, "     %d. %s\n", n, lines[0])
	for _, l := range lines[1:] {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			continue
		}
		fmt.Fprintf(b, "          %s\n", l)
	}
}

// Markdown writes analyses for pull-request comments and job summaries.
func Markdown(w io.Writer, as []*diagnose.Analysis) error {
	b := &strings.Builder{}
	for i, a := range as {
		if i > 0 {
			trimmed := strings.TrimRight(b.String(), "\n")
			b.Reset()
			b.WriteString(trimmed + "\n\n---\n\n")
		}
		fmt.Fprintf(b, "## sleuth: %s\n\n", mdEscape(a.Source))
		if len(a.Diagnoses) == 0 {
			fmt.Fprintf(b, "No known failure matched (%s read).\n", plural(a.Lines, "line"))
			if len(a.Hints) > 0 {
				b.WriteString("\nThese lines look most like the failure:\n\n```text\n")
				for _, h := range a.Hints {
					fmt.Fprintf(b, "%d: %s\n", h.Line, fence(h.Text))
				}
				b.WriteString("```\n")
			}
			continue
		}
		for j, d := range a.Diagnoses {
			fmt.Fprintf(b, "### %d. %s\n\n", j+1, mdEscape(d.Title))
			fmt.Fprintf(b, "`%s` · %s · confidence %.2f\n\n", d.ID, d.Category, d.Confidence)
			b.WriteString("```text\n")
			for _, e := range d.Evidence {
				fmt.Fprintf(b, "%d: %s\n", e.Line, fence(e.Text))
			}
			b.WriteString("```\n\n")
			if len(d.Captures) > 0 {
				fmt.Fprintf(b, "Found: %s\n\n", mdEscape(captures(d.Captures)))
			}
			if j == 0 {
				b.WriteString("**Fix**\n\n")
				for k, step := range d.Fix {
					b.WriteString(numbered(k+1, step))
				}
				b.WriteString("\n")
			}
			fmt.Fprintf(b, "Details: `sleuth explain %s`\n\n", d.ID)
		}
	}
	_, err := io.WriteString(w, strings.TrimRight(b.String(), "\n")+"\n")
	return err
}

// Fix writes only the steps of the top diagnosis.
func Fix(w io.Writer, a *diagnose.Analysis, st Style) error {
	b := &strings.Builder{}
	d := a.Diagnoses[0]
	fmt.Fprintf(b, "%s %s\n", st.Bold(d.Title), st.Dim("["+d.ID+"]"))
	for i, step := range d.Fix {
		writeStep(b, i+1, step)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func captures(m map[string]string) string {
	keys := sortedKeys(m)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "is") {
		return fmt.Sprintf("%d %ses", n, strings.TrimSuffix(word, "is"))
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// oneLine keeps a log line printable on one terminal line: control characters become spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// fence keeps log text from closing a Markdown code fence.
func fence(s string) string {
	return strings.ReplaceAll(oneLine(s), "```", "`\u200b``")
}

var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "|", `\|`)

func mdEscape(s string) string { return mdEscaper.Replace(oneLine(s)) }
