package eventlog

import (
	"testing"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

// TestClusterFacts: the catalogue's cluster and Exchange cluster events
// carry typed facts, and error 5018 and Exchange's mismatch text are
// found wherever an event puts them.
func TestClusterFacts(t *testing.T) {
	ev := func(r Record) *parse.Event { return ToEvent(&r, &parse.Input{Path: "x.evt"}, parse.SourceEVT) }

	e := ev(Record{Provider: "Microsoft-Windows-FailoverClustering", EventID: 1153, Inserts: ins("DAG1-CMS", "ex-node1", "ex-node2")})
	if m := facts.Of[facts.GroupMove](e); len(m) != 1 || m[0].Group != "DAG1-CMS" || m[0].To != "EX-NODE2" || m[0].Kind != facts.MoveUnplanned || m[0].Report != "event-1153" {
		t.Errorf("1153: %+v", m)
	}
	e = ev(Record{Provider: "ClusSvc", EventID: 1069, Inserts: ins("Exchange System Attendant - (EVS2)", "EVS2", "Microsoft Exchange System Attendant", "", "5018")})
	if f := facts.Of[facts.ResourceFailure](e); len(f) != 1 || f[0].Kind != facts.FailResource || f[0].Group != "EVS2" || f[0].Code != "5018" {
		t.Errorf("1069: %+v", f)
	}
	e = ev(Record{Provider: "Microsoft-Windows-FailoverClustering", EventID: 1254, Inserts: ins("EVS2")})
	if p := facts.Of[facts.FailoverPolicy](e); len(p) != 1 || !p[0].Exhausted || p[0].Group != "EVS2" {
		t.Errorf("1254: %+v", p)
	}
	e = ev(Record{Provider: "ClusSvc", EventID: 1135, Inserts: ins("NODE1")})
	if n := facts.Of[facts.NodeState](e); len(n) != 1 || n[0].Node != "NODE1" || n[0].State != facts.NodeRemoved {
		t.Errorf("1135: %+v", n)
	}
	// 5018 in an insert: named as a code, or bare in an Exchange
	// cluster event; not a bare number of another provider.
	for _, c := range []struct {
		r    Record
		want bool
	}{
		{Record{Provider: "MSExchangeCluster", EventID: 1003, Inserts: ins("Exchange System Attendant - (EVS2)", "5018")}, true},
		{Record{Provider: "Some Tool", EventID: 7, Inserts: []Insert{{"ErrorCode", "5018"}}}, true},
		{Record{Provider: "Some Tool", EventID: 7, Inserts: ins("Error ID: 5018 (0000139a) bringing the resource online")}, true},
		{Record{Provider: "ESE", EventID: 100, Inserts: ins("Information Store", "5018", "", "6", "05", "7638", "0000")}, false},
	} {
		e := ev(c.r)
		got := false
		for _, f := range facts.Of[facts.ResourceFailure](e) {
			got = got || facts.Is5018(f.Code)
		}
		if got != c.want {
			t.Errorf("%s %d %v: 5018 = %v, want %v", c.r.Provider, c.r.EventID, c.r.Inserts, got, c.want)
		}
	}
	// Exchange's version-mismatch text in an insert of an Exchange event.
	e = ev(Record{Provider: "MSExchangeCluster", EventID: 1005, Inserts: ins("Exchange System Attendant - (EVS1)",
		"Version of Exchange on this machine does not match the version of Exchange server NODE4.")})
	if m := facts.Of[facts.VersionMismatch](e); len(m) != 1 || m[0].Server != "NODE4" {
		t.Errorf("mismatch: %+v", m)
	}
}
