package forgeconf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	backlog "github.com/agent-backlog/backlog"
)

// example is the file of the package doc.
const example = `# defaults for every repository
close_on_done = false        # done also closes the issue
comment_annotations = false  # annotations are posted as comments
[labels]                      # the status labels (these are the defaults)
todo = "To Do"
doing = "Doing"
done = "Done"
[agents]                      # agent id = forge username
backend = "octo-bot"

["github.com/acme/app"]       # one repository: host/project (or just "acme/app" for any host)
close_on_done = true
agents = {frontend = "octo-ui"}
labels = {doing = "in progress"}
`

func parse(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse("forges.toml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

func defaults() Repo {
	return Repo{Labels: Labels{ToDo: "To Do", Doing: "Doing", Done: "Done"}, Agents: map[string]string{}}
}

func TestForLaysTheRepositorySectionOverTheDefaults(t *testing.T) {
	f := parse(t, example)
	for _, tt := range []struct {
		name          string
		host, project string
		want          Repo
	}{
		{"the section's repository gets its keys and both agent maps", "github.com", "acme/app", Repo{
			Labels:      Labels{ToDo: "To Do", Doing: "in progress", Done: "Done"},
			Agents:      map[string]string{"backend": "octo-bot", "frontend": "octo-ui"},
			CloseOnDone: true,
		}},
		{"host and project match without case", "GitHub.com", "Acme/App", Repo{
			Labels:      Labels{ToDo: "To Do", Doing: "in progress", Done: "Done"},
			Agents:      map[string]string{"backend": "octo-bot", "frontend": "octo-ui"},
			CloseOnDone: true,
		}},
		{"the same project on another host gets the defaults", "gitlab.com", "acme/app", Repo{
			Labels: Labels{ToDo: "To Do", Doing: "Doing", Done: "Done"},
			Agents: map[string]string{"backend": "octo-bot"},
		}},
		{"another repository gets the defaults", "github.com", "acme/web", Repo{
			Labels: Labels{ToDo: "To Do", Doing: "Doing", Done: "Done"},
			Agents: map[string]string{"backend": "octo-bot"},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, f.For(tt.host, tt.project)); diff != "" {
				t.Errorf("For(%q, %q) (-want +got):\n%s", tt.host, tt.project, diff)
			}
		})
	}
}

func TestForOnAnyHostAndOnOneHost(t *testing.T) {
	f := parse(t, `
comment_annotations = true
["acme/app"]
close_on_done = true
labels = {todo = "backlog", done = "shipped"}
agents = {backend = "any-host-bot"}
["git.example.com:8443/acme/app"]
comment_annotations = false
labels.done = "released"
agents = {backend = "enterprise-bot"}
`)
	t.Run("a project section applies on every host", func(t *testing.T) {
		got := f.For("github.com", "acme/app")
		want := Repo{
			Labels:             Labels{ToDo: "backlog", Doing: "Doing", Done: "shipped"},
			Agents:             map[string]string{"backend": "any-host-bot"},
			CloseOnDone:        true,
			CommentAnnotations: true,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("a host/project section is laid over the project section", func(t *testing.T) {
		got := f.For("git.example.com:8443", "acme/app")
		want := Repo{
			Labels:      Labels{ToDo: "backlog", Doing: "Doing", Done: "released"},
			Agents:      map[string]string{"backend": "enterprise-bot"},
			CloseOnDone: true,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestNoFileMeansTheDefaults(t *testing.T) {
	f, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]*File{"Load of no path": f, "a nil File": nil, "an empty file": parse(t, "")} {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(defaults(), f.For("github.com", "acme/app")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestForGivesEachCallerItsOwnAgents(t *testing.T) {
	f := parse(t, example)
	r := f.For("github.com", "acme/app")
	r.Agents["intruder"] = "x"
	if _, ok := f.For("github.com", "acme/app").Agents["intruder"]; ok {
		t.Error("a change to one Repo's Agents showed in the next For")
	}
}

func TestUsernameAndAgentMapBothWays(t *testing.T) {
	r := parse(t, example).For("github.com", "acme/app")
	for _, tt := range []struct {
		name string
		got  string
		want string
	}{
		{"a mapped agent has its username", r.Username("backend"), "octo-bot"},
		{"an agent of the section has its username", r.Username("frontend"), "octo-ui"},
		{"an unmapped agent is its own username", r.Username("reviewer"), "reviewer"},
		{"a mapped username leads back to its agent", r.Agent("octo-bot"), "backend"},
		{"usernames compare without case", r.Agent("Octo-UI"), "frontend"},
		{"an unmapped username is its own agent id", r.Agent("alice"), "alice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestParseRefusesABadFileInOneSentence(t *testing.T) {
	for _, tt := range []struct {
		name, src, want string
	}{
		{"an unknown key names the key and its line", "close_on_done = true\n\n[labels]\ntodo = \"x\"\n\n[agents]\ncolse_on_done = \"x\"\n" + `["acme/app"]` + "\ncolse_on_done = true\n",
			`forges.toml:9: unknown key "colse_on_done"`},
		{"an unknown top-level key", "\ncolse_on_done = true\n", `forges.toml:2: unknown key "colse_on_done"`},
		{"an unknown label", "[labels]\ntodo = \"a\"\nreview = \"b\"\n", `forges.toml:3: unknown key "review"`},
		{"an unknown label in a section's inline table", "[\"acme/app\"]\nlabels = {doing = \"a\", reviewing = \"b\"}\n", `forges.toml:2: unknown key "reviewing"`},
		{"a section without a slash is named as a key", "[acme]\nclose_on_done = true\n",
			`forges.toml:1: unknown key "acme" (a repository's section is named like "github.com/acme/app" or "acme/app")`},
		{"a wrong type names what the key wants", "\n\nclose_on_done = \"yes\"\n", `forges.toml:3: close_on_done must be true or false`},
		{"a username that is not text", "[agents]\nbackend = 3\n", `forges.toml:2: agents must be a table such as {backend = "octo-bot"}, each username in quotes`},
		{"a syntax error names the line", "close_on_done = true\nlabels = = 1\n", `forges.toml:2: unexpected character U+003D '=' at start of value`},
		{"a key given twice", "close_on_done = true\nclose_on_done = false\n", `forges.toml:2: key close_on_done is already defined`},
		{"an empty label", "[\"acme/app\"]\nlabels = {done = \"\"}\n", `forges.toml: in "acme/app", the label done is empty: name the label`},
		{"an empty username", "[agents]\nbackend = \" \"\n", `forges.toml: in the defaults, agents maps "backend" to " ": both the agent id and the username must be given`},
		{"a section that cannot name a repository", "[\"acme/app,web\"]\nclose_on_done = true\n", `forges.toml: the section "acme/app,web" cannot name a repository: use host/owner/repo or owner/repo`},
		{"two sections for one repository", "[\"acme/app\"]\n[\"Acme/App\"]\n", `forges.toml: two sections name the repository "acme/app": keep one`},
		{"two agents with one username in a repository", "[agents]\nbackend = \"bot\"\n[\"acme/app\"]\nagents = {frontend = \"BOT\"}\n",
			`forges.toml: in "acme/app", agents "backend" and "frontend" both map to the username "BOT": a username must stand for one agent`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("forges.toml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", f)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			if !errors.Is(err, backlog.ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
		})
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "forges.toml")
	t.Run("a good file", func(t *testing.T) {
		write(t, p, "[agents]\nbackend = \"octo-bot\"\n")
		f, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if f.Path != p || f.For("github.com", "a/b").Username("backend") != "octo-bot" {
			t.Errorf("Load(%s) = %+v", p, f)
		}
	})
	t.Run("a bad file", func(t *testing.T) {
		write(t, p, "bogus = 1\n")
		_, err := Load(p)
		if want := p + `:1: unknown key "bogus"`; err == nil || err.Error() != want {
			t.Errorf("error %v, want %s", err, want)
		}
	})
	t.Run("a missing file is an environment failure", func(t *testing.T) {
		missing := filepath.Join(dir, "none.toml")
		_, err := Load(missing)
		if want := "cannot read " + missing + ": it does not exist"; err == nil || err.Error() != want {
			t.Errorf("error %v, want %s", err, want)
		}
		if !errors.Is(err, backlog.ErrEnvironment) {
			t.Errorf("error %v is not ErrEnvironment", err)
		}
	})
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFindTakesTheFirstFileThatExists(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "repo")
	home := filepath.Join(dir, "home")
	xdg := filepath.Join(dir, "xdg")
	named := filepath.Join(dir, "named.toml")
	inRoot := filepath.Join(root, ".backlog", "forges.toml")
	inXDG := filepath.Join(xdg, "backlog", "forges.toml")
	inHome := filepath.Join(home, ".config", "backlog", "forges.toml")

	type files []string
	for _, tt := range []struct {
		name    string
		files   files
		env     map[string]string
		root    string
		homeErr bool
		want    string
	}{
		{"BACKLOG_FORGES wins over every other file", files{named, inRoot, inXDG}, map[string]string{"BACKLOG_FORGES": named, "XDG_CONFIG_HOME": xdg}, root, false, named},
		{"the git root's file comes next", files{inRoot, inXDG}, map[string]string{"XDG_CONFIG_HOME": xdg}, root, false, inRoot},
		{"the user's file when the root has none", files{inXDG}, map[string]string{"XDG_CONFIG_HOME": xdg}, root, false, inXDG},
		{"no root: the user's file", files{inRoot, inXDG}, map[string]string{"XDG_CONFIG_HOME": xdg}, "", false, inXDG},
		{"XDG_CONFIG_HOME unset: ~/.config", files{inHome}, nil, root, false, inHome},
		{"XDG_CONFIG_HOME relative: ~/.config", files{inHome, inXDG}, map[string]string{"XDG_CONFIG_HOME": "xdg"}, root, false, inHome},
		{"XDG_CONFIG_HOME set: ~/.config is not looked at", files{inHome}, map[string]string{"XDG_CONFIG_HOME": xdg}, root, false, ""},
		{"no file anywhere", nil, map[string]string{"XDG_CONFIG_HOME": xdg}, root, false, ""},
		{"no home directory: no user file, no error", files{inHome}, nil, root, true, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range []string{named, inRoot, inXDG, inHome} {
				os.Remove(p)
			}
			for _, p := range tt.files {
				write(t, p, "")
			}
			getenv := func(k string) string { return tt.env[k] }
			homeFn := func() (string, error) {
				if tt.homeErr {
					return "", errors.New("$HOME is not defined")
				}
				return home, nil
			}
			got, err := Find(getenv, homeFn, tt.root)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Find = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("BACKLOG_FORGES naming a missing file is refused", func(t *testing.T) {
		missing := filepath.Join(dir, "typo.toml")
		_, err := Find(func(k string) string {
			if k == "BACKLOG_FORGES" {
				return missing
			}
			return ""
		}, func() (string, error) { return home, nil }, root)
		if want := "BACKLOG_FORGES names " + missing + ", which does not exist"; err == nil || err.Error() != want {
			t.Errorf("error %v, want %s", err, want)
		}
	})
}

// FuzzParse checks that any file is either read or refused in a sentence
// naming it, and that a file read gives every repository usable labels.
func FuzzParse(f *testing.F) {
	f.Add(example)
	f.Add("[\"a/b,c\"]\nclose_on_done = true\n")
	f.Add("[\"a/\\\"b\"]\nagents = {x = \"y\"}\n")
	f.Add("x.y.z = 1")
	f.Fuzz(func(t *testing.T, src string) {
		file, err := Parse("forges.toml", []byte(src))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "forges.toml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		r := file.For("github.com", "a/b")
		if r.Labels.ToDo == "" || r.Labels.Doing == "" || r.Labels.Done == "" {
			t.Fatalf("empty label in %+v", r)
		}
	})
}
