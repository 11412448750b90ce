package clusterlog

import (
	"path/filepath"
	"testing"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

// The shared corpus holds three analyst-copied slices of one real Windows
// Server 2016 cluster log set (see its SOURCES.md). Counts below were taken
// with grep -c on the files.
func TestCorpus(t *testing.T) {
	dir := fixtures.Corpus(t, "clusterlogs")
	cases := []struct {
		file     string
		events   int
		nonBlank int            // grep -c '[^[:space:]]'
		problems int            // text before the first header
		actions  map[string]int // grep -c of each action's wording
		checks   []check
	}{
		{
			file: "ws2016-ag1023-operational-moves.log", events: 31, nonBlank: 34,
			actions: map[string]int{"role-moved": 7, "failover-attempt": 1, "group-state": 8, "resource-state": 5},
			checks: []check{
				{3, "action", "failover-attempt"}, {3, "group", "ag1023"}, {3, "from_node", "ZE-2016-V1"},
				{3, "to_node", "ZE-2016-V2"}, {3, "EventID", "1153"}, {3, "orig_line", "411"},
				{3, "time", "2017-10-23T20:16:33.784Z"}, {3, "quality", "utc"}, {3, "channel", "Operational"},
				{3, "provider", ProviderModern}, {3, "node", "ZE-BUNDLE"},
				{4, "action", "role-moved"}, {4, "EventID", "1641"},
				// The role "moves" to the node it is already on after the quarantine.
				{40, "action", "role-moved"}, {40, "group", "ag1023"}, {40, "from_node", "ZE-2016-V1"}, {40, "to_node", "ZE-2016-V1"},
				{39, "group", "Cluster Group"}, {39, "to_node", "ZE-2016-V3"},
				{37, "action", "group-state"}, {37, "group", "ag1023"}, {37, "old_state", "Online"}, {37, "new_state", "Orphaned"},
				{22, "action", "resource-state"}, {22, "resource", "Cluster IP Address"}, {22, "group", "Cluster Group"},
				{22, "old_state", "Offline"}, {22, "new_state", "OnlineCallIssued"},
				{24, "resource", "Cluster IP Address 2001:4898:e0:388::"},
				{8, "action", "heartbeat-lost"}, {8, "missed_percent", "40"}, {8, "lines", "4"},
				{12, "action", "connection-lost"}, {12, "local_endpoint", "10.135.4.221:~3343~"},
				{12, "remote_endpoint", "10.135.4.222:~3343~"},
				{13, "action", "node-joined"}, {13, "cluster", "ze-2016group"},
				{43, "action", "group-online"}, {43, "EventID", "1201"},
			},
		},
		{
			file: "ws2016-ag1023-system-operational-a.log", events: 20, nonBlank: 31, problems: 1,
			actions: map[string]int{"node-removed": 5, "quorum-lost": 1, "node-quarantined": 2, "role-moved": 2, "failover-attempt": 1},
			checks: []check{
				{1, "no_header", "true"}, {1, "lines", "4"}, {1, "quality", "none"},
				{5, "action", "group-failed"}, {5, "group", "ag1023"}, {5, "EventID", "1205"}, {5, "level", "error"},
				{6, "action", "node-removed"}, {6, "node_name", "ZE-2016-V2"}, {6, "EventID", "1135"}, {6, "level", "debug"},
				{6, "channel", "System"}, {6, "time", "2017-10-23T21:20:21.216Z"},
				{9, "node_name", "ZE-2016-V3"},
				{10, "action", "quorum-lost"}, {10, "EventID", "1177"}, {10, "lines", "2"}, {10, "orig_line", "178"},
				{12, "action", "rhs-terminated"}, {12, "EventID", "1146"},
				{14, "action", "join-failed"}, {14, "node_name", "ZE-2016-V1"},
				{15, "action", "config-stale"}, {15, "EventID", "5398"}, {15, "lines", "5"},
				{21, "action", "node-quarantined"}, {21, "EventID", "1672"}, {21, "lines", "7"},
				{28, "action", "node-quarantined"}, {28, "EventID", "1675"}, {28, "lines", "3"}, {28, "level", "warning"},
				{40, "from_node", "ZE-2016-V2"}, {40, "to_node", "ZE-2016-V1"},
				{43, "action", "online-attempt"}, {43, "EventID", "1200"},
			},
		},
		{
			file: "ws2016-ag1023-verbose-quorumloss.log", events: 19, nonBlank: 19,
			actions: map[string]int{"quorum-lost": 1, "service-terminated": 3, "resource-terminate": 2},
			checks: []check{
				{3, "action", "quorum-lost"}, {3, "component", "QUORUM"}, {3, "node_id", "2"}, {3, "channel", "Verbose"},
				{3, "level", "error"}, {3, "orig_line", "41971"}, {3, "pid", "000008c8"}, {3, "tid", "00000c80"},
				{12, "action", "resource-terminate"}, {12, "resource", "ag1023"}, {12, "state", "Online"},
				{9, "resource_type", "IP Address"}, {9, "resource", "Cluster IP Address"},
				{16, "resource_type", "Network Name"}, {16, "resource", "Cluster Name"},
				{18, "resource_type", "Network Name"}, {18, "resource", ""},
				{19, "component", "RES"}, {19, "resource_type", "SQL Server Availability Group"}, {19, "resource", "ag1023"},
				{19, "level", "error"}, {8, "level", "debug"},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			res := parseFile(t, filepath.Join(dir, c.file), parse.Input{Node: "ZE-BUNDLE"})
			if res.err != nil {
				t.Fatalf("Parse: %v", res.err)
			}
			if len(res.events) != c.events {
				t.Errorf("%d events, want %d", len(res.events), c.events)
			}
			if len(res.rep.Problems) != c.problems {
				t.Errorf("problems %v", res.rep.Problems)
			}
			checkAccounting(t, res, c.nonBlank)
			for a, n := range c.actions {
				if got := res.count(a); got != n {
					t.Errorf("%d %s events, want %d", got, a, n)
				}
			}
			for _, ck := range c.checks {
				if got := value(res.at(t, ck.line), ck.key); got != ck.want {
					t.Errorf("line %d %s = %q, want %q", ck.line, ck.key, got, ck.want)
				}
			}
		})
	}
}

// TestCorpusFacts: the typed facts the detectors read, from the real
// Windows Server 2016 lines (values checked by reading the files).
func TestCorpusFacts(t *testing.T) {
	dir := fixtures.Corpus(t, "clusterlogs")
	moves := parseFile(t, filepath.Join(dir, "ws2016-ag1023-operational-moves.log"), parse.Input{Node: "ZE-BUNDLE"})
	// Line 3: 1153, the cluster failing ag1023 over.
	m := facts.Of[facts.GroupMove](moves.at(t, 3))
	if len(m) != 1 || m[0].Group != "ag1023" || m[0].From != "ZE-2016-V1" || m[0].To != "ZE-2016-V2" ||
		m[0].Kind != facts.MoveUnplanned || m[0].Report != "event-1153" || m[0].Guessed {
		t.Errorf("line 3: %+v", m)
	}
	// Line 4: 1641, a move of unknown kind (the wording does not say).
	if m := facts.Of[facts.GroupMove](moves.at(t, 4)); len(m) != 1 || m[0].Kind != facts.MoveUnknown || m[0].Report != "event-1641" {
		t.Errorf("line 4: %+v", m)
	}
	// Line 37: ag1023 Online -> Orphaned.
	if s := facts.Of[facts.StateChange](moves.at(t, 37)); len(s) != 1 || s[0].Object != facts.ObjGroup || s[0].Name != "ag1023" ||
		s[0].From != "Online" || s[0].To != "Orphaned" {
		t.Errorf("line 37: %+v", s)
	}
	sys := parseFile(t, filepath.Join(dir, "ws2016-ag1023-system-operational-a.log"), parse.Input{Node: "ZE-BUNDLE"})
	if f := facts.Of[facts.ResourceFailure](sys.at(t, 5)); len(f) != 1 || f[0].Kind != facts.FailGroup || f[0].Group != "ag1023" {
		t.Errorf("line 5 (1205): %+v", f)
	}
	if n := facts.Of[facts.NodeState](sys.at(t, 6)); len(n) != 1 || n[0].Node != "ZE-2016-V2" || n[0].State != facts.NodeRemoved {
		t.Errorf("line 6 (1135): %+v", n)
	}
	if n := facts.Of[facts.NodeState](sys.at(t, 21)); len(n) != 1 || n[0].Node != "ZE-2016-V2" || n[0].State != facts.NodeQuarantined {
		t.Errorf("line 21 (1672): %+v", n)
	}
	if q := facts.Of[facts.QuorumLoss](sys.at(t, 10)); len(q) != 1 {
		t.Errorf("line 10 (1177): %+v", q)
	}
	verbose := parseFile(t, filepath.Join(dir, "ws2016-ag1023-verbose-quorumloss.log"), parse.Input{Node: "ZE-BUNDLE"})
	if q := facts.Of[facts.QuorumLoss](verbose.at(t, 3)); len(q) != 1 || q[0].NodeID != "2" {
		t.Errorf("verbose line 3: %+v", q)
	}
	if f := facts.Of[facts.ResourceFailure](verbose.at(t, 12)); len(f) != 1 || f[0].Kind != facts.FailTerminated || f[0].Resource != "ag1023" {
		t.Errorf("verbose line 12: %+v", f)
	}
}
