package lint

import (
	"strings"
	"testing"

	"github.com/sleuth-ci/sleuth/playbook"
)

func TestLintChecks(t *testing.T) {
	head := `id: c
title: C
category: auth
summary: s
fix: [f]
match:
  any:
    - re: 'denied on (?P<registry>[a-z.]+)'
extract:
  - name: image
    re: 'image (?P<image>\S+)'
`
	tests := []struct {
		name   string
		checks string
		want   []string // substrings of problems; none: the checks are clean
	}{
		{"clean", `
checks:
  - kind: creds
    args: {host: '{{registry}}'}
  - kind: registry
    args: {host: '{{registry}}', repo: '{{image}}', push: 'true'}
  - kind: probe
    args: {url: 'https://{{registry}}/v2/', env: 'TOKEN', hosts: 'registry.example'}
  - kind: env
    args: {var: 'NPM_TOKEN|NODE_AUTH_TOKEN'}
  - kind: oidc
`, nil},
		{"unknown kind", "\nchecks:\n  - kind: telepathy\n", []string{`checks[0] (telepathy): unknown check kind "telepathy" (known: creds, env, oidc, registry, probe)`}},
		{"unknown argument", "\nchecks:\n  - kind: env\n    args: {var: X, value: Y}\n", []string{`unknown argument "value" (it takes var)`}},
		{"required argument", "\nchecks:\n  - kind: registry\n    args: {repo: '{{image}}'}\n", []string{`checks[0] (registry): argument "host" is required`}},
		{"placeholder not captured", "\nchecks:\n  - kind: creds\n    args: {host: '{{host}}'}\n", []string{`argument host uses {{host}}, which the playbook never captures (captures: image, registry)`}},
		{"trust anchor from the log", "\nchecks:\n  - kind: probe\n    args: {url: 'https://{{registry}}/', env: T, hosts: '{{registry}}'}\n", []string{`argument "hosts" must be literal`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := playbook.Parse("c.yaml", []byte(head+tt.checks))
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(lintChecks(p), "\n")
			if len(tt.want) == 0 && got != "" {
				t.Fatalf("unexpected problems:\n%s", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in:\n%s", w, got)
				}
			}
		})
	}
}
