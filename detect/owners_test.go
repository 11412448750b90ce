package detect

import (
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
)

// oev builds an event at minute min of a fixed day; fields alternate key,
// value.
func oev(file string, line int, node, provider string, min float64, fields ...string) *parse.Event {
	e := &parse.Event{File: file, Line: line, Node: node, Provider: provider, Source: parse.SourceClusterLog,
		Time:        time.Date(2021, 3, 9, 10, 0, 0, 0, time.UTC).Add(time.Duration(min * float64(time.Minute))),
		TimeQuality: parse.TimeUTC, Message: file}
	for i := 0; i+1 < len(fields); i += 2 {
		e.SetField(fields[i], fields[i+1])
	}
	return e
}

func derive(evs ...*parse.Event) *Facts {
	SortEvents(evs)
	return DeriveFacts(evs)
}

func TestOwnerTimelineMergesReports(t *testing.T) {
	f := derive(
		// One NodeDown failover seen as an RCM line, 1153 and 1641.
		oev("n2.log", 10, "NODE2", "FailoverClustering", 0, "action", "group-move", "group", "Cluster Group",
			"from_node", "NODE1", "to_node", "NODE2", "move_type", "NodeDown", "failover_count", "1"),
		oev("op.evtx", 0, "NODE2", "Microsoft-Windows-FailoverClustering", 0.01, "action", "failover-attempt", "group", "Cluster Group",
			"from_node", "NODE1", "to_node", "NODE2", "move_type", "Failover"),
		oev("op2.evtx", 0, "NODE2", "Microsoft-Windows-FailoverClustering", 0.02, "action", "role-moved", "group", "cluster group",
			"from_node", "NODE1", "to_node", "NODE2"),
		// A 1641 alone, with no other report: kind unknown.
		oev("op3.evtx", 0, "NODE1", "Microsoft-Windows-FailoverClustering", 30, "action", "role-moved", "group", "Cluster Group",
			"from_node", "NODE2", "to_node", "NODE1"),
		// A 1641 right after its source node was removed: unplanned.
		oev("sys.evtx", 0, "NODE1", "Microsoft-Windows-FailoverClustering", 59, "action", "node-removed", "target_node", "NODE1.contoso.com"),
		oev("sys3.evtx", 0, "NODE3", "Microsoft-Windows-FailoverClustering", 59.01, "action", "node-removed", "node_name", "NODE1"),
		oev("op4.evtx", 0, "NODE3", "Microsoft-Windows-FailoverClustering", 60, "action", "role-moved", "group", "Cluster Group",
			"from_node", "NODE1", "to_node", "NODE3"),
		// A manual RCM move.
		oev("n3.log", 20, "NODE3", "FailoverClustering", 90, "action", "group-move", "group", "Cluster Group",
			"from_node", "NODE3", "to_node", "NODE2", "move_type", "Manual", "failover_count", "0"),
	)
	list := f.Owners["Cluster Group"]
	if len(list) != 4 {
		t.Fatalf("got %d owner changes: %+v", len(list), list)
	}
	want := []struct {
		to, kind string
		sources  int
		count    int
	}{{"NODE2", MoveUnplanned, 3, 1}, {"NODE1", MoveUnknown, 1, -1}, {"NODE3", MoveUnplanned, 1, -1}, {"NODE2", MovePlanned, 1, 0}}
	for i, w := range want {
		oc := list[i]
		if oc.To != w.to || oc.Kind != w.kind || len(oc.Sources) != w.sources || oc.FailoverCount != w.count {
			t.Errorf("change %d: to %s kind %s (%s) sources %v count %d; want %+v", i, oc.To, oc.Kind, oc.Why, oc.Sources, oc.FailoverCount, w)
		}
	}
	if list[0].MoveType != "NodeDown" || len(list[0].AllEvidence()) != 3 {
		t.Errorf("merged move: %+v", list[0])
	}
	if len(f.Cluster.Removals) != 1 || strings.Join(f.Cluster.Removals[0].Reporters, ",") != "NODE1,NODE3" {
		t.Errorf("removals %+v", f.Cluster.Removals)
	}
	if got := strings.Join(f.Cluster.Nodes, ","); got != "NODE1,NODE2,NODE3" {
		t.Errorf("nodes %s", got)
	}
	// 2008+ default: nodes - 1 in 6 h.
	if p := f.Cluster.FailoverPolicy("Cluster Group"); p.Threshold != 2 || p.Period != 6*time.Hour || p.Source != "default" {
		t.Errorf("policy %+v", p)
	}
	if p := f.Cluster.RestartPolicy("Cluster Name"); p.Threshold != 1 || p.Period != 900*time.Second {
		t.Errorf("restart policy %+v", p)
	}
}

func TestOwnerAtObservationsAndHosting(t *testing.T) {
	reg := func(name, value, group, res, typ string) *parse.Event {
		e := &parse.Event{Source: parse.SourceRegistry, Node: "NODE1", File: "hive.reg", Line: 5, TimeQuality: parse.TimeNone}
		for k, v := range map[string]string{"value_name": name, "value": value, "cluster_group": group, "cluster_resource": res, "cluster_resource_type": typ} {
			e.SetField(k, v)
		}
		return e
	}
	f := derive(
		oev("n1.log", 1, "NODE1", "ClusSvc", 0, "action", "group-move", "component", "FM", "group", "EVS1",
			"from_node", "NODE2", "to_node", "NODE1", "move_type", "Failover"),
		// An admin move in 2003 wording.
		func() *parse.Event {
			e := oev("n3.log", 2, "NODE3", "ClusSvc", 5, "action", "group-move", "component", "FM", "group", "EVS2",
				"from_node", "NODE3", "to_node", "NODE1", "reason", "administrator request")
			e.Message = "[FM] Move of group 'EVS2' from node NODE3 to node NODE1 requested by an administrator."
			return e
		}(),
		// 1069 on NODE4 about EVS3's store: EVS3 is on NODE4.
		oev("sys.evt", 0, "NODE4", "ClusSvc", 7, "action", "resource-failed", "resource", "Exchange Information Store Instance - (EVS3)", "group", "EVS3"),
		// An online failure naming only the resource: placed through the
		// cluster hive's resource-to-group map.
		oev("n2.log", 9, "NODE2", "ClusSvc", 8, "action", "online-failed", "resource", "Disk R:"),
		reg("Type", "Physical Disk", "Disks", "Disk R:", "Physical Disk"),
		reg("Type", "Microsoft Exchange System Attendant", "EVS2", "Exchange System Attendant - (EVS2)", "Microsoft Exchange System Attendant"),
		reg("FailoverThreshold", "4", "EVS2", "", ""),
		reg("FailoverPeriod", "2", "EVS2", "", ""),
	)
	at := time.Date(2021, 3, 9, 10, 10, 0, 0, time.UTC)
	if oc := f.Owners["EVS2"][0]; oc.Kind != MovePlanned || oc.Why != "moved by an administrator" {
		t.Errorf("2003 admin move: %+v", oc)
	}
	for g, want := range map[string]string{"EVS1": "NODE1", "evs2": "NODE1", "EVS3": "NODE4", "Disks": "NODE2", "EVS9": ""} {
		if got := f.OwnerAt(g, at); got != want {
			t.Errorf("OwnerAt(%s) = %q, want %q", g, got, want)
		}
	}
	if got := strings.Join(f.Hosting("node1.contoso.com", at), ","); got != "EVS1,EVS2" {
		t.Errorf("Hosting(NODE1) = %s", got)
	}
	if got := f.OwnerAt("EVS2", at.Add(-6*time.Minute)); got != "" {
		t.Errorf("EVS2 before its move: %q", got)
	}
	if !f.Cluster.IsExchangeGroup("EVS2") || !f.Cluster.IsExchangeGroup("EVS3") || f.Cluster.IsExchangeGroup("Disks") {
		t.Error("Exchange groups")
	}
	if g := f.Cluster.GroupOf("Exchange Information Store Instance - (EVS1)"); g != "EVS1" {
		t.Errorf("GroupOf by the EVS suffix = %q", g)
	}
	// 2003 default, then the hive's configured values.
	if p := f.Cluster.FailoverPolicy("EVS1"); p.Threshold != 10 || p.Period != 6*time.Hour {
		t.Errorf("EVS1 policy %+v", p)
	}
	if p := f.Cluster.FailoverPolicy("EVS2"); p.Threshold != 4 || p.Period != 2*time.Hour || p.Source != "registry" || len(p.Evidence) != 2 {
		t.Errorf("EVS2 policy %+v", p)
	}
	if p := f.Cluster.RestartPolicy("Disk R:"); p.Threshold != 3 {
		t.Errorf("2003 restart policy %+v", p)
	}
}
