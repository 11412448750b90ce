package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

var completionCmd = &command{
	name:  "completion",
	args:  "bash|zsh|fish",
	short: "print a shell completion script",
	long: `Prints a script that completes exlog's commands, flags, flag values (formats,
levels, sources, detectors, severities) and file names in bash, zsh or fish.

Load it in the running shell, or install it where the shell looks for
completions:
  bash:  source <(exlog completion bash)
         exlog completion bash > /etc/bash_completion.d/exlog
  zsh:   source <(exlog completion zsh)       (after compinit)
         exlog completion zsh > "${fpath[1]}/_exlog"
  fish:  exlog completion fish > ~/.config/fish/completions/exlog.fish`,
	examples: []string{
		"exlog completion bash",
		"exlog completion zsh",
		"exlog completion fish",
	},
}

// The scripts list every command, completion too: set its run function
// here to keep the initialisation free of cycles.
func init() {
	completionCmd.flags = func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) != 1 {
				return usageErr("name the shell: bash, zsh or fish")
			}
			switch args[0] {
			case "bash":
				return writeBashCompletion(e.stdout)
			case "zsh":
				return writeZshCompletion(e.stdout)
			case "fish":
				return writeFishCompletion(e.stdout)
			}
			return usageErr("no completion for shell %q; choose from bash, zsh, fish", args[0])
		}
	}
}

// flagValues are the values a flag takes, for completion: per command
// ("search.format") or for every command ("level").
func flagValues(cmd, flag string) []string {
	switch cmd + "." + flag {
	case "triage.format", "detectors.format":
		return []string{"table", "json"}
	case "parse.format":
		return []string{"ndjson", "table"}
	case "search.format":
		return []string{"table", "json", "ndjson", "csv"}
	case "report.format":
		return []string{"md", "html", "json"}
	}
	switch flag {
	case "level":
		return levelNames
	case "source":
		return sourceNames
	case "detector":
		return detectorIDs()
	case "fail-on":
		return []string{"warning", "error", "critical"}
	case "sort":
		return []string{"time", "-time", "score"}
	case "histogram":
		return []string{"hour", "day"}
	case "facet":
		return []string{"node", "source", "provider", "level", "event_id", "file", "kind"}
	}
	return nil
}

// flagTakes says what a flag's value is: "dir" (an index), "file" (an
// output file) or "" (a word).
func flagTakes(flag string) string {
	switch flag {
	case "index":
		return "dir"
	case "out", "report":
		return "file"
	}
	return ""
}

// completionFlag is one flag as the scripts need it.
type completionFlag struct {
	name, short, usage string
	bool               bool
	values             []string
	takes              string
}

func completionFlags(c *command) []completionFlag {
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	c.flags(fs)
	var out []completionFlag
	fs.VisitAll(func(f *pflag.Flag) {
		usage := f.Usage
		if i := strings.IndexAny(usage, ";("); i > 0 {
			usage = usage[:i]
		}
		out = append(out, completionFlag{
			name: f.Name, short: f.Shorthand, usage: strings.TrimSpace(usage),
			bool: f.Value.Type() == "bool", values: flagValues(c.name, f.Name), takes: flagTakes(f.Name),
		})
	})
	return out
}

func commandNames() []string {
	var names []string
	for _, c := range allCommands() {
		names = append(names, c.name)
	}
	return append(names, "help", "version")
}

func writeBashCompletion(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# bash completion for exlog (exlog completion bash)\n")
	b.WriteString("_exlog() {\n")
	b.WriteString("    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n")
	b.WriteString("    if [[ $COMP_CWORD -eq 1 ]]; then\n")
	fmt.Fprintf(&b, "        COMPREPLY=($(compgen -W %s -- \"$cur\"))\n        return\n    fi\n", shellQuote(strings.Join(commandNames(), " ")))
	b.WriteString("    case \"${COMP_WORDS[1]}\" in\n")
	for _, c := range allCommands() {
		flags := completionFlags(c)
		fmt.Fprintf(&b, "    %s)\n        case \"$prev\" in\n", c.name)
		var names []string
		for _, f := range flags {
			pat := "--" + f.name
			names = append(names, "--"+f.name)
			if f.short != "" {
				pat += "|-" + f.short
			}
			switch {
			case f.bool:
				continue
			case len(f.values) > 0:
				fmt.Fprintf(&b, "        %s) COMPREPLY=($(compgen -W %s -- \"$cur\")); return ;;\n", pat, shellQuote(strings.Join(f.values, " ")))
			case f.takes == "dir":
				fmt.Fprintf(&b, "        %s) COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n", pat)
			case f.takes == "file":
				fmt.Fprintf(&b, "        %s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", pat)
			default:
				fmt.Fprintf(&b, "        %s) COMPREPLY=(); return ;;\n", pat)
			}
		}
		b.WriteString("        esac\n")
		fmt.Fprintf(&b, "        if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W %s -- \"$cur\")); return; fi\n", shellQuote(strings.Join(names, " ")))
		if c.name == "completion" {
			b.WriteString("        COMPREPLY=($(compgen -W 'bash zsh fish' -- \"$cur\")) ;;\n")
		} else {
			b.WriteString("        COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n")
		}
	}
	fmt.Fprintf(&b, "    help) COMPREPLY=($(compgen -W %s -- \"$cur\")) ;;\n", shellQuote(strings.Join(commandNames(), " ")))
	b.WriteString("    esac\n}\ncomplete -o filenames -o bashdefault -F _exlog exlog\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// zshQuote makes text safe inside an _arguments description.
func zshQuote(s string) string {
	return strings.NewReplacer("[", "(", "]", ")", ":", " -", "'", "", "\\", "/").Replace(s)
}

func writeZshCompletion(w io.Writer) error {
	var b strings.Builder
	b.WriteString("#compdef exlog\n# zsh completion for exlog (exlog completion zsh)\n\n_exlog() {\n    local -a commands\n    commands=(\n")
	for _, c := range allCommands() {
		fmt.Fprintf(&b, "        '%s:%s'\n", c.name, zshQuote(c.short))
	}
	b.WriteString("        'help:show the manual page of a command'\n        'version:print the version'\n    )\n")
	b.WriteString("    if (( CURRENT == 2 )); then\n        _describe 'command' commands\n        return\n    fi\n")
	b.WriteString("    local cmd=$words[2]\n    shift words\n    (( CURRENT-- ))\n    case $cmd in\n")
	for _, c := range allCommands() {
		fmt.Fprintf(&b, "    %s)\n        _arguments -s \\\n", c.name)
		for _, f := range completionFlags(c) {
			spec := "--" + f.name
			if f.short != "" {
				spec = "{-" + f.short + ",--" + f.name + "}"
			}
			desc := "[" + zshQuote(f.usage) + "]"
			var arg string
			switch {
			case f.bool:
			case len(f.values) > 0:
				arg = ":" + f.name + ":(" + strings.Join(f.values, " ") + ")"
			case f.takes == "dir":
				arg = ":" + f.name + ":_files -/"
			case f.takes == "file":
				arg = ":" + f.name + ":_files"
			default:
				arg = ":" + f.name + ": "
			}
			if f.short != "" {
				fmt.Fprintf(&b, "            %s'%s%s' \\\n", spec, desc, arg)
			} else {
				fmt.Fprintf(&b, "            '%s%s%s' \\\n", spec, desc, arg)
			}
		}
		if c.name == "completion" {
			b.WriteString("            '1:shell:(bash zsh fish)'\n        ;;\n")
		} else {
			b.WriteString("            '*:file:_files'\n        ;;\n")
		}
	}
	fmt.Fprintf(&b, "    help)\n        _values 'command' %s\n        ;;\n", strings.Join(commandNames(), " "))
	b.WriteString("    esac\n}\n\nif [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n    _exlog \"$@\"\nelse\n    compdef _exlog exlog\nfi\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// fishQuote quotes text for fish: single quotes, with \ and ' escaped.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func writeFishCompletion(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# fish completion for exlog (exlog completion fish)\ncomplete -c exlog -f\n")
	names := commandNames()
	for _, c := range allCommands() {
		fmt.Fprintf(&b, "complete -c exlog -n '__fish_use_subcommand' -a %s -d %s\n", c.name, fishQuote(c.short))
	}
	b.WriteString("complete -c exlog -n '__fish_use_subcommand' -a help -d 'show the manual page of a command'\n")
	b.WriteString("complete -c exlog -n '__fish_use_subcommand' -a version -d 'print the version'\n")
	fmt.Fprintf(&b, "complete -c exlog -n '__fish_seen_subcommand_from help' -a %s\n", fishQuote(strings.Join(slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "help" }), " ")))
	for _, c := range allCommands() {
		cond := fmt.Sprintf("-n '__fish_seen_subcommand_from %s'", c.name)
		for _, f := range completionFlags(c) {
			line := fmt.Sprintf("complete -c exlog %s -l %s", cond, f.name)
			if f.short != "" {
				line += " -s " + f.short
			}
			switch {
			case f.bool:
			case len(f.values) > 0:
				line += " -x -a " + fishQuote(strings.Join(f.values, " "))
			case f.takes != "":
				line += " -r -F"
			default:
				line += " -x"
			}
			b.WriteString(line + " -d " + fishQuote(f.usage) + "\n")
		}
		if c.name == "completion" {
			fmt.Fprintf(&b, "complete -c exlog %s -a 'bash zsh fish'\n", cond)
		} else {
			fmt.Fprintf(&b, "complete -c exlog %s -F\n", cond)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
