package registry

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseChallenges(t *testing.T) {
	type ch = Challenge
	p := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		in     []string
		want   []Challenge
		errSub string
	}{
		{"docker hub", []string{`Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`},
			[]ch{{Scheme: "Bearer", Params: p("realm", "https://auth.docker.io/token", "service", "registry.docker.io")}}, ""},
		{"scope and error", []string{`Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/i:pull,push",error="insufficient_scope"`},
			[]ch{{Scheme: "Bearer", Params: p("realm", "https://ghcr.io/token", "service", "ghcr.io", "scope", "repository:o/i:pull,push", "error", "insufficient_scope")}}, ""},
		{"basic ECR", []string{`Basic realm="https://1.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"`},
			[]ch{{Scheme: "Basic", Params: p("realm", "https://1.dkr.ecr.us-east-1.amazonaws.com/", "service", "ecr.amazonaws.com")}}, ""},
		{"two challenges in one header (quay)", []string{`Basic realm="quay.io", Bearer realm="https://quay.io/v2/auth",service="quay.io"`},
			[]ch{{Scheme: "Basic", Params: p("realm", "quay.io")}, {Scheme: "Bearer", Params: p("realm", "https://quay.io/v2/auth", "service", "quay.io")}}, ""},
		{"two header values", []string{`Basic realm="a"`, `Bearer realm="b"`},
			[]ch{{Scheme: "Basic", Params: p("realm", "a")}, {Scheme: "Bearer", Params: p("realm", "b")}}, ""},
		{"escapes in quoted string", []string{`Bearer realm="a\"b\\c",service="x"`},
			[]ch{{Scheme: "Bearer", Params: p("realm", `a"b\c`, "service", "x")}}, ""},
		{"comma inside quotes", []string{`Bearer scope="repository:a:pull,push repository:b:pull",realm="r"`},
			[]ch{{Scheme: "Bearer", Params: p("scope", "repository:a:pull,push repository:b:pull", "realm", "r")}}, ""},
		{"unquoted values and case", []string{`bearer Realm=https://r.example/token, Service=reg`},
			[]ch{{Scheme: "bearer", Params: p("realm", "https://r.example/token", "service", "reg")}}, ""},
		{"spaces around equals", []string{`Bearer realm = "r" , service= "s"`},
			[]ch{{Scheme: "Bearer", Params: p("realm", "r", "service", "s")}}, ""},
		{"token68", []string{`Negotiate abc+/def==, Basic realm="x"`},
			[]ch{{Scheme: "Negotiate", Params: p(), Token68: "abc+/def=="}, {Scheme: "Basic", Params: p("realm", "x")}}, ""},
		{"bare schemes", []string{`Basic, Bearer`}, []ch{{Scheme: "Basic", Params: p()}, {Scheme: "Bearer", Params: p()}}, ""},
		{"empty elements", []string{`, ,Basic realm="x",, `}, []ch{{Scheme: "Basic", Params: p("realm", "x")}}, ""},
		{"unterminated quote", []string{`Bearer realm="https://r`}, []ch{{Scheme: "Bearer", Params: p("realm", "https://r")}}, "unterminated"},
		{"duplicate param keeps first", []string{`Bearer realm="a",realm="b"`}, []ch{{Scheme: "Bearer", Params: p("realm", "a")}}, "repeated"},
		{"missing comma", []string{`Bearer realm="a" service="b"`}, []ch{{Scheme: "Bearer", Params: p("realm", "a", "service", "b")}}, "expected ','"},
		{"param before scheme", []string{`realm="x"`}, nil, "before any auth scheme"},
		{"garbage", []string{`"""`}, nil, "expected an auth scheme"},
		{"empty", []string{""}, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseChallenges(tc.in...)
			if len(got) == 0 && len(tc.want) == 0 {
				got = nil
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v\nwant %#v", got, tc.want)
			}
			if tc.errSub == "" && err != nil {
				t.Errorf("unexpected error %v", err)
			}
			if tc.errSub != "" && (err == nil || !strings.Contains(err.Error(), tc.errSub)) {
				t.Errorf("error %v, want %q", err, tc.errSub)
			}
		})
	}
}

func TestParseChallengesLimits(t *testing.T) {
	many := strings.Repeat(`Basic realm="x", `, 100)
	got, err := ParseChallenges(many)
	if len(got) != maxChallenges || err == nil {
		t.Errorf("%d challenges, err %v", len(got), err)
	}
	var params []string
	for i := 0; i < 100; i++ {
		params = append(params, "p"+strings.Repeat("x", i)+`="v"`)
	}
	got, err = ParseChallenges("Bearer " + strings.Join(params, ","))
	if len(got) != 1 || len(got[0].Params) != maxParams || err == nil {
		t.Errorf("params %d, err %v", len(got[0].Params), err)
	}
	huge := `Bearer realm="` + strings.Repeat("a", 1<<20) + `"`
	got, err = ParseChallenges(huge)
	if len(got) != 1 || len(got[0].Param("realm")) >= maxHeaderLen || err == nil {
		t.Errorf("huge header not truncated: err %v", err)
	}
}

func TestChallengeStringRoundTrip(t *testing.T) {
	in := `Bearer service="s",realm="a\"b",scope="repository:x:pull"`
	cs, _ := ParseChallenges(in)
	out := cs[0].String()
	if out != `Bearer realm="a\"b",scope="repository:x:pull",service="s"` {
		t.Errorf("String() = %s", out)
	}
	again, err := ParseChallenges(out)
	if err != nil || !reflect.DeepEqual(again, cs) {
		t.Errorf("round trip: %v %#v", err, again)
	}
}

func TestParseScopes(t *testing.T) {
	got := ParseScopes("repository:alice/app:pull,push repository(plugin):localhost:5000/x:pull registry:catalog:*")
	want := []Scope{
		{Type: "repository", Name: "alice/app", Actions: []string{"pull", "push"}},
		{Type: "repository", Name: "localhost:5000/x", Actions: []string{"pull"}},
		{Type: "registry", Name: "catalog", Actions: []string{"*"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v", got)
	}
	if got[0].String() != "repository:alice/app:pull,push" {
		t.Errorf("String %s", got[0])
	}
}
