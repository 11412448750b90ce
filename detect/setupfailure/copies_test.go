package setupfailure

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/detecttest"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse/parsetest"
)

// TestCopiesChangeNothing: a second copy of a log in the bundle (a .bak,
// the same file in another archive, a copy cut short) changes no finding,
// for every corpus log and every fixture log.
func TestCopiesChangeNothing(t *testing.T) {
	files := fixtures.CorpusGlob(t, "setuplogs", "*.log")
	more, _ := filepath.Glob("testdata/*.log")
	files = append(files, more...)
	if len(files) < 27 {
		t.Fatalf("%d logs", len(files))
	}
	mod := time.Date(2024, 3, 21, 12, 0, 0, 0, time.UTC)
	for _, f := range files {
		data := parsetest.ReadFile(t, f)
		name := "SRV1/ExchangeSetupLogs/" + filepath.Base(f)
		one := parseBytes(t, name, data, mod)
		want, _ := json.Marshal(findingsOf(t, one))
		for _, c := range []struct{ what, path string }{
			{".bak copy", name + ".bak"},
			{"copy in another archive", "case2.zip!/" + name},
		} {
			two := append(parseBytes(t, name, data, mod), parseBytes(t, c.path, data, mod)...)
			got, _ := json.Marshal(findingsOf(t, two))
			if string(got) != string(want) {
				t.Errorf("%s: a %s changes the findings:\n got %s\nwant %s", filepath.Base(f), c.what, got, want)
			}
		}
		// A copy cut in the middle of its last run (collected while setup
		// still wrote the log) is the same run; the whole log decides.
		if n := len(data); n > 2000 {
			cut := data[:n-n/5]
			two := append(parseBytes(t, name, data, mod), parseBytes(t, name+".old", cut, mod)...)
			got, _ := json.Marshal(findingsOf(t, two))
			if string(got) != string(want) {
				t.Errorf("%s: a cut copy changes the findings:\n got %s\nwant %s", filepath.Base(f), got, want)
			}
		}
	}
}

// TestQuickStartBundle: the README's quick-start bundle shows the failed
// first run of NODE1's Exchange 2003 progress log, retried successfully,
// and its .bak copy of EXCCR-N2's log adds nothing.
func TestQuickStartBundle(t *testing.T) {
	evs := detecttest.Bundle(t, filepath.Join(fixtures.Dir(), "bundles", "setup-collector.zip"))
	detect.SortEvents(evs)
	fs := findingsOf(t, evs)
	if len(fs) != 1 {
		t.Fatalf("%d findings: %v", len(fs), causesOf(fs))
	}
	f := fs[0]
	if f.Severity != detect.Warning || f.Nodes[0] != "NODE1" || f.Details["run"] != "1" || f.Details["result"] != "failed" ||
		!strings.Contains(f.Summary, "succeeded on retry") || f.Details["decided_by"] != "line 14: an error the log did not mark as ignored stopped a component" {
		t.Errorf("finding %v %q %v", f.Severity, f.Summary, f.Details)
	}
}
