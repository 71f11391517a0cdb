package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sleuth-ci/sleuth/internal/check"
	"github.com/sleuth-ci/sleuth/internal/diagnose"
	"github.com/sleuth-ci/sleuth/internal/match"
	"github.com/sleuth-ci/sleuth/internal/redact"
	"github.com/sleuth-ci/sleuth/internal/registry"
	"github.com/sleuth-ci/sleuth/playbook"
)

// DoctorSchema names the JSON contract of `sleuth doctor --json`.
const DoctorSchema = "sleuth.doctor.v1"

// maxDoctorDiagnoses bounds how many diagnoses get their checks run.
const maxDoctorDiagnoses = 5

type doctorOptions struct {
	*global
	json     bool
	offline  bool
	hosts    []string
	timeout  time.Duration
	insecure bool
	now      func() time.Time
}

func newDoctorCmd(g *global) *cobra.Command {
	o := &doctorOptions{global: g, now: time.Now}
	cmd := &cobra.Command{
		Use:   "doctor FILE|URL|-",
		Short: "Diagnose a failing log, then verify the cause with live checks",
		Long: `Analyze the log exactly like 'sleuth analyze', then run the live checks the matched
playbooks declare, filled in from what the evidence captured (the registry host, the
repository, the URL): which credential Docker would use and what is wrong with it (creds),
the registry handshake with that credential (registry), one authenticated request with a
token from the environment (probe), whether a CI secret is set and well formed (env), and
whether a GitHub Actions job may request an OIDC token (oidc).

Each check ends verified (the suspected cause is confirmed), refuted (it is not the cause)
or unknown (with the reason: offline, a timeout, no credentials to test); a check whose
inputs the log does not show is skipped, with the reason. Local checks run first; network
checks run only when no local check verified the cause.

The report leads with the verified root cause and its fix, then the diagnosis with its
evidence, then every check with its result.

Network requests go only to hosts the evidence names or --host allows, with timeouts.
A token from the environment is sent only to the hosts it belongs to (or --host), never
over plain http except to loopback. No secret is printed.

Run it where the failing job ran (on the failure path of the CI job): the credentials and
environment it checks are the ones of the machine it runs on.

Exit codes: 0 a cause was verified, 1 diagnosed but nothing verified (or nothing known
matched), 2 usage or input error.`,
		Example: `  sleuth doctor build.log
  sleuth doctor --offline build.log
  docker push ghcr.io/acme/app:1.0 2>&1 | tee push.log; sleuth doctor push.log
  sleuth doctor --host registry.example.com --json build.log | jq -r .root_cause.summary`,
		Args: exactArgs(1, "FILE|URL|-"),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context(), args[0]) },
	}
	f := cmd.Flags()
	f.BoolVar(&o.json, "json", false, "print JSON (schema "+DoctorSchema+")")
	f.BoolVar(&o.offline, "offline", false, "run only the local checks (creds, env, oidc): no network")
	f.StringArrayVar(&o.hosts, "host", nil, "also allow network checks and tokens to `HOST`, and use it when the log names no host (repeatable)")
	f.DurationVar(&o.timeout, "timeout", 20*time.Second, "give up on each network check after this `duration`")
	f.BoolVar(&o.insecure, "insecure", false, "skip TLS certificate verification in network checks (the output says so)")
	return cmd
}

// doctorReport is the whole answer, text or JSON.
type doctorReport struct {
	Schema    string            `json:"schema"`
	Source    string            `json:"source"`
	Lines     int               `json:"lines"`
	Offline   bool              `json:"offline"`
	Verdict   string            `json:"verdict"` // verified, unverified, no-diagnosis
	RootCause *rootCause        `json:"root_cause"`
	Diagnoses []doctorDiagnosis `json:"diagnoses"`
	Hints     []match.Evidence  `json:"hints"`
}

type rootCause struct {
	Diagnosis string   `json:"diagnosis"`
	Check     string   `json:"check"`
	Code      string   `json:"code,omitempty"`
	Summary   string   `json:"summary"`
	Fix       []string `json:"fix"`
}

type doctorDiagnosis struct {
	diagnose.Diagnosis
	Checks []check.Result `json:"checks"`
}

func (o *doctorOptions) run(ctx context.Context, path string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.timeout <= 0 {
		return usageErr("--timeout must be positive")
	}
	for _, h := range o.hosts {
		if _, err := registry.ParseTarget(h); err != nil || strings.ContainsAny(h, "/@") && !strings.Contains(h, "://") {
			return usageErr("--host %q: give a host or host:port, like registry.example.com or localhost:5000", h)
		}
	}
	a, err := o.analyzeFile(path)
	if err != nil {
		return err
	}
	full, err := o.playbooks()
	if err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	byID := make(map[string]*playbook.Playbook, len(full))
	for _, p := range full {
		byID[p.ID] = p
	}
	runner := check.NewRunner(check.Env{
		Getenv:    o.env.Getenv,
		Cred:      o.credEnv(),
		Offline:   o.offline,
		Hosts:     o.hosts,
		Timeout:   o.timeout,
		Client:    registry.ClientOptions{Insecure: o.insecure},
		Now:       o.now,
		UserAgent: "sleuth/" + Version,
	})
	rep := doctorReport{Schema: DoctorSchema, Source: a.Source, Lines: a.Lines, Offline: o.offline,
		Diagnoses: []doctorDiagnosis{}, Hints: a.Hints}
	for i, d := range a.Diagnoses {
		dd := doctorDiagnosis{Diagnosis: d, Checks: []check.Result{}}
		if p := byID[d.ID]; p != nil && i < maxDoctorDiagnoses {
			dd.Checks = runner.Run(ctx, p.Checks, d.Captures)
		}
		rep.Diagnoses = append(rep.Diagnoses, dd)
	}
	rep.RootCause = pickRootCause(rep.Diagnoses)
	switch {
	case rep.RootCause != nil:
		rep.Verdict = "verified"
	case len(rep.Diagnoses) == 0:
		rep.Verdict = "no-diagnosis"
	default:
		rep.Verdict = "unverified"
	}
	var buf bytes.Buffer
	if o.json {
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		o.renderDoctor(&buf, &rep, o.insecure)
	}
	// Every string above came from the log, a store, a server or the environment and has
	// been redacted; this is the last guard, for the values of secrets the checks read.
	if _, err := io.WriteString(o.env.Stdout, runner.Scrub(buf.String())); err != nil {
		return err
	}
	if rep.Verdict != "verified" {
		return &exitError{code: ExitNoMatch}
	}
	return nil
}

// pickRootCause is the first verified check, in diagnosis order, local checks before
// network ones (the order they ran in).
func pickRootCause(ds []doctorDiagnosis) *rootCause {
	for _, d := range ds {
		for _, c := range d.Checks {
			if c.Status == check.Verified {
				fix := c.Fix
				if len(fix) == 0 {
					fix = d.Fix
				}
				if fix == nil {
					fix = []string{}
				}
				return &rootCause{Diagnosis: d.ID, Check: c.Kind, Code: c.Code, Summary: c.Summary, Fix: fix}
			}
		}
	}
	return nil
}

func (o *doctorOptions) renderDoctor(w io.Writer, rep *doctorReport, insecure bool) {
	st := o.style()
	if insecure {
		fmt.Fprintln(w, "warning: TLS certificate verification is OFF (--insecure)")
	}
	switch rep.Verdict {
	case "verified":
		rc := rep.RootCause
		fmt.Fprintf(w, "%s %s\n", st.Green(st.Bold("verified:")), rc.Summary)
		for i, f := range rc.Fix {
			lead := "Fix:"
			if i > 0 {
				lead = "    "
			}
			fmt.Fprintf(w, "%s %s\n", st.Bold(lead), doctorIndent(f, "     "))
		}
	case "unverified":
		ran, unknown := 0, 0
		for _, d := range rep.Diagnoses {
			for _, c := range d.Checks {
				if c.Status != check.Skipped {
					ran++
				}
				if c.Status == check.Unknown {
					unknown++
				}
			}
		}
		switch {
		case ran == 0:
			fmt.Fprintf(w, "%s no live check could run for this failure; the diagnosis below is from the log alone\n", st.Bold("not verified:"))
		default:
			fmt.Fprintf(w, "%s %s ran, none confirmed the cause (%d unknown)\n", st.Bold("not verified:"), doctorPlural(ran, "check"), unknown)
		}
	default:
		fmt.Fprintf(w, "%s: no known failure matched; nothing to verify\n", rep.Source)
		if len(rep.Hints) > 0 {
			fmt.Fprintln(w, "\nThe lines that look most like the failure:")
			for _, h := range rep.Hints {
				fmt.Fprintf(w, "  %5d  %s\n", h.Line, h.Text)
			}
		}
		return
	}
	for i, d := range rep.Diagnoses {
		fmt.Fprintln(w)
		if i == 0 {
			fmt.Fprintf(w, "%s %s — %s (confidence %.2f)\n", st.Bold("Diagnosis:"), d.ID, d.Title, d.Confidence)
		} else {
			fmt.Fprintf(w, "%s %s — %s (confidence %.2f)\n", st.Bold("Also:"), d.ID, d.Title, d.Confidence)
		}
		for _, e := range d.Evidence {
			fmt.Fprintf(w, "  %5d  %s\n", e.Line, e.Text)
		}
		if len(d.Captures) > 0 {
			fmt.Fprintf(w, "  captured: %s\n", doctorKV(d.Captures))
		}
		if rep.RootCause == nil || rep.RootCause.Diagnosis != d.ID {
			for j, f := range d.Fix {
				if j == 0 {
					fmt.Fprintln(w, "  fix:")
				}
				fmt.Fprintf(w, "    %d. %s\n", j+1, doctorIndent(strings.TrimSpace(f), "       "))
			}
		}
		if len(d.Checks) == 0 {
			fmt.Fprintln(w, "  checks: none declared")
			continue
		}
		fmt.Fprintln(w, "  checks:")
		for _, c := range d.Checks {
			fmt.Fprintf(w, "    %-10s %s%s\n", "["+string(c.Status)+"]", c.Kind, doctorArgs(c.Args))
			if c.Summary != "" {
				fmt.Fprintf(w, "               %s\n", c.Summary)
			}
			if c.Reason != "" {
				fmt.Fprintf(w, "               reason: %s\n", c.Reason)
			}
			if c.Status != check.Skipped {
				for _, det := range c.Details {
					fmt.Fprintf(w, "               · %s\n", det)
				}
			}
		}
	}
}

func doctorKV(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+redact.String(m[k]))
	}
	return strings.Join(parts, " ")
}

func doctorArgs(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	return " " + doctorKV(m)
}

func doctorIndent(s, indent string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+indent)
}

func doctorPlural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
