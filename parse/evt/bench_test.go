package evt

import (
	"path/filepath"
	"testing"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse/parsetest"
)

// BenchmarkCorpus reads the corpus EVT files (2.1 MB, 6,325 records with
// the recovered ones); MB/s and events/s per wall-clock second.
func BenchmarkCorpus(b *testing.B) {
	dir := fixtures.Corpus(b, "evt")
	var files [][]byte
	size := 0
	for _, f := range []string{"system-xp-sysevent.evt", "testlog-dirty.evt"} {
		files = append(files, parsetest.ReadFile(b, filepath.Join(dir, f)))
		size += len(files[len(files)-1])
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	events := 0
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			evs, _, err := parseBytes(b, "bench.evt", f)
			if err != nil {
				b.Fatal(err)
			}
			events += len(evs)
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
