package detect

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
	pfacts "github.com/exlog/exlog/parse/facts"
)

func ev(file string, line int, t string, fields map[string]string) *parse.Event {
	e := &parse.Event{File: file, Line: line, Node: "node1.contoso.com", Source: parse.SourceClusterLog, Message: file, Fields: fields}
	if t != "" {
		e.Time, _ = time.Parse(time.RFC3339, t)
		e.TimeQuality = parse.TimeUTC
	}
	return e
}

func TestEngineRunsDetectorsInTimeOrder(t *testing.T) {
	var seen []string
	order := &Detector{ID: "order", Run: func(p *Pass) error {
		for _, e := range p.Events {
			seen = append(seen, e.File)
		}
		p.Report(Finding{Severity: Warning, Nodes: []string{"node2.x.com", "NODE2", ""}, Summary: "w"})
		return nil
	}}
	boom := &Detector{ID: "boom", Run: func(p *Pass) error { panic("bad") }}
	crit := &Detector{ID: "crit", Select: func(e *parse.Event) bool { return e.File == "b" }, Run: func(p *Pass) error {
		if len(p.Events) != 1 {
			t.Errorf("crit saw %d events, want 1", len(p.Events))
		}
		p.Report(Finding{Severity: Critical, Summary: "c", Evidence: []Evidence{EvidenceOf(p.Events[0])}})
		return nil
	}}
	eng := NewEngine([]*Detector{order, boom, crit})
	eng.Add(ev("c", 1, "", nil))
	eng.Add(ev("b", 1, "2024-01-02T00:00:00Z", nil))
	eng.Add(ev("a", 1, "2024-01-01T00:00:00Z", nil))
	res, err := eng.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "boom crashed") {
		t.Fatalf("want the panic reported as an error, got %v", err)
	}
	if strings.Join(seen, "") != "abc" {
		t.Fatalf("events not in time order: %v", seen)
	}
	if len(res.Findings) != 2 || res.Findings[0].Detector != "crit" || res.Findings[1].Nodes[0] != "NODE2" || len(res.Findings[1].Nodes) != 1 {
		t.Fatalf("findings: %+v", res.Findings)
	}
	if Highest(res.Findings) != Critical {
		t.Fatal("highest severity")
	}
	b, _ := json.Marshal(res.Findings[0])
	for _, want := range []string{`"detector":"crit"`, `"severity":"critical"`, `"file":"b"`, `"line":1`, `"time":"2024-01-02T00:00:00Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("finding JSON %s lacks %s", b, want)
		}
	}
}

func TestFactsBuildsAndOwners(t *testing.T) {
	run := ev("setup.log", 10, "2024-03-01T10:00:00Z", nil)
	run.Kind = "setup-run"
	run.AddFact(&pfacts.BuildClaim{Build: "8.0.685.24", Kind: pfacts.ClaimPrevious, Time: run.Time, Mode: "Upgrade"})
	run.AddFact(&pfacts.BuildClaim{Build: "08.01.0240.006", Kind: pfacts.ClaimSetupSucceeded, Time: run.Time.Add(30 * time.Minute), Mode: "Upgrade"})
	move := ev("cluster.log", 5, "2024-03-01T11:00:00Z", map[string]string{"action": "group-move", "group": "CMS1", "from_node": "NODE1", "to_node": "node2.contoso.com", "move_type": "Manual"})
	evs := []*parse.Event{move, run}
	SortEvents(evs)
	f := DeriveFacts(evs)
	n := f.Node("NODE1")
	if n == nil || len(n.Builds) != 2 {
		t.Fatalf("node facts: %+v", f.Nodes)
	}
	cur, ok := n.Current()
	if !ok || cur.Build != "8.1.240.6" || cur.Release != "Exchange 2007 SP1" || cur.Kind != "setup-succeeded" {
		t.Fatalf("current build: %+v", cur)
	}
	if got := f.OwnerAt("CMS1", move.Time.Add(time.Minute)); got != "NODE2" {
		t.Fatalf("owner = %q", got)
	}
	if got := f.OwnerAt("CMS1", move.Time.Add(-time.Minute)); got != "" {
		t.Fatalf("owner before the move = %q", got)
	}
	if !f.Start.Equal(run.Time) || !f.End.Equal(move.Time) {
		t.Fatalf("span %v..%v", f.Start, f.End)
	}
}

func TestParseSeverity(t *testing.T) {
	if s, err := ParseSeverity("Error"); err != nil || s != Error {
		t.Fatal(s, err)
	}
	if _, err := ParseSeverity("fatal"); err == nil {
		t.Fatal("want error")
	}
}

func TestWhen(t *testing.T) {
	at := time.Date(2007, 6, 12, 9, 6, 41, 0, time.UTC)
	for q, want := range map[parse.TimeQuality]string{
		parse.TimeUTC:                "2007-06-12 09:06:41 UTC",
		parse.TimeOfDayOnly:          "09:06:41, date unknown",
		parse.TimeLocalUnknownOffset: "2007-06-12 09:06:41 local time (offset unknown)",
	} {
		if got := When(at, q); got != want {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
	if got := When(time.Time{}, parse.TimeNone); got != "at an unknown time" {
		t.Errorf("no time: %q", got)
	}
}
