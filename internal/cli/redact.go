package cli

import (
	"io/fs"
	"strings"

	"github.com/sleuth-ci/sleuth/internal/redact"
	"github.com/sleuth-ci/sleuth/playbook"
	"github.com/sleuth-ci/sleuth/playbooks"
)

// redactPlaybook returns a copy of p, for display, with secrets masked in every text that
// explain, docs and list print. A pack's prose is often pasted from real logs (a failing
// command with its token, a config file with its password), so it gets the same treatment
// as a log. The bundled catalog holds no secret and prints unchanged.
func redactPlaybook(p *playbook.Playbook) *playbook.Playbook {
	c := *p
	c.Title = redact.String(p.Title)
	c.Summary = redact.String(p.Summary)
	c.Diagnosis = redact.String(p.Diagnosis)
	c.Why = redact.String(p.Why)
	c.Path = redact.String(p.Path)
	c.Causes = redactTexts(p.Causes)
	c.Fix = redactTexts(p.Fix)
	c.Validation = redactTexts(p.Validation)
	c.Prevention = redactTexts(p.Prevention)
	c.Local = redactTexts(p.Local)
	c.References = redactStrings(p.References)
	c.Related = redactStrings(p.Related)
	c.Match.Any = redactPatterns(p.Match.Any)
	c.Match.All = redactPatterns(p.Match.All)
	c.Match.None = redactPatterns(p.Match.None)
	return &c
}

// display returns the playbooks as explain, docs and list print them: the bundled ones as
// written (they are ours, hold no secret, and may show a default password such as
// "POSTGRES_PASSWORD: postgres" on purpose), the ones from packs redacted.
func display(pbs []*playbook.Playbook) []*playbook.Playbook {
	out := make([]*playbook.Playbook, len(pbs))
	for i, p := range pbs {
		if isBundled(p) {
			out[i] = p
		} else {
			out[i] = redactPlaybook(p)
		}
	}
	return out
}

// isBundled reports a playbook of the embedded catalog (its path is "playbooks/" and a file
// of the embedded tree).
func isBundled(p *playbook.Playbook) bool {
	rel, ok := strings.CutPrefix(p.Path, "playbooks/")
	if !ok {
		return false
	}
	_, err := fs.Stat(playbooks.FS, rel)
	return err == nil
}

// redactTexts redacts a list of items as one stream of lines, so that a private key pasted
// over several items (one line each) is masked whole, as it would be in a log.
func redactTexts(ts playbook.Texts) playbook.Texts {
	if ts == nil {
		return nil
	}
	var st redact.Stream
	out := make(playbook.Texts, len(ts))
	for i, t := range ts {
		lines := strings.Split(redact.String(t), "\n")
		for j, l := range lines {
			lines[j] = st.Line(l)
		}
		out[i] = strings.Join(lines, "\n")
	}
	return out
}

func redactStrings(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = redact.String(s)
	}
	return out
}

func redactPatterns(ps []playbook.Pattern) []playbook.Pattern {
	if ps == nil {
		return nil
	}
	out := make([]playbook.Pattern, len(ps))
	for i, p := range ps {
		p.Literal = redact.String(p.Literal)
		p.Regex = redact.String(p.Regex)
		out[i] = p
	}
	return out
}
