// Package clienttest drives the built `backlog serve` with real MCP clients:
// the official TypeScript SDK over stdio and streamable HTTP (client.mjs),
// the MCP Inspector's CLI, the MCP conformance suite, and a plain shell pipe.
// It holds only tests (clienttest_test.go); `go test ./mcp/clienttest` runs
// them, installing the npm packages of package-lock.json when needed. They
// skip when node and npm are absent, unless BACKLOG_REQUIRE_NODE=1 (as in CI).
package clienttest
