package agentsetup

import "path/filepath"

// claude is Claude Code. A project's servers are in .mcp.json at its root,
// a user's under the top-level "mcpServers" of ~/.claude.json
// ($CLAUDE_CONFIG_DIR/.claude.json when that is set), each as {"type":
// "stdio", "command": …, "args": […]}. Checked against the npm package
// @anthropic-ai/claude-code 2.1.328: `claude mcp add -s project` and `-s
// user` write those files in that shape (plus an empty "env"), with and
// without CLAUDE_CONFIG_DIR, and `claude mcp get` reads what init writes
// (realclient_test.go).
func claude() *Client {
	return &Client{
		Name:  "claude",
		Title: "Claude Code",
		paths: func(env Env) map[Scope]string {
			return map[Scope]string{
				Project: filepath.Join(env.Project, ".mcp.json"),
				User:    filepath.Join(orHome(env, "CLAUDE_CONFIG_DIR", ""), ".claude.json"),
			}
		},
		home: func(env Env) string {
			if d := env.getenv("CLAUDE_CONFIG_DIR"); d != "" {
				return d
			}
			return filepath.Join(env.Home, ".claude")
		},
		format: jsonServers{container: "mcpServers", entry: stdioEntry},
		notes: map[Scope]string{
			Project: "Claude Code asks once, at its next start in this project, to approve the servers of .mcp.json.",
		},
	}
}
