package setuplog

import (
	"strings"
	"time"
)

// family is the timestamp style that starts records in one file.
type family int

const (
	famNone  family = iota
	famDated        // [date time] [thread] text: 2007 and later
	famTOD          // [HH:MM:SS] text: 2000/2003 progress log
)

// stamp is a record prefix taken apart but not yet turned into a time,
// because the day/month order and the 2003 date are only known per file.
type stamp struct {
	a, b, c    int // the three date numbers as written
	aDigits    int // digits of a; 3 or 4 means year first
	hour       int
	min, sec   int
	frac       string // fraction digits, "" when absent
	ampm       byte   // 'A', 'P' or 0
	thread     string // "" for 2003
	text       string // the rest of the line after the prefix
	prefixText string // the bracketed timestamp as written
}

// digits reads up to max ASCII digits at s[i:], returning the value, the
// count read and the new index.
func digits(s string, i, max int) (v, n, j int) {
	for j = i; j < len(s) && n < max && s[j] >= '0' && s[j] <= '9'; j++ {
		v = v*10 + int(s[j]-'0')
		n++
	}
	return v, n, j
}

// parseClock reads H:MM:SS or HH:MM:SS at s[i:].
func parseClock(s string, i int, st *stamp) (int, bool) {
	var n int
	if st.hour, n, i = digits(s, i, 2); n == 0 || i >= len(s) || s[i] != ':' {
		return i, false
	}
	if st.min, n, i = digits(s, i+1, 2); n != 2 || i >= len(s) || s[i] != ':' {
		return i, false
	}
	if st.sec, n, i = digits(s, i+1, 2); n != 2 {
		return i, false
	}
	return i, true
}

// afterBracket accepts the "] " (or "]" at the end of the line) that closes
// a prefix part and returns the index after it.
func afterBracket(s string, i int) (int, bool) {
	if i >= len(s) || s[i] != ']' {
		return i, false
	}
	i++
	if i == len(s) {
		return i, true
	}
	if s[i] != ' ' {
		return i, false
	}
	return i + 1, true
}

// parseDated recognises "[03/13/2021 05:01:28.0382] [0] text" and
// "[8/3/2007 4:46:12 PM] [0] text" (separators '/', '.', '-').
func parseDated(s string) (stamp, bool) {
	var st stamp
	if len(s) < 20 || s[0] != '[' {
		return st, false
	}
	var n int
	i := 1
	if st.a, st.aDigits, i = digits(s, i, 4); st.aDigits == 0 || i >= len(s) {
		return st, false
	}
	sep := s[i]
	if sep != '/' && sep != '.' && sep != '-' {
		return st, false
	}
	if st.b, n, i = digits(s, i+1, 2); n == 0 || i >= len(s) || s[i] != sep {
		return st, false
	}
	if st.c, n, i = digits(s, i+1, 4); n == 0 || i >= len(s) || s[i] != ' ' {
		return st, false
	}
	ok := false
	if i, ok = parseClock(s, i+1, &st); !ok {
		return st, false
	}
	if i < len(s) && s[i] == '.' {
		start := i + 1
		if _, n, i = digits(s, start, 7); n == 0 {
			return st, false
		}
		st.frac = s[start:i]
	}
	j := i
	if j < len(s) && s[j] == ' ' {
		j++
	}
	if j+1 < len(s) && (s[j+1] == 'M' || s[j+1] == 'm') {
		switch s[j] {
		case 'A', 'a':
			st.ampm = 'A'
		case 'P', 'p':
			st.ampm = 'P'
		}
		if st.ampm != 0 {
			i = j + 2
		}
	}
	if i >= len(s) || s[i] != ']' {
		return st, false
	}
	st.prefixText = s[1:i]
	if i+2 >= len(s) || s[i+1] != ' ' || s[i+2] != '[' {
		return st, false
	}
	i += 3
	start := i
	if _, n, i = digits(s, i, 9); n == 0 {
		return st, false
	}
	st.thread = s[start:i]
	if i, ok = afterBracket(s, i); !ok {
		return st, false
	}
	st.text = s[i:]
	return st, true
}

// parseTOD recognises the 2003 prefix "[13:43:33] text".
func parseTOD(s string) (stamp, bool) {
	var st stamp
	if len(s) < 9 || s[0] != '[' {
		return st, false
	}
	i, ok := parseClock(s, 1, &st)
	if !ok || st.hour > 23 || st.min > 59 || st.sec > 59 {
		return st, false
	}
	st.prefixText = s[1:i]
	if i, ok = afterBracket(s, i); !ok {
		return st, false
	}
	st.text = s[i:]
	return st, true
}

// parsePrefix tries the prefix of fam, or both when fam is famNone.
func parsePrefix(fam family, s string) (stamp, family, bool) {
	if fam != famTOD {
		if st, ok := parseDated(s); ok {
			return st, famDated, true
		}
	}
	if fam != famDated {
		if st, ok := parseTOD(s); ok {
			return st, famTOD, true
		}
	}
	return stamp{}, famNone, false
}

// dateOrder says how to read the three numbers of a dated prefix.
type dateOrder int

const (
	orderMDY dateOrder = iota
	orderDMY
)

// wallTime turns a dated stamp into its wall-clock time, stored as UTC.
// 2013+ stamps (with a fraction) are always month first, whatever the
// separator; when the file's order gives no valid date the other order is
// tried, so one odd line does not lose its time.
func (st *stamp) wallTime(order dateOrder) (time.Time, bool) {
	if st.frac != "" {
		order = orderMDY
	}
	if t, ok := st.wallTimeIn(order); ok || st.aDigits >= 3 {
		return t, ok
	}
	return st.wallTimeIn(1 - order)
}

func (st *stamp) wallTimeIn(order dateOrder) (time.Time, bool) {
	var y, m, d int
	switch {
	case st.aDigits >= 3:
		y, m, d = st.a, st.b, st.c
	case order == orderMDY:
		m, d, y = st.a, st.b, st.c
	default:
		d, m, y = st.a, st.b, st.c
	}
	if y < 100 {
		y += 2000 // two-digit years in some locales' short date
	}
	h := st.hour
	switch st.ampm {
	case 'A':
		if h < 1 || h > 12 {
			return time.Time{}, false
		}
		if h == 12 {
			h = 0
		}
	case 'P':
		if h < 1 || h > 12 {
			return time.Time{}, false
		}
		if h != 12 {
			h += 12
		}
	}
	if !validDate(y, m, d) || h > 23 || st.min > 59 || st.sec > 59 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m), d, h, st.min, st.sec, fracNanos(st.frac), time.UTC), true
}

// fracNanos reads the fraction of a second. Four digits starting with 0
// are Exchange's ".0fff" milliseconds; anything else is a decimal fraction.
func fracNanos(f string) int {
	if f == "" {
		return 0
	}
	if len(f) == 4 && f[0] == '0' {
		v, _, _ := digits(f, 1, 3)
		return v * int(time.Millisecond)
	}
	v, n, _ := digits(f, 0, 9)
	for ; n < 9; n++ {
		v *= 10
	}
	return v
}

func validDate(y, m, d int) bool {
	if y < 1990 || y > 2200 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// secondsOfDay is the 2003 clock reading in seconds since midnight.
func (st *stamp) secondsOfDay() int { return st.hour*3600 + st.min*60 + st.sec }

// rollover reports whether the 2003 clock going from prev to cur (seconds
// of day) means a new day: a step back of more than an hour. Both passes
// over a file use this one rule so their day counts agree.
func rollover(prev, cur int) bool { return cur < prev-3600 }

// isSeparator reports a "****..." banner frame line.
func isSeparator(text string) bool {
	t := strings.TrimSpace(text)
	return len(t) >= 10 && strings.Trim(t, "*") == ""
}
