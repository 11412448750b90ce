package detect

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	pfacts "github.com/exlog/exlog/parse/facts"
	"github.com/exlog/exlog/parse/parsetest"
	"github.com/exlog/exlog/parse/setuplog"
)

// setupRuns parses a setup log of the project's fixtures and reads its runs.
func setupRuns(t *testing.T, path string) []SetupRun {
	t.Helper()
	in := parsetest.File(path)
	var runs []SetupRun
	err := setuplog.Parser{}.Parse(context.Background(), in, &parse.Report{}, func(e *parse.Event) error {
		if r, ok := SetupRunOf(e); ok {
			runs = append(runs, r)
		} else if e.Kind == "setup-run" {
			t.Errorf("line %d: a setup-run event not read as a run", e.Line)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

func TestSetupRunOf(t *testing.T) {
	utc := func(s string) time.Time { v, _ := time.Parse(time.RFC3339Nano, s); return v }
	tests := []struct {
		file string
		want []SetupRun
	}{
		// The values are the log's own lines: the 2007 log states the
		// previous version, the /upgradeCMS run only the installed one,
		// which it does not change.
		{"../parse/setuplog/testdata/ex2007-ccr-upgradecms.log", []SetupRun{
			{Node: "EXCCR-N2", Start: utc("2008-03-15T23:48:31Z"), End: utc("2008-03-16T00:16:05Z"), Mode: "upgrade",
				From: "8.0.685.24", To: "8.1.240.6", Result: RunSucceeded, LastLine: 47},
			{Node: "EXCCR-N2", Start: utc("2008-03-16T00:41:07Z"), End: utc("2008-03-16T00:43:03Z"), Mode: "upgradecms",
				To: "8.1.240.6", Result: RunFailed, LastLine: 74},
		}},
		// 2013+: local time converted with the stated offset.
		{filepath.Join(fixtures.Dir(), "setuplogs", "ex2013-success.log"), []SetupRun{
			{Node: "EX16-N1", Start: utc("2022-04-26T18:02:11.534Z"), End: utc("2022-04-26T19:11:48.024Z"), Mode: "Upgrade",
				From: "15.1.2375.7", To: "15.1.2507.6", Result: RunSucceeded, LastLine: 75},
		}},
	}
	for _, tc := range tests {
		got := setupRuns(t, tc.file)
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %d runs, want %d: %+v", tc.file, len(got), len(tc.want), got)
		}
		for i, w := range tc.want {
			g := got[i]
			if g.Node != w.Node || !g.Start.Equal(w.Start) || !g.End.Equal(w.End) || g.Mode != w.Mode || g.From != w.From ||
				g.To != w.To || g.Result != w.Result || g.LastLine != w.LastLine {
				t.Errorf("%s run %d:\n got %+v\nwant %+v", filepath.Base(tc.file), i+1, g, w)
			}
			if g.Evidence.Line == 0 || g.Evidence.File == "" {
				t.Errorf("run %d has no evidence position", i+1)
			}
		}
	}
	if d := setupRuns(t, "../parse/setuplog/testdata/ex2007-ccr-upgradecms.log")[0].Duration(); d != 27*time.Minute+34*time.Second {
		t.Errorf("duration %s", d)
	}
}

func TestSetupRunOfEdges(t *testing.T) {
	if _, ok := SetupRunOf(&parse.Event{Kind: "", Message: "a record"}); ok {
		t.Error("a plain record read as a run")
	}
	e := &parse.Event{Kind: "setup-run", Node: "node1.contoso.com", TimeQuality: parse.TimeNone}
	if _, ok := SetupRunOf(e); ok {
		t.Error("a summary without its fact read as a run")
	}
	e.AddFact(&pfacts.SetupRun{Outcome: pfacts.Incomplete, End: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), TimeQuality: parse.TimeNone})
	r, ok := SetupRunOf(e)
	if !ok || r.Node != "NODE1" || r.Result != RunIncomplete || !r.Start.IsZero() || !r.End.IsZero() || r.CMS != "" || r.Duration() != 0 {
		t.Errorf("untimed run %+v", r)
	}
	if !IsClusteredServerMode("UpgradeCMS") || IsClusteredServerMode("Upgrade") {
		t.Error("clustered-server modes")
	}
}
