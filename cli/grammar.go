package cli

import (
	"reflect"
	"strings"
	"sync"
)

// The whole grammar has some forty commands, and kong builds its model by
// reflecting over all of them: on a small VM that is the largest single
// cost of a short command's start-up (a Claude Code hook runs the CLI at
// every event; an agent spawns `serve` at every session). A command line
// that names its command first gets a grammar of just that command instead,
// with the global flags: the same struct fields and tags, so kong parses,
// validates and prints help for it exactly as it does inside the whole
// grammar. Anything else (no command, a misspelt one, a flag first,
// completion, which walks the whole model) gets the whole grammar.

// commandFields maps each command's names (its name and aliases) to its
// field in commands.
var commandFields = sync.OnceValue(func() map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	t := reflect.TypeFor[commands]()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if _, ok := f.Tag.Lookup("cmd"); !ok {
			continue
		}
		name := f.Tag.Get("name")
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f
		if aliases := f.Tag.Get("aliases"); aliases != "" {
			for _, a := range strings.Split(aliases, ",") {
				fields[strings.TrimSpace(a)] = f
			}
		}
	}
	return fields
})

// grammarFor returns the grammar to parse args with (a pointer to a struct
// kong reflects over) and its global flags.
func grammarFor(args []string) (any, *Globals) {
	if len(args) > 0 {
		if f, ok := commandFields()[args[0]]; ok && wantsOneCommand(f, args) {
			t := reflect.StructOf([]reflect.StructField{
				{Name: "Globals", Type: reflect.TypeFor[Globals](), Anonymous: true},
				{Name: f.Name, Type: f.Type, Tag: f.Tag},
			})
			v := reflect.New(t)
			return v.Interface(), v.Elem().Field(0).Addr().Interface().(*Globals)
		}
	}
	cmds := new(commands)
	return cmds, &cmds.Globals
}

// wantsOneCommand reports whether a command line naming field f's command
// first can be parsed by a grammar of that command alone.
func wantsOneCommand(f reflect.StructField, args []string) bool {
	switch f.Name {
	case "Completion", "Complete":
		return false // they print the whole grammar
	}
	for _, a := range args {
		if a == "--version" {
			return false // a flag of the whole grammar's
		}
		if a == "--" {
			break
		}
	}
	return true
}
