package pipeline

import (
	"maps"
	"math"
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
)

func TestCheckImpossibleTimes(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	c := Checker{Latest: now.Add(24 * time.Hour)}
	for _, tc := range []struct {
		name string
		in   time.Time
		q    parse.TimeQuality
		want parse.TimeQuality
	}{
		{"year 9999 plus an offset", time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC).Add(5 * time.Hour), parse.TimeUTC, parse.TimeInvalid},
		{"FILETIME of all ones", time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(math.MaxInt64)), parse.TimeUTC, parse.TimeInvalid},
		{"year 30828", time.Date(30828, 9, 14, 2, 48, 5, 0, time.UTC), parse.TimeUTC, parse.TimeInvalid},
		{"zeroed clock", time.Date(1970, 1, 1, 0, 0, 1, 0, time.UTC), parse.TimeLocalUnknownOffset, parse.TimeInvalid},
		{"DOS epoch of a zip", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), parse.TimeOfDayOnly, parse.TimeInvalid},
		{"tomorrow is still believed", now.Add(20 * time.Hour), parse.TimeUTC, parse.TimeUTC},
		{"next week is not", now.Add(7 * 24 * time.Hour), parse.TimeUTC, parse.TimeInvalid},
		{"an ordinary time", time.Date(2006, 11, 14, 11, 42, 17, 0, time.UTC), parse.TimeLocalKnownOffset, parse.TimeLocalKnownOffset},
		{"no time", time.Time{}, parse.TimeUTC, parse.TimeNone},
	} {
		e := &parse.Event{Time: tc.in, TimeQuality: tc.q}
		c.Check(e)
		if e.TimeQuality != tc.want {
			t.Errorf("%s: quality %s, want %s", tc.name, e.TimeQuality, tc.want)
		}
		if tc.want == parse.TimeInvalid {
			if !e.Time.IsZero() || e.Field(parse.KeyTimeRaw) == "" {
				t.Errorf("%s: time %v, raw %q: an invalid time is zeroed and kept as written", tc.name, e.Time, e.Field(parse.KeyTimeRaw))
			}
			if _, err := e.Time.MarshalJSON(); err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
	}
}

func rep(path, node, from string) *parse.Report {
	return &parse.Report{Path: path, Node: node, NodeFrom: from}
}

func TestNodesFromSiblings(t *testing.T) {
	got := Nodes([]*parse.Report{
		rep("files 2/System.evt", "NODE2", parse.NodeFromContent),
		rep("files 2/Application.evt", "NODE2", parse.NodeFromContent),
		rep("files 2/ExchangeSetupLogs.zip!/Exchange Server Setup Progress.log", "", ""),
		rep("mixed/a.evtx", "NODE1", parse.NodeFromContent),
		rep("mixed/b.evtx", "NODE3", parse.NodeFromContent),
		rep("mixed/setup.log", "", ""),
		rep("NODE4/cluster.log", "NODE4", parse.NodeFromLayout),
		rep("logs/NODEA/cluster.log", "NODEA", parse.NodeFromContent),
		rep("logs/NODEB/cluster.log", "NODEB", parse.NodeFromLayout),
		rep("logs/NODEC/setup.log", "", ""),
		rep("case.zip!/NODEC.zip!/Application.evtx", "NODEC", parse.NodeFromContent),
		rep("case.zip!/NODEC.zip!/ExchangeSetupLogs/ExchangeSetup.log", "", ""),
		rep("NODE5/x.log", "NODE5", parse.NodeFromLayout),
		rep("NODE5/System.evtx", "EX5", parse.NodeFromContent),
	})
	for path, want := range map[string]FileNode{
		"files 2/ExchangeSetupLogs.zip!/Exchange Server Setup Progress.log": {"NODE2", parse.NodeFromSiblings},
		"NODE4/cluster.log":  {"NODE4", parse.NodeFromLayout},
		"NODE5/x.log":        {"NODE5", parse.NodeFromLayout}, // the folder places it; siblings only fill gaps
		"files 2/System.evt": {"NODE2", parse.NodeFromContent},
	} {
		if got[path] != want {
			t.Errorf("%s: %+v, want %+v", path, got[path], want)
		}
	}
	if got["logs/NODEB/cluster.log"] != (FileNode{"NODEB", parse.NodeFromLayout}) {
		t.Errorf("logs/NODEB/cluster.log: %+v; a sibling folder's computer must not leak in", got["logs/NODEB/cluster.log"])
	}
	if fn, ok := got["logs/NODEC/setup.log"]; ok {
		t.Errorf("logs/NODEC/setup.log: %+v; logs/ holds two nodes' files and settles nothing", fn)
	}
	if got["case.zip!/NODEC.zip!/ExchangeSetupLogs/ExchangeSetup.log"] != (FileNode{"NODEC", parse.NodeFromSiblings}) {
		t.Errorf("a setup log in a subfolder of a server's zip: %+v", got["case.zip!/NODEC.zip!/ExchangeSetupLogs/ExchangeSetup.log"])
	}
	if fn, ok := got["mixed/setup.log"]; ok {
		t.Errorf("mixed/setup.log: %+v; two computers in the folder settle nothing", fn)
	}
}

func events(file string, lines ...string) []*parse.Event {
	var out []*parse.Event
	for i, l := range lines {
		out = append(out, &parse.Event{File: file, Source: parse.SourceSetupLog, Line: i + 1, Message: l})
	}
	return out
}

func TestCopies(t *testing.T) {
	var c Copies
	add := func(evs []*parse.Event) {
		for _, e := range evs {
			c.Add(e)
		}
	}
	add(events("NODE1/ExchangeSetup.log.bak", "a", "b", "c"))
	add(events("NODE1/ExchangeSetup.log", "a", "b", "c"))
	add(events("case.zip!/NODE1/ExchangeSetup.log", "a", "b")) // collected earlier: a prefix
	add(events("NODE2/ExchangeSetup.log", "a", "b", "c", "d")) // another server's own log
	add(append(events("NODE3/ExchangeSetup.log", "a", "x"), &parse.Event{File: "NODE3/ExchangeSetup.log", Kind: parse.KindSetupRun}))
	got := c.Duplicates()
	want := map[string]string{
		"NODE1/ExchangeSetup.log.bak":       "NODE2/ExchangeSetup.log",
		"NODE1/ExchangeSetup.log":           "NODE2/ExchangeSetup.log",
		"case.zip!/NODE1/ExchangeSetup.log": "NODE2/ExchangeSetup.log",
	}
	// Without node names from the content the four NODE1/NODE2 logs are
	// the same records; with them they are not.
	if !maps.Equal(got, want) {
		t.Fatalf("duplicates %v, want %v", got, want)
	}
	var d Copies
	for _, e := range events("NODE1/ExchangeSetup.log.bak", "a", "b", "c") {
		e.Node, e.NodeFrom = "NODE1", parse.NodeFromContent
		d.Add(e)
	}
	for _, e := range events("NODE1/ExchangeSetup.log", "a", "b", "c") {
		e.Node, e.NodeFrom = "NODE1", parse.NodeFromContent
		d.Add(e)
	}
	for _, e := range events("NODE2/ExchangeSetup.log", "a", "b", "c") {
		e.Node, e.NodeFrom = "NODE2", parse.NodeFromContent
		d.Add(e)
	}
	got = d.Duplicates()
	if len(got) != 1 || got["NODE1/ExchangeSetup.log.bak"] != "NODE1/ExchangeSetup.log" {
		t.Errorf("duplicates %v: only the .bak copy of NODE1's log copies another", got)
	}
}
