package mods

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// ListEdit replaces a list, or adds to and removes from it.
type ListEdit struct {
	Replace bool     // Set replaces the list (an empty Set clears it)
	Set     []string // the new list, when Replace
	Add     []string
	Remove  []string
}

// ParseListEdit reads list entries: when any entry starts with + or -, the
// entries are edits (a bare entry adds); otherwise they replace the list.
func ParseListEdit(entries []string) *ListEdit {
	var e ListEdit
	edits := slices.ContainsFunc(entries, func(s string) bool {
		return strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-")
	})
	for _, s := range entries {
		s = strings.TrimSpace(s)
		switch {
		case !edits:
			if s != "" {
				e.Set = append(e.Set, s)
			}
		case strings.HasPrefix(s, "-"):
			e.Remove = append(e.Remove, s[1:])
		default:
			e.Add = append(e.Add, strings.TrimPrefix(s, "+"))
		}
	}
	e.Replace = !edits
	return &e
}

// Clone returns a copy of e that shares no slice with it.
func (e *ListEdit) Clone() *ListEdit {
	if e == nil {
		return nil
	}
	return &ListEdit{Replace: e.Replace, Set: slices.Clone(e.Set), Add: slices.Clone(e.Add), Remove: slices.Clone(e.Remove)}
}

// SplitList splits a comma-separated list, trimming each entry; "" (or
// white space) is the empty list.
func SplitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return []string{}
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// UDAValue reads a UDA value written as text: "" removes the attribute,
// true/false are booleans, a number that prints back the same is a number
// (so "3" and "2.5" are numbers but "1.10" and "007" stay strings).
func UDAValue(s string) any {
	switch s {
	case "":
		return nil
	case "true":
		return true
	case "false":
		return false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && strconv.FormatFloat(f, 'f', -1, 64) == s {
		return f
	}
	return s
}
