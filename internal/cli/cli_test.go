package cli_test

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sleuth-ci/sleuth/internal/cli"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"sleuth": func() { os.Exit(cli.Run(cli.OSEnv(), os.Args[1:])) },
	})
}

// TestScripts runs the CLI end to end: testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("REPO", root)
			env.Setenv("NO_COLOR", "")
			return nil
		},
		Cmds: scriptCmds(),
	})
}

// scriptCmds are the custom testscript commands: gzip-copy, the registry helpers
// (registry_script_test.go) and the CI API server (ciurl_script_test.go).
func scriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"gzip-copy": gzipCopy,
	}
	for name, f := range registryCmds {
		cmds[name] = f
	}
	for name, f := range ciCmds {
		cmds[name] = f
	}
	return cmds
}

// gzipCopy compresses file SRC into DST: gzip-copy SRC DST.
func gzipCopy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: gzip-copy SRC DST")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	f, err := os.Create(ts.MkAbs(args[1]))
	ts.Check(err)
	zw := gzip.NewWriter(f)
	_, err = zw.Write(data)
	ts.Check(err)
	ts.Check(zw.Close())
	ts.Check(f.Close())
}
