package match_test

import (
	"strings"
	"testing"

	"github.com/sleuth-ci/sleuth/internal/match"
	"github.com/sleuth-ci/sleuth/playbook"
)

func mustParse(t *testing.T, yaml string) *playbook.Playbook {
	t.Helper()
	p, err := playbook.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const base = "title: T\ncategory: auth\nsummary: s\nfix: [f]\n"

func run(t *testing.T, pbs []*playbook.Playbook, log string) map[string][]match.Hit {
	t.Helper()
	cat, err := match.Compile(pbs, []string{"error"})
	if err != nil {
		t.Fatal(err)
	}
	m := cat.NewMatcher(nil)
	for i, line := range strings.Split(log, "\n") {
		m.Add(match.Line{Num: i + 1, Text: []byte(line)})
	}
	out := map[string][]match.Hit{}
	for _, r := range m.Finish() {
		out[r.Playbook.ID] = r.Hits
	}
	return out
}

func TestMatcher(t *testing.T) {
	tests := []struct {
		name     string
		playbook string
		log      string
		want     []int // anchor lines of the hits, nil for no match
		captures map[string]string
	}{
		{
			name:     "literal is case-insensitive",
			playbook: "id: a\nmatch: {any: [no basic auth credentials]}\n",
			log:      "x\nError: No Basic Auth Credentials\n",
			want:     []int{2},
		},
		{
			name:     "regex runs only where its literal is",
			playbook: "id: a\nmatch: {any: [{re: 'npm ERR! code E40[13]'}]}\n",
			log:      "npm ERR! code E404\nnpm ERR! code E403\n",
			want:     []int{2},
		},
		{
			name:     "all must match within the window",
			playbook: "id: a\nmatch: {any: [BUILD FAILURE], all: [COMPILATION ERROR], window: 2}\n",
			log:      "[ERROR] COMPILATION ERROR\na\nb\nc\n[INFO] BUILD FAILURE\n",
			want:     nil,
		},
		{
			name:     "all inside the window, after the anchor",
			playbook: "id: a\nmatch: {any: [BUILD FAILURE], all: [COMPILATION ERROR], window: 2}\n",
			log:      "[INFO] BUILD FAILURE\na\n[ERROR] COMPILATION ERROR\n",
			want:     []int{1},
		},
		{
			name:     "none vetoes only within the window",
			playbook: "id: a\nmatch: {any: [connection refused], none: [retrying], window: 1}\n",
			log:      "connection refused\nretrying in 5s\nconnected\nconnection refused\nok\nfine\nretrying is a word far away\n",
			want:     []int{4},
		},
		{
			name:     "none on the anchor line itself",
			playbook: "id: a\nmatch: {any: [403 Forbidden], none: [{re: '^\\+ '}], window: 0}\n",
			log:      "+ echo 403 Forbidden\ncurl: 403 Forbidden\n",
			want:     []int{2},
		},
		{
			name:     "window reaching past the end of the log",
			playbook: "id: a\nmatch: {any: [fatal], all: [hint], window: 5}\n",
			log:      "hint\nfatal",
			want:     []int{2},
		},
		{
			name:     "named groups and extract rules capture",
			playbook: "id: a\nmatch: {any: [{re: 'Get \"?https://(?P<registry>[^/\"]+)/v2/'}]}\nextract: [{name: image, re: 'push (?P<image>\\S+)'}]\n",
			log:      "push ghcr.io/acme/app:1\nGet \"https://ghcr.io/v2/\": unauthorized\n",
			want:     []int{2},
			captures: map[string]string{"registry": "ghcr.io"},
		},
		{
			name:     "the first and last hits are kept",
			playbook: "id: a\nmatch: {any: [boom]}\n",
			log:      strings.Repeat("boom\n", 20),
			want:     []int{1, 2, 3, 4, 5, 18, 19, 20},
		},
		{
			name:     "non-ASCII literal",
			playbook: "id: a\nmatch: {any: ['✖ 3 problems']}\n",
			log:      "ok\n✖ 3 problems (3 errors, 0 warnings)\n",
			want:     []int{2},
		},
		{
			name:     "regex without literal still works",
			playbook: "id: a\nmatch: {any: [{re: '^\\d+ fail'}]}\n",
			log:      "12 fail\n",
			want:     []int{1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := run(t, []*playbook.Playbook{mustParse(t, tt.playbook+base)}, tt.log)["a"]
			var got []int
			for _, h := range hits {
				got = append(got, h.Anchor.Line)
			}
			if !equal(got, tt.want) {
				t.Fatalf("anchors %v, want %v", got, tt.want)
			}
			for k, v := range tt.captures {
				if hits[0].Captures[k] != v {
					t.Errorf("capture %s = %q, want %q (all: %v)", k, hits[0].Captures[k], v, hits[0].Captures)
				}
			}
		})
	}
}

func TestAllSupportLines(t *testing.T) {
	p := mustParse(t, "id: a\nmatch: {any: [BUILD FAILURE], all: [COMPILATION ERROR, cannot find symbol], window: 5}\n"+base)
	hits := run(t, []*playbook.Playbook{p}, "[ERROR] COMPILATION ERROR\n[ERROR] x.java:[3,1] cannot find symbol\n[INFO] BUILD FAILURE\n")["a"]
	if len(hits) != 1 || len(hits[0].Support) != 2 || hits[0].Support[0].Line != 1 || hits[0].Support[1].Line != 2 {
		t.Fatalf("support = %+v", hits)
	}
}

type recorder struct{ lines []int }

func (r *recorder) Observe(l match.Line, keyword bool) {
	if keyword {
		r.lines = append(r.lines, l.Num)
	}
}

func TestObserverSeesKeywords(t *testing.T) {
	cat, err := match.Compile(nil, []string{"error", "fail"})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	m := cat.NewMatcher(rec)
	for i, l := range []string{"ok", "ERROR here", "passed", "it failed"} {
		m.Add(match.Line{Num: i + 1, Text: []byte(l)})
	}
	m.Finish()
	if !equal(rec.lines, []int{2, 4}) {
		t.Fatalf("keyword lines %v", rec.lines)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
