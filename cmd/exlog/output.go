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
	"unicode/utf8"

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
	// COLUMNS wins: it is how a user (or a pager, or a test) says how
	// wide output may be, also when it is not a terminal.
	if w, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && w > 0 {
		e.width = w
	} else if e.stdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			e.width = w
		}
	}
	return e
}

// color reports whether stdout may carry ANSI colour.
func (e *env) color() bool { return e.stdoutTTY && !e.noColor }

// The least width a boxed table is drawn at: below it, rows become
// blocks of "Header: value" lines, which stay readable on any width.
const minTableWidth = 80

// table collects rows and prints them in the form that fits where they
// go:
//
//   - a terminal (or COLUMNS) of at least 80 columns: a boxed table sized
//     to the width. Columns keep their natural width when everything fits;
//     otherwise the columns are capped, path columns are shortened in the
//     middle (the file name stays whole) and the text column, the widest
//     unless wrap says which, takes the room left and wraps;
//   - a pipe or a file: plain aligned columns, one line a row, nothing cut,
//     for grep and awk;
//   - a width below 80, or one where the text column would get too little
//     room: one block of "Header: value" lines a row.
type table struct {
	e      *env
	w      io.Writer
	header []string
	rows   [][]string
	paths  map[int]bool
	text   int // the column that wraps; -1: the widest
	// textMin is the least width of the text column (minFlexWidth if 0).
	textMin int
	// factors are suffixes said once in a column's header when every
	// cell of the column ends with them (" UTC").
	factors map[int]string
}

// fitTable starts a table with these column headers.
func (e *env) fitTable(w io.Writer, header ...string) *table {
	return &table{e: e, w: w, header: slices.Clone(header), paths: map[int]bool{}, text: -1}
}

// path marks columns that hold file paths: shortened in the middle, never
// wrapped mid-name.
func (t *table) path(cols ...int) *table {
	for _, c := range cols {
		t.paths[c] = true
	}
	return t
}

// factor moves suffix from the cells of column col to its header when
// every non-empty cell ends with it: a column of UTC times reads
// "Time (UTC)" over bare times.
func (t *table) factor(col int, suffix string) *table {
	if t.factors == nil {
		t.factors = map[int]string{}
	}
	t.factors[col] = suffix
	return t
}

func (t *table) applyFactors() {
	for col, suffix := range t.factors {
		cells := make([]string, len(t.rows))
		for i, r := range t.rows {
			if col < len(r) {
				cells[i] = r[col]
			}
		}
		strip, ok := commonSuffix(cells, suffix)
		if !ok || col >= len(t.header) || strings.Join(cells, "") == "" {
			continue
		}
		t.header[col] += " (" + strings.TrimSpace(suffix) + ")"
		for i, r := range t.rows {
			if col < len(r) {
				r[col] = strip[i]
			}
		}
	}
	t.factors = nil
}

// wrap names the column that takes the room left and wraps (a message,
// a summary, an explanation); least, when given, is the fewest columns it
// is worth showing in: below that the rows become blocks.
func (t *table) wrap(col int, least ...int) *table {
	t.text = col
	if len(least) > 0 {
		t.textMin = least[0]
	}
	return t
}

// Append adds one row.
func (t *table) Append(row []string) error {
	t.rows = append(t.rows, row)
	return nil
}

// otherColumnCap is the most a column other than the text column gets when
// the table does not fit.
const otherColumnCap = 36

// minFlexWidth is the least room the text column is given in a table.
const minFlexWidth = 20

var ansiSeq = regexp.MustCompile("\x1b\\[[0-9;]*m")

func cellWidth(s string) int {
	s = stripANSI(s)
	if !strings.Contains(s, "\n") {
		return runewidth.StringWidth(s)
	}
	n := 0
	for _, line := range strings.Split(s, "\n") {
		n = max(n, runewidth.StringWidth(line))
	}
	return n
}

// stripANSI drops colour sequences; most cells have none.
func stripANSI(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	return ansiSeq.ReplaceAllString(s, "")
}

// visibleWidth is the width of s on screen: escape sequences take none.
func visibleWidth(s string) int {
	return runewidth.StringWidth(stripANSI(s))
}

// wrapText folds text to lines of at most width columns: at spaces where
// it can, then after path separators (file paths have no spaces), and
// only then inside a word. Colour sequences take no width, and a colour
// open at the end of a line is closed there and opened again on the next,
// so that it never bleeds into the table's borders.
func wrapText(s string, width int) string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		flush := func() {
			out = append(out, line)
			line = ""
		}
		for _, word := range strings.Fields(para) {
			for visibleWidth(word) > width {
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
			case visibleWidth(line)+1+visibleWidth(word) <= width:
				line += " " + word
			default:
				flush()
				line = word
			}
		}
		flush()
	}
	// Carry an open colour over line ends.
	open := ""
	for i, l := range out {
		l = open + l
		open = ""
		if seqs := ansiSeq.FindAllString(l, -1); len(seqs) > 0 && seqs[len(seqs)-1] != "\x1b[0m" {
			open = seqs[len(seqs)-1]
			l += "\x1b[0m"
		}
		out[i] = l
	}
	return strings.Join(out, "\n")
}

// breakPoint returns the byte index at which to cut a word wider than
// width: after the last '/', '\\' or '!' that fits, else at width. It never
// cuts inside a colour sequence.
func breakPoint(word string, width int) int {
	cut, w, lastSep := 0, 0, 0
	for i := 0; i < len(word); {
		if loc := ansiSeq.FindStringIndex(word[i:]); loc != nil && loc[0] == 0 {
			i += loc[1]
			cut = i
			continue
		}
		r, size := utf8.DecodeRuneInString(word[i:])
		rw := runewidth.RuneWidth(r)
		if w+rw > width {
			break
		}
		w += rw
		i += size
		cut = i
		if r == '/' || r == '\\' || r == '!' {
			lastSep = cut
		}
	}
	if lastSep > width/3 {
		return lastSep
	}
	return max(cut, 1)
}

// shortenMiddle fits a path into width columns by cutting folders out of
// its middle: "EX16-N1-321.zip!/…/System.evtx:812". The last element (the
// file name, with any ":line" or " #record") stays whole; when even that
// does not fit, the path is returned as it is, for wrapping.
func shortenMiddle(p string, width int) string {
	if runewidth.StringWidth(p) <= width || strings.Contains(p, "\x1b") {
		return p
	}
	i := strings.LastIndexAny(p, "/\\")
	if i <= 0 {
		return p
	}
	tail := p[i:]                                   // the separator and the name
	room := width - runewidth.StringWidth(tail) - 2 // a separator and "…"
	if room < 1 {
		if runewidth.StringWidth(tail)+1 <= width {
			return "…" + tail
		}
		return p
	}
	head := runewidth.Truncate(p[:i], room, "")
	// End the head after a separator where one is near, so that folder
	// names are not cut.
	if j := strings.LastIndexAny(head, "/\\!"); j >= 0 {
		head = head[:j+1]
	} else {
		head = "" // no whole folder name fits: "…/name"
	}
	if head == "" {
		return "…" + tail
	}
	return strings.TrimRight(head, "/\\") + string(p[i]) + "…" + tail
}

// nameWidth is the width a path's last element (the file name with any
// ":line" or " #record") needs so that no word of it is cut: a name with
// spaces may wrap at them.
func nameWidth(p string) int {
	if i := strings.LastIndexAny(p, "/\\"); i >= 0 {
		p = p[i+1:]
	}
	n := 0
	for _, w := range strings.Fields(p) {
		n = max(n, runewidth.StringWidth(w))
	}
	return n
}

// dropEmpty leaves out the columns no row has a value in (an event ID
// column of cluster log lines); they would only take room.
func (t *table) dropEmpty() {
	if len(t.rows) == 0 {
		return
	}
	var keep []int
	for i := range t.header {
		for _, r := range t.rows {
			if i < len(r) && strings.TrimSpace(r[i]) != "" {
				keep = append(keep, i)
				break
			}
		}
	}
	if len(keep) == len(t.header) || len(keep) == 0 {
		return
	}
	pick := func(cells []string) []string {
		out := make([]string, 0, len(keep))
		for _, i := range keep {
			if i < len(cells) {
				out = append(out, cells[i])
			} else {
				out = append(out, "")
			}
		}
		return out
	}
	paths := map[int]bool{}
	text := -1
	for n, i := range keep {
		if t.paths[i] {
			paths[n] = true
		}
		if t.text == i {
			text = n
		}
	}
	t.header = pick(t.header)
	for k, r := range t.rows {
		t.rows[k] = pick(r)
	}
	t.paths, t.text = paths, text
}

// Render prints the table.
func (t *table) Render() error {
	if len(t.rows) == 0 && len(t.header) == 0 {
		return nil
	}
	t.applyFactors()
	t.dropEmpty()
	width := t.e.width
	if width == 0 {
		return t.renderPlain()
	}
	if width < minTableWidth {
		return t.renderBlocks(width)
	}
	limit, ok := t.limits(width)
	if !ok {
		return t.renderBlocks(width)
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
			if i >= len(limit) || cellWidth(c) <= limit[i] {
				continue
			}
			if t.paths[i] {
				c = shortenMiddle(c, limit[i])
			}
			if cellWidth(c) > limit[i] {
				c = wrapText(c, limit[i])
			}
			cells[i] = c
		}
		if err := tt.Append(cells); err != nil {
			return err
		}
	}
	return tt.Render()
}

// limits gives each column its width within width; ok is false when the
// text column would get less than minFlexWidth.
func (t *table) limits(width int) (limit []int, ok bool) {
	natural := make([]int, len(t.header))
	for _, r := range append([][]string{t.header}, t.rows...) {
		for i, c := range r {
			if i < len(natural) {
				natural[i] = max(natural[i], cellWidth(c))
			}
		}
	}
	overhead := 3*len(natural) + 1
	limit = slices.Clone(natural)
	total := overhead
	for _, n := range natural {
		total += n
	}
	if total <= width {
		return limit, true
	}
	flex := t.text
	if flex < 0 || flex >= len(natural) {
		flex = 0
		for i, n := range natural {
			if n > natural[flex] && !t.paths[i] {
				flex = i
			}
		}
	}
	// The least a column can take without cutting a word (or, for a
	// path, a file name).
	least := make([]int, len(natural))
	for i := range least {
		least[i] = cellWidth(t.header[i])
		for _, r := range t.rows {
			if i >= len(r) {
				continue
			}
			if t.paths[i] {
				least[i] = max(least[i], min(cellWidth(r[i]), nameWidth(r[i])+2))
				continue
			}
			for _, w := range strings.Fields(stripANSI(r[i])) {
				least[i] = max(least[i], runewidth.StringWidth(w))
			}
		}
		least[i] = min(least[i], natural[i])
	}
	// The text column needs a useful share; a path in it, its file names.
	flexMin := minFlexWidth
	if t.textMin > 0 {
		flexMin = t.textMin
	}
	need := min(flexMin, natural[flex])
	if t.paths[flex] {
		need = max(need, least[flex])
	}
	// Shrink the other columns until the text column has it.
	used := 0
	for capW := otherColumnCap; ; capW -= 2 {
		used = overhead
		for i := range limit {
			if i != flex {
				limit[i] = min(natural[i], max(capW, least[i]))
				used += limit[i]
			}
		}
		if width-used >= need || capW <= 8 {
			break
		}
	}
	if width-used < need {
		return nil, false
	}
	limit[flex] = min(natural[flex], width-used)
	// Room the text column does not need goes back to the capped columns,
	// paths first.
	slack := width - used - limit[flex]
	for _, paths := range []bool{true, false} {
		for i := range limit {
			if slack > 0 && i != flex && t.paths[i] == paths && limit[i] < natural[i] {
				add := min(slack, natural[i]-limit[i])
				limit[i] += add
				slack -= add
			}
		}
	}
	return limit, true
}

// renderPlain prints aligned columns without borders, one line a row.
func (t *table) renderPlain() error {
	flat := func(s string) string { return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ") }
	rows := append([][]string{t.header}, t.rows...)
	widths := make([]int, len(t.header))
	for _, r := range rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], visibleWidth(flat(c)))
			}
		}
	}
	var b strings.Builder
	for _, r := range rows {
		line := ""
		for i, c := range r {
			c = flat(c)
			if i == len(r)-1 {
				line += c
				break
			}
			line += c + strings.Repeat(" ", widths[i]-visibleWidth(c)+2)
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	_, err := io.WriteString(t.w, b.String())
	return err
}

// renderBlocks prints one block of "Header: value" lines a row, values
// wrapped to the width.
func (t *table) renderBlocks(width int) error {
	label := 0
	for _, h := range t.header {
		label = max(label, runewidth.StringWidth(h))
	}
	room := max(20, width-label-2)
	var b strings.Builder
	for n, r := range t.rows {
		if n > 0 {
			b.WriteString("\n")
		}
		for i, c := range r {
			if i >= len(t.header) || strings.TrimSpace(c) == "" {
				continue
			}
			h := t.header[i]
			if h == "" {
				h = "-"
			}
			if t.paths[i] {
				c = shortenMiddle(c, room)
			}
			lines := strings.Split(wrapText(c, room), "\n")
			for j, l := range lines {
				if j == 0 {
					fmt.Fprintf(&b, "%s:%s %s\n", h, strings.Repeat(" ", label-runewidth.StringWidth(h)), l)
				} else {
					fmt.Fprintf(&b, "%s  %s\n", strings.Repeat(" ", label), l)
				}
			}
		}
	}
	_, err := io.WriteString(t.w, b.String())
	return err
}

// para prints text after a lead ("    fix: "), wrapped to the width with
// the following lines indented as far as the lead; without a width (a pipe
// or a file) it stays on one line.
func (e *env) para(w io.Writer, lead, text string) {
	text = strings.Join(strings.Fields(text), " ")
	room := e.width - visibleWidth(lead)
	if e.width == 0 || room < 30 {
		fmt.Fprintf(w, "%s%s\n", lead, text)
		return
	}
	pad := strings.Repeat(" ", visibleWidth(lead))
	for i, l := range strings.Split(wrapText(text, room), "\n") {
		if i == 0 {
			fmt.Fprintf(w, "%s%s\n", lead, l)
		} else {
			fmt.Fprintf(w, "%s%s\n", pad, l)
		}
	}
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
