package inventory

import (
	"strings"
	"unicode"
)

// column is one column of a dashed text table: its header label and the
// rune span [start, end) of the dashes under it.
type column struct {
	label      string
	start, end int
}

// dashRuns returns the runs of a line made only of dashes and blanks, or
// nil when the line holds anything else. PowerShell underlines each label
// with as many dashes as it is long; cluster.exe underlines the whole
// column width.
func dashRuns(line []rune) []column {
	var cols []column
	start := -1
	for i, r := range line {
		switch r {
		case '-':
			if start < 0 {
				start = i
			}
		case ' ', '\t':
			if start >= 0 {
				cols = append(cols, column{start: start, end: i})
				start = -1
			}
		default:
			return nil
		}
	}
	if start >= 0 {
		cols = append(cols, column{start: start, end: len(line)})
	}
	return cols
}

// header matches a header line to the dash runs under it: every run must
// sit under a label and the header may have no text outside the runs.
func header(line []rune, runs []column) ([]column, bool) {
	if len(runs) == 0 {
		return nil, false
	}
	cols := make([]column, len(runs))
	pos := 0
	for i, c := range runs {
		for ; pos < c.start && pos < len(line); pos++ {
			if !unicode.IsSpace(line[pos]) {
				return nil, false
			}
		}
		end := min(c.end, len(line))
		if c.start >= end {
			return nil, false
		}
		label := strings.TrimSpace(string(line[c.start:end]))
		if label == "" {
			return nil, false
		}
		cols[i] = column{label: label, start: c.start, end: c.end}
		pos = end
	}
	for ; pos < len(line); pos++ {
		if !unicode.IsSpace(line[pos]) {
			return nil, false
		}
	}
	return cols, true
}

// splitRow cuts a table row into cells. Cells normally start where their
// dashes start; two layouts move that point:
//   - a right-aligned number wider than its label (PowerShell) starts left
//     of its dashes and ends where they end;
//   - a value longer than its column (cluster.exe pads with printf and
//     never truncates) pushes every later column right by the same amount,
//     found as the smallest shift at which all later columns start after a
//     blank.
func splitRow(row []rune, cols []column) []string {
	n := len(cols)
	bounds := make([]int, n+1)
	bounds[n] = len(row)
	shift := 0
	for j := 1; j < n; j++ {
		s := cols[j].start + shift
		switch {
		case s >= len(row):
			bounds[j] = len(row)
		case s <= bounds[j-1]:
			bounds[j] = bounds[j-1]
		case row[s-1] == ' ' || row[s-1] == '\t':
			bounds[j] = s
		default:
			if p, ok := rightAlignedNumber(row, cols[j], shift, bounds[j-1]); ok {
				bounds[j] = p
			} else if k, ok := overflowShift(row, cols[j:], shift); ok {
				shift = k
				bounds[j] = cols[j].start + shift
			} else {
				bounds[j] = s
			}
		}
	}
	cells := make([]string, n)
	for i := range n {
		a, b := min(bounds[i], len(row)), min(bounds[i+1], len(row))
		if b > a {
			cells[i] = strings.TrimSpace(string(row[a:b]))
		}
	}
	return cells
}

// rightAlignedNumber finds the start of a run of digits that ends where the
// column's dashes end and begins left of them.
func rightAlignedNumber(row []rune, c column, shift, floor int) (int, bool) {
	e := c.end + shift
	if e > len(row) || (e < len(row) && row[e] != ' ' && row[e] != '\t') {
		return 0, false
	}
	p := e - 1
	for p > floor && row[p] >= '0' && row[p] <= '9' {
		p--
	}
	if p >= e-1 || p <= floor || (row[p] != ' ' && row[p] != '\t') {
		return 0, false
	}
	return p + 1, true
}

// maxShift bounds how far an over-long value may push later columns; it
// keeps a huge garbage line from costing quadratic time.
const maxShift = 512

// overflowShift finds the smallest shift, larger than the current one, at
// which every remaining column starts right after a blank: with text at
// its first position, or with a right-aligned number in it.
func overflowShift(row []rune, cols []column, shift int) (int, bool) {
	for k := shift + 1; k <= shift+maxShift && cols[0].start+k < len(row); k++ {
		ok := true
		for m, c := range cols {
			s := c.start + k
			if s >= len(row) || !blank(row[s-1]) {
				ok = false
				break
			}
			end := len(row)
			if m+1 < len(cols) {
				end = min(cols[m+1].start+k, len(row))
			}
			if s >= end || (blank(row[s]) && !numberCell(row[s:end])) {
				ok = false
				break
			}
		}
		if ok {
			return k, true
		}
	}
	return 0, false
}

// numberCell reports whether a cell holds a number padded with blanks.
func numberCell(cell []rune) bool {
	digits := false
	for _, r := range cell {
		switch {
		case r >= '0' && r <= '9':
			digits = true
		case blank(r):
		default:
			return false
		}
	}
	return digits
}

// normLabel folds a column label or property name for comparison:
// "Node ID" and "NodeId" both become "nodeid".
func normLabel(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// snake turns a PowerShell property name or column label into a
// lower_snake_case field key: "NodeHighestVersion" -> node_highest_version,
// "CSDVersion" -> csd_version, "Node ID" -> node_id.
func snake(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
			continue
		}
		if unicode.IsUpper(r) && i > 0 && b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.TrimSuffix(b.String(), "_")
}

func blank(r rune) bool { return r == ' ' || r == '\t' }
