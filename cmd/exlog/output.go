package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-runewidth"
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
	} else if w, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && w > 0 {
		e.width = w // a pipe into a pager that says how wide it is
	}
	return e
}

// color reports whether stdout may carry ANSI colour.
func (e *env) color() bool { return e.stdoutTTY && !e.noColor }

// table collects rows and renders them fitted to the terminal (or to 160
// columns when output goes to a pipe or a file). Columns keep their natural
// width when everything fits; otherwise long columns are capped and the
// widest one, usually a summary or a message, takes the room left and wraps.
type table struct {
	e      *env
	w      io.Writer
	header []string
	rows   [][]string
}

func (e *env) fitTable(w io.Writer, header ...string) *table {
	return &table{e: e, w: w, header: header}
}

// table returns a plain table writer for callers that size columns
// themselves.
func (e *env) table(w io.Writer, header ...string) *tablewriter.Table {
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	)
	t.Header(header)
	return t
}

// Append adds one row.
func (t *table) Append(row []string) error {
	t.rows = append(t.rows, row)
	return nil
}

// otherColumnCap is the most a column other than the widest gets when the
// table does not fit.
const otherColumnCap = 36

// minFlexWidth is the least room the widest column is given.
const minFlexWidth = 30

var ansiSeq = regexp.MustCompile("\x1b\\[[0-9;]*m")

func cellWidth(s string) int {
	n := 0
	for _, line := range strings.Split(ansiSeq.ReplaceAllString(s, ""), "\n") {
		n = max(n, runewidth.StringWidth(line))
	}
	return n
}

// wrapText folds text to lines of at most width columns: at spaces where
// it can, then after path separators (file paths have no spaces), and
// only then inside a word.
func wrapText(s string, width int) string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		flush := func() {
			out = append(out, line)
			line = ""
		}
		for _, word := range strings.Fields(para) {
			for runewidth.StringWidth(word) > width {
				cut := breakPoint(word, width)
				if line != "" {
					flush()
				}
				line = word[:cut]
				flush()
				word = word[cut:]
			}
			switch {
			case line == "":
				line = word
			case runewidth.StringWidth(line)+1+runewidth.StringWidth(word) <= width:
				line += " " + word
			default:
				flush()
				line = word
			}
		}
		flush()
	}
	return strings.Join(out, "\n")
}

// breakPoint returns the byte index at which to cut a word wider than
// width: after the last '/', '\\' or '!' that fits, else at width.
func breakPoint(word string, width int) int {
	cut, w, lastSep := 0, 0, 0
	for i, r := range word {
		rw := runewidth.RuneWidth(r)
		if w+rw > width {
			break
		}
		w += rw
		cut = i + len(string(r))
		if r == '/' || r == '\\' || r == '!' {
			lastSep = cut
		}
	}
	if lastSep > width/3 {
		return lastSep
	}
	return max(cut, 1)
}

// Render prints the table.
func (t *table) Render() error {
	width := t.e.width
	if width == 0 {
		width = 160
	}
	natural := make([]int, len(t.header))
	for _, r := range append([][]string{t.header}, t.rows...) {
		for i, c := range r {
			if i < len(natural) {
				natural[i] = max(natural[i], cellWidth(c))
			}
		}
	}
	overhead := 3*len(natural) + 1
	limit := slices.Clone(natural)
	total := overhead
	for _, n := range natural {
		total += n
	}
	if total > width {
		flex := 0
		for i, n := range natural {
			if n > natural[flex] {
				flex = i
			}
		}
		// Shrink the other columns until the widest has a useful share.
		used := 0
		for capW := otherColumnCap; ; capW -= 2 {
			used = overhead
			for i := range limit {
				if i != flex {
					limit[i] = min(natural[i], max(capW, cellWidth(t.header[i])))
					used += limit[i]
				}
			}
			if width-used >= minFlexWidth || capW <= 8 {
				break
			}
		}
		limit[flex] = min(natural[flex], max(minFlexWidth, width-used))
	}
	tt := tablewriter.NewTable(t.w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	)
	tt.Header(t.header)
	for _, r := range t.rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = c
			if i < len(limit) && cellWidth(c) > limit[i] && !strings.Contains(c, "\x1b") {
				cells[i] = wrapText(c, limit[i])
			}
		}
		if err := tt.Append(cells); err != nil {
			return err
		}
	}
	return tt.Render()
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
