package cli

// The `sleuth registry` command group.
//
// This file owns the parent command and the explicit-credential subcommands add, list and
// remove. Other subcommands (for example `registry test`, in registry_test_cmd.go) join the
// same parent in either of two ways:
//
//  1. register a constructor from their own file, with no edit here or in root.go:
//
//     func init() { registrySubcommands = append(registrySubcommands, newRegistryTestCmd) }
//
//  2. or pass the built command to the constructor in root.go:
//
//     newRegistryCmd(g, newRegistryTestCmd(g))
//
// newRegistryCmd(g *global, subs ...*cobra.Command) adds add/list/remove, then every
// registered constructor, then subs.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sleuth-ci/sleuth/internal/cred"
	"github.com/sleuth-ci/sleuth/internal/redact"
)

// registrySubcommands are extra `registry` subcommands registered by other files.
var registrySubcommands []func(*global) *cobra.Command

// newRegistryCmd builds `sleuth registry` with add, list, remove, the registered
// subcommands and subs.
func newRegistryCmd(g *global, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Registry credentials and checks",
		Long: `Manage sleuth's explicit registry credentials, used when no Docker credential source
answers for a host (see 'sleuth creds' for the whole chain), and check registries.`,
		Example: `  printf '%s' "$TOKEN" | sleuth registry add ghcr.io --user alice --pass-stdin
  sleuth registry list
  sleuth registry remove ghcr.io`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErr("missing subcommand: see 'sleuth registry --help'")
		},
	}
	cmd.AddCommand(newRegistryAddCmd(g), newRegistryListCmd(g), newRegistryRemoveCmd(g))
	for _, f := range registrySubcommands {
		cmd.AddCommand(f(g))
	}
	cmd.AddCommand(subs...)
	return cmd
}

// ---- registry add ----

type registryAddOptions struct {
	*global
	user      string
	pass      string
	passSet   bool
	passStdin bool
	store     string
	// stdinTerminal and readPassword are injectable for tests; the defaults look at the
	// real stdin.
	stdinTerminal func() bool
	readPassword  func() ([]byte, error)
}

func newRegistryAddCmd(g *global) *cobra.Command {
	o := &registryAddOptions{global: g}
	cmd := &cobra.Command{
		Use:   "add HOST --user USER [--pass-stdin | --pass PASSWORD]",
		Short: "Save explicit credentials for a registry",
		Long: `Save a username and password (or token) for a registry host. sleuth uses them when no
Docker credential source answers for that host.

Where they go: into the credential helper named by "credsStore" in your Docker config when
there is one and it is installed (Docker tools then use them too), else into
<user config dir>/sleuth/credentials.json, a 0600 file in plain text protected only by its
permissions. The output says which.

Give the password on stdin (--pass-stdin) or at the prompt. --pass works but is visible to
other processes and kept in shell history.

Exit codes: 0 saved, 1 could not save (helper failed, store corrupted or locked), 2 usage error.`,
		Example: `  printf '%s' "$GHCR_TOKEN" | sleuth registry add ghcr.io --user alice --pass-stdin
  sleuth registry add registry.example.com:5000 --user ci     # prompts, without echo
  sleuth registry add docker.io --user alice --store file --pass-stdin < token.txt`,
		Args: exactArgs(1, "HOST"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.passSet = cmd.Flags().Changed("pass")
			return o.run(cmd.Context(), args[0])
		},
	}
	cmd.Flags().StringVarP(&o.user, "user", "u", "", "registry `username` (required)")
	cmd.Flags().StringVarP(&o.pass, "pass", "p", "", "`password` or token (visible to other processes; prefer --pass-stdin)")
	cmd.Flags().BoolVar(&o.passStdin, "pass-stdin", false, "read the password or token from stdin")
	cmd.Flags().StringVar(&o.store, "store", "auto", "where to keep the secret: auto (credsStore helper if any, else file), helper, or file")
	return cmd
}

func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErr("want %s, got %d argument(s) (see --help)", names, len(args))
		}
		return nil
	}
}

func (o *registryAddOptions) run(ctx context.Context, host string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.user == "" {
		return usageErr("--user is required: sleuth registry add %s --user USER --pass-stdin", host)
	}
	mode := cred.StoreMode(o.store)
	switch mode {
	case cred.StoreAuto, cred.StoreHelper, cred.StoreFile:
	default:
		return usageErr("unknown --store %q: use auto, helper or file", o.store)
	}
	if o.passSet && o.passStdin {
		return usageErr("--pass and --pass-stdin are mutually exclusive")
	}
	var secret string
	switch {
	case o.passSet:
		fmt.Fprintln(o.env.Stderr, "warning: --pass is visible to other processes (ps, /proc) and saved in shell history; prefer --pass-stdin or the prompt")
		secret = o.pass
	case o.passStdin:
		b, err := io.ReadAll(io.LimitReader(o.env.Stdin, 1<<20))
		if err != nil {
			return &exitError{code: ExitUsage, err: fmt.Errorf("reading the password from stdin: %w", err)}
		}
		secret = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	default:
		isTTY := o.stdinTerminal
		if isTTY == nil {
			isTTY = func() bool { f, ok := o.env.Stdin.(*os.File); return ok && term.IsTerminal(int(f.Fd())) }
		}
		if !isTTY() {
			return usageErr("no password given and stdin is not a terminal, so sleuth cannot prompt: pipe it in with --pass-stdin, e.g. printf '%%s' \"$TOKEN\" | sleuth registry add %s --user %s --pass-stdin", host, o.user)
		}
		read := o.readPassword
		if read == nil {
			read = func() ([]byte, error) { return term.ReadPassword(int(o.env.Stdin.(*os.File).Fd())) }
		}
		fmt.Fprintf(o.env.Stderr, "Password for %s at %s: ", o.user, cred.NormalizeHost(host))
		b, err := read()
		fmt.Fprintln(o.env.Stderr)
		if err != nil {
			return &exitError{code: ExitUsage, err: fmt.Errorf("reading the password: %w", err)}
		}
		secret = string(b)
	}
	if secret == "" {
		return usageErr("empty password: nothing was saved")
	}
	if strings.TrimSpace(secret) != secret {
		fmt.Fprintln(o.env.Stderr, "warning: the password starts or ends with whitespace; registries compare it verbatim")
	}
	if k := cred.Classify(o.user); k.ID != "" {
		fmt.Fprintf(o.env.Stderr, "warning: the username looks like a %s; did you swap --user and the password?\n", k.Name)
	}
	st := cred.OpenStore(o.credEnv())
	res, err := st.Add(ctx, host, o.user, secret, mode)
	if err != nil {
		if strings.Contains(err.Error(), "is not a registry host") {
			return usageErr("%s", redact.String(err.Error()))
		}
		return &exitError{code: ExitNoMatch, err: errors.New(redact.String(err.Error()))}
	}
	verb := "Saved"
	if res.Replaced {
		verb = "Replaced"
	}
	user := redact.String(cred.SafeUsername(o.user))
	if res.Helper != "" {
		fmt.Fprintf(o.env.Stdout, "%s credentials for %s (user %s) in the credential helper docker-credential-%s.\nsleuth's index (no secret): %s\n", verb, res.Host, user, res.Helper, res.Path)
	} else {
		fmt.Fprintf(o.env.Stdout, "%s credentials for %s (user %s) in %s.\nThe file is plain text, protected only by its permissions (0600).\n", verb, res.Host, user, res.Path)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(o.env.Stderr, "note: %s\n", redact.String(n))
	}
	return nil
}

// ---- registry list ----

type registryListOptions struct {
	*global
	json bool
}

func newRegistryListCmd(g *global) *cobra.Command {
	o := &registryListOptions{global: g}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List sleuth's explicit registry credentials (never the secrets)",
		Long: `List the registries in sleuth's store: host, username and where the secret is kept.
Secrets are never shown.

Exit codes: 0 listed, 1 the store could not be read, 2 usage error.`,
		Example: `  sleuth registry list
  sleuth registry list --json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return o.run() },
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON (schema sleuth.registries.v1)")
	return cmd
}

func (o *registryListOptions) run() error {
	st := cred.OpenStore(o.credEnv())
	entries, err := st.List()
	if err != nil {
		return &exitError{code: ExitNoMatch, err: errors.New(redact.String(err.Error()))}
	}
	if p := st.PermissionProblem(); p != "" {
		fmt.Fprintf(o.env.Stderr, "warning: %s\n", p)
	}
	type entryJSON struct {
		Host     string `json:"host"`
		Username string `json:"username"`
		StoredIn string `json:"stored_in"`
		Kind     string `json:"store"` // "helper" or "file"
	}
	rows := make([]entryJSON, 0, len(entries))
	for _, e := range entries {
		kind := "file"
		if e.Helper != "" {
			kind = "helper"
		}
		rows = append(rows, entryJSON{Host: e.Host, Username: redact.String(cred.SafeUsername(e.Username)), StoredIn: e.Where(st), Kind: kind})
	}
	if o.json {
		enc := json.NewEncoder(o.env.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			Schema     string      `json:"schema"`
			Path       string      `json:"path"`
			Registries []entryJSON `json:"registries"`
		}{"sleuth.registries.v1", st.Path, rows})
		return nil
	}
	if len(rows) == 0 {
		fmt.Fprintf(o.env.Stdout, "No explicit registry credentials (%s).\nAdd some with: sleuth registry add HOST --user USER --pass-stdin\n", st.Path)
		return nil
	}
	tw := tabwriter.NewWriter(o.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tUSER\tSTORED IN")
	for _, r := range rows {
		where := r.StoredIn
		if r.Kind == "file" {
			where += " (plain text)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Host, r.Username, where)
	}
	return tw.Flush()
}

// ---- registry remove ----

func newRegistryRemoveCmd(g *global) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "remove HOST",
		Aliases: []string{"rm"},
		Short:   "Remove sleuth's explicit credentials for a registry",
		Long: `Remove a registry from sleuth's store, and erase its secret from the credential helper
when it was kept there. Docker's own config.json entries are not touched.

Exit codes: 0 removed, 1 not found or could not remove, 2 usage error.`,
		Example: `  sleuth registry remove ghcr.io`,
		Args:    exactArgs(1, "HOST"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			st := cred.OpenStore(g.credEnv())
			e, notes, err := st.Remove(ctx, args[0])
			if err != nil {
				if strings.Contains(err.Error(), "is not a registry host") {
					return usageErr("%s", redact.String(err.Error()))
				}
				return &exitError{code: ExitNoMatch, err: errors.New(redact.String(err.Error()))}
			}
			if e == nil {
				return &exitError{code: ExitNoMatch, err: fmt.Errorf("no credentials for %s in sleuth's store (%s); see 'sleuth registry list'", cred.NormalizeHost(args[0]), st.Path)}
			}
			fmt.Fprintf(g.env.Stdout, "Removed credentials for %s (user %s) from %s.\n", e.Host, redact.String(cred.SafeUsername(e.Username)), e.Where(st))
			for _, n := range notes {
				fmt.Fprintf(g.env.Stderr, "note: %s\n", redact.String(n))
			}
			return nil
		},
	}
	return cmd
}
