package evtx

import (
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/parse/eventlog"
)

// findEvent returns the <Event> element of a rendered record.
func findEvent(nodes []*xnode) *xnode {
	for _, n := range nodes {
		if n.name == "Event" {
			return n
		}
	}
	for _, n := range nodes {
		if e := n.child("Event"); e != nil {
			return e
		}
	}
	return nil
}

// toRecord fills rec from a rendered <Event>. It reports false when the
// element has no System part, which no real record lacks.
func toRecord(ev *xnode, rec *eventlog.Record) bool {
	sys := ev.child("System")
	if sys == nil {
		return false
	}
	for _, k := range sys.kids {
		switch k.name {
		case "Provider":
			if a, ok := k.attr("Name"); ok && a.val != "" {
				rec.Provider = a.val
			} else if a, ok := k.attr("EventSourceName"); ok {
				rec.Provider = a.val
			}
		case "EventID":
			if n, err := strconv.ParseUint(strings.TrimSpace(k.text()), 10, 32); err == nil {
				rec.EventID = uint32(n)
			}
			if a, ok := k.attr("Qualifiers"); ok {
				if q, err := strconv.ParseUint(strings.TrimSpace(a.val), 10, 16); err == nil {
					rec.Qualifiers = uint16(q)
					rec.HasQualifiers = true
				}
			}
		case "Level":
			rec.Level = strings.TrimSpace(k.text()) // mapped below
		case "Task":
			rec.Task = strings.TrimSpace(k.text())
		case "Keywords":
			rec.Keywords = strings.TrimSpace(k.text())
		case "TimeCreated":
			if a, ok := k.attr("SystemTime"); ok {
				if !a.t.IsZero() {
					rec.Time = a.t
				} else if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(a.val)); err == nil {
					rec.Time = t.UTC()
				}
			}
		case "EventRecordID":
			if n, err := strconv.ParseUint(strings.TrimSpace(k.text()), 10, 64); err == nil {
				rec.RecordID = n
			}
		case "Channel":
			rec.Channel = k.text()
		case "Computer":
			rec.Computer = k.text()
		case "Security":
			if a, ok := k.attr("UserID"); ok {
				rec.UserSID = a.val
			}
		}
	}
	var kw uint64
	if rec.Keywords != "" {
		if v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(rec.Keywords), "0x"), 16, 64); err == nil {
			kw = v
			rec.Keywords = "0x" + leftPad(strconv.FormatUint(v, 16), 16)
		}
	}
	lvl, err := strconv.Atoi(rec.Level)
	if err != nil {
		lvl = 0
	}
	rec.Level, rec.Audit = eventlog.LevelFromEVTX(lvl, kw)

	if ed := ev.child("EventData"); ed != nil {
		eventData(ed, rec)
	}
	if ud := ev.child("UserData"); ud != nil {
		for _, k := range ud.kids {
			flatten(k, "", &rec.User)
		}
	}
	if ri := ev.child("RenderingInfo"); ri != nil {
		if m := ri.child("Message"); m != nil {
			rec.Rendered = strings.TrimSpace(m.text())
		}
	}
	return true
}

func leftPad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}

// eventData collects the inserts of <EventData>: <Data Name="X"> is a named
// insert, <Data> unnamed, a <Data> holding a string array gives one unnamed
// insert per item (classic records), <Binary> is the binary data.
func eventData(ed *xnode, rec *eventlog.Record) {
	if len(ed.kids) == 0 {
		if ed.arr {
			for _, v := range ed.vals {
				rec.Inserts = append(rec.Inserts, eventlog.Insert{Value: v})
			}
		} else if t := ed.text(); t != "" {
			rec.Inserts = append(rec.Inserts, eventlog.Insert{Value: t})
		}
		return
	}
	for _, k := range ed.kids {
		switch k.name {
		case "Data":
			name := ""
			if a, ok := k.attr("Name"); ok {
				name = a.val
			}
			if k.arr {
				for _, v := range k.vals {
					rec.Inserts = append(rec.Inserts, eventlog.Insert{Name: name, Value: v})
				}
				continue
			}
			if len(k.kids) > 0 {
				// Structured content inside <Data>: keep it flattened.
				var sub []eventlog.Insert
				for _, kk := range k.kids {
					flatten(kk, "", &sub)
				}
				for _, s := range sub {
					n := s.Name
					if name != "" {
						n = name + "." + n
					}
					rec.Inserts = append(rec.Inserts, eventlog.Insert{Name: n, Value: s.Value})
				}
				continue
			}
			rec.Inserts = append(rec.Inserts, eventlog.Insert{Name: name, Value: k.text()})
		case "Binary":
			if b, err := hex.DecodeString(strings.TrimSpace(k.text())); err == nil {
				rec.Binary = append(rec.Binary, b...)
			}
		default:
			var sub []eventlog.Insert
			flatten(k, "", &sub)
			rec.Inserts = append(rec.Inserts, sub...)
		}
	}
}

// flatten appends an element and its descendants as dotted paths with
// their text; attributes become path.attr (namespace declarations are
// dropped).
func flatten(x *xnode, prefix string, out *[]eventlog.Insert) {
	path := x.name
	if prefix != "" {
		path = prefix + "." + x.name
	}
	for _, a := range x.attrs {
		if a.name == "xmlns" || strings.HasPrefix(a.name, "xmlns:") {
			continue
		}
		*out = append(*out, eventlog.Insert{Name: path + "." + a.name, Value: a.val})
	}
	if x.arr {
		for _, v := range x.vals {
			*out = append(*out, eventlog.Insert{Name: path, Value: v})
		}
	} else if t := x.text(); t != "" || len(x.kids) == 0 {
		*out = append(*out, eventlog.Insert{Name: path, Value: t})
	}
	for _, k := range x.kids {
		flatten(k, path, out)
	}
}
