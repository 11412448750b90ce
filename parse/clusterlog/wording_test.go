package clusterlog

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

// parseText runs the parser over a log given as lines.
func parseText(t *testing.T, lines ...string) []*parse.Event {
	t.Helper()
	text := strings.Join(lines, "\r\n") + "\r\n"
	in := &parse.Input{Path: "n/cluster.log", Node: "LAYOUT", Size: int64(len(text)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil }}
	var out []*parse.Event
	err := Parser{}.Parse(context.Background(), in, &parse.Report{}, func(e *parse.Event) error { out = append(out, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const g1 = "0c6f6e3a-8b1d-4d7e-9a52-31b7c0e4d101"

// names2003 opens a 2003 log the way the Resource Kit shows: the group
// named once by GUID, node numbers named by node lines.
var names2003 = []string{
	"000005c0.000005d0::2007/09/18-06:40:00.000 Cluster service started - Cluster Node Version 5.2",
	"000005c0.000005d0::2007/09/18-06:40:02.000 INFO [FM] Name for Group " + g1 + " is 'EVS1'.",
	"000005c0.000005d0::2007/09/18-06:40:02.000 INFO [NM] Initializing node 1 (EXNODE1).",
	"000005c0.000005d0::2007/09/18-06:40:02.000 INFO [NM] Initializing node 2 (EXNODE2).",
}

func stamp(i int) string { return fmt.Sprintf("000005c0.000005d4::2007/09/18-07:%02d:00.000 ", i) }

// TestGroupMoveWordings: one fact, many wordings (no public 2003 [FM]
// move line exists, so every one is a variant the parser must read).
func TestGroupMoveWordings(t *testing.T) {
	for i, c := range []struct {
		line     []string
		to, kind string
	}{
		{[]string{"WARN [FM] Group " + g1 + " failing over from node 1 to node 2."}, "EXNODE2", facts.MoveUnplanned},
		{[]string{"WARN [FM] FmpHandleGroupFailure: failover of group " + g1 + " to node 2 started"}, "EXNODE2", facts.MoveUnplanned},
		{[]string{"WARN Group 'EVS1' failed over to node EXNODE2"}, "EXNODE2", facts.MoveUnplanned},
		{[]string{"INFO [FM] Moving group " + g1 + " to node 2 at the request of the administrator."}, "EXNODE2", facts.MovePlanned},
		{[]string{"INFO [FM] FmpDoMoveGroup: administrator moving group " + g1, "    from node 1 to node 2."}, "EXNODE2", facts.MovePlanned},
		{[]string{"ERR [FM] Group " + g1 + " is moving", "        to node 2 after a resource failure."}, "EXNODE2", facts.MoveUnknown},
		{[]string{"INFO [GRPMGR] group " + g1 + " owner is now node 2"}, "EXNODE2", facts.MoveUnknown},
		{[]string{"INFO [FM] FmpSetGroupOwner: group {" + strings.ToUpper(g1) + "} owner set to node 2"}, "EXNODE2", facts.MoveUnknown},
		{[]string{"INFO [FM] Group " + g1 + " is now owned by node EXNODE2."}, "EXNODE2", facts.MoveUnknown},
	} {
		evs := parseText(t, append(names2003, stamp(i)+c.line[0])...)
		if len(c.line) > 1 {
			evs = parseText(t, append(append(names2003, stamp(i)+c.line[0]), c.line[1:]...)...)
		}
		ms := facts.Of[facts.GroupMove](evs[len(evs)-1])
		if len(ms) != 1 {
			t.Errorf("%q: %d moves", c.line, len(ms))
			continue
		}
		m := ms[0]
		to := m.To
		if to == "" {
			t.Errorf("%q: target not named (id %q)", c.line, m.ToID)
		}
		if to != c.to || m.Kind != c.kind || (m.Group != "EVS1") {
			t.Errorf("%q: move %+v, want EVS1 to %s kind %q", c.line, m, c.to, c.kind)
		}
	}
}

// TestStateAndFailureWordings: numeric and named states, and failures
// with codes, in several wordings.
func TestStateAndFailureWordings(t *testing.T) {
	for i, c := range []struct {
		line, obj, to, code string
	}{
		{"INFO [FM] Group " + g1 + " state change from 1 to 0", facts.ObjGroup, "Online", "0"},
		{"WARN [FM] Group " + g1 + " state change from 0 to 2", facts.ObjGroup, "Failed", "2"},
		{"WARN [FM] Resource " + g1 + " old state=129 new state=4", facts.ObjResource, "Failed", "4"},
		{"WARN [FM] Resource " + g1 + " state 129 -> 4", facts.ObjResource, "Failed", "4"},
		{"INFO [FM] Group 'EVS1' state changed from Offline to Online", facts.ObjGroup, "Online", ""},
		{"WARN [FM] Group " + g1 + " is now in state 2", facts.ObjGroup, "Failed", "2"},
	} {
		evs := parseText(t, append(names2003, stamp(i)+c.line)...)
		ss := facts.Of[facts.StateChange](evs[len(evs)-1])
		if len(ss) != 1 || ss[0].Object != c.obj || ss[0].To != c.to || ss[0].ToCode != c.code {
			t.Errorf("%q: %+v, want %s -> %s (%s)", c.line, ss, c.obj, c.to, c.code)
		}
	}
	for i, c := range []struct {
		line, code string
	}{
		{"ERR [FM] Online of resource <Exchange System Attendant - (EVS2)> failed, status 5018.", "5018"},
		{"ERR Exchange System Attendant - (EVS2): Online failed with status 5018 (0x139a).", "5018"},
		{"WARN [FM] Resource " + g1 + " could not be brought online on node 2, error 5018.", "5018"},
		{"ERR [FM] Online of resource " + g1 + " failed, status 1722.", "1722"},
		{"ERR Microsoft Exchange System Attendant <Exchange System Attendant - (EVS2)>: Online request failed, Error ID: 5018 (0000139a).", "5018"},
	} {
		evs := parseText(t, append(names2003, stamp(i)+c.line)...)
		fs := facts.Of[facts.ResourceFailure](evs[len(evs)-1])
		if len(fs) == 0 || fs[0].Code != c.code || fs[0].Resource == "" {
			t.Errorf("%q: %+v, want a failure with code %s and a resource", c.line, fs, c.code)
		}
	}
}

// TestThresholdAndNodeWordings: the cluster giving up on a group, and
// node numbers named by the log's own lines.
func TestThresholdAndNodeWordings(t *testing.T) {
	for i, c := range []struct {
		lines      []string
		count, set int
		left       bool
	}{
		{[]string{"ERR [FM] FmpHandleGroupFailure: group " + g1 + " has exceeded its failover threshold",
			"    (failover count 6, threshold 5); not failing over, group left in failed state."}, 6, 5, true},
		{[]string{"WARN [FM] Group 'EVS1' failover threshold reached, the group will not be failed over."}, -1, -1, false},
		{[]string{"WARN Not failing over group " + g1 + ": it failed over 11 times, threshold 10"}, 11, 10, false},
	} {
		lines := append(names2003, stamp(i)+c.lines[0])
		lines = append(lines, c.lines[1:]...)
		evs := parseText(t, lines...)
		ps := facts.Of[facts.FailoverPolicy](evs[len(evs)-1])
		if len(ps) != 1 || ps[0].Group != "EVS1" || ps[0].Count != c.count || ps[0].Setting != c.set || ps[0].LeftFailed != c.left {
			t.Errorf("%q: %+v", c.lines, ps)
		}
	}
	evs := parseText(t, names2003...)
	var nodes []string
	for _, e := range evs {
		for _, m := range facts.Of[facts.NameMap](e) {
			nodes = append(nodes, m.Kind+":"+m.ID+"="+m.Name)
		}
	}
	if got := strings.Join(nodes, ","); got != "group:"+g1+"=EVS1,node:1=EXNODE1,node:2=EXNODE2" {
		t.Errorf("name maps %s", got)
	}
	// The 2008+ RCM move line names nodes and numbers together.
	evs = parseText(t, "0000110c.00002bcc::2020/08/06-01:17:54.943 INFO  [RCM] move of group AOCProd01AG from CO2ICMV3SQL09(1) to CO2ICMV3SQL10(2) of type MoveType::Manual is about to succeed, failoverCount=3, lastFailoverTime=2020/08/05-02:08:54.524 targeted=true")
	m := facts.Of[facts.GroupMove](evs[0])
	if len(m) != 1 || m[0].To != "CO2ICMV3SQL10" || m[0].ToID != "2" || m[0].Kind != facts.MovePlanned || m[0].FailoverCount != 3 || m[0].Guessed {
		t.Errorf("RCM move %+v", m)
	}
}
