package backlog

import (
	"strconv"
	"strings"
)

// Source links a task to the issue it was imported from: the forge (type),
// the web host, the project path, the number in it (iid) and its
// page. A backlog holds at most one task per (host, project, iid); see Key.
type Source struct {
	Type    string `json:"type"`    // "github", "gitlab"
	Host    string `json:"host"`    // "github.com", or an enterprise host[:port]
	Project string `json:"project"` // "owner/repo", "group/sub/project"
	IID     int64  `json:"iid"`     // the number in its project
	URL     string `json:"url"`     // the web page
}

// Limits on a source, in bytes.
const (
	maxSourceHost    = 255
	maxSourceProject = 1000
	maxSourceURL     = 2000
)

// Key is the source's identity in a backlog: host and project compared
// without case (forges treat them so), then the iid.
func (s *Source) Key() string {
	return strings.ToLower(s.Host) + "/" + strings.ToLower(s.Project) + "#" + strconv.FormatInt(s.IID, 10)
}

// Ref names the issue for people: owner/repo#42.
func (s *Source) Ref() string { return s.Project + "#" + strconv.FormatInt(s.IID, 10) }

// Clone returns a copy, or nil for nil.
func (s *Source) Clone() *Source {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}

// Validate checks a source's fields, each named in the sentence it returns.
func (s *Source) Validate() error {
	if s == nil {
		return nil
	}
	if s.Type == "" || len(s.Type) > 32 || strings.Trim(s.Type, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		return Invalidf("source type must be a lower-case word such as github or gitlab, got %q", s.Type)
	}
	if s.Host == "" || len(s.Host) > maxSourceHost || strings.ContainsAny(s.Host, " /\t\r\n") {
		return Invalidf("source host must be a host name such as github.com, got %q", s.Host)
	}
	if s.Project == "" || len(s.Project) > maxSourceProject || strings.ContainsAny(s.Project, " \t\r\n#") ||
		strings.HasPrefix(s.Project, "/") || strings.HasSuffix(s.Project, "/") {
		return Invalidf("source project must be a path such as owner/repo, got %q", s.Project)
	}
	if s.IID <= 0 {
		return Invalidf("source iid must be the issue's number, above 0, got %d", s.IID)
	}
	if len(s.URL) > maxSourceURL || strings.ContainsAny(s.URL, " \t\r\n") {
		return Invalidf("source url must be one web address of at most %d bytes, got %q", maxSourceURL, s.URL)
	}
	return nil
}

// appendSource writes the source as a JSON object, fields in a fixed order,
// the url only when set.
func appendSource(b []byte, s *Source) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, s.Type)
	b = append(b, `,"host":`...)
	b = appendString(b, s.Host)
	b = append(b, `,"project":`...)
	b = appendString(b, s.Project)
	b = append(b, `,"iid":`...)
	b = strconv.AppendInt(b, s.IID, 10)
	if s.URL != "" {
		b = append(b, `,"url":`...)
		b = appendString(b, s.URL)
	}
	return append(b, '}')
}

// Taken is the conflict a store answers when another task is linked to
// the same issue already.
func (s *Source) Taken() error {
	return Conflictf("another task is already linked to %s (%s)", s.Ref(), s.Host)
}
