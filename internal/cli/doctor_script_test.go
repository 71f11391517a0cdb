package cli_test

import (
	"os"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() { registryCmds["expand"] = expandFile }

// expandFile copies SRC to DST with $VAR and ${VAR} replaced by the script's environment,
// so that a log can name the port of a registry started by the script: expand SRC DST.
func expandFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: expand SRC DST")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(os.Expand(string(data), ts.Getenv)), 0o644))
}
