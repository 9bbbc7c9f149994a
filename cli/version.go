package cli

import (
	"fmt"

	"github.com/alecthomas/kong"

	"github.com/agent-backlog/backlog/internal/version"
)

// versions are the two ways to ask which build this is: the command, with
// the commit and toolchain, and the flag every program has (hidden from the
// help and the completions of every command, which the command is not).
type versions struct {
	VersionFlag versionFlag `name:"version" hidden:"" help:"Print the version and exit."`
	Version     versionCmd  `cmd:"" help:"Print the version and the commit it was built from."`
}

type versionCmd struct{}

func (c *versionCmd) Help() string {
	return `Prints the module version (a release tag such as v1.2.0, or a
pseudo-version naming the commit, with +dirty for uncommitted changes), the
commit and its time, and the Go toolchain and platform. These come from the
binary itself, as the Go toolchain recorded them; MCP clients see the same
version in serverInfo. A build without that record (go build
-buildvcs=false, outside a git clone) says (devel).

Examples:

    backlog version
    backlog --version
    backlog version --json`
}

func (c *versionCmd) Run(a *runner) error {
	v := version.Current()
	if a.globals.JSON {
		return a.printJSON(v)
	}
	a.say("backlog %s", v)
	if v.Revision != "" {
		line := "commit " + v.Revision
		if v.Time != "" {
			line += " (" + v.Time + ")"
		}
		if v.Modified {
			line += ", with uncommitted changes"
		}
		a.say("%s", line)
	}
	a.say("%s %s/%s", v.Go, v.OS, v.Arch)
	return nil
}

// versionFlag is --version: the version line alone, then exit 0.
type versionFlag bool

func (versionFlag) BeforeReset(app *kong.Kong) error {
	fmt.Fprintf(app.Stdout, "backlog %s\n", version.Current())
	app.Exit(ExitOK)
	return nil
}
