package error5018

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/detecttest"
	"github.com/exlog/exlog/parse"
)

var base = time.Date(2007, 6, 12, 10, 0, 0, 0, time.UTC)

// line builds a cluster-log event; fields alternate key, value.
func line(file string, n int, node string, min float64, msg string, fields ...string) *parse.Event {
	e := &parse.Event{File: file, Line: n, Node: node, Source: parse.SourceClusterLog, Provider: "ClusSvc",
		Time: base.Add(time.Duration(min * float64(time.Minute))), TimeQuality: parse.TimeUTC, Message: msg}
	for i := 0; i+1 < len(fields); i += 2 {
		e.SetField(fields[i], fields[i+1])
	}
	return e
}

func move(file string, n int, node string, min float64, group, from, to string) *parse.Event {
	return line(file, n, node, min, "[FM] Move of group '"+group+"' from node "+from+" to node "+to+" requested by an administrator.",
		"action", "group-move", "component", "FM", "group", group, "from_node", from, "to_node", to)
}

func runDetector(t *testing.T, evs ...*parse.Event) []detect.Finding {
	return detecttest.Detect(t, evs, Detector)
}

// fourNodes gives every node of a four-node cluster a cluster-log line.
func fourNodes() []*parse.Event {
	var out []*parse.Event
	for i, n := range []string{"NODE1", "NODE2", "NODE3", "NODE4"} {
		out = append(out, line(n+"_cluster.log", 1, n, -60, "[FM] Group 'X' state change", "action", "resource-failed",
			"resource", "Disk "+string(rune('Q'+i))+":", "group", "Cluster Group"))
	}
	return out
}

func TestSpellings(t *testing.T) {
	for _, c := range []struct {
		msg    string
		fields []string
		want   bool
	}{
		{"An error occurred attempting to bring the System Attendant resource online: The cluster resource could not be brought online by the resource monitor. Error ID: 5018 (0000139a).", nil, true},
		{"[FM] Online of resource <SA - (EVS2)> failed, status 5018.", nil, true},
		{"OnlineThread: Error 5018 bringing resource online.", nil, true},
		{"failed with HRESULT 0x8007139A", nil, true},
		{"win32 status 0x139a", nil, true},
		{"ERROR_RESMON_ONLINE_FAILED", nil, true},
		{"The cluster resource could not be brought online by the resource monitor.", nil, true},
		{"event", []string{"status", "5018", "status_hex", "0x139a"}, true},
		{"event", []string{"error_code", "5018", "error_hex", "0x0000139a"}, true},
		// Near misses.
		{"[FM] Online of resource <X> failed, status 15018.", nil, false},
		{"IsAlive check failed, status 1722.", nil, false},
		{"status 0x139b", nil, false},
		{"record 5018 of the log", nil, false},
		{"Information Store (5018) The database engine started", nil, false},
	} {
		e := &parse.Event{Message: c.msg}
		for i := 0; i+1 < len(c.fields); i += 2 {
			e.SetField(c.fields[i], c.fields[i+1])
		}
		if got := isSign(e); got != c.want {
			t.Errorf("isSign(%q %v) = %v, want %v", c.msg, c.fields, got, c.want)
		}
	}
}

// TestEVSLimit is the documented case: a second EVS moved onto a node
// of a four-node cluster that already runs one.
func TestEVSLimit(t *testing.T) {
	evs := fourNodes()
	evs = append(evs,
		move("NODE1_cluster.log", 5, "NODE1", 0, "EVS1", "NODE2", "NODE1"),
		line("NODE4_cluster.log", 9, "NODE4", 5, "1069", "action", "resource-failed",
			"resource", "Exchange System Attendant - (EVS1)", "group", "EVS1"),
		move("NODE3_cluster.log", 7, "NODE3", 6, "EVS1", "NODE4", "NODE1"),
		move("NODE3_cluster.log", 8, "NODE3", 30, "EVS2", "NODE3", "NODE1"),
		line("NODE1_cluster.log", 20, "NODE1", 30.3, "[FM] Online of resource <Exchange System Attendant - (EVS2)> failed, status 5018.",
			"action", "online-failed", "resource", "Exchange System Attendant - (EVS2)", "status", "5018", "status_hex", "0x139a"),
		line("NODE1_cluster.log", 21, "NODE1", 30.31, "[FM] Resource <Exchange System Attendant - (EVS2)> old state=129 new state=4",
			"action", "resource-state", "resource", "Exchange System Attendant - (EVS2)", "new_state", "Failed"),
		// The same failure quoted by the administrator a minute later:
		// the same episode.
		func() *parse.Event {
			e := line("notes.txt", 3, "NODE1", 31.5, "Error ID: 5018 (0000139a) bringing the resource 'Exchange System Attendant - (EVS2)' online")
			e.Source, e.Provider = "text", ""
			return e
		}(),
		// A line of another node at the same time is not context.
		line("NODE2_cluster.log", 40, "NODE2", 30.3, "x", "action", "online-failed", "resource", "Exchange System Attendant - (EVS2)"),
	)
	fs := runDetector(t, evs...)
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.Cause != "evs-per-node-limit" || f.Severity != detect.Error {
		t.Fatalf("cause %q severity %v", f.Cause, f.Severity)
	}
	if strings.Join(f.Groups, ",") != "EVS1,EVS2" || strings.Join(f.Nodes, ",") != "NODE1,NODE3" {
		t.Errorf("groups %v nodes %v", f.Groups, f.Nodes)
	}
	if f.Details["cluster_nodes"] != "4" || f.Details["other_virtual_servers"] != "EVS1" || f.Details["signs"] != "2" {
		t.Errorf("details %v", f.Details)
	}
	if !strings.Contains(f.Details["move"], "EVS2 from NODE3 to NODE1") || !strings.Contains(f.Summary, "already ran Exchange virtual server EVS1") {
		t.Errorf("summary %q move %q", f.Summary, f.Details["move"])
	}
	var got []string
	for _, x := range f.Evidence {
		got = append(got, x.File+":"+strconv.Itoa(x.Line))
	}
	// The move of EVS2, EVS1's arrival on NODE1, the two signs and the
	// failed-state line; not NODE2's line.
	want := "NODE3_cluster.log:7,NODE3_cluster.log:8,NODE1_cluster.log:20,NODE1_cluster.log:21,notes.txt:3"
	if strings.Join(got, ",") != want {
		t.Errorf("evidence %s, want %s", strings.Join(got, ","), want)
	}
}

// TestTwoNodesIsGeneric: on a two-node cluster two EVSs may share a node
// (active/active), so the same failure is a generic online failure.
func TestTwoNodesIsGeneric(t *testing.T) {
	fs := runDetector(t,
		line("NODE2_cluster.log", 1, "NODE2", -60, "x", "action", "resource-failed", "resource", "Disk Q:", "group", "Cluster Group"),
		line("NODE1_cluster.log", 2, "NODE1", -50, "1069", "action", "resource-failed",
			"resource", "Exchange System Attendant - (EVS1)", "group", "EVS1"),
		move("NODE1_cluster.log", 3, "NODE1", 10, "EVS2", "NODE2", "NODE1"),
		line("NODE1_cluster.log", 4, "NODE1", 10.5, "[FM] Online of resource <Exchange System Attendant - (EVS2)> failed, status 5018.",
			"action", "online-failed", "resource", "Exchange System Attendant - (EVS2)", "status", "5018"),
	)
	if len(fs) != 1 || fs[0].Cause != "resource-online-failed" || fs[0].Severity != detect.Error {
		t.Fatalf("findings %+v", fs)
	}
	if fs[0].Details["node_was_hosting"] != "EVS1" || fs[0].Details["cluster_nodes"] != "2" {
		t.Errorf("details %v", fs[0].Details)
	}
}

// TestEpisodes: signs of one resource far apart are two findings; signs
// of different nodes are separate findings.
func TestEpisodes(t *testing.T) {
	sign := func(file string, n int, node string, min float64) *parse.Event {
		return line(file, n, node, min, "[RHS] Online for resource Cluster Name failed.",
			"action", "online-failed", "resource", "Cluster Name", "status", "5018")
	}
	fs := runDetector(t,
		sign("a.log", 1, "NODE1", 0), sign("a.log", 2, "NODE1", 10), sign("a.log", 3, "NODE1", 40),
		sign("b.log", 1, "NODE2", 0),
	)
	if len(fs) != 3 {
		t.Fatalf("got %d findings, want 3", len(fs))
	}
	counts := map[string]string{}
	for _, f := range fs {
		counts[f.Nodes[0]+f.Start.Format("1504")] = f.Details["signs"]
	}
	if counts["NODE11000"] != "2" || counts["NODE11040"] != "1" || counts["NODE21000"] != "1" {
		t.Errorf("episodes %v", counts)
	}
}

func TestSilent(t *testing.T) {
	fs := runDetector(t,
		move("NODE1_cluster.log", 3, "NODE1", 10, "EVS2", "NODE2", "NODE1"),
		line("NODE1_cluster.log", 4, "NODE1", 10.5, "IsAlive check failed, status 1722.",
			"action", "health-check-failed", "resource", "Exchange Information Store Instance - (EVS2)", "status", "1722"),
		line("NODE1_cluster.log", 5, "NODE1", 11, "[FM] Online of resource <X> failed.", "action", "online-failed", "resource", "X"),
	)
	if len(fs) != 0 {
		t.Fatalf("want no finding, got %+v", fs)
	}
}

// TestOlderTargetBuild is the second cause: on a two-node cluster the
// one-virtual-server rule does not apply, and the target node still ran
// the build the virtual server was upgraded from.
func TestOlderTargetBuild(t *testing.T) {
	ese := func(node string, min float64, v string) *parse.Event {
		e := line(node+"/Application.evt", int(min*10)+1, node, min, "ESE started", "version", v, "provider_family", "ese", "engine_version", v)
		e.Source, e.Provider, e.EventID = parse.SourceEVT, "ESE", 100
		return e
	}
	upgraded := line("N1/progress.log", 5, "N1", -20, "[09:40:00] The Exchange Virtual Server has been upgraded successfully.")
	upgraded.Source = parse.SourceSetupLog
	asked := line("N1/progress.log", 4, "N1", -23, "[09:37:00] Upgrade Exchange Virtual Server EVS1 requested from Cluster Administrator")
	asked.Source = parse.SourceSetupLog
	fs := runDetector(t,
		ese("N1", -60, "6.05.7638.0000"), ese("N2", -60, "6.05.7226.0000"),
		move("N1_cluster.log", 2, "N1", -30, "EVS1", "N2", "N1"),
		asked, upgraded,
		move("N1_cluster.log", 9, "N1", 0, "EVS1", "N1", "N2"),
		line("N1_cluster.log", 10, "N1", 0.4, "[FM] Resource could not be brought online, error 5018.", "action", "online-failed",
			"resource", "Exchange System Attendant - (EVS1)", "group", "EVS1", "status", "5018", "status_hex", "0x139a"),
	)
	if len(fs) != 1 {
		t.Fatalf("%d findings: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.Cause != "node-older-build" || f.Details["node_build"] != "6.5.7226" || f.Details["server_build"] != "6.5.7638" ||
		strings.Join(f.Nodes, ",") != "N1,N2" || f.Details["node"] != "N2" {
		t.Errorf("cause %q nodes %v details %v", f.Cause, f.Nodes, f.Details)
	}
	if !strings.Contains(f.Explanation, "one-virtual-server-per-node rule does not apply") || !strings.Contains(f.Remediation, "never move an upgraded virtual server") {
		t.Errorf("explanation %q remediation %q", f.Explanation, f.Remediation)
	}
	// The line was logged on N1, but the failure is on N2, where the
	// group was moved.
	if !strings.Contains(f.Details["node_decided_by"], "move timeline") || !strings.Contains(f.Details["node_decided_by"], "logged on N1") {
		t.Errorf("node decided by %q", f.Details["node_decided_by"])
	}
}

// TestCases runs the testdata bundles against their .want files.
func TestCases(t *testing.T) { detecttest.Run(t, Detector, "testdata") }
