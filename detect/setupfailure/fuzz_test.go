package setupfailure

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
	"github.com/exlog/exlog/parse/setuplog"
)

// FuzzDetect feeds arbitrary bytes through the setup-log parser and the
// detector: whatever the parser makes of them, the detector must not fail
// and must only name causes it documents.
func FuzzDetect(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.log"))
	if dir, err := corpusDir(); err == nil {
		more, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		seeds = append(seeds, more...)
	}
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
		eng := detect.NewEngine([]*detect.Detector{Detector})
		_ = setuplog.Parser{}.Parse(context.Background(), in, &parse.Report{}, func(e *parse.Event) error {
			eng.Add(e)
			return nil
		})
		res, err := eng.Run(context.Background())
		if err != nil {
			t.Fatalf("detector failed: %v", err)
		}
		for _, fd := range res.Findings {
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

// corpusDir is the shared corpus, when it is beside the repository.
func corpusDir() (string, error) {
	d := filepath.Join(fixtures.RepoRoot(), "..", "shared", "corpus", "setuplogs")
	_, err := os.Stat(d)
	return d, err
}
