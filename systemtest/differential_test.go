package systemtest

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/agent-backlog/backlog/filter/filtertest"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/postgres"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
)

// TestDifferentialSQLitePostgres applies one seeded random stream of
// engine commands, on a fixed clock stepped forward, to an engine over
// SQLite and one over PostgreSQL. Every command must succeed or fail the
// same way on both; then the tasks (by id, every field and urgency, UUIDs
// mapped to ids), the docs, the archive segments and the answers of 200
// random filters (List and Count) must be the same.
//
// BACKLOG_DIFF_SEED replays one seed; the default is fixed.
func TestDifferentialSQLitePostgres(t *testing.T) {
	url := requirePostgres(t)
	seeds := []uint64{1, 2, 3}
	if s := os.Getenv("BACKLOG_DIFF_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("BACKLOG_DIFF_SEED: %v", err)
		}
		seeds = []uint64{n}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { differential(t, url, seed) })
	}
}

const (
	diffCommands = 400
	diffFilters  = 200
)

func differential(t *testing.T, url string, seed uint64) {
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 15, 30, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "backlog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := postgres.Open(ctx, url, pgNamespace(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	names := []string{"sqlite", "postgres"}
	stores := []store.Store{lite, pg}
	var engines [2]*engine.Engine
	for i, s := range stores {
		engines[i] = engine.New(s, engine.Options{Agent: "diff", Clock: clock})
	}

	r := rand.New(rand.NewPCG(seed, 0x5eed))
	g := &cmdGen{r: r}
	began := time.Now()
	okCount := 0
	tally := map[string][2]int{} // by verb: succeeded, run
	for step := 0; step < diffCommands; step++ {
		now = now.Add(time.Duration(r.IntN(4*3600)) * time.Second)
		desc, run := g.command()
		var out [2]string
		for i, e := range engines {
			res, err := run(ctx, e)
			if err != nil {
				out[i] = "error: " + err.Error()
			} else {
				out[i] = res
			}
		}
		if out[0] != out[1] {
			t.Fatalf("seed %d, command %d %s:\n  sqlite:   %s\n  postgres: %s", seed, step, desc, out[0], out[1])
		}
		verb, _, _ := strings.Cut(desc, " ")
		c := tally[verb]
		c[1]++
		if !strings.HasPrefix(out[0], "error: ") {
			okCount++
			c[0]++
		}
		tally[verb] = c
		if n := maxID(out[0]); n > g.maxID {
			g.maxID = n
		}
	}
	streamTime := time.Since(began)

	// The tasks, docs and archive.
	var states [2]string
	var uuidLists [2][]string
	for i, e := range engines {
		st, uuids, err := snapshot(ctx, e)
		if err != nil {
			t.Fatalf("%s: %v", names[i], err)
		}
		states[i], uuidLists[i] = st, uuids
	}
	if states[0] != states[1] {
		a, b := strings.Split(states[0], "\n"), strings.Split(states[1], "\n")
		for k := 0; k < len(a) || k < len(b); k++ {
			var x, y string
			if k < len(a) {
				x = a[k]
			}
			if k < len(b) {
				y = b[k]
			}
			if x != y {
				t.Errorf("seed %d: the backlogs differ:\n  sqlite:   %s\n  postgres: %s", seed, x, y)
			}
		}
		t.FailNow()
	}

	// The filters: the same random source for both, each side's UUIDs in
	// the same (id) order, so that the text differs only in the UUIDs.
	fseed := r.Uint64()
	gens := [2]*filtertest.Gen{}
	for i := range gens {
		gens[i] = &filtertest.Gen{R: rand.New(rand.NewPCG(fseed, 1)), UUIDs: uuidLists[i], MinPrefix: 8}
	}
	nonEmpty := 0
	for k := 0; k < diffFilters; k++ {
		var srcs, lists, counts [2]string
		for {
			for i := range gens {
				srcs[i] = gens[i].Expr()
			}
			// The UUIDs are random: their order differs between the
			// runs, and a UUID prefix of decimal digits reads as an id
			// list in one run and not in the other.
			both := srcs[0] + " " + srcs[1]
			if !uuidOrder.MatchString(both) && !digitUUID.MatchString(both) && !uuidLiteral(both) {
				break
			}
		}
		for i, e := range engines {
			l, err := e.List(ctx, engine.ListOptions{Filter: srcs[i]})
			if err != nil {
				lists[i] = "error: " + uuidText.ReplaceAllString(err.Error(), "<uuid>")
			} else {
				ids := make([]string, len(l.Tasks))
				for j, t := range l.Tasks {
					ids[j] = strconv.FormatInt(t.ID, 10)
				}
				lists[i] = strings.Join(ids, ",")
			}
			n, err := e.Count(ctx, srcs[i])
			if err != nil {
				counts[i] = "error: " + uuidText.ReplaceAllString(err.Error(), "<uuid>")
			} else {
				counts[i] = strconv.Itoa(n)
			}
		}
		if lists[0] != lists[1] || counts[0] != counts[1] {
			t.Errorf("seed %d, filter %d:\n  sqlite:   %s\n    list %s\n    count %s\n  postgres: %s\n    list %s\n    count %s",
				seed, k, srcs[0], lists[0], counts[0], srcs[1], lists[1], counts[1])
		}
		if lists[0] != "" && !strings.HasPrefix(lists[0], "error: ") {
			nonEmpty++
		}
	}
	var verbs []string
	for v, c := range tally {
		verbs = append(verbs, fmt.Sprintf("%s %d/%d", v, c[0], c[1]))
	}
	slices.Sort(verbs)
	t.Logf("seed %d: %d commands (%d succeeded: %s) in %v, %d tasks, %d filters (%d with tasks) in %v",
		seed, diffCommands, okCount, strings.Join(verbs, ", "), streamTime.Round(time.Millisecond), len(uuidLists[0]), diffFilters, nonEmpty,
		(time.Since(began) - streamTime).Round(time.Millisecond))
}

var (
	// uuidOrder finds a term that compares UUIDs by order.
	uuidOrder = regexp.MustCompile(`(uuid|parent|depends)\.(before|under|below|after|over|above|by)`)
	// digitUUID finds a UUID prefix that starts with 8 decimal digits.
	digitUUID = regexp.MustCompile(`(^|[^0-9a-f])[0-9]{8}(-|[^0-9a-f]|$)`)
	// uuidTerm finds a term that reads a UUID attribute's text.
	uuidTerm = regexp.MustCompile(`(uuid|parent|depends)\.([a-z]+):("[^"]*"|[^ )]*)`)
	// hexPrefix is a value taken from the store's own UUIDs.
	hexPrefix = regexp.MustCompile(`^[0-9a-f][0-9a-f-]{7,}$`)
	// uuidText finds (a prefix of) a UUID in an error message.
	uuidText = regexp.MustCompile(`[0-9a-f]{8}[0-9a-f-]*`)
)

// maxID is the highest "#<id>" a command's summary names.
// uuidLiteral reports whether a filter tests the text of a UUID attribute
// against a literal (depends.left:1, uuid.regex:[0-9]) rather than against
// a prefix of one of the store's own UUIDs: each store draws its UUIDs at
// random, so such a term selects different tasks in each, and in a long
// xor chain every term counts.
func uuidLiteral(src string) bool {
	for _, m := range uuidTerm.FindAllStringSubmatch(src, -1) {
		if m[2] == "regex" || !hexPrefix.MatchString(strings.Trim(m[3], `"`)) {
			return true
		}
	}
	return false
}

func maxID(s string) int64 {
	var best int64
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '[' || r == ']' }) {
		if strings.HasPrefix(f, "#") {
			if n, err := strconv.ParseInt(f[1:], 10, 64); err == nil && n > best {
				best = n
			}
		}
	}
	return best
}

// summary describes a command's outcome without UUIDs: the ids of the
// tasks it returned.
func summary(ts ...*backlog.Task) string {
	var ids []string
	for _, t := range ts {
		if t != nil {
			ids = append(ids, fmt.Sprintf("#%d %s", t.ID, t.Status))
		}
	}
	return "[" + strings.Join(ids, ", ") + "]"
}

func resultSummary(r *engine.Result, err error) (string, error) {
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("task %s next %s unblocked %v blocked %v dependents %v", summary(r.Task), summary(r.Next), r.Unblocked, r.BlockedBy, r.Dependents), nil
}

// snapshot writes every task (working set and archive), with its UUIDs
// replaced by ids, its doc, and the archive segments, one line each; and
// returns the UUIDs of the working set's tasks by id.
func snapshot(ctx context.Context, e *engine.Engine) (string, []string, error) {
	tasks, err := e.Export(ctx, "")
	if err != nil {
		return "", nil, err
	}
	segs, err := e.ArchiveSegments(ctx)
	if err != nil {
		return "", nil, err
	}
	var uuids []string
	for _, t := range tasks {
		uuids = append(uuids, t.UUID)
	}
	all := slices.Clone(tasks)
	var lines []string
	for _, s := range segs {
		lines = append(lines, fmt.Sprintf("segment %s %d", s.Name, s.Count))
		ts, err := e.ArchiveLoad(ctx, s.Name)
		if err != nil {
			return "", nil, err
		}
		all = append(all, ts...)
	}
	repl := []string{}
	for _, t := range all {
		repl = append(repl, t.UUID, fmt.Sprintf("<uuid of #%d>", t.ID))
	}
	r := strings.NewReplacer(repl...)
	for _, t := range all {
		b, err := json.Marshal(t)
		if err != nil {
			return "", nil, err
		}
		lines = append(lines, r.Replace(string(b)), fmt.Sprintf("#%d urgency %v", t.ID, t.Urgency))
		if t.HasDoc && t.Archived == "" {
			doc, err := e.DocRead(ctx, strconv.FormatInt(t.ID, 10))
			if err != nil {
				lines = append(lines, fmt.Sprintf("#%d doc error: %v", t.ID, err))
			} else {
				lines = append(lines, fmt.Sprintf("#%d doc %q", t.ID, doc))
			}
		}
	}
	return strings.Join(lines, "\n"), uuids, nil
}

// cmdGen writes random engine commands.
type cmdGen struct {
	r         *rand.Rand
	maxID     int64
	annotated string // the task last annotated
}

func (g *cmdGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

// ref is a task reference: mostly an id that exists, sometimes not.
func (g *cmdGen) ref() string {
	if g.r.IntN(15) == 0 {
		return g.pick("0", "9999", "abc", "")
	}
	return strconv.FormatInt(1+g.r.Int64N(g.maxID+2), 10)
}

var diffWords = []string{"fix", "login", "page", "crash", "deploy", "docs", "naïve", "Straße", "日本語", "api", "the", "🚀", "log-in"}

// mods are random modification words; fresh ones may be for a new task.
func (g *cmdGen) mods(fresh bool) []string {
	var ws []string
	if fresh || g.r.IntN(3) == 0 {
		for n := 1 + g.r.IntN(3); n > 0; n-- {
			ws = append(ws, g.pick(diffWords...))
		}
	}
	for n := g.r.IntN(4); n > 0; n-- {
		switch g.r.IntN(12) {
		case 0:
			ws = append(ws, "project:"+g.pick("web", "web.ui", "ops", "ops.db", "é", ""))
		case 1:
			ws = append(ws, g.pick("+", "+", "-")+g.pick("bug", "ux", "doc", "URGENT", "k8s", "next"))
		case 2:
			ws = append(ws, "priority:"+g.pick("H", "M", "L", "", "X"))
		case 3:
			ws = append(ws, "due:"+g.pick("tomorrow", "today", "now+3d", "eow", "2026-03-10", "monday", "now-2d", "", "eom", "bogus"))
		case 4:
			ws = append(ws, "scheduled:"+g.pick("now+1d", "yesterday", "sow", "", "2026-03-06T09:00"))
		case 5:
			ws = append(ws, "wait:"+g.pick("now+2d", "tomorrow", "", "now-1h", "friday"))
		case 6:
			deps := []string{}
			for k := 1 + g.r.IntN(2); k > 0; k-- {
				deps = append(deps, g.ref())
			}
			ws = append(ws, "depends:"+strings.Join(deps, ","))
		case 7:
			ws = append(ws, "until:"+g.pick("now+30d", "eoy", ""))
		case 8:
			ws = append(ws, "agent:"+g.pick("alice", "bob", ""))
		case 9:
			if fresh && g.r.IntN(3) == 0 {
				ws = append(ws, "recur:"+g.pick("weekly", "daily", "monthly"), "due:"+g.pick("tomorrow", "now+2d"))
			} else {
				ws = append(ws, "+"+g.pick("bug", "ux"))
			}
		case 10:
			ws = append(ws, "description:"+g.pick(diffWords...))
		default:
			ws = append(ws, "pri:"+g.pick("H", "L"))
		}
	}
	return ws
}

type runFn func(ctx context.Context, e *engine.Engine) (string, error)

// command returns a command's description and the function that runs it.
func (g *cmdGen) command() (string, runFn) {
	n := g.r.IntN(100)
	switch {
	case n < 30 || g.maxID < 3:
		ws := g.mods(true)
		return "add " + strings.Join(ws, " "), func(ctx context.Context, e *engine.Engine) (string, error) {
			c, err := engine.ParseNew(ws)
			if err != nil {
				return "", err
			}
			return resultSummary(e.Add(ctx, c))
		}
	case n < 45:
		ref, ws := g.ref(), g.mods(false)
		if g.r.IntN(8) == 0 {
			ref = g.pick("+bug", "project:web", "priority:H", "+READY")
		}
		return "modify " + ref + " " + strings.Join(ws, " "), func(ctx context.Context, e *engine.Engine) (string, error) {
			c, err := engine.ParseMods(ws, true)
			if err != nil {
				return "", err
			}
			res, err := e.Modify(ctx, ref, c, true)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("modified %d %s", res.Modified, summary(res.Tasks...)), nil
		}
	case n < 52:
		ref := g.ref()
		return "start " + ref, func(ctx context.Context, e *engine.Engine) (string, error) { return resultSummary(e.Start(ctx, ref)) }
	case n < 56:
		ref := g.ref()
		return "stop " + ref, func(ctx context.Context, e *engine.Engine) (string, error) { return resultSummary(e.Stop(ctx, ref)) }
	case n < 66:
		ref := g.ref()
		return "done " + ref, func(ctx context.Context, e *engine.Engine) (string, error) { return resultSummary(e.Done(ctx, ref)) }
	case n < 71:
		ref := g.ref()
		return "delete " + ref, func(ctx context.Context, e *engine.Engine) (string, error) { return resultSummary(e.Delete(ctx, ref)) }
	case n < 77:
		ref, text := g.ref(), g.pick("note", "see the log", "naïve", "LGTM")
		g.annotated = ref
		return "annotate " + ref + " " + text, func(ctx context.Context, e *engine.Engine) (string, error) {
			return resultSummary(e.Annotate(ctx, ref, text))
		}
	case n < 80:
		ref, text := g.ref(), g.pick("note", "see", "LGTM", "nothing", "naïve")
		if g.annotated != "" && g.r.IntN(3) > 0 {
			ref = g.annotated
		}
		return "denotate " + ref + " " + text, func(ctx context.Context, e *engine.Engine) (string, error) {
			return resultSummary(e.Denotate(ctx, ref, text))
		}
	case n < 85:
		ref, text := g.ref(), g.pick("# Plan\n\n1. fix\n", "", "naïve doc 日本語", strings.Repeat("x", 200))
		return "doc write " + ref, func(ctx context.Context, e *engine.Engine) (string, error) {
			return resultSummary(e.DocWrite(ctx, ref, text))
		}
	case n < 91:
		return "undo", func(ctx context.Context, e *engine.Engine) (string, error) {
			res, err := e.Undo(ctx)
			if err != nil {
				return "", err
			}
			u := "<nil>"
			if res.Undone != nil {
				u = *res.Undone
			}
			return fmt.Sprintf("undone %q %s", u, summary(res.Tasks...)), nil
		}
	case n < 97:
		opts := engine.ClaimOptions{Agent: g.pick("", "alice", "bob")}
		switch g.r.IntN(4) {
		case 0:
			opts.ID = g.ref()
		case 1:
			opts.Filter = g.pick("+bug", "project:web", "priority:H", "due.before:eow")
		}
		return fmt.Sprintf("claim %+v", opts), func(ctx context.Context, e *engine.Engine) (string, error) {
			return resultSummary(e.Claim(ctx, opts))
		}
	}
	days := g.r.IntN(3)
	return fmt.Sprintf("archive %d", days), func(ctx context.Context, e *engine.Engine) (string, error) {
		n, err := e.Archive(ctx, days)
		return fmt.Sprintf("archived %d", n), err
	}
}
