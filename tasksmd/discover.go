package tasksmd

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// skipDir reports the directories discovery never enters.
func skipDir(name string) bool { return name == ".git" || name == "node_modules" }

// Discover lists every file named TASKS.md under root, skipping .git/ and
// node_modules/, as paths relative to root with "/", sorted byte-wise
// ("TASKS.md" before "packages/api/TASKS.md"). Symbolic links are not
// followed.
func Discover(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == "TASKS.md" && d.Type().IsRegular() {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// ExpandLintPath turns one lint PATH into the files to lint: a file is
// itself; a directory gives its own *.md files and every TASKS.md below it
// (not in .git/ or node_modules/), walked depth-first with the entries of
// each directory in the reference's order (case-insensitive, lower case
// first on a tie). Paths are the argument joined with the found names.
// A PATH that does not exist is an error wrapping fs.ErrNotExist.
func ExpandLintPath(arg string) ([]string, error) {
	st, err := os.Stat(arg)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		if st.Mode().IsRegular() {
			return []string{arg}, nil
		}
		return nil, nil
	}
	var out []string
	var walk func(dir string, top bool) error
	walk = func(dir string, top bool) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		sort.SliceStable(entries, func(i, j int) bool { return localeLess(entries[i].Name(), entries[j].Name()) })
		for _, e := range entries {
			name := e.Name()
			p := joinPath(dir, name)
			switch {
			case skipDir(name):
			case e.IsDir():
				if err := walk(p, false); err != nil {
					return err
				}
			case e.Type().IsRegular() && strings.HasSuffix(name, ".md") && (top || name == "TASKS.md"):
				out = append(out, p)
			}
		}
		return nil
	}
	return out, walk(arg, true)
}

func joinPath(dir, name string) string {
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

// localeLess approximates JavaScript's localeCompare for file names:
// case-insensitive first, then lower case before upper case.
func localeLess(a, b string) bool {
	la, lb := strings.ToLower(a), strings.ToLower(b)
	if la != lb {
		return la < lb
	}
	return a > b
}
