package bundle

import (
	"fmt"
	"io"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/exlog/exlog/parse"
)

// benchBundle writes two collector-style server zips (each with a
// deflated nested zip of logs) and a .tgz, and returns the bundle's
// directory and its uncompressed log bytes.
func benchBundle(b *testing.B) (string, int64) {
	b.Helper()
	dir := b.TempDir()
	var total int64
	file := func(i int) []byte {
		d := lines(40000, fmt.Sprintf("event %d with some words of a realistic length", i)) // about 2.4 MiB
		total += int64(len(d))
		return d
	}
	for s := 1; s <= 2; s++ {
		var inner []zf
		for i := range 6 {
			inner = append(inner, zf{name: fmt.Sprintf("log%d.log", i), data: file(i)})
		}
		outer := zipBytes(b,
			zf{name: "Windows_Event_Logs/Windows-Logs.zip", data: zipBytes(b, inner...)},
			zf{name: "ExchangeSetupLogs/ExchangeSetup.log", data: file(99)},
		)
		writeFile(b, filepath.Join(dir, fmt.Sprintf("EXCH%d-321.zip", s)), outer)
	}
	var tars []tf
	for i := range 6 {
		tars = append(tars, tf{name: fmt.Sprintf("EXCH3/logs/%d.log", i), data: file(i)})
	}
	writeFile(b, filepath.Join(dir, "EXCH3.tgz"), gzBytes(b, tarBytes(b, tars...)))
	return dir, total
}

// BenchmarkParse measures Walk+Parse throughput in uncompressed MB/s with
// the test line parser on all workers.
func BenchmarkParse(b *testing.B) {
	dir, total := benchBundle(b)
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		var n atomic.Int64
		reps, err := Parse(b.Context(), []string{dir}, testParsers, Options{}, func(*parse.Event) error {
			n.Add(1)
			return nil
		})
		if err != nil || len(reps) != 20 || n.Load() != 20*40000 {
			b.Fatalf("%d reports, %d events, %v", len(reps), n.Load(), err)
		}
	}
}

// BenchmarkWalkRead measures the walker alone: every file opened and
// read to its end, one at a time.
func BenchmarkWalkRead(b *testing.B) {
	dir, total := benchBundle(b)
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		var read int64
		err := Walk(b.Context(), dir, Options{}, func(in *parse.Input) error {
			rc, err := in.Open()
			if err != nil {
				return err
			}
			defer rc.Close()
			n, err := io.Copy(io.Discard, rc)
			read += n
			return err
		})
		if err != nil || read != total {
			b.Fatalf("read %d of %d: %v", read, total, err)
		}
	}
}
