// Package logchunks reads the LogChunks data set for accuracy tests: real failed CI logs, each
// with the hand-labelled chunk that says why it failed (Brandt, Panichella, Zaidman, Beller,
// "LogChunks: A Data Set for Build Log Analysis", MSR 2020). The logs are read in place,
// never copied into the repository.
package logchunks

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Label is one log and where its failure is.
type Label struct {
	ID    string  `json:"id"`
	Log   string  `json:"log"` // path relative to the data set's directory
	Chunk string  `json:"chunk"`
	Start int     `json:"chunk_start_line"`
	End   int     `json:"chunk_end_line"`
	All   [][]int `json:"all_occurrences"` // every place the chunk's text occurs
}

// Load reads index.jsonl in dir. Labels whose chunk was not located in the log are left out,
// as the data set's scorer does.
func Load(dir string) ([]Label, error) {
	f, err := os.Open(filepath.Join(dir, "index.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Label
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var l Label
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("index.jsonl:%d: %v", n, err)
		}
		if l.Start > 0 {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

// Inside reports whether a 1-based line of the log lies in one of the chunk's occurrences.
func (l *Label) Inside(line int) bool {
	if len(l.All) == 0 {
		return l.Start <= line && line <= l.End
	}
	for _, s := range l.All {
		if len(s) == 2 && s[0] <= line && line <= s[1] {
			return true
		}
	}
	return false
}

// Rank is the 0-based position of the first of lines inside the chunk, or -1: hit@k means
// Rank < k.
func (l *Label) Rank(lines []int) int {
	for k, line := range lines {
		if l.Inside(line) {
			return k
		}
	}
	return -1
}
