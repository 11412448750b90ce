package failoverstorm

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/detecttest"
	"github.com/exlog/exlog/parse"
)

var base = time.Date(2021, 3, 9, 10, 0, 0, 0, time.UTC)

// ev builds an event at base+min minutes; fields alternate key, value.
// provider decides the cluster generation (ClusSvc: 2003).
func ev(provider, node string, min float64, fields ...string) *parse.Event {
	e := &parse.Event{Node: node, Source: parse.SourceClusterLog, Provider: provider,
		Time: base.Add(time.Duration(min * float64(time.Minute))), TimeQuality: parse.TimeUTC}
	for i := 0; i+1 < len(fields); i += 2 {
		e.SetField(fields[i], fields[i+1])
	}
	e.Message = fmt.Sprint(e.Fields)
	return e
}

const (
	w2003 = "ClusSvc"
	w2016 = "FailoverClustering"
)

// rcm is a 2008+ RCM move line.
func rcm(node string, min float64, group, from, to, moveType string, count int) *parse.Event {
	return ev(w2016, node, min, "action", "group-move", "group", group, "from_node", from, "to_node", to,
		"move_type", moveType, "failover_count", fmt.Sprint(count))
}

// fm is a 2003 [FM] failover line.
func fm(node string, min float64, group, from, to string) *parse.Event {
	return ev(w2003, node, min, "action", "group-move", "component", "FM", "group", group, "from_node", from, "to_node", to, "move_type", "Failover")
}

func nodesUp(provider string, names ...string) []*parse.Event {
	var out []*parse.Event
	for _, n := range names {
		out = append(out, ev(provider, n, -300, "action", "resource-failed", "resource", "Witness "+n, "group", "Available Storage"))
	}
	return out
}

func runDetector(t *testing.T, evs ...*parse.Event) []detect.Finding {
	for i, e := range evs {
		if e.File == "" {
			e.File = "t.log"
			e.Line = i + 1
		}
	}
	return detecttest.Detect(t, evs, Detector)
}

func summary(fs []detect.Finding) string {
	var s []string
	for _, f := range fs {
		s = append(s, f.Severity.String()+" "+f.Cause+" "+strings.Join(f.Groups, ","))
	}
	return strings.Join(s, "; ")
}

func TestRules(t *testing.T) {
	three := nodesUp(w2016, "NODE1", "NODE2", "NODE3")
	two2003 := nodesUp(w2003, "NODE1", "NODE2")
	cases := []struct {
		name string
		evs  []*parse.Event
		want string // summary() of the findings
		// check, when set, inspects the single finding's details.
		details map[string]string
	}{
		{"manual moves never count", append(nodesUp(w2016, "NODE1", "NODE2"),
			rcm("NODE1", 0, "CMS1", "NODE1", "NODE2", "Manual", 0),
			rcm("NODE2", 5, "CMS1", "NODE2", "NODE1", "Manual", 0),
			rcm("NODE1", 10, "CMS1", "NODE1", "NODE2", "Manual", 0),
			rcm("NODE2", 15, "CMS1", "NODE2", "NODE1", "Manual", 0)),
			"", nil},
		{"2003 administrator moves never count", append(two2003,
			ev(w2003, "NODE1", 0, "action", "group-move", "group", "EVS1", "from_node", "NODE1", "to_node", "NODE2"),
			ev(w2003, "NODE1", 1, "action", "group-move", "group", "EVS1", "from_node", "NODE2", "to_node", "NODE1")),
			"", nil},
		{"one NodeDown failover on three nodes", append(three,
			rcm("NODE2", 0, "Cluster Group", "NODE1", "NODE2", "NodeDown", 1)),
			"", nil},
		{"two failovers reach nodes-1 on three nodes", append(three,
			rcm("NODE2", 0, "Cluster Group", "NODE1", "NODE2", "NodeDown", 1),
			rcm("NODE3", 100, "Cluster Group", "NODE2", "NODE3", "NodeDown", 2)),
			"error failover-burst Cluster Group", map[string]string{"failover_threshold": "2", "threshold_source": "default", "max_failovers_period": "2"}},
		{"ping-pong under 15 minutes on 2003", append(two2003,
			fm("NODE1", 0, "EVS1", "NODE1", "NODE2"),
			fm("NODE2", 7, "EVS1", "NODE2", "NODE1")),
			"warning ping-pong EVS1", map[string]string{"ping_pong": "NODE1 -> NODE2 -> NODE1", "failover_threshold": "10"}},
		{"slow return with the group online between is no ping-pong", append(two2003,
			fm("NODE1", 0, "EVS1", "NODE1", "NODE2"),
			ev(w2003, "NODE2", 1, "action", "group-state", "group", "EVS1", "new_state", "Online"),
			fm("NODE2", 40, "EVS1", "NODE2", "NODE1")),
			"", nil},
		{"three failovers in an hour on 2003", append(two2003,
			fm("NODE1", 0, "EVS1", "NODE1", "NODE2"),
			ev(w2003, "NODE2", 1, "action", "group-state", "group", "EVS1", "new_state", "Online"),
			fm("NODE2", 20, "EVS1", "NODE2", "NODE1"),
			ev(w2003, "NODE1", 21, "action", "group-state", "group", "EVS1", "new_state", "Online"),
			fm("NODE1", 50, "EVS1", "NODE1", "NODE2"),
			ev(w2003, "NODE2", 51, "action", "group-state", "group", "EVS1", "new_state", "Online")),
			"warning failover-burst EVS1", map[string]string{"max_failovers_60_min": "3"}},
		{"1254 alone", append(three,
			ev(w2016, "NODE2", 0, "action", "not-failing-over", "group", "Cluster Group", "event_id", "1254")),
			"error policy-exhausted Cluster Group", map[string]string{"policy_exhausted": "true"}},
		{"not failing over below the threshold is not exhaustion", append(three,
			ev(w2016, "NODE2", 0, "action", "not-failing-over", "group", "G", "failover_count", "1", "computed_threshold", "2")),
			"", nil},
		{"not failing over at the threshold", append(three,
			rcm("NODE2", 0, "G", "NODE1", "NODE2", "NodeDown", 1),
			ev(w2016, "NODE2", 5, "action", "not-failing-over", "group", "G", "failover_count", "2", "computed_threshold", "2")),
			"error policy-exhausted G", map[string]string{"failover_count": "2", "computed_threshold": "2", "threshold_source": "log"}},
		{"left failed after repeated failures", append(two2003,
			ev(w2003, "NODE1", 0, "action", "group-failed", "group", "EVS1"),
			ev(w2003, "NODE1", 30, "action", "group-failed", "group", "EVS1")),
			"error left-failed EVS1", map[string]string{"left_failed": "true"}},
		{"a failure that recovers is not left failed", append(two2003,
			ev(w2003, "NODE1", 0, "action", "group-failed", "group", "EVS1"),
			ev(w2003, "NODE1", 30, "action", "group-failed", "group", "EVS1"),
			ev(w2003, "NODE1", 31, "action", "group-state", "group", "EVS1", "new_state", "Online")),
			"", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := runDetector(t, c.evs...)
			if got := summary(fs); got != c.want {
				t.Fatalf("findings %q, want %q", got, c.want)
			}
			for k, v := range c.details {
				if fs[0].Details[k] != v {
					t.Errorf("details[%s] = %q, want %q (all: %v)", k, fs[0].Details[k], v, fs[0].Details)
				}
			}
		})
	}
}

// TestRegistryThreshold: a configured FailoverThreshold from the cluster
// hive replaces the default.
func TestRegistryThreshold(t *testing.T) {
	reg := func(name, value string) *parse.Event {
		e := &parse.Event{Source: parse.SourceRegistry, Node: "NODE1", File: "hive.reg", Line: 10, TimeQuality: parse.TimeNone}
		e.SetField("value_name", name)
		e.SetField("value", value)
		e.SetField("cluster_group", "EVS1")
		return e
	}
	evs := append(nodesUp(w2003, "NODE1", "NODE2"),
		fm("NODE1", 0, "EVS1", "NODE1", "NODE2"),
		ev(w2003, "NODE2", 1, "action", "group-state", "group", "EVS1", "new_state", "Online"),
		fm("NODE2", 100, "EVS1", "NODE2", "NODE1"),
		ev(w2003, "NODE1", 101, "action", "group-state", "group", "EVS1", "new_state", "Online"),
		fm("NODE1", 200, "EVS1", "NODE1", "NODE2"),
		ev(w2003, "NODE2", 201, "action", "group-state", "group", "EVS1", "new_state", "Online"),
	)
	if fs := runDetector(t, evs...); len(fs) != 0 {
		t.Fatalf("default threshold 10: want nothing, got %s", summary(fs))
	}
	fs := runDetector(t, append(evs, reg("FailoverThreshold", "3"), reg("FailoverPeriod", "4"))...)
	if summary(fs) != "error failover-burst EVS1" || fs[0].Details["threshold_source"] != "registry" || fs[0].Details["failover_period"] != "4 h" {
		t.Fatalf("got %s %v", summary(fs), fs)
	}
}

// TestOneFindingPerEpisode: failovers further apart than the failover
// period are separate storms; every line of one storm is its evidence.
func TestOneFindingPerEpisode(t *testing.T) {
	var evs []*parse.Event
	evs = append(evs, nodesUp(w2016, "NODE1", "NODE2", "NODE3")...)
	for i, at := range []float64{0, 5, 10, 600, 605, 610} {
		from, to := "NODE1", "NODE2"
		if i%2 == 1 {
			from, to = to, from
		}
		evs = append(evs, rcm(to, at, "G", from, to, "NodeDown", i%3+1))
		// The same move as operational 1153 and 1641: one move.
		evs = append(evs, ev(w2016, to, at+0.01, "action", "failover-attempt", "group", "G", "from_node", from, "to_node", to))
		evs = append(evs, ev(w2016, to, at+0.02, "action", "role-moved", "group", "G", "from_node", from, "to_node", to))
	}
	fs := runDetector(t, evs...)
	if len(fs) != 2 {
		t.Fatalf("got %d findings: %s", len(fs), summary(fs))
	}
	for _, f := range fs {
		if f.Details["failovers"] != "3" || len(f.Evidence) != 9 || strings.Count(f.Details["ping_pong"], " -> ") != 3 {
			t.Errorf("finding %s: failovers %s, %d evidence, ping-pong %q", f.Start, f.Details["failovers"], len(f.Evidence), f.Details["ping_pong"])
		}
	}
}

func TestRestartStorms(t *testing.T) {
	fail := func(provider, node string, min float64) *parse.Event {
		return ev(provider, node, min, "action", "resource-failed", "resource", "Exchange Information Store Instance - (EVS1)", "group", "EVS1")
	}
	cases := []struct {
		name string
		evs  []*parse.Event
		want string
	}{
		{"2008+: one failure restarts", []*parse.Event{fail(w2016, "NODE1", 0)}, ""},
		{"2008+: two failures in 15 min", []*parse.Event{fail(w2016, "NODE1", 0), fail(w2016, "NODE1", 10)}, "warning restart-storm EVS1"},
		{"2008+: two failures on two nodes", []*parse.Event{fail(w2016, "NODE1", 0), fail(w2016, "NODE2", 10)}, ""},
		{"2003: three failures are within the policy", []*parse.Event{fail(w2003, "NODE1", 0), fail(w2003, "NODE1", 4), fail(w2003, "NODE1", 8)}, ""},
		{"2003: four failures", []*parse.Event{fail(w2003, "NODE1", 0), fail(w2003, "NODE1", 4), fail(w2003, "NODE1", 8), fail(w2003, "NODE1", 12)}, "warning restart-storm EVS1"},
		{"one failure reported twice", []*parse.Event{fail(w2016, "NODE1", 0), ev(w2016, "NODE1", 0.2, "action", "resource-state",
			"resource", "Exchange Information Store Instance - (EVS1)", "new_state", "Failed")}, ""},
		{"folded into the storm it caused", []*parse.Event{
			fail(w2016, "NODE1", 0), fail(w2016, "NODE1", 3),
			rcm("NODE2", 4, "EVS1", "NODE1", "NODE2", "Failover", 1),
			fail(w2016, "NODE2", 6), fail(w2016, "NODE2", 8),
			rcm("NODE1", 9, "EVS1", "NODE2", "NODE1", "Failover", 2)}, "error ping-pong EVS1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := runDetector(t, c.evs...)
			if got := summary(fs); got != c.want {
				t.Fatalf("findings %q, want %q", got, c.want)
			}
			if strings.Contains(c.name, "folded") && !strings.Contains(fs[0].Details["causes"], "failed 2 times on NODE1") {
				t.Errorf("causes %q", fs[0].Details["causes"])
			}
		})
	}
}

func TestFlappingAndQuorum(t *testing.T) {
	removed := func(reporter string, min float64, node string) *parse.Event {
		return ev(w2016, reporter, min, "action", "node-removed", "node_name", node)
	}
	lost := func(reporter string, min float64) *parse.Event {
		return ev(w2016, reporter, min, "action", "quorum-lost")
	}
	var evs []*parse.Event
	for _, at := range []float64{0, 20, 45} {
		// Each removal is logged by both surviving nodes.
		evs = append(evs, removed("NODE1", at, "NODE2"), removed("NODE3", at+0.02, "NODE2"))
	}
	evs = append(evs, removed("NODE1", 300, "NODE3"), removed("NODE1", 320, "NODE3"))
	evs = append(evs, lost("NODE1", 100), lost("NODE3", 100.01), lost("NODE1", 130))
	evs = append(evs, lost("NODE1", 500))
	fs := runDetector(t, evs...)
	if got := summary(fs); got != "warning node-flapping ; warning quorum-loss " {
		t.Fatalf("findings %q", got)
	}
	if fs[0].Details["removals"] != "3" || len(fs[0].Evidence) != 6 || fs[0].Nodes[0] != "NODE2" {
		t.Errorf("flapping %v %d %v", fs[0].Details, len(fs[0].Evidence), fs[0].Nodes)
	}
	if fs[1].Details["losses"] != "2" || strings.Join(fs[1].Nodes, ",") != "NODE1,NODE3" {
		t.Errorf("quorum %v %v", fs[1].Details, fs[1].Nodes)
	}
}

// TestCases runs the testdata bundles against their .want files.
func TestCases(t *testing.T) { detecttest.Run(t, Detector, "testdata") }
