// Package playbooks holds the bundled catalog, embedded in the binary.
package playbooks

import "embed"

// FS holds every bundled playbook, as <category>/<id>.yaml.
//
//go:embed */*.yaml
var FS embed.FS
