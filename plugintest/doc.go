// Package plugintest holds the acceptance tests of the Claude Code plugin
// (.claude-plugin/ and plugin/ at the repository's root); it has no code of
// its own.
//
// Without any tool, the tests read the plugin's files: the manifests point
// at files that exist, the hooks run `backlog hook EVENT` for the events the
// hook package answers, and every skill and agent names only tools the MCP
// server lists (asked in-process, over stdio, as Claude Code asks), with
// arguments those tools take, filters that parse, and subcommands the CLI
// has.
//
// With the claude CLI (npm @anthropic-ai/claude-code) on PATH, they also run
// its validator (claude plugin validate --strict) and install the plugin
// from the repository's marketplace into a scratch home, built backlog on
// PATH, to see `claude mcp list` report the server connected. Without it
// those tests skip, saying so, unless BACKLOG_REQUIRE_CLAUDE=1 (set by
// .ci/run), when they fail.
package plugintest
