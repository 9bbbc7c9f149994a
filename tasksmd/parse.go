package tasksmd

import (
	"strings"
	"unicode"
)

// Parse reads a TASKS.md. It never fails: a line that means nothing is kept
// as an unknown line. Lines ending in "\r\n" are read as if they ended in
// "\n" (the reference tools would see no task in them) and keep their "\r"
// for Render.
func Parse(path string, data []byte) *File {
	f := &File{Path: path, Lines: splitLines(string(data))}
	texts := make([]string, len(f.Lines))
	for i, l := range f.Lines {
		texts[i] = l.Text
	}
	f.Tasks = parseTasks(path, texts)
	f.Headings = parseHeadings(texts)
	f.Policies = parsePolicies(texts)
	f.Unknown = unknownLines(f, texts)
	return f
}

// splitLines cuts s at every "\n"; a "\r" that ends a piece is recorded in
// Line.CR instead of the text.
func splitLines(s string) []Line {
	parts := strings.Split(s, "\n")
	lines := make([]Line, len(parts))
	for i, p := range parts {
		if strings.HasSuffix(p, "\r") {
			lines[i] = Line{Text: p[:len(p)-1], CR: true}
		} else {
			lines[i] = Line{Text: p}
		}
	}
	return lines
}

// parseTasks finds the tasks in lines as the reference parser does: a task
// line under a heading opens a task; indented lines add metadata,
// continuations and sub-tasks to it; blank lines and headings do not end
// it; any other line at column 0 does.
func parseTasks(path string, lines []string) []*Task {
	var tasks []*Task
	priority := -1
	var cur *Task
	flush := func() {
		if cur != nil {
			tasks = append(tasks, cur)
			cur = nil
		}
	}
	for i, line := range lines {
		if m := matchHeading(line); m >= 0 {
			flush()
			priority = m
			continue
		}
		if text, ok := matchTaskLine(line); ok && priority >= 0 {
			flush()
			summary, claimed := splitClaim(text)
			cur = &Task{Summary: summary, Priority: priority, Claimed: claimed, File: path,
				StartLine: i + 1, EndLine: i + 1, RawLines: []string{line}}
			continue
		}
		if cur != nil && leadingSpaces(line) >= 2 {
			cur.EndLine = i + 1
			cur.RawLines = append(cur.RawLines, line)
			addIndented(cur, line, i+1)
			continue
		}
		if cur != nil && leadingSpaces(line) == 0 && line != "" && !strings.HasPrefix(line, "##") {
			flush()
		}
	}
	flush()
	return tasks
}

// splitClaim separates a trailing `(@agent)` or `(@agent - in progress)`
// from the summary text.
func splitClaim(text string) (summary, claimed string) {
	loc := reClaim().FindStringSubmatchIndex(text)
	if loc == nil {
		return text, ""
	}
	return jsTrim(text[:loc[0]]), text[loc[2]:loc[3]]
}

// addIndented reads one indented line of a task: metadata first, then a
// continuation (4+ spaces; it extends the last-added field when that field
// is text, and is dropped otherwise), then a sub-task.
func addIndented(t *Task, line string, lineNo int) {
	if strings.Contains(line, "**:") {
		if label, value, ok := matchMetadataLine(line); ok {
			setField(t, label, value, lineNo)
			return
		}
	}
	if text, ok := matchContinuation(line); ok {
		if n := len(t.Metadata); n > 0 && t.Metadata[n-1].List == nil {
			t.Metadata[n-1].Value += "\n" + text
		}
		return
	}
	if text, ok := matchSubtaskLine(line); ok {
		t.Subtasks = append(t.Subtasks, text)
	}
}

// setField sets a metadata field; a label already present keeps its place.
func setField(t *Task, label, value string, lineNo int) {
	key := fieldKey(label)
	f := t.Field(key)
	if f == nil {
		f = &Field{Key: key, Name: fieldName(key, label)}
		t.Metadata = append(t.Metadata, f)
	}
	f.Value, f.Line, f.List = value, lineNo, nil
	if key == "tags" || key == "files" || key == "blockedby" {
		f.List = splitList(value)
	}
}

// fieldKey is the label lower-cased with white space removed.
func fieldKey(label string) string {
	return strings.Map(func(r rune) rune {
		if isJSSpace(r) {
			return -1
		}
		return r
	}, strings.ToLower(label))
}

var knownNames = map[string]string{
	"id": "id", "tags": "tags", "details": "details", "files": "files",
	"acceptance": "acceptance", "blockedby": "blockedBy", "blocked": "blocked",
	"research": "research", "last-enriched": "lastEnriched",
}

// fieldName camel-cases a label: words split at white space, "-" and "_",
// the first lower-cased, the others capitalised ("Due Date" → "dueDate").
func fieldName(key, label string) string {
	if n, ok := knownNames[key]; ok {
		return n
	}
	words := strings.FieldsFunc(strings.ToLower(label), func(r rune) bool {
		return isJSSpace(r) || r == '-' || r == '_'
	})
	if len(words) == 0 {
		return key
	}
	var b strings.Builder
	b.WriteString(words[0])
	for _, w := range words[1:] {
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

// splitList splits a list field at commas, removing backticks and trimming
// each item (empty items are kept, as the reference keeps them).
func splitList(value string) []string {
	parts := strings.Split(value, ",")
	for i, p := range parts {
		parts[i] = jsTrim(strings.ReplaceAll(p, "`", ""))
	}
	return parts
}

func parseHeadings(lines []string) []Heading {
	var hs []Heading
	for i, line := range lines {
		if p := matchHeading(line); p >= 0 {
			hs = append(hs, Heading{Line: i + 1, Priority: p})
		}
	}
	return hs
}

// matchHeading is the section number of a `## Pn` heading, or -1.
func matchHeading(line string) int {
	if !strings.HasPrefix(line, "##") {
		return -1
	}
	if m := reHeading().FindStringSubmatch(line); m != nil {
		return int(m[1][0] - '0')
	}
	return -1
}

// parsePolicies collects `policy:` directives from HTML comments, which may
// span lines; the scope is the section the comment ends in.
func parsePolicies(lines []string) []Policy {
	var ps []Policy
	scope := "file"
	inComment := false
	var buf strings.Builder
	for i, line := range lines {
		if p := matchHeading(line); p >= 0 {
			scope = PriorityName(p)
			continue
		}
		if strings.Contains(line, "<!--") {
			inComment = true
			buf.Reset()
		}
		if inComment {
			buf.WriteString(line)
			buf.WriteByte('\n')
		}
		if strings.Contains(line, "-->") {
			inComment = false
			for _, m := range rePolicy().FindAllStringSubmatch(buf.String(), -1) {
				text := jsTrim(rePolicyEnd().ReplaceAllString(jsTrim(m[1]), ""))
				if text != "" {
					ps = append(ps, Policy{Text: text, Scope: scope, Line: i + 1})
				}
			}
			buf.Reset()
		}
	}
	return ps
}

// unknownLines lists the non-blank lines that no rule of the format reads.
func unknownLines(f *File, lines []string) []int {
	known := make([]bool, len(lines))
	if len(lines) > 0 && lines[0] == "# Tasks" {
		known[0] = true
	}
	for _, h := range f.Headings {
		known[h.Line-1] = true
	}
	for _, t := range f.Tasks {
		for i := t.StartLine; i <= t.EndLine; i++ {
			known[i-1] = true
		}
	}
	var out []int
	for i, line := range lines {
		if !known[i] && jsTrim(line) != "" {
			out = append(out, i+1)
		}
	}
	return out
}
