package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/agent-backlog/backlog/internal/faultfs"

	_ "modernc.org/sqlite" // holdlock opens the database as another program would
)

// The commands and the condition of the env_*.txtar scripts, which make the
// machine fail under a command (a full disk, a read-only directory, a lock
// another process holds) and check what the user reads:
//
//	[!mount] skip 'mounting needs root on Linux'
//	tmpfs $WORK/small 1m       a tmpfs of that size, unmounted at the end
//	fill $WORK/small           a file that takes the free space (rm it to give it back)
//	readonly $WORK/data        the directory read-only, even for root
//	holdlock $WORK/data/backlog.db   SQLite's write lock, held to the end
//	tasksjson tasks.json 500   an import of that many tasks with long docs
//	perm 0600 $WORK/data/backlog.db

// envCondition answers [mount]: whether this machine lets the test mount a
// tmpfs (root on Linux), tried once.
func envCondition(cond string) (bool, error) {
	if cond != "mount" {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	return canMount(), nil
}

var canMount = sync.OnceValue(func() bool {
	dir, err := os.MkdirTemp("", "backlog-mount-check")
	if err != nil {
		return false
	}
	defer os.RemoveAll(dir)
	unmount, err := faultfs.Tmpfs(dir, 64<<10)
	if err != nil {
		return false
	}
	return unmount() == nil
})

func cmdTmpfs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tmpfs DIR SIZE (such as 1m or 512k)")
	}
	size, err := parseSize(args[1])
	ts.Check(err)
	unmount, err := faultfs.Tmpfs(ts.MkAbs(args[0]), size)
	ts.Check(err)
	ts.Defer(func() { unmount() })
}

func cmdFill(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: fill DIR")
	}
	_, err := faultfs.Fill(ts.MkAbs(args[0]), 64<<20)
	ts.Check(err)
}

func cmdReadOnly(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: readonly DIR")
	}
	undo, err := faultfs.ReadOnly(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Defer(func() { undo() })
}

// cmdHoldLock takes SQLite's write lock on the database from this process,
// as another program using the file would, until the script ends.
func cmdHoldLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: holdlock FILE")
	}
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+ts.MkAbs(args[0])+"?_busy_timeout=1000")
	ts.Check(err)
	conn, err := db.Conn(ctx)
	ts.Check(err)
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	ts.Check(err)
	ts.Defer(func() {
		conn.ExecContext(ctx, "ROLLBACK")
		conn.Close()
		db.Close()
	})
}

// cmdTasksJSON writes an import of n tasks, each with a doc of 4 KB, enough
// to fill a small disk part of the way through.
func cmdTasksJSON(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tasksjson FILE N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	type task struct {
		Description string `json:"description"`
		Doc         string `json:"doc"`
	}
	tasks := make([]task, n)
	for i := range tasks {
		tasks[i] = task{Description: fmt.Sprintf("Imported task %d", i), Doc: strings.Repeat(fmt.Sprintf("line %d of a long doc\n", i), 200)}
	}
	b, err := json.Marshal(tasks)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o600))
}

func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: perm MODE FILE")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	st, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	if got := st.Mode().Perm(); (uint64(got) == want) == neg {
		ts.Fatalf("%s has mode %v (%#o), want %s%#o", filepath.Base(args[1]), got, uint32(got), map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// parseSize reads 1m, 512k or a number of bytes.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1<<10, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "m"):
		mult, s = 1<<20, strings.TrimSuffix(s, "m")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("a size is a number of bytes, or of k or m: " + s)
	}
	return n * mult, nil
}
