package version

import (
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOf(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want Info
	}{
		{"no build record at all is (devel)", nil, Info{Version: Devel}},
		{"a test binary, with no main module version, is (devel)",
			&debug.BuildInfo{GoVersion: "go1.26.8", Settings: settings("GOOS", "linux", "GOARCH", "amd64")},
			Info{Version: Devel, Go: "go1.26.8", OS: "linux", Arch: "amd64"}},
		{"go install @v1.2.0 gives the module version and no commit",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}, Settings: settings("GOOS", "darwin", "GOARCH", "arm64")},
			Info{Version: "v1.2.0", Go: "go1.26.8", OS: "darwin", Arch: "arm64"}},
		{"go build in a modified clone gives a pseudo-version, the commit and modified",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261207175548-a3d10c161ff5+dirty"},
				Settings: settings("vcs", "git", "vcs.revision", "a3d10c161ff525a610834c514af0a32f8d72851a",
					"vcs.time", "2026-12-07T17:55:48Z", "vcs.modified", "true", "GOOS", "windows", "GOARCH", "arm64")},
			Info{Version: "v0.0.0-20261207175548-a3d10c161ff5+dirty", Revision: "a3d10c161ff525a610834c514af0a32f8d72851a",
				Time: "2026-12-07T17:55:48Z", Modified: true, Go: "go1.26.8", OS: "windows", Arch: "arm64"}},
		{"vcs.modified false is not modified",
			&debug.BuildInfo{Main: debug.Module{Version: "v1.0.0"}, Settings: settings("vcs.modified", "false")},
			Info{Version: "v1.0.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Of(tt.bi)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Of (-want +got):\n%s", diff)
			}
			if got.String() != tt.want.Version || got.Named() != (tt.want.Version != Devel) {
				t.Errorf("String %q, Named %v for version %q", got.String(), got.Named(), tt.want.Version)
			}
		})
	}
}

func TestCurrentIsThisTestBinary(t *testing.T) {
	v := Current()
	if v.Version == "" || v.Go == "" || v.OS == "" || v.Arch == "" {
		t.Errorf("Current() = %+v, want a version, the toolchain and the platform", v)
	}
}
