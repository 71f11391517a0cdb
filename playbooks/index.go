package playbooks

import "github.com/sleuth-ci/sleuth/playbook"

//go:generate go run ../internal/tools/genindex

// Matching needs only part of each playbook (id, title, category, layer, match, extract,
// fix). index_gen.go holds that part as Go values, generated from the YAML, so that starting
// an analysis parses no YAML. Commands that show whole playbooks load the YAML from FS.

// ForMatching returns the bundled playbooks with the fields analysis needs. When the
// generated index does not match the YAML files (a playbook was edited and `go generate
// ./playbooks` not run yet), it falls back to loading the YAML, so the result is never stale.
func ForMatching() ([]*playbook.Playbook, error) {
	if playbook.Checksum(FS) == indexChecksum {
		return index, nil
	}
	return playbook.LoadFS(FS, ".", "playbooks")
}
