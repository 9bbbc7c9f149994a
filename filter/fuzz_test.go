package filter

import (
	"errors"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	backlog "github.com/agent-backlog/backlog"
)

func isInvalid(err error) bool { return errors.Is(err, backlog.ErrInvalid) }

// sameTree compares two trees, ignoring positions.
var sameTree = cmp.Options{
	cmpopts.IgnoreFields(BinaryExpr{}, "OpPos"),
	cmpopts.IgnoreFields(NotExpr{}, "NotPos"),
	cmpopts.IgnoreFields(ParenExpr{}, "Lparen"),
	cmpopts.IgnoreFields(AttrExpr{}, "NamePos"),
	cmpopts.IgnoreFields(TagExpr{}, "TagPos"),
	cmpopts.IgnoreFields(IDExpr{}, "IDPos"),
	cmpopts.IgnoreFields(WordExpr{}, "WordPos"),
	cmpopts.IgnoreFields(RegexExpr{}, "RegexPos"),
	cmp.Comparer(func(a, b *regexp.Regexp) bool {
		return a == nil && b == nil || a != nil && b != nil && a.String() == b.String()
	}),
}

// checkRoundTrip parses src and, if it is accepted, checks that its String()
// parses to the same tree and prints the same way again.
func checkRoundTrip(t *testing.T, src string, opts Options) {
	t.Helper()
	e, err := Parse(src, opts)
	if err != nil {
		if !isInvalid(err) {
			t.Fatalf("Parse(%q) error %v is not ErrInvalid", src, err)
		}
		return
	}
	if e == nil {
		return
	}
	printed := e.String()
	e2, err := Parse(printed, opts)
	if err != nil {
		t.Fatalf("Parse(%q) ok, but its String() %q fails: %v", src, printed, err)
	}
	if diff := cmp.Diff(e, e2, sameTree); diff != "" {
		t.Fatalf("Parse(%q).String() = %q parses to another tree (-first +second):\n%s", src, printed, diff)
	}
	if again := e2.String(); again != printed {
		t.Fatalf("String() not stable: %q then %q", printed, again)
	}
}

var fuzzSeeds = []string{
	"", "+bug", "-bug", "+READY -BLOCKED", "project:web +bug due:friday priority:H",
	"1,3,5-7", "7-5 or +A", "1 3 +bug", "deadbeef", "DEADBEEF-1234", "12345678",
	`"login page"`, `'x y'`, "/^fix/", `/a\/b/`, "(+a or +b) not +c", "!(+a xor +b)",
	"desc.has:x", "description.cont:x", "due.before:garbage", "due.before:eow",
	"due.after:now-3d", "due:2026-03-01T14:30", "urgency.over:5", "has_doc:maybe",
	"tags.none:", "depends:1,2", "depends:deadbeef", "status:waiting", "status.any:",
	"project.not:web", "project.startswith:we", `description.is:"a \" b"`, "x:y",
	"estimate.over:3", "owner:ana", "(project:web)", "desc.regex:a(b)c", "((((+a))))",
	"+a or", "()", ")", "(", "-", "!", "not", "and", "a and b or c xor d",
	"id:1-3", "uuid:dead", "agent.none: agent.any:", "p:x", "entry.by:sow",
	"due.before:3d", "priority.below:H", "word1 word2 \"quoted phrase\" /re/",
	"+a\t+b\n+c", "\u00a0+a", "é:x", "+ö", "desc.word:ü",
	"1 deadbeef 3", "deadbeef abcdef12 or +x", "not deadbeef 1-3", "+a\x00", "\x1b[1m", "\x7f",
	"+a or +b or +c or +d or +e or +a", "-a -b -c -d -e -f", "+a xor +b xor +c",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	opts := Options{Now: now, UDAs: udas}
	tasks := fixture()
	env := Env{Now: now, Graph: backlog.NewIndex(tasks)}
	f.Fuzz(func(t *testing.T, src string) {
		checkRoundTrip(t, src, opts)
		if e, err := Parse(src, opts); err == nil {
			e = DefaultScope(e)
			m, plain := Compile(e, env), reference(e, env)
			for _, task := range tasks {
				if m(task) != plain(task) {
					t.Fatalf("Parse(%q): task %d: the evaluator says %v, the plain reading %v", src, task.ID, m(task), plain(task))
				}
			}
		}
	})
}
