package agentsetup_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The real agents read what `backlog init` writes: the built binary runs
// init in a scratch home and project, then each agent's own command line
// reads the file back. Codex (npm @openai/codex) and Gemini CLI (npm
// @google/gemini-cli) must be on PATH; without them the test skips, saying
// so, unless BACKLOG_REQUIRE_AGENT_CLIS=1 (as .ci/run sets, after
// installing them outside the repository). Claude Code (npm
// @anthropic-ai/claude-code) is checked too when it is on PATH.

// agentTimeout bounds one run of an agent's command: Gemini CLI takes
// about 8 s to start the server and list it on this machine.
const agentTimeout = 2 * time.Minute

func TestRealAgentsReadWhatInitWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real agents' command lines: not with -short")
	}
	clis := map[string]string{}
	var missing []string
	for _, name := range []string{"codex", "gemini", "node"} {
		p, err := exec.LookPath(name)
		if err != nil {
			missing = append(missing, name)
			continue
		}
		clis[name] = p
	}
	if len(missing) > 0 {
		msg := strings.Join(missing, ", ") + " not on PATH: install them with npm install -g @openai/codex @google/gemini-cli (Node.js 20+), or run .ci/run"
		if os.Getenv("BACKLOG_REQUIRE_AGENT_CLIS") == "1" {
			t.Fatalf("BACKLOG_REQUIRE_AGENT_CLIS=1, but %s", msg)
		}
		t.Skip("skipping the real-agent checks: " + msg + " (set BACKLOG_REQUIRE_AGENT_CLIS=1 to fail instead)")
	}
	if p, err := exec.LookPath("claude"); err == nil {
		clis["claude"] = p
	}
	bin := buildBacklog(t)

	t.Run("codex mcp get reads the user's config.toml as a stdio server", func(t *testing.T) {
		s := newScratch(t, bin, clis)
		s.write(".codex/config.toml", "# mine\nmodel = \"o3\"\n\n[mcp_servers.fs]\ncommand = \"npx\" # files\nargs = [\"-y\", \"server-filesystem\"]\n")
		s.backlog("init", "--client", "codex", "--scope", "user")
		checkCodex(t, s.stdout("codex", "mcp", "get", "--json", "backlog"))
		if list := s.stdout("codex", "mcp", "list", "--json"); !strings.Contains(list, `"fs"`) {
			t.Errorf("the other server is gone:\n%s", list)
		}
		if data := s.read(".codex/config.toml"); !strings.HasPrefix(data, "# mine\n") || !strings.Contains(data, `command = "npx" # files`) {
			t.Errorf("the comments are gone:\n%s", data)
		}
	})

	t.Run("codex mcp get reads a trusted project's .codex/config.toml", func(t *testing.T) {
		s := newScratch(t, bin, clis)
		s.backlog("init", "--client", "codex", "--scope", "project")
		s.write(".codex/config.toml", "[projects."+quoteTOML(s.project)+"]\ntrust_level = \"trusted\"\n")
		checkCodex(t, s.stdout("codex", "mcp", "get", "--json", "backlog"))
	})

	t.Run("gemini mcp list shows the project's server connected", func(t *testing.T) {
		s := newScratch(t, bin, clis)
		s.trustGemini()
		s.backlog("init", "--client", "gemini")
		checkGemini(t, s.output("gemini", "mcp", "list"))
	})

	t.Run("gemini mcp list shows the user's server connected, beside a commented one", func(t *testing.T) {
		s := newScratch(t, bin, clis)
		s.trustGemini()
		s.write(".gemini/settings.json", "{\n  // mine\n  \"mcpServers\": {\n    \"other\": {\"command\": \"no-such-server\"} // broken on purpose\n  }\n}\n")
		s.backlog("init", "--client", "gemini", "--scope", "user")
		out := s.output("gemini", "mcp", "list")
		checkGemini(t, out)
		if !strings.Contains(out, "other: no-such-server") {
			t.Errorf("the other server is not listed:\n%s", out)
		}
	})

	t.Run("claude mcp get shows the user's server connected and the project's", func(t *testing.T) {
		if clis["claude"] == "" {
			t.Skip("claude is not on PATH (npm @anthropic-ai/claude-code): not checked")
		}
		s := newScratch(t, bin, clis)
		s.backlog("init", "--client", "claude", "--scope", "user")
		out := s.output("claude", "mcp", "get", "backlog")
		for _, want := range []string{"Scope: User config", "Connected", "Type: stdio", "Command: backlog", "Args: serve"} {
			if !strings.Contains(out, want) {
				t.Errorf("claude mcp get does not say %q:\n%s", want, out)
			}
		}
		s = newScratch(t, bin, clis)
		s.backlog("init", "--client", "claude")
		out = s.output("claude", "mcp", "get", "backlog")
		for _, want := range []string{"Scope: Project config", "Type: stdio", "Command: backlog", "Args: serve"} {
			if !strings.Contains(out, want) {
				t.Errorf("claude mcp get does not say %q:\n%s", want, out)
			}
		}
	})
}

// checkCodex checks `codex mcp get --json backlog`: a stdio server that
// runs backlog serve.
func checkCodex(t *testing.T, out string) {
	t.Helper()
	var got struct {
		Name      string `json:"name"`
		Enabled   bool   `json:"enabled"`
		Transport struct {
			Type    string   `json:"type"`
			Command string   `json:"command"`
			Args    []string `json:"args"`
		} `json:"transport"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("codex mcp get --json: %v\n%s", err, out)
	}
	if got.Name != "backlog" || !got.Enabled || got.Transport.Type != "stdio" || got.Transport.Command != "backlog" ||
		!reflect.DeepEqual(got.Transport.Args, []string{"serve"}) {
		t.Errorf("codex reads %+v from:\n%s", got, out)
	}
}

// checkGemini checks `gemini mcp list`: the server started and answered.
func checkGemini(t *testing.T, out string) {
	t.Helper()
	if !strings.Contains(out, "backlog: backlog serve (stdio) - Connected") {
		t.Errorf("gemini mcp list does not show backlog connected:\n%s", out)
	}
}

// scratch is a home directory and a git project inside it, and the PATH
// an agent runs with: the built backlog first, then the agents and node.
type scratch struct {
	t       *testing.T
	home    string
	project string
	path    string
}

func newScratch(t *testing.T, bin string, clis map[string]string) *scratch {
	home := t.TempDir()
	project := filepath.Join(home, "project")
	if err := os.MkdirAll(filepath.Join(project, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	dirs := []string{filepath.Dir(bin)}
	for _, p := range clis {
		dirs = append(dirs, filepath.Dir(p))
	}
	dirs = append(dirs, "/usr/local/bin", "/usr/bin", "/bin")
	return &scratch{t: t, home: home, project: project, path: strings.Join(dirs, string(os.PathListSeparator))}
}

// run runs a command in the project with the scratch home, and returns
// its standard output and its standard error.
func (s *scratch) run(name string, args ...string) (stdout, stderr string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), agentTimeout)
	defer cancel()
	prog, err := lookIn(name, s.path)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = s.project
	cmd.Env = []string{"HOME=" + s.home, "PATH=" + s.path, "LANG=C.UTF-8", "TERM=dumb", "NO_COLOR=1", "CI=1"}
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String(), errOut.String()
}

// output is what a command printed, both streams (Gemini CLI lists its
// servers on standard error).
func (s *scratch) output(name string, args ...string) string {
	s.t.Helper()
	stdout, stderr := s.run(name, args...)
	return stdout + stderr
}

func (s *scratch) backlog(args ...string) { s.run("backlog", args...) }

// stdout is what a command printed on its standard output.
func (s *scratch) stdout(name string, args ...string) string {
	s.t.Helper()
	stdout, _ := s.run(name, args...)
	return stdout
}

// write writes a file under the scratch home.
func (s *scratch) write(rel, data string) {
	s.t.Helper()
	p := filepath.Join(s.home, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func (s *scratch) read(rel string) string {
	s.t.Helper()
	data, err := os.ReadFile(filepath.Join(s.home, rel))
	if err != nil {
		s.t.Fatal(err)
	}
	return string(data)
}

// trustGemini trusts the project in Gemini CLI's trusted-folders file, as
// answering its prompt would: in a folder not trusted it starts no server.
func (s *scratch) trustGemini() {
	b, _ := json.Marshal(map[string]string{s.project: "TRUST_FOLDER"})
	s.write(".gemini/trustedFolders.json", string(b))
}

// lookIn finds name in the directories of path, not the test's own PATH.
func lookIn(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not in %s", name, path)
}

// quoteTOML quotes a path as a TOML basic string.
func quoteTOML(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// buildBacklog builds the command into a directory of its own.
func buildBacklog(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "backlog")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", bin, "github.com/agent-backlog/backlog/cmd/backlog")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
