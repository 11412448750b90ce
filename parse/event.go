// Package parse defines the normalized event that every log format of a
// bundle is turned into, the Parser contract that format packages implement,
// and the small text helpers those parsers share.
//
// Data flows one way: a bundle reader yields Inputs, a Parser turns each
// Input into Events, and the index and the detectors consume Events.
package parse

import (
	"encoding/hex"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// TimeQuality says how far an event's Time can be trusted as UTC.
type TimeQuality string

// The time qualities, from best to worst.
const (
	// TimeUTC: the source records UTC (EVTX, cluster logs in GMT) or gave an offset.
	TimeUTC TimeQuality = "utc"
	// TimeLocalKnownOffset: the source wrote local time and stated its offset,
	// which was applied (2013+ setup logs with "Local time zone").
	TimeLocalKnownOffset TimeQuality = "local-known-offset"
	// TimeLocalUnknownOffset: local wall-clock time stored as if it were UTC;
	// it may be off by the server's UTC offset.
	TimeLocalUnknownOffset TimeQuality = "local-unknown-offset"
	// TimeOfDayOnly: the source has only a time of day (2000/2003 setup
	// progress logs); the date was taken from the file's modification time.
	TimeOfDayOnly TimeQuality = "time-of-day-only"
	// TimeNone: the event has no time at all (registry values, inventories).
	TimeNone TimeQuality = "none"
	// TimeInvalid: the source wrote a time that cannot be true (before
	// 1990, after the analysis, or beyond what a calendar holds). Time is
	// zero and Fields[KeyTimeRaw] keeps what was written.
	TimeInvalid TimeQuality = "invalid"
)

// DateKnown reports whether the calendar date of a time of this quality
// comes from the source itself. A date assumed from a file's modification
// time is not known: it is never shown as a fact, never widens a bundle's
// span and never orders an event against exactly dated ones.
func (q TimeQuality) DateKnown() bool {
	switch q {
	case TimeUTC, TimeLocalKnownOffset, TimeLocalUnknownOffset:
		return true
	}
	return false
}

// Rank orders time qualities from best (0, UTC) to worst; an unknown
// quality ranks between time-of-day-only and none.
func (q TimeQuality) Rank() int {
	switch q {
	case TimeUTC:
		return 0
	case TimeLocalKnownOffset:
		return 1
	case TimeLocalUnknownOffset:
		return 2
	case TimeOfDayOnly:
		return 3
	case TimeNone:
		return 5
	}
	return 4
}

// How an event's node was decided (Event.NodeFrom).
const (
	// NodeFromContent: the file itself names the computer (an EVTX
	// Computer, a cluster log header, a setup log's computer line).
	NodeFromContent = "content"
	// NodeFromSiblings: the file names no computer, but the other files of
	// its folder all name this one.
	NodeFromSiblings = "siblings"
	// NodeFromLayout: only the bundle's folder or file names suggest it.
	NodeFromLayout = "layout"
)

// Source formats, as stored in Event.Source.
const (
	SourceSetupLog   = "setuplog"
	SourceEVTX       = "evtx"
	SourceEVT        = "evt"
	SourceClusterLog = "clusterlog"
	SourceRegistry   = "reg"
	SourceInventory  = "inventory"
)

// Normalized levels, as stored in Event.Level.
const (
	LevelCritical = "critical"
	LevelError    = "error"
	LevelWarning  = "warning"
	LevelInfo     = "info"
	LevelVerbose  = "verbose"
	LevelDebug    = "debug"
)

// Event is one record of any source format, normalized.
//
// Position is Line for line-oriented text formats (1-based physical line
// where the record starts) and Record plus Offset for binary event logs.
// Together with File it identifies the event uniquely within a bundle.
type Event struct {
	Time        time.Time   `json:"time,omitzero"`
	TimeQuality TimeQuality `json:"time_quality"`
	Node        string      `json:"node,omitempty"`
	// NodeFrom says how Node was decided: NodeFromContent,
	// NodeFromSiblings, NodeFromLayout, or "" when there is no node.
	NodeFrom string `json:"node_from,omitempty"`
	Source   string `json:"source"`
	// Kind marks events a parser derives rather than reads from one record,
	// e.g. "setup-run" for the summary of a setup run. Empty for records.
	Kind     string `json:"kind,omitempty"`
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Record   uint64 `json:"record,omitempty"`
	Offset   int64  `json:"offset,omitempty"`
	Provider string `json:"provider,omitempty"`
	EventID  int    `json:"event_id,omitempty"`
	Level    string `json:"level,omitempty"`
	Message  string `json:"message"`
	// Fields holds format-specific structured values (setup version, group,
	// from/to node, registry value...). Keys are lower_snake_case.
	Fields map[string]string `json:"fields,omitempty"`
	// Run is the 1-based setup run within a setup log; 0 for other formats.
	Run int `json:"run,omitempty"`
	// Facts are the typed statements the parser read from this record in
	// its format's own wording (a setup run's outcome, a group move, a
	// build claim); detectors read these, never the message text of
	// another format. Concrete types live in package parse/facts.
	Facts []Fact `json:"facts,omitempty"`
}

// A Fact is one typed statement a parser derived from the wording of its
// format. Each concrete type (package parse/facts) names itself, so the
// JSON of an event says which facts it carries.
type Fact interface {
	// FactType is the fact's stable name, e.g. "setup-run", "group-move".
	FactType() string
}

// AddFact attaches a fact to the event.
func (e *Event) AddFact(f Fact) { e.Facts = append(e.Facts, f) }

// ID returns the event's deterministic document ID: a hash of the bundle path
// plus the position in the file, so ingesting a bundle twice replaces rather
// than duplicates.
func (e *Event) ID() string {
	h := fnv.New64a()
	h.Write([]byte(e.File))
	var b strings.Builder
	b.Grow(48)
	b.WriteString(hex.EncodeToString(h.Sum(nil)))
	if e.Kind != "" {
		b.WriteString(":")
		b.WriteString(e.Kind)
	}
	if e.Line > 0 {
		b.WriteString(":L")
		b.WriteString(strconv.Itoa(e.Line))
	} else {
		b.WriteString(":O")
		b.WriteString(strconv.FormatInt(e.Offset, 10))
		b.WriteString(":R")
		b.WriteString(strconv.FormatUint(e.Record, 10))
	}
	return b.String()
}

// SetField sets a structured field, allocating the map on first use.
// Empty values are not stored.
func (e *Event) SetField(k, v string) {
	if v == "" {
		return
	}
	if e.Fields == nil {
		e.Fields = make(map[string]string, 4)
	}
	e.Fields[k] = v
}

// Field returns a structured field or "".
func (e *Event) Field(k string) string { return e.Fields[k] }

// ShortNode turns a host name into the short upper-case form exlog reports
// (node1.contoso.com -> NODE1). NetBIOS-style names pass through upper-cased.
func ShortNode(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, `\\`)
	if i := strings.IndexByte(s, '.'); i > 0 {
		// An IP address is kept whole.
		if !isIPv4(s) {
			s = s[:i]
		}
	}
	return strings.ToUpper(s)
}

func isIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return true
}
