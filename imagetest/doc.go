// Package imagetest builds the container image of the repository's
// Dockerfile with podman and runs it as a user would: MCP over stdio with a
// directory mounted at /data, and streamable HTTP with a token on a
// published port. Its tests skip when podman or runc is missing, unless
// BACKLOG_REQUIRE_PODMAN=1 (set by .ci/run), when they fail.
//
// No base image can be pulled where CI runs, so the image is built from the
// Dockerfile's "prebuilt" stage: a static binary built here (CGO off) on the
// stage "base" that users' image is made of too. Users' Docker needs none of the flags
// the tests pass to podman run (runc as the runtime, and explicit ulimits:
// the sandbox has no CAP_SYS_RESOURCE and hybrid cgroups).
package imagetest
