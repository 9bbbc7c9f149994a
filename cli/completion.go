package cli

import (
	"io"
	"slices"
	"strings"

	"github.com/alecthomas/kong"

	backlog "github.com/agent-backlog/backlog"
)

type completionCmd struct {
	Shell string `arg:"" optional:"" help:"The shell: bash, zsh or fish."`
}

func (c *completionCmd) Help() string {
	return `Prints a completion script for the shell. It completes subcommands, flags,
ids (with descriptions where the shell shows them), attribute names,
the tasksmd subcommands and their flags, files for tasksmd lint and parse,
projects after project:, tags after + and -, and a few values (priority:,
status:, dates, recur:), asking backlog itself for the backlog's names.

Examples:

    source <(backlog completion bash)        # in ~/.bashrc
    source <(backlog completion zsh)         # in ~/.zshrc
    backlog completion fish > ~/.config/fish/completions/backlog.fish`
}

// subcommands are the completion scripts' commands, with their one-line help.
var subcommands = [][2]string{
	{"add", "Add a task"}, {"log", "Record a task that is already done"},
	{"list", "List tasks"}, {"count", "Count tasks"}, {"info", "Show one task"},
	{"modify", "Change tasks"}, {"start", "Start a task"}, {"stop", "Stop a task"},
	{"done", "Complete a task"}, {"delete", "Delete a task"}, {"purge", "Remove a deleted task"},
	{"annotate", "Add a note"}, {"denotate", "Remove a note"}, {"duplicate", "Copy a task"},
	{"undo", "Reverse your last command"}, {"import", "Import tasks from JSON or issues"},
	{"export", "Print tasks as JSON"}, {"projects", "List projects"}, {"tags", "List tags"},
	{"doc", "The markdown doc of a task"}, {"where", "Show the store in use"}, {"serve", "Run the MCP server"}, {"init", "Add the MCP server to an agent"}, {"archive", "Archive old finished tasks"},
	{"calc", "Resolve a date expression"}, {"completion", "Print a completion script"},
	{"claim", "Take a task for an agent"}, {"release", "Hand a claimed task back"},
	{"assign-all", "Hold tasks for one agent"}, {"remove", "Delete and purge a task"},
	{"reclaim", "Return stale claims"}, {"summary", "Overview for a session start"},
	{"history", "Who changed what"}, {"watch", "Stream changes as JSON lines"}, {"board", "Serve the live web board"},
	{"migrate", "Copy a backlog to another store"}, {"backup", "Copy the backlog to S3"}, {"restore", "Copy a backup from S3"}, {"tasksmd", "Lint, pick and edit TASKS.md files"}, {"version", "Print the version"},
	{"hook", "Answer a Claude Code hook event"}, {"sync", "Sync imported GitHub/GitLab issues"},
}

func (c *completionCmd) Run(a *runner) error {
	var names, described []string
	for _, s := range subcommands {
		names = append(names, s[0])
		described = append(described, "'"+s[0]+":"+s[1]+"'")
	}
	flags := commandFlags(a.model)
	tsubs := tasksmdSubcommands(a.model)
	var tnames []string
	for _, t := range tsubs {
		tnames = append(tnames, t.name)
	}
	tlist := strings.Join(tnames, " ")
	var script string
	switch c.Shell {
	case "bash":
		var b strings.Builder
		for _, s := range subcommands {
			b.WriteString("        " + s[0] + ") echo '" + flagNames(flags[s[0]]) + "' ;;\n")
		}
		for _, t := range tsubs {
			b.WriteString("        tasksmd-" + t.name + ") echo '" + flagNames(t.flags) + "' ;;\n")
		}
		script = strings.ReplaceAll(bashCompletion, "@COMMANDS@", strings.Join(names, " "))
		script = strings.ReplaceAll(script, "@FLAGS@\n", b.String())
		script = strings.ReplaceAll(script, "@TASKSMD@", tlist)
		script = strings.ReplaceAll(script, "@TASKSMDALT@", strings.Join(tnames, "|"))
	case "zsh":
		var b strings.Builder
		for _, s := range subcommands {
			b.WriteString("    " + s[0] + ") flags=(" + flagNames(flags[s[0]]) + ") ;;\n")
		}
		var tb strings.Builder
		for _, t := range tsubs {
			tb.WriteString("        " + t.name + ") flags=(" + flagNames(t.flags) + ") ;;\n")
		}
		var td []string
		for _, t := range tsubs {
			td = append(td, "'"+t.name+":"+zshDescription(t.help)+"'")
		}
		script = strings.ReplaceAll(zshCompletion, "@COMMANDS@", strings.Join(described, "\n    "))
		script = strings.ReplaceAll(script, "@FLAGS@\n", b.String())
		script = strings.ReplaceAll(script, "@TASKSMDFLAGS@\n", tb.String())
		script = strings.ReplaceAll(script, "@TASKSMD@", strings.Join(td, " "))
	case "fish":
		var b strings.Builder
		for _, s := range subcommands {
			b.WriteString("complete -c backlog -n __fish_use_subcommand -a " + s[0] + " -d '" + s[1] + "'\n")
		}
		for _, s := range subcommands {
			if s[0] == "tasksmd" {
				continue // each of its subcommands has its own flags, below
			}
			for _, f := range flags[s[0]] {
				if f.global {
					continue
				}
				b.WriteString(fishFlag("'__fish_seen_subcommand_from "+s[0]+"'", f))
			}
		}
		inTasksmd := "__fish_seen_subcommand_from tasksmd tasks"
		for _, t := range tsubs {
			b.WriteString("complete -c backlog -n '" + inTasksmd + "; and not __fish_seen_subcommand_from " + tlist +
				"' -a " + t.name + " -d " + fishQuote(t.help) + "\n")
		}
		for _, t := range tsubs {
			for _, f := range t.flags {
				if !f.global {
					b.WriteString(fishFlag("'"+inTasksmd+"; and __fish_seen_subcommand_from "+t.name+"'", f))
				}
			}
		}
		b.WriteString("complete -c backlog -n '" + inTasksmd + "; and __fish_seen_subcommand_from lint parse' -F\n")
		script = strings.ReplaceAll(fishCompletion, "@COMMANDS@\n", b.String())
	case "":
		return backlog.Invalidf("completion needs a shell: backlog completion bash, zsh or fish")
	default:
		return backlog.Invalidf("cannot complete for the shell %q: use bash, zsh or fish", c.Shell)
	}
	_, err := io.WriteString(a.env.Stdout, script)
	return err
}

// fishFlag is the fish line that completes the flag f under the condition.
func fishFlag(cond string, f flag) string {
	line := "complete -c backlog -n " + cond + " -l " + f.name
	if f.value {
		line += " -r"
	}
	return line + " -d " + fishQuote(f.help) + "\n"
}

// fishQuote quotes s for fish, in single quotes.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}

// zshDescription makes s safe inside a single-quoted 'name:description'
// of _describe.
func zshDescription(s string) string {
	return strings.NewReplacer("'", "", ":", `\:`).Replace(strings.TrimSuffix(s, "."))
}

// tasksmdSub is a subcommand of `backlog tasksmd` as the completion
// scripts offer it.
type tasksmdSub struct {
	name, help string
	flags      []flag
}

// tasksmdSubcommands lists tasksmd's subcommands with their own flags, from
// the grammar, so that a new one (import, export, sync) is completed
// without anyone remembering to add it here.
func tasksmdSubcommands(app *kong.Application) []tasksmdSub {
	if app == nil {
		return nil
	}
	global := map[string]bool{}
	for _, f := range app.Flags {
		global[f.Name] = true
	}
	var out []tasksmdSub
	for _, c := range app.Children {
		if c.Name != "tasksmd" {
			continue
		}
		for _, sub := range c.Children {
			if sub.Hidden {
				continue
			}
			t := tasksmdSub{name: sub.Name, help: sub.Help}
			for _, group := range sub.AllFlags(true) {
				for _, f := range group {
					if !slices.ContainsFunc(t.flags, func(x flag) bool { return x.name == f.Name }) {
						t.flags = append(t.flags, flag{name: f.Name, help: f.Help, value: !f.IsBool(), global: global[f.Name]})
					}
				}
			}
			out = append(out, t)
		}
	}
	return out
}

// flag is a command's flag as the completion scripts offer it.
type flag struct {
	name, help    string
	value, global bool // takes a value; belongs to every command
}

// commandFlags lists each command's flags (a command with subcommands, as
// doc, gets theirs too), from the grammar itself, so that a new flag is
// completed without anyone remembering to add it here.
func commandFlags(app *kong.Application) map[string][]flag {
	out := map[string][]flag{}
	if app == nil {
		return out
	}
	global := map[string]bool{}
	for _, f := range app.Flags {
		global[f.Name] = true
	}
	var walk func(name string, n *kong.Node)
	walk = func(name string, n *kong.Node) {
		for _, group := range n.AllFlags(true) {
			for _, f := range group {
				if slices.ContainsFunc(out[name], func(x flag) bool { return x.name == f.Name }) {
					continue
				}
				out[name] = append(out[name], flag{name: f.Name, help: f.Help, value: !f.IsBool(), global: global[f.Name]})
			}
		}
		for _, c := range n.Children {
			if !c.Hidden {
				walk(name, c)
			}
		}
	}
	for _, c := range app.Children {
		if !c.Hidden {
			walk(c.Name, c)
		}
	}
	return out
}

// flagNames is "--a --b ..." for the flags.
func flagNames(fs []flag) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = "--" + f.name
	}
	return strings.Join(names, " ")
}

const bashCompletion = `# bash completion for backlog: source <(backlog completion bash)
_backlog() {
    local line="${COMP_LINE:0:COMP_POINT}"
    local cur="${line##*[[:space:]]}"
    local cmd="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            --data) ((i++)) ;;
            -*) ;;
            *) cmd="${COMP_WORDS[i]}"; break ;;
        esac
    done
    local -a cands=()
    if [[ -z "$cmd" ]]; then
        cands=($(compgen -W "@COMMANDS@ --json --data --help" -- "$cur"))
    else
        case "$cmd" in
            completion) cands=($(compgen -W "bash zsh fish" -- "$cur")) ;;
            import) cands=($(compgen -f -- "$cur")) ;;
            where|undo|projects|tags|calc) cands=($(compgen -W "--json --help" -- "$cur")) ;;
            tasksmd|tasks)
                local sub="${COMP_WORDS[i+1]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
                if ((COMP_CWORD == i + 1)) || [[ "$sub" != @(@TASKSMDALT@) ]]; then
                    cands=($(compgen -W "@TASKSMD@" -- "$cur"))
                elif [[ "$cur" == --* ]]; then
                    cands=($(compgen -W "$(_backlog_flags "tasksmd-$sub")" -- "$cur"))
                elif [[ "$prev" == --dir ]]; then
                    cands=($(compgen -d -- "$cur"))
                elif [[ "$prev" == --file || "$sub" == @(lint|parse) ]]; then
                    cands=($(compgen -f -- "$cur"))
                fi
                ;;
            *)
                if [[ "$cmd" == doc && "${COMP_WORDS[2]}" != @(write|read|edit|delete) ]]; then
                    cands=($(compgen -W "write read edit delete" -- "$cur"))
                elif [[ "$cur" == --* ]]; then
                    cands=($(compgen -W "$(_backlog_flags "$cmd")" -- "$cur"))
                elif [[ -z "$cur" || "$cur" == [0-9]* ]]; then
                    cands=($(compgen -W "$(backlog _complete ids 2>/dev/null | cut -f1)" -- "$cur"))
                else
                    local IFS=$'\n'
                    cands=($(backlog _complete word "$cur" 2>/dev/null))
                fi
                ;;
        esac
    fi
    if [[ "$cur" == *:* && "$COMP_WORDBREAKS" == *:* ]]; then
        local prefix="${cur%"${cur##*:}"}"
        cands=("${cands[@]#"$prefix"}")
    fi
    COMPREPLY=("${cands[@]}")
    [[ ${#COMPREPLY[@]} -eq 1 && "${COMPREPLY[0]}" == *: ]] && compopt -o nospace 2>/dev/null
    return 0
}
_backlog_flags() {
    case "$1" in
@FLAGS@
    esac
}
complete -F _backlog backlog
`

const zshCompletion = `#compdef backlog
# zsh completion for backlog: source <(backlog completion zsh)
_backlog() {
  local -a cmds
  cmds=(
    @COMMANDS@
  )
  if (( CURRENT == 2 )); then
    _describe -t commands 'backlog command' cmds
    return
  fi
  local cur=${words[CURRENT]}
  case ${words[2]} in
    completion) compadd bash zsh fish; return ;;
    import) _files; return ;;
    doc)
      if (( CURRENT == 3 )); then compadd write read edit delete; return; fi ;;
    tasksmd|tasks)
      if (( CURRENT == 3 )); then
        local -a subs
        subs=(@TASKSMD@)
        _describe -t commands 'tasksmd command' subs
      elif [[ $cur == --* ]]; then
        local -a flags
        case ${words[3]} in
@TASKSMDFLAGS@
        esac
        compadd -- $flags
      elif [[ ${words[CURRENT-1]} == --dir ]]; then
        _files -/
      elif [[ ${words[CURRENT-1]} == --file || ${words[3]} == (lint|parse) ]]; then
        _files
      fi
      return ;;
  esac
  if [[ $cur == --* ]]; then
    local -a flags
    case ${words[2]} in
@FLAGS@
    esac
    compadd -- $flags
  elif [[ -z $cur || $cur == [0-9]* ]]; then
    local -a ids
    ids=(${${(f)"$(backlog _complete ids 2>/dev/null)"}/$'\t'/:})
    _describe -t ids 'task' ids
  else
    local -a cands
    cands=(${(f)"$(backlog _complete word "$cur" 2>/dev/null)"})
    compadd -S '' -- $cands
  fi
}
if [[ $funcstack[1] == _backlog ]]; then
  _backlog "$@"
else
  compdef _backlog backlog
fi
`

const fishCompletion = `# fish completion for backlog: backlog completion fish > ~/.config/fish/completions/backlog.fish
complete -c backlog -f
@COMMANDS@
complete -c backlog -l json -d 'Print JSON'
complete -c backlog -l data -r -F -d 'The backlog directory'
complete -c backlog -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'
complete -c backlog -n '__fish_seen_subcommand_from import' -F
complete -c backlog -n '__fish_seen_subcommand_from doc; and not __fish_seen_subcommand_from write read edit delete' -a 'write read edit delete'
complete -c backlog -n 'not __fish_use_subcommand; and not __fish_seen_subcommand_from completion import where undo projects tags calc tasksmd tasks' -a '(backlog _complete ids 2>/dev/null)'
complete -c backlog -n 'not __fish_use_subcommand; and not __fish_seen_subcommand_from completion import where undo projects tags calc tasksmd tasks' -a '(backlog _complete word (commandline -ct) 2>/dev/null)'
`
