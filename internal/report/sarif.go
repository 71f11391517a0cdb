package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/sleuth-ci/sleuth/internal/diagnose"
	"github.com/sleuth-ci/sleuth/internal/match"
	"github.com/sleuth-ci/sleuth/playbook"
)

// SARIF 2.1.0 identifiers.
const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	// InformationURI is where sleuth is documented; SARIF viewers link the tool name to it.
	InformationURI = "https://github.com/sleuth-ci/sleuth"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string             `json:"id"`
	ShortDescription     sarifMultiformat   `json:"shortDescription"`
	FullDescription      sarifMultiformat   `json:"fullDescription"`
	Help                 sarifMultiformat   `json:"help"`
	DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	Properties           sarifRuleProps     `json:"properties"`
}

type sarifMultiformat struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Category string   `json:"category,omitempty"`
	Layer    string   `json:"layer,omitempty"`
	Tags     []string `json:"tags,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	RelatedLocations    []sarifLocation   `json:"relatedLocations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          *sarifResultProps `json:"properties,omitempty"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifLocation struct {
	ID               *int                  `json:"id,omitempty"`
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
	Message          *sarifMessage         `json:"message,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           sarifRegion           `json:"region"`
}

type sarifArtifactLocation struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifResultProps struct {
	Confidence float64           `json:"confidence"`
	Category   string            `json:"category,omitempty"`
	Captures   map[string]string `json:"captures,omitempty"`
}

// fingerprintKey names sleuth's fingerprint among a result's partial fingerprints.
const fingerprintKey = "sleuthFindingHash/v1"

// SARIF writes a SARIF 2.1.0 log with one run: the playbooks behind the diagnoses are the
// rules (with their summary, fix steps and validation as help), each diagnosis a result
// located at its first evidence line in the log, and the other evidence lines related
// locations. When nothing known matched, one "note" result points at the line that looks
// most like the failure. version is sleuth's own version. The output is stable: rules sorted
// by id, results in the order of the analyses.
func SARIF(w io.Writer, as []*diagnose.Analysis, version string, lookup Lookup) error {
	rules := map[string]sarifRule{}
	var results []sarifResult
	for _, a := range as {
		uri := artifactURI(a.Source)
		if len(a.Diagnoses) == 0 {
			if len(a.Hints) == 0 {
				continue
			}
			rules[NoMatchID] = noMatchRule()
			h := a.Hints[0]
			results = append(results, sarifResult{
				RuleID: NoMatchID,
				Level:  "note",
				Message: sarifMessage{Text: fmt.Sprintf("No known failure matched in %s; the line that looks most like the failure is line %d: %s",
					oneLine(a.Source), h.Line, evidenceText(h))},
				Locations:           []sarifLocation{location(uri, h.Line, nil)},
				RelatedLocations:    related(uri, a.Hints[1:], h.Line),
				PartialFingerprints: map[string]string{fingerprintKey: Fingerprint(NoMatchID, a.Source, h.Text)},
			})
			continue
		}
		for i := range a.Diagnoses {
			d := &a.Diagnoses[i]
			p := playbookFor(lookup, d)
			if _, ok := rules[d.ID]; !ok {
				rules[d.ID] = rule(d, p)
			}
			e := d.Evidence[0]
			msg := fmt.Sprintf("%s. Line %d of %s: %s", oneLine(d.Title), e.Line, oneLine(a.Source), evidenceText(e))
			if len(d.Fix) > 0 {
				msg += "\nFix: " + plainStep(d.Fix[0])
			}
			results = append(results, sarifResult{
				RuleID:              d.ID,
				Level:               level(p),
				Message:             sarifMessage{Text: msg},
				Locations:           []sarifLocation{location(uri, e.Line, nil)},
				RelatedLocations:    related(uri, d.Evidence[1:], e.Line),
				PartialFingerprints: map[string]string{fingerprintKey: Fingerprint(d.ID, a.Source, e.Text)},
				Properties:          &sarifResultProps{Confidence: d.Confidence, Category: d.Category, Captures: d.Captures},
			})
		}
	}
	ids := sortedKeys(rules)
	index := make(map[string]int, len(ids))
	sorted := make([]sarifRule, len(ids))
	for i, id := range ids {
		index[id] = i
		sorted[i] = rules[id]
	}
	for i := range results {
		results[i].RuleIndex = index[results[i].RuleID]
	}
	if results == nil {
		results = []sarifResult{}
	}
	if version == "" {
		version = "dev"
	}
	log := sarifLog{
		Schema:  sarifSchema,
		Version: sarifVersion,
		Runs: []sarifRun{{
			Tool:    sarifTool{Driver: sarifDriver{Name: "sleuth", Version: version, InformationURI: InformationURI, Rules: sorted}},
			Results: results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

func level(p *playbook.Playbook) string {
	if p != nil && p.Layer == playbook.LayerGeneric {
		return "warning"
	}
	return "error"
}

func location(uri string, line int, msg *sarifMessage) sarifLocation {
	return sarifLocation{
		PhysicalLocation: sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: uri}, Region: sarifRegion{StartLine: line}},
		Message:          msg,
	}
}

// related lists the other evidence lines, each line once and never the primary one.
func related(uri string, es []match.Evidence, primary int) []sarifLocation {
	var out []sarifLocation
	seen := map[int]bool{primary: true}
	for _, e := range es {
		if seen[e.Line] || e.Line < 1 {
			continue
		}
		seen[e.Line] = true
		l := location(uri, e.Line, &sarifMessage{Text: evidenceText(e)})
		id := len(out) + 1
		l.ID = &id
		out = append(out, l)
	}
	return out
}

// rule describes a playbook for SARIF viewers; without the playbook, only what the diagnosis
// says.
func rule(d *diagnose.Diagnosis, p *playbook.Playbook) sarifRule {
	explain := "Run `sleuth explain " + d.ID + "` for the whole playbook."
	if p == nil || strings.TrimSpace(p.Summary) == "" {
		return sarifRule{
			ID:                   d.ID,
			ShortDescription:     sarifMultiformat{Text: oneLine(d.Title)},
			FullDescription:      sarifMultiformat{Text: oneLine(d.Title)},
			Help:                 sarifMultiformat{Text: explain, Markdown: explain},
			DefaultConfiguration: sarifConfiguration{Level: level(p)},
			Properties:           sarifRuleProps{Category: d.Category, Tags: tags(d.Category)},
		}
	}
	text, md := &strings.Builder{}, &strings.Builder{}
	summary := strings.TrimSpace(p.Summary)
	text.WriteString(summary + "\n")
	md.WriteString(summary + "\n")
	if diag := strings.TrimSpace(p.Diagnosis); diag != "" {
		text.WriteString("\nDiagnosis:\n" + diag + "\n")
		md.WriteString("\n**Diagnosis**\n\n" + diag + "\n")
	}
	if len(p.Fix) > 0 {
		text.WriteString("\nFix:\n")
		md.WriteString("\n**Fix**\n\n")
		for i, step := range p.Fix {
			text.WriteString(numbered(i+1, plainStep(step)))
			md.WriteString(numbered(i+1, step))
		}
	}
	if len(p.Validation) > 0 {
		text.WriteString("\nValidation:\n")
		md.WriteString("\n**Validation**\n\n")
		for _, v := range p.Validation {
			text.WriteString("- " + plainStep(v) + "\n")
			md.WriteString("- " + strings.TrimRight(v, "\n") + "\n")
		}
	}
	text.WriteString("\n" + explain)
	md.WriteString("\n" + explain)
	return sarifRule{
		ID:                   p.ID,
		ShortDescription:     sarifMultiformat{Text: oneLine(p.Title)},
		FullDescription:      sarifMultiformat{Text: strings.Join(strings.Fields(summary), " ")},
		Help:                 sarifMultiformat{Text: text.String(), Markdown: md.String()},
		DefaultConfiguration: sarifConfiguration{Level: level(p)},
		Properties:           sarifRuleProps{Category: p.Category, Layer: string(p.Layer), Tags: tags(p.Category)},
	}
}

func noMatchRule() sarifRule {
	full := "sleuth read the log and no playbook matched. The result points at the line that looks most like the failure; its related locations are the next most likely lines."
	return sarifRule{
		ID:                   NoMatchID,
		ShortDescription:     sarifMultiformat{Text: "No known failure matched"},
		FullDescription:      sarifMultiformat{Text: full},
		Help:                 sarifMultiformat{Text: full, Markdown: full},
		DefaultConfiguration: sarifConfiguration{Level: "note"},
		Properties:           sarifRuleProps{Tags: []string{"ci"}},
	}
}

func tags(category string) []string {
	if category == "" || category == "ci" {
		return []string{"ci"}
	}
	return []string{"ci", category}
}

// artifactURI turns a log's name into a URI reference: a URL stays as it is, a path is
// percent-encoded (absolute paths become file: URIs), so that names with spaces or brackets
// stay valid.
func artifactURI(source string) string {
	if u, err := url.Parse(source); err == nil && u.Scheme != "" && u.Host != "" && strings.Contains(source, "://") {
		return u.String()
	}
	p := filepath.ToSlash(source)
	if strings.HasPrefix(p, "/") {
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: p}).String()
}
