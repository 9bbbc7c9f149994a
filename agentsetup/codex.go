package agentsetup

import "path/filepath"

// codex is OpenAI's Codex CLI. A user's servers are in ~/.codex/config.toml
// ($CODEX_HOME/config.toml when that is set), a project's in
// .codex/config.toml, each as a [mcp_servers.NAME] table with command and
// args. Checked against the npm package @openai/codex 0.169.0: `codex mcp
// add` writes that table to the user's file, and `codex mcp get --json`
// reads what init writes as a stdio server, the project's file only once
// the project is trusted ([projects."DIR"] trust_level = "trusted" in the
// user's file, which Codex asks about at its first start in a project);
// see realclient_test.go.
func codex() *Client {
	return &Client{
		Name:  "codex",
		Title: "Codex",
		paths: func(env Env) map[Scope]string {
			return map[Scope]string{
				Project: filepath.Join(env.Project, ".codex", "config.toml"),
				User:    filepath.Join(orHome(env, "CODEX_HOME", ".codex"), "config.toml"),
			}
		},
		home:   func(env Env) string { return orHome(env, "CODEX_HOME", ".codex") },
		format: tomlServers{},
		notes: map[Scope]string{
			Project: "Codex reads .codex/config.toml only in a project you trust (it asks at its first start here).",
		},
	}
}
