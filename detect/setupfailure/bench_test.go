package setupfailure

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/exlog/exlog/detect/detecttest"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

// BenchmarkDetectCorpus measures the detector alone over the parsed corpus
// (26 logs, 5.1 MB) through the engine, as triage runs it: bytes are the logs' sizes, so MB/s compares with the
// parser's own benchmark.
func BenchmarkDetectCorpus(b *testing.B) {
	files := fixtures.CorpusGlob(b, "setuplogs", "*.log")
	var evs []*parse.Event
	var size int64
	for _, f := range files {
		data := parsetest.ReadFile(b, f)
		size += int64(len(data))
		evs = append(evs, parseBytes(b, filepath.Base(f), data, time.Time{})...)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		detecttest.Detect(b, evs, Detector)
	}
}
