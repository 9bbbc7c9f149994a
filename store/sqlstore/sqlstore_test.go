package sqlstore

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestMigrationsAreNumberedFromOneWithoutGaps(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("SELECT 1;")}
	tests := []struct {
		name  string
		files []string
		want  string // the error's text, or "" for none
	}{
		{"in order", []string{"0002_b.sql", "0001_a.sql", "0003_c.sql"}, ""},
		{"a gap", []string{"0001_a.sql", "0003_c.sql"}, "out of sequence: expected number 2"},
		{"a name without a number", []string{"0001_a.sql", "init.sql"}, "is not named NNNN_name.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tt.files {
				fsys["migration/"+f] = file
			}
			ms, err := Migrations(fsys, "test")
			switch {
			case tt.want == "" && err != nil:
				t.Fatal(err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			case tt.want == "":
				for i, m := range ms {
					if m.Version != i+1 {
						t.Errorf("step %d is %v", i+1, m)
					}
				}
			}
		})
	}
}

func TestJSONListsReadBack(t *testing.T) {
	tr := Traits{}
	for _, vs := range [][]string{
		{"bug"}, {"a", "b-c", "ünï"}, {`q"uote`, `back\slash`}, {"", "x"}, {"\u2028", "<&>"},
	} {
		var got jsonList
		if err := got.Scan(tr.List(vs)); err != nil {
			t.Fatalf("%q: %v", vs, err)
		}
		if !slices.Equal(got, vs) {
			t.Errorf("%q reads back as %q", vs, got)
		}
	}
	var l jsonList
	if err := l.Scan(`["a",`); err == nil {
		t.Errorf("a broken list reads as %q", l)
	}
}

func TestSuccessorBoundsEveryTextWithThePrefix(t *testing.T) {
	bytewise, strict := Traits{}, Traits{StrictText: true}
	for _, c := range []struct {
		tr      Traits
		p, want string
		has     bool
	}{
		{bytewise, "ab", "ac", true},
		{bytewise, "a\xff", "b", true},
		{bytewise, "\xff\xff", "", false},
		{strict, "ab", "ac", true},
		{strict, "a\U0010FFFF", "b", true},
		{strict, "\uD7FF", "\uE000", true},
		{strict, "\U0010FFFF", "", false},
	} {
		got, ok := c.tr.successor(c.p)
		if got != c.want || ok != c.has {
			t.Errorf("successor(%q) (strict %v) = %q, %v; want %q, %v", c.p, c.tr.StrictText, got, ok, c.want, c.has)
		}
	}
}
