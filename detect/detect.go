// Package detect runs detectors over the normalized events of a bundle and
// produces findings that explain what went wrong, with evidence down to the
// file and line.
//
// A detector is a plain value (see Detector) in the manner of
// golang.org/x/tools/go/analysis; the detectors exlog runs are listed
// explicitly in package detect/all. Facts that several detectors need, such
// as each node's Exchange build over time or each group's owner over time,
// are computed once per bundle (see Facts).
package detect

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/exlog/exlog/parse"
)

// Severity ranks findings; the zero value is "none".
type Severity int

// Severities, in increasing order.
const (
	SevNone Severity = iota
	Info
	Warning
	Error
	Critical
)

var sevNames = [...]string{"none", "info", "warning", "error", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(sevNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return sevNames[s]
}

// MarshalText writes the severity's name, the form of the JSON contract.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// ParseSeverity reads "info", "warning", "error" or "critical".
func ParseSeverity(name string) (Severity, error) {
	for i, n := range sevNames {
		if i > 0 && strings.EqualFold(n, name) {
			return Severity(i), nil
		}
	}
	return SevNone, fmt.Errorf("unknown severity %q (want info, warning, error or critical)", name)
}

// Evidence points at one log line or event record that a finding rests on.
type Evidence struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Record uint64 `json:"record"`
	// Time is the record's time, RFC 3339, when its date is known.
	Time string `json:"time,omitempty"`
	// Clock is the time of day of a record whose date is not known (a
	// 2003 setup progress log, dated only by its file's time).
	Clock string `json:"clock,omitempty"`
	// TimeQuality is how far Time or Clock can be trusted.
	TimeQuality parse.TimeQuality `json:"time_quality,omitempty"`
	DocID       string            `json:"doc_id"`
	Text        string            `json:"text"`
}

// Where names the file and line, or file and record, the evidence points
// at: "NODE1/cluster.log:812", "NODE2/System.evtx #4711".
func (e Evidence) Where() string {
	switch {
	case e.Line > 0:
		return e.File + ":" + strconv.Itoa(e.Line)
	case e.Record > 0:
		return e.File + " #" + strconv.FormatUint(e.Record, 10)
	}
	return e.File
}

// maxEvidenceText bounds the quoted text of one piece of evidence; a long
// stack trace is cut, the file and line still lead to the rest.
const maxEvidenceText = 2000

// EvidenceOf quotes an event as evidence.
func EvidenceOf(e *parse.Event) Evidence {
	ev := Evidence{File: e.File, Line: e.Line, Record: e.Record, DocID: e.ID(), Text: e.Message, TimeQuality: e.TimeQuality}
	switch {
	case e.Time.IsZero():
	case e.TimeQuality.DateKnown():
		ev.Time = e.Time.UTC().Format(time.RFC3339Nano)
	default:
		ev.Clock = e.Time.Format("15:04:05")
	}
	if len(ev.Text) > maxEvidenceText {
		cut := maxEvidenceText
		for cut > 0 && ev.Text[cut]&0xC0 == 0x80 { // do not split a UTF-8 character
			cut--
		}
		ev.Text = ev.Text[:cut] + " …"
	}
	return ev
}

// Finding is one conclusion of a detector. Its JSON form is a contract
// DedupeEvidence drops evidence repeated with the same document and
// text, keeping the first of each.
func DedupeEvidence(ev []Evidence) []Evidence {
	seen := map[string]bool{}
	out := ev[:0:0]
	for _, e := range ev {
		k := e.DocID + "|" + e.Text
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out
}

// that scripts rely on; add fields, never rename them.
type Finding struct {
	Detector string   `json:"detector"`
	Severity Severity `json:"severity"`
	// Cause names the specific cause where a detector distinguishes them
	// (setup-failure: "pending-reboot", "first-error", ...).
	Cause       string     `json:"cause,omitempty"`
	Nodes       []string   `json:"nodes"`
	Groups      []string   `json:"groups"`
	Start       time.Time  `json:"start,omitzero"`
	End         time.Time  `json:"end,omitzero"`
	Summary     string     `json:"summary"`
	Explanation string     `json:"explanation"`
	Remediation string     `json:"remediation"`
	References  []string   `json:"references"`
	Evidence    []Evidence `json:"evidence"`
	// Details carries context that is not evidence: the setup version and
	// mode of a failed run, a failover count, a threshold.
	Details map[string]string `json:"details,omitempty"`
	// TimeQuality is how far Start and End can be trusted: the worst
	// quality of the evidence they come from. Where it is time-of-day-only
	// the dates are assumed from file times and are no facts.
	TimeQuality parse.TimeQuality `json:"time_quality,omitempty"`
	// Confidence is how sure the finding is: ConfidenceHigh, ConfidenceMedium
	// or ConfidenceLow; empty means high for findings of older indexes.
	Confidence string `json:"confidence,omitempty"`
	// ConfidenceReason says in one line why the confidence is below high:
	// an assumed date, a node named only by the bundle layout, a line shape
	// no real sample confirms.
	ConfidenceReason string `json:"confidence_reason,omitempty"`
}

// Confidence levels of a finding.
const (
	ConfidenceHigh   = "high"
	ConfidenceMedium = "medium"
	ConfidenceLow    = "low"
)

// Detector is one check over a bundle's events.
type Detector struct {
	// ID is the stable identifier shown in findings ("version-mismatch").
	ID string
	// Title is a short human name.
	Title string
	// Doc is one paragraph: what the detector flags and why it matters.
	Doc string
	// Looks says which sources and events it reads, for `exlog detectors`.
	Looks string
	// References are KB articles and documents behind the check.
	References []string
	// Select picks the events the detector needs; nil means every event.
	// Selecting keeps memory bounded on large bundles.
	Select func(*parse.Event) bool
	// Run examines the pass and reports findings through Pass.Report.
	Run func(*Pass) error
	// Yields lists the causes of this detector's findings that give way
	// to another finding about the same incident: generic fallbacks ("no
	// known pattern"), and causes another detector explains in full. A
	// yielding finding that shares a piece of evidence with a finding that
	// does not yield is dropped, its evidence added to that finding.
	Yields []string
}

// Pass is one detector's view of a bundle.
type Pass struct {
	Detector *Detector
	// Events are the selected events in time order (events without a time
	// come last, in file order).
	Events []*parse.Event
	// Facts are derived once per bundle and shared by all detectors.
	Facts *Facts

	findings []Finding
}

// Report adds a finding; the detector ID, node spelling and ordering are
// normalized here so that detectors cannot get them wrong.
func (p *Pass) Report(f Finding) {
	f.Detector = p.Detector.ID
	for i, n := range f.Nodes {
		f.Nodes[i] = parse.ShortNode(n)
	}
	f.Nodes = uniqSorted(f.Nodes)
	f.Groups = uniqSorted(f.Groups)
	if f.References == nil {
		f.References = p.Detector.References
	}
	if !f.Start.IsZero() {
		f.Start = f.Start.UTC()
		f.TimeQuality = f.StartQuality()
		if f.TimeQuality == parse.TimeOfDayOnly {
			const why = "its times come from a log that writes only the time of day; the dates are assumed from file times"
			if f.ConfidenceReason == "" {
				f.ConfidenceReason = why
			} else {
				f.ConfidenceReason += "; " + why
			}
			if f.Confidence == "" || f.Confidence == ConfidenceHigh {
				f.Confidence = ConfidenceMedium
			}
		}
	}
	if !f.End.IsZero() {
		f.End = f.End.UTC()
	}
	p.findings = append(p.findings, f)
}

// When writes a time for an explanation the way its quality allows: a
// date assumed from a file time is not stated ("09:06:41, date unknown"),
// a local time without offset says so.
func When(t time.Time, q parse.TimeQuality) string {
	switch {
	case t.IsZero():
		return "at an unknown time"
	case q == parse.TimeOfDayOnly:
		return t.Format("15:04:05") + ", date unknown"
	case q == parse.TimeLocalUnknownOffset:
		return t.Format("2006-01-02 15:04:05") + " local time (offset unknown)"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// StartQuality is how far a finding's start can be trusted: the quality
// of the evidence timed at the start (the best of them, when several are),
// else the least trustworthy quality of the evidence timed within the
// finding's span, else of all its dated evidence; a start that only a
// time of day gives (a 2003 setup progress log) is time-of-day-only. It is
// "" when no evidence says.
func (f Finding) StartQuality() parse.TimeQuality {
	var atStart, inSpan, worst parse.TimeQuality
	worse := func(a, b parse.TimeQuality) parse.TimeQuality {
		if a == "" || b.Rank() > a.Rank() {
			return b
		}
		return a
	}
	end := f.End
	if end.IsZero() {
		end = f.Start
	}
	clockOnly := false
	for _, ev := range f.Evidence {
		if ev.Time == "" {
			if ev.Clock != "" {
				clockOnly = true
			}
			continue
		}
		if ev.TimeQuality == "" {
			continue
		}
		worst = worse(worst, ev.TimeQuality)
		t, err := time.Parse(time.RFC3339Nano, ev.Time)
		if err != nil {
			continue
		}
		if t.Equal(f.Start) && (atStart == "" || ev.TimeQuality.Rank() < atStart.Rank()) {
			atStart = ev.TimeQuality
		}
		if !t.Before(f.Start) && !t.After(end) {
			inSpan = worse(inSpan, ev.TimeQuality)
		}
	}
	switch {
	case atStart != "":
		return atStart
	case clockOnly:
		// No dated record is at the start, so a record with only a time
		// of day gave it.
		return parse.TimeOfDayOnly
	case inSpan != "":
		return inSpan
	}
	return worst
}

func uniqSorted(s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Engine collects a bundle's events, concurrently from the parse workers,
// keeping only those some detector or the facts need, then runs the
// detectors.
type Engine struct {
	detectors []*Detector

	mu     sync.Mutex
	events []*parse.Event
}

// NewEngine prepares a run of the given detectors. It panics on duplicate
// IDs, a programming error in the detector list.
func NewEngine(detectors []*Detector) *Engine {
	seen := map[string]bool{}
	for _, d := range detectors {
		if seen[d.ID] {
			panic("detect: duplicate detector ID " + d.ID)
		}
		seen[d.ID] = true
	}
	return &Engine{detectors: detectors}
}

// Add offers one event. It is safe for concurrent use.
func (e *Engine) Add(ev *parse.Event) {
	if !e.wanted(ev) {
		return
	}
	e.mu.Lock()
	e.events = append(e.events, ev)
	e.mu.Unlock()
}

func (e *Engine) wanted(ev *parse.Event) bool {
	if factSelect(ev) {
		return true
	}
	for _, d := range e.detectors {
		if d.Select == nil || d.Select(ev) {
			return true
		}
	}
	return false
}

// Each calls fn on every event the engine kept, before Run. The pipeline
// uses it to give events the node their file's content named after they
// were emitted; nothing else may change an event once emitted.
func (e *Engine) Each(fn func(*parse.Event)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.events {
		fn(ev)
	}
}

// Drop forgets the kept events for which drop is true, before Run: the
// records of a file that only copies another.
func (e *Engine) Drop(drop func(*parse.Event) bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = slices.DeleteFunc(e.events, drop)
}

// Result is what a run produced.
type Result struct {
	Findings []Finding
	Facts    *Facts
}

// Run sorts the collected events, derives the facts and runs every
// detector. A detector that fails or panics does not stop the others; its
// error is returned joined with the rest after all have run.
func (e *Engine) Run(ctx context.Context) (*Result, error) {
	SortEvents(e.events)
	e.events = DropCopies(e.events)
	facts := DeriveFacts(e.events)
	res := &Result{Facts: facts}
	var errs []string
	for _, d := range e.detectors {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		pass := &Pass{Detector: d, Facts: facts}
		for _, ev := range e.events {
			if d.Select == nil || d.Select(ev) {
				pass.Events = append(pass.Events, ev)
			}
		}
		if err := runSafely(d, pass); err != nil {
			errs = append(errs, err.Error())
		}
		res.Findings = append(res.Findings, pass.findings...)
	}
	res.Findings = dropYielding(e.detectors, res.Findings)
	SortFindings(res.Findings)
	if len(errs) > 0 {
		return res, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return res, nil
}

func runSafely(d *Detector, p *Pass) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("detector %s crashed: %v", d.ID, r)
		}
	}()
	if err := d.Run(p); err != nil {
		return fmt.Errorf("detector %s: %w", d.ID, err)
	}
	return nil
}

// TimeOrder compares two times for sorting, untimed (zero) ones last.
func TimeOrder(a, b time.Time) int {
	if a.IsZero() != b.IsZero() {
		if a.IsZero() {
			return 1
		}
		return -1
	}
	return a.Compare(b)
}

// SortEvents orders events by time; events without a time go last. Ties
// keep file order so output is deterministic.
func SortEvents(evs []*parse.Event) {
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		az, bz := a.Time.IsZero(), b.Time.IsZero()
		if az != bz {
			return bz
		}
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		return a.Kind < b.Kind
	})
}

// SortFindings orders findings most severe first, then by time, detector
// and summary, so that output is the same on every run.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), a.Start.Compare(b.Start),
			cmp.Compare(a.Detector, b.Detector), cmp.Compare(a.Summary, b.Summary),
			cmp.Compare(firstEvidence(a), firstEvidence(b)))
	})
}

func firstEvidence(f Finding) string {
	if len(f.Evidence) == 0 {
		return ""
	}
	return f.Evidence[0].DocID
}

// Highest returns the most severe finding's severity, SevNone if none.
func Highest(fs []Finding) Severity {
	var s Severity
	for _, f := range fs {
		s = max(s, f.Severity)
	}
	return s
}

// dropYielding removes the findings whose cause yields (Detector.Yields)
// to another finding of the same incident, one sharing a piece of
// evidence, and adds their evidence to that finding: one incident, one
// finding.
func dropYielding(ds []*Detector, fs []Finding) []Finding {
	yields := map[string]map[string]bool{}
	for _, d := range ds {
		for _, c := range d.Yields {
			if yields[d.ID] == nil {
				yields[d.ID] = map[string]bool{}
			}
			yields[d.ID][c] = true
		}
	}
	if len(yields) == 0 {
		return fs
	}
	owner := map[string]int{} // evidence DocID -> a non-yielding finding
	for i, f := range fs {
		if yields[f.Detector][f.Cause] {
			continue
		}
		for _, x := range f.Evidence {
			if _, ok := owner[x.DocID]; !ok {
				owner[x.DocID] = i
			}
		}
	}
	drop := make([]bool, len(fs))
	for i, f := range fs {
		if !yields[f.Detector][f.Cause] {
			continue
		}
		for _, x := range f.Evidence {
			if j, ok := owner[x.DocID]; ok {
				drop[i] = true
				have := map[string]bool{}
				for _, y := range fs[j].Evidence {
					have[y.DocID] = true
				}
				for _, y := range f.Evidence {
					if !have[y.DocID] {
						fs[j].Evidence = append(fs[j].Evidence, y)
					}
				}
				// RFC 3339 UTC times sort as text; untimed evidence first.
				slices.SortStableFunc(fs[j].Evidence, func(a, b Evidence) int { return strings.Compare(a.Time, b.Time) })
				break
			}
		}
	}
	out := fs[:0]
	for i, f := range fs {
		if !drop[i] {
			out = append(out, f)
		}
	}
	return out
}
