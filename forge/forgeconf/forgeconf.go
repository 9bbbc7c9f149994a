// Package forgeconf reads forges.toml: the names of the status labels the
// mirror sets on an issue, which forge username each agent id stands for,
// and whether done closes the issue and annotations become comments, for
// every repository or for one.
//
// The file (every key is optional; the values shown for labels are the
// defaults):
//
//	# defaults for every repository
//	close_on_done = false        # done also closes the issue
//	comment_annotations = false  # annotations are posted as comments
//	[labels]                      # the status labels
//	todo = "To Do"
//	doing = "Doing"
//	done = "Done"
//	[agents]                      # agent id = forge username
//	backend = "octo-bot"
//
//	["github.com/acme/app"]       # one repository: host/project, or just "acme/app" for any host
//	close_on_done = true
//	agents = {frontend = "octo-ui"}
//	labels = {doing = "in progress"}
//
// A repository's section overrides the defaults key by key; its agents are
// added to the default ones (an agent named in both takes the section's
// username). Host and project match without case, as the forges compare
// them. When both a "host/project" and a "project" section match, the
// first is laid over the second.
//
// Where the file is: see Find. No file means the defaults above, with every
// agent id its own username.
package forgeconf

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/internal/oserr"
)

// The default status labels.
const (
	DefaultToDo  = "To Do"
	DefaultDoing = "Doing"
	DefaultDone  = "Done"
)

// Labels are the names of the status labels on one repository's issues.
type Labels struct {
	ToDo, Doing, Done string
}

// Repo is the configuration of one repository: the defaults with its own
// section laid over them.
type Repo struct {
	Labels Labels
	// Agents maps agent ids to forge usernames. It is the Repo's own copy.
	Agents             map[string]string
	CloseOnDone        bool // done also closes the issue
	CommentAnnotations bool // annotations are posted as comments
}

// Username is the forge username of an agent: the mapped one, or the agent
// id itself.
func (r Repo) Username(agent string) string {
	if u, ok := r.Agents[agent]; ok {
		return u
	}
	return agent
}

// Agent is the agent id a forge username stands for: the agent mapped to it
// (usernames compared without case, as the forges do), or the username
// itself.
func (r Repo) Agent(username string) string {
	for a, u := range r.Agents {
		if strings.EqualFold(u, username) {
			return a
		}
	}
	return username
}

// File is a loaded forges.toml. The nil *File is no file: the defaults.
type File struct {
	// Path is where the file was read from; "" for the defaults.
	Path     string
	defaults section
	repos    map[string]section // by lower-cased name
}

// section is one table of the file: the top level or a repository's. A nil
// field is one the table does not set.
type section struct {
	CloseOnDone        *bool             `toml:"close_on_done"`
	CommentAnnotations *bool             `toml:"comment_annotations"`
	Labels             labelsSection     `toml:"labels"`
	Agents             map[string]string `toml:"agents"`
}

type labelsSection struct {
	ToDo  *string `toml:"todo"`
	Doing *string `toml:"doing"`
	Done  *string `toml:"done"`
}

// For returns the configuration of the repository project on host.
func (f *File) For(host, project string) Repo {
	r := Repo{
		Labels: Labels{ToDo: DefaultToDo, Doing: DefaultDoing, Done: DefaultDone},
		Agents: map[string]string{},
	}
	if f == nil {
		return r
	}
	r.apply(f.defaults)
	project = strings.ToLower(strings.Trim(project, "/"))
	if s, ok := f.repos[project]; ok {
		r.apply(s)
	}
	if s, ok := f.repos[strings.ToLower(host)+"/"+project]; ok && host != "" {
		r.apply(s)
	}
	return r
}

// apply lays a section over r, key by key.
func (r *Repo) apply(s section) {
	if s.CloseOnDone != nil {
		r.CloseOnDone = *s.CloseOnDone
	}
	if s.CommentAnnotations != nil {
		r.CommentAnnotations = *s.CommentAnnotations
	}
	for _, l := range []struct {
		dst *string
		src *string
	}{{&r.Labels.ToDo, s.Labels.ToDo}, {&r.Labels.Doing, s.Labels.Doing}, {&r.Labels.Done, s.Labels.Done}} {
		if l.src != nil {
			*l.dst = *l.src
		}
	}
	maps.Copy(r.Agents, s.Agents)
}

// Find says which forges.toml applies: the file BACKLOG_FORGES names if it
// is set (it must exist); else <root>/.backlog/forges.toml, root being the
// git root (config.Config.Root; "" for none); else
// $XDG_CONFIG_HOME/backlog/forges.toml (~/.config when XDG_CONFIG_HOME is
// unset or not absolute). The first that exists is the one; "" when none
// does. home may fail: there is then no user-wide file.
func Find(getenv func(string) string, home func() (string, error), root string) (string, error) {
	if p := getenv("BACKLOG_FORGES"); p != "" {
		ok, err := exists(p)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", backlog.Invalidf("BACKLOG_FORGES names %s, which does not exist", p)
		}
		return p, nil
	}
	var candidates []string
	if root != "" {
		candidates = append(candidates, filepath.Join(root, ".backlog", "forges.toml"))
	}
	if dir := getenv("XDG_CONFIG_HOME"); filepath.IsAbs(dir) {
		candidates = append(candidates, filepath.Join(dir, "backlog", "forges.toml"))
	} else if h, err := home(); err == nil && h != "" {
		candidates = append(candidates, filepath.Join(h, ".config", "backlog", "forges.toml"))
	}
	for _, p := range candidates {
		ok, err := exists(p)
		if err != nil {
			return "", err
		}
		if ok {
			return p, nil
		}
	}
	return "", nil
}

// exists reports whether path is there; a path the machine will not let us
// look at is an environment failure, not an absent file.
func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fileError(path, err)
}

func fileError(path string, err error) error {
	cause := oserr.Cause(err)
	var pe *fs.PathError
	switch {
	case cause != "":
	case errors.Is(err, fs.ErrNotExist):
		cause = "it does not exist"
	case errors.As(err, &pe):
		cause = pe.Err.Error()
	default:
		cause = err.Error()
	}
	return backlog.Environmentf(err, "cannot read %s: %s", path, cause)
}

// Load reads the file at path; "" means no file, and gives the defaults.
// A file that is not valid, names a key this package does not know, or maps
// two agents to one username is refused in one sentence naming the path
// (and the line, where the reader knows it).
func Load(path string) (*File, error) {
	if path == "" {
		return &File{}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	return Parse(path, data)
}

// Parse reads a file's content; path names it in errors.
func Parse(path string, data []byte) (*File, error) {
	// Two passes. The first finds the repository sections: tables at the
	// top level whose names hold a slash. The second decodes strictly into
	// a struct made for this file, the defaults' fields plus one field per
	// section, so that the decoder itself reports every unknown key, with
	// its line, wherever it is.
	var loose map[string]any
	if err := toml.Unmarshal(data, &loose); err != nil {
		return nil, decodeError(path, err, nil)
	}
	var names []string
	for _, k := range slices.Sorted(maps.Keys(loose)) {
		if _, table := loose[k].(map[string]any); table && strings.Contains(k, "/") {
			if strings.Trim(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/") != "" {
				return nil, backlog.Invalidf("%s: the section %q cannot name a repository: use host/owner/repo or owner/repo", path, k)
			}
			names = append(names, k)
		}
	}
	fields := reflect.VisibleFields(reflect.TypeFor[section]())
	for i := range fields {
		fields[i].Index, fields[i].Offset = nil, 0
	}
	for i, name := range names {
		fields = append(fields, reflect.StructField{
			Name: "Repo" + strconv.Itoa(i),
			Type: reflect.TypeFor[section](),
			Tag:  reflect.StructTag(`toml:` + strconv.Quote(name)),
		})
	}
	v := reflect.New(reflect.StructOf(fields)).Elem()
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v.Addr().Interface()); err != nil {
		return nil, decodeError(path, err, loose)
	}
	f := &File{Path: path, repos: map[string]section{}}
	n := reflect.TypeFor[section]().NumField()
	for i := range n {
		reflect.ValueOf(&f.defaults).Elem().Field(i).Set(v.Field(i))
	}
	if err := f.defaults.check(path, "the defaults"); err != nil {
		return nil, err
	}
	for i, name := range names {
		s := v.Field(n + i).Interface().(section)
		key := strings.ToLower(strings.Trim(name, "/"))
		if _, dup := f.repos[key]; dup {
			return nil, backlog.Invalidf("%s: two sections name the repository %q: keep one", path, name)
		}
		if err := s.check(path, strconv.Quote(name)); err != nil {
			return nil, err
		}
		f.repos[key] = s
	}
	if err := f.checkUsernames(); err != nil {
		return nil, err
	}
	return f, nil
}

// check refuses empty names: an empty label or username is a mistake that
// would otherwise surface only as a failed push.
func (s section) check(path, where string) error {
	for _, l := range []struct {
		key string
		v   *string
	}{{"todo", s.Labels.ToDo}, {"doing", s.Labels.Doing}, {"done", s.Labels.Done}} {
		if l.v != nil && strings.TrimSpace(*l.v) == "" {
			return backlog.Invalidf("%s: in %s, the label %s is empty: name the label", path, where, l.key)
		}
	}
	for a, u := range s.Agents {
		if strings.TrimSpace(a) == "" || strings.TrimSpace(u) == "" {
			return backlog.Invalidf("%s: in %s, agents maps %q to %q: both the agent id and the username must be given", path, where, a, u)
		}
	}
	return nil
}

// checkUsernames refuses two agents with one username in any repository's
// configuration, since a username must lead back to one agent.
func (f *File) checkUsernames() error {
	for _, name := range append([]string{""}, slices.Sorted(maps.Keys(f.repos))...) {
		agents := maps.Clone(f.defaults.Agents)
		if agents == nil {
			agents = map[string]string{}
		}
		where := "the defaults"
		if name != "" {
			maps.Copy(agents, f.repos[name].Agents)
			where = strconv.Quote(name)
		}
		seen := map[string]string{}
		for _, a := range slices.Sorted(maps.Keys(agents)) {
			u := strings.ToLower(agents[a])
			if other, dup := seen[u]; dup {
				return backlog.Invalidf("%s: in %s, agents %q and %q both map to the username %q: a username must stand for one agent", f.Path, where, other, a, agents[a])
			}
			seen[u] = a
		}
	}
	return nil
}

// decodeError turns the TOML reader's error into one sentence with the path
// and line. top is the file read loosely, to tell a misnamed section from a
// misspelled key.
func decodeError(path string, err error, top map[string]any) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		first := strict.Errors[0]
		for _, e := range strict.Errors[1:] {
			if r, _ := e.Position(); r < line(first) {
				first = e
			}
		}
		key := first.Key()
		msg := fmt.Sprintf("unknown key %q", key[len(key)-1])
		if _, table := top[key[0]].(map[string]any); table && len(key) == 1 {
			msg += ` (a repository's section is named like "github.com/acme/app" or "acme/app")`
		}
		return backlog.Invalidf("%s:%d: %s", path, line(first), msg)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		return backlog.Invalidf("%s:%d: %s", path, line(*de), decodeMessage(de))
	}
	return backlog.Invalidf("%s: %s", path, strings.TrimPrefix(err.Error(), "toml: "))
}

func line(e toml.DecodeError) int {
	r, _ := e.Position()
	return r
}

// decodeMessage says what a key wanted when its value has the wrong type,
// in the file's words rather than the Go types'.
func decodeMessage(de *toml.DecodeError) string {
	msg := strings.TrimPrefix(de.Error(), "toml: ")
	if !strings.HasPrefix(msg, "cannot decode") && !strings.Contains(msg, "cannot store") {
		return msg
	}
	key := de.Key()
	if len(key) == 0 {
		return msg
	}
	last := key[len(key)-1]
	if slices.Contains(key[:len(key)-1], "agents") {
		last = "agents" // a username of the table
	}
	switch last {
	case "close_on_done", "comment_annotations":
		return last + " must be true or false"
	case "labels":
		return `labels must be a table such as {doing = "in progress"}, each label a quoted name`
	case "agents":
		return `agents must be a table such as {backend = "octo-bot"}, each username in quotes`
	case "todo", "doing", "done":
		return "the label " + last + " must be a quoted name"
	}
	if len(key) == 1 {
		return strconv.Quote(last) + " must be a table of settings for that repository"
	}
	return msg
}
