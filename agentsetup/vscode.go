package agentsetup

import "path/filepath"

// vscode is VS Code (Copilot's agent mode). A workspace's servers are in
// .vscode/mcp.json, a user's in mcp.json of the default profile's user
// directory (~/.config/Code/User on Linux, or $XDG_CONFIG_HOME/Code/User;
// ~/Library/Application Support/Code/User on macOS; %APPDATA%\Code\User on
// Windows; $VSCODE_APPDATA/Code/User when that is set), under "servers"
// (not "mcpServers"), each as {"type": "stdio", "command": …, "args": […]},
// type being required. The files are JSONC: comments and trailing commas
// are allowed and kept. VS Code's MCP configuration reference documents
// these places and fields; testdata/schema/vscode.json holds that shape and
// the golden tests validate every file written against it.
func vscode() *Client {
	return &Client{
		Name:  "vscode",
		Title: "VS Code",
		paths: func(env Env) map[Scope]string {
			return map[Scope]string{
				Project: filepath.Join(env.Project, ".vscode", "mcp.json"),
				User:    filepath.Join(vscodeUserDir(env), "mcp.json"),
			}
		},
		home:   vscodeUserDir,
		format: jsonServers{container: "servers", entry: stdioEntry},
	}
}

// vscodeUserDir is the directory of VS Code's default user profile.
func vscodeUserDir(env Env) string {
	base := env.getenv("VSCODE_APPDATA")
	if base == "" {
		base = userConfigDir(env)
	}
	return filepath.Join(base, "Code", "User")
}
