package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sleuth-ci/sleuth/internal/cred"
	"github.com/sleuth-ci/sleuth/internal/redact"
)

// credEnv is the credential resolver's view of the command's environment.
func (g *global) credEnv() cred.Env {
	return cred.Env{Getenv: g.env.Getenv}.WithDefaults()
}

type credsOptions struct {
	*global
	json    bool
	timeout time.Duration
	now     func() time.Time
}

func newCredsCmd(g *global) *cobra.Command {
	o := &credsOptions{global: g, now: time.Now}
	cmd := &cobra.Command{
		Use:   "creds [HOST...]",
		Short: "Show which credential Docker-compatible tools would use for each registry",
		Long: `For each registry host (default: every host configured anywhere), show the credential
source Docker-compatible tools would use, in their order: DOCKER_AUTH_CONFIG, credHelpers[host],
credsStore, auths in config.json ($DOCKER_CONFIG or ~/.docker); then the containers auth.json
files (REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json),
sleuth's own credentials ('sleuth registry add'), and anonymous.

It says what is wrong on the way: a helper configured but not installed (a leftover
"credsStore": "desktop"), a helper that fails (its message, redacted), auths entries a helper
hides, keys Docker never looks up ("docker.io" instead of "https://index.docker.io/v1/"),
malformed JSON with the line, identity tokens and expired JWTs.

Secrets are never printed: at most the username and the kind and length of the secret.
Credential helpers are run with a timeout.

Exit codes: 0 every host resolved cleanly, 1 some host has a problem (or nothing is
configured), 2 usage error.`,
		Example: `  sleuth creds
  sleuth creds ghcr.io docker.io
  sleuth creds https://index.docker.io/v1/
  sleuth creds --json registry.example.com:5000 | jq '.registries[0].source'`,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context(), args) },
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON (schema sleuth.creds.v1)")
	cmd.Flags().DurationVar(&o.timeout, "helper-timeout", cred.DefaultHelperTimeout, "kill a credential helper that has not answered after this `duration`")
	return cmd
}

type credsJSON struct {
	Schema     string          `json:"schema"`
	Locations  []cred.Location `json:"locations"`
	Registries []registryJSON  `json:"registries"`
	Problems   []cred.Problem  `json:"problems"`
}

type registryJSON struct {
	Host       string          `json:"host"`
	Source     string          `json:"source"`
	ConfigPath string          `json:"config_path,omitempty"`
	Credential *credentialJSON `json:"credential"`
	Problems   []cred.Problem  `json:"problems"`
}

type credentialJSON struct {
	Description   string `json:"description"`
	Username      string `json:"username,omitempty"`
	SecretType    string `json:"secret_type"` // password, identity-token, registry-token
	SecretKind    string `json:"secret_kind,omitempty"`
	SecretLength  int    `json:"secret_length"`
	IdentityToken bool   `json:"identity_token"`
}

func (o *credsOptions) run(ctx context.Context, args []string) error {
	if o.timeout <= 0 {
		return usageErr("--helper-timeout must be positive")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	env := o.credEnv()
	env.HelperTimeout = o.timeout
	env.Now = o.now
	for _, a := range args {
		if strings.TrimSpace(a) == "" || cred.NormalizeHost(a) == "" {
			return usageErr("%q is not a registry host (want e.g. ghcr.io, registry.example.com:5000 or docker.io)", a)
		}
	}
	inv := cred.Scan(ctx, env)
	hosts := args
	if len(hosts) == 0 {
		hosts = inv.Hosts
	}
	var results []*cred.Resolution
	seen := map[string]bool{}
	for _, h := range hosts {
		if seen[cred.NormalizeHost(h)] {
			continue
		}
		seen[cred.NormalizeHost(h)] = true
		r, err := cred.Resolve(ctx, h, env)
		if err != nil {
			return &exitError{code: ExitNoMatch, err: err}
		}
		results = append(results, r)
	}
	bad := len(results) == 0
	for _, r := range results {
		for _, p := range r.Problems {
			if p.Serious() {
				bad = true
			}
		}
	}
	for _, p := range inv.Problems {
		if p.Serious() {
			bad = true
		}
	}
	if o.json {
		o.renderJSON(inv, results)
	} else {
		o.renderText(inv, results, len(args) == 0)
	}
	if bad {
		return &exitError{code: ExitNoMatch}
	}
	return nil
}

func credJSON(c *cred.Credential) *credentialJSON {
	if c == nil {
		return nil
	}
	j := &credentialJSON{Description: redact.String(c.Describe()), SecretKind: c.SecretKind()}
	if c.Username != "" && c.Username != "<token>" {
		j.Username = redact.String(cred.SafeUsername(c.Username))
	}
	switch {
	case c.Secret != "":
		j.SecretType, j.SecretLength = "password", len(c.Secret)
	case c.IdentityToken != "":
		j.SecretType, j.SecretLength = "identity-token", len(c.IdentityToken)
	case c.RegistryToken != "":
		j.SecretType, j.SecretLength = "registry-token", len(c.RegistryToken)
	default:
		j.SecretType = "none"
	}
	j.IdentityToken = c.IdentityToken != ""
	return j
}

func redactProblems(ps []cred.Problem) []cred.Problem {
	out := make([]cred.Problem, len(ps))
	for i, p := range ps {
		out[i] = cred.Problem{Kind: p.Kind, Message: redact.String(p.Message)}
	}
	return out
}

func redactLocations(ls []cred.Location) []cred.Location {
	out := make([]cred.Location, len(ls))
	for i, l := range ls {
		l.Detail = redact.String(l.Detail)
		out[i] = l
	}
	return out
}

func (o *credsOptions) renderJSON(inv *cred.Inventory, rs []*cred.Resolution) {
	out := credsJSON{Schema: "sleuth.creds.v1", Locations: redactLocations(inv.Locations), Registries: []registryJSON{}, Problems: redactProblems(inv.Problems)}
	for _, r := range rs {
		out.Registries = append(out.Registries, registryJSON{
			Host: r.Host, Source: redact.String(r.Source), ConfigPath: r.ConfigPath,
			Credential: credJSON(r.Credential), Problems: redactProblems(r.Problems),
		})
	}
	enc := json.NewEncoder(o.env.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}

func (o *credsOptions) renderText(inv *cred.Inventory, rs []*cred.Resolution, all bool) {
	w := o.env.Stdout
	fmt.Fprintln(w, "Credential locations (Docker's order):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, l := range inv.Locations {
		where := l.Path
		if where == "" {
			where = "(environment)"
		}
		state := l.State
		if l.Detail != "" {
			state += ": " + redact.String(l.Detail)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", l.Name, where, state)
	}
	_ = tw.Flush()
	for _, p := range inv.Problems {
		fmt.Fprintf(w, "  ! %s: %s\n", p.Kind, redact.String(p.Message))
	}
	if len(rs) == 0 {
		if all {
			fmt.Fprintln(w, "\nNo registry credentials are configured anywhere: every registry is accessed anonymously.")
			fmt.Fprintln(w, "Add some with `docker login HOST` or `sleuth registry add HOST --user USER --pass-stdin`.")
		}
		return
	}
	for _, r := range rs {
		fmt.Fprintf(w, "\n%s\n", r.Host)
		printField(w, "source", redact.String(r.Source))
		if r.Credential != nil {
			printField(w, "credential", redact.String(r.Credential.Describe()))
		} else {
			printField(w, "credential", "none (requests go out without credentials)")
		}
		for _, p := range r.Problems {
			label := "problem"
			if !p.Serious() {
				label = "note"
			}
			printField(w, label, p.Kind+": "+redact.String(p.Message))
		}
	}
}

func printField(w io.Writer, label, value string) {
	fmt.Fprintf(w, "  %-11s %s\n", label, value)
}
