package bridge_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSync(t *testing.T) {
	tests := []struct {
		name      string
		edit      [2]string  // the person's edit of the file: old text, new text
		words     [][]string // the agents' commands
		file      string     // the file after the sync ("" = as edited)
		tasks     []string   // the pending descriptions after the sync
		conflicts int
		doc       string // a text the doc of "Tidy" holds
	}{
		{
			name:  "a summary edited in the file without an ID is matched by its place",
			edit:  [2]string{"Tidy the logs", "Tidy the server logs"},
			tasks: []string{"Fix the login crash", "Someday", "Tidy the server logs", "Write the API docs"},
		},
		{
			name:      "a description changed on both sides keeps the backlog's, said once",
			edit:      [2]string{"- [ ] Someday\n", "- [ ] Some day\n"},
			words:     [][]string{{"modify", "Someday", "description:Later"}},
			file:      strings.Replace(small, "- [ ] Someday\n", "- [ ] Later\n", 1),
			tasks:     []string{"Fix the login crash", "Later", "Tidy the logs", "Write the API docs"},
			conflicts: 1,
		},
		{
			name:  "a details line added in the file goes to the task's doc",
			edit:  [2]string{"- [ ] Tidy the logs\n", "- [ ] Tidy the logs\n  - **Details**: keep a week\n"},
			tasks: []string{"Fix the login crash", "Someday", "Tidy the logs", "Write the API docs"},
			doc:   "keep a week",
		},
		{
			name:  "a claim in the file and a new tag in the backlog both land",
			edit:  [2]string{"- [ ] Tidy the logs\n", "- [ ] Tidy the logs (@bob)\n"},
			words: [][]string{{"modify", "Tidy", "+ops"}},
			file:  strings.Replace(small, "- [ ] Tidy the logs\n", "- [ ] Tidy the logs (@bob)\n  - **Tags**: ops\n", 1),
			tasks: []string{"Fix the login crash", "Someday", "Tidy the logs", "Write the API docs"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			b, root := newBridge(t, map[string]string{"TASKS.md": small})
			if _, err := b.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(root, "TASKS.md")
			edited := strings.Replace(small, tc.edit[0], tc.edit[1], 1)
			writeFile(t, path, edited)
			for _, w := range tc.words {
				run(t, b.Engine, w)
			}
			res, err := b.Sync(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Conflicts) != tc.conflicts {
				t.Errorf("conflicts %q, want %d", res.Conflicts, tc.conflicts)
			}
			want := tc.file
			if want == "" {
				want = edited
			}
			got, _ := os.ReadFile(path)
			if string(got) != want {
				t.Errorf("file\n%s\nwant\n%s", got, want)
			}
			pending, err := b.Engine.Export(ctx, "status:pending")
			if err != nil {
				t.Fatal(err)
			}
			var descs []string
			for _, p := range pending {
				descs = append(descs, p.Description)
				if strings.HasPrefix(p.Description, "Tidy") && tc.doc != "" {
					doc, _ := b.Engine.DocRead(ctx, p.UUID)
					if !strings.Contains(doc, tc.doc) {
						t.Errorf("doc of %q is %q, want it to hold %q", p.Description, doc, tc.doc)
					}
				}
			}
			slices.Sort(descs)
			if !slices.Equal(descs, tc.tasks) {
				t.Errorf("pending %q, want %q", descs, tc.tasks)
			}

			// Both sides agree now: the next sync has nothing to do.
			old := time.Now().Add(-time.Hour).Truncate(time.Second)
			os.Chtimes(path, old, old)
			again, err := b.Sync(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if again.Stored || len(again.Written) > 0 || len(again.Conflicts) > 0 {
				t.Errorf("second sync did %+v", again)
			}
			if st, _ := os.Stat(path); !st.ModTime().Equal(old) {
				t.Errorf("second sync changed the mtime to %v", st.ModTime())
			}
		})
	}
}

// A TASKS.md removed by hand is written again, its tasks kept.
func TestSyncWritesARemovedFileAgain(t *testing.T) {
	ctx := context.Background()
	b, root := newBridge(t, map[string]string{"TASKS.md": small})
	if _, err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(root, "TASKS.md"))
	res, err := b.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(root, "TASKS.md"))
	if string(got) != small || res.Completed != 0 {
		t.Errorf("a removed file came back as\n%s\n(completed %d), want the last synced bytes", got, res.Completed)
	}
}
