package tasksmd

import (
	"errors"
	"strings"
	"testing"
)

const editSrc = "# Tasks\n\n## P0\n\n- [ ] Fix auth crash\n  - **ID**: auth-fix\n  - **Tags**: backend\n\n- [ ] Rotate keys (@carol - in progress)\n\n## P2\n\n- [ ] Update README\n"

func queueOf(files ...string) *Queue {
	q := &Queue{}
	for i := 0; i+1 < len(files); i += 2 {
		q.Files = append(q.Files, Parse(files[i], []byte(files[i+1])))
	}
	return q
}

func TestEditsGiveTheReferenceTexts(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(q *Queue) (Edit, error)
		wantMsg  string
		wantKind error
		wantData string
	}{
		{"claim by ID with backticks and case ignored", func(q *Queue) (Edit, error) { return q.Claim("`AUTH-FIX`", "@bob") },
			`Claimed "Fix auth crash" for (@bob) in TASKS.md:5`, nil,
			strings.Replace(editSrc, "Fix auth crash\n", "Fix auth crash (@bob)\n", 1)},
		{"claim by summary substring", func(q *Queue) (Edit, error) { return q.Claim("readme", "bob") },
			`Claimed "Update README" for (@bob) in TASKS.md:13`, nil,
			strings.Replace(editSrc, "Update README\n", "Update README (@bob)\n", 1)},
		{"claim of nothing", func(q *Queue) (Edit, error) { return q.Claim("nope", "bob") },
			`No task found matching "nope".`, ErrNotFound, ""},
		{"claim of a claimed task", func(q *Queue) (Edit, error) { return q.Claim("rotate", "bob") },
			`Task "Rotate keys" is already claimed by @carol - in progress.`, ErrConflict, ""},
		{"claim with an agent name that would not read back", func(q *Queue) (Edit, error) { return q.Claim("readme", "bob.v2") },
			`Invalid agent name 'bob.v2' — must be letters, numbers, underscores or hyphens`, ErrInvalid, ""},
		{"unclaim", func(q *Queue) (Edit, error) { return q.Unclaim("rotate") },
			`Unclaimed "Rotate keys" (was @carol - in progress) in TASKS.md:9`, nil,
			strings.Replace(editSrc, " (@carol - in progress)", "", 1)},
		{"unclaim of a free task", func(q *Queue) (Edit, error) { return q.Unclaim("auth-fix") },
			`Task "Fix auth crash" is not claimed by anyone.`, ErrConflict, ""},
		{"unclaim of nothing", func(q *Queue) (Edit, error) { return q.Unclaim("zzz") },
			`No task found matching "zzz".`, ErrNotFound, ""},
		{"complete removes the block and one blank line", func(q *Queue) (Edit, error) { return q.Complete("auth-fix") },
			`Removed "Fix auth crash" (P0) from TASKS.md (lines 5-7)`, nil,
			strings.Replace(editSrc, "- [ ] Fix auth crash\n  - **ID**: auth-fix\n  - **Tags**: backend\n\n", "", 1)},
		{"complete of the last task keeps the final newline", func(q *Queue) (Edit, error) { return q.Complete("readme") },
			`Removed "Update README" (P2) from TASKS.md (lines 13-13)`, nil,
			strings.TrimSuffix(editSrc, "- [ ] Update README\n")},
		{"complete of nothing", func(q *Queue) (Edit, error) { return q.Complete("zzz") },
			`No task found matching "zzz".`, ErrNotFound, ""},
		{"add to an existing section", func(q *Queue) (Edit, error) {
			return q.Add("", TaskSpec{Summary: "New one", Priority: "p0", ID: "new-one", Tags: "API, Web"})
		}, `Added "New one" (P0) to TASKS.md`, nil,
			strings.Replace(editSrc, "(@carol - in progress)\n\n## P2", "(@carol - in progress)\n- [ ] New one\n  - **ID**: new-one\n  - **Tags**: api, web\n\n\n## P2", 1)},
		{"add with the default priority appends at the end of P2", func(q *Queue) (Edit, error) { return q.Add("TASKS.md", TaskSpec{Summary: "Later"}) },
			`Added "Later" (P2) to TASKS.md`, nil, editSrc + "- [ ] Later\n\n"},
		{"add creates a missing section before the next one", func(q *Queue) (Edit, error) {
			return q.Add("", TaskSpec{Summary: "Soon", Priority: "P1", BlockedBy: "auth-fix"})
		}, `Added "Soon" (P1) to TASKS.md`, nil,
			strings.Replace(editSrc, "\n## P2", "\n\n## P1\n\n- [ ] Soon\n  - **Blocked by**: auth-fix\n\n## P2", 1)},
		{"add creates a missing section at the end, after the final newline as the reference does", func(q *Queue) (Edit, error) { return q.Add("", TaskSpec{Summary: "Someday", Priority: "P3"}) },
			`Added "Someday" (P3) to TASKS.md`, nil, editSrc + "\n\n## P3\n\n- [ ] Someday\n"},
		{"add with a bad priority", func(q *Queue) (Edit, error) { return q.Add("", TaskSpec{Summary: "x", Priority: "P4"}) },
			`Invalid priority 'P4' — must be P0, P1, P2, or P3`, ErrInvalid, ""},
		{"add with a bad ID", func(q *Queue) (Edit, error) { return q.Add("", TaskSpec{Summary: "x", ID: "Bad_ID"}) },
			`Invalid ID 'Bad_ID' — must be kebab-case (lowercase letters, numbers, hyphens)`, ErrInvalid, ""},
		{"add with an ID in use", func(q *Queue) (Edit, error) { return q.Add("", TaskSpec{Summary: "x", ID: "auth-fix"}) },
			`ID 'auth-fix' is already used by "Fix auth crash" in TASKS.md:5.`, ErrConflict, ""},
		{"add with a line break in the summary", func(q *Queue) (Edit, error) { return q.Add("", TaskSpec{Summary: "a\nb"}) },
			`Invalid summary "a\nb" — must be one line (no line breaks)`, ErrInvalid, ""},
		{"add with a bad date", func(q *Queue) (Edit, error) { return q.Add("", TaskSpec{Summary: "x", LastEnriched: "May 1"}) },
			`Invalid last_enriched 'May 1' — must be an ISO date (YYYY-MM-DD)`, ErrInvalid, ""},
		{"add to a file not in the queue", func(q *Queue) (Edit, error) { return q.Add("docs/TASKS.md", TaskSpec{Summary: "x"}) },
			`No TASKS.md named "docs/TASKS.md" in the queue.`, ErrNotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := tc.edit(queueOf("TASKS.md", editSrc))
			if tc.wantKind != nil {
				if err == nil || err.Error() != tc.wantMsg || !errors.Is(err, tc.wantKind) {
					t.Fatalf("error %v, want %q", err, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if e.Message != tc.wantMsg {
				t.Errorf("message %q, want %q", e.Message, tc.wantMsg)
			}
			if string(e.Data) != tc.wantData {
				t.Errorf("data\n%q\nwant\n%q", e.Data, tc.wantData)
			}
		})
	}
}

func TestEditsKeepCRLF(t *testing.T) {
	crlf := strings.ReplaceAll(editSrc, "\n", "\r\n")
	edits := map[string]func(q *Queue) (Edit, error){
		"claim":    func(q *Queue) (Edit, error) { return q.Claim("readme", "a") },
		"unclaim":  func(q *Queue) (Edit, error) { return q.Unclaim("rotate") },
		"complete": func(q *Queue) (Edit, error) { return q.Complete("auth-fix") },
		"add":      func(q *Queue) (Edit, error) { return q.Add("", TaskSpec{Summary: "n", Priority: "P1", Details: "d"}) },
		"add last": func(q *Queue) (Edit, error) { return q.Add("", TaskSpec{Summary: "n", Priority: "P3"}) },
	}
	for name, edit := range edits {
		t.Run(name+" of a CRLF file writes CRLF and matches the LF edit", func(t *testing.T) {
			lfEdit, err := edit(queueOf("TASKS.md", editSrc))
			if err != nil {
				t.Fatal(err)
			}
			crEdit, err := edit(queueOf("TASKS.md", crlf))
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.ReplaceAll(string(lfEdit.Data), "\n", "\r\n"); string(crEdit.Data) != want {
				t.Errorf("got %q, want %q", crEdit.Data, want)
			}
		})
	}
}

func FuzzEdit(f *testing.F) {
	for _, s := range append(renderSeeds, editSrc, strings.ReplaceAll(editSrc, "\n", "\r\n")) {
		f.Add([]byte(s), "auth", "bob", uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, query, agent string, op uint8) {
		q := queueOf("TASKS.md", string(data))
		var e Edit
		var err error
		switch op % 4 {
		case 0:
			e, err = q.Claim(query, agent)
		case 1:
			e, err = q.Unclaim(query)
		case 2:
			e, err = q.Complete(query)
		default:
			e, err = q.Add("", TaskSpec{Summary: query, Priority: "P" + string(rune('0'+op%5)), Tags: agent})
		}
		if err != nil {
			return
		}
		after := Parse("TASKS.md", e.Data)
		if string(Render(after)) != string(e.Data) {
			t.Fatalf("render of the edit is not identity")
		}
		before := len(q.Files[0].Tasks)
		switch op % 4 {
		case 0:
			if len(after.Tasks) != before {
				t.Fatalf("claim changed the task count %d → %d: %q", before, len(after.Tasks), e.Data)
			}
		case 2:
			if len(after.Tasks) != before-1 {
				t.Fatalf("complete left %d of %d tasks: %q", len(after.Tasks), before, e.Data)
			}
		}
	})
}
