package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agent-backlog/backlog/config"
)

// completionScript is `backlog completion SHELL`, run in process.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	status := Run(context.Background(), []string{"completion", shell}, Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Config: config.Source{Getenv: func(string) string { return "" }, Getwd: func() (string, error) { return "/", nil }},
	})
	if status != 0 {
		t.Fatalf("completion %s: status %d: %s", shell, status, errOut.String())
	}
	return out.String()
}

// TestBashCompletesTasksmd runs the bash script's function on command
// lines and checks the candidates it offers.
func TestBashCompletesTasksmd(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "tree"), 0o755)
	os.WriteFile(filepath.Join(dir, "tasks-notes.md"), nil, 0o644)
	script := filepath.Join(dir, "backlog.bash")
	if err := os.WriteFile(script, []byte(completionScript(t, "bash")), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, line, want string
	}{
		{"the subcommands after tasksmd", "backlog tasksmd ", "lint parse pick list stats claim unclaim complete add init"},
		{"the subcommands after the alias tasks, by prefix", "backlog tasks p", "parse pick"},
		{"a subcommand's own flags only", "backlog tasksmd lint --f", "--fix"},
		{"pick's flags", "backlog tasksmd pick --a", "--agent"},
		{"files for lint", "backlog tasksmd lint tasks-", "tasks-notes.md"},
		{"directories after --dir", "backlog tasksmd pick --dir t", "tree"},
		{"no backlog ids for a TASKS.md query", "backlog tasksmd claim ", ""},
		{"doc's subcommands as before", "backlog doc ", "write read edit delete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			words := strings.Split(tt.line, " ")
			prog := `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); ` +
				`COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}; _backlog; echo "${COMPREPLY[*]}"`
			cmd := exec.Command("bash", append([]string{"-c", prog, "bash", script}, words...)...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH=/usr/bin:/bin") // no backlog to ask
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("bash: %v: %s", err, out)
			}
			got := strings.TrimSpace(string(out))
			if !strings.HasPrefix(got, tt.want) || (tt.want == "" && got != "") {
				t.Errorf("completing %q offered %q, want %q", tt.line, got, tt.want)
			}
		})
	}
}

// TestCompletionScriptsOfferTasksmd checks each shell's script knows the
// tasksmd subcommands and their flags, and that the shell reads it.
func TestCompletionScriptsOfferTasksmd(t *testing.T) {
	tests := []struct {
		shell string
		want  []string
	}{
		{"bash", []string{"tasksmd|tasks)", `        tasksmd-lint) echo '--help --json --data --database-url --fix' ;;`}},
		{"zsh", []string{"'lint:Check TASKS.md files against the convention (the CI step)'", "        pick) flags=(--help --json --data --database-url --dir --agent --tags --claim) ;;"}},
		{"fish", []string{"complete -c backlog -n '__fish_seen_subcommand_from tasksmd tasks; and not __fish_seen_subcommand_from lint parse pick",
			"complete -c backlog -n '__fish_seen_subcommand_from tasksmd tasks; and __fish_seen_subcommand_from pick' -l agent -r -d ",
			"complete -c backlog -n '__fish_seen_subcommand_from tasksmd tasks; and __fish_seen_subcommand_from lint parse' -F"}},
	}
	for _, tt := range tests {
		t.Run("the "+tt.shell+" script completes tasksmd", func(t *testing.T) {
			script := completionScript(t, tt.shell)
			for _, w := range tt.want {
				if !strings.Contains(script, w) {
					t.Errorf("the script lacks %q", w)
				}
			}
			if _, err := exec.LookPath(tt.shell); err != nil {
				return
			}
			path := filepath.Join(t.TempDir(), "backlog."+tt.shell)
			os.WriteFile(path, []byte(script), 0o644)
			if out, err := exec.Command(tt.shell, "-n", path).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v: %s", tt.shell, err, out)
			}
		})
	}
}
