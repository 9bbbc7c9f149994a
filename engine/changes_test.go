package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr(s string) *string { return &s }

func TestParseModsReadsEveryKindOfWord(t *testing.T) {
	tests := []struct {
		name  string
		words []string
		desc  bool
		want  *Changes
		err   string
	}{
		{"words become the description", []string{"Fix", "the", "login"}, true,
			&Changes{Description: ptr("Fix the login")}, ""},
		{"tags are added and removed", []string{"+bug", "-ux"}, false,
			&Changes{Tags: &ListEdit{Add: []string{"bug"}, Remove: []string{"ux"}}}, ""},
		{"attributes may be abbreviated to three letters", []string{"pro:web", "pri:H", "sch:friday"}, false,
			&Changes{Project: ptr("web"), Priority: ptr("H"), Scheduled: ptr("friday")}, ""},
		{"two letters are a UDA, not an abbreviation", []string{"re:auth"}, false,
			&Changes{UDAs: map[string]any{"re": "auth"}}, ""},
		{"an empty value clears", []string{"project:", "due:"}, false,
			&Changes{Project: ptr(""), Due: ptr("")}, ""},
		{"tags: replaces the list", []string{"tags:a,b"}, false,
			&Changes{Tags: &ListEdit{Replace: true, Set: []string{"a", "b"}}}, ""},
		{"depends: with signs edits", []string{"depends:+3,-4"}, false,
			&Changes{Depends: &ListEdit{Add: []string{"3"}, Remove: []string{"4"}}}, ""},
		{"unknown names are UDAs, typed", []string{"est:3", "ok:true", "owner:ana", "ver:1.10", "gone:"}, false,
			&Changes{UDAs: map[string]any{"est": 3.0, "ok": true, "owner": "ana", "ver": "1.10", "gone": nil}}, ""},
		{"a word with spaces is text", []string{"note: call bob", "+x"}, true,
			&Changes{Description: ptr("note: call bob"), Tags: &ListEdit{Add: []string{"x"}}}, ""},
		{"a URL is text", []string{"see", "http://x.org"}, true,
			&Changes{Description: ptr("see http://x.org")}, ""},
		{"a bare word is not a modification", []string{"+a", "oops"}, false, nil,
			`"oops" is not a modification: use +tag, -tag or name:value`},
		{"an ambiguous abbreviation", []string{"dep:x", "sta:x"}, false, nil,
			`ambiguous attribute "sta": it could be start and status`},
		{"computed attributes cannot be set", []string{"status:completed"}, false, nil,
			`status cannot be set by a modification (use done, delete, or undo)`},
		{"a virtual tag cannot be added", []string{"+READY"}, false, nil,
			`"READY" is a virtual tag, computed from the task; it cannot be set`},
		{"the description twice", []string{"words", "description:other"}, true, nil,
			`the description is given twice: as words and as description:other`},
		{"words replace a description that was cleared", []string{"description:x", "description:", "new", "text"}, true,
			&Changes{Description: ptr("new text")}, ""},
		{"a later value wins", []string{"pri:H", "project:a", "pri:L"}, false,
			&Changes{Priority: ptr("L"), Project: ptr("a")}, ""},
		{"+tag and -tag after tags: edit the new list", []string{"tags:a,b", "+c", "-a"}, false,
			&Changes{Tags: &ListEdit{Replace: true, Set: []string{"b", "c"}}}, ""},
		{"tags: after +tag replaces it", []string{"+c", "tags:a"}, false,
			&Changes{Tags: &ListEdit{Replace: true, Set: []string{"a"}}}, ""},
		{"the words in a quoted extra", mustSplit(`+a "note: call bob" owner:ana`), true,
			&Changes{Description: ptr("note: call bob"), Tags: &ListEdit{Add: []string{"a"}}, UDAs: map[string]any{"owner": "ana"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMods(tt.words, tt.desc)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func mustSplit(s string) []string {
	words, err := SplitWords(s)
	if err != nil {
		panic(err)
	}
	return words
}

func TestParseNewKeepsDashWordsAsText(t *testing.T) {
	got, err := ParseNew([]string{"Fix", "the", "-v", "flag", "+cli"})
	if err != nil {
		t.Fatal(err)
	}
	want := &Changes{Description: ptr("Fix the -v flag"), Tags: &ListEdit{Add: []string{"cli"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLookalikeCatchesMisspeltAttributes(t *testing.T) {
	for name, want := range map[string]string{
		"priorty": "priority", "projcet": "project", "agnet": "agent", "dues": "due",
		"estimate": "", "state": "", "owner": "", "size": "", "est": "", "points": "",
	} {
		if got := lookalike(name); got != want {
			t.Errorf("lookalike(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestParseSort(t *testing.T) {
	keys, err := ParseSort("due+,id-")
	if err != nil || len(keys) != 2 || keys[0] != (SortKey{"due", false}) || keys[1] != (SortKey{"id", true}) {
		t.Errorf("ParseSort = %v, %v", keys, err)
	}
	if keys, _ := ParseSort(""); len(keys) != 1 || keys[0] != (SortKey{"urgency", true}) {
		t.Errorf("default sort = %v", keys)
	}
	if _, err := ParseSort("bogus+"); err == nil {
		t.Error("bogus sort accepted")
	}
}
