package index

import (
	"encoding/binary"
	"errors"
	"slices"
	"time"

	"github.com/exlog/exlog/parse"
)

// The stored copy of an event is one compact binary value, written to the
// index's event file (evstore.go) and to the spool between the two passes
// of triage (spool.go). It is lossless: search hits, reports and exports
// rebuild the whole event from it, Fields included.
//
// Layout: a version byte, the time as seconds and nanoseconds since 1970
// (any year survives, unlike RFC 3339 text), the strings as
// length-prefixed bytes, the integers as varints, then the fields sorted
// by key.
const evCodecVersion = 1

var errBadEvent = errors.New("the stored event is damaged")

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// encodeEvent appends the stored form of e to b.
func encodeEvent(b []byte, e *parse.Event) []byte {
	b = append(b, evCodecVersion)
	if e.Time.IsZero() {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendVarint(b, e.Time.Unix())
		b = binary.AppendUvarint(b, uint64(e.Time.Nanosecond()))
	}
	for _, s := range [...]string{string(e.TimeQuality), e.Node, e.Source, e.Kind, e.File, e.Provider, e.Level, e.Message} {
		b = appendString(b, s)
	}
	b = binary.AppendVarint(b, int64(e.Line))
	b = binary.AppendUvarint(b, e.Record)
	b = binary.AppendVarint(b, e.Offset)
	b = binary.AppendVarint(b, int64(e.EventID))
	b = binary.AppendVarint(b, int64(e.Run))
	b = binary.AppendUvarint(b, uint64(len(e.Fields)))
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		slices.Sort(keys) // the same event always gives the same bytes
		for _, k := range keys {
			b = appendString(b, k)
			b = appendString(b, e.Fields[k])
		}
	}
	return b
}

type evDecoder struct {
	b   []byte
	err error
}

func (d *evDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errBadEvent
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *evDecoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errBadEvent
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *evDecoder) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = errBadEvent
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// decodeEvent rebuilds an event from its stored form. Times come back in
// UTC.
func decodeEvent(b []byte) (*parse.Event, error) {
	if len(b) < 2 || b[0] != evCodecVersion {
		return nil, errBadEvent
	}
	d := &evDecoder{b: b[2:]}
	e := &parse.Event{}
	switch b[1] {
	case 0:
	case 1:
		sec := d.varint()
		nsec := d.uvarint()
		if nsec >= 1e9 {
			return nil, errBadEvent
		}
		e.Time = time.Unix(sec, int64(nsec)).UTC()
	default:
		return nil, errBadEvent
	}
	e.TimeQuality = parse.TimeQuality(d.str())
	e.Node = d.str()
	e.Source = d.str()
	e.Kind = d.str()
	e.File = d.str()
	e.Provider = d.str()
	e.Level = d.str()
	e.Message = d.str()
	e.Line = int(d.varint())
	e.Record = d.uvarint()
	e.Offset = d.varint()
	e.EventID = int(d.varint())
	e.Run = int(d.varint())
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		return nil, errBadEvent
	}
	if n > 0 {
		e.Fields = make(map[string]string, n)
		for range n {
			k := d.str()
			v := d.str()
			if d.err != nil {
				break
			}
			e.Fields[k] = v
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, errBadEvent
	}
	return e, nil
}
