package clusterlog

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/parse"
)

// Providers, by log generation.
const (
	ProviderLegacy = "ClusSvc"            // Windows 2000/2003 server clusters
	ProviderModern = "FailoverClustering" // Windows Server 2008 and later
)

// Bounds on one record. A multi-line event text is a few dozen lines; a
// 2016+ section table can be thousands, so it is cut into pieces rather
// than held whole.
const (
	maxRecordLines = 2000
	maxRecordBytes = 256 << 10
)

// sniffLines is how many lines of the head Sniff looks at.
const sniffLines = 64

// Parser reads cluster logs. The zero value is ready to use and safe for
// concurrent use.
type Parser struct{}

var _ parse.Parser = Parser{}

// Name is parse.SourceClusterLog.
func (Parser) Name() string { return parse.SourceClusterLog }

// Sniff accepts a head with a `pid.tid::yyyy/mm/dd-hh:mm:ss.mmm` (or NT4
// day-only) record header or a 2016+ section header among its first lines.
// The header layout is specific enough that one line decides.
func (Parser) Sniff(head []byte) bool {
	text := parse.DecodeHead(head)
	for n := 0; n < sniffLines && text != ""; n++ {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		line = strings.TrimSuffix(line, "\r")
		if _, ok := scanHead(line); ok {
			return true
		}
		if name, _, ok := sectionName(line); ok && name != "" {
			return true
		}
	}
	return false
}

// recoverPanics turns a panic inside Parse into an error and a problem so
// one bad file cannot take down a triage run. The fuzz test switches it off
// to see panics.
var recoverPanics = true

// Parse streams one cluster log. See the package documentation for what
// each event carries.
func (Parser) Parse(ctx context.Context, in *parse.Input, rep *parse.Report, emit func(*parse.Event) error) (err error) {
	rc, err := in.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	r := &run{in: in, rep: rep, emit: emit}
	if recoverPanics {
		defer func() {
			if p := recover(); p != nil {
				rep.AddProblem(fmt.Sprintf("line %d", r.lineNo), "parser fault: %v; the rest of the file was not read", p)
				err = fmt.Errorf("clusterlog: parser fault at line %d: %v", r.lineNo, p)
			}
		}()
	}
	lines := parse.NewLines(rc)
	for lines.Next() {
		r.lineNo = lines.Number()
		if r.lineNo%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := r.line(lines.Text()); err != nil {
			return err
		}
	}
	if !r.sawHeader && lines.Err() == nil {
		// Text without a single record header: not a cluster log after
		// all, so nothing is emitted for it.
		return parse.ErrNotFormat
	}
	if err := r.flush(); err != nil {
		return err
	}
	if n := lines.Truncated(); n > 0 {
		rep.AddProblem("file", "%d line(s) longer than %d bytes were cut; the rest of each was dropped", n, parse.MaxLineBytes)
	}
	if err := lines.Err(); err != nil {
		return fmt.Errorf("clusterlog: reading line %d: %w", r.lineNo+1, err)
	}
	return nil
}

// Log generations as eraOf reports them.
const (
	eraUnknown = 0
	eraModern  = +1
	eraLegacy  = -1
)

// run is the state of one Parse call.
type run struct {
	in   *parse.Input
	rep  *parse.Report
	emit func(*parse.Event) error

	lineNo    int
	facts     headerFacts
	era       int  // first generation a record made clear
	sawHeader bool // a record header or section header was seen
	badTimes  int  // records whose stamp is not a real date
	nt4NoDate bool // reported: day-only stamps and no file time

	nodeRaw, nodeShort string // Current node as written, and shortened

	// names holds what this log said about IDs: group and resource GUIDs
	// to names, resources to their groups, node numbers to node names.
	names names

	cur *record // the record being assembled: nil or &rec
	rec record
}

// record is the event being assembled from its physical lines.
type record struct {
	ev *parse.Event
	// text is the record's first line; more collects it with the joined
	// lines once there are any, so one-line records are not copied.
	text   string
	more   *strings.Builder
	first  int // physical line of the header
	last   int // last non-blank physical line joined
	n      int // physical lines joined (non-blank)
	blanks int // blank lines seen since the last joined line
	bytes  int
	// facts is true for records whose continuation lines may state the
	// Cluster header facts: the Cluster section, and text before any header.
	facts bool
	// comp and msg are the first line's component and message, legacy the
	// log generation it was classified as; a record whose first line said
	// nothing is classified again on its joined text (wrapped lines).
	comp, msg string
	legacy    bool
	timed     bool // a timestamped record, not a section or orphan
}

// node is the reporting node: the header's Current node, else the one the
// bundle layout gives, both shortened.
func (r *run) node() string {
	raw := r.facts.node
	if raw == "" {
		raw = r.in.Node
	}
	if raw != r.nodeRaw {
		r.nodeRaw, r.nodeShort = raw, parse.ShortNode(raw)
	}
	return r.nodeShort
}

func (r *run) line(text string) error {
	if strings.TrimSpace(text) == "" {
		if r.cur != nil {
			r.cur.blanks++
		}
		return nil
	}
	if h, ok := scanHead(text); ok {
		if err := r.flush(); err != nil {
			return err
		}
		r.sawHeader = true
		r.startRecord(text, &h)
		return nil
	}
	if name, listed, ok := sectionName(text); ok {
		if err := r.flush(); err != nil {
			return err
		}
		r.sawHeader = true
		r.startSection(text, name, listed)
		return nil
	}
	return r.continuation(text)
}

// continuation joins a line without a header to the record before it.
func (r *run) continuation(text string) error {
	c := r.cur
	if c == nil {
		r.startOrphan(text)
		return nil
	}
	if c.n >= maxRecordLines || c.bytes+len(text) > maxRecordBytes {
		if !r.sawHeader {
			// Hundreds of kilobytes without a single record header: this
			// is not a cluster log after all.
			return parse.ErrNotFormat
		}
		if err := r.splitRecord(text); err != nil {
			return err
		}
		return nil
	}
	if c.more == nil {
		c.more = &strings.Builder{}
		c.more.Grow(len(c.text) + len(text) + 64)
		c.more.WriteString(c.text)
	}
	for ; c.blanks > 0; c.blanks-- {
		c.more.WriteByte('\n')
	}
	c.more.WriteByte('\n')
	c.more.WriteString(text)
	c.bytes += len(text) + 1
	c.n++
	c.last = r.lineNo
	if c.facts {
		if k, v := r.facts.readFact(text); k != "" {
			c.ev.SetField(k, v)
		}
	}
	return nil
}

func (r *run) newRecord(text string) *record {
	// One record is assembled at a time, so its holder is reused.
	c := &r.rec
	*c = record{
		ev: &parse.Event{
			Source: parse.SourceClusterLog,
			File:   r.in.Path,
			Line:   r.lineNo,
			Fields: make(map[string]string, 8),
		},
		text:  text,
		first: r.lineNo,
		last:  r.lineNo,
		n:     1,
		bytes: len(text),
	}
	r.cur = c
	return c
}

func (r *run) startRecord(text string, h *head) {
	c := r.newRecord(text)
	ev := c.ev
	ev.Level = levelName(h.level)
	ev.SetField(parse.KeyOrigLine, h.listed)
	ev.SetField(parse.KeyChannel, h.channel)
	ev.SetField(parse.KeyPID, h.pid)
	ev.SetField(parse.KeyTID, h.tid)
	ev.Time, ev.TimeQuality = r.recordTime(h)

	comp, msg := splitComponent(ev, h.rest)
	c.comp, c.msg, c.timed = comp, msg, true
	// A line that proves 2008+ is taken as such; otherwise the file's
	// generation, once some line settled it, overrides the line's guess.
	era, sure := eraOf(h, comp)
	if r.era == eraUnknown && sure {
		r.era = era
	}
	if era != eraModern && r.era != eraUnknown {
		era = r.era
	}
	if era == eraModern {
		ev.Provider = ProviderModern
	} else {
		ev.Provider = ProviderLegacy
	}
	c.legacy = era != eraModern
	classify(ev, comp, msg, c.legacy)
}

func (r *run) startSection(text, name, listed string) {
	if r.era == eraUnknown {
		r.era = eraModern // only Get-ClusterLog on 2016+ writes sections
	}
	c := r.newRecord(text)
	c.facts = name == "Cluster"
	ev := c.ev
	ev.Provider = ProviderModern
	ev.TimeQuality = parse.TimeNone
	ev.SetField(parse.KeyOrigLine, listed)
	ev.SetField(parse.KeyAction, "section")
	ev.SetField(parse.KeySection, name)
}

// startOrphan keeps text that comes before any header of the file.
func (r *run) startOrphan(text string) {
	c := r.newRecord(text)
	c.facts = true
	c.ev.TimeQuality = parse.TimeNone
	c.ev.SetField(parse.KeyNoHeader, "true")
}

// splitRecord closes an over-long record and starts its next piece with
// text, carrying over the header values. Everything is copied before the
// flush: the emitted event belongs to the caller from then on.
func (r *run) splitRecord(text string) error {
	prev := r.cur.ev
	facts := r.cur.facts
	carry := make(map[string]string, 8)
	for _, k := range [...]string{"component", "channel", "pid", "tid", "orig_line", "section", "no_header", "resource_type", "resource"} {
		if v := prev.Field(k); v != "" {
			carry[k] = v
		}
	}
	carry[parse.KeyContinuesLine] = prev.Field(parse.KeyContinuesLine)
	if carry[parse.KeyContinuesLine] == "" {
		carry[parse.KeyContinuesLine] = strconv.Itoa(prev.Line)
	}
	tm, q, provider, level, id := prev.Time, prev.TimeQuality, prev.Provider, prev.Level, prev.EventID
	if err := r.flush(); err != nil {
		return err
	}
	c := r.newRecord(text)
	c.facts = facts
	ev := c.ev
	ev.Time, ev.TimeQuality, ev.Provider, ev.Level, ev.EventID = tm, q, provider, level, id
	ev.Fields = carry
	if facts {
		if k, v := r.facts.readFact(text); k != "" {
			ev.SetField(k, v)
		}
	}
	return nil
}

// flush emits the record being assembled, if any.
func (r *run) flush() error {
	c := r.cur
	if c == nil {
		return nil
	}
	r.cur = nil
	ev := c.ev
	ev.Message = c.text
	if c.more != nil {
		ev.Message = c.more.String()
	}
	if c.timed {
		r.readFacts(c)
	}
	if span := c.last - c.first + 1; span > 1 {
		ev.SetField(parse.KeyLines, strconv.Itoa(span))
	}
	if ev.Node == "" {
		ev.Node = r.node()
		if r.facts.node != "" {
			ev.NodeFrom = parse.NodeFromContent
		}
	}
	if ev.Field(parse.KeyNoHeader) != "" && ev.Field(parse.KeyContinuesLine) == "" {
		r.rep.AddProblem(lineRange(c.first, c.last),
			"%d line(s) before the first record header have no timestamp; kept as one untimed event", c.n)
	}
	r.rep.Events++
	return r.emit(ev)
}

// recordTime dates a record header according to the header facts so far.
func (r *run) recordTime(h *head) (time.Time, parse.TimeQuality) {
	var t time.Time
	var ok bool
	if h.dayOnly {
		if r.in.ModTime.IsZero() {
			if !r.nt4NoDate {
				r.nt4NoDate = true
				r.rep.AddProblem(fmt.Sprintf("line %d", r.lineNo),
					"NT4-style stamps carry only the day of the month and the file has no modification time; such records are left undated")
			}
			return time.Time{}, parse.TimeNone
		}
		t, ok = dayStampTime(h.stamp, r.in.ModTime)
		if ok {
			return t, parse.TimeOfDayOnly
		}
	} else {
		t, ok = stampTime(h.stamp)
	}
	if !ok {
		r.badTimes++
		if r.badTimes <= 5 {
			r.rep.AddProblem(fmt.Sprintf("line %d", r.lineNo), "timestamp %q is not a real date; record kept undated", h.stamp)
		} else if r.badTimes == 6 {
			r.rep.AddProblem(fmt.Sprintf("line %d", r.lineNo), "more records with impossible timestamps follow; each is kept undated")
		}
		return time.Time{}, parse.TimeNone
	}
	switch {
	case !r.facts.localTime:
		return t, parse.TimeUTC
	case r.facts.haveOffset:
		// The header's rule is UTC = local time + offset.
		return t.Add(time.Duration(r.facts.offsetMin) * time.Minute), parse.TimeLocalKnownOffset
	default:
		return t, parse.TimeLocalUnknownOffset
	}
}

func levelName(w string) string {
	switch w {
	case "INFO":
		return parse.LevelInfo
	case "WARN":
		return parse.LevelWarning
	case "ERR":
		return parse.LevelError
	case "DBG":
		return parse.LevelDebug
	case "CRIT":
		return parse.LevelCritical
	}
	return ""
}

func lineRange(first, last int) string {
	if first == last {
		return fmt.Sprintf("line %d", first)
	}
	return fmt.Sprintf("lines %d-%d", first, last)
}
