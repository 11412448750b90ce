// Package inventory reads the cluster inventories support bundles carry as
// text: Get-ClusterNode, Get-ClusterGroup and Get-ClusterResource output
// (and the other FailoverClusters cmdlets) saved in table or list form, and
// the status tables of the Windows 2000/2003 cluster.exe. Every row or
// object becomes one event without a time, describing a node, group or
// resource as the collecting server saw it.
package inventory

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/exlog/exlog/parse"
)

// Parser reads cluster inventory text. The zero value is ready to use and
// safe for concurrent use.
type Parser struct{}

var _ parse.Parser = Parser{}

// Name is parse.SourceInventory.
func (Parser) Name() string { return parse.SourceInventory }

// reListLine is one property of a Format-List object: the name, padded
// with blanks, a colon, and the value (missing when empty).
var reListLine = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*) +:(?: (.*))?$`)

// reANSI matches the colour escapes PowerShell 7 may leave in saved output.
var reANSI = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

func cleanLine(s string) string {
	if strings.IndexByte(s, 0x1b) >= 0 {
		s = reANSI.ReplaceAllString(s, "")
	}
	return strings.TrimRight(strings.ReplaceAll(s, "\t", "    "), " \u00a0")
}

// Sniff accepts text holding a cluster table (its header row must sit on
// a dashed underline and name node, group or resource columns) or a
// Format-List object with properties only cluster nodes, groups or
// resources have. Bare Name/State tables are accepted only when their
// states are cluster states.
func (Parser) Sniff(head []byte) bool {
	text := parse.DecodeHead(head)
	lines := strings.Split(text, "\n")
	if len(head) >= parse.SniffSize && len(lines) > 1 {
		lines = lines[:len(lines)-1] // the last line may be cut short
	}
	for i := range lines {
		lines[i] = cleanLine(strings.TrimSuffix(lines[i], "\r"))
	}
	props := map[string]bool{}
	for i, l := range lines {
		if i+1 < len(lines) {
			if cols, ok := tableAt(l, lines[i+1]); ok {
				kind, sure := tableKind(cols)
				switch {
				case sure && (kind == KindNode || kind == KindGroup || kind == KindResource):
					return true
				case kind == KindNode && statesLookClustered(lines[i+2:], cols):
					return true
				}
			}
		}
		if l == "" {
			if listSniff(props) {
				return true
			}
			clear(props)
			continue
		}
		if m := reListLine.FindStringSubmatch(l); m != nil {
			props[strings.ToLower(m[1])] = true
		}
	}
	return listSniff(props)
}

func listSniff(p map[string]bool) bool {
	return (p["nodename"] && has(p, "nodehighestversion", "drainstatus", "nodeweight", "nodeinstanceid")) ||
		(p["ownernode"] && has(p, "failoverthreshold", "autofailbacktype", "iscoregroup", "grouptype")) ||
		(p["ownergroup"] && p["resourcetype"])
}

// statesLookClustered checks the rows under a Name/State table: at least
// one, and every State a cluster object state.
func statesLookClustered(rows []string, cols []column) bool {
	si := -1
	for i, c := range cols {
		if n := normLabel(c.label); n == "state" || n == "status" {
			si = i
		}
	}
	if si < 0 {
		return false
	}
	n := 0
	for _, r := range rows {
		if strings.TrimSpace(r) == "" {
			break
		}
		cells := splitRow([]rune(r), cols)
		if !clusterStates[normLabel(cells[si])] {
			return false
		}
		n++
	}
	return n > 0
}

// tableAt reports whether hdr followed by under starts a dashed table.
func tableAt(hdr, under string) ([]column, bool) {
	if strings.TrimSpace(hdr) == "" || !dashesOnly(under) {
		return nil, false
	}
	runs := dashRuns([]rune(under))
	if runs == nil {
		return nil, false
	}
	return header([]rune(hdr), runs)
}

// dashesOnly is a cheap test, before any decoding, that a line has dashes
// and nothing but dashes and blanks.
func dashesOnly(s string) bool {
	dash := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '-':
			dash = true
		case ' ', '\t':
		default:
			return false
		}
	}
	return dash
}

// Parse streams the file and emits one event per table row or list object
// that describes a cluster node, group, resource, network, interface,
// parameter or the cluster itself. Tables and lists of anything else are
// reported and skipped.
func (p Parser) Parse(ctx context.Context, in *parse.Input, rep *parse.Report, emit func(*parse.Event) error) (err error) {
	rc, err := in.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	r := &run{
		ctx:  ctx,
		in:   in,
		rep:  rep,
		emit: emit,
		src:  &peekLines{l: parse.NewLines(rc), rep: rep},
		node: parse.ShortNode(in.Node),
	}
	defer parse.RecoverPanic(&err, "cluster inventory parser", &r.src.num)
	return r.run()
}

// peekLines gives lines with one line of look-ahead, which a table header
// needs (it is known only once the dashes under it are seen).
type peekLines struct {
	l   *parse.Lines
	rep *parse.Report
	cut int

	text string
	num  int

	peeked   bool
	peekOK   bool
	peekText string
	peekNum  int
}

func (s *peekLines) read() (string, int, bool) {
	if !s.l.Next() {
		return "", 0, false
	}
	if t := s.l.Truncated(); t != s.cut {
		s.cut = t
		s.rep.AddProblem("line "+strconv.Itoa(s.l.Number()), "line is longer than %d bytes; the rest of it was dropped", parse.MaxLineBytes)
	}
	return cleanLine(s.l.Text()), s.l.Number(), true
}

func (s *peekLines) next() bool {
	if s.peeked {
		s.peeked = false
		if !s.peekOK {
			return false
		}
		s.text, s.num = s.peekText, s.peekNum
		return true
	}
	var ok bool
	s.text, s.num, ok = s.read()
	return ok
}

// peek returns the line after the current one, or "" at the end.
func (s *peekLines) peek() string {
	if !s.peeked {
		s.peekText, s.peekNum, s.peekOK = s.read()
		s.peeked = true
	}
	return s.peekText
}

// run is the state of one parse.
type run struct {
	ctx  context.Context
	in   *parse.Input
	rep  *parse.Report
	emit func(*parse.Event) error
	src  *peekLines
	node string

	hint string // what the last command echo announced

	// the open table
	cols      []column
	tableKind string
	tableLine int
	stateCol  int      // index of the State or Status column, or -1
	pending   []string // the last row, held in case the next line wraps it
	pendLine  int
	skipRows  int // rows of a table that is not a cluster inventory

	// the open Format-List object
	props     []pair
	propLine  int
	propNames map[string]bool

	stray      int // lines outside any table or list
	firstStray int
}

func (r *run) run() error {
	for r.src.next() {
		if r.src.num&1023 == 0 {
			if err := r.ctx.Err(); err != nil {
				return err
			}
		}
		if err := r.line(r.src.text); err != nil {
			return err
		}
	}
	if err := r.endTable(); err != nil {
		return err
	}
	if err := r.endList(); err != nil {
		return err
	}
	if r.stray > 0 {
		r.rep.AddProblem("line "+strconv.Itoa(r.firstStray),
			"%d lines outside any table or list were not read (the first is this one)", r.stray)
	}
	return r.src.l.Err()
}

func (r *run) line(l string) error {
	num := r.src.num
	if strings.TrimSpace(l) == "" {
		if err := r.endTable(); err != nil {
			return err
		}
		return r.endList()
	}
	// A header row: only known once the dashes under it are seen.
	if cols, ok := tableAt(l, r.src.peek()); ok {
		if err := r.endTable(); err != nil {
			return err
		}
		if err := r.endList(); err != nil {
			return err
		}
		r.src.next() // the dashes
		r.startTable(cols, num)
		return nil
	}
	if r.cols != nil {
		return r.row(l, num)
	}
	if m := reListLine.FindStringSubmatch(l); m != nil {
		if r.propNames[strings.ToLower(m[1])] {
			// The next object began without a blank line between.
			if err := r.endList(); err != nil {
				return err
			}
		}
		if len(r.props) >= maxProps {
			r.rep.AddProblem("line "+strconv.Itoa(r.propLine), "list object has more than %d properties; the rest start a new object", maxProps)
			if err := r.endList(); err != nil {
				return err
			}
		}
		if r.props == nil {
			r.propLine = num
			r.propNames = map[string]bool{}
		}
		r.props = append(r.props, pair{label: m[1], value: m[2]})
		r.propNames[strings.ToLower(m[1])] = true
		return nil
	}
	if r.props != nil && (l[0] == ' ' || l[0] == '\t') {
		// A long value wrapped onto an indented line.
		last := &r.props[len(r.props)-1]
		last.value = r.appendCapped(last.value, l, num)
		return nil
	}
	if err := r.endList(); err != nil {
		return err
	}
	if h := hintOf(l); h != "" {
		r.hint = h
		return nil
	}
	r.hint = ""
	if reChatter.MatchString(l) {
		return nil
	}
	if r.stray == 0 {
		r.firstStray = num
	}
	r.stray++
	return nil
}

func (r *run) startTable(cols []column, line int) {
	r.cols, r.tableLine, r.skipRows = cols, line, 0
	r.stateCol = -1
	for i, c := range cols {
		if n := normLabel(c.label); n == "state" || n == "status" {
			r.stateCol = i
		}
	}
	kind, sure := tableKind(cols)
	if !sure && r.hint != "" && normLabel(cols[0].label) == "name" {
		kind = r.hint
	}
	// One command prints one table.
	r.hint = ""
	r.tableKind = kind
}

func (r *run) row(l string, num int) error {
	if r.tableKind == "" {
		r.skipRows++
		return nil
	}
	cells := splitRow([]rune(l), r.cols)
	if r.pending != nil && (cells[0] == "" || (r.stateCol >= 0 && cells[r.stateCol] == "")) {
		// PowerShell -Wrap continues long cells on the following lines,
		// leaving the cells that fitted blank; every cluster object has a
		// state, so a line without one continues the row above.
		for i, c := range cells {
			if c != "" {
				r.pending[i] = r.appendCapped(r.pending[i], c, num)
			}
		}
		return nil
	}
	if err := r.flushRow(); err != nil {
		return err
	}
	r.pending, r.pendLine = cells, num
	return nil
}

func (r *run) flushRow() error {
	if r.pending == nil {
		return nil
	}
	pairs := make([]pair, len(r.cols))
	for i, c := range r.cols {
		pairs[i] = pair{label: c.label, value: r.pending[i]}
	}
	r.pending = nil
	return r.send(r.event(r.tableKind, r.pendLine, pairs))
}

func (r *run) endTable() error {
	if r.cols == nil {
		return nil
	}
	err := r.flushRow()
	if r.tableKind == "" && r.skipRows > 0 {
		r.rep.Skipped += r.skipRows
		r.rep.AddProblem("line "+strconv.Itoa(r.tableLine),
			"table with columns %s is not a cluster inventory; %d rows skipped", labels(r.cols), r.skipRows)
	}
	r.cols, r.tableKind, r.skipRows = nil, "", 0
	return err
}

func labels(cols []column) string {
	s := make([]string, len(cols))
	for i, c := range cols {
		s[i] = c.label
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func (r *run) endList() error {
	if r.props == nil {
		return nil
	}
	props, line, names := r.props, r.propLine, r.propNames
	r.props, r.propNames = nil, nil
	if len(props) < 2 {
		// One "Label : value" line alone is ordinary text, not an object.
		if r.stray == 0 {
			r.firstStray = line
		}
		r.stray++
		return nil
	}
	folded := make(map[string]bool, len(names))
	for _, p := range props {
		folded[normLabel(p.label)] = true
	}
	kind, sure := listKind(folded)
	if !sure && r.hint != "" {
		kind = r.hint
	}
	if kind == "" {
		r.rep.Skipped++
		r.rep.AddProblem("line "+strconv.Itoa(line),
			"list object with %d properties (first %q) is not a cluster inventory; skipped", len(props), props[0].label)
		return nil
	}
	return r.send(r.event(kind, line, props))
}

// Bounds that keep a damaged or hostile file from costing unbounded
// memory or quadratic time.
const (
	maxValue = 8 << 10 // bytes of one cell or property value
	maxProps = 1000    // properties of one list object
)

// appendCapped adds a wrapped continuation to a value, up to maxValue
// bytes; a value cut there ends with "…" and the cut is reported once.
func (r *run) appendCapped(v, more string, line int) string {
	if len(v) >= maxValue {
		return v
	}
	more = strings.TrimSpace(more)
	if v != "" {
		more = " " + more
	}
	if room := maxValue - len(v); len(more) > room {
		for room > 0 && !utf8.RuneStart(more[room]) {
			room--
		}
		r.rep.AddProblem("line "+strconv.Itoa(line), "wrapped value longer than %d bytes; the rest was dropped", maxValue)
		return v + more[:room] + "…"
	}
	return v + more
}

func (r *run) send(ev *parse.Event) error {
	r.rep.Events++
	return r.emit(ev)
}
