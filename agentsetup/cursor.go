package agentsetup

import "path/filepath"

// cursor is Cursor. A project's servers are in .cursor/mcp.json, a user's
// in ~/.cursor/mcp.json (%USERPROFILE%\.cursor on Windows), under
// "mcpServers", each as {"type": "stdio", "command": …, "args": […]}: the
// fields Cursor's MCP documentation lists for a stdio server (type,
// command, args, env, envFile). Cursor has no command line to check
// against here; testdata/schema/cursor.json holds that documented shape
// and the golden tests validate every file written against it.
func cursor() *Client {
	return &Client{
		Name:  "cursor",
		Title: "Cursor",
		paths: func(env Env) map[Scope]string {
			return map[Scope]string{
				Project: filepath.Join(env.Project, ".cursor", "mcp.json"),
				User:    filepath.Join(env.Home, ".cursor", "mcp.json"),
			}
		},
		home:   func(env Env) string { return filepath.Join(env.Home, ".cursor") },
		format: jsonServers{container: "mcpServers", entry: stdioEntry},
	}
}
