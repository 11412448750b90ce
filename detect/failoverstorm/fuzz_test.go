package failoverstorm

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/detect/detecttest"
	"github.com/exlog/exlog/detect/error5018"
	"github.com/exlog/exlog/parse"
)

// FuzzDetectors feeds the owner timeline, failover-storm and error-5018
// arbitrary cluster events: one per line, "action|group|from|to|node|minute
// |key=value,...". Whatever the fields hold, the run must not fail (a
// detector panic comes back as an error from Engine.Run).
func FuzzDetectors(f *testing.F) {
	f.Add("group-move|G|NODE1|NODE2|NODE2|0|move_type=NodeDown,failover_count=1\n" +
		"group-move|G|NODE2|NODE1|NODE1|5|move_type=NodeDown,failover_count=2\n" +
		"not-failing-over|G|||NODE1|9|failover_count=2,computed_threshold=2\n")
	f.Add("online-failed||||NODE2|0|resource=Exchange System Attendant - (EVS2),status=5018\n" +
		"group-move|EVS2|NODE3|NODE2|NODE2|-1|\nresource-failed|EVS1|||NODE2|-30|resource=SA (EVS1)\n")
	f.Add("node-removed||||NODE1|0|node_name=NODE2\nnode-removed||||NODE1|1|target_node=NODE2\nquorum-lost||||NODE1|2|\n" +
		"quorum-lost||||NODE3|2|\nresource-state||||NODE1|3|resource=X,new_state=Failed\n")
	f.Add("failover-attempt|G|A|A|A|0|\nrole-moved|G||B|B|0|\ngroup-state|G|||B|-5|new_state=Failed\n|||||x|value_name=FailoverThreshold,value=0\n")
	base := time.Date(2021, 3, 9, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in string) {
		var evs []*parse.Event
		for i, l := range strings.Split(in, "\n") {
			if i >= 200 {
				break
			}
			p := strings.SplitN(l, "|", 7)
			for len(p) < 7 {
				p = append(p, "")
			}
			e := &parse.Event{File: "f.log", Line: i + 1, Node: p[4], Source: parse.SourceClusterLog, Message: l}
			if m, err := strconv.Atoi(p[5]); err == nil && m > -1e6 && m < 1e6 {
				e.Time = base.Add(time.Duration(m) * time.Minute)
				e.TimeQuality = parse.TimeUTC
			} else {
				e.Source = parse.SourceRegistry
			}
			if i%3 == 0 {
				e.Provider = "ClusSvc"
			} else {
				e.Provider = "FailoverClustering"
			}
			e.SetField("action", p[0])
			e.SetField("group", p[1])
			e.SetField("from_node", p[2])
			e.SetField("to_node", p[3])
			for _, kv := range strings.Split(p[6], ",") {
				if k, v, ok := strings.Cut(kv, "="); ok {
					e.SetField(k, v)
				}
			}
			evs = append(evs, e)
		}
		detecttest.Detect(t, evs, Detector, error5018.Detector)
	})
}

// BenchmarkDetectors runs the owner timeline, failover-storm and
// error-5018 over 100,000 cluster events: moves, resource failures and
// state lines of 50 groups on four nodes over a week.
func BenchmarkDetectors(b *testing.B) {
	base := time.Date(2021, 3, 9, 0, 0, 0, 0, time.UTC)
	nodes := []string{"NODE1", "NODE2", "NODE3", "NODE4"}
	var evs []*parse.Event
	for i := 0; i < 100000; i++ {
		g := "G" + strconv.Itoa(i%50)
		e := &parse.Event{File: "n.log", Line: i + 1, Node: nodes[i%4], Source: parse.SourceClusterLog, Provider: "FailoverClustering",
			Time: base.Add(time.Duration(i) * 6 * time.Second), TimeQuality: parse.TimeUTC, Message: "line"}
		switch i % 5 {
		case 0:
			e.SetField("action", "group-move")
			e.SetField("group", g)
			e.SetField("from_node", nodes[(i+1)%4])
			e.SetField("to_node", nodes[i%4])
			e.SetField("move_type", []string{"Manual", "NodeDown"}[i/5%2])
			e.SetField("failover_count", "1")
		case 1:
			e.SetField("action", "resource-failed")
			e.SetField("group", g)
			e.SetField("resource", "R"+strconv.Itoa(i%200))
		case 2:
			e.SetField("action", "group-state")
			e.SetField("group", g)
			e.SetField("new_state", "Online")
		default:
			e.SetField("action", "resource-state")
			e.SetField("resource", "R"+strconv.Itoa(i%200))
			e.SetField("new_state", "Online")
		}
		evs = append(evs, e)
	}
	b.ResetTimer()
	for range b.N {
		detecttest.Detect(b, evs, Detector, error5018.Detector)
	}
}
