package tasksmd

import "testing"

func FuzzMatchers(f *testing.F) {
	for _, s := range []string{"- [ ] a", "-  [] b (@x)", "- [ ]  ", "- [ ]\t\r", "- [\u00a0] x", "  - **ID**: a",
		"  - **a**:**: b", "  - ** **: ", "  - **x**:  \r", "\t-\t**Blocked by**:\u2028x", "  - **a\rb**: c", "- [ ] \u3000", "    more", "     ", "  - [x] s", "  - [\r] s", "\t-\t[\u00e9]\tz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		s, ok := matchTaskLine(line)
		if m := reTask().FindStringSubmatch(line); (m != nil) != ok || ok && m[1] != s {
			t.Errorf("task %q: regexp %q, matcher %q %v", line, m, s, ok)
		}
		c, ok := matchContinuation(line)
		if m := reContinuation().FindStringSubmatch(line); (m != nil) != ok || ok && m[1] != c {
			t.Errorf("continuation %q: regexp %q, matcher %q %v", line, m, c, ok)
		}
		st, ok := matchSubtaskLine(line)
		if m := reSubtask().FindStringSubmatch(line); (m != nil) != ok || ok && m[1] != st {
			t.Errorf("subtask %q: regexp %q, matcher %q %v", line, m, st, ok)
		}
		l, v, ok := matchMetadataLine(line)
		if m := reMetadata().FindStringSubmatch(line); (m != nil) != ok || ok && (m[1] != l || m[2] != v) {
			t.Errorf("metadata %q: regexp %q, matcher %q %q %v", line, m, l, v, ok)
		}
	})
}
