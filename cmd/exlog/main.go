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
	"strings"
	"syscall"

	"github.com/spf13/pflag"
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

// command is one subcommand: its flags go into its own FlagSet.
type command struct {
	name  string
	args  string // the usage line after "exlog NAME"
	short string
	long  string
	flags func(fs *pflag.FlagSet) func(ctx context.Context, env *env, args []string) error
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
	return []*command{triageCmd, reportCmd, parseCmd, searchCmd, detectorsCmd}
}

func lookup(name string) *command {
	for _, c := range commands() {
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
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, `
Run 'exlog help <command>' or 'exlog <command> --help' for a command's flags.

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
				commandUsage(e.stdout, c, newFlagSet(c, e))
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
	fmt.Fprintf(e.stderr, "exlog %s: %v\n", name, err)
	if ctx.Err() != nil {
		fmt.Fprintln(e.stderr, "exlog: interrupted; no partial index was left behind")
	}
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
	if u := fs.FlagUsages(); u != "" {
		fmt.Fprintf(w, "\nFlags:\n%s", u)
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], newEnv()))
}
