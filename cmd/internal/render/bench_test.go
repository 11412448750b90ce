package render

import (
	"fmt"
	"testing"
	"time"

	"github.com/exlog/exlog/cmd/internal/triage"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// BenchmarkCollectorAdd measures the cost triage pays per event for the
// report's time tally.
func BenchmarkCollectorAdd(b *testing.B) {
	evs := make([]*parse.Event, 64)
	for i := range evs {
		evs[i] = &parse.Event{Time: time.Date(2024, 3, 1, 10, 0, i, 0, time.UTC), TimeQuality: parse.TimeUTC,
			Node: "NODE1", Source: parse.SourceEVTX, File: fmt.Sprintf("NODE1/System%d.evtx", i%8), Record: uint64(i)}
	}
	c := triage.NewCollector()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Add(evs[i%len(evs)])
	}
}

// bigTriage is a long failover storm on an eight-node cluster: the
// timeline at its cap, many findings and files.
func bigTriage() *triage.Result {
	t := &triage.Result{Bundle: "big", Cluster: &triage.ClusterSummary{Kind: "failover cluster", Groups: []triage.GroupSummary{}}}
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for n := 1; n <= 8; n++ {
		name := fmt.Sprintf("NODE%d", n)
		t.Cluster.Nodes = append(t.Cluster.Nodes, name)
		t.Nodes = append(t.Nodes, triage.NodeSummary{Name: name, Build: "15.1.2507.6", Events: map[string]int{"evtx": 1000}})
		for r := 0; r < 6; r++ {
			t.Timeline = append(t.Timeline, triage.Entry{Time: start.Add(time.Duration(n*6+r) * 20 * time.Minute),
				End: start.Add(time.Duration(n*6+r)*20*time.Minute + 15*time.Minute), Kind: triage.KindSetupRun, Node: name,
				Mode: "Upgrade", From: "15.1.2375.7", To: "15.1.2507.6", Result: detect.RunSucceeded,
				Summary: "Setup (Upgrade) from 15.1.2375.7 to 15.1.2507.6 succeeded", Where: name + "/ExchangeSetup.log:2"})
		}
	}
	for i := 0; i < triage.MaxMoves; i++ {
		t.Timeline = append(t.Timeline, triage.Entry{Time: start.Add(time.Duration(i) * 47 * time.Second), Kind: triage.KindFailover,
			Node: fmt.Sprintf("NODE%d", i%8+1), Group: "DAG1", Summary: "Group DAG1 failed over", Where: fmt.Sprintf("cluster.log:%d", i+1)})
	}
	for i := 0; i < 200; i++ {
		f := detect.Finding{Detector: "failover-storm", Severity: detect.Severity(i%4 + 1), Nodes: []string{"NODE1", "NODE2"},
			Start: start.Add(time.Duration(i) * 3 * time.Minute), Summary: fmt.Sprintf("storm %d", i),
			Explanation: "The group kept moving.", Remediation: "Find the first failure."}
		for j := 0; j < 5; j++ {
			f.Evidence = append(f.Evidence, detect.Evidence{File: "cluster.log", Line: i*5 + j + 1, Text: "move of group DAG1 from NODE1 to NODE2"})
		}
		t.Findings = append(t.Findings, f)
	}
	for i := 0; i < 500; i++ {
		t.Files = append(t.Files, &parse.Report{Path: fmt.Sprintf("NODE%d/file%d.evtx", i%8+1, i), Format: "evtx", Events: 100, Status: parse.StatusOK})
	}
	return t
}

// BenchmarkReport builds and renders the report of a large bundle in each
// format; the bytes written are the throughput.
func BenchmarkReport(b *testing.B) {
	t := bigTriage()
	for _, f := range []Format{Markdown, HTML, JSON} {
		b.Run(string(f), func(b *testing.B) {
			out, err := Render(New(t), f)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(out)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := Render(New(t), f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
