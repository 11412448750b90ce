// Package eventlog holds what the EVTX and legacy EVT readers share: the
// Record both formats decode into, the level mapping, the catalogue of
// Windows and Exchange events exlog's detectors read, and ToEvent, which
// turns a Record into a normalized parse.Event.
//
// Field names ToEvent sets (all optional, only when present):
//
//	channel, computer, task, keywords, user_sid, qualifiers, audit,
//	binary (upper-case hex, at most MaxBinary bytes), binary_bytes (the full
//	size when binary was cut), data.<Name> (named inserts), data.1..data.N
//	(unnamed inserts in order), user.<path> (UserData flattened),
//	inserts_uncertain / inserts_uncertain_reason, recovered (how a record was
//	recovered: "resync" after damage, "slack" from unused chunk space,
//	"scan" from a damaged region), rendered_message (message text the
//	record carries itself, e.g. forwarded events).
//
// Catalogued events add event_name, provider_family and, where the event
// names them: action, group, resource, resource_type, target_node,
// from_node, to_node, move_type, new_state, error_code (decimal), error_hex
// (0x%08x), version and component. See catalogue.go.
package eventlog

import (
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/parse"
)

// Insert is one insertion string of a record: the value of an EventData
// <Data> element or of a legacy record's string table. Name is empty when
// the format does not name it.
type Insert struct {
	Name  string
	Value string
}

// Record is one Windows event log record, decoded from EVTX or EVT, before
// normalisation.
type Record struct {
	// Provider is the event source ("Microsoft-Windows-FailoverClustering",
	// "MSExchangeCluster", "ClusSvc"...).
	Provider string
	// EventID is the identifier as the format stores it: 16 bits in EVTX,
	// the full 32-bit value (severity and customer bits included) in EVT.
	EventID uint32
	// Qualifiers are the high 16 bits of a classic event identifier, when
	// the record has them (HasQualifiers).
	Qualifiers    uint16
	HasQualifiers bool
	// Level is the normalized level (parse.LevelError...); Audit is
	// "success" or "failure" for audit records.
	Level string
	Audit string
	// Time is when the event was created, in UTC.
	Time time.Time
	// RecordID is the record number the log assigned.
	RecordID uint64
	// Offset is the record's byte offset in the file.
	Offset   int64
	Channel  string
	Computer string
	Task     string
	Keywords string
	UserSID  string
	// Inserts are the insertion strings in order.
	Inserts []Insert
	// User is the flattened UserData section: dotted element paths below
	// UserData and their text.
	User []Insert
	// Binary is the record's binary data.
	Binary []byte
	// Rendered is a message the record carries itself (RenderingInfo of a
	// forwarded event); empty for most records.
	Rendered string
	// Uncertain, when set, says why the positions of Inserts may be wrong.
	Uncertain string
	// Recovered says how a record outside the normal record chain was found
	// ("resync", "slack", "scan"); empty for ordinary records.
	Recovered string
}

// MaxBinary bounds how many bytes of a record's binary data are kept in the
// binary field; the full length is then given in binary_bytes.
const MaxBinary = 1024

// maxMessage bounds the generic message built from inserts.
const maxMessage = 1024

// ShortID returns the 16-bit event identifier exlog reports: the low 16 bits
// of a classic 32-bit identifier, the value itself otherwise.
func (r *Record) ShortID() int {
	return int(r.EventID & 0xFFFF)
}

// ToEvent normalizes a record read from in. source is parse.SourceEVTX or
// parse.SourceEVT.
func ToEvent(r *Record, in *parse.Input, source string) *parse.Event {
	e := &parse.Event{
		Source:   source,
		Record:   r.RecordID,
		Offset:   r.Offset,
		Provider: r.Provider,
		EventID:  r.ShortID(),
		Level:    r.Level,
	}
	if in != nil {
		e.File = in.Path
	}
	if !r.Time.IsZero() {
		e.Time = r.Time.UTC()
		e.TimeQuality = parse.TimeUTC
	} else {
		e.TimeQuality = parse.TimeNone
	}
	if r.Computer != "" {
		e.Node, e.NodeFrom = parse.ShortNode(r.Computer), parse.NodeFromContent
	} else if in != nil {
		e.Node = in.Node
	}
	n := 8 + len(r.Inserts) + len(r.User)
	e.Fields = make(map[string]string, n)
	e.SetField(parse.KeyChannel, r.Channel)
	e.SetField(parse.KeyComputer, r.Computer)
	e.SetField(parse.KeyTask, r.Task)
	e.SetField(parse.KeyKeywords, r.Keywords)
	e.SetField(parse.KeyUserSID, r.UserSID)
	e.SetField(parse.KeyAudit, r.Audit)
	if r.HasQualifiers {
		e.SetField(parse.KeyQualifiers, strconv.Itoa(int(r.Qualifiers)))
	}
	if len(r.Binary) > 0 {
		b := r.Binary
		if len(b) > MaxBinary {
			b = b[:MaxBinary]
			e.SetField(parse.KeyBinaryBytes, strconv.Itoa(len(r.Binary)))
		}
		e.SetField(parse.KeyBinary, strings.ToUpper(hex.EncodeToString(b)))
	}
	unnamed := 0
	for _, in := range r.Inserts {
		var k string
		if in.Name != "" {
			k = "data." + in.Name
		} else {
			unnamed++
			k = "data." + strconv.Itoa(unnamed)
		}
		setUnique(e, k, in.Value)
	}
	for _, u := range r.User {
		setUnique(e, "user."+u.Name, u.Value)
	}
	if r.Uncertain != "" {
		e.SetField(parse.KeyInsertsUncertain, "true")
		e.SetField(parse.KeyInsertsUncertainReason, r.Uncertain)
	}
	e.SetField(parse.KeyRecovered, r.Recovered)
	e.SetField(parse.KeyRenderedMessage, r.Rendered)

	if ent, ok := Lookup(r.Provider, e.EventID); ok {
		f := ent.apply(r, e)
		e.Message = ent.describe(f)
	} else {
		e.Message = genericMessage(r)
	}
	addVersionFacts(e)
	clusterFacts(e)
	return e
}

// setUnique stores a field; a key already taken (two inserts with the same
// name) gets a numeric suffix so no value is lost.
func setUnique(e *parse.Event, k, v string) {
	if v == "" {
		return
	}
	if _, taken := e.Fields[k]; !taken {
		e.Fields[k] = v
		return
	}
	for i := 2; ; i++ {
		kk := k + "." + strconv.Itoa(i)
		if _, taken := e.Fields[kk]; !taken {
			e.Fields[kk] = v
			return
		}
	}
}

// genericMessage describes an event outside the catalogue: provider, ID and
// the inserts, or the message the record carries itself.
func genericMessage(r *Record) string {
	var b strings.Builder
	p := r.Provider
	if p == "" {
		p = "unknown provider"
	}
	b.WriteString(p)
	b.WriteString(" event ")
	b.WriteString(strconv.Itoa(r.ShortID()))
	if r.Rendered != "" {
		b.WriteString(": ")
		b.WriteString(oneLine(r.Rendered))
		return parse.Clip(b.String(), maxMessage, "…")
	}
	sep := ": "
	// UserData's values stand in only when no insertion string was
	// written; their names (XML element paths) are never empty.
	for _, list := range [][]Insert{r.Inserts, r.User} {
		if sep != ": " {
			break
		}
		for _, in := range list {
			v := oneLine(in.Value)
			if v == "" {
				continue
			}
			b.WriteString(sep)
			sep = "; "
			if in.Name != "" {
				b.WriteString(in.Name)
				b.WriteString("=")
			}
			b.WriteString(v)
			if b.Len() > maxMessage {
				break
			}
		}
	}
	return parse.Clip(b.String(), maxMessage, "…")
}

// oneLine folds runs of whitespace (including line breaks inside inserts)
// into single spaces, so a message stays on one line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") && !strings.Contains(s, "  ") {
		return strings.TrimSpace(s)
	}
	return strings.Join(strings.Fields(s), " ")
}
