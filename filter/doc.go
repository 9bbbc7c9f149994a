// Package filter is the language that selects tasks everywhere: the MCP
// tools' filter arguments, the command line, the board and the sync
// commands. ../shared/spec/FILTER.md (in the repository's spec) is its
// definition; this package is the one implementation of its syntax and
// meaning.
//
// The package has the shape of go/parser and go/ast:
//
//   - scanner.go turns filter text into tokens: attribute terms
//     (name.modifier:value), tags (+tag, -tag, virtual tags in upper case),
//     ids and id ranges, UUIDs and their prefixes, search words, quoted
//     phrases, /regular expressions/, and the operators and, or, xor, not,
//     ! and parentheses;
//   - parser.go builds an Expr tree from them (Parse), resolving
//     abbreviated attribute names and modifiers and checking values, with
//     errors that carry the byte offset of the offending term;
//   - ast.go is the tree; every node prints back (String) to text that
//     parses to the same tree, and Walk visits it;
//   - eval.go compiles a tree to a Matcher over one task (Compile): the
//     reference meaning, which the stores' SQL compiler (store/sqlstore)
//     must agree with (their property tests compare against it on random
//     filters);
//   - virtual.go is the table of what each virtual tag means, which the
//     evaluator and the SQL compiler both read;
//   - scope.go decides which statuses a filter looks at when it names none
//     (DefaultScope: pending work, as Taskwarrior does);
//   - fold.go is the Unicode case folding that search words and
//     case-insensitive modifiers use.
//
// Dates inside filters (due.before:eow, friday+1w) are read by package when
// as the filter is parsed. The package never reads the clock itself:
// Options and Env carry the command's time, so that one filter means the
// same thing everywhere in one command.
package filter
