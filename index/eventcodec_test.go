package index

import (
	"fmt"
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
)

// Any event survives the stored form whole, and damaged bytes give an
// error, never a panic.
func FuzzEventCodec(f *testing.F) {
	f.Add(int64(1718000000), uint32(5), "NODE1", "clusterlog", "a.log", "msg", "group", "EVS1", 12, uint64(0))
	f.Add(int64(253402300799), uint32(999999999), "", "evtx", "x!/y.evtx", "", "data.X", "", 0, uint64(1<<63))
	f.Fuzz(func(t *testing.T, sec int64, nsec uint32, node, source, file, msg, key, val string, line int, record uint64) {
		e := &parse.Event{Time: time.Unix(sec, int64(nsec%1e9)).UTC(), TimeQuality: parse.TimeUTC, Node: node, Source: source,
			File: file, Message: msg, Line: line, Record: record, Offset: int64(record >> 1), EventID: line / 3, Run: line % 5}
		if sec == 0 {
			e.Time = time.Time{}
		}
		if key != "" {
			e.Fields = map[string]string{key: val}
		}
		b := encodeEvent(nil, e)
		got, err := decodeEvent(b)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if fmt.Sprintf("%#v", *got) != fmt.Sprintf("%#v", *e) {
			t.Fatalf("round trip:\n got %#v\nwant %#v", *got, *e)
		}
		for i := range b { // every truncation and one flipped byte at each place
			decodeEvent(b[:i])
			c := append([]byte(nil), b...)
			c[i] ^= 0xa5
			decodeEvent(c)
		}
	})
}
