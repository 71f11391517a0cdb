package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sleuth-ci/sleuth/internal/report"
	"github.com/sleuth-ci/sleuth/playbook"
	"github.com/sleuth-ci/sleuth/playbooks"
)

// TestRedactPlaybookKeepsCatalog: the bundled catalog's prose is the kind of text CI logs and
// pack authors write about secrets without holding one; redacting it must change nothing
// (a change is a false positive) except a deliberate default password in an example.
func TestRedactPlaybookKeepsCatalog(t *testing.T) {
	pbs, err := playbook.LoadFS(playbooks.FS, ".", "playbooks")
	if err != nil {
		t.Fatal(err)
	}
	if len(pbs) < 20 {
		t.Fatalf("only %d bundled playbooks", len(pbs))
	}
	for _, p := range pbs {
		var want, got strings.Builder
		if err := report.PlaybookMarkdown(&want, p); err != nil {
			t.Fatal(err)
		}
		if err := report.PlaybookMarkdown(&got, redactPlaybook(p)); err != nil {
			t.Fatal(err)
		}
		wl, gl := strings.Split(want.String(), "\n"), strings.Split(got.String(), "\n")
		if len(wl) != len(gl) {
			t.Errorf("%s: redaction changed the page's length", p.ID)
			continue
		}
		for i := range wl {
			if wl[i] != gl[i] && !strings.Contains(wl[i], "POSTGRES_PASSWORD: postgres") {
				t.Errorf("%s: redaction changed a line:\n was: %s\n now: %s", p.ID, wl[i], gl[i])
			}
		}
	}
}

// TestDisplayRedactsOnlyPacks: explain, docs and list print the bundled playbooks as
// written and the playbooks of a pack redacted.
func TestDisplayRedactsOnlyPacks(t *testing.T) {
	dir := t.TempDir()
	token := "ghp_" + strings.Repeat("aB3", 12)
	pack := "id: pasted-token\ntitle: Push rejected for " + token + "\ncategory: vcs\nsummary: |\n  remote: Invalid credentials for https://x-access-token:" + token + "@github.com/o/r.git\nmatch:\n  any: [\"push rejected\"]\nfix:\n  - Run git push https://ci:" + token + "@github.com/o/r.git again.\n"
	if err := os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(pack), 0o644); err != nil {
		t.Fatal(err)
	}
	g := &global{env: Env{Getenv: func(string) string { return "" }}, packs: []string{dir}}
	pbs, err := g.playbooks()
	if err != nil {
		t.Fatal(err)
	}
	shown := display(pbs)
	found := false
	for i, p := range pbs {
		if p.ID != "pasted-token" {
			if shown[i] != p {
				t.Errorf("%s: a bundled playbook was rewritten for display", p.ID)
			}
			continue
		}
		found = true
		s := shown[i]
		for _, text := range append([]string{s.Title, s.Summary}, s.Fix...) {
			if strings.Contains(text, token) || !strings.Contains(text, "[REDACTED:github-token]") {
				t.Errorf("pack text not redacted: %s", text)
			}
		}
		if !strings.Contains(p.Title, token) {
			t.Errorf("the loaded playbook itself was changed: %s", p.Title)
		}
	}
	if !found {
		t.Fatal("the pack's playbook is not in the catalog")
	}
}
