package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sleuth-ci/sleuth/internal/diagnose"
	"github.com/sleuth-ci/sleuth/internal/match"
	"github.com/sleuth-ci/sleuth/playbook"
)

// Lookup finds the playbook behind a diagnosis id, or returns nil when it is not known. The CI
// formats use it for the layer (severity) and, in SARIF, for the rule descriptions.
type Lookup func(id string) *playbook.Playbook

// NoMatchID names findings that are not diagnoses: the lines that look most like the failure
// when nothing known matched.
const NoMatchID = "no-known-failure"

// playbookFor asks lookup first, then the diagnosis itself.
func playbookFor(lookup Lookup, d *diagnose.Diagnosis) *playbook.Playbook {
	if lookup != nil {
		if p := lookup(d.ID); p != nil {
			return p
		}
	}
	return d.Playbook()
}

// GitHub writes GitHub Actions workflow commands: one ::error annotation per diagnosis, and a
// ::warning naming the most likely line when nothing known matched. Annotations carry no
// file= property: they would point at a repository file, and the log is not one; the log and
// its line are named in the message instead.
func GitHub(w io.Writer, as []*diagnose.Analysis) error {
	b := &strings.Builder{}
	for _, a := range as {
		if len(a.Diagnoses) == 0 {
			title := "sleuth: no known failure in " + oneLine(a.Source)
			var msg string
			if len(a.Hints) == 0 {
				msg = fmt.Sprintf("no known failure matched in %s (%s read) and no line looks like an error; the failure may be outside this log", oneLine(a.Source), plural(a.Lines, "line"))
			} else {
				h := a.Hints[0]
				msg = fmt.Sprintf("no known failure; look at line %d of %s: %s", h.Line, oneLine(a.Source), evidenceText(h))
				if len(a.Hints) > 1 {
					msg += "\nalso lines " + hintLines(a.Hints[1:])
				}
			}
			fmt.Fprintf(b, "::warning title=%s::%s\n", escapeProperty(title), escapeData(msg))
			continue
		}
		for _, d := range a.Diagnoses {
			e := d.Evidence[0]
			msg := fmt.Sprintf("%s line %d: %s", oneLine(a.Source), e.Line, evidenceText(e))
			if len(d.Fix) > 0 {
				msg += "\nFix: " + plainStep(d.Fix[0])
			}
			fmt.Fprintf(b, "::error title=%s::%s\n", escapeProperty(d.Title+" ("+d.ID+")"), escapeData(msg))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// evidenceText is a log line with its CI step, on one line.
func evidenceText(e match.Evidence) string {
	if e.Step == "" {
		return oneLine(e.Text)
	}
	return "[" + oneLine(e.Step) + "] " + oneLine(e.Text)
}

func hintLines(hs []match.Evidence) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = fmt.Sprint(h.Line)
	}
	return strings.Join(parts, ", ")
}

// escapeData escapes the message of a workflow command, as the Actions toolkit does.
var dataEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")

func escapeData(s string) string { return dataEscaper.Replace(s) }

// escapeProperty escapes a property value of a workflow command: ':' and ',' would end it.
var propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")

func escapeProperty(s string) string { return propertyEscaper.Replace(s) }

// GitLab Code Quality severities. A diagnosis names the failure of a job that already failed:
// a tool or protocol-class playbook is "major", a bare symptom (a generic playbook) is "minor",
// and the lines shown when nothing matched are "info". "critical" and "blocker" are not used:
// GitLab sorts merge-request findings by severity, and a log diagnosis is no more severe
// than the failed pipeline that already blocks the merge.
const (
	severityMajor = "major"
	severityMinor = "minor"
	severityInfo  = "info"
)

type codeQualityIssue struct {
	Description string              `json:"description"`
	CheckName   string              `json:"check_name"`
	Fingerprint string              `json:"fingerprint"`
	Severity    string              `json:"severity"`
	Location    codeQualityLocation `json:"location"`
}

type codeQualityLocation struct {
	Path  string           `json:"path"`
	Lines codeQualityLines `json:"lines"`
}

type codeQualityLines struct {
	Begin int `json:"begin"`
}

// GitLab writes a GitLab Code Quality report: a JSON array with one issue per diagnosis, each
// located at its first evidence line in the log; when nothing known matched, one "info" issue
// at the line that looks most like the failure.
func GitLab(w io.Writer, as []*diagnose.Analysis, lookup Lookup) error {
	issues := []codeQualityIssue{}
	for _, a := range as {
		if len(a.Diagnoses) == 0 {
			if len(a.Hints) == 0 {
				continue
			}
			h := a.Hints[0]
			issues = append(issues, codeQualityIssue{
				Description: fmt.Sprintf("sleuth: no known failure matched; look at line %d: %s", h.Line, evidenceText(h)),
				CheckName:   "sleuth/" + NoMatchID,
				Fingerprint: Fingerprint(NoMatchID, a.Source, h.Text),
				Severity:    severityInfo,
				Location:    codeQualityLocation{Path: a.Source, Lines: codeQualityLines{Begin: h.Line}},
			})
			continue
		}
		for i := range a.Diagnoses {
			d := &a.Diagnoses[i]
			e := d.Evidence[0]
			desc := fmt.Sprintf("%s [%s]: %s", oneLine(d.Title), d.ID, evidenceText(e))
			if len(d.Fix) > 0 {
				desc += " Fix: " + firstLine(d.Fix[0])
			}
			issues = append(issues, codeQualityIssue{
				Description: desc,
				CheckName:   "sleuth/" + d.ID,
				Fingerprint: Fingerprint(d.ID, a.Source, e.Text),
				Severity:    severity(playbookFor(lookup, d)),
				Location:    codeQualityLocation{Path: a.Source, Lines: codeQualityLines{Begin: e.Line}},
			})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(issues)
}

func severity(p *playbook.Playbook) string {
	if p != nil && p.Layer == playbook.LayerGeneric {
		return severityMinor
	}
	return severityMajor
}

// Fingerprint identifies a finding across runs: the playbook id, the log's name and the text
// of the evidence line, but not its line number, so the same failure a few lines further
// down is still the same finding.
func Fingerprint(id, source, text string) string {
	h := sha256.New()
	for _, s := range []string{id, source, text} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// plainStep is a fix step as plain text: its code block keeps its lines, not its fences.
func plainStep(step string) string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(step, "\n"), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// firstLine is the first line of a fix step, whose later lines are a code block.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimLeft(s, "\n"), "\n")
	return oneLine(s)
}
