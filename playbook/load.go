package playbook

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is a problem in one playbook file, with the line where it is.
type Error struct {
	Path string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// Errors collects every problem found while loading, so a pack author sees them all at once.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

var idPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Parse decodes one playbook file and checks its schema. name is used in error messages.
func Parse(name string, data []byte) (*Playbook, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Playbook
	if err := dec.Decode(&p); err != nil {
		return nil, yamlError(name, err)
	}
	p.Path = name
	var root yaml.Node
	if yaml.Unmarshal(data, &root) == nil {
		p.Line = keyLine(&root, "id")
	}
	if errs := validate(&p); len(errs) > 0 {
		return nil, errs
	}
	return &p, nil
}

// yamlError turns a YAML decoding error into an Error with file and line.
var yamlLine = regexp.MustCompile(`line (\d+): `)

func yamlError(name string, err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	line := 0
	if m := yamlLine.FindStringSubmatchIndex(msg); m != nil {
		fmt.Sscanf(msg[m[2]:m[3]], "%d", &line)
		msg = msg[:m[0]] + msg[m[1]:]
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return Errors{{Path: name, Line: line, Msg: strings.TrimSpace(msg)}}
}

func keyLine(n *yaml.Node, key string) int {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i].Line
		}
	}
	return 1
}

// validate checks what every playbook needs to be usable; lint checks more.
func validate(p *Playbook) Errors {
	var errs Errors
	bad := func(line int, format string, args ...any) {
		errs = append(errs, &Error{Path: p.Path, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case p.ID == "":
		bad(1, "missing id")
	case !idPattern.MatchString(p.ID):
		bad(p.Line, "id %q must be lowercase words separated by dashes", p.ID)
	}
	if strings.TrimSpace(p.Title) == "" {
		bad(p.Line, "missing title")
	}
	if !validCategory(p.Category) {
		bad(p.Line, "category %q is not one of %s", p.Category, strings.Join(Categories, ", "))
	}
	switch p.Layer {
	case "":
		p.Layer = LayerTool
	case LayerTool, LayerClass, LayerGeneric:
	default:
		bad(p.Line, "layer %q is not one of tool, class, generic", p.Layer)
	}
	if len(p.Match.Any) == 0 {
		bad(p.Line, "match.any needs at least one pattern")
	}
	if w := p.Match.Window; w != nil && (*w < 0 || *w > MaxWindow) {
		bad(p.Line, "match.window must be between 0 and %d", MaxWindow)
	}
	for _, group := range [][]Pattern{p.Match.Any, p.Match.All, p.Match.None} {
		for _, pat := range group {
			if pat.Regex == "" {
				continue
			}
			// Parsing is enough to validate, and much cheaper than compiling: the matcher
			// compiles a regex only when a line first needs it.
			if _, err := syntax.Parse(pat.Regex, syntax.Perl); err != nil {
				bad(pat.Line, "invalid regex %q: %v", pat.Regex, err)
			}
		}
	}
	for _, ex := range p.Extract {
		re, err := syntax.Parse(ex.Re, syntax.Perl)
		if err != nil {
			bad(p.Line, "extract %q: invalid regex: %v", ex.Name, err)
			continue
		}
		if !slices.Contains(re.CapNames(), ex.Name) {
			bad(p.Line, "extract %q: regex has no named group (?P<%s>...)", ex.Name, ex.Name)
		}
	}
	if strings.TrimSpace(p.Summary) == "" {
		bad(p.Line, "missing summary")
	}
	if len(p.Fix) == 0 {
		bad(p.Line, "missing fix steps")
	}
	return errs
}

func validCategory(c string) bool {
	for _, k := range Categories {
		if c == k {
			return true
		}
	}
	return false
}

// LoadFS loads every *.yaml file under root in fsys. Paths in errors and in Playbook.Path are
// prefix joined with the file's path below root.
func LoadFS(fsys fs.FS, root, prefix string) ([]*Playbook, error) {
	var files []string
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var (
		out  []*Playbook
		errs Errors
	)
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		rel := strings.TrimPrefix(strings.TrimPrefix(f, root), "/")
		name := path.Join(prefix, rel)
		if err != nil {
			errs = append(errs, &Error{Path: name, Msg: err.Error()})
			continue
		}
		p, err := Parse(name, data)
		if err != nil {
			var pe Errors
			if errors.As(err, &pe) {
				errs = append(errs, pe...)
			} else {
				errs = append(errs, &Error{Path: name, Msg: err.Error()})
			}
			continue
		}
		out = append(out, p)
	}
	if len(errs) > 0 {
		return out, errs
	}
	return out, nil
}

// LoadDir loads a pack from a directory on disk.
func LoadDir(dir string) ([]*Playbook, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("playbook pack: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("playbook pack %s: not a directory", dir)
	}
	return LoadFS(os.DirFS(dir), ".", filepath.ToSlash(filepath.Clean(dir)))
}

// Merge combines packs in order: a later playbook with the same id replaces an earlier one.
// Duplicate ids within one pack are an error.
func Merge(packs ...[]*Playbook) ([]*Playbook, error) {
	byID := map[string]*Playbook{}
	var errs Errors
	for _, pack := range packs {
		seen := map[string]*Playbook{}
		for _, p := range pack {
			if prev, ok := seen[p.ID]; ok {
				errs = append(errs, &Error{Path: p.Path, Line: p.Line,
					Msg: fmt.Sprintf("duplicate id %q (also in %s:%d)", p.ID, prev.Path, prev.Line)})
				continue
			}
			seen[p.ID] = p
			byID[p.ID] = p
		}
	}
	out := make([]*Playbook, 0, len(byID))
	for _, p := range byID {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(errs) > 0 {
		return out, errs
	}
	return out, nil
}

// Checksum identifies the names and contents of the YAML files in fsys: the generated index
// of the bundled catalog records it, to know whether it is stale.
func Checksum(fsys fs.FS) uint32 {
	var names []string
	fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			names = append(names, p)
		}
		return nil
	})
	sort.Strings(names)
	table := crc32.MakeTable(crc32.Castagnoli)
	sum := uint32(0)
	for _, n := range names {
		data, _ := fs.ReadFile(fsys, n)
		sum = crc32.Update(sum, table, []byte(n))
		sum = crc32.Update(sum, table, data)
	}
	return sum
}
