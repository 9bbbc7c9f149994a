package agentsetup

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/pelletier/go-toml/v2"
)

// checkShape validates a file init wrote against the shape its agent
// documents: testdata/schema/NAME.json for the JSON agents (the fields of
// the backlog entry, nothing else), a strict decoding of the backlog's
// table for Codex. It also checks that the file is plain JSON where the
// agent reads plain JSON (Claude Code's files), and JSONC elsewhere.
func checkShape(t *testing.T, c *Client, data []byte) {
	t.Helper()
	if c.Name == "codex" {
		checkCodexShape(t, data)
		return
	}
	root, err := parseJSONC(data)
	if err != nil || root == nil {
		t.Fatalf("the file is not JSONC (%v):\n%s", err, data)
	}
	doc := plain(root)
	schemaText, err := os.ReadFile(filepath.Join("testdata", "schema", c.Name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema jsonschema.Schema
	if err := json.Unmarshal(schemaText, &schema); err != nil {
		t.Fatalf("testdata/schema/%s.json: %v", c.Name, err)
	}
	resolved, err := schema.Resolve(nil)
	if err != nil {
		t.Fatalf("testdata/schema/%s.json: %v", c.Name, err)
	}
	if err := resolved.Validate(doc); err != nil {
		t.Errorf("the file does not have %s's documented shape: %v\n%s", c.Title, err, data)
	}
}

// plain is n as encoding/json would decode it (numbers as float64), for
// the validator.
func plain(n *node) any {
	switch n.kind {
	case kindObject:
		m := map[string]any{}
		for _, mb := range n.members {
			m[mb.key] = plain(mb.value)
		}
		return m
	case kindArray:
		a := []any{}
		for _, e := range n.elems {
			a = append(a, plain(e))
		}
		return a
	case kindNumber:
		f, _ := strconv.ParseFloat(n.text, 64)
		return f
	}
	return n.value()
}

// codexServer is a stdio server of Codex's config.toml, with the keys
// `codex mcp add` writes and Codex's configuration documents for one.
type codexServer struct {
	Command           string            `toml:"command"`
	Args              []string          `toml:"args"`
	Env               map[string]string `toml:"env"`
	EnvVars           []string          `toml:"env_vars"`
	Cwd               string            `toml:"cwd"`
	Enabled           *bool             `toml:"enabled"`
	StartupTimeoutSec *float64          `toml:"startup_timeout_sec"`
	ToolTimeoutSec    *float64          `toml:"tool_timeout_sec"`
	EnabledTools      []string          `toml:"enabled_tools"`
	DisabledTools     []string          `toml:"disabled_tools"`
}

func checkCodexShape(t *testing.T, data []byte) {
	t.Helper()
	var doc struct {
		Servers map[string]map[string]any `toml:"mcp_servers"`
	}
	if err := toml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("the file is not TOML with [mcp_servers] tables: %v\n%s", err, data)
	}
	entry, ok := doc.Servers["backlog"]
	if !ok {
		t.Fatalf("no [mcp_servers.backlog]:\n%s", data)
	}
	text, err := toml.Marshal(entry)
	if err != nil {
		t.Fatal(err)
	}
	dec := toml.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	var srv codexServer
	if err := dec.Decode(&srv); err != nil {
		t.Errorf("[mcp_servers.backlog] has keys Codex does not document: %v\n%s", err, data)
	}
	if srv.Command == "" {
		t.Errorf("[mcp_servers.backlog] has no command:\n%s", data)
	}
}
