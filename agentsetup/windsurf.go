package agentsetup

import "path/filepath"

// windsurf is Windsurf (Cascade). It reads servers from one file for the
// user, ~/.codeium/windsurf/mcp_config.json (%USERPROFILE% on Windows),
// under "mcpServers", each as {"command": …, "args": […]}, and has no
// project file. Windsurf has no command line to check against here;
// testdata/schema/windsurf.json holds the documented shape and the golden
// tests validate every file written against it.
func windsurf() *Client {
	return &Client{
		Name:  "windsurf",
		Title: "Windsurf",
		paths: func(env Env) map[Scope]string {
			return map[Scope]string{
				User: filepath.Join(env.Home, ".codeium", "windsurf", "mcp_config.json"),
			}
		},
		home:   func(env Env) string { return filepath.Join(env.Home, ".codeium", "windsurf") },
		format: jsonServers{container: "mcpServers", entry: commandEntry},
		notes: map[Scope]string{
			User: "Windsurf loads the change when you refresh its MCP servers (Cascade's MCP panel) or restart it.",
		},
	}
}
