package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"golang.org/x/term"

	"github.com/exlog/exlog/detect"
)

func newEnv() *env {
	e := &env{stdout: os.Stdout, stderr: os.Stderr}
	e.stdoutTTY = term.IsTerminal(int(os.Stdout.Fd()))
	e.stderrTTY = term.IsTerminal(int(os.Stderr.Fd()))
	_, e.noColor = os.LookupEnv("NO_COLOR")
	if os.Getenv("TERM") == "dumb" {
		e.noColor = true
	}
	if e.stdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			e.width = w
		}
	}
	return e
}

// color reports whether stdout may carry ANSI colour.
func (e *env) color() bool { return e.stdoutTTY && !e.noColor }

// table returns a table writer sized to the terminal, if any: long cells
// wrap instead of pushing the table past the screen's right edge.
func (e *env) table(w io.Writer, header ...string) *tablewriter.Table {
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	}
	width := e.width
	if width == 0 {
		width = 160 // a pipe or a file: wide, but still bounded
	}
	opts = append(opts, tablewriter.WithMaxWidth(width))
	t := tablewriter.NewTable(w, opts...)
	t.Header(header)
	return t
}

var sevColors = map[detect.Severity]string{
	detect.Critical: "\x1b[1;31m",
	detect.Error:    "\x1b[31m",
	detect.Warning:  "\x1b[33m",
	detect.Info:     "\x1b[36m",
}

func (e *env) severity(s detect.Severity) string {
	if !e.color() {
		return s.String()
	}
	return sevColors[s] + s.String() + "\x1b[0m"
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// progress prints a one-line status on stderr, only when stderr is a
// terminal, at most a few times a second.
type progress struct {
	e     *env
	mu    sync.Mutex
	last  time.Time
	shown bool
}

func (p *progress) update(format string, args ...any) {
	if p == nil || !p.e.stderrTTY {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 150*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.shown = true
	fmt.Fprintf(p.e.stderr, "\r\x1b[K"+format, args...)
}

func (p *progress) done() {
	if p == nil || !p.shown {
		return
	}
	fmt.Fprint(p.e.stderr, "\r\x1b[K")
}

// oneLine shortens text to its first line and at most n characters.
func oneLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}

func writeNDJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
