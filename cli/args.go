package cli

import (
	"strings"

	backlog "github.com/agent-backlog/backlog"

	"github.com/alecthomas/kong"
)

// arrange reorders the command line so that kong sees the command path, then
// the flags, then "--" and every other word. Filter and modification words
// such as -bug, +bug or project:web may then sit anywhere, flags may follow
// them (backlog list +bug --json), and no word is ever taken for a flag it
// is not.
//
// The rules: a long flag (--json, --sort=x, --sort x) is recognised anywhere
// before a "--"; a short flag (-h) only before the first word, since -h after
// one removes the tag h. A "--" ends the flags and is dropped, except in the
// commands tagged keepdashdash (modify), where the first "--" is a word that
// separates the filter from the changes, and flags may still follow it.
func arrange(root *kong.Node, args []string) ([]string, error) {
	node := root
	var path, flags, words []string
	sawWord, keptDashDash := false, false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--" && !keptDashDash && node.Tag != nil && node.Tag.Has("keepdashdash"):
			// A separator among the words: flags are still recognised
			// after it (backlog modify +bug -- priority:H --json).
			keptDashDash, sawWord = true, true
			words = append(words, a)
			continue
		case a == "--":
			rest := args[i+1:]
			if len(node.Positional) > 0 {
				words = append(words, rest...)
			} else {
				flags = append(flags, rest...)
			}
			i = len(args)
			continue
		case !sawWord && child(node, a) != nil:
			node = child(node, a)
			path = append(path, a)
			continue
		case strings.HasPrefix(a, "--") || (a == "-h" && !sawWord):
			f := findFlag(node, a)
			if f == nil && len(node.Positional) > 0 && !strings.HasPrefix(a, "--") {
				break
			}
			if f != nil && !f.IsBool() && !f.IsCounter() && !strings.Contains(a, "=") {
				// Join the value to its flag, so that a value such as
				// -1 is never taken for a flag of its own.
				if i+1 >= len(args) {
					return nil, backlog.Invalidf("%s needs a value", a)
				}
				i++
				a += "=" + args[i]
			}
			flags = append(flags, a)
			continue
		}
		if len(node.Positional) > 0 {
			words = append(words, a)
			sawWord = true
			continue
		}
		flags = append(flags, a)
	}
	out := append(path, flags...)
	if len(words) > 0 {
		out = append(append(out, "--"), words...)
	}
	return out, nil
}

// child returns the subcommand of node named (or aliased) name.
func child(node *kong.Node, name string) *kong.Node {
	for _, c := range node.Children {
		if c.Type != kong.CommandNode {
			continue
		}
		if c.Name == name {
			return c
		}
		for _, alias := range c.Aliases {
			if alias == name {
				return c
			}
		}
	}
	return nil
}

// findFlag returns the flag of node or an ancestor that arg names:
// --name, --name=value, --no-name (negatable) or -x.
func findFlag(node *kong.Node, arg string) *kong.Flag {
	long := strings.HasPrefix(arg, "--")
	name := strings.TrimLeft(arg, "-")
	if i := strings.IndexByte(name, '='); i >= 0 {
		name = name[:i]
	}
	groups := node.AllFlags(false)
	// A default subcommand (backlog archive --older-than 30) takes its
	// flags without being named.
	if node.DefaultCmd != nil {
		groups = append(groups, node.DefaultCmd.Flags)
	}
	for _, group := range groups {
		for _, f := range group {
			if !long {
				if f.Short != 0 && string(f.Short) == name {
					return f
				}
				continue
			}
			if f.Name == name || (f.Tag.Negatable != "" && "no-"+f.Name == name) {
				return f
			}
			for _, alias := range f.Aliases {
				if alias == name {
					return f
				}
			}
		}
	}
	return nil
}
