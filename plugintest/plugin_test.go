package plugintest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agent-backlog/backlog/cli"
	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/hook"
	"github.com/agent-backlog/backlog/mcp"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
	"github.com/agent-backlog/backlog/tasksmd/bridge"
)

// root is the repository's root, where the plugin lives.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// skills are the skills the plugin must have: the seven workflows of the
// TypeScript server's plugin, and two for several agents and for TASKS.md.
var skills = []string{"backlog", "plan", "standup", "groom", "spec", "implement", "handoff", "claim-next", "tasks-md"}

// manifest is the part of plugin.json the tests read.
type manifest struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Skills     string   `json:"skills"`
	Agents     []string `json:"agents"`
	Hooks      string   `json:"hooks"`
	MCPServers map[string]struct {
		Command string            `json:"command"`
		Args    []string          `json:"args"`
		Env     map[string]string `json:"env"`
	} `json:"mcpServers"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func readManifest(t *testing.T) manifest {
	t.Helper()
	var m manifest
	readJSON(t, filepath.Join(root(t), ".claude-plugin", "plugin.json"), &m)
	return m
}

// TestTheManifestsPointAtThePlugin checks plugin.json and marketplace.json
// against each other and the files: the paths exist, the MCP server is
// `backlog serve` from PATH (never npm), and the marketplace lists this
// plugin at this version.
func TestTheManifestsPointAtThePlugin(t *testing.T) {
	dir := root(t)
	m := readManifest(t)
	if m.Name != "backlog" {
		t.Errorf("plugin name %q, want backlog", m.Name)
	}
	for _, p := range append([]string{m.Skills, m.Hooks}, m.Agents...) {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("plugin.json names %s: %v", p, err)
		}
	}
	srv, ok := m.MCPServers["backlog"]
	if !ok || srv.Command != "backlog" || !slices.Equal(srv.Args, []string{"serve"}) || len(srv.Env) != 0 {
		t.Errorf("the MCP server is %+v, want backlog serve with the user's environment", m.MCPServers)
	}
	var market struct {
		Name    string `json:"name"`
		Plugins []struct {
			Name    string `json:"name"`
			Source  string `json:"source"`
			Version string `json:"version"`
		} `json:"plugins"`
	}
	readJSON(t, filepath.Join(dir, ".claude-plugin", "marketplace.json"), &market)
	if market.Name != "agent-backlog" || len(market.Plugins) != 1 {
		t.Fatalf("marketplace %+v, want agent-backlog listing one plugin", market)
	}
	if p := market.Plugins[0]; p.Name != m.Name || p.Source != "./" || p.Version != m.Version {
		t.Errorf("marketplace entry %+v, want %s at ./, version %s", p, m.Name, m.Version)
	}
}

// TestTheHooksRunBacklogHook checks that hooks.json wires each event the
// hook package answers to its subcommand, and nothing else.
func TestTheHooksRunBacklogHook(t *testing.T) {
	var h struct {
		Hooks map[string][]struct {
			Matcher string `json:"matcher"`
			Hooks   []struct {
				Type    string `json:"type"`
				Command string `json:"command"`
				Timeout int    `json:"timeout"`
			} `json:"hooks"`
		} `json:"hooks"`
	}
	readJSON(t, filepath.Join(root(t), readManifest(t).Hooks), &h)
	if len(h.Hooks) != len(hook.Events()) {
		t.Errorf("hooks.json wires %d events, want the %d of package hook", len(h.Hooks), len(hook.Events()))
	}
	for _, ev := range hook.Events() {
		groups := h.Hooks[ev.Claude]
		if len(groups) != 1 || len(groups[0].Hooks) != 1 {
			t.Errorf("%s: %+v, want one command", ev.Claude, groups)
			continue
		}
		c := groups[0].Hooks[0]
		if c.Type != "command" || c.Command != "backlog hook "+ev.Name || c.Timeout <= 0 || c.Timeout > 30 {
			t.Errorf("%s runs %+v, want the command backlog hook %s with a timeout of at most 30 s", ev.Claude, c, ev.Name)
		}
	}
}

// page is a skill's or an agent's markdown file.
type page struct {
	path              string
	name, description string
	body              string
}

// readPage splits a page into its front matter (the name and description
// lines) and its body.
func readPage(t *testing.T, path string) page {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if !strings.HasPrefix(text, "---\n") {
		t.Fatalf("%s does not start with front matter", path)
	}
	front, body, ok := strings.Cut(text[4:], "\n---\n")
	if !ok {
		t.Fatalf("%s: the front matter does not end", path)
	}
	p := page{path: path, body: body}
	for _, line := range strings.Split(front, "\n") {
		k, v, _ := strings.Cut(line, ":")
		switch k {
		case "name":
			p.name = strings.TrimSpace(v)
		case "description":
			p.description = strings.TrimSpace(v)
		}
	}
	return p
}

// pages are the plugin's skills and agents.
func pages(t *testing.T) []page {
	t.Helper()
	dir, m := root(t), readManifest(t)
	var out []page
	for _, s := range skills {
		out = append(out, readPage(t, filepath.Join(dir, m.Skills, s, "SKILL.md")))
	}
	for _, a := range m.Agents {
		out = append(out, readPage(t, filepath.Join(dir, a)))
	}
	return out
}

func TestEverySkillIsThere(t *testing.T) {
	dir, m := root(t), readManifest(t)
	entries, err := os.ReadDir(filepath.Join(dir, m.Skills))
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, e := range entries {
		have = append(have, e.Name())
	}
	slices.Sort(have)
	want := slices.Sorted(slices.Values(skills))
	if !slices.Equal(have, want) {
		t.Errorf("skills %v, want %v", have, want)
	}
	for _, p := range pages(t) {
		base := filepath.Base(filepath.Dir(p.path))
		if strings.HasSuffix(p.path, ".md") && !strings.HasSuffix(p.path, "SKILL.md") {
			base = strings.TrimSuffix(filepath.Base(p.path), ".md")
		}
		if p.name != base {
			t.Errorf("%s is named %q, want %q", p.path, p.name, base)
		}
		if len(p.description) < 80 || !strings.Contains(p.description, "Use ") {
			t.Errorf("%s: the description %q should say what it does and when to use it", p.path, p.description)
		}
	}
}

// listTools asks an MCP server, as `backlog serve` starts it with no
// setting, for its tools: over stdio, in-process.
func listTools(t *testing.T) map[string]*sdk.Tool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := mcp.NewServer(func(context.Context) (store.Store, error) { return memstore.New(), nil },
		mcp.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer srv.Close()
	clientIn, serverOut := io.Pipe()
	serverIn, clientOut := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- srv.ServeStdio(ctx, serverIn, serverOut) }()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "plugintest", Version: "1"}, nil).
		Connect(ctx, &sdk.IOTransport{Reader: clientIn, Writer: clientOut}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tools := map[string]*sdk.Tool{}
	for tool, err := range cs.Tools(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		tools[tool.Name] = tool
	}
	cs.Close()
	clientOut.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(tools) == 0 {
		t.Fatal("the server lists no tools")
	}
	return tools
}

// properties are the argument names of a tool's input schema.
func properties(t *testing.T, tool *sdk.Tool) map[string]bool {
	t.Helper()
	b, err := json.Marshal(tool.InputSchema)
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for k := range schema.Properties {
		out[k] = true
	}
	return out
}

var (
	// call is a tool called with its arguments: task_claim {"agent": "x"}.
	call = regexp.MustCompile(`\b([a-z]+(?:_[a-z]+)+) \{`)
	// named is a tool named anywhere: the tools are task_*.
	named = regexp.MustCompile(`\btask_[a-z_]+\b`)
	// command is a backlog subcommand quoted in the text: `backlog tasksmd sync`.
	command = regexp.MustCompile("`backlog((?: [a-z][a-z-]*)+)")
	// alias is a command's other name in its usage line: "tasksmd (tasks) lint".
	alias = regexp.MustCompile(` \([a-z, -]+\)`)
)

// jsonAt returns the JSON object that starts at s[i] ('{'), by matching
// braces outside strings.
func jsonAt(s string, i int) (string, bool) {
	depth, inString, escaped := 0, false, false
	for j := i; j < len(s); j++ {
		c := s[j]
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{':
			depth++
		case c == '}':
			depth--
			if depth == 0 {
				return s[i : j+1], true
			}
		}
	}
	return "", false
}

// TestSkillsNameOnlyToolsThatExist reads every skill and agent: each tool
// it names is one the server lists, each call's arguments are JSON the
// tool takes, and each filter it shows parses.
func TestSkillsNameOnlyToolsThatExist(t *testing.T) {
	tools := listTools(t)
	udas := map[string]filter.UDAKind{hook.LinkUDA: filter.UDAString, bridge.AttrFile: filter.UDAString, bridge.AttrID: filter.UDAString}
	used := map[string]bool{}
	for _, p := range pages(t) {
		rel, _ := filepath.Rel(root(t), p.path)
		t.Run(rel, func(t *testing.T) {
			text := p.description + "\n" + p.body
			for _, name := range named.FindAllString(text, -1) {
				if tools[name] == nil {
					t.Errorf("names %s, which the server does not list", name)
				}
				used[name] = true
			}
			calls := call.FindAllStringSubmatchIndex(text, -1)
			if len(calls) == 0 && !strings.Contains(rel, "agents") {
				t.Errorf("shows no tool call")
			}
			for _, m := range calls {
				name := text[m[2]:m[3]]
				tool := tools[name]
				if tool == nil {
					t.Errorf("calls %s, which the server does not list", name)
					continue
				}
				obj, ok := jsonAt(text, m[1]-1)
				if !ok {
					t.Errorf("the arguments of %s do not end", name)
					continue
				}
				var args map[string]any
				if err := json.Unmarshal([]byte(obj), &args); err != nil {
					t.Errorf("the arguments of %s are not JSON: %v\n%s", name, err, obj)
					continue
				}
				takes := properties(t, tool)
				for k := range args {
					if !takes[k] {
						t.Errorf("calls %s with %q, an argument it does not take", name, k)
					}
				}
				if f, ok := args["filter"].(string); ok && !strings.Contains(f, "<") {
					if _, err := filter.Parse(f, filter.Options{Now: time.Now(), UDAs: udas}); err != nil {
						t.Errorf("%s: the filter %q does not parse: %v", name, f, err)
					}
				}
			}
			for _, m := range command.FindAllStringSubmatch(text, -1) {
				words := strings.Fields(m[1])
				var out bytes.Buffer
				env := cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out,
					Config: config.Source{Getenv: func(string) string { return "" }, Getwd: os.Getwd}}
				status := cli.Run(context.Background(), append(slices.Clone(words), "--help"), env)
				usage := alias.ReplaceAllString(out.String(), "")
				if status != 0 || !strings.Contains(usage, "Usage: backlog "+strings.Join(words, " ")) {
					t.Errorf("names `backlog %s`, which is not a command (status %d):\n%s", strings.Join(words, " "), status, out.String())
				}
			}
		})
	}
	// The workflows between them reach the tools an agent needs most.
	for _, name := range []string{"task_summary", "task_list", "task_import", "task_claim", "task_annotate", "task_done", "task_release", "task_doc_read", "task_doc_write"} {
		if !used[name] {
			t.Errorf("no skill uses %s", name)
		}
	}
}

// TestThePluginReadmeNamesWhatItBrings checks that the plugin's page for
// users covers every skill, the agent, every hook and its setting.
func TestThePluginReadmeNamesWhatItBrings(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), "plugin", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	want := []string{"go install github.com/agent-backlog/backlog/cmd/backlog@latest",
		"/plugin marketplace add agent-backlog/backlog", "/plugin install backlog@agent-backlog",
		"planner", hook.ClaimSetting, hook.LinkUDA}
	for _, s := range skills {
		want = append(want, "| `"+s+"` |")
	}
	for _, ev := range hook.Events() {
		want = append(want, "| "+ev.Claude+" | `"+ev.Name+"` |")
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("plugin/README.md does not say %q", w)
		}
	}
}
