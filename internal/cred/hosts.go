package cred

import (
	"context"
	"sort"
	"strconv"
)

// Location is one place credentials can come from, for display.
type Location struct {
	Name   string `json:"name"`             // "docker config", "DOCKER_AUTH_CONFIG", "containers auth", "sleuth store"
	Path   string `json:"path,omitempty"`   // file path; empty for the environment variable
	State  string `json:"state"`            // "found", "missing", "set", "not set", "invalid"
	Detail string `json:"detail,omitempty"` // e.g. "credsStore desktop, 2 credHelpers, 3 auths"; or the parse error
}

// Inventory is every location and every registry host configured anywhere.
type Inventory struct {
	Locations []Location
	Hosts     []string
	Problems  []Problem // problems not tied to one host (a helper whose list failed)
}

// Scan lists the credential locations and the hosts they configure. When credsStore is set
// its helper is asked for its list (with the timeout), as docker/cli does.
func Scan(ctx context.Context, env Env) *Inventory {
	rv := newResolver(env)
	inv := &Inventory{}
	seen := map[string]bool{}
	addHost := func(k string) {
		h := NormalizeHost(k)
		if h != "" && !seen[h] {
			seen[h] = true
			inv.Hosts = append(inv.Hosts, h)
		}
	}

	// Docker config.
	dl := Location{Name: "docker config", Path: rv.docker.Path}
	switch {
	case !rv.docker.Exists:
		dl.State = "missing"
	case rv.docker.Err != nil:
		dl.State = "invalid"
		dl.Detail = rv.docker.Err.Error()
	default:
		dl.State = "found"
		cf := rv.docker.File
		dl.Detail = summarize(cf.CredentialsStore, len(cf.CredentialHelpers), len(cf.AuthConfigs))
		for k := range cf.CredentialHelpers {
			addHost(k)
		}
		for k := range cf.AuthConfigs {
			addHost(k)
		}
		if cf.CredentialsStore != "" {
			h := rv.env.findHelper(cf.CredentialsStore)
			if h.Path != "" {
				m, err := h.List(ctx)
				if err != nil {
					inv.Problems = append(inv.Problems, Problem{Kind: KindHelperFailed, Message: "listing credentials: " + err.Error()})
				}
				for k := range m {
					addHost(k)
				}
			}
		}
	}
	inv.Locations = append(inv.Locations, dl)

	// DOCKER_AUTH_CONFIG.
	el := Location{Name: "DOCKER_AUTH_CONFIG", State: "not set"}
	if rv.envSet {
		if rv.envErr != nil {
			el.State = "invalid"
			el.Detail = rv.envErr.Error()
		} else {
			el.State = "set"
			el.Detail = summarize("", 0, len(rv.envAuths))
			for k := range rv.envAuths {
				addHost(k)
			}
		}
	}
	inv.Locations = append(inv.Locations, el)

	// Containers auth files (only those that exist were loaded).
	existing := map[string]*loadedConfig{}
	for _, lc := range rv.containers {
		existing[lc.Path] = lc
	}
	for _, p := range ContainersAuthPaths(rv.env) {
		l := Location{Name: "containers auth", Path: p, State: "missing"}
		if lc := existing[p]; lc != nil {
			if lc.Err != nil {
				l.State, l.Detail = "invalid", lc.Err.Error()
			} else {
				l.State = "found"
				l.Detail = summarize(lc.File.CredentialsStore, len(lc.File.CredentialHelpers), len(lc.File.AuthConfigs))
				for k := range lc.File.CredentialHelpers {
					addHost(k)
				}
				for k := range lc.File.AuthConfigs {
					addHost(k)
				}
			}
		}
		inv.Locations = append(inv.Locations, l)
	}

	// sleuth's store.
	sl := Location{Name: "sleuth store", Path: rv.store.Path}
	entries, err := rv.store.List()
	switch {
	case err != nil && rv.store.exists():
		sl.State, sl.Detail = "invalid", err.Error()
	case err != nil || !rv.store.exists():
		sl.State = "missing"
	default:
		sl.State = "found"
		sl.Detail = plural(len(entries), "registry", "registries")
		for _, e := range entries {
			addHost(e.Host)
		}
	}
	inv.Locations = append(inv.Locations, sl)
	sort.Strings(inv.Hosts)
	for i := range inv.Problems {
		inv.Problems[i].Message = cleanOutput(inv.Problems[i].Message)
	}
	return inv
}

func summarize(store string, helpers, auths int) string {
	var s string
	if store != "" {
		s = "credsStore " + store + ", "
	}
	if helpers > 0 {
		s += plural(helpers, "credHelper", "credHelpers") + ", "
	}
	return s + plural(auths, "auths entry", "auths entries")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
