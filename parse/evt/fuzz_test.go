package evt

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/internal/fuzzopt"
	"github.com/exlog/exlog/parse/parsetest"
)

// FuzzParse feeds arbitrary bytes to the EVT reader: it must not panic, and
// the report must agree with what was emitted. Seeds are the project's own
// samples and, when the shared corpus is beside the repository, its files
// read at fuzz time (never copied into testdata).
func FuzzParse(f *testing.F) {
	seeds := []string{
		fixtureLog("node1-system-2003.evt"),
		fixtureLog("node1-application-2003.evt"),
		fixtureLog("node2-system-2003-wrapped-dirty.evt"),
	}
	for _, name := range []string{"testlog-dirty.evt", "system-xp-sysevent.evt"} {
		seeds = append(seeds, parsetest.CorpusFiles("evt", name, 0)...)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			continue
		}
		// Large seeds make every mutation and minimisation slow: keep the
		// first 32 KiB, without the zeros that end most small logs.
		if len(b) > 1<<15 {
			b = b[:1<<15]
		}
		f.Add(bytes.TrimRight(b, "\x00"))
	}
	f.Add([]byte("0\x00\x00\x00LfLe"))
	fuzzopt.QuickMinimize()
	f.Fuzz(func(t *testing.T, b []byte) {
		rep := &parse.Report{}
		n := 0
		err := Parser{}.Parse(context.Background(), parsetest.Bytes("fuzz.evt", b), rep, func(e *parse.Event) error {
			n++
			return nil
		})
		if err != nil && !(err == parse.ErrNotFormat || bytes.HasPrefix(b, []byte("0\x00\x00\x00LfLe"))) {
			t.Fatalf("unexpected error %v", err)
		}
		if rep.Events != n || rep.Recovered > n {
			t.Fatalf("report says %d events (%d recovered), %d emitted", rep.Events, rep.Recovered, n)
		}
	})
}
