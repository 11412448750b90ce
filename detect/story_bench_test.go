package detect

import (
	"fmt"
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
	pfacts "github.com/exlog/exlog/parse/facts"
)

// BenchmarkStory measures the story over a large bundle's selected events:
// four nodes, each with 25,000 Exchange service records of the System log,
// 2,500 group state lines and a boot an hour, and one setup run per node.
//
//	go test ./detect -run '^$' -bench BenchmarkStory -benchmem
func BenchmarkStory(b *testing.B) {
	start := time.Date(2008, 3, 8, 0, 0, 0, 0, time.UTC)
	var evs []*parse.Event
	for n := range 4 {
		node := fmt.Sprintf("NODE%d", n+1)
		for i := range 25000 {
			evs = append(evs, &parse.Event{Source: parse.SourceEVTX, Provider: "Service Control Manager", EventID: 7036, Node: node,
				Time: start.Add(time.Duration(i) * 10 * time.Second), TimeQuality: parse.TimeUTC,
				Fields: map[string]string{"data.param1": "Microsoft Exchange Information Store", "data.param2": "running"}})
		}
		for i := range 2500 {
			e := &parse.Event{Source: parse.SourceClusterLog, Node: node, Time: start.Add(time.Duration(i) * 100 * time.Second),
				TimeQuality: parse.TimeUTC, Fields: map[string]string{parse.KeyAction: "group-state"}}
			e.AddFact(pfacts.StateChange{Object: pfacts.ObjGroup, Name: "EVS1", To: "Online"})
			evs = append(evs, e)
		}
		for h := range 70 {
			evs = append(evs, &parse.Event{Source: parse.SourceEVTX, Provider: "EventLog", EventID: 6005, Node: node,
				Time: start.Add(time.Duration(h) * time.Hour), TimeQuality: parse.TimeUTC})
		}
	}
	SortEvents(evs)
	f := DeriveFacts(nil)
	f.Cluster.Nodes = []string{"NODE1", "NODE2", "NODE3", "NODE4"}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		buildStories(evs, f)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
}
