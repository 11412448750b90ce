package evtx

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

// cycleRecord is a record at chunk offset at whose template definition
// refers to itself (templateCycle, placed anywhere in a chunk), with
// record number id.
func cycleRecord(at int, id uint64) []byte {
	body := at + recordHeader
	b := []byte{0x0f, 0x01, 0x01, 0x00}
	b = append(b, 0x0c, 0x01, 1, 2, 3, 4)
	def := body + len(b) + 4
	b = binary.LittleEndian.AppendUint32(b, uint32(def))
	b = append(b, make([]byte, 4)...)
	b = append(b, 1, 2, 3, 4)
	b = append(b, make([]byte, 12)...)
	b = binary.LittleEndian.AppendUint32(b, 32)
	b = append(b, 0x0f, 0x01, 0x01, 0x00)
	b = append(b, 0x0c, 0x01, 1, 2, 3, 4)
	b = binary.LittleEndian.AppendUint32(b, uint32(def))
	b = append(b, 0, 0, 0, 0)
	size := (recordHeader + len(b) + 4 + 7) &^ 7
	r := make([]byte, size)
	copy(r, recordMagic)
	binary.LittleEndian.PutUint32(r[4:], uint32(size))
	binary.LittleEndian.PutUint64(r[8:], id)
	copy(r[recordHeader:], b)
	binary.LittleEndian.PutUint32(r[size-4:], uint32(size))
	return r
}

// A template that refers to itself costs only the records that use it:
// the records of a real chunk before and after them are all read, and
// the second record using the same definition fails from the cache, not
// by running the library away again (which cost up to a minute).
func TestTemplateCycleAmongGoodRecords(t *testing.T) {
	file := parsetest.ReadFile(t, fixtureLog("node1-system-2008.evtx"))
	chunk := append([]byte(nil), file[headerBlock:headerBlock+chunkSize]...)
	plain := decodeChunk(chunkJob{data: chunk}, &parse.Input{Path: "plain"}, false)
	if len(plain.events) == 0 {
		t.Fatal("no records in the fixture's first chunk")
	}
	last := binary.LittleEndian.Uint64(chunk[24:]) // last record number
	free := int(binary.LittleEndian.Uint32(chunk[48:]))
	bad := cycleRecord(free, last+1)
	if free+2*len(bad) > chunkSize {
		t.Skip("no room in the chunk")
	}
	copy(chunk[free:], bad)
	// A second record reusing the first one's definition.
	second := cycleRecord(free, last+2)
	binary.LittleEndian.PutUint64(second[8:], last+2)
	copy(chunk[free+len(bad):], second)
	binary.LittleEndian.PutUint64(chunk[16:], last+2)
	binary.LittleEndian.PutUint64(chunk[24:], last+2)
	binary.LittleEndian.PutUint32(chunk[48:], uint32(free+2*len(bad)))

	trackOps = true
	mostOps.Store(0)
	defer func() { trackOps = false }()
	res := decodeChunk(chunkJob{data: chunk}, &parse.Input{Path: "cycle"}, false)
	if len(res.events) != len(plain.events) || res.skipped != 2 {
		t.Errorf("%d records read (want %d), %d skipped (want 2); problems %+v", len(res.events), len(plain.events), res.skipped, res.problems)
	}
	var text []string
	for _, p := range res.problems {
		text = append(text, p.Reason)
	}
	if all := strings.Join(text, "\n"); !strings.Contains(all, "nests templates without end") {
		t.Errorf("problems: %s", all)
	}
	// The runaway is bounded by the stack limit, well inside the read
	// budget.
	if m := mostOps.Load(); m >= int64(readerBudget) {
		t.Errorf("a record needed %d reads; the budget is %d", m, readerBudget)
	}
}
