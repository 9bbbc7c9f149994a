package tasksmd

import "strings"

// Render gives back the file's bytes: for a File from Parse, exactly the
// input.
func Render(f *File) []byte { return []byte(joinLines(f.Lines)) }

func joinLines(lines []Line) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.Text)
		if l.CR {
			b.WriteByte('\r')
		}
	}
	return b.String()
}

// usesCRLF reports the file's line ending style: CRLF when its first
// line break is "\r\n". New lines an edit adds take this style.
func usesCRLF(lines []Line) bool {
	if len(lines) < 2 {
		return false
	}
	return lines[0].CR
}
