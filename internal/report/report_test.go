package report_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sleuth-ci/sleuth/internal/diagnose"
	"github.com/sleuth-ci/sleuth/internal/match"
	"github.com/sleuth-ci/sleuth/internal/report"
	"github.com/sleuth-ci/sleuth/playbook"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func analyses() []*diagnose.Analysis {
	diagnosed := &diagnose.Analysis{
		Schema: diagnose.Schema, Source: "build.log", Lines: 1204,
		Diagnoses: []diagnose.Diagnosis{
			{
				ID: "ghcr-push-forbidden", Title: "GHCR refused the push: the token cannot write this package",
				Category: "auth", Confidence: 0.9,
				Evidence: []match.Evidence{
					{Line: 1190, Text: "#14 ERROR: failed to push ghcr.io/acme/app:1: unexpected status from POST request to https://ghcr.io/v2/acme/app/blobs/uploads/: 403 Forbidden", Step: "Run docker/build-push-action@v5"},
					{Line: 1171, Text: "Login Succeeded!", Step: "Run docker/login-action@v3"},
				},
				Captures: map[string]string{"registry": "ghcr.io", "image": "acme/app"},
				Fix:      []string{"Give the job `packages: write`:\n```yaml\npermissions:\n  packages: write\n```", "Re-run the job."},
				Score:    []diagnose.ScorePart{{Reason: "tool playbook matched line 1190", Delta: 0.8}, {Reason: "all patterns matched nearby lines 1171", Delta: 0.1}},
			},
			{
				ID: "http-auth-failure", Title: "HTTP request rejected with 401 or 403 status", Category: "auth", Confidence: 0.3,
				Evidence: []match.Evidence{{Line: 1190, Text: "... 403 Forbidden | <b>*bold*</b>"}},
				Fix:      []string{"Check the token."},
			},
		},
		Hints: []match.Evidence{},
	}
	unknown := &diagnose.Analysis{
		Schema: diagnose.Schema, Source: "other.log", Lines: 3,
		Diagnoses: []diagnose.Diagnosis{},
		Hints:     []match.Evidence{{Line: 2, Text: "Segment 7 error: ``` frobnicator\tfailed"}},
	}
	return []*diagnose.Analysis{diagnosed, unknown}
}

func TestRenderers(t *testing.T) {
	var b bytes.Buffer
	if err := report.Text(&b, analyses(), report.Style{}, false); err != nil {
		t.Fatal(err)
	}
	golden(t, "analysis.txt", b.Bytes())

	b.Reset()
	if err := report.Text(&b, analyses()[:1], report.Style{Color: true}, true); err != nil {
		t.Fatal(err)
	}
	golden(t, "analysis-color-explain.txt", b.Bytes())

	b.Reset()
	if err := report.JSON(&b, analyses()); err != nil {
		t.Fatal(err)
	}
	golden(t, "analysis.json", b.Bytes())

	b.Reset()
	if err := report.Markdown(&b, analyses()); err != nil {
		t.Fatal(err)
	}
	golden(t, "analysis.md", b.Bytes())

	b.Reset()
	if err := report.Fix(&b, analyses()[0], report.Style{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "fix.txt", b.Bytes())
}

func TestPlaybookPages(t *testing.T) {
	data, err := os.ReadFile("testdata/playbook.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := playbook.Parse("playbooks/auth/http-auth-failure.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.PlaybookText(&b, p, report.Style{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "explain.txt", b.Bytes())
	b.Reset()
	if err := report.PlaybookMarkdown(&b, p); err != nil {
		t.Fatal(err)
	}
	golden(t, "explain.md", b.Bytes())
	if !strings.HasSuffix(b.String(), "Generated from playbooks/auth/http-auth-failure.yaml. Do not edit directly.\n") {
		t.Error("page does not end with the generated-from line")
	}
	b.Reset()
	if err := report.Index(&b, []*playbook.Playbook{p}); err != nil {
		t.Fatal(err)
	}
	golden(t, "index.md", b.Bytes())
}
