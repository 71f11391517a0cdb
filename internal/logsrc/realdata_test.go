package logsrc

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// logchunksDir holds real Travis CI logs of failed builds (read only).
const logchunksDir = "/work/shared/logchunks/logs"

// TestRealTravisLogs scans every real log: no panic, the line count matches
// the raw '\n'-split line count, no Travis marker or escape survives
// normalization, and fold names are tracked.
func TestRealTravisLogs(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(logchunksDir, "*.log"))
	if len(paths) == 0 {
		t.Skip("no real logs in " + logchunksDir)
	}
	steps := map[string]int{}
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := bytes.Count(raw, []byte("\n"))
		if len(raw) > 0 && raw[len(raw)-1] != '\n' {
			want++
		}
		src, err := Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := NewScanner(src)
		prev := 0
		for s.Scan() {
			l := s.Line()
			if l.Num != prev+1 {
				t.Fatalf("%s: line %d after %d", path, l.Num, prev)
			}
			prev = l.Num
			if leftoverMarker(l.Text) {
				t.Errorf("%s:%d: marker left in %q", filepath.Base(path), l.Num, l.Text)
			}
			if bytes.IndexByte(l.Text, esc) >= 0 || bytes.IndexByte(l.Text, '\r') >= 0 || bytes.IndexByte(l.Text, 0) >= 0 {
				t.Errorf("%s:%d: control byte left in %q", filepath.Base(path), l.Num, l.Text)
			}
			if len(l.Text) > MaxLineBytes {
				t.Errorf("%s:%d: text of %d bytes", filepath.Base(path), l.Num, len(l.Text))
			}
			if l.Step != "" {
				steps[l.Step]++
			}
		}
		src.Close()
		if err := s.Err(); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		if s.Lines() != want {
			t.Errorf("%s: %d lines, want %d", filepath.Base(path), s.Lines(), want)
		}
	}
	for _, name := range []string{"system_info", "git.checkout"} {
		if steps[name] == 0 {
			t.Errorf("fold %q never tracked", name)
		}
	}
	t.Logf("%d logs, %d distinct steps", len(paths), len(steps))
}

// leftoverMarker reports a Travis marker in normalized text, other than one
// quoted in a shell trace ("+echo -en 'travis_fold:end:install\r'").
func leftoverMarker(text []byte) bool {
	for _, m := range []string{"travis_fold:", "travis_time:"} {
		for off := 0; ; {
			i := bytes.Index(text[off:], []byte(m))
			if i < 0 {
				break
			}
			if k := off + i; k == 0 || text[k-1] != '\'' {
				return true
			}
			off += i + 1
		}
	}
	return false
}
