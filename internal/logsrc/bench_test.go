package logsrc

import (
	"bytes"
	"fmt"
	"testing"
)

// genLog returns a deterministic, realistic CI log of about size bytes: mostly
// plain tool output, with GitHub timestamps and groups, ANSI colours,
// carriage-return progress, Travis folds, CRLF line ends and Buildkite headers.
func genLog(size int) []byte {
	plain := []string{
		"npm WARN deprecated request@2.88.2: request has been deprecated, see https://github.com/request/request/issues/3142",
		"    at Object.<anonymous> (/home/runner/work/app/app/node_modules/jest/build/index.js:12:34)",
		"[INFO] Downloading from central: https://repo.maven.apache.org/maven2/org/apache/maven/plugins/maven-surefire-plugin/3.0.0/maven-surefire-plugin-3.0.0.pom",
		"ok  \tgithub.com/example/project/internal/server\t0.123s",
		"Step 4/12 : RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl",
		"Collecting requests==2.31.0 (from -r requirements.txt (line 3))",
		"",
		"error: failed to push some refs to 'https://github.com/example/project.git'",
		"    Finished `release` profile [optimized] target(s) in 1m 02s",
	}
	var b bytes.Buffer
	b.Grow(size + 1024)
	for i := 0; b.Len() < size; i++ {
		switch {
		case i%500 == 0:
			fmt.Fprintf(&b, "2024-01-02T03:04:%02d.1234567Z ##[group]Run step %d\n", i%60, i/500)
		case i%500 == 499:
			fmt.Fprintf(&b, "2024-01-02T03:04:%02d.1234567Z ##[endgroup]\n", i%60)
		case i%997 == 0:
			fmt.Fprintf(&b, "travis_fold:start:install.%d\r\x1b[0Ktravis_time:start:%08x\r\x1b[0K$ npm ci\r\n", i, i)
		case i%97 == 0:
			b.WriteString("remote: Compressing objects:  50% (50/100)   \x1b[K\rremote: Compressing objects: 100% (100/100), done.\x1b[K\n")
		case i%31 == 0:
			fmt.Fprintf(&b, "2024-01-02T03:04:%02d.1234567Z \x1b[31;1mError:\x1b[0m Cannot find module 'express' (%d)\n", i%60, i)
		case i%53 == 0:
			fmt.Fprintf(&b, "%s\r\n", plain[i%len(plain)])
		case i%2003 == 0:
			fmt.Fprintf(&b, "\x1b_bk;t=1600000000000\x07--- Section %d\n", i)
		default:
			b.WriteString(plain[i%len(plain)])
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// genPlain returns about size bytes of plain lines: the fast path only.
func genPlain(size int) []byte {
	line := "    at Object.<anonymous> (/home/runner/work/app/app/node_modules/jest/build/index.js:12:34)\n"
	return bytes.Repeat([]byte(line), size/len(line)+1)
}

func benchScan(b *testing.B, log []byte) {
	lines := bytes.Count(log, []byte("\n"))
	r := bytes.NewReader(log)
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(log)
		s := NewScanner(r)
		for s.Scan() {
		}
		if s.Lines() != lines {
			b.Fatalf("Lines() = %d, want %d", s.Lines(), lines)
		}
	}
	b.ReportMetric(float64(lines), "lines/op")
}

// BenchmarkScanner scans a generated ~10 MB realistic log.
func BenchmarkScanner(b *testing.B) { benchScan(b, genLog(10<<20)) }

// BenchmarkScannerPlain scans ~10 MB of plain lines (the fast path).
func BenchmarkScannerPlain(b *testing.B) { benchScan(b, genPlain(10<<20)) }

// BenchmarkScannerTravis scans ~10 MB of Travis-style CRLF lines with ANSI colours.
func BenchmarkScannerTravis(b *testing.B) {
	var buf bytes.Buffer
	for buf.Len() < 10<<20 {
		buf.WriteString("Resolving deltas: 100% (13331/13331), done.\r\n")
		buf.WriteString("\x1b[34m\x1b[1mOperating System Details\x1b[0m\r\n")
	}
	benchScan(b, buf.Bytes())
}
