package bundle

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
)

// The real setup logs, read from the corpus directory and from a .tgz and
// a nested .zip built from them in a temporary directory, give the line
// counts wc -l gives (31801 lines in 26 logs; every one ends in a newline).
func TestCorpusSetupLogs(t *testing.T) {
	dir := fixtures.Corpus(t, "setuplogs")
	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil || len(logs) != 26 {
		t.Fatalf("%d logs in the corpus (%v); the counts below are for 26", len(logs), err)
	}
	tmp := t.TempDir()
	var tars []tf
	var zips []zf
	for _, p := range logs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		name := "EXCH1/ExchangeSetupLogs/" + filepath.Base(p)
		tars = append(tars, tf{name: name, data: b})
		zips = append(zips, zf{name: "ExchangeSetupLogs/" + filepath.Base(p), data: b})
	}
	writeFile(t, filepath.Join(tmp, "case.tgz"), gzBytes(t, tarBytes(t, tars...)))
	writeFile(t, filepath.Join(tmp, "2024321", "EXCH2-321.zip"), zipBytes(t, zf{name: "inner.zip", data: zipBytes(t, zips...)}))

	bracket := lineParser{"setup", "["}
	for _, root := range []string{dir, tmp} {
		var mu sync.Mutex
		events := map[string]int{}
		reps, err := Parse(t.Context(), []string{root}, []parse.Parser{bracket}, Options{}, func(ev *parse.Event) error {
			mu.Lock()
			events[ev.File]++
			mu.Unlock()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		total, parsed := 0, 0
		for _, r := range reps {
			if r.Format == "setup" {
				parsed++
				total += r.Events
				if r.Status != parse.StatusOK || r.Events != events[r.Path] {
					t.Errorf("%s: %s, %d events reported, %d emitted", r.Path, r.Status, r.Events, events[r.Path])
				}
			}
		}
		want := 26
		if root == tmp {
			want = 52
		}
		if parsed != want || total != 31801*want/26 {
			t.Errorf("%s: %d files parsed with %d events; want %d files, %d events", root, parsed, total, want, 31801*want/26)
		}
		for path, r := range byPath(reps) {
			base := filepath.Base(path)
			switch {
			case base == "e2013cu23-upgrade-mount-database-failed.log" && r.Events != 246,
				base == "e2019cu14-install-no-suitable-dc.log" && r.Events != 580:
				t.Errorf("%s: %d events", path, r.Events)
			case strings.HasPrefix(path, "case.tgz!/") && r.Node != "EXCH1",
				strings.HasPrefix(path, "2024321/EXCH2-321.zip!/") && r.Node != "EXCH2":
				t.Errorf("%s: node %q", path, r.Node)
			case base == "SOURCES.md" && r.Status != parse.StatusUnknown:
				t.Errorf("SOURCES.md: %s", r.Status)
			}
		}
	}
}

func byPath(reps []*parse.Report) map[string]*parse.Report {
	m := map[string]*parse.Report{}
	for _, r := range reps {
		m[r.Path] = r
	}
	return m
}
