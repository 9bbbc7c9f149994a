// Package mods is the modification grammar: the Taskwarrior-style words that
// change a task, as in backlog add Fix the login +bug pri:H due:friday,
// backlog modify 12 -later project:web, or task_add's "extra" argument
// ("+tag due:fri myuda:3"). ../shared/spec/TOOLS.md (in the repository's
// spec) defines the forms; FILTER.md defines the dates and durations that
// values such as due:friday hold, which package when reads.
//
// A modification is a list of words, each one edit:
//
//   - +tag adds a tag and -tag removes one (in a new task's words -word is
//     text: "Fix the -v flag");
//   - name:value sets a built-in attribute, whose name may be abbreviated to
//     a unique prefix of three letters or more (pro:web); name: clears it;
//     tags: and depends: take a comma list that replaces the list, or edits
//     it when an entry has a sign (depends:+3,-4);
//   - any other name:value sets a user-defined attribute (a UDA), typed by
//     UDAValue: true and false, numbers, else text;
//   - every other word is text: together, in order, the description.
//
// The package has the shape of package filter:
//
//   - scanner.go splits a string into words as a shell would (SplitWords,
//     for the MCP extra argument and TASKS.md) and tells the kind of a word;
//   - parser.go reads words into Mods (Parse, ParseString), resolving
//     abbreviations and refusing what cannot be set, with errors that carry
//     the word and byte offset they are about;
//   - ast.go is Mods, the edits in the order they were written; every edit
//     prints back (String, Words) to words that parse to the same edits;
//   - list.go is the list edit of tags and depends (ListEdit) and the
//     reading of a UDA's value.
//
// Nothing here touches a task: the engine folds Mods into its Changes and
// applies them, resolving dates against its clock and dependencies against
// the store.
package mods
