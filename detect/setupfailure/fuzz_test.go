package setupfailure

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/exlog/exlog/detect/detecttest"
	"github.com/exlog/exlog/parse/parsetest"
	"github.com/exlog/exlog/parse/setuplog"
)

// FuzzDetect feeds arbitrary bytes through the setup-log parser and the
// detector: whatever the parser makes of them, the detector must not fail
// and must only name causes it documents.
func FuzzDetect(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.log"))
	seeds = append(seeds, parsetest.CorpusFiles("setuplogs", "*.log", 0)...)
	for _, s := range seeds {
		if st, err := os.Stat(s); err != nil || st.Size() > 64<<10 {
			continue // large seeds slow every fuzz round down
		}
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	known := CauseIDs()
	f.Fuzz(func(t *testing.T, data []byte) {
		in := parsetest.Bytes("fuzz/ExchangeSetup.log", data)
		in.ModTime = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
		evs, _, _ := parsetest.Collect(setuplog.Parser{}, in) // a parse error keeps the events before it
		for _, fd := range detecttest.Detect(t, evs, Detector) {
			if !slices.Contains(known, fd.Cause) {
				t.Fatalf("undocumented cause %q", fd.Cause)
			}
			if fd.Summary == "" || fd.Explanation == "" || fd.Remediation == "" || len(fd.Evidence) == 0 {
				t.Fatalf("incomplete finding %+v", fd)
			}
			for _, ev := range fd.Evidence {
				if ev.Line <= 0 {
					t.Fatalf("evidence without a line: %+v", ev)
				}
			}
		}
	})
}
