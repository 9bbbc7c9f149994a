package main

import (
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"backlog": func() { os.Exit(run()) },
	})
}

// TestScripts runs testdata/script/*.txtar, one file per command, on a
// SQLite backlog.
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(false))
}

// scriptParams are the scripts' commands and conditions; onPostgres is
// the answer to [postgres]: whether the backlog is on a PostgreSQL server
// (postgres_test.go) rather than in a SQLite file.
func scriptParams(onPostgres bool) testscript.Params {
	return testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("UPDATE_SCRIPTS") != "" && !onPostgres,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status":   cmdStatus,
			"cmpscrub": cmdCmpScrub,
			// env_test.go: failures of the machine
			"tmpfs": cmdTmpfs, "fill": cmdFill, "readonly": cmdReadOnly,
			"holdlock": cmdHoldLock, "tasksjson": cmdTasksJSON, "perm": cmdPerm,
		},
		Condition: func(cond string) (bool, error) {
			if cond == "postgres" {
				return onPostgres, nil
			}
			return envCondition(cond)
		},
	}
}

// cmdStatus runs a command and checks its exit status:
//
//	status 2 backlog info 99
//
// stdout and stderr are then those of the command, for the stdout and
// stderr checks that follow.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status CODE command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: %q is not an exit status", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		got = exitErr.ExitCode()
	case err != nil:
		ts.Fatalf("status: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// cmdCmpScrub compares stdout (or stderr) with a file after replacing every
// UUID in the output with the word UUID, since UUIDs are random:
//
//	cmpscrub stdout want.json
func cmdCmpScrub(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || (args[0] != "stdout" && args[0] != "stderr") {
		ts.Fatalf("usage: cmpscrub stdout|stderr file")
	}
	got := ts.ReadFile(args[0])
	got = uuidRE.ReplaceAllString(got, "UUID")
	want := ts.ReadFile(args[1])
	if (got == want) == neg {
		if neg {
			ts.Fatalf("%s (with UUIDs scrubbed) matches %s", args[0], args[1])
		}
		ts.Logf("[diff -%s +%s]\n%s", args[1], args[0], lineDiff(want, got))
		ts.Fatalf("%s (with UUIDs scrubbed) and %s differ", args[0], args[1])
	}
}

// lineDiff lists the lines that differ, enough to see what went wrong.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("-" + wl + "\n+" + gl + "\n")
		}
	}
	return b.String()
}
