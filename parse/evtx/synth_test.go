package evtx

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/exlog/exlog/parse"
)

// synthChunk builds a chunk holding one record whose binary XML is body,
// with a valid header (checksums are not set: decodeChunk is called with
// checksum checks off).
func synthChunk(body []byte) []byte {
	c := make([]byte, chunkSize)
	copy(c, chunkMagic)
	binary.LittleEndian.PutUint64(c[8:], 1)
	binary.LittleEndian.PutUint64(c[16:], 1)
	binary.LittleEndian.PutUint64(c[24:], 1)
	binary.LittleEndian.PutUint64(c[32:], 1)
	binary.LittleEndian.PutUint32(c[40:], 128)
	size := (recordHeader + len(body) + 4 + 7) &^ 7
	binary.LittleEndian.PutUint32(c[44:], chunkDataStart)
	binary.LittleEndian.PutUint32(c[48:], uint32(chunkDataStart+size))
	r := c[chunkDataStart:]
	copy(r, recordMagic)
	binary.LittleEndian.PutUint32(r[4:], uint32(size))
	binary.LittleEndian.PutUint64(r[8:], 1)
	copy(r[recordHeader:], body)
	binary.LittleEndian.PutUint32(r[size-4:], uint32(size))
	return c
}

// templateCycle is binary XML whose template definition contains a
// template instance pointing back at that same definition. golang-evtx
// follows it until the Go stack overflows, a fatal error; the fuzzer found
// the pattern (this is a hand-made equivalent, not the fuzzer's input).
func templateCycle() []byte {
	const at = chunkDataStart + recordHeader // chunk offset of the body
	b := []byte{0x0f, 0x01, 0x01, 0x00}      // fragment header
	b = append(b, 0x0c, 0x01, 1, 2, 3, 4)    // template instance: token, unknown, template ID
	def := at + len(b) + 4                   // the definition follows the instance header
	b = binary.LittleEndian.AppendUint32(b, uint32(def))
	b = append(b, make([]byte, 4)...)                    // next template offset
	b = append(b, 1, 2, 3, 4)                            // GUID, first four bytes = template ID
	b = append(b, make([]byte, 12)...)                   // rest of the GUID
	b = binary.LittleEndian.AppendUint32(b, 32)          // definition size
	b = append(b, 0x0f, 0x01, 0x01, 0x00)                // the definition's fragment header
	b = append(b, 0x0c, 0x01, 1, 2, 3, 4)                // a template instance inside the definition...
	b = binary.LittleEndian.AppendUint32(b, uint32(def)) // ...whose definition is the one being read
	return append(b, 0x00, 0x00, 0x00, 0x00)
}

func TestTemplateCycle(t *testing.T) {
	res := decodeChunk(chunkJob{data: synthChunk(templateCycle())}, &parse.Input{Path: "cycle"}, false)
	if len(res.events) != 0 || res.skipped != 1 || len(res.problems) != 1 ||
		!strings.Contains(res.problems[0].Reason, "nests templates without end") {
		t.Errorf("events %d, skipped %d, problems %+v", len(res.events), res.skipped, res.problems)
	}
}
