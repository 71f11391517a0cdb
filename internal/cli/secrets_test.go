package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sleuth-ci/sleuth/internal/cli"
)

// The secrets corpus (testdata/secrets, see generate.go there) holds log excerpts and config
// files with fake, format-valid secrets, and manifest.json says which exact secrets each file
// holds. These tests put every line of it where sleuth prints log-derived text (evidence,
// captures, fix steps, hints, step names, source names, error messages, playbook prose) and
// check every output format for the secrets in every encoding sleuth could print them in.

type corpusEntry struct {
	Kind   string `json:"kind"`
	Secret string `json:"secret"`
	Marker string `json:"marker"`
	Keep   string `json:"keep"`
}

type corpusFile struct {
	name    string
	lines   []string
	entries []corpusEntry
}

func loadCorpus(t *testing.T) []corpusFile {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "secrets")
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string][]corpusEntry
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	var files []corpusFile
	kinds := map[string]bool{}
	for name, entries := range m {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, corpusFile{name, strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n"), entries})
		for _, e := range entries {
			kinds[e.Kind] = true
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	if len(kinds) < 40 {
		t.Fatalf("the corpus has %d kinds of secrets, want at least 40", len(kinds))
	}
	return files
}

// secretsOn returns the entries whose secret (or kept text) is on line l.
func (f corpusFile) secretsOn(l string) []corpusEntry {
	var out []corpusEntry
	for _, e := range f.entries {
		if e.Secret != "" && strings.Contains(l, e.Secret) || e.Keep != "" && strings.Contains(l, e.Keep) {
			out = append(out, e)
		}
	}
	return out
}

func (f corpusFile) secrets() []corpusEntry {
	var out []corpusEntry
	for _, e := range f.entries {
		if e.Secret != "" {
			out = append(out, e)
		}
	}
	return out
}

// result is what one run of the CLI printed.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) all() string { return r.stdout + "\n" + r.stderr }

// sleuth runs the real CLI entry point with an environment of its own, and fails the test
// if it panics or takes more than a minute.
func sleuth(t *testing.T, env map[string]string, stdin []byte, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := cli.Env{
		Stdin:  bytes.NewReader(stdin),
		Stdout: &out,
		Stderr: &errb,
		Getenv: func(k string) string { return env[k] },
	}
	done := make(chan int, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				t.Errorf("sleuth %s panicked: %v", strings.Join(args, " "), p)
				done <- -1
			}
		}()
		done <- cli.Run(e, args)
	}()
	select {
	case code := <-done:
		return result{args, out.String(), errb.String(), code}
	case <-time.After(time.Minute):
		t.Fatalf("sleuth %s did not finish in a minute", strings.Join(args, " "))
		return result{}
	}
}

// knownPrefixes are token prefixes: what follows one is the distinctive part of a token.
var knownPrefixes = []string{"github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "glpat-", "gldt-", "glrt-t1_",
	"glcbt-64_", "glptt-", "GR1348941", "npm_", "pypi-AgEIcHlwaS5vcmcCJD", "pypi-AgENdGVzdC5weXBpLm9yZwIk",
	"rubygems_", "oy2", "AKIA", "ASIA", "IQoJb3JpZ2luX2VjEJ7//////////wEaCXVzLWVhc3QtMSJHMEUCIQ",
	"xoxb-", "xoxp-", "xapp-1-", "dckr_pat_", "hvs.CAESI", "hvb.AAAAAQ", "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ"}

var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "|", `\|`)

var (
	actionsData     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	actionsProperty = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

// forms returns the secret in every encoding sleuth prints text in, and its distinctive
// middle part: a partial leak is a leak.
func forms(secret string) map[string]string {
	f := map[string]string{"raw": secret}
	js, _ := json.Marshal(secret)
	f["json"] = string(js[1 : len(js)-1])
	f["json-slash"] = strings.ReplaceAll(f["json"], "/", `\/`)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(secret)
	f["json-noescape"] = strings.TrimSuffix(strings.TrimSpace(buf.String()), `"`)[1:]
	f["markdown"] = mdEscaper.Replace(secret)
	// GitHub Actions workflow commands escape % and line breaks in messages, and : and , too
	// in properties (title=...).
	f["workflow-command"] = actionsData.Replace(secret)
	f["workflow-property"] = actionsProperty.Replace(secret)
	f["query"] = url.QueryEscape(secret)
	f["path"] = url.PathEscape(secret)
	rest := secret
	for _, p := range knownPrefixes {
		if r, ok := strings.CutPrefix(secret, p); ok && len(r) >= 12 {
			rest = r
			break
		}
	}
	switch {
	case len(rest) >= 20:
		f["after-prefix"] = rest[:20]
		mid := len(secret) / 2
		if mid-10 >= 0 && mid+10 <= len(secret) {
			f["middle"] = secret[mid-10 : mid+10]
		}
	case len(rest) >= 12:
		f["after-prefix"] = rest
	}
	return f
}

// checkOutput fails when out holds any form of a secret, or lacks the marker of a secret
// that was on a line known to have reached the output.
func checkOutput(t *testing.T, where string, out string, entries []corpusEntry) {
	t.Helper()
	for _, e := range entries {
		if e.Secret == "" {
			continue
		}
		fs := forms(e.Secret)
		names := make([]string, 0, len(fs))
		for name := range fs {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if form := fs[name]; strings.Contains(out, form) {
				t.Errorf("%s: %s leaked (%s form %q):\n%s", where, e.Kind, name, form, excerpt(out, form))
				break
			}
		}
	}
}

func excerpt(out, form string) string {
	i := strings.Index(out, form)
	a, b := max(0, i-200), min(len(out), i+len(form)+100)
	return out[a:b]
}

// probeLine is the prefix that makes line i of a log the anchor of playbook probe-i: an
// application-log timestamp, which sleuth keeps and redaction treats as the start of a line.
func probeLine(i int, text string) string { return fmt.Sprintf("2024-05-01 12:00:00.%03d %s", i, text) }

// writeProbePack writes playbooks probe-FROM...probe-TO: each anchors on its line's
// timestamp, captures the rest of the line and the first value after '=' or ':', and
// repeats both in its fix step, so the line reaches evidence, captures and fix.
func writeProbePack(t *testing.T, dir string, from, to int) {
	t.Helper()
	writeCheckedProbePack(t, dir, from, to, nil)
}

// writeCheckedProbePack is writeProbePack with the checks: block that checks(i) returns
// added to probe-i (nil: no checks).
func writeCheckedProbePack(t *testing.T, dir string, from, to int, checks func(i int) string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := from; i <= to; i++ {
		y := fmt.Sprintf(`id: probe-%03d
title: Probe line %d
category: test
summary: A line of the secrets corpus.
match:
  any:
    - re: '12:00:00\.%03d (?P<line>.*)'
extract:
  - name: value
    re: '12:00:00\.[0-9]{3} [^=:]*[=:] *"?(?P<value>[^"\s,;&]+)'
diagnosis: The probe matched.
fix:
  - "Look at {{line}} (value {{value}})."
`, i, i, i)
		if checks != nil {
			y += "checks:\n" + checks(i)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("probe-%03d.yaml", i)), []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// analyzeForms runs every output format of analyze over the logs at once: text, --json,
// markdown, --explain-score, then the CI formats github, gitlab and sarif. The job summary
// that --format github appends to $GITHUB_STEP_SUMMARY is read back and added to its stdout.
func analyzeForms(t *testing.T, pack string, paths ...string) []result {
	t.Helper()
	summary := filepath.Join(t.TempDir(), "step-summary.md")
	env := map[string]string{"GITHUB_STEP_SUMMARY": summary}
	var rs []result
	for _, format := range [][]string{{}, {"--json"}, {"--format", "markdown"}, {"--explain-score"},
		{"--format", "github"}, {"--format", "gitlab"}, {"--format", "sarif"}} {
		args := append(append([]string{"--playbooks", pack, "analyze"}, format...), paths...)
		r := sleuth(t, env, nil, args...)
		if len(format) == 2 && format[1] == "github" {
			data, err := os.ReadFile(summary)
			if err != nil {
				t.Fatalf("analyze --format github wrote no job summary: %v", err)
			}
			if !strings.Contains(string(data), "[REDACTED:") && strings.Contains(r.stdout, "[REDACTED:") {
				t.Errorf("the job summary shows none of the masked secrets the annotations show:\n%.2000s", data)
			}
			r.stdout += "\n--- job summary ---\n" + string(data)
		}
		rs = append(rs, r)
	}
	return rs
}

// formatOf names the output format of an analyzeForms run: "analyze --format github".
func formatOf(r result) string {
	name := "analyze"
	for i, a := range r.args {
		if strings.HasPrefix(a, "-") && a != "--playbooks" {
			name += " " + a
			if a == "--format" && i+1 < len(r.args) {
				name += " " + r.args[i+1]
			}
		}
	}
	return name
}

// analyses splits analyze --json output into one JSON text per source.
func analyses(t *testing.T, out string) map[string]string {
	t.Helper()
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		var one json.RawMessage
		if err := json.Unmarshal([]byte(out), &one); err != nil {
			t.Fatalf("analyze --json printed no JSON: %v\n%s", err, out)
		}
		list = []json.RawMessage{one}
	}
	bySource := map[string]string{}
	for _, a := range list {
		var head struct {
			Source string `json:"source"`
		}
		if err := json.Unmarshal(a, &head); err != nil {
			t.Fatal(err)
		}
		bySource[head.Source] = string(a)
	}
	return bySource
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

var noEnv = map[string]string{}

func allEntries(files []corpusFile) []corpusEntry {
	var all []corpusEntry
	for _, f := range files {
		all = append(all, f.entries...)
	}
	return all
}

// TestSecretsEvidence: every line of every corpus file is the evidence line of a diagnosis
// (and its capture and fix step), one log per file so that multi-line blocks keep their
// context; then each file's first secret line is the top diagnosis of fix.
func TestSecretsEvidence(t *testing.T) {
	files := loadCorpus(t)
	maxLines := 0
	for _, f := range files {
		maxLines = max(maxLines, len(f.lines))
	}
	dir := t.TempDir()
	pack := filepath.Join(dir, "probes")
	writeProbePack(t, pack, 1, maxLines)
	var paths []string
	for _, f := range files {
		var log strings.Builder
		for i, l := range f.lines {
			log.WriteString(probeLine(i+1, l) + "\n")
		}
		path := filepath.Join(dir, f.name+".log")
		writeFile(t, path, log.String())
		paths = append(paths, path)
	}
	all := allEntries(files)
	rs := analyzeForms(t, pack, paths...)
	for _, r := range rs {
		if r.code != 0 {
			t.Errorf("sleuth %s: exit %d: %s", formatOf(r), r.code, r.stderr)
		}
		checkOutput(t, formatOf(r), r.all(), all)
	}
	// The CI formats carry the evidence too: every kind of masked secret is in each of them.
	for _, r := range rs[4:] {
		for _, e := range all {
			if e.Secret != "" && !strings.Contains(r.stdout, "[REDACTED:"+e.Marker+"]") {
				t.Errorf("%s: no [REDACTED:%s] marker (%s): the corpus lines did not reach it", formatOf(r), e.Marker, e.Kind)
			}
		}
	}
	// Every line reached the output: each secret's marker is in its file's analysis, and
	// what the CI already masked is there unchanged.
	bySource := analyses(t, rs[1].stdout)
	for i, f := range files {
		a, ok := bySource[paths[i]]
		if !ok {
			t.Errorf("%s: no analysis", f.name)
			continue
		}
		for _, e := range f.entries {
			switch {
			case e.Keep != "" && !strings.Contains(a, e.Keep):
				t.Errorf("%s: CI-masked text %q changed or missing", f.name, e.Keep)
			case e.Secret != "" && !strings.Contains(a, "[REDACTED:"+e.Marker+"]"):
				t.Errorf("%s: %s: no [REDACTED:%s] marker in its analysis", f.name, e.Kind, e.Marker)
			}
		}
	}
	// fix: the file up to its first secret line, with only that line's probe.
	for _, f := range files {
		for i, l := range f.lines {
			es := f.secretsOn(l)
			if len(es) == 0 || es[0].Secret == "" {
				continue
			}
			var log strings.Builder
			for j := 0; j <= i; j++ {
				log.WriteString(probeLine(j+1, f.lines[j]) + "\n")
			}
			pk := filepath.Join(dir, fmt.Sprintf("%s-probe%d", f.name, i+1))
			writeProbePack(t, pk, i+1, i+1)
			path := filepath.Join(dir, f.name+"-fix.log")
			writeFile(t, path, log.String())
			r := sleuth(t, noEnv, nil, "--playbooks", pk, "fix", path)
			checkOutput(t, f.name+": fix", r.all(), es)
			if strings.Contains(r.stdout, fmt.Sprintf("[probe-%03d]", i+1)) && !strings.Contains(r.stdout, "[REDACTED:"+es[0].Marker+"]") {
				t.Errorf("%s: fix: no [REDACTED:%s] marker:\n%s", f.name, es[0].Marker, r.stdout)
			}
			break
		}
	}
}

// TestSecretsHints: with no playbook matching, the lines before a failure verdict are hints.
func TestSecretsHints(t *testing.T) {
	files := loadCorpus(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty-pack")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		for i, l := range f.lines {
			if len(f.secretsOn(l)) == 0 {
				continue
			}
			// The line itself says it failed, as the lines of a failing command do (but a
			// .netrc "password VALUE" line is only that when it is alone on its line).
			verdict := " error: failed"
			if strings.HasPrefix(strings.TrimSpace(l), "password ") {
				verdict = "\nerror: failed"
			}
			log := "Build started\n" + strings.Join(f.lines[:i], "\n") + "\n" + l + verdict + "\n##[error]Process completed with exit code 1.\n"
			path := filepath.Join(dir, fmt.Sprintf("%s-hint%d.log", f.name, i+1))
			writeFile(t, path, log)
			paths = append(paths, path)
		}
	}
	rs := analyzeForms(t, empty, paths...)
	for _, r := range rs {
		checkOutput(t, "hints "+formatOf(r), r.all(), allEntries(files))
	}
	reached := 0
	for _, a := range analyses(t, rs[1].stdout) {
		if strings.Contains(a, "[REDACTED:") {
			reached++
		}
	}
	t.Logf("%d of %d logs showed a masked secret", reached, len(paths))
	if reached < len(paths)/3 {
		t.Errorf("only %d of %d logs showed a masked secret: the corpus lines do not reach the output", reached, len(paths))
	}
}

// TestSecretsStepAndSource: a secret in a CI step name (a GitHub Actions group named after
// the command), in the log's own file name, and in the name of a file that does not exist.
func TestSecretsStepAndSource(t *testing.T) {
	files := loadCorpus(t)
	dir := t.TempDir()
	pack := filepath.Join(dir, "probes")
	writeProbePack(t, pack, 1, 2)
	var steps, sources, missing []string
	var named []corpusEntry
	for _, f := range files {
		for i, l := range f.lines {
			// A line of a PEM block is a secret only in its block, never a step name.
			// (nor is a .netrc "password VALUE" line, a secret only alone on its line).
			if es := f.secretsOn(l); len(es) == 0 || pemKinds[es[0].Kind] || strings.HasPrefix(strings.TrimSpace(l), "password ") {
				continue
			}
			path := filepath.Join(dir, fmt.Sprintf("%s-step%d.log", f.name, i+1))
			writeFile(t, path, "##[group]Run "+l+"\n"+probeLine(1, "failed")+"\n##[endgroup]\n")
			steps = append(steps, path)
		}
		for _, e := range f.secrets() {
			if strings.ContainsAny(e.Secret, "/\x00") || len(e.Secret) > 200 || !selfIdentifying[e.Marker] {
				continue
			}
			path := filepath.Join(dir, fmt.Sprintf("build-%d-%s.log", len(sources), e.Secret))
			writeFile(t, path, probeLine(2, "failed")+"\n")
			sources = append(sources, path)
			missing = append(missing, filepath.Join(dir, "missing-"+e.Secret+".log"))
			named = append(named, e)
		}
	}
	all := allEntries(files)
	rs := analyzeForms(t, pack, steps...)
	for _, r := range rs {
		checkOutput(t, "step names "+formatOf(r), r.all(), all)
	}
	if !strings.Contains(rs[0].stdout, "[Run ") || !strings.Contains(rs[0].stdout, "[REDACTED:") {
		t.Errorf("step names did not reach the output:\n%.2000s", rs[0].stdout)
	}
	rs = analyzeForms(t, pack, sources...)
	for _, r := range rs {
		checkOutput(t, "source names "+formatOf(r), r.all(), named)
	}
	for _, e := range named {
		if !strings.Contains(rs[0].stdout, "[REDACTED:"+e.Marker+"]") {
			t.Errorf("source names: no [REDACTED:%s] marker", e.Marker)
		}
	}
	r := sleuth(t, noEnv, nil, append([]string{"analyze", "--json"}, missing...)...)
	if r.code != cli.ExitUsage || strings.Count(r.stderr, "no such file or directory") != len(missing) {
		t.Errorf("missing files: exit %d, want 2 and one error a file:\n%s", r.code, r.stderr)
	}
	checkOutput(t, "missing files", r.all(), named)
	for _, p := range append(missing[:1], sources[0]) {
		r := sleuth(t, noEnv, nil, "fix", p)
		checkOutput(t, "fix "+filepath.Base(p), r.all(), named)
	}
}

// pemKinds are the lines of PEM blocks: secrets only inside their block.
var pemKinds = map[string]bool{"rsa-private-key": true, "ec-private-key": true, "openssh-private-key": true}

// selfIdentifying are marker kinds of tokens recognisable without context (as in a file name).
var selfIdentifying = map[string]bool{
	"github-token": true, "gitlab-token": true, "npm-token": true, "pypi-token": true,
	"aws-access-key-id": true, "slack-token": true, "docker-hub-token": true, "rubygems-token": true,
	"nuget-api-key": true, "jwt": true, "vault-token": true, "terraform-token": true,
	"azure-client-secret": true,
}

// yamlString quotes s for YAML (a JSON string is a YAML double-quoted scalar).
func yamlString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestSecretsPlaybookProse: a pack whose prose and examples were pasted from the corpus;
// explain, docs, list and playbooks test print its text.
func TestSecretsPlaybookProse(t *testing.T) {
	files := loadCorpus(t)
	dir := t.TempDir()
	pack := filepath.Join(dir, "pack")
	if err := os.MkdirAll(pack, 0o755); err != nil {
		t.Fatal(err)
	}
	var all []corpusEntry
	for n, f := range files {
		all = append(all, f.entries...)
		first := ""
		for _, l := range f.lines {
			if es := f.secretsOn(l); len(es) > 0 && !pemKinds[es[0].Kind] {
				first = strings.TrimSpace(l)
				break
			}
		}
		if first == "" {
			first = "Failed: " + f.name
		}
		whole := strings.Join(f.lines, "\n") + "\n"
		var items strings.Builder
		for _, l := range f.lines {
			items.WriteString("  - " + yamlString(l) + "\n")
		}
		y := fmt.Sprintf(`id: pasted-%02d
title: %s
category: auth
summary: %s
match:
  any: ["pasted-anchor-%02d"]
diagnosis: %s
causes:
%svalidation:
%sfix:
%s  - %s
why: %s
prevention:
%slocal:
%sreferences:
  - %s
examples:
  no_match:
    - source: pasted
      log: %s
`, n, yamlString(first), yamlString(whole), n, yamlString(whole), items.String(), items.String(),
			items.String(), yamlString("Run:\n```\n"+whole+"```"), yamlString(whole), items.String(), items.String(),
			yamlString(first), yamlString(strings.Join(f.lines, fmt.Sprintf(" pasted-anchor-%02d\n", n))))
		if err := os.WriteFile(filepath.Join(pack, fmt.Sprintf("pasted-%02d.yaml", n)), []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var rs []result
	for n, f := range files {
		cmds := [][]string{{"explain", fmt.Sprintf("pasted-%02d", n)}}
		if n < 3 { // the same page as docs writes, checked below for every file
			cmds = append(cmds, []string{"explain", "--markdown", fmt.Sprintf("pasted-%02d", n)})
		}
		for _, args := range cmds {
			r := sleuth(t, noEnv, nil, append([]string{"--playbooks", pack}, args...)...)
			if r.code != 0 {
				t.Fatalf("sleuth %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
			}
			checkOutput(t, f.name+": "+strings.Join(args, " "), r.all(), f.entries)
			for _, e := range f.secrets() {
				if !strings.Contains(r.stdout, "[REDACTED:"+e.Marker+"]") {
					t.Errorf("%s: %s: %s: no [REDACTED:%s] marker", f.name, strings.Join(args, " "), e.Kind, e.Marker)
				}
			}
		}
	}
	// analyze shows the matching playbooks' titles and fix steps in every format, and SARIF
	// a rule per playbook with its prose.
	var anchors strings.Builder
	for n := range files {
		fmt.Fprintf(&anchors, "error: pasted-anchor-%02d\n", n)
	}
	anchored := filepath.Join(dir, "anchors.log")
	writeFile(t, anchored, anchors.String())
	for _, r := range analyzeForms(t, pack, anchored) {
		if r.code != 0 {
			t.Errorf("%s: exit %d: %s", formatOf(r), r.code, r.stderr)
		}
		checkOutput(t, "prose "+formatOf(r), r.all(), all)
		if !strings.Contains(r.stdout, "[REDACTED:") {
			t.Errorf("prose %s: the playbooks' prose did not reach the output:\n%.2000s", formatOf(r), r.stdout)
		}
	}
	out := filepath.Join(dir, "kb")
	rs = append(rs,
		sleuth(t, noEnv, nil, "--playbooks", pack, "list"),
		sleuth(t, noEnv, nil, "--playbooks", pack, "list", "--json"),
		sleuth(t, noEnv, nil, "--playbooks", pack, "docs", "--out", out),
		sleuth(t, noEnv, nil, "playbooks", "test", pack),
		sleuth(t, noEnv, nil, "playbooks", "lint", pack),
	)
	for _, r := range rs {
		if r.code == cli.ExitUsage {
			t.Errorf("sleuth %s: exit 2: %s", strings.Join(r.args, " "), r.stderr)
		}
		checkOutput(t, strings.Join(r.args[len(r.args)-2:], " "), r.all(), all)
	}
	if !strings.Contains(rs[3].stdout, "must-not-match example matched") {
		t.Errorf("playbooks test did not quote the examples it ran:\n%s", rs[3].stdout)
	}
	pages, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) < len(files) {
		t.Fatalf("docs wrote %d pages", len(pages))
	}
	for _, p := range pages {
		data, err := os.ReadFile(filepath.Join(out, p.Name()))
		if err != nil {
			t.Fatal(err)
		}
		checkOutput(t, "docs "+p.Name(), string(data), all)
	}
}

// TestSecretsStores: the commands that read credential stores, the environment and servers
// (creds, registry add/list, env check, probe) never print a corpus secret.
func TestSecretsStores(t *testing.T) {
	files := loadCorpus(t)
	all := allEntries(files)
	home := t.TempDir()
	dockerDir := filepath.Join(home, ".docker")
	if err := os.MkdirAll(dockerDir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join("..", "..", "testdata", "secrets", "docker-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Without the credsStore line, so that the auths entries themselves are read.
	cfg = []byte(strings.Replace(string(cfg), `	},
	"credsStore": "desktop"`, `	}`, 1))
	writeFile(t, filepath.Join(dockerDir, "config.json"), string(cfg))
	env := map[string]string{"HOME": home, "DOCKER_CONFIG": dockerDir, "XDG_CONFIG_HOME": filepath.Join(home, ".config"), "PATH": ""}
	var vars []string
	for i, e := range all {
		if e.Secret == "" || pemKinds[e.Kind] {
			continue
		}
		name := fmt.Sprintf("SECRET_%02d", i)
		env[name] = e.Secret
		vars = append(vars, name)
	}
	var rs []result
	rs = append(rs,
		sleuth(t, env, nil, "creds"),
		sleuth(t, env, nil, "creds", "--json"),
		sleuth(t, env, nil, "creds", "ghcr.io", "gcr.example", "registry.example.azurecr.example", "registry.example.com"),
		sleuth(t, env, nil, append([]string{"env", "check"}, vars...)...),
		sleuth(t, env, nil, append([]string{"env", "check", "--json"}, vars...)...),
	)
	for i, e := range all {
		if e.Secret == "" || pemKinds[e.Kind] || strings.ContainsAny(e.Secret, "\n") {
			continue
		}
		host := fmt.Sprintf("registry%d.example.com", i)
		r := sleuth(t, env, []byte(e.Secret+"\n"), "registry", "add", host, "--user", "ci-bot", "--pass-stdin", "--store", "file")
		if r.code != 0 {
			t.Fatalf("registry add: exit %d: %s", r.code, r.stderr)
		}
		rs = append(rs, r)
		if i > 12 {
			break
		}
	}
	rs = append(rs, sleuth(t, env, nil, "registry", "list"), sleuth(t, env, nil, "registry", "list", "--json"))
	for _, r := range rs {
		if r.code == cli.ExitUsage {
			t.Errorf("sleuth %s: exit 2: %s", strings.Join(r.args[:2], " "), r.stderr)
		}
		checkOutput(t, strings.Join(r.args[:min(2, len(r.args))], " "), r.all(), all)
	}
	if !strings.Contains(rs[0].all(), "ghcr.io") {
		t.Errorf("creds did not read the docker config:\n%s", rs[0].all())
	}
	if !strings.Contains(rs[len(rs)-1].stdout, "registry0.example.com") {
		t.Errorf("registry list does not list what was added:\n%s", rs[len(rs)-1].stdout)
	}
}

// TestSecretsProbe: a server that echoes the credential it was sent, in its challenge,
// headers and body, does not make probe print it.
func TestSecretsProbe(t *testing.T) {
	files := loadCorpus(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		w.Header().Set("WWW-Authenticate", `Bearer realm="http://`+r.Host+`/token", error="invalid_token", error_description="the token `+strings.TrimPrefix(got, "Bearer ")+` has expired"`)
		w.Header().Set("X-Echo", got)
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"message":"Bad credentials: %s","documentation_url":"https://docs.example/rest"}`, got)
	}))
	defer srv.Close()
	for _, f := range files {
		for _, e := range f.secrets() {
			if pemKinds[e.Kind] || strings.ContainsAny(e.Secret, "\r\n\"") {
				continue
			}
			env := map[string]string{"TOK": e.Secret}
			for _, args := range [][]string{{"probe", "--bearer-env", "TOK", srv.URL}, {"probe", "--json", "--bearer-env", "TOK", srv.URL}} {
				r := sleuth(t, env, nil, args...)
				if r.code != cli.ExitNoMatch {
					t.Fatalf("sleuth %s: exit %d, want 1: %s", strings.Join(args, " "), r.code, r.all())
				}
				checkOutput(t, f.name+": "+strings.Join(args[:2], " "), r.all(), []corpusEntry{e})
			}
		}
	}
}

// dockerHosts are the hosts of testdata/secrets/docker-config.json: each one's auth or
// identity token is a corpus secret.
var dockerHosts = []string{"ghcr.io", "gcr.example", "registry.example.azurecr.example", "registry.example.com"}

// doctorPack writes the probe pack with checks that quote what they read: an env check of
// PROBE_SECRET_i (a corpus secret) and of the captured value, a creds check of every host of
// the corpus Docker config and of the captured value, and network checks that --offline
// reports without running.
func doctorPack(t *testing.T, dir string, from, to int) {
	t.Helper()
	writeCheckedProbePack(t, dir, from, to, func(i int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "  - kind: env\n    args: {var: PROBE_SECRET_%03d}\n", i)
		b.WriteString("  - kind: env\n    args: {var: \"{{value}}\"}\n")
		for _, h := range dockerHosts {
			fmt.Fprintf(&b, "  - kind: creds\n    args: {host: %s}\n", h)
		}
		b.WriteString("  - kind: creds\n    args: {host: \"{{value}}\"}\n")
		b.WriteString("  - kind: creds\n    args: {helper: \"{{value}}\"}\n")
		b.WriteString("  - kind: registry\n    args: {host: \"{{value}}\", repo: \"{{line}}\"}\n")
		fmt.Fprintf(&b, "  - kind: probe\n    args: {url: \"https://{{value}}/\", env: PROBE_SECRET_%03d, hosts: ghcr.io}\n", i)
		return b.String()
	})
}

// doctorHome writes the corpus Docker config into a new home, with its credsStore line
// (whose helper is not on PATH) or without it (so that the auths entries are read).
func doctorHome(t *testing.T, withStore bool) map[string]string {
	t.Helper()
	home := t.TempDir()
	dockerDir := filepath.Join(home, ".docker")
	if err := os.MkdirAll(dockerDir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join("..", "..", "testdata", "secrets", "docker-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !withStore {
		cfg = []byte(strings.Replace(string(cfg), "\t},\n\t\"credsStore\": \"desktop\"", "\t}", 1))
		if strings.Contains(string(cfg), "credsStore") {
			t.Fatal("docker-config.json: the credsStore line was not removed")
		}
	}
	writeFile(t, filepath.Join(dockerDir, "config.json"), string(cfg))
	return map[string]string{"HOME": home, "DOCKER_CONFIG": dockerDir, "XDG_CONFIG_HOME": filepath.Join(home, ".config"),
		"PATH": "", "CI": "true", "GITHUB_ACTIONS": "true"}
}

// doctorRun is one doctor run in text and in JSON, with the JSON decoded.
type doctorRun struct {
	text, json result
	report     struct {
		Schema    string `json:"schema"`
		Offline   bool   `json:"offline"`
		Diagnoses []struct {
			ID     string `json:"id"`
			Checks []struct {
				Kind    string            `json:"kind"`
				Args    map[string]string `json:"args"`
				Status  string            `json:"status"`
				Summary string            `json:"summary"`
				Network bool              `json:"network"`
			} `json:"checks"`
		} `json:"diagnoses"`
	}
}

func doctor(t *testing.T, env map[string]string, pack, path string) doctorRun {
	t.Helper()
	var d doctorRun
	d.text = sleuth(t, env, nil, "--playbooks", pack, "doctor", "--offline", path)
	d.json = sleuth(t, env, nil, "--playbooks", pack, "doctor", "--offline", "--json", path)
	for _, r := range []result{d.text, d.json} {
		if r.code == cli.ExitUsage {
			t.Fatalf("sleuth %s: exit 2: %s", strings.Join(r.args[2:], " "), r.stderr)
		}
	}
	if err := json.Unmarshal([]byte(d.json.stdout), &d.report); err != nil {
		t.Fatalf("doctor --json printed no JSON: %v\n%.2000s", err, d.json.stdout)
	}
	if d.report.Schema != cli.DoctorSchema || !d.report.Offline {
		t.Errorf("doctor --json: schema %q offline %v", d.report.Schema, d.report.Offline)
	}
	for _, dg := range d.report.Diagnoses {
		for _, c := range dg.Checks {
			if c.Network && c.Status != "unknown" && c.Status != "skipped" {
				t.Errorf("doctor --offline: %s: network check %s ended %s", dg.ID, c.Kind, c.Status)
			}
		}
	}
	return d
}

// checkedEnv returns the PROBE_SECRET_i variables whose env check ran, by the summary it
// left ("$PROBE_SECRET_001 (kind, N chars): ...").
func (d doctorRun) checkedEnv() map[string]bool {
	out := map[string]bool{}
	for _, dg := range d.report.Diagnoses {
		for _, c := range dg.Checks {
			if c.Kind == "env" && strings.HasPrefix(c.Summary, "$PROBE_SECRET_") {
				out[strings.TrimPrefix(c.Args["var"], "$")] = true
			}
		}
	}
	return out
}

// checkedHosts returns the corpus Docker config hosts whose creds check ran.
func (d doctorRun) checkedHosts() map[string]bool {
	out := map[string]bool{}
	for _, dg := range d.report.Diagnoses {
		for _, c := range dg.Checks {
			if c.Kind == "creds" && c.Status != "skipped" && c.Summary != "" && slices.Contains(dockerHosts, c.Args["host"]) {
				out[c.Args["host"]] = true
			}
		}
	}
	return out
}

// TestSecretsDoctor: doctor --offline, text and JSON, over every corpus file as a log, with
// checks that read corpus secrets from the environment and the corpus Docker config (with
// and without its credsStore) and quote the captured values.
func TestSecretsDoctor(t *testing.T) {
	files := loadCorpus(t)
	all := allEntries(files)
	maxLines := 0
	for _, f := range files {
		maxLines = max(maxLines, len(f.lines))
	}
	dir := t.TempDir()
	pack := filepath.Join(dir, "probes")
	doctorPack(t, pack, 1, maxLines)
	check := func(where string, d doctorRun) {
		t.Helper()
		checkOutput(t, where+": doctor --offline", d.text.all(), all)
		checkOutput(t, where+": doctor --offline --json", d.json.all(), all)
	}

	// Each file as a log; PROBE_SECRET_i holds the secret on line i (or the file's first).
	for n, f := range files {
		env := doctorHome(t, n%2 == 0)
		secrets := f.secrets()
		for i, l := range f.lines {
			switch es := f.secretsOn(l); {
			case len(es) > 0 && es[0].Secret != "":
				env[fmt.Sprintf("PROBE_SECRET_%03d", i+1)] = es[0].Secret
			case len(secrets) > 0:
				env[fmt.Sprintf("PROBE_SECRET_%03d", i+1)] = secrets[0].Secret
			}
		}
		var log strings.Builder
		for i, l := range f.lines {
			log.WriteString(probeLine(i+1, l) + "\n")
		}
		path := filepath.Join(dir, f.name+".log")
		writeFile(t, path, log.String())
		d := doctor(t, env, pack, path)
		check(f.name, d)
		for _, e := range secrets {
			if !strings.Contains(d.json.stdout, "[REDACTED:"+e.Marker+"]") {
				t.Errorf("%s: doctor --json: %s: no [REDACTED:%s] marker", f.name, e.Kind, e.Marker)
			}
		}
		if len(secrets) > 0 && len(d.checkedEnv()) == 0 {
			t.Errorf("%s: doctor ran no env check of a corpus secret:\n%.3000s", f.name, d.text.stdout)
		}
		if len(d.checkedHosts()) != len(dockerHosts) {
			t.Errorf("%s: doctor checked the credentials of %v, want all of %v:\n%.3000s", f.name, d.checkedHosts(), dockerHosts, d.text.stdout)
		}
	}

	// Every secret of the corpus in the environment, five a run (doctor checks the top five
	// diagnoses): a log of five neutral lines, one a probe.
	var secrets []corpusEntry
	for _, e := range all {
		if e.Secret != "" {
			secrets = append(secrets, e)
		}
	}
	for g := 0; g < len(secrets); g += 5 {
		group := secrets[g:min(g+5, len(secrets))]
		env := doctorHome(t, g%10 == 0)
		var log strings.Builder
		for i, e := range group {
			env[fmt.Sprintf("PROBE_SECRET_%03d", i+1)] = e.Secret
			log.WriteString(probeLine(i+1, "checking the deploy credentials") + "\n")
		}
		path := filepath.Join(dir, fmt.Sprintf("env-%03d.log", g))
		writeFile(t, path, log.String())
		d := doctor(t, env, pack, path)
		check(fmt.Sprintf("environment %d-%d", g, g+len(group)-1), d)
		checked := d.checkedEnv()
		for i, e := range group {
			if name := fmt.Sprintf("PROBE_SECRET_%03d", i+1); !checked[name] {
				t.Errorf("environment: %s (%s) was not checked:\n%.3000s", name, e.Kind, d.text.stdout)
			}
		}
	}
}
