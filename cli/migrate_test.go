package cli

import (
	"strings"
	"testing"

	"github.com/agent-backlog/backlog/store/memstore"
)

// TestMigrateFromTheTypeScriptServer runs `backlog migrate` on the 200-task
// data directory its storage engine wrote (importers/tsbacklog/testdata):
// everything arrives, the clashing ids are renumbered and said, and a
// second run copies nothing.
func TestMigrateFromTheTypeScriptServer(t *testing.T) {
	st, dir := memstore.New(), t.TempDir()
	const from = "ts-backlog:../importers/tsbacklog/testdata/ts-data"
	out, errOut, status := run(t, dir, st, "migrate", "--from", from)
	if status != 0 || errOut != "" {
		t.Fatalf("migrate: %d %q", status, errOut)
	}
	for _, want := range []string{
		"collection tasks: snapshot snap-1796666688402.jsonl (164 tasks), claude's log (10 ops) and gemini's log (9 ops), archive 2026-Q4 (26 tasks), 23 docs.\n",
		"Copied 174 tasks, 26 archived tasks and 23 docs into " + dir + "/backlog.db; nothing was already there.\n",
		"Renumbered, keeping their UUIDs (an id is given once):\n",
		"  recurring instances: their template's period copied onto them, as backlog keeps it on both (15 tasks)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, " stays with "); n != 13 {
		t.Errorf("%d renumbered tasks said, want 13", n)
	}
	if out, _, _ := run(t, dir, st, "count", "status.any:"); out != "174\n" {
		t.Errorf("count: %q", out)
	}
	if out, _, _ := run(t, dir, st, "archive", "list", "--json"); !strings.Contains(out, `{"name":"2026-Q4","count":26}`) {
		t.Errorf("archive list: %q", out)
	}
	out, _, status = run(t, dir, st, "migrate", "--from", from)
	if status != 0 || !strings.HasSuffix(out, "Nothing to copy: "+dir+"/backlog.db holds all 200 tasks already (matched by UUID).\n") {
		t.Errorf("again: %d %q", status, out)
	}
}
