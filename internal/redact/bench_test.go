package redact

import "testing"

// benchClean is a mix of typical CI log lines without secrets.
var benchClean = []string{
	"2024-05-01T12:00:01.1234567Z ##[group]Run actions/setup-node@v4",
	"2024-05-01T12:00:02.1234567Z npm ci --no-audit --prefer-offline",
	"2024-05-01T12:00:03.1234567Z added 1342 packages, and audited 1343 packages in 21s",
	"2024-05-01T12:00:04.1234567Z #7 [build 3/6] RUN go mod download",
	"2024-05-01T12:00:05.1234567Z #7 DONE 12.4s",
	"2024-05-01T12:00:06.1234567Z #9 writing image sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 done",
	"2024-05-01T12:00:07.1234567Z HEAD is now at 3f4e2a1c9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f Merge pull request #42",
	"2024-05-01T12:00:08.1234567Z === RUN   TestParseConfig/empty_input",
	"2024-05-01T12:00:09.1234567Z --- PASS: TestParseConfig/empty_input (0.00s)",
	"2024-05-01T12:00:10.1234567Z FAIL	github.com/example-org/app/internal/store	0.412s",
	"2024-05-01T12:00:11.1234567Z   Compiling serde_json v1.0.117",
	"2024-05-01T12:00:12.1234567Z error[E0425]: cannot find value `x` in this scope",
	"2024-05-01T12:00:13.1234567Z    --> src/main.rs:14:5",
	"2024-05-01T12:00:14.1234567Z Collecting requests==2.31.0",
	"2024-05-01T12:00:15.1234567Z   Downloading requests-2.31.0-py3-none-any.whl (62 kB)",
	"2024-05-01T12:00:16.1234567Z [INFO] BUILD FAILURE",
	"2024-05-01T12:00:17.1234567Z [ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile",
	"2024-05-01T12:00:18.1234567Z Error: Process completed with exit code 1.",
	"2024-05-01T12:00:19.1234567Z make: *** [Makefile:23: test] Error 2",
	"2024-05-01T12:00:20.1234567Z Step 5/12 : COPY . /app",
	"2024-05-01T12:00:21.1234567Z  ---> Using cache",
	"2024-05-01T12:00:22.1234567Z  ---> 4c2ab1f0e9d8",
	"2024-05-01T12:00:23.1234567Z   at Object.<anonymous> (/home/runner/work/app/app/test/index.test.js:12:15)",
	"2024-05-01T12:00:24.1234567Z Post job cleanup.",
}

func BenchmarkStringClean(b *testing.B) {
	n := 0
	for _, l := range benchClean {
		n += len(l)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range benchClean {
			_ = String(l)
		}
	}
}

func BenchmarkStringSecret(b *testing.B) {
	var lines []string
	n := 0
	for _, c := range secretCases() {
		lines = append(lines, c.in)
		n += len(c.in)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			_ = String(l)
		}
	}
}
