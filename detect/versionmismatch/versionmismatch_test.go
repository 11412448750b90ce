package versionmismatch_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/detecttest"
	"github.com/exlog/exlog/detect/versionmismatch"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

// The helpers build events the way the parsers normalise them, so each
// case reads like the bundle it stands for.

func ev(node, src, tm, msg string, fields map[string]string) *parse.Event {
	e := detecttest.Event(node, src, tm, msg, fields)
	// The parsers attach Exchange's mismatch wording as a fact, from the
	// line or an event's inserts.
	texts := []string{msg}
	for _, v := range e.Fields {
		texts = append(texts, v)
	}
	for _, text := range texts {
		if server, ok := facts.ExchangeVersionMismatch(text); ok {
			e.AddFact(facts.VersionMismatch{Server: server, Resource: e.Fields["resource"]})
			break
		}
	}
	return e
}

func move(tm, group, from, to string) *parse.Event {
	return ev(from, parse.SourceClusterLog, tm, "[FM] Move of group '"+group+"' from node "+from+" to node "+to+" requested by an administrator.",
		map[string]string{"action": "group-move", "group": group, "from_node": from, "to_node": to, "component": "FM", "reason": "administrator request"})
}

func failover(tm, group, from, to string) *parse.Event {
	return ev(to, parse.SourceClusterLog, tm, "[FM] Group '"+group+"' failing over from node "+from+" to node "+to+".",
		map[string]string{"action": "group-move", "group": group, "from_node": from, "to_node": to, "component": "FM"})
}

func resFailed(node, tm, group, resource string) *parse.Event {
	e := ev(node, parse.SourceEVT, tm, "Cluster resource '"+resource+"' in group '"+group+"' failed",
		map[string]string{"action": "resource-failed", "group": group, "resource": resource})
	e.Provider, e.EventID = "ClusSvc", 1069
	return e
}

func ese(node, tm, v string) *parse.Event {
	e := ev(node, parse.SourceEVT, tm, "ESE database engine '"+v+"' started",
		map[string]string{"version": v, "provider_family": "ese", "engine_version": v})
	e.Provider, e.EventID = "ESE", 100
	return e
}

func evsUpgraded(node, tm, evs string) []*parse.Event {
	t, _ := time.Parse(time.RFC3339, tm)
	ask := ev(node, parse.SourceSetupLog, t.Add(-3*time.Minute).Format(time.RFC3339), "Upgrade Exchange Virtual Server "+evs+" requested from Cluster Administrator", nil)
	done := ev(node, parse.SourceSetupLog, tm, "The Exchange Virtual Server has been upgraded successfully.", nil)
	return []*parse.Event{ask, done}
}

func setupRun(node, start, end, mode, version, previous, result string, extra ...string) *parse.Event {
	f := map[string]string{"mode": mode, "setup_version": version, "previous_version": previous, "result": result, "end": end}
	for i := 0; i+1 < len(extra); i += 2 {
		f[extra[i]] = extra[i+1]
	}
	e := ev(node, parse.SourceSetupLog, start, "setup run", f)
	e.Kind = "setup-run"
	return e
}

func regValue(node, key, name, value string, fields ...string) *parse.Event {
	f := map[string]string{"key": key, "value_name": name, "value": value}
	for i := 0; i+1 < len(fields); i += 2 {
		f[fields[i]] = fields[i+1]
	}
	return ev(node, parse.SourceRegistry, "", key+`\`+name+" = "+value, f)
}

// hiveNode is the cluster hive's values of one node as exported by from.
func hiveNode(from, cluster, id, name string, major, minor, build int, csd string) []*parse.Event {
	key := `HKEY_LOCAL_MACHINE\Cluster\Nodes\` + id
	kv := func(n, v string) *parse.Event {
		return regValue(from, key, n, v, "cluster_node_id", id, "cluster_node", name)
	}
	out := []*parse.Event{regValue(from, `HKEY_LOCAL_MACHINE\Cluster`, "ClusterName", cluster),
		kv("NodeName", name), kv("MajorVersion", itoa(major)), kv("MinorVersion", itoa(minor)), kv("BuildNumber", itoa(build))}
	if csd != "-" {
		out = append(out, kv("CSDVersion", csd))
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func flatten(parts ...any) []*parse.Event {
	var out []*parse.Event
	for _, p := range parts {
		switch v := p.(type) {
		case *parse.Event:
			out = append(out, v)
		case []*parse.Event:
			out = append(out, v...)
		}
	}
	return out
}

func runDetector(t *testing.T, evs []*parse.Event) []detect.Finding {
	return detecttest.Detect(t, evs, versionmismatch.Detector)
}

// The rolling upgrade of a three-node Exchange 2003 cluster the cases
// share: EVS1 runs on N1 (SP1); N2 gets SP2, EVS1 moves there and is
// upgraded.
func rolling() []*parse.Event {
	return flatten(
		ese("N1", "2007-06-12T06:55:00Z", "6.05.7226.0000"),
		ese("N3", "2007-06-12T06:56:00Z", "6.05.7226.0000"),
		move("2007-06-12T09:00:00Z", "EVS1", "N1", "N2"),
		evsUpgraded("N2", "2007-06-12T09:06:00Z", "EVS1"),
		ese("N2", "2007-06-12T09:07:00Z", "6.05.7638.0000"),
	)
}

func TestVersionMismatch(t *testing.T) {
	type want struct {
		cause, sev, nodes, groups string
		details                   map[string]string
	}
	for _, c := range []struct {
		name string
		evs  []*parse.Event
		want []want
	}{
		{"upgraded EVS moved to an older node that then failed",
			flatten(rolling(), move("2007-06-12T09:20:00Z", "EVS1", "N2", "N3"),
				resFailed("N3", "2007-06-12T09:20:30Z", "EVS1", "Exchange System Attendant - (EVS1)")),
			[]want{{"moved-to-older-node", "error", "N3", "EVS1", map[string]string{
				"server_build": "6.5.7638", "server_release": "Exchange 2003 SP2", "node_build": "6.5.7226",
				"upgraded_on": "N2", "moved_at": "2007-06-12T09:20:00Z", "move_kind": detect.MovePlanned}}}},
		{"the same move with no failure after it is not reported",
			flatten(rolling(), move("2007-06-12T09:20:00Z", "EVS1", "N2", "N3")), nil},
		{"older build seen before the move was stale: the store starts on the new build",
			flatten(rolling(), move("2007-06-12T09:20:00Z", "EVS1", "N2", "N3"),
				ese("N3", "2007-06-12T09:20:40Z", "6.05.7638.0000"),
				resFailed("N3", "2007-06-12T09:45:00Z", "EVS1", "Exchange Information Store Instance - (EVS1)")), nil},
		{"moved to an upgraded node", flatten(rolling(), move("2007-06-12T09:20:00Z", "EVS1", "N2", "N1"),
			setupRun("N1", "2007-06-12T08:00:00Z", "2007-06-12T08:40:00Z", "Upgrade", "6.5.7638.2", "6.5.7226.6", "success"),
			resFailed("N1", "2007-06-12T09:20:30Z", "EVS1", "Exchange System Attendant - (EVS1)")), nil},
		{"an EVS not yet upgraded may run anywhere", flatten(
			ese("N1", "2007-06-12T06:55:00Z", "6.05.7638.0000"), ese("N3", "2007-06-12T06:56:00Z", "6.05.7226.0000"),
			move("2007-06-12T09:20:00Z", "EVS1", "N1", "N3"),
			resFailed("N3", "2007-06-12T09:20:30Z", "EVS1", "Exchange System Attendant - (EVS1)")), nil},
		{"the mismatch wording alone, in an event insert",
			flatten(func() *parse.Event {
				e := ev("N4", parse.SourceEVT, "2007-06-12T09:20:25Z", "MSExchangeCluster event 1005: ...",
					map[string]string{"data.1": "Exchange System Attendant - (EVS1)",
						"data.2": "Version of Exchange on this machine does not match the version of Exchange server N4."})
				e.Provider = "MSExchangeCluster"
				return e
			}()),
			[]want{{"moved-to-older-node", "error", "N4", "", map[string]string{"node_build": "unknown"}}}},
		{"the wording logged on another node: the node is the move's target",
			flatten(rolling(), move("2007-06-12T09:20:00Z", "EVS1", "N2", "N3"),
				ev("N2", parse.SourceClusterLog, "2007-06-12T09:20:25Z",
					"Exchange System Attendant - (EVS1): Version of Exchange on this machine does not match the version of Exchange server N3.",
					map[string]string{"resource": "Exchange System Attendant - (EVS1)"})),
			[]want{{"moved-to-older-node", "error", "N3", "EVS1", map[string]string{"node_build": "6.5.7226",
				"node_decided_by": "N3 is the target of the move of EVS1 at 2007-06-12 09:20:00 UTC (move timeline); the line itself was logged on N2"}}}},
		{"the wording in a cluster log names the group through its resource",
			flatten(rolling(), move("2007-06-12T09:20:00Z", "EVS1", "N2", "N4"),
				ev("N4", parse.SourceClusterLog, "2007-06-12T09:20:25Z",
					"Microsoft Exchange System Attendant <Exchange System Attendant - (EVS1)>: Version of Exchange on this machine does not match the version of Exchange server N4.",
					map[string]string{"resource": "Exchange System Attendant - (EVS1)", "resource_type": "Microsoft Exchange System Attendant"}),
				setupRun("N4", "2007-06-12T11:40:00Z", "2007-06-12T12:15:00Z", "", "", "", "success")),
			[]want{{"moved-to-older-node", "error", "N4", "EVS1", map[string]string{
				"server_build": "6.5.7638", "node_build": "unknown", "moved_at": "2007-06-12T09:20:00Z",
				"node_upgraded_later_at": "2007-06-12T11:40:00Z"}}}},
		{"clustered mailbox server upgraded with /upgradeCMS and failed over to the old node",
			flatten(
				setupRun("N2", "2008-01-19T07:10:00Z", "2008-01-19T07:48:00Z", "Upgrade", "8.1.240.6", "8.0.685.24", "success"),
				setupRun("N1", "2007-12-01T07:10:00Z", "2007-12-01T07:48:00Z", "Install", "8.0.685.24", "", "success"),
				move("2008-01-19T08:06:00Z", "CMS1", "N1", "N2"),
				setupRun("N2", "2008-01-19T08:12:00Z", "2008-01-19T08:25:00Z", "", "8.1.240.6", "", "success", "param.upgradecms", "true"),
				failover("2008-01-19T08:40:00Z", "CMS1", "N2", "N1"),
				ev("N1", parse.SourceClusterLog, "2008-01-19T08:40:20Z", "[RHS] Online for resource Exchange Information Store Instance (CMS1) failed.",
					map[string]string{"action": "online-failed", "resource": "Exchange Information Store Instance (CMS1)", "group": "CMS1"})),
			[]want{{"moved-to-older-node", "error", "N1", "CMS1", map[string]string{
				"server_build": "8.1.240.6", "node_build": "8.0.685.24", "upgraded_on": "N2", "move_kind": detect.MoveUnknown}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Nodes left on different builds at the end are checked in
			// TestEndOfBundleAndWindows.
			var got []detect.Finding
			for _, f := range runDetector(t, c.evs) {
				if f.Cause == "moved-to-older-node" {
					got = append(got, f)
				}
			}
			if len(got) != len(c.want) {
				for _, f := range got {
					t.Logf("%s %s: %s", f.Severity, f.Cause, f.Summary)
				}
				t.Fatalf("%d findings, want %d", len(got), len(c.want))
			}
			for i, w := range c.want {
				f := got[i]
				if f.Cause != w.cause || f.Severity.String() != w.sev || strings.Join(f.Nodes, ",") != w.nodes || strings.Join(f.Groups, ",") != w.groups {
					t.Errorf("finding %d: %s %s nodes %v groups %v; want %s %s %s %s", i, f.Severity, f.Cause, f.Nodes, f.Groups, w.sev, w.cause, w.nodes, w.groups)
				}
				for k, v := range w.details {
					if f.Details[k] != v {
						t.Errorf("details[%s] = %q, want %q", k, f.Details[k], v)
					}
				}
				if len(f.Evidence) == 0 || f.Explanation == "" || f.Remediation == "" {
					t.Errorf("finding %d lacks evidence or text: %+v", i, f)
				}
			}
		})
	}
}

func TestEndOfBundleAndWindows(t *testing.T) {
	n1Up := setupRun("N1", "2024-03-01T08:00:00Z", "2024-03-01T08:40:00Z", "Upgrade", "15.1.2507.6", "15.1.2375.7", "success")
	n2Up := setupRun("N2", "2024-03-01T09:00:00Z", "2024-03-01T09:40:00Z", "Upgrade", "15.1.2507.6", "15.1.2375.7", "success")
	n2Old := setupRun("N2", "2024-01-10T09:00:00Z", "2024-01-10T09:40:00Z", "Upgrade", "15.1.2375.7", "15.1.2308.8", "success")
	hive := flatten(hiveNode("N1", "DAG1", "1", "N1", 10, 0, 14393, "-"), hiveNode("N1", "DAG1", "2", "N2", 10, 0, 14393, "-"))
	for _, c := range []struct {
		name   string
		evs    []*parse.Event
		causes string
		detail [2]string
	}{
		{"upgrade window closed by the end", flatten(hive, n1Up, n2Old, n2Up), "", [2]string{}},
		{"one node left behind", flatten(hive, n1Up, n2Old), "builds-differ-at-end", [2]string{"N2_build", "15.1.2375.7"}},
		{"servers outside any cluster may differ", flatten(n1Up, n2Old), "", [2]string{}},
		{"Windows builds differ", flatten(hiveNode("N1", "C1", "1", "N1", 6, 0, 6002, "Service Pack 2"), hiveNode("N1", "C1", "2", "N2", 6, 0, 6001, "Service Pack 1")),
			"windows-builds-differ", [2]string{"N2_windows", "6.0.6001 Service Pack 1"}},
		{"Windows 2003 service packs share build 3790", flatten(hiveNode("N1", "C1", "1", "N1", 5, 2, 3790, "Service Pack 2"), hiveNode("N1", "C1", "2", "N2", 5, 2, 3790, "Service Pack 1")),
			"windows-builds-differ", [2]string{"N1_windows", "5.2.3790 Service Pack 2"}},
		{"Windows builds equal", flatten(hiveNode("N1", "C1", "1", "N1", 5, 2, 3790, "Service Pack 2"), hiveNode("N2", "C1", "2", "N2", 5, 2, 3790, "Service Pack 2")), "", [2]string{}},
		{"the cluster service's version event", flatten(hive, func() *parse.Event {
			e := ev("N1", parse.SourceEVTX, "2024-03-01T10:00:00Z", "Cluster node 'N2' runs a different but compatible operating system version",
				map[string]string{"action": "version-mismatch", "target_node": "N2"})
			e.Provider, e.EventID = "Microsoft-Windows-FailoverClustering", 1548
			return e
		}()), "windows-builds-differ", [2]string{"cluster", "DAG1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := runDetector(t, c.evs)
			var causes []string
			for _, f := range got {
				causes = append(causes, f.Cause)
				if f.Severity != detect.Warning {
					t.Errorf("%s is %s, want warning", f.Cause, f.Severity)
				}
			}
			if strings.Join(causes, ",") != c.causes {
				t.Fatalf("causes %v, want %q", causes, c.causes)
			}
			if c.detail[0] != "" && got[0].Details[c.detail[0]] != c.detail[1] {
				t.Errorf("details[%s] = %q, want %q (%v)", c.detail[0], got[0].Details[c.detail[0]], c.detail[1], got[0].Details)
			}
		})
	}
}

// TestScenarios checks the detector alone on the scenario bundles: the
// documented failure in the four-node rolling upgrade, silence on the
// correct upgrades.
func TestScenarios(t *testing.T) {
	got := runDetector(t, detecttest.Bundle(t, fixtures.Scenario("ex2003-rolling-upgrade-4node")))
	if len(got) != 1 {
		t.Fatalf("4-node rolling upgrade: %d findings", len(got))
	}
	f := got[0]
	if f.Severity != detect.Error || f.Nodes[0] != "NODE4" || f.Groups[0] != "EVS1" || f.Details["upgraded_on"] != "NODE2" ||
		f.Details["server_build"] != "6.5.7638" || f.Details["moved_at"] != "2007-06-12T09:20:02Z" {
		t.Errorf("4-node rolling upgrade: %+v", f)
	}
	// The evidence holds the mismatch line of NODE4's cluster log.
	found := false
	for _, e := range f.Evidence {
		if e.File == "NODE4_cluster.log" && e.Line == 3 && strings.Contains(e.Text, "does not match the version of Exchange server NODE4") {
			found = true
		}
	}
	if !found {
		t.Errorf("mismatch line not in evidence: %+v", f.Evidence)
	}
	for _, name := range []string{"healthy-rolling-upgrade-2003", "healthy-ex2007-ccr-sp1", "ex2007-scc-standby-upgradecms-failed",
		"healthy-manual-moves", "healthy-single-restart", "ws2016-nodedown-pingpong"} {
		if got := runDetector(t, detecttest.Bundle(t, fixtures.Scenario(name))); len(got) != 0 {
			t.Errorf("%s: %d findings, first %s", name, len(got), got[0].Summary)
		}
	}
}

// TestCorpusSetupLogs runs the detector over the real setup logs: servers
// of different builds that no cluster ties together are not a finding.
func TestCorpusSetupLogs(t *testing.T) {
	dir := fixtures.Corpus(t, "setuplogs")
	if got := runDetector(t, detecttest.Bundle(t, dir)); len(got) != 0 {
		t.Errorf("%d findings on the setup-log corpus, first %s", len(got), got[0].Summary)
	}
}

// TestInventoryWindowsBuilds reads the project's Get-ClusterNode fixture:
// NODE1 reports BuildNumber 14393 and NODE2 17763 (lines 12 and 35 of the
// file), both MajorVersion 10, in cluster EXDAG1.
func TestInventoryWindowsBuilds(t *testing.T) {
	got := runDetector(t, detecttest.Bundle(t, filepath.Join(fixtures.Dir(), "inventory", "NODE1_GetClusterNode.txt")))
	if len(got) != 1 {
		t.Fatalf("%d findings", len(got))
	}
	f := got[0]
	if f.Cause != "windows-builds-differ" || f.Details["NODE1_windows"] != "10.0.14393" || f.Details["NODE2_windows"] != "10.0.17763" ||
		f.Details["cluster"] != "EXDAG1" || strings.Join(f.Nodes, ",") != "NODE1,NODE2" {
		t.Errorf("%+v", f)
	}
	if len(f.Evidence) != 2 || f.Evidence[0].Line != 3 || f.Evidence[1].Line != 26 {
		t.Errorf("evidence %+v", f.Evidence)
	}
}
