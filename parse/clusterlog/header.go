package clusterlog

import (
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/parse"
)

// head is the fixed-layout start of a record line. It is scanned by hand
// rather than with a regexp because every line of a file of hundreds of
// megabytes goes through it.
type head struct {
	listed  string // analyst's line-number column, "" when absent
	channel string // 2016+ [System], [Operational], [Verbose]
	pid     string // "" on NT4 thread-only lines
	tid     string
	stamp   string // yyyy/mm/dd-hh:mm:ss.mmm, or dd-hh:mm:ss.mmm on NT4
	dayOnly bool   // NT4 stamp with only the day of the month
	level   string // INFO, WARN, ERR, DBG, CRIT or ""
	// padded is true when the level column is space-padded to six
	// characters, which only 2008+ logs do.
	padded bool
	rest   string // text after the level, trailing blanks removed
}

const (
	fullStampLen = len("2006/01/02-15:04:05.000")
	dayStampLen  = len("02-15:04:05.000")
)

var levelWords = [...]string{"INFO", "WARN", "ERR", "DBG", "CRIT"}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// listedPrefix splits an analyst's line-number column off s: leading blanks,
// digits, then at least one blank. It returns the number ("" if none) and
// the offset where the rest starts.
func listedPrefix(s string) (string, int) {
	i := skipSpace(s, 0)
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j == i || j-i > 12 || j >= len(s) || !isSpace(s[j]) {
		return "", i
	}
	return s[i:j], skipSpace(s, j)
}

// scanHead reports whether s starts a timestamped record and splits it.
func scanHead(s string) (h head, ok bool) {
	var i int
	h.listed, i = listedPrefix(s)
	if i < len(s) && s[i] == '[' {
		end := strings.IndexByte(s[i:], ']')
		if end < 2 || end > 64 || !isChannelName(s[i+1:i+end]) {
			return h, false
		}
		h.channel = s[i+1 : i+end]
		i += end + 1
		if i >= len(s) || !isSpace(s[i]) {
			return h, false
		}
		i = skipSpace(s, i)
	}
	// pid.tid (or a lone NT4 tid), each 1 to 8 hex digits.
	p0 := i
	for i < len(s) && isHex(s[i]) && i-p0 <= 8 {
		i++
	}
	if i == p0 || i-p0 > 8 {
		return h, false
	}
	if i < len(s) && s[i] == '.' {
		h.pid = s[p0:i]
		i++
		t0 := i
		for i < len(s) && isHex(s[i]) && i-t0 <= 8 {
			i++
		}
		if i == t0 || i-t0 > 8 {
			return h, false
		}
		h.tid = s[t0:i]
	} else {
		h.tid = s[p0:i]
	}
	if !strings.HasPrefix(s[i:], "::") {
		return h, false
	}
	i += 2
	switch {
	case isFullStamp(s[i:]):
		h.stamp = s[i : i+fullStampLen]
		i += fullStampLen
	case isDayStamp(s[i:]):
		h.stamp = s[i : i+dayStampLen]
		h.dayOnly = true
		i += dayStampLen
	default:
		return h, false
	}
	if i < len(s) && !isSpace(s[i]) {
		return h, false
	}
	j := skipSpace(s, i)
	for _, w := range levelWords {
		if strings.HasPrefix(s[j:], w) && (j+len(w) == len(s) || isSpace(s[j+len(w)])) {
			h.level = w
			k := skipSpace(s, j+len(w))
			h.padded = k-j >= 6
			j = k
			break
		}
	}
	h.rest = strings.TrimRight(s[j:], " \t")
	return h, true
}

func isChannelName(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && !isDigit(c) && c != '-' && c != '/' && c != '_' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// digitsAt reports whether s has only digits at the given offsets.
func digitsAt(s string, idx ...int) bool {
	for _, i := range idx {
		if i >= len(s) || !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// isFullStamp matches yyyy/mm/dd-hh:mm:ss.mmm at the start of s.
func isFullStamp(s string) bool {
	if len(s) < fullStampLen {
		return false
	}
	return s[4] == '/' && s[7] == '/' && s[10] == '-' && s[13] == ':' && s[16] == ':' && s[19] == '.' &&
		digitsAt(s, 0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22)
}

// isDayStamp matches the NT4 dd-hh:mm:ss.mmm at the start of s.
func isDayStamp(s string) bool {
	if len(s) < dayStampLen {
		return false
	}
	return s[2] == '-' && s[5] == ':' && s[8] == ':' && s[11] == '.' &&
		digitsAt(s, 0, 1, 3, 4, 6, 7, 9, 10, 12, 13, 14)
}

func num(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// stampTime converts a full stamp, already checked by isFullStamp, to a
// time in UTC. ok is false for impossible dates such as month 13.
func stampTime(s string) (time.Time, bool) {
	y, mo, d := num(s[0:4]), num(s[5:7]), num(s[8:10])
	hh, mi, ss, ms := num(s[11:13]), num(s[14:16]), num(s[17:19]), num(s[20:23])
	return checkedDate(y, mo, d, hh, mi, ss, ms)
}

func checkedDate(y, mo, d, hh, mi, ss, ms int) (time.Time, bool) {
	if mo < 1 || mo > 12 || d < 1 || hh > 23 || mi > 59 || ss > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, hh, mi, ss, ms*int(time.Millisecond), time.UTC)
	if t.Day() != d {
		return time.Time{}, false // day 31 of a 30-day month
	}
	return t, true
}

// dayStampTime dates an NT4 dd-hh:mm:ss.mmm stamp: the latest day with that
// day-of-month at or before the month of ref, the file's modification time.
func dayStampTime(s string, ref time.Time) (time.Time, bool) {
	d, hh, mi, ss, ms := num(s[0:2]), num(s[3:5]), num(s[6:8]), num(s[9:11]), num(s[12:15])
	ref = ref.UTC()
	y, mo := ref.Year(), int(ref.Month())
	if d > ref.Day() {
		mo--
	}
	for tries := 0; tries < 12; tries++ {
		if mo < 1 {
			mo, y = 12, y-1
		}
		if t, ok := checkedDate(y, mo, d, hh, mi, ss, ms); ok {
			return t, true
		}
		if d < 1 || hh > 23 || mi > 59 || ss > 59 {
			break
		}
		mo--
	}
	return time.Time{}, false
}

// sectionName recognises a 2016+ section header such as
// "[=== Cluster Logs ===]", with or without an analyst's line number.
func sectionName(s string) (name, listed string, ok bool) {
	listed, i := listedPrefix(s)
	t := strings.TrimSpace(s[i:])
	if len(t) < 8 || !strings.HasPrefix(t, "[===") || !strings.HasSuffix(t, "===]") {
		return "", "", false
	}
	return strings.TrimSpace(t[4 : len(t)-4]), listed, true
}

// headerFacts are what the 2016+ [=== Cluster ===] section states.
type headerFacts struct {
	node       string
	build      string
	offsetMin  int
	haveOffset bool
	localTime  bool
	haveLocal  bool
}

// readFact updates f from one line of the Cluster section and reports the
// field it learned, if any.
func (f *headerFacts) readFact(line string) (key, value string) {
	_, i := listedPrefix(line)
	t := strings.TrimSpace(line[i:])
	switch {
	case strings.HasPrefix(t, "Current node:"):
		m := reCurrentNode.FindStringSubmatch(t)
		if m == nil {
			return "", ""
		}
		f.node = strings.TrimSpace(m[1])
		return parse.KeyCurrentNode, f.node
	case strings.HasPrefix(t, "Build Number"):
		m := reBuild.FindStringSubmatch(t)
		if m == nil {
			return "", ""
		}
		f.build = m[1]
		return parse.KeyBuildNumber, f.build
	case strings.HasPrefix(t, "UTC = localtime + time zone offset"):
		if m := reOffsetMinutes.FindStringSubmatch(t); m != nil {
			n, err := strconv.Atoi(m[1])
			if err != nil || n < -24*60 || n > 24*60 {
				return "", ""
			}
			f.offsetMin, f.haveOffset = n, true
		} else if m := reOffsetHours.FindStringSubmatch(t); m != nil {
			h, err := strconv.ParseFloat(m[1], 64)
			if err != nil || h < -24 || h > 24 {
				return "", ""
			}
			f.offsetMin, f.haveOffset = int(h*60), true
		} else {
			return "", ""
		}
		return parse.KeyUTCOffsetMinutes, strconv.Itoa(f.offsetMin)
	case hasPrefixFold(t, "The logs were generated using"):
		f.haveLocal = true
		f.localTime = hasPrefixFold(t, "The logs were generated using local time")
		return parse.KeyLocalTime, strconv.FormatBool(f.localTime)
	}
	return "", ""
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
