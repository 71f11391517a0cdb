// Command sleuth tells why a CI job failed, and proves it.
package main

import (
	"os"

	"github.com/sleuth-ci/sleuth/internal/cli"
)

func main() {
	os.Exit(cli.Run(cli.OSEnv(), os.Args[1:]))
}
