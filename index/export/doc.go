// Package export turns a bundle's events and findings into documents for
// engines beyond one machine: Elasticsearch, OpenSearch and VictoriaLogs
// through the Elasticsearch _bulk API, and Timesketch through its JSONL
// and CSV import formats.
//
// Documents follow the Elastic Common Schema where ECS has a name for a
// value (@timestamp, message, event.*, log.*, host.name, winlog.*) and keep
// everything else under exlog.*. Every document's ID is derived from the
// bundle's identity and the event's position (or the finding's content),
// so exporting a bundle twice to an engine that honours _id, such as
// Elasticsearch or OpenSearch, replaces documents instead of duplicating
// them.
package export

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// Source names what is exported. Case and Bundle are part of every
// document's ID and are stored in exlog.case and exlog.bundle, so that
// one engine can hold many cases and bundles apart.
type Source struct {
	// Case is the support case the bundle belongs to (--case); may be empty.
	Case string
	// Bundle is the bundle's name as exlog triage shows it.
	Bundle string
}

// idPrefix is the part of every ID that names the case and bundle: a hash,
// so that IDs stay short and free of the characters bundle names may hold.
func (s Source) idPrefix() string {
	h := sha256.Sum256([]byte(s.Case + "\x00" + s.Bundle))
	return hex.EncodeToString(h[:8])
}

// EventID is the export ID of the event whose parse ID (parse.Event.ID) is
// docID: the bundle's identity followed by the event's position.
func (s Source) EventID(docID string) string { return s.idPrefix() + "-" + docID }

// Document is one exported document in ECS shape. Encoders write it as
// nested JSON (es-bulk, ndjson) or flattened to dotted names (Timesketch).
type Document struct {
	ID string `json:"-"`
	// Timestamp is RFC 3339 in UTC with nanoseconds; empty when the event
	// has no time or an implausible one (then see exlog.time_original).
	Timestamp string  `json:"@timestamp,omitempty"`
	Message   string  `json:"message"`
	Event     Event   `json:"event"`
	Log       *Log    `json:"log,omitempty"`
	Host      *Host   `json:"host,omitempty"`
	Winlog    *Winlog `json:"winlog,omitempty"`
	Rule      *Rule   `json:"rule,omitempty"`
	Exlog     Exlog   `json:"exlog"`

	time time.Time // Timestamp as a time, for Timesketch
}

// Event is ECS event.*.
type Event struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"` // "event", or "alert" for findings
	Dataset  string `json:"dataset"`
	Code     string `json:"code,omitempty"`
	Provider string `json:"provider,omitempty"`
	// Severity, Start and End are set on findings: 1 info to 4 critical.
	Severity int    `json:"severity,omitempty"`
	Start    string `json:"start,omitempty"`
	End      string `json:"end,omitempty"`
}

// Log is ECS log.*.
type Log struct {
	Level  string   `json:"level,omitempty"`
	File   *LogFile `json:"file,omitempty"`
	Offset *int64   `json:"offset,omitempty"`
}

// LogFile is ECS log.file.
type LogFile struct {
	Path string `json:"path"`
}

// Host is ECS host.*.
type Host struct {
	Name string `json:"name"`
}

// Winlog is the Winlogbeat winlog.* group, for EVTX and EVT records.
type Winlog struct {
	Channel      string `json:"channel,omitempty"`
	ComputerName string `json:"computer_name,omitempty"`
	ProviderName string `json:"provider_name,omitempty"`
	EventID      string `json:"event_id,omitempty"`
	RecordID     string `json:"record_id,omitempty"` // a string: 64-bit, as Winlogbeat writes it
}

// Rule is ECS rule.*: the detector behind a finding.
type Rule struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Exlog holds what ECS has no field for.
type Exlog struct {
	Case   string `json:"case,omitempty"`
	Bundle string `json:"bundle"`
	Source string `json:"source,omitempty"`
	Kind   string `json:"kind,omitempty"`
	// NodeFrom says how host.name was decided: "content" (the file names
	// the computer) or "layout" (only the bundle's folder or file names).
	NodeFrom    string `json:"node_from,omitempty"`
	TimeQuality string `json:"time_quality,omitempty"`
	// TimeOriginal keeps a time too far from the present to be a real one
	// (a damaged record), which @timestamp leaves out.
	TimeOriginal string            `json:"time_original,omitempty"`
	Line         int               `json:"line,omitempty"`
	Record       string            `json:"record,omitempty"` // records of formats other than EVTX/EVT
	Run          int               `json:"run,omitempty"`
	Fields       map[string]string `json:"fields,omitempty"`
	// Truncated names each text cut to fit a size limit (see Fit) with
	// its original length in bytes.
	Truncated map[string]int `json:"truncated,omitempty"`
	Finding   *Finding       `json:"finding,omitempty"`
}

// Finding is exlog.finding: the finding's JSON contract minus the fields
// that went to ECS names, with each evidence pointing at the exported
// event by its export ID.
type Finding struct {
	Detector string `json:"detector"`
	Severity string `json:"severity"`
	Cause    string `json:"cause,omitempty"`
	// Confidence is high, medium or low; ConfidenceReason says why it is
	// below high.
	Confidence       string            `json:"confidence,omitempty"`
	ConfidenceReason string            `json:"confidence_reason,omitempty"`
	Nodes            []string          `json:"nodes"`
	Groups           []string          `json:"groups"`
	Explanation      string            `json:"explanation,omitempty"`
	Remediation      string            `json:"remediation,omitempty"`
	References       []string          `json:"references"`
	Details          map[string]string `json:"details,omitempty"`
	Evidence         []Evidence        `json:"evidence"`
}

// Evidence is one piece of a finding's evidence.
type Evidence struct {
	// EventID is the export ID of the evidence event (its event.id).
	EventID string `json:"event_id"`
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Record  uint64 `json:"record,omitempty"`
	Time    string `json:"time,omitempty"`
	// Clock is the time of day of a record whose date is not known.
	Clock       string `json:"clock,omitempty"`
	TimeQuality string `json:"time_quality,omitempty"`
	Text        string `json:"text"`
}

// Dataset values: "exlog.<source>" for events, this for findings.
const datasetFindings = "exlog.findings"

// Field keys of parse.Event.Fields that have an ECS home (winlog.*) and so
// are not repeated under exlog.fields for event log records.
const (
	fieldChannel  = parse.KeyChannel
	fieldComputer = parse.KeyComputer
)

// plausible reports whether t can be a real log time. Damaged records
// carry years like 1601 or 30828; engines reject such times or, worse,
// drop them quietly (VictoriaLogs drops entries outside its retention),
// so they travel in exlog.time_original instead of @timestamp. Events
// from parse/pipeline come checked (time quality invalid, the written
// time in exlog.fields.time_raw); this guards events from elsewhere.
func plausible(t time.Time) bool {
	y := t.Year()
	return y >= 1990 && y <= 2100
}

// formatTime is RFC 3339 in UTC with nanoseconds, or any year when the
// time is implausible (time.Format does not fail on years past 9999).
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// EventDoc shapes one event.
func EventDoc(src Source, e *parse.Event) *Document {
	d := &Document{
		ID:      src.EventID(e.ID()),
		Message: e.Message,
		Event: Event{
			Kind:     "event",
			Dataset:  "exlog." + e.Source,
			Provider: e.Provider,
		},
		Exlog: Exlog{
			Case:        src.Case,
			Bundle:      src.Bundle,
			Source:      e.Source,
			Kind:        e.Kind,
			NodeFrom:    e.NodeFrom,
			TimeQuality: string(e.TimeQuality),
			Line:        e.Line,
			Run:         e.Run,
		},
	}
	d.Event.ID = d.ID
	if !e.Time.IsZero() && e.TimeQuality != parse.TimeNone {
		if plausible(e.Time) {
			d.time = e.Time.UTC()
			d.Timestamp = formatTime(e.Time)
		} else {
			d.Exlog.TimeOriginal = formatTime(e.Time)
		}
	}
	if e.EventID != 0 {
		d.Event.Code = strconv.Itoa(e.EventID)
	}
	if e.Level != "" || e.File != "" {
		d.Log = &Log{Level: e.Level}
		if e.File != "" {
			d.Log.File = &LogFile{Path: e.File}
		}
	}
	if e.Node != "" {
		d.Host = &Host{Name: e.Node}
	}
	winlog := e.Source == parse.SourceEVTX || e.Source == parse.SourceEVT
	if e.Line == 0 && (e.Record > 0 || e.Offset > 0) {
		if d.Log == nil {
			d.Log = &Log{}
		}
		off := e.Offset
		d.Log.Offset = &off
		if !winlog {
			d.Exlog.Record = strconv.FormatUint(e.Record, 10)
		}
	}
	for k, v := range e.Fields {
		if winlog && (k == fieldChannel || k == fieldComputer) {
			continue
		}
		if d.Exlog.Fields == nil {
			d.Exlog.Fields = make(map[string]string, len(e.Fields))
		}
		d.Exlog.Fields[k] = v
	}
	if winlog {
		d.Winlog = &Winlog{
			Channel:      e.Fields[fieldChannel],
			ComputerName: e.Fields[fieldComputer],
			ProviderName: e.Provider,
			EventID:      d.Event.Code,
		}
		if e.Record > 0 {
			d.Winlog.RecordID = strconv.FormatUint(e.Record, 10)
		}
	}
	return d
}

// FindingDocs shapes a bundle's findings. A finding's ID is a hash of what
// makes it that finding (detector, cause, nodes, groups, times, summary and
// evidence); findings identical in all of these are numbered in order, so
// the IDs of one bundle are the same on every run.
func FindingDocs(src Source, fs []detect.Finding) []*Document {
	seen := map[string]int{}
	out := make([]*Document, 0, len(fs))
	for i := range fs {
		f := &fs[i]
		key := findingKey(f)
		seen[key]++
		id := src.idPrefix() + "-finding:" + f.Detector + ":" + key
		if n := seen[key]; n > 1 {
			id += ":" + strconv.Itoa(n)
		}
		out = append(out, findingDoc(src, f, id))
	}
	return out
}

func findingKey(f *detect.Finding) string {
	h := sha256.New()
	put := func(s string) { h.Write([]byte(s)); h.Write([]byte{0}) }
	put(f.Detector)
	put(f.Cause)
	put(strings.Join(f.Nodes, ","))
	put(strings.Join(f.Groups, ","))
	put(f.Start.UTC().Format(time.RFC3339Nano))
	put(f.End.UTC().Format(time.RFC3339Nano))
	put(f.Summary)
	for _, ev := range f.Evidence {
		put(ev.DocID)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func findingDoc(src Source, f *detect.Finding, id string) *Document {
	d := &Document{
		ID:      id,
		Message: f.Summary,
		Event: Event{
			ID:       id,
			Kind:     "alert",
			Dataset:  datasetFindings,
			Severity: int(f.Severity),
		},
		Log:  &Log{Level: f.Severity.String()},
		Rule: &Rule{ID: f.Detector, Name: f.Detector},
		Exlog: Exlog{
			Case:        src.Case,
			Bundle:      src.Bundle,
			TimeQuality: string(f.TimeQuality),
			Finding: &Finding{
				Detector:         f.Detector,
				Severity:         f.Severity.String(),
				Cause:            f.Cause,
				Confidence:       f.Confidence,
				ConfidenceReason: f.ConfidenceReason,
				Nodes:            nonNil(f.Nodes),
				Groups:           nonNil(f.Groups),
				Explanation:      f.Explanation,
				Remediation:      f.Remediation,
				References:       nonNil(f.References),
				Details:          f.Details,
				Evidence:         make([]Evidence, 0, len(f.Evidence)),
			},
		},
	}
	if !f.Start.IsZero() {
		if plausible(f.Start) {
			d.time = f.Start.UTC()
			d.Timestamp = formatTime(f.Start)
		} else {
			d.Exlog.TimeOriginal = formatTime(f.Start)
		}
		d.Event.Start = formatTime(f.Start)
	}
	if !f.End.IsZero() {
		d.Event.End = formatTime(f.End)
	}
	if len(f.Nodes) == 1 {
		d.Host = &Host{Name: f.Nodes[0]}
	}
	for _, ev := range f.Evidence {
		d.Exlog.Finding.Evidence = append(d.Exlog.Finding.Evidence, Evidence{
			EventID:     src.EventID(ev.DocID),
			File:        ev.File,
			Line:        ev.Line,
			Record:      ev.Record,
			Time:        ev.Time,
			Clock:       ev.Clock,
			TimeQuality: string(ev.TimeQuality),
			Text:        ev.Text,
		})
	}
	return d
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// textBytes is the length of the document's texts, the part that can grow.
func textBytes(d *Document) int {
	n := len(d.Message) + len(d.ID)*2 + len(d.Event.Provider) + len(d.Exlog.Case) + len(d.Exlog.Bundle)
	if d.Host != nil {
		n += len(d.Host.Name)
	}
	if w := d.Winlog; w != nil {
		n += len(w.Channel) + len(w.ComputerName) + len(w.ProviderName)
	}
	for k, v := range d.Exlog.Fields {
		n += len(k) + len(v)
	}
	if f := d.Exlog.Finding; f != nil {
		n += len(f.Explanation) + len(f.Remediation) + 4096
		for _, e := range f.Evidence {
			n += len(e.Text) + len(e.File) + len(e.EventID) + 128
		}
		for _, r := range f.References {
			n += len(r)
		}
		for k, v := range f.Details {
			n += len(k) + len(v)
		}
	}
	if d.Log != nil && d.Log.File != nil {
		n += len(d.Log.File.Path)
	}
	return n
}

// Fit cuts a document's longest texts until its JSON is at most limit
// bytes, and records what it cut in exlog.truncated (the original byte
// length of each text cut). It reports whether it cut anything; limit <= 0
// means no limit.
//
// Engines limit a document's size and some enforce it quietly:
// VictoriaLogs skips a line over -insert.maxLineSizeBytes (256 KiB by
// default) while answering that it stored it. A setup log's dump of an
// Active Directory object can exceed that, so the exporter cuts the text
// and says so in the document, rather than lose the event.
func Fit(d *Document, limit int) bool {
	if limit <= 0 || textBytes(d)*6+16<<10 < limit {
		return false // small enough even if every byte were escaped as \u00XX
	}
	cut := false
	for range 64 { // each round cuts the longest text; a few rounds suffice
		b, err := appendJSON(nil, d)
		if err != nil || len(b) <= limit {
			return cut
		}
		name, text := "message", d.Message
		for _, k := range slices.Sorted(maps.Keys(d.Exlog.Fields)) {
			if v := d.Exlog.Fields[k]; len(v) > len(text) {
				name, text = "exlog.fields."+k, v
			}
		}
		if len(text) <= len(" …") {
			return cut // what is too long is not a text exlog can cut
		}
		if d.Exlog.Truncated == nil {
			d.Exlog.Truncated = map[string]int{}
		}
		if _, seen := d.Exlog.Truncated[name]; !seen {
			d.Exlog.Truncated[name] = len(text)
		}
		// Cut the excess plus a margin, but keep a quarter of the limit
		// when other long texts share the blame: the next round cuts
		// them. Each round at least halves the text, so this ends.
		keep := max(len(text)-(len(b)-limit)-256, min(limit/4, len(text)/2))
		for keep > 0 && text[keep]&0xC0 == 0x80 { // not inside a UTF-8 character
			keep--
		}
		text = text[:keep] + " …"
		if name == "message" {
			d.Message = text
		} else {
			d.Exlog.Fields[strings.TrimPrefix(name, "exlog.fields.")] = text
		}
		cut = true
	}
	return cut
}
