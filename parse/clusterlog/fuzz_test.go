package clusterlog

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/internal/fuzzopt"
	"github.com/exlog/exlog/parse/parsetest"
)

// FuzzParse feeds arbitrary bytes to Sniff and Parse. Panics must not
// happen, every emitted event must be well formed, and the events must
// account for every non-blank line the parser saw.
func FuzzParse(f *testing.F) {
	for _, pat := range []string{"testdata/*.log", filepath.Join(fixtures.Dir(), "clusterlogs", "*.log")} {
		m, _ := filepath.Glob(pat)
		parsetest.AddSeeds(f, 0, m...)
	}
	parsetest.AddSeeds(f, 0, parsetest.CorpusFiles("clusterlogs", "*.log", 0)...)
	f.Add([]byte("0ab::31-24:61:99.999 x\n\n  7 [A] 1.2::2024/02/30-10:00:00.000 CRIT\n[====]\n"))
	// The 2003 wordings the facts are read from: GUID names, node lines,
	// wrapped moves and thresholds, untagged resource lines.
	g := "0c6f6e3a-8b1d-4d7e-9a52-31b7c0e4d101"
	f.Add([]byte("1.2::2007/09/18-06:40:02.000 INFO [FM] Name for Group " + g + " is 'EVS1'.\r\n" +
		"1.2::2007/09/18-06:40:02.000 INFO [NM] Initializing node 2 (EXNODE2).\r\n" +
		"1.2::2007/09/18-06:41:00.000 ERR [FM] group " + g + " has exceeded its failover threshold\r\n    (failover count 6, threshold 5); left in failed state.\r\n" +
		"1.2::2007/09/18-06:42:00.000 WARN [FM] Group " + g + " is moving\r\n  to node 2.\r\n" +
		"1.2::2007/09/18-06:43:00.000 ERR Exchange System Attendant - (EVS2): Online failed with status 5018 (0x139a).\r\n"))

	old := recoverPanics
	recoverPanics = false
	defer func() { recoverPanics = old }()

	fuzzopt.QuickMinimize()
	f.Fuzz(func(t *testing.T, data []byte) {
		head := data
		if len(head) > parse.SniffSize {
			head = head[:parse.SniffSize]
		}
		Parser{}.Sniff(head)

		in := parsetest.Bytes("fuzz.log", data)
		in.ModTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
		rep := &parse.Report{}
		held := 0
		err := Parser{}.Parse(context.Background(), in, rep, func(e *parse.Event) error {
			if e.Line < 1 || e.Source != parse.SourceClusterLog || e.Message == "" {
				t.Fatalf("bad event %+v", e)
			}
			if e.TimeQuality == "" {
				t.Fatalf("line %d: no time quality", e.Line)
			}
			held += nonBlank(e.Message)
			return nil
		})
		if err != nil {
			return // ErrNotFormat, or a read error: nothing to account for
		}
		// Lines cuts over-long lines the same way here as in Parse.
		seen := 0
		for l := parse.NewLines(bytes.NewReader(data)); l.Next(); {
			if strings.TrimSpace(l.Text()) != "" {
				seen++
			}
		}
		if seen != held {
			t.Fatalf("events hold %d non-blank lines, input has %d", held, seen)
		}
	})
}
