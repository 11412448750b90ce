package export

import (
	"testing"
)

// BenchmarkShapeAndEncode measures what the exporter spends per event
// before the network: ECS shaping, the size check and the es-bulk lines.
// go test -run '^$' -bench . ./index/export
func BenchmarkShapeAndEncode(b *testing.B) {
	evs, _ := readBundle(b, allFormats(b))
	src := Source{Case: "bench", Bundle: "all-formats"}
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		d := EventDoc(src, evs[i%len(evs)])
		Fit(d, 256<<10)
		var err error
		if buf, err = AppendBulk(buf[:0], "exlog", d); err != nil {
			b.Fatal(err)
		}
	}
}
