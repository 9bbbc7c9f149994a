package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
)

// fakeSource is a Source over a map of variables and a working directory.
func fakeSource(env map[string]string, wd string) Source {
	return Source{
		Getenv:   func(k string) string { return env[k] },
		Getwd:    func() (string, error) { return wd, nil },
		Hostname: func() (string, error) { return "box", nil },
		Username: func() (string, error) { return "acct", nil },
		Home: func() (string, error) {
			if env["HOME"] == "" {
				return "", errors.New("no home")
			}
			return env["HOME"], nil
		},
	}
}

func hash8(path string) string {
	sum := sha256.Sum256([]byte(path))
	return hex.EncodeToString(sum[:])[:8]
}

func TestResolve(t *testing.T) {
	tmp, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(tmp, "my.repo")
	sub := filepath.Join(repo, "a", "b")
	plain := filepath.Join(tmp, "plain")
	for _, d := range []string{filepath.Join(repo, ".git"), sub, plain} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	repoSlug := "my_repo-" + hash8(repo)
	plainSlug := "plain-" + hash8(plain)

	tests := []struct {
		name     string
		env      map[string]string
		wd, flag string
		wantFile string
		wantFrom string // a substring of DirFrom
		wantNS   string
		wantAg   string
	}{
		{
			name: "the --data flag wins over every variable",
			env:  map[string]string{"TASKDATA": "/td", "TASKDATA_ROOT": "/root", "XDG_DATA_HOME": "/xdg", "HOME": "/home/u"},
			wd:   sub, flag: "/flag",
			wantFile: "/flag/backlog.db", wantFrom: "--data",
		},
		{
			name:     "TASKDATA wins over TASKDATA_ROOT and XDG_DATA_HOME",
			env:      map[string]string{"TASKDATA": "/td", "TASKDATA_ROOT": "/root", "XDG_DATA_HOME": "/xdg"},
			wd:       sub,
			wantFile: "/td/backlog.db", wantFrom: "TASKDATA",
		},
		{
			name:     "TASKDATA_ROOT gets the slug of the git root above the working directory",
			env:      map[string]string{"TASKDATA_ROOT": "/root", "XDG_DATA_HOME": "/xdg"},
			wd:       sub,
			wantFile: "/root/" + repoSlug + "/backlog.db", wantFrom: "TASKDATA_ROOT and the slug of the git root " + repo,
		},
		{
			name:     "XDG_DATA_HOME holds backlog/projects/<slug>",
			env:      map[string]string{"XDG_DATA_HOME": "/xdg", "HOME": "/home/u"},
			wd:       repo,
			wantFile: "/xdg/backlog/projects/" + repoSlug + "/backlog.db", wantFrom: "XDG_DATA_HOME",
		},
		{
			name:     "without XDG_DATA_HOME the default is ~/.local/share",
			env:      map[string]string{"HOME": "/home/u"},
			wd:       repo,
			wantFile: "/home/u/.local/share/backlog/projects/" + repoSlug + "/backlog.db", wantFrom: "default",
		},
		{
			name:     "a relative XDG_DATA_HOME is ignored, as the XDG spec says",
			env:      map[string]string{"HOME": "/home/u", "XDG_DATA_HOME": "rel"},
			wd:       repo,
			wantFile: "/home/u/.local/share/backlog/projects/" + repoSlug + "/backlog.db", wantFrom: "default",
		},
		{
			name:     "outside git the working directory gives the slug",
			env:      map[string]string{"TASKDATA_ROOT": "/root"},
			wd:       plain,
			wantFile: "/root/" + plainSlug + "/backlog.db", wantFrom: "the slug of the working directory " + plain,
		},
		{
			name:     "a namespace gets a file of its own",
			env:      map[string]string{"TASKDATA": "/td", "BACKLOG_NAMESPACE": "team_A-1"},
			wd:       sub,
			wantFile: "/td/backlog-team_A-1.db", wantFrom: "TASKDATA", wantNS: "team_A-1",
		},
		{
			name:     "the automatic namespace is the git root's slug",
			env:      map[string]string{"TASKDATA": "/td", "BACKLOG_AUTO_NAMESPACE": "true"},
			wd:       sub,
			wantFile: "/td/backlog-" + repoSlug + ".db", wantFrom: "TASKDATA", wantNS: repoSlug,
		},
		{
			name:     "BACKLOG_NAMESPACE wins over the automatic namespace",
			env:      map[string]string{"TASKDATA": "/td", "BACKLOG_AUTO_NAMESPACE": "1", "BACKLOG_NAMESPACE": "x"},
			wd:       sub,
			wantFile: "/td/backlog-x.db", wantFrom: "TASKDATA", wantNS: "x",
		},
		{
			name:     "BACKLOG_AGENT_ID names the agent",
			env:      map[string]string{"TASKDATA": "/td", "BACKLOG_AGENT_ID": "planner", "USER": "u"},
			wd:       sub,
			wantFile: "/td/backlog.db", wantFrom: "TASKDATA", wantAg: "planner",
		},
		{
			name:     "the agent defaults to $USER@host",
			env:      map[string]string{"TASKDATA": "/td", "USER": "u"},
			wd:       sub,
			wantFile: "/td/backlog.db", wantFrom: "TASKDATA", wantAg: "u@box",
		},
		{
			name:     "without $USER the account name is used",
			env:      map[string]string{"TASKDATA": "/td"},
			wd:       sub,
			wantFile: "/td/backlog.db", wantFrom: "TASKDATA", wantAg: "acct@box",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Resolve(fakeSource(tt.env, tt.wd), Flags{Data: tt.flag})
			if err != nil {
				t.Fatal(err)
			}
			if c.File != tt.wantFile {
				t.Errorf("File = %q, want %q", c.File, tt.wantFile)
			}
			if !strings.Contains(c.DirFrom, tt.wantFrom) {
				t.Errorf("DirFrom = %q, want it to contain %q", c.DirFrom, tt.wantFrom)
			}
			if c.Namespace != tt.wantNS {
				t.Errorf("Namespace = %q, want %q", c.Namespace, tt.wantNS)
			}
			if tt.wantAg != "" && c.Agent != tt.wantAg {
				t.Errorf("Agent = %q, want %q", c.Agent, tt.wantAg)
			}
		})
	}
}

func TestResolveRejects(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"a namespace with a path in it", map[string]string{"TASKDATA": "/td", "BACKLOG_NAMESPACE": "../x"},
			`BACKLOG_NAMESPACE must be 1 to 64 letters, digits, '_' or '-', got "../x"`},
		{"a namespace with a space", map[string]string{"TASKDATA": "/td", "BACKLOG_NAMESPACE": "a b"},
			`BACKLOG_NAMESPACE must be 1 to 64 letters, digits, '_' or '-', got "a b"`},
		{"a namespace of 65 bytes", map[string]string{"TASKDATA": "/td", "BACKLOG_NAMESPACE": strings.Repeat("a", 65)},
			"BACKLOG_NAMESPACE must be 1 to 64"},
		{"an automatic namespace that is not a boolean", map[string]string{"TASKDATA": "/td", "BACKLOG_AUTO_NAMESPACE": "maybe"},
			`BACKLOG_AUTO_NAMESPACE must be true or false, got "maybe"`},
		{"an agent id with a control character", map[string]string{"TASKDATA": "/td", "BACKLOG_AGENT_ID": "a\x01b"},
			"BACKLOG_AGENT_ID: agent id"},
		{"no home and no variable to place the backlog", map[string]string{},
			"cannot find the home directory: set HOME, XDG_DATA_HOME, TASKDATA_ROOT or TASKDATA"},
		{"a busy timeout that is not a duration", map[string]string{"TASKDATA": "/td", "BACKLOG_BUSY_TIMEOUT": "10"},
			`BACKLOG_BUSY_TIMEOUT must be a duration from 1ms to 1h such as 10s or 500ms, got "10"`},
		{"a busy timeout of nothing", map[string]string{"TASKDATA": "/td", "BACKLOG_BUSY_TIMEOUT": "0s"},
			`BACKLOG_BUSY_TIMEOUT must be a duration from 1ms to 1h such as 10s or 500ms, got "0s"`},
		{"a busy timeout over an hour", map[string]string{"TASKDATA": "/td", "BACKLOG_BUSY_TIMEOUT": "2h"},
			`BACKLOG_BUSY_TIMEOUT must be a duration from 1ms to 1h`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Resolve(fakeSource(tt.env, t.TempDir()), Flags{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if !errors.Is(err, backlog.ErrInvalid) {
				t.Errorf("err = %v, want an ErrInvalid", err)
			}
		})
	}
}

// TestDirGivenAndBusyTimeout: which directories the user named (a read of a
// missing one is then a typo), and how long writes wait for a lock.
func TestDirGivenAndBusyTimeout(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		name      string
		env       map[string]string
		flag      string
		wantGiven bool
		wantBusy  time.Duration
	}{
		{"--data names the directory", map[string]string{"HOME": home}, "/d", true, 0},
		{"TASKDATA names the directory", map[string]string{"TASKDATA": "/td"}, "", true, 0},
		{"TASKDATA_ROOT only roots a derived one", map[string]string{"TASKDATA_ROOT": "/root"}, "", false, 0},
		{"the default place is derived", map[string]string{"HOME": home}, "", false, 0},
		{"a busy timeout in milliseconds", map[string]string{"TASKDATA": "/td", "BACKLOG_BUSY_TIMEOUT": "250ms"}, "", true, 250 * time.Millisecond},
		{"a busy timeout with spaces around", map[string]string{"TASKDATA": "/td", "BACKLOG_BUSY_TIMEOUT": " 1m "}, "", true, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Resolve(fakeSource(tt.env, t.TempDir()), Flags{Data: tt.flag})
			if err != nil {
				t.Fatal(err)
			}
			if c.DirGiven != tt.wantGiven || c.BusyTimeout != tt.wantBusy {
				t.Errorf("DirGiven %v, BusyTimeout %v; want %v, %v", c.DirGiven, c.BusyTimeout, tt.wantGiven, tt.wantBusy)
			}
		})
	}
}

func TestValidNamespaceAcceptsTheWholeAlphabet(t *testing.T) {
	for _, ns := range []string{"a", "Z", "0", "_", "-", "abcXYZ019_-", strings.Repeat("n", 64)} {
		if err := ValidNamespace(ns); err != nil {
			t.Errorf("ValidNamespace(%q) = %v", ns, err)
		}
	}
	for _, ns := range []string{"", ".", "a/b", "a.b", "é", "a\x00", strings.Repeat("n", 65)} {
		if err := ValidNamespace(ns); err == nil {
			t.Errorf("ValidNamespace(%q) = nil, want an error", ns)
		}
	}
}

func TestSlugIsAlwaysAValidNamespace(t *testing.T) {
	for _, p := range []string{"/", "/a/b", "/x/my repo", "/x/ünïcode", "/x/" + strings.Repeat("long", 40), "/x/a.b.c"} {
		s := Slug(p)
		if err := ValidNamespace(s); err != nil {
			t.Errorf("Slug(%q) = %q, not a namespace: %v", p, s, err)
		}
		if !strings.HasSuffix(s, "-"+hash8(p)) {
			t.Errorf("Slug(%q) = %q, want the hash %s at the end", p, s, hash8(p))
		}
	}
	if got := Slug("/work/backlog"); got != "backlog-"+hash8("/work/backlog") {
		t.Errorf("Slug(/work/backlog) = %q", got)
	}
}

func TestFindGitRoot(t *testing.T) {
	tmp := t.TempDir()
	deep := filepath.Join(tmp, "wt", "x", "y")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if r, ok := FindGitRoot(deep); ok {
		t.Skipf("the temporary directory is inside the git repository %s", r)
	}
	// A .git file, as in worktrees and submodules, marks a root too.
	if err := os.WriteFile(filepath.Join(tmp, "wt", ".git"), []byte("gitdir: /elsewhere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, ok := FindGitRoot(deep)
	if !ok || got != filepath.Join(tmp, "wt") {
		t.Errorf("FindGitRoot = %q, %v; want %q", got, ok, filepath.Join(tmp, "wt"))
	}
}

func TestClock(t *testing.T) {
	t.Run("BACKLOG_NOW fixes the clock", func(t *testing.T) {
		clock, err := Clock(func(string) string { return "2026-11-18T10:00:00Z" })
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC); !clock().Equal(want) {
			t.Errorf("clock() = %v, want %v", clock(), want)
		}
	})
	t.Run("a BACKLOG_NOW that is not RFC 3339 is bad input", func(t *testing.T) {
		_, err := Clock(func(string) string { return "tomorrow" })
		if !errors.Is(err, backlog.ErrInvalid) {
			t.Errorf("err = %v, want an ErrInvalid", err)
		}
	})
	t.Run("without BACKLOG_NOW the clock runs", func(t *testing.T) {
		clock, err := Clock(func(string) string { return "" })
		if err != nil || time.Since(clock()) > time.Minute {
			t.Errorf("clock() = %v, %v", clock(), err)
		}
	})
}
