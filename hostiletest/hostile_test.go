package hostiletest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// refusalTimeout bounds a refusal of a huge input: refusing needs no
// evaluation, so it must come quickly even on a loaded machine.
const refusalTimeout = 10 * time.Second

// orTerms is a filter of n OR-ed tag terms.
func orTerms(n int) string {
	terms := make([]string, n)
	for i := range terms {
		terms[i] = fmt.Sprintf("+t%d", i)
	}
	return strings.Join(terms, " or ")
}

// megabyteFilter is a filter of about 1 MB of words.
func megabyteFilter() string { return strings.TrimSpace(strings.Repeat("word ", 1<<20/5)) }

// nestedFilter nests a term in n parentheses.
func nestedFilter(n int) string { return strings.Repeat("(", n) + "+a" + strings.Repeat(")", n) }

// names returns n names made of a prefix and a number.
func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

// attributes returns n user-defined attributes.
func attributes(n int) map[string]string {
	out := make(map[string]string, n)
	for _, k := range names("uda", n) {
		out[k] = "v"
	}
	return out
}

// mustJSON marshals v.
func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return data
}

// namesBoth checks that a refusal names both tasks of the shared prefix, by
// UUID or by id.
func namesBoth(text string) string {
	byUUID := strings.Contains(text, uuidOne) && strings.Contains(text, uuidTwo)
	byID := regexp.MustCompile(`\b1\b`).MatchString(text) && regexp.MustCompile(`\b2\b`).MatchString(text)
	if !byUUID && !byID {
		return fmt.Sprintf("the refusal does not name both tasks (1 and 2, or their UUIDs): %q", text)
	}
	return ""
}

// namesNUL checks that a refusal says what is wrong: a NUL byte.
func namesNUL(text string) string {
	lower := strings.ToLower(text)
	for _, word := range []string{"nul", "u+0000", `\x00`, `\u0000`, "zero byte", "control character"} {
		if strings.Contains(lower, word) {
			return ""
		}
	}
	return fmt.Sprintf("the refusal does not say that the filter holds a NUL byte: %q", text)
}

// mcpCase is a tool call that must be refused with one sentence.
type mcpCase struct {
	name string
	tool string
	args func() []byte
	also func(text string) string // a further check of the refusal, or nil
}

// hostileCalls are the cases of issue 11 spoken over MCP.
func hostileCalls() []mcpCase {
	args := func(v any) func() []byte { return func() []byte { return mustJSON(v) } }
	raw := func(s string) func() []byte { return func() []byte { return []byte(s) } }
	type obj = map[string]any
	return []mcpCase{
		{"task_count refuses a 1 MB filter", "task_count", func() []byte { return mustJSON(obj{"filter": megabyteFilter()}) }, nil},
		{"task_summary refuses a 1 MB filter", "task_summary", func() []byte { return mustJSON(obj{"filter": megabyteFilter()}) }, nil},
		{"task_count refuses 4,000 OR-ed terms", "task_count", args(obj{"filter": orTerms(4000)}), nil},
		{"task_list refuses 4,000 OR-ed terms", "task_list", args(obj{"filter": orTerms(4000)}), nil},
		{"task_modify refuses 4,000 OR-ed terms", "task_modify", args(obj{"filter": orTerms(4000), "priority": "H", "confirm": "yes"}), nil},
		{"task_claim refuses 4,000 OR-ed terms", "task_claim", args(obj{"filter": orTerms(4000)}), nil},
		{"task_count refuses a filter nested 10,000 parentheses deep", "task_count", args(obj{"filter": nestedFilter(10_000)}), nil},

		{"task_add refuses 100,000 tags as a list", "task_add", args(obj{"description": "many tags", "tags": names("t", 100_000)}), nil},
		{"task_add refuses 100,000 tags in one string", "task_add", args(obj{"description": "many tags", "tags": strings.Join(names("t", 100_000), ",")}), nil},
		{"task_add refuses 100,000 tags in extra", "task_add", args(obj{"description": "many tags", "extra": "+" + strings.Join(names("t", 100_000), " +")}), nil},
		{"task_modify refuses adding 100,000 tags", "task_modify", args(obj{"filter": "1", "tags": names("+t", 100_000)}), nil},
		{"task_import refuses a task with 100,000 tags", "task_import", args(obj{"tasks": []obj{{"description": "many tags", "tags": names("t", 100_000)}}}), nil},
		{"task_add refuses a tag of 100,000 bytes", "task_add", args(obj{"description": "a long tag", "tags": []string{strings.Repeat("t", 100_000)}}), nil},
		{"task_add refuses 50,000 attributes as an object", "task_add", args(obj{"description": "many attributes", "extra": attributes(50_000)}), nil},
		{"task_add refuses 50,000 attributes in an extra string", "task_add", args(obj{"description": "many attributes", "extra": strings.Join(names("uda", 50_000), ":v ") + ":v"}), nil},
		{"task_import refuses a task with 50,000 attributes", "task_import", args(obj{"tasks": []obj{{"description": "many attributes", "extra": attributes(50_000)}}}), nil},
		{"task_add refuses an attribute value of 2 MiB", "task_add", args(obj{"description": "a big attribute", "extra": obj{"note": strings.Repeat("v", 2<<20)}}), nil},
		{"task_add refuses a description over 500 bytes", "task_add", args(obj{"description": strings.Repeat("d", 501)}), nil},
		{"task_doc_write refuses a doc over 1 MiB", "task_doc_write", args(obj{"id": 2, "content": strings.Repeat("d", 1<<20+1)}), nil},

		{"task_count refuses an ambiguous UUID prefix, naming both tasks", "task_count", args(obj{"filter": sharedPrefix}), namesBoth},
		{"task_list refuses an ambiguous UUID prefix, naming both tasks", "task_list", args(obj{"filter": sharedPrefix}), namesBoth},
		{"task_modify refuses an ambiguous UUID prefix, naming both tasks", "task_modify", args(obj{"filter": sharedPrefix, "tags": "+x"}), namesBoth},
		{"task_claim refuses an ambiguous UUID prefix, naming both tasks", "task_claim", args(obj{"filter": sharedPrefix}), namesBoth},
		{"task_info refuses an ambiguous UUID prefix, naming both tasks", "task_info", args(obj{"id": sharedPrefix}), namesBoth},
		{"task_done refuses an ambiguous UUID prefix, naming both tasks", "task_done", args(obj{"id": sharedPrefix}), namesBoth},

		{"task_count refuses a NUL byte in a filter, naming it", "task_count", args(obj{"filter": "login\x00crash"}), namesNUL},
		{"task_list refuses a NUL byte in a filter, naming it", "task_list", args(obj{"filter": "login\x00crash"}), namesNUL},
		{"task_modify refuses a NUL byte in a filter, naming it", "task_modify", args(obj{"filter": "login\x00crash", "priority": "H"}), namesNUL},
		{"task_claim refuses a NUL byte in a filter, naming it", "task_claim", args(obj{"filter": "login\x00crash"}), namesNUL},
		{"task_summary refuses a NUL byte in a filter, naming it", "task_summary", args(obj{"filter": "login\x00crash"}), namesNUL},

		{"task_add refuses a description with invalid UTF-8", "task_add", raw("{\"description\":\"bad \xff\xfe bytes\"}"), nil},
		{"task_annotate refuses a note with invalid UTF-8", "task_annotate", raw("{\"id\":4,\"text\":\"bad \xc3\x28 bytes\"}"), nil},
		{"task_import refuses a task with invalid UTF-8", "task_import", raw("{\"tasks\":[{\"description\":\"bad \xed\xa0\x80 surrogate\"}]}"), nil},
		{"task_modify refuses a project with invalid UTF-8", "task_modify", raw("{\"filter\":\"1\",\"project\":\"web\xff\"}"), nil},
	}
}

// TestHostileCallsOverMCP makes each call of hostileCalls on a seeded store:
// each is refused quickly with one sentence, the next request is answered,
// and the store is unchanged.
func TestHostileCallsOverMCP(t *testing.T) {
	t.Parallel()
	b := seeded(t)
	before := b.snapshot()
	s := b.serveStdio()
	for _, c := range hostileCalls() {
		t.Run(c.name, func(t *testing.T) {
			skipKnownOpen(t, c.name)
			m, err := s.callRaw(c.tool, c.args(), refusalTimeout, "null")
			if err != nil {
				t.Error(err)
				s = b.serveStdio()
				return
			}
			if p := refusalProblem(m); p != "" {
				t.Error(p)
			} else if c.also != nil {
				if p := c.also(refusal(m)); p != "" {
					t.Error(p)
				}
			}
			if p := s.alive(); p != "" {
				t.Error(p)
				s = b.serveStdio()
			}
			if d := b.unchanged(before); d != "" {
				t.Error(d)
				before = b.snapshot()
			}
		})
	}
}

// cliCase is a command that must be refused: exit status 1, one sentence on
// stderr, nothing on stdout.
type cliCase struct {
	name  string
	args  func(dir string) []string // dir is where the case may write files
	also  func(text string) string
	stdin []byte
}

// writeFile writes a file for a case and returns its path.
func writeFile(dir, name string, data []byte) string {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		panic(err)
	}
	return path
}

// hostileCommands are the cases of issue 11 on the command line.
func hostileCommands() []cliCase {
	words := func(list ...string) func(string) []string { return func(string) []string { return list } }
	// The kernel takes at most 128 KiB per argument, so a 1 MB filter is
	// given as 16 words of 64 KiB.
	mb := make([]string, 16)
	for i := range mb {
		mb[i] = strings.Repeat("w", 64<<10)
	}
	type obj = map[string]any
	return []cliCase{
		{"count refuses a 1 MB filter", words(append([]string{"count"}, mb...)...), nil, nil},
		{"count refuses 4,000 OR-ed terms", words(append([]string{"count"}, strings.Fields(orTerms(4000))...)...), nil, nil},
		{"list refuses 4,000 OR-ed terms", words(append([]string{"list"}, strings.Fields(orTerms(4000))...)...), nil, nil},
		{"modify refuses 4,000 OR-ed terms", words(append(append([]string{"modify"}, strings.Fields(orTerms(4000))...), "--", "priority:H")...), nil, nil},
		{"count refuses a filter nested 10,000 parentheses deep", words("count", nestedFilter(10_000)), nil, nil},
		{"add refuses 1,000 tags", words(append([]string{"add", "many", "tags"}, names("+t", 1000)...)...), nil, nil},
		{"import refuses a task with 100,000 tags", func(dir string) []string {
			return []string{"import", writeFile(dir, "tags.json", mustJSON([]obj{{"description": "many tags", "tags": names("t", 100_000)}}))}
		}, nil, nil},
		{"import refuses a task with 50,000 attributes", func(dir string) []string {
			return []string{"import", writeFile(dir, "udas.json", mustJSON([]obj{{"description": "many attributes", "extra": attributes(50_000)}}))}
		}, nil, nil},
		{"modify refuses an ambiguous UUID prefix, naming both tasks", words("modify", sharedPrefix, "--", "+x"), namesBoth, nil},
		{"count refuses an ambiguous UUID prefix, naming both tasks", words("count", sharedPrefix), namesBoth, nil},
		{"done refuses an ambiguous UUID prefix, naming both tasks", words("done", sharedPrefix), namesBoth, nil},
		{"add refuses a description with invalid UTF-8", words("add", "bad \xff\xfe bytes"), nil, nil},
		{"import refuses a file with invalid UTF-8", func(dir string) []string {
			return []string{"import", writeFile(dir, "bad.json", []byte("[{\"description\":\"bad \xff bytes\"}]"))}
		}, nil, nil},
		{"import refuses deeply nested JSON", func(dir string) []string {
			return []string{"import", writeFile(dir, "deep.json", []byte(deep(100_000)))}
		}, nil, nil},
	}
}

// TestHostileCommands runs each of hostileCommands on a seeded store.
func TestHostileCommands(t *testing.T) {
	t.Parallel()
	b := seeded(t)
	before := b.snapshot()
	for _, c := range hostileCommands() {
		t.Run(c.name, func(t *testing.T) {
			skipKnownOpen(t, c.name)
			r := b.run(c.stdin, c.args(t.TempDir())...)
			if p := cliRefusalProblem(r); p != "" {
				t.Error(p)
			} else if c.also != nil {
				if p := c.also(strings.TrimPrefix(strings.TrimSpace(r.stderr), "backlog: ")); p != "" {
					t.Error(p)
				}
			}
			if d := b.unchanged(before); d != "" {
				t.Error(d)
				before = b.snapshot()
			}
		})
	}
}

// cliRefusalProblem says why a command's result is not a refusal of bad
// input: exit status 1 and one sentence on stderr, nothing on stdout.
func cliRefusalProblem(r cliResult) string {
	sentence, ok := strings.CutPrefix(r.stderr, "backlog: ")
	switch {
	case r.code != 1:
		return fmt.Sprintf("exit status %d, want 1 (bad input); stdout %q, stderr %q", r.code, shorten(r.stdout), shorten(r.stderr))
	case r.stdout != "":
		return fmt.Sprintf("a refused command printed %q", shorten(r.stdout))
	case !ok || !strings.HasSuffix(sentence, "\n"):
		return fmt.Sprintf("stderr is not one line %q: %q", "backlog: <sentence>", shorten(r.stderr))
	}
	return sentenceProblem(strings.TrimSuffix(sentence, "\n"))
}
