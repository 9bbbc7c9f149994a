package agentsetup

import "path/filepath"

// gemini is Gemini CLI. A project's servers are in .gemini/settings.json
// of the directory it starts in, a user's in ~/.gemini/settings.json
// ($GEMINI_CLI_HOME/.gemini when that is set), under "mcpServers", each
// as {"command": …, "args": […]}; the file may hold comments (it is read
// through strip-json-comments). Checked against the npm package
// @google/gemini-cli 0.61.0: `gemini mcp add` writes that shape, and
// `gemini mcp list` shows what init writes connected, once the folder is
// trusted (realclient_test.go). In a folder not trusted, Gemini CLI starts
// no server at all, the user's included.
func gemini() *Client {
	return &Client{
		Name:  "gemini",
		Title: "Gemini CLI",
		paths: func(env Env) map[Scope]string {
			return map[Scope]string{
				Project: filepath.Join(env.Project, ".gemini", "settings.json"),
				User:    filepath.Join(orHome(env, "GEMINI_CLI_HOME", ""), ".gemini", "settings.json"),
			}
		},
		home:   func(env Env) string { return filepath.Join(orHome(env, "GEMINI_CLI_HOME", ""), ".gemini") },
		format: jsonServers{container: "mcpServers", entry: commandEntry},
		notes: map[Scope]string{
			Project: "Gemini CLI starts MCP servers only in a folder you trust (it asks at its first start here).",
			User:    "Gemini CLI starts MCP servers only in folders you trust (it asks at its first start in each).",
		},
	}
}
