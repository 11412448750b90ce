package all_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/all"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/bundle"
	"github.com/exlog/exlog/parse/formats"
)

func TestStoryDump(t *testing.T) {
	name := os.Getenv("STORY")
	if name == "" {
		t.Skip()
	}
	eng := detect.NewEngine(all.Detectors())
	bundle.Parse(context.Background(), []string{filepath.Join(fixtures.Dir(), "scenarios", name)}, formats.All(), bundle.Options{}, func(e *parse.Event) error {
		eng.Add(e)
		return nil
	})
	res, _ := eng.Run(context.Background())
	for _, s := range res.Facts.Stories {
		t.Logf("story %s %s %s -> %s servers=%v", s.Cluster, s.Generation, s.From, s.To, s.Servers)
		for _, st := range s.Steps {
			t.Logf("  %s %-16s %-6s %s %v", st.Time.Format("15:04:05"), st.Kind, st.Node, st.Text, st.Departures)
		}
		for _, d := range s.Departures {
			b, _ := json.Marshal(d)
			t.Logf("  DEP %s", b)
		}
		for _, n := range s.NotEvidenced {
			t.Logf("  NE %s", n)
		}
	}
	for _, f := range res.Findings {
		t.Logf("F %s %s %s %s", f.Severity, f.Detector, f.Cause, f.Summary)
	}
}
