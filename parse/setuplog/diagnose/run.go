package diagnose

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
	"github.com/exlog/exlog/parse/setuplog"
)

// Run is one setup run of one file: its summary event from the parser,
// the summary's SetupRun fact and its records in file order.
type Run struct {
	Sum  *parse.Event
	Fact *facts.SetupRun
	recs []*parse.Event
}

// NewRun sorts a run's records and reads its fact.
func NewRun(sum *parse.Event, recs []*parse.Event) *Run {
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Line < recs[j].Line })
	f := facts.SetupRunOf(sum)
	if f == nil {
		f = &facts.SetupRun{Outcome: facts.Unknown}
	}
	return &Run{Sum: sum, Fact: f, recs: recs}
}

// Field reads a summary field.
func (r *Run) Field(k string) string { return r.Sum.Field(k) }

// Start is the run's start time, or the zero time.
func (r *Run) Start() time.Time {
	if t, err := time.Parse(time.RFC3339Nano, r.Field(parse.KeyStart)); err == nil {
		return t
	}
	return r.Sum.Time
}

// span is the number of physical lines from the run's banner to its last
// line; SetupLogReviewer calls a run with fewer than 30 too short to judge.
func (r *Run) span() int {
	last, err := strconv.Atoi(r.Field(parse.KeyLastLine))
	if err != nil {
		return 0
	}
	return last - r.Sum.Line
}

// Generation is "2000/2003", "2007/2010" or "2013+", as the parser says.
func (r *Run) Generation() string { return r.Field(parse.KeyGeneration) }

// Installed is the build that was on the server before the run: the backup
// copy setup made of the previous build wins over "locally installed",
// which an upgrade rewrites once the new files are in place.
func (r *Run) Installed() string {
	if v := r.Field(parse.KeyPreviousVersion); v != "" {
		return v
	}
	return r.Field(parse.KeyInstalledVersion)
}

// severity of a record: ERROR, ERROR-REFERENCE, REQUIRED, WARNING or "".
func severity(e *parse.Event) string { return e.Field(parse.KeySeverity) }

// firstLine is a record's own line, without its continuation lines.
func firstLine(e *parse.Event) string {
	s, _, _ := strings.Cut(e.Message, "\n")
	return s
}

// eval returns the last "Evaluated [kind:name]" record of the run and its
// value. Names compare without case, as PowerShell's Select-String does.
func (r *Run) eval(kind, name string) (*parse.Event, string) {
	for i := len(r.recs) - 1; i >= 0; i-- {
		e := r.recs[i]
		if e.Field(parse.KeyEvalKind) == kind && strings.EqualFold(e.Field(parse.KeyEvalName), name) {
			return e, e.Field(parse.KeyEvalValue)
		}
	}
	return nil, ""
}

// evalIs reports whether the last evaluation of a setting or rule has the
// given boolean value.
func (r *Run) evalIs(kind, name, want string) (*parse.Event, bool) {
	e, v := r.eval(kind, name)
	if e == nil || !strings.EqualFold(v, want) {
		return nil, false
	}
	return e, true
}

// failedRule returns the "Failed [Rule:name] [Message:...]" record setup
// writes when it lists the prerequisite rules that stopped it.
func (r *Run) failedRule(name string) (*parse.Event, string) {
	for i := len(r.recs) - 1; i >= 0; i-- {
		e := r.recs[i]
		if !strings.HasPrefix(e.Message, "Failed [Rule:") {
			continue
		}
		if rule, msg, ok := setuplog.FailedRule(firstLine(e)); ok && strings.EqualFold(rule, name) {
			return e, msg
		}
	}
	return nil, ""
}

// required returns the [REQUIRED] record whose text is msg: setup repeats a
// failed rule's message there, followed by a help link.
func (r *Run) required(msg string) *parse.Event {
	if msg == "" {
		return nil
	}
	for _, e := range r.recs {
		if severity(e) == "REQUIRED" && strings.TrimSpace(strings.TrimPrefix(firstLine(e), "[REQUIRED]")) == strings.TrimSpace(msg) {
			return e
		}
	}
	return nil
}

// helpURL returns the "Help URL:" line that follows a [REQUIRED] record.
func (r *Run) helpURL(req *parse.Event) string {
	i := r.index(req)
	if i < 0 {
		return ""
	}
	for _, e := range r.recs[i+1 : min(i+4, len(r.recs))] {
		if u, ok := strings.CutPrefix(firstLine(e), "Help URL: "); ok {
			return strings.TrimSpace(u)
		}
	}
	return ""
}

// index is the position of a record in the run, or -1.
func (r *Run) index(e *parse.Event) int {
	if e == nil {
		return -1
	}
	i := sort.Search(len(r.recs), func(i int) bool { return r.recs[i].Line >= e.Line })
	for ; i < len(r.recs) && r.recs[i].Line == e.Line; i++ {
		if r.recs[i] == e {
			return i
		}
	}
	return -1
}

// firstWith is the index of the first record with the given severity, or -1.
func (r *Run) firstWith(sev string) int {
	for i, e := range r.recs {
		if severity(e) == sev {
			return i
		}
	}
	return -1
}

// lastWith is the index of the last record with the given severity, or -1.
func (r *Run) lastWith(sev string) int {
	for i := len(r.recs) - 1; i >= 0; i-- {
		if severity(r.recs[i]) == sev {
			return i
		}
	}
	return -1
}

// hit is one physical line that matched a pattern.
type hit struct {
	rec  *parse.Event
	line int // physical line number in the file
	text string
	m    []string
}

// quote quotes a hit. A match on a continuation line points at that line
// and quotes it alone, so a long stack trace does not bury it.
func (h hit) quote() Quote {
	q := Quote{Rec: h.rec, Line: h.rec.Line}
	if h.line != h.rec.Line {
		q.Line = h.line
		q.Text = parse.Clip(strings.TrimSpace(h.text), 2000, " …")
	}
	return q
}

// eachLine calls fn for every physical line of the records recs[from:to],
// first lines flagged, until fn returns false. Record messages keep their
// interior blank lines, so the n-th line of a message is physical line
// Line+n.
func eachLine(recs []*parse.Event, fn func(e *parse.Event, n int, text string, first bool) bool) {
	for _, e := range recs {
		msg := e.Message
		n := e.Line
		first := true
		for {
			line, rest, more := strings.Cut(msg, "\n")
			if !fn(e, n, line, first) {
				return
			}
			if !more {
				break
			}
			msg, n, first = rest, n+1, false
		}
	}
}

// find returns the first line of recs matching re.
func find(recs []*parse.Event, re *regexp.Regexp) (hit, bool) {
	var h hit
	found := false
	eachLine(recs, func(e *parse.Event, n int, text string, _ bool) bool {
		if m := re.FindStringSubmatch(text); m != nil {
			h, found = hit{rec: e, line: n, text: text, m: m}, true
			return false
		}
		return true
	})
	return h, found
}

// findAll returns every line of recs matching re, in order.
func findAll(recs []*parse.Event, re *regexp.Regexp) []hit {
	var hs []hit
	eachLine(recs, func(e *parse.Event, n int, text string, _ bool) bool {
		if m := re.FindStringSubmatch(text); m != nil {
			hs = append(hs, hit{rec: e, line: n, text: text, m: m})
		}
		return true
	})
	return hs
}

// lastRecord returns the last record of the run with severity sev (any
// when "") whose own line matches re; SetupLogReviewer keeps the last match
// of a run for most patterns.
func (r *Run) lastRecord(sev string, re *regexp.Regexp) (hit, bool) {
	for i := len(r.recs) - 1; i >= 0; i-- {
		e := r.recs[i]
		if sev != "" && severity(e) != sev {
			continue
		}
		if m := re.FindStringSubmatch(firstLine(e)); m != nil {
			return hit{rec: e, line: e.Line, text: firstLine(e), m: m}, true
		}
	}
	return hit{}, false
}

// recordsUpTo returns the records from index from through the record that
// holds physical line last.
func (r *Run) recordsUpTo(from, last int) []*parse.Event {
	if from < 0 || from >= len(r.recs) {
		return nil
	}
	to := from
	for to+1 < len(r.recs) && r.recs[to+1].Line <= last {
		to++
	}
	return r.recs[from : to+1]
}

// lastLine returns the last physical line of the run that contains needle
// and matches re; needle keeps the scan cheap on long runs.
func (r *Run) lastLine(needle string, re *regexp.Regexp) (hit, bool) {
	var h hit
	found := false
	eachLine(r.recs, func(e *parse.Event, n int, text string, _ bool) bool {
		if strings.Contains(text, needle) {
			if m := re.FindStringSubmatch(text); m != nil {
				h, found = hit{rec: e, line: n, text: text, m: m}, true
			}
		}
		return true
	})
	return h, found
}
