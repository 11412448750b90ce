package evtx

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/internal/fuzzopt"
	"github.com/exlog/exlog/parse/parsetest"
)

// fuzzSeeds returns the project's sample logs and, when the shared corpus
// is beside the repository, a few corpus files read now (never copied into
// testdata).
func fuzzSeeds() [][]byte {
	paths := []string{fixtureLog("node1-system-2008.evtx"), fixtureLog("node1-application-2008.evtx")}
	for _, f := range []string{"app-mssql-33205-bruteforce-classic.evtx", "exchange-mgmt-cmdletlogs-wec-forwarded.evtx",
		"security-size-t-values.evtx", "corrupt-vss-rdpcorets-panics-golang-evtx.evtx", "system-netlogon-5805-log-cleared-104.evtx"} {
		paths = append(paths, parsetest.CorpusFiles("evtx", f, 0)...)
	}
	var out [][]byte
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			out = append(out, b)
		}
	}
	return out
}

// FuzzChunk feeds arbitrary bytes to the chunk and record decoder. Panics
// inside golang-evtx are recovered by design; a panic starting in exlog's
// own code is not (rethrowOwn), nor is a hang or a runaway allocation.
func FuzzChunk(f *testing.F) {
	for _, b := range fuzzSeeds() {
		if len(b) >= headerBlock+chunkDataStart {
			c := b[headerBlock:min(len(b), headerBlock+16<<10)]
			f.Add(bytes.TrimRight(c, "\x00"))
		}
	}
	f.Add(append(append([]byte{}, chunkMagic...), make([]byte, 600)...))
	f.Add(bytes.TrimRight(synthChunk(templateCycle()), "\x00"))
	fuzzopt.QuickMinimize()
	rethrowOwn = true
	// Runaway records then cost milliseconds, not seconds, so the fuzzer
	// keeps its pace; the seeds need far fewer reads.
	readerBudget = 1 << 16
	recordTime = 50 * time.Millisecond
	f.Fuzz(func(t *testing.T, b []byte) {
		// The first 16 KiB of a chunk hold its header, tables and dozens
		// of records: enough structure, and much faster to mutate.
		if len(b) > 16<<10 {
			b = b[:16<<10]
		}
		res := decodeChunk(chunkJob{data: b}, &parse.Input{Path: "fuzz"}, true)
		for _, e := range append(res.events, res.slack...) {
			if e.Source != parse.SourceEVTX || e.Offset < 0 || e.Offset >= int64(len(b)) {
				t.Fatalf("event with source %q offset %d", e.Source, e.Offset)
			}
		}
	})
}

// FuzzParse feeds arbitrary files to the whole reader (header, slots,
// worker pool, ordering).
func FuzzParse(f *testing.F) {
	for _, b := range fuzzSeeds() {
		// The header and part of the first chunk: the fuzzer grows inputs
		// into more slots itself, and small inputs minimise quickly.
		f.Add(bytes.TrimRight(b[:min(len(b), headerBlock+16<<10)], "\x00"))
	}
	f.Add([]byte("ElfFile\x00"))
	fuzzopt.QuickMinimize()
	rethrowOwn = true
	readerBudget = 1 << 16 // as in FuzzChunk
	recordTime = 50 * time.Millisecond
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, rep, err := parseAll(t, &Parser{Workers: 2}, parsetest.Bytes("fuzz.evtx", b))
		if err == nil && rep.Events != len(evs) {
			t.Fatalf("report counts %d events, %d emitted", rep.Events, len(evs))
		}
		if !bytes.HasPrefix(b, fileMagic) && err != parse.ErrNotFormat {
			t.Fatalf("non-EVTX input: err %v", err)
		}
	})
}
