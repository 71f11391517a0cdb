// Package diagnose turns what the matcher found into ranked diagnoses with an explainable
// confidence, and runs a whole analysis of one log.
package diagnose

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"github.com/sleuth-ci/sleuth/internal/hints"
	"github.com/sleuth-ci/sleuth/internal/logsrc"
	"github.com/sleuth-ci/sleuth/internal/match"
	"github.com/sleuth-ci/sleuth/playbook"
)

// Schema names the JSON contract of an Analysis.
const Schema = "sleuth.analysis.v1"

// Analysis is the result of reading one log.
type Analysis struct {
	Schema    string           `json:"schema"`
	Source    string           `json:"source"`
	Lines     int              `json:"lines"`
	Diagnoses []Diagnosis      `json:"diagnoses"`
	Hints     []match.Evidence `json:"hints"`
}

// Diagnosis is one named failure with its proof.
type Diagnosis struct {
	ID         string            `json:"id"`
	Title      string            `json:"title"`
	Category   string            `json:"category"`
	Confidence float64           `json:"confidence"`
	Evidence   []match.Evidence  `json:"evidence"`
	Captures   map[string]string `json:"captures,omitempty"`
	Fix        []string          `json:"fix"`
	Score      []ScorePart       `json:"score,omitempty"` // filled only when explaining

	playbook *playbook.Playbook
	first    int  // line of the primary evidence
	inRegion bool // the primary evidence is in the failed command's output
}

// Playbook returns the playbook behind the diagnosis.
func (d *Diagnosis) Playbook() *playbook.Playbook { return d.playbook }

// ScorePart is one reason the confidence is what it is.
type ScorePart struct {
	Reason string  `json:"reason"`
	Delta  float64 `json:"delta"`
}

// Options tune one analysis.
type Options struct {
	Explain bool // keep the score parts
}

// Run reads a log to the end and diagnoses it. Memory stays bounded whatever the log size.
func Run(r io.Reader, source string, cat *match.Catalog, opts Options) (*Analysis, error) {
	hc := hints.NewCollector()
	m := cat.NewMatcher(hc)
	lines, err := feed(r, m)
	if err != nil {
		// A source's own errors already name it.
		var se *logsrc.SourceError
		var pe *fs.PathError
		if errors.As(err, &se) || errors.As(err, &pe) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	a := &Analysis{
		Schema:    Schema,
		Source:    source,
		Lines:     lines,
		Diagnoses: Rank(m.Finish(), failedRegion(hc), opts),
		Hints:     []match.Evidence{},
	}
	if len(a.Diagnoses) == 0 {
		a.Hints = hc.Hints(hints.Max)
	}
	return a, nil
}

// Confidence parts, kept together so the scoring is easy to read and explain.
var layerBase = map[playbook.Layer]float64{
	playbook.LayerTool:    0.80,
	playbook.LayerClass:   0.65,
	playbook.LayerGeneric: 0.45,
}

const (
	corroborated = 0.10 // the playbook's all patterns matched nearby lines
	repeated     = 0.05 // the failure shows on more than one line
	// inFailedCommand: the line is in the output of the command the runner said failed.
	inFailedCommand = 0.05
)

// Region is the part of the log where the job failed: the output of the command the runner
// reported as failed, up to that verdict. Known is false when the log has no verdict.
type Region struct {
	From, To int
	Known    bool
}

// Contains reports whether line lies in the region.
func (r Region) Contains(line int) bool { return r.Known && line >= r.From && line <= r.To }

func failedRegion(hc *hints.Collector) Region {
	from, to, ok := hc.FailedRegion()
	return Region{From: from, To: to, Known: ok}
}

// Rank scores the results and orders them: failures inside the failed command's output
// first, then layer (tool, class, generic), then the earliest line (the root error comes
// before its cascade), then id.
func Rank(results []match.Result, region Region, opts Options) []Diagnosis {
	out := make([]Diagnosis, 0, len(results))
	for _, r := range results {
		if len(r.Hits) == 0 {
			continue
		}
		out = append(out, newDiagnosis(r, region))
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.inRegion != b.inRegion {
			return a.inRegion
		}
		if ra, rb := a.playbook.Layer.Rank(), b.playbook.Layer.Rank(); ra != rb {
			return ra > rb
		}
		if a.first != b.first {
			return a.first < b.first
		}
		return a.ID < b.ID
	})
	// A less specific playbook whose first line a more specific one already explains is the
	// same failure seen less sharply: it is left out.
	claimed := map[int]bool{}
	kept := out[:0]
	for _, d := range out {
		if claimed[d.first] && d.playbook.Layer != playbook.LayerTool {
			continue
		}
		for _, e := range d.Evidence {
			claimed[e.Line] = true
		}
		kept = append(kept, d)
	}
	out = kept
	for i := range out {
		d := &out[i]
		total := 0.0
		for _, p := range d.Score {
			total += p.Delta
		}
		d.Confidence = clamp(total)
		if !opts.Explain {
			d.Score = nil
		}
	}
	return out
}

func newDiagnosis(r match.Result, region Region) Diagnosis {
	p := r.Playbook
	// The hit that speaks for the diagnosis: the first inside the failed command's output, or
	// else the first of all.
	primary := 0
	for i, h := range r.Hits {
		if region.Contains(h.Anchor.Line) {
			primary = i
			break
		}
	}
	first := r.Hits[primary]
	d := Diagnosis{
		ID:       p.ID,
		Title:    p.Title,
		Category: p.Category,
		Captures: first.Captures,
		playbook: p,
		first:    first.Anchor.Line,
		inRegion: region.Contains(first.Anchor.Line),
	}
	d.add(fmt.Sprintf("%s playbook: %q matched line %d", p.Layer, first.Pattern, first.Anchor.Line), layerBase[p.Layer])
	d.Evidence = append(d.Evidence, first.Anchor)
	if len(first.Support) > 0 {
		lines := make([]string, len(first.Support))
		for i, s := range first.Support {
			lines[i] = fmt.Sprint(s.Line)
		}
		d.add("all patterns matched nearby lines "+strings.Join(lines, ", "), corroborated)
		d.Evidence = append(d.Evidence, first.Support...)
	}
	if d.inRegion {
		d.add(fmt.Sprintf("in the output of the failed command (lines %d-%d)", region.From, region.To), inFailedCommand)
	}
	if r.Count > 1 {
		d.add(fmt.Sprintf("matched %d times", r.Count), repeated)
		for i, h := range r.Hits {
			if len(d.Evidence) >= 3 {
				break
			}
			if i != primary {
				d.Evidence = append(d.Evidence, h.Anchor)
			}
		}
	}
	d.Fix = expand(p.Fix, d.Captures)
	return d
}

func (d *Diagnosis) add(reason string, delta float64) {
	d.Score = append(d.Score, ScorePart{Reason: reason, Delta: delta})
}

func clamp(v float64) float64 {
	if v < 0.05 {
		v = 0.05
	}
	if v > 0.99 {
		v = 0.99
	}
	// Two decimals keep the output stable and readable.
	return float64(int(v*100+0.5)) / 100
}

// expand fills {{name}} placeholders from the captures; unknown ones stay as written.
func expand(steps playbook.Texts, captures map[string]string) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		for k, v := range captures {
			s = strings.ReplaceAll(s, "{{"+k+"}}", v)
		}
		out[i] = s
	}
	return out
}
