// Command exlog reads log bundles collected from Microsoft Exchange Server
// clusters, indexes every event, and explains what went wrong during an
// upgrade or a failover.
//
// Exit codes:
//
//	0  done (with --fail-on: no finding at or above that severity)
//	1  a finding at or above the --fail-on severity
//	2  usage error: bad flag, argument, query or index path
//	3  nothing in the input could be read
//	4  the work could not be completed (I/O error, index error, interrupted)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/exlog/exlog/detect"
)

// Exit codes; see the package comment and the README.
const (
	exitOK         = 0
	exitFindings   = 1
	exitUsage      = 2
	exitNothing    = 3
	exitIncomplete = 4
)

// exitError carries an exit code with its message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr is a mistake in how exlog was called; the message names the fix.
func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// failOnLevel reads --fail-on; SevNone when it is not given.
func failOnLevel(flag string) (detect.Severity, error) {
	if flag == "" {
		return detect.SevNone, nil
	}
	s, err := detect.ParseSeverity(flag)
	if err != nil {
		return detect.SevNone, usageErr("--fail-on: %v", err)
	}
	return s, nil
}

// failedOn is the exit of a run whose most severe finding reaches the
// --fail-on level; nil when it does not or no level was given.
func failedOn(highest, level detect.Severity) error {
	if level != detect.SevNone && highest >= level {
		return &exitError{code: exitFindings, err: fmt.Errorf("findings at %s or above", level)}
	}
	return nil
}

// nothingRead is the exit of a run in which no file of the bundles held
// events exlog recognises.
func nothingRead(bundles []string) error {
	return &exitError{code: exitNothing, err: fmt.Errorf("nothing in %s could be read: no file held events exlog recognises", strings.Join(bundles, ", "))}
}

// command is one subcommand: its flags go into its own FlagSet.
type command struct {
	name  string
	args  string // the usage line after "exlog NAME"
	short string
	long  string
	// examples run as written from the module root (a test runs each one
	// and wants output); a "|" or ">" and what follows is shell.
	examples []string
	flags    func(fs *pflag.FlagSet) func(ctx context.Context, env *env, args []string) error
}

// env is what a command may touch, so tests can run commands in-process.
type env struct {
	stdout, stderr io.Writer
	stdoutTTY      bool // stdout is a terminal: colour and terminal-width tables
	stderrTTY      bool // stderr is a terminal: progress
	noColor        bool
	width          int // terminal width for tables, 0 when not a terminal
}

func commands() []*command {
	return []*command{triageCmd, reportCmd, parseCmd, searchCmd, exportCmd, detectorsCmd}
}

// allCommands are the commands of the table plus the ones about exlog
// itself (completion), which stay out of the table so that it only names
// the work commands.
func allCommands() []*command {
	return append(commands(), completionCmd)
}

func lookup(name string) *command {
	for _, c := range allCommands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprint(w, `exlog reads log bundles from Microsoft Exchange Server clusters (setup logs,
EVTX/EVT event logs, cluster logs, registry exports), indexes every event and
explains what went wrong during an upgrade or a failover.

Usage:
  exlog <command> [flags] [arguments]

Commands:
`)
	for _, c := range allCommands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, `
Run 'exlog <command> --help' for a command's flags, 'exlog help <command>'
for its manual page.

Start with: exlog triage fixtures/bundles/ex2007-ccr-upgrade.zip

Exit codes: 0 done; 1 findings at or above --fail-on; 2 usage error;
3 nothing in the input could be read; 4 could not complete.
`)
}

// run executes one exlog invocation and returns its exit code.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help":
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				manPage(e.stdout, c, newFlagSet(c, e))
				return exitOK
			}
			fmt.Fprintf(e.stderr, "exlog: unknown command %q\n\n", args[1])
			usage(e.stderr)
			return exitUsage
		}
		usage(e.stdout)
		return exitOK
	case "version", "--version":
		fmt.Fprintln(e.stdout, "exlog", version)
		return exitOK
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(e.stderr, "exlog: unknown command %q\n\n", name)
		usage(e.stderr)
		return exitUsage
	}
	fs := newFlagSet(c, e)
	runFn := c.flags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(e.stderr, "exlog %s: %v\nRun 'exlog %s --help' for usage.\n", name, err, name)
		return exitUsage
	}
	err := runFn(ctx, e, fs.Args())
	if err == nil {
		return exitOK
	}
	var xe *exitError
	if errors.As(err, &xe) {
		if xe.code == exitFindings {
			return exitFindings // the output already says why
		}
		fmt.Fprintf(e.stderr, "exlog %s: %v\n", name, xe.err)
		if xe.code == exitUsage {
			fmt.Fprintf(e.stderr, "Run 'exlog %s --help' for usage.\n", name)
		}
		return xe.code
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		fmt.Fprintf(e.stderr, "exlog %s: interrupted; nothing was written (no partial index or report is left behind)\n", name)
		return exitIncomplete
	}
	fmt.Fprintf(e.stderr, "exlog %s: %v\n", name, err)
	return exitIncomplete
}

func newFlagSet(c *command, e *env) *pflag.FlagSet {
	fs := pflag.NewFlagSet("exlog "+c.name, pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.SortFlags = false
	fs.Usage = func() { commandUsage(e.stdout, c, fs) }
	return fs
}

func commandUsage(w io.Writer, c *command, fs *pflag.FlagSet) {
	if fs.FlagUsages() == "" {
		c.flags(fs)
	}
	fmt.Fprintf(w, "Usage: exlog %s %s\n\n%s\n", c.name, c.args, strings.TrimSpace(c.long))
	if len(c.examples) > 0 {
		fmt.Fprintf(w, "\nExamples:\n")
		for _, ex := range c.examples {
			fmt.Fprintf(w, "  %s\n", ex)
		}
	}
	if u := fs.FlagUsages(); u != "" {
		fmt.Fprintf(w, "\nFlags:\n%s", u)
	}
	fmt.Fprintf(w, "\nRun 'exlog help %s' for the whole manual page.\n", c.name)
}

// manPage prints a command's help in the sections of a manual page.
func manPage(w io.Writer, c *command, fs *pflag.FlagSet) {
	if fs.FlagUsages() == "" {
		c.flags(fs)
	}
	indent := func(text string) string {
		var b strings.Builder
		for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
			if l == "" {
				b.WriteString("\n")
				continue
			}
			b.WriteString("       " + l + "\n")
		}
		return b.String()
	}
	title := "EXLOG-" + strings.ToUpper(c.name)
	fmt.Fprintf(w, "%s(1)%s%s(1)\n\n", title, strings.Repeat(" ", max(1, 72-2*len(title)-6)), title)
	fmt.Fprintf(w, "NAME\n       exlog %s - %s\n\n", c.name, c.short)
	fmt.Fprintf(w, "SYNOPSIS\n       exlog %s %s\n\n", c.name, c.args)
	fmt.Fprintf(w, "DESCRIPTION\n%s\n", indent(c.long))
	if fs.HasFlags() {
		// Each option on a line of its own, its text below it, wrapped as a
		// manual page is.
		fmt.Fprint(w, "OPTIONS\n")
		fs.VisitAll(func(f *pflag.Flag) {
			name := "--" + f.Name
			if f.Shorthand != "" {
				name = "-" + f.Shorthand + ", " + name
			}
			if typ, _ := pflag.UnquoteUsage(f); typ != "" {
				name += " " + typ
			}
			_, usage := pflag.UnquoteUsage(f)
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
				usage += " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(w, "       %s\n", name)
			for _, l := range strings.Split(wrapText(usage, 60), "\n") {
				fmt.Fprintf(w, "              %s\n", l)
			}
		})
		fmt.Fprintln(w)
	}
	if len(c.examples) > 0 {
		fmt.Fprintf(w, "EXAMPLES\n%s\n", indent(strings.Join(c.examples, "\n")))
	}
	fmt.Fprint(w, `EXIT STATUS
       0  done (with --fail-on: no finding at or above that severity)
       1  a finding at or above the --fail-on severity
       2  usage error: a bad flag, argument, query or index path
       3  nothing in the input could be read
       4  the work could not be completed (I/O or index error, interrupted)

`)
	var see []string
	for _, o := range allCommands() {
		if o != c {
			see = append(see, "exlog-"+o.name+"(1)")
		}
	}
	fmt.Fprintf(w, "SEE ALSO\n       %s\n", strings.Join(see, ", "))
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := profiled(func() int { return run(ctx, os.Args[1:], newEnv()) })
	os.Exit(code)
}

// profiled runs f with a CPU profile written to $EXLOG_CPUPROFILE when that
// is set: how the project's benchmarks find where the time goes in a whole
// command (see README, Performance).
func profiled(f func() int) int {
	path := os.Getenv("EXLOG_CPUPROFILE")
	if path == "" {
		return f()
	}
	out, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "exlog: EXLOG_CPUPROFILE:", err)
		return f()
	}
	defer out.Close()
	if err := pprof.StartCPUProfile(out); err != nil {
		fmt.Fprintln(os.Stderr, "exlog: EXLOG_CPUPROFILE:", err)
		return f()
	}
	defer pprof.StopCPUProfile()
	return f()
}
