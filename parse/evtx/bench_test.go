package evtx

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/exlog/exlog/fixtures"
)

// benchFiles is the throughput set of the research notes (evtx.md section
// 4): 16,711 records, 13,000,704 bytes, read completely by every tool.
var benchFiles = []string{
	"app-many-classic-providers-esent-msi.evtx",
	"system-scm-7036-7040-5k-events.evtx",
	"large-security-2261-events-dirty.evtx",
	"large-security-smb-password-guessing-3mb.evtx",
	"large-grouppolicy-irregular-bool-values.evtx",
	"security-size-t-values.evtx",
}

// BenchmarkCorpus reads the throughput set one file after the other, as
// evtxexport does in compare_evtxexport.sh; MB/s and events/s are per
// wall-clock second.
func BenchmarkCorpus(b *testing.B) {
	dir := fixtures.Corpus(b, "evtx")
	var size int64
	for _, f := range benchFiles {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			b.Fatal(err)
		}
		size += st.Size()
	}
	b.SetBytes(size)
	b.ResetTimer()
	events := 0
	for i := 0; i < b.N; i++ {
		for _, f := range benchFiles {
			evs, _, err := parseAll(b, &Parser{}, fileInput(filepath.Join(dir, f)))
			if err != nil {
				b.Fatal(err)
			}
			events += len(evs)
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
