// Package playbook defines the playbook schema: one YAML file per failure, describing how to
// recognise it in a log and how to fix it. It loads playbooks with errors that name file and
// line, and lints them.
package playbook

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Layer says how specific a playbook is. A more specific layer outranks a less specific one.
type Layer string

const (
	LayerTool    Layer = "tool"    // names the tool or provider: "GHCR write_package denied"
	LayerClass   Layer = "class"   // a protocol class: "registry permission denied"
	LayerGeneric Layer = "generic" // a bare symptom: "HTTP 403"
)

// Rank orders layers: higher is more specific.
func (l Layer) Rank() int {
	switch l {
	case LayerGeneric:
		return 1
	case LayerClass:
		return 2
	default:
		return 3
	}
}

// Categories lists the categories a playbook may declare.
var Categories = []string{"auth", "build", "ci-config", "dependency", "docker", "network", "resource", "runtime", "test", "vcs"}

// DefaultWindow is the number of lines before and after an anchor that all/none look at.
const DefaultWindow = 8

// MaxWindow bounds the window so that memory stays bounded while streaming.
const MaxWindow = 200

// Playbook is one failure: how to recognise it and how to fix it.
type Playbook struct {
	ID         string    `yaml:"id" json:"id"`
	Title      string    `yaml:"title" json:"title"`
	Category   string    `yaml:"category" json:"category"`
	Layer      Layer     `yaml:"layer" json:"layer"`
	Summary    string    `yaml:"summary" json:"summary"`
	Match      Match     `yaml:"match" json:"match"`
	Extract    []Extract `yaml:"extract" json:"extract,omitempty"`
	Diagnosis  string    `yaml:"diagnosis" json:"diagnosis"`
	Causes     Texts     `yaml:"causes" json:"causes"`
	Fix        Texts     `yaml:"fix" json:"fix"`
	Validation Texts     `yaml:"validation" json:"validation"`
	Why        string    `yaml:"why" json:"why"`
	Prevention Texts     `yaml:"prevention" json:"prevention"`
	Local      Texts     `yaml:"local" json:"local"`
	Checks     []Check   `yaml:"checks" json:"checks,omitempty"`
	Related    []string  `yaml:"related" json:"related,omitempty"`
	References []string  `yaml:"references" json:"references,omitempty"`
	Examples   Examples  `yaml:"examples" json:"-"`

	// Path is where the playbook was loaded from ("playbooks/auth/x.yaml" for bundled ones).
	Path string `yaml:"-" json:"path"`
	// Line is the line of the id field in Path, for error messages.
	Line int `yaml:"-" json:"-"`
}

// Match says which lines show this failure.
type Match struct {
	Any    []Pattern `yaml:"any" json:"any"`
	All    []Pattern `yaml:"all" json:"all,omitempty"`
	None   []Pattern `yaml:"none" json:"none,omitempty"`
	Window *int      `yaml:"window" json:"window,omitempty"` // nil: DefaultWindow; 0: the anchor line only
}

// EffectiveWindow is the window in lines, with the default applied.
func (m Match) EffectiveWindow() int {
	if m.Window == nil {
		return DefaultWindow
	}
	return *m.Window
}

// Pattern is literal text (matched case-insensitively) or an RE2 regex (applied as written).
type Pattern struct {
	Literal string `json:"literal,omitempty"`
	Regex   string `json:"re,omitempty"`
	Line    int    `json:"-"` // line in the playbook file, for error messages
}

// String renders the pattern as it appears in the YAML.
func (p Pattern) String() string {
	if p.Regex != "" {
		return "re: " + p.Regex
	}
	return p.Literal
}

// AsRegex renders the pattern as one regex: literals are quoted and made case-insensitive.
func (p Pattern) AsRegex() string {
	if p.Regex != "" {
		return p.Regex
	}
	return "(?i)" + regexp.QuoteMeta(p.Literal)
}

// UnmarshalYAML accepts either a plain string (literal) or a mapping {re: ...} / {lit: ...}.
func (p *Pattern) UnmarshalYAML(n *yaml.Node) error {
	p.Line = n.Line
	switch n.Kind {
	case yaml.ScalarNode:
		p.Literal = n.Value
		if strings.TrimSpace(p.Literal) == "" {
			return fmt.Errorf("line %d: empty pattern", n.Line)
		}
		return nil
	case yaml.MappingNode:
		var m struct {
			Re  string `yaml:"re"`
			Lit string `yaml:"lit"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		if (m.Re == "") == (m.Lit == "") {
			return fmt.Errorf("line %d: a pattern needs exactly one of re or lit", n.Line)
		}
		p.Regex, p.Literal = m.Re, m.Lit
		return nil
	}
	return fmt.Errorf("line %d: a pattern is a string or a mapping with re", n.Line)
}

// Extract names a value to capture from the matched lines.
type Extract struct {
	Name string `yaml:"name" json:"name"`
	Re   string `yaml:"re" json:"re"`
}

// Check is a live verification that `sleuth doctor` can run.
type Check struct {
	Kind string            `yaml:"kind" json:"kind"`
	Args map[string]string `yaml:"args" json:"args,omitempty"`
}

// Examples are real log excerpts the playbook must and must not match.
type Examples struct {
	Match   []Example `yaml:"match"`
	NoMatch []Example `yaml:"no_match"`
}

// Example is one log excerpt with where it came from.
type Example struct {
	Source   string            `yaml:"source"`
	Log      string            `yaml:"log"`
	Captures map[string]string `yaml:"captures"`
	Line     int               `yaml:"-"`
}

// UnmarshalYAML records the example's line for error messages.
func (e *Example) UnmarshalYAML(n *yaml.Node) error {
	type plain Example
	var v plain
	if err := n.Decode(&v); err != nil {
		return err
	}
	*e = Example(v)
	e.Line = n.Line
	return nil
}

// Symptoms lists the anchor patterns as a person would read them.
func (p *Playbook) Symptoms() []string {
	out := make([]string, 0, len(p.Match.Any))
	for _, pat := range p.Match.Any {
		out = append(out, pat.String())
	}
	return out
}

// Texts is a list of prose items. An item written as "Cause: detail" is a one-pair mapping in
// YAML; it is read back as the text it looks like.
type Texts []string

// UnmarshalYAML accepts a sequence of scalars or one-pair mappings.
func (t *Texts) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("line %d: expected a list", n.Line)
	}
	out := make(Texts, 0, len(n.Content))
	for _, item := range n.Content {
		switch {
		case item.Kind == yaml.ScalarNode:
			out = append(out, item.Value)
		case item.Kind == yaml.MappingNode && len(item.Content) == 2 && item.Content[1].Kind == yaml.ScalarNode:
			out = append(out, item.Content[0].Value+": "+item.Content[1].Value)
		default:
			return fmt.Errorf("line %d: expected text (quote it if it contains ': ')", item.Line)
		}
	}
	*t = out
	return nil
}
