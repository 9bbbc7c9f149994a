// Package version says which build of backlog is running, from what the Go
// toolchain records in every binary (runtime/debug.ReadBuildInfo): the
// module version, and the commit it was built from. Nothing here is kept by
// hand, so a version can never be forgotten or stale.
//
// Where the version comes from:
//
//   - go install github.com/agent-backlog/backlog/cmd/backlog@v1.2.0: the
//     module version, v1.2.0 (no commit: the module proxy has no .git);
//   - go build in a git clone (and the release build): a tag such as v1.2.0
//     when the commit has one, else a pseudo-version such as
//     v0.0.0-20261207175548-a3d10c161ff5, with +dirty when files differ
//     from the commit; and the commit's hash and time;
//   - go build with -buildvcs=false, outside git, and test binaries:
//     (devel), which is all the toolchain knows.
package version

import (
	"runtime/debug"
)

// Devel is the version of a build the toolchain could not name.
const Devel = "(devel)"

// Info describes one build. The JSON names are those of `backlog version
// --json`.
type Info struct {
	Version  string `json:"version"`            // v1.2.0, a pseudo-version, or (devel)
	Revision string `json:"revision,omitempty"` // the commit's full hash
	Time     string `json:"time,omitempty"`     // the commit's time, RFC 3339
	Modified bool   `json:"modified,omitempty"` // built with uncommitted changes
	Go       string `json:"go,omitempty"`       // the toolchain, go1.26.8
	OS       string `json:"os,omitempty"`
	Arch     string `json:"arch,omitempty"`
}

// Current is this binary's build.
func Current() Info {
	bi, _ := debug.ReadBuildInfo()
	return Of(bi)
}

// Of reads a build's record; bi may come from another binary
// (debug/buildinfo.ReadFile), or be nil.
func Of(bi *debug.BuildInfo) Info {
	if bi == nil {
		return Info{Version: Devel}
	}
	v := Info{Version: bi.Main.Version, Go: bi.GoVersion}
	if v.Version == "" {
		v.Version = Devel
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		case "GOOS":
			v.OS = s.Value
		case "GOARCH":
			v.Arch = s.Value
		}
	}
	return v
}

// Named reports whether the toolchain named the build: false for (devel).
func (v Info) Named() bool { return v.Version != Devel }

// String is the version alone, as MCP clients see it in serverInfo.
func (v Info) String() string { return v.Version }
