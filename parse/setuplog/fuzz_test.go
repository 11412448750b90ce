package setuplog

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/internal/fuzzopt"
	"github.com/exlog/exlog/parse/parsetest"
)

// FuzzParse feeds arbitrary bytes to Sniff and Parse: neither may panic,
// and every event must be placed in a run with a sane line. On a busy
// machine run it with -fuzzminimizetime 5s: minimising each new input for
// the default 60s stalls the exec count for minutes.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.log")
	// Small real logs only, so each fuzz run stays quick; without the
	// corpus the target still runs on the fixtures.
	for _, name := range []string{"e2016cu18-upgrade-msi-langpack-nullref.log", "e2016cu23-install-servicecontrol-reverse.log"} {
		seeds = append(seeds, parsetest.CorpusFiles("setuplogs", name, 0)...)
	}
	// Heads and tails of 2 KiB: whole files make each mutation and each
	// minimisation slow without reaching more code.
	const cut = 2048
	for _, s := range seeds {
		data := parsetest.ReadFile(f, s)
		f.Add(data[:min(len(data), cut)])
		f.Add(data[max(0, len(data)-cut):])
	}
	f.Add([]byte("[23:59:59] a\n[00:00:01] === IGNORING PREVIOUS ERRORS === X (c:\\a.cxx:1)\n"))
	f.Add([]byte("[1/2/3 4:5:6 AM] [0] Evaluated [Setting:X] [HasException:True] [Value:\n"))
	mod := time.Date(2006, 3, 15, 0, 53, 10, 0, time.UTC)
	fuzzopt.QuickMinimize()
	f.Fuzz(func(t *testing.T, data []byte) {
		(Parser{}).Sniff(data[:min(len(data), parse.SniffSize)])
		in := parsetest.Bytes("fuzz.log", data)
		in.Node, in.ModTime = "N", mod
		rep := &parse.Report{}
		n := 0
		err := Parser{}.Parse(context.Background(), in, rep, func(e *parse.Event) error {
			n++
			if e.Run < 1 || e.Line < 1 {
				t.Fatalf("event with run %d line %d: %+v", e.Run, e.Line, e)
			}
			return nil
		})
		if err != nil && !errors.Is(err, parse.ErrNotFormat) {
			t.Fatalf("unexpected error %v", err)
		}
		if n != rep.Events {
			t.Fatalf("emitted %d, report counts %d", n, rep.Events)
		}
	})
}
