package registry

import (
	"reflect"
	"strings"
	"testing"
)

func FuzzParseChallenges(f *testing.F) {
	for _, s := range []string{
		`Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"`,
		`Basic realm="quay.io", Bearer realm="https://quay.io/v2/auth",service="quay.io"`,
		`Bearer realm="a\"b\\c",error="insufficient_scope"`,
		`Negotiate abc+/def==, Basic realm="x"`,
		`realm="x"`, `"""`, `Bearer realm="unterminated`, `,,,`, `Basic realm=x service=y`,
		"Bearer \t realm = \"r\" ,\t,service=s", `A a=, B b="", C`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, _ := ParseChallenges(s)
		if len(cs) > maxChallenges {
			t.Fatalf("%d challenges", len(cs))
		}
		for _, c := range cs {
			if c.Scheme == "" {
				t.Fatalf("empty scheme in %q", s)
			}
			if len(c.Params) > maxParams {
				t.Fatalf("%d params", len(c.Params))
			}
			for k := range c.Params {
				if k == "" || k != strings.ToLower(k) {
					t.Fatalf("bad param name %q", k)
				}
			}
		}
		// Canonical rendering parses back to the same challenges (values survive quoting).
		var parts []string
		for _, c := range cs {
			if c.Token68 != "" && len(c.Params) > 0 {
				return // not representable in one challenge
			}
			parts = append(parts, c.String())
		}
		again, err := ParseChallenges(strings.Join(parts, ", "))
		if len(cs) == 0 {
			return
		}
		if err != nil {
			t.Fatalf("canonical form %q does not parse: %v", strings.Join(parts, ", "), err)
		}
		if !reflect.DeepEqual(again, cs) {
			t.Fatalf("round trip of %q:\n got %#v\nwant %#v", s, again, cs)
		}
	})
}
