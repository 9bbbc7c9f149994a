package plugintest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// claudeTimeout bounds one run of the claude CLI: the validator takes a
// second or two, an install a few, `mcp list` waits for the server.
const claudeTimeout = 2 * time.Minute

// claudeCLI finds the claude CLI on PATH. Without it the test skips, unless
// BACKLOG_REQUIRE_CLAUDE=1 (as in CI), when it fails.
func claudeCLI(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("claude")
	if err != nil {
		msg := "the claude CLI is not on PATH: install it with npm install @anthropic-ai/claude-code (CI caches it under ~/.cache/backlog-ci)"
		if os.Getenv("BACKLOG_REQUIRE_CLAUDE") == "1" {
			t.Fatal("BACKLOG_REQUIRE_CLAUDE=1, but " + msg)
		}
		t.Skip("skipping: " + msg + " (set BACKLOG_REQUIRE_CLAUDE=1 to fail instead)")
	}
	return bin
}

// scratch is a home of its own for the claude CLI: no account, no settings
// or plugins of the user's, no traffic but to its own children.
type scratch struct {
	claude string
	home   string
	work   string // the working directory of each run
	path   string // PATH
}

func newScratch(t *testing.T, claude string, pathFirst ...string) *scratch {
	t.Helper()
	dir := t.TempDir()
	s := &scratch{claude: claude, home: filepath.Join(dir, "home"), work: filepath.Join(dir, "work")}
	for _, d := range []string{s.home, s.work} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	s.path = strings.Join(append(pathFirst, filepath.Dir(claude), "/usr/local/bin", "/usr/bin", "/bin"), string(os.PathListSeparator))
	return s
}

// run runs the claude CLI with args and returns its combined output and
// exit status.
func (s *scratch) run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), claudeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.claude, args...)
	cmd.Dir = s.work
	cmd.Env = []string{
		"HOME=" + s.home,
		"CLAUDE_CONFIG_DIR=" + filepath.Join(s.home, ".claude"),
		"XDG_DATA_HOME=" + filepath.Join(s.home, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(s.home, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(s.home, "cache"),
		"PATH=" + s.path,
		"TMPDIR=" + os.TempDir(),
		"DISABLE_TELEMETRY=1",
		"DISABLE_ERROR_REPORTING=1",
		"DISABLE_AUTOUPDATER=1",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"NO_COLOR=1",
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("claude %s: %v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil {
		t.Fatalf("claude %s did not finish within %v:\n%s", strings.Join(args, " "), claudeTimeout, out.String())
	}
	status := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("claude %s: %v", strings.Join(args, " "), err)
		}
		status = ee.ExitCode()
	}
	return out.String(), status
}

// TestClaudeValidatesThePlugin runs the official validator, strict (its
// warnings are errors), on the plugin and the marketplace, and checks that
// the plugin directory's review finds the README it asks for.
func TestClaudeValidatesThePlugin(t *testing.T) {
	s := newScratch(t, claudeCLI(t))
	dir := root(t)
	for _, target := range []string{
		filepath.Join(dir, ".claude-plugin", "plugin.json"),
		filepath.Join(dir, ".claude-plugin", "marketplace.json"),
		dir,
	} {
		if out, status := s.run(t, "plugin", "validate", "--strict", target); status != 0 || !strings.Contains(out, "Validation passed") {
			t.Errorf("claude plugin validate --strict %s: exit status %d:\n%s", target, status, out)
		}
	}
	// The directory profile also wants a licence and an icon, which are
	// the project's to choose: only its README findings are checked here.
	out, _ := s.run(t, "plugin", "validate", "--strict", "--profile", "directory", "--json", dir)
	var report struct {
		Directory struct {
			Findings []struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"findings"`
		} `json:"directory"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("the validator's JSON report does not read: %v\n%s", err, out)
	}
	for _, f := range report.Directory.Findings {
		t.Logf("directory profile: %s: %s", f.Code, f.Message)
		if strings.HasPrefix(f.Code, "README") {
			t.Errorf("the plugin directory's review of the README: %s: %s", f.Code, f.Message)
		}
	}
}

// TestMarketplaceInstallConnectsTheServer adds the repository's marketplace
// to a scratch home, installs the plugin from it, and checks that `claude
// mcp list` starts its server, the backlog built from this tree, and
// reports it connected.
func TestMarketplaceInstallConnectsTheServer(t *testing.T) {
	claude := claudeCLI(t)
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "backlog"), "github.com/agent-backlog/backlog/cmd/backlog")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	s := newScratch(t, claude, bin)
	market := marketplaceCopy(t)
	if out, status := s.run(t, "plugin", "marketplace", "add", market); status != 0 {
		t.Fatalf("claude plugin marketplace add: exit status %d:\n%s", status, out)
	}
	if out, status := s.run(t, "plugin", "install", "backlog@agent-backlog"); status != 0 {
		t.Fatalf("claude plugin install: exit status %d:\n%s", status, out)
	}
	out, status := s.run(t, "mcp", "list")
	if status != 0 {
		t.Fatalf("claude mcp list: exit status %d:\n%s", status, out)
	}
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "plugin:backlog:backlog:") {
			line = l
		}
	}
	if !strings.Contains(line, "backlog serve") || !strings.Contains(line, "Connected") {
		t.Errorf("claude mcp list does not show the plugin's server connected:\n%s", out)
	}
	// The server opens the backlog at the first tool call only: listing it
	// created none.
	if _, err := os.Stat(filepath.Join(s.home, "data", "backlog")); err == nil {
		t.Errorf("claude mcp list created a backlog")
	}
}

// marketplaceCopy copies what the marketplace installs (the manifests, the
// plugin's folder and the README) into a directory of its own, so that the
// install copies those and not the build products of a working tree.
func marketplaceCopy(t *testing.T) string {
	t.Helper()
	src, dst := root(t), t.TempDir()
	for _, p := range []string{".claude-plugin", "plugin", "README.md"} {
		err := filepath.WalkDir(filepath.Join(src, p), func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, path)
			if d.IsDir() {
				return os.MkdirAll(filepath.Join(dst, rel), 0o755)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
