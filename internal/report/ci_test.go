package report_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sleuth-ci/sleuth/internal/diagnose"
	"github.com/sleuth-ci/sleuth/internal/hints"
	"github.com/sleuth-ci/sleuth/internal/match"
	"github.com/sleuth-ci/sleuth/internal/report"
	"github.com/sleuth-ci/sleuth/playbook"
	"github.com/sleuth-ci/sleuth/playbooks"
)

// fixturePlaybooks is the lookup for analyses(): it knows http-auth-failure (a generic
// playbook, from testdata/playbook.yaml) and not ghcr-push-forbidden, so both the described
// rule and the fallback are rendered.
func fixturePlaybooks(t *testing.T) report.Lookup {
	t.Helper()
	data, err := os.ReadFile("testdata/playbook.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := playbook.Parse("playbooks/auth/http-auth-failure.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return func(id string) *playbook.Playbook {
		if id == p.ID {
			return p
		}
		return nil
	}
}

func TestCIRenderers(t *testing.T) {
	lookup := fixturePlaybooks(t)
	var b bytes.Buffer
	if err := report.GitHub(&b, analyses()); err != nil {
		t.Fatal(err)
	}
	golden(t, "analysis.github.txt", b.Bytes())

	b.Reset()
	if err := report.GitLab(&b, analyses(), lookup); err != nil {
		t.Fatal(err)
	}
	golden(t, "analysis.gitlab.json", b.Bytes())

	b.Reset()
	if err := report.SARIF(&b, analyses(), "v1.2.3", lookup); err != nil {
		t.Fatal(err)
	}
	golden(t, "analysis.sarif", b.Bytes())
	validateSARIF(t, b.Bytes())
}

// TestGitHubOneCommandPerFinding: whatever the log and playbook text hold (newlines, colons,
// commas, percent signs, '::'), each finding is exactly one workflow command line, and its
// title and message decode back to what was meant.
func TestGitHubOneCommandPerFinding(t *testing.T) {
	a := &diagnose.Analysis{
		Schema: diagnose.Schema, Source: "job, part: 1.log", Lines: 10,
		Diagnoses: []diagnose.Diagnosis{{
			ID: "x-fail", Title: "Tool: failed, 100% sure", Category: "build", Confidence: 0.8,
			Evidence: []match.Evidence{{Line: 7, Text: "error: 50% done\r::error::injected, a: b"}},
			Fix:      []string{"Run:\n```\nmake clean\n```\n", "Second step."},
		}},
	}
	var b bytes.Buffer
	if err := report.GitHub(&b, []*diagnose.Analysis{a}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("want 1 command line, got %d:\n%s", len(lines), out)
	}
	props, msg, ok := strings.Cut(strings.TrimPrefix(lines[0], "::error "), "::")
	if !ok || !strings.HasPrefix(lines[0], "::error ") {
		t.Fatalf("not an error command: %q", lines[0])
	}
	if strings.Contains(props, "file=") || strings.Contains(props, "line=") {
		t.Errorf("annotation points at a repository file: %q", props)
	}
	title := unescape(strings.TrimPrefix(props, "title="))
	if title != "Tool: failed, 100% sure (x-fail)" {
		t.Errorf("title decodes to %q", title)
	}
	want := "job, part: 1.log line 7: error: 50% done ::error::injected, a: b\nFix: Run:\nmake clean"
	if got := unescape(msg); got != want {
		t.Errorf("message decodes to\n%q\nwant\n%q", got, want)
	}
}

// unescape reverses the workflow-command escaping as the runner does.
func unescape(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%").Replace(s)
}

func TestGitLabFingerprintsStableAndDistinct(t *testing.T) {
	a := analyses()[0]
	moved := analyses()[0]
	moved.Diagnoses[0].Evidence[0].Line += 40
	var b1, b2 bytes.Buffer
	if err := report.GitLab(&b1, []*diagnose.Analysis{a}, nil); err != nil {
		t.Fatal(err)
	}
	if err := report.GitLab(&b2, []*diagnose.Analysis{moved}, nil); err != nil {
		t.Fatal(err)
	}
	var i1, i2 []struct {
		Fingerprint string `json:"fingerprint"`
		Location    struct {
			Lines struct{ Begin int } `json:"lines"`
		} `json:"location"`
	}
	if err := json.Unmarshal(b1.Bytes(), &i1); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b2.Bytes(), &i2); err != nil {
		t.Fatal(err)
	}
	if len(i1) != 2 || len(i2) != 2 {
		t.Fatalf("want 2 issues each, got %d and %d", len(i1), len(i2))
	}
	if i1[0].Fingerprint != i2[0].Fingerprint {
		t.Error("the same failure a few lines further down has a new fingerprint")
	}
	if i2[0].Location.Lines.Begin != 1230 {
		t.Errorf("location not moved: %d", i2[0].Location.Lines.Begin)
	}
	if i1[0].Fingerprint == i1[1].Fingerprint {
		t.Error("two diagnoses share a fingerprint: GitLab would show only one")
	}
	if report.Fingerprint("a", "build.log", "x") == report.Fingerprint("a", "other.log", "x") {
		t.Error("the same failure in two logs shares a fingerprint")
	}
}

func TestGitLabSeverity(t *testing.T) {
	tests := []struct {
		layer playbook.Layer
		want  string
	}{
		{playbook.LayerTool, "major"},
		{playbook.LayerClass, "major"},
		{playbook.LayerGeneric, "minor"},
		{"", "major"}, // unknown playbook: a diagnosis is still a failure
	}
	for _, tt := range tests {
		t.Run(string(tt.layer), func(t *testing.T) {
			lookup := func(id string) *playbook.Playbook {
				if tt.layer == "" {
					return nil
				}
				return &playbook.Playbook{ID: id, Layer: tt.layer}
			}
			var b bytes.Buffer
			if err := report.GitLab(&b, analyses()[:1], lookup); err != nil {
				t.Fatal(err)
			}
			var issues []struct{ Severity string }
			if err := json.Unmarshal(b.Bytes(), &issues); err != nil {
				t.Fatal(err)
			}
			if issues[0].Severity != tt.want {
				t.Errorf("severity %q, want %q", issues[0].Severity, tt.want)
			}
		})
	}
	var b bytes.Buffer
	if err := report.GitLab(&b, analyses()[1:], nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"severity": "info"`) {
		t.Errorf("a hint is not an info issue:\n%s", b.String())
	}
	b.Reset()
	if err := report.GitLab(&b, nil, nil); err != nil {
		t.Fatal(err)
	}
	if b.String() != "[]\n" {
		t.Errorf("no findings: %q, want an empty array", b.String())
	}
}

func TestSARIFURIs(t *testing.T) {
	tests := []struct{ source, want string }{
		{"build.log", "build.log"},
		{"stdin", "stdin"},
		{"logs/job 1.log", "logs/job%201.log"},
		{"/tmp/ci/build.log", "file:///tmp/ci/build.log"},
		{"a:b.log", "./a:b.log"},
		{"deploy-[REDACTED].log", "deploy-%5BREDACTED%5D.log"},
		{"https://github.com/o/r/actions/runs/1/job/2", "https://github.com/o/r/actions/runs/1/job/2"},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			a := analyses()[0]
			a.Source = tt.source
			var b bytes.Buffer
			if err := report.SARIF(&b, []*diagnose.Analysis{a}, "dev", nil); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), `"uri": "`+tt.want+`"`) {
				t.Errorf("uri for %q is not %q:\n%s", tt.source, tt.want, b.String())
			}
			validateSARIF(t, b.Bytes())
		})
	}
}

// TestSARIFRealCatalog renders what sleuth says about the example log, with the bundled
// catalog's rules, and an unknown log, and validates the result against the SARIF schema.
func TestSARIFRealCatalog(t *testing.T) {
	matching, err := playbooks.ForMatching()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := match.Compile(matching, hints.Keywords)
	if err != nil {
		t.Fatal(err)
	}
	full, err := playbook.LoadFS(playbooks.FS, ".", "playbooks")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*playbook.Playbook{}
	for _, p := range full {
		byID[p.ID] = p
	}
	example, err := os.Open(filepath.Join("..", "..", "examples", "ghcr-push-forbidden.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer example.Close()
	var as []*diagnose.Analysis
	for _, in := range []struct {
		name string
		r    io.Reader
	}{
		{"ghcr-push-forbidden.log", example},
		{"unknown.log", strings.NewReader("Build started\nSegment 7 error: frobnicator failed to align\nDone with errors\n")},
	} {
		a, err := diagnose.Run(in.r, in.name, cat, diagnose.Options{})
		if err != nil {
			t.Fatal(err)
		}
		as = append(as, a)
	}
	if len(as[0].Diagnoses) == 0 || len(as[1].Diagnoses) != 0 {
		t.Fatalf("fixture logs changed: %d and %d diagnoses", len(as[0].Diagnoses), len(as[1].Diagnoses))
	}
	var b bytes.Buffer
	if err := report.SARIF(&b, as, "dev", func(id string) *playbook.Playbook { return byID[id] }); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, b.Bytes())
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID   string
						Help struct{ Markdown string }
					}
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Level     string
			}
		}
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if want := len(as[0].Diagnoses) + 1; len(run.Results) != want {
		t.Fatalf("%d results, want %d", len(run.Results), want)
	}
	for _, r := range run.Results {
		if rule := run.Tool.Driver.Rules[r.RuleIndex]; rule.ID != r.RuleID {
			t.Errorf("result %s points at rule %s", r.RuleID, rule.ID)
		}
	}
	top := run.Tool.Driver.Rules[run.Results[0].RuleIndex]
	if !strings.Contains(top.Help.Markdown, "**Fix**") || !strings.Contains(top.Help.Markdown, strings.TrimSpace(byID[top.ID].Summary)[:40]) {
		t.Errorf("rule %s has no playbook help:\n%s", top.ID, top.Help.Markdown)
	}
	if last := run.Results[len(run.Results)-1]; last.RuleID != report.NoMatchID || last.Level != "note" {
		t.Errorf("unknown log gives %s/%s, want %s/note", last.RuleID, last.Level, report.NoMatchID)
	}
}

// TestSARIFSchemaRejects shows the validation can fail: documents that break the schema are
// refused.
func TestSARIFSchemaRejects(t *testing.T) {
	var b bytes.Buffer
	if err := report.SARIF(&b, analyses(), "dev", nil); err != nil {
		t.Fatal(err)
	}
	good := b.String()
	tests := map[string]string{
		"line 0":        strings.Replace(good, `"startLine": 1190`, `"startLine": 0`, 1),
		"wrong version": strings.Replace(good, `"version": "2.1.0"`, `"version": "2.0.0"`, 1),
		"bad level":     strings.Replace(good, `"level": "error"`, `"level": "fatal"`, 1),
		"bad uri":       strings.Replace(good, `"uri": "build.log"`, `"uri": "build%zz.log"`, 1),
		"no region":     strings.Replace(good, `"startLine": 1190`, `"endLine": 1190`, 1),
	}
	schema := compileSchema(t)
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			if doc == good {
				t.Fatal("the replacement did not apply")
			}
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
			if err != nil {
				t.Fatal(err)
			}
			if schema.Validate(inst) == nil {
				t.Error("the schema accepted it")
			}
		})
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	// The published schema puts region's anyOf (startLine, charOffset or byteOffset is
	// required) inside its properties, where it is not a schema; every 2020-12 validator
	// refuses the file. Put it where the spec means it.
	region := doc.(map[string]any)["definitions"].(map[string]any)["region"].(map[string]any)
	if props := region["properties"].(map[string]any); props["anyOf"] != nil {
		region["anyOf"] = props["anyOf"]
		delete(props, "anyOf")
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://example.invalid/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validateSARIF(t *testing.T, out []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if err := compileSchema(t).Validate(inst); err != nil {
		t.Errorf("not valid SARIF 2.1.0: %v", err)
	}
}
