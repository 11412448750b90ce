package all_test

import (
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/all"
	"github.com/exlog/exlog/detect/detecttest"
	"github.com/exlog/exlog/parse"
)

// TestOneFindingPerIncident: a 5018 whose cause is the target node's
// older build is the version-mismatch detector's incident; only that
// finding remains, holding the 5018 line too.
func TestOneFindingPerIncident(t *testing.T) {
	base := time.Date(2007, 6, 12, 10, 0, 0, 0, time.UTC)
	n := 0
	ev := func(src, node string, min float64, msg string, kv ...string) *parse.Event {
		n++
		e := &parse.Event{File: node + "/" + src, Line: n, Node: node, Source: src, Time: base.Add(time.Duration(min * float64(time.Minute))),
			TimeQuality: parse.TimeUTC, Message: msg}
		for i := 0; i+1 < len(kv); i += 2 {
			e.SetField(kv[i], kv[i+1])
		}
		return e
	}
	ese := func(node string, min float64, v string) *parse.Event {
		e := ev(parse.SourceEVT, node, min, "ESE started", parse.KeyVersion, v, parse.KeyProviderFamily, "ese", parse.KeyEngineVersion, v)
		e.Provider, e.EventID = "ESE", 100
		return e
	}
	move := func(min float64, from, to string) *parse.Event {
		e := ev(parse.SourceClusterLog, from, min, "[FM] move", parse.KeyAction, "group-move", parse.KeyGroup, "EVS1",
			parse.KeyFromNode, from, parse.KeyToNode, to, parse.KeyReason, "administrator request")
		e.Provider = "ClusSvc"
		return e
	}
	fail := ev(parse.SourceClusterLog, "N2", 0.4, "[FM] Online of resource failed, status 5018.", parse.KeyAction, "online-failed",
		parse.KeyResource, "Exchange System Attendant - (EVS1)", parse.KeyGroup, "EVS1", parse.KeyStatus, "5018", parse.KeyStatusHex, "0x139a")
	fail.Provider = "ClusSvc"
	evs := []*parse.Event{
		ese("N1", -60, "6.05.7638.0000"), ese("N2", -60, "6.05.7226.0000"),
		move(-30, "N2", "N1"),
		ev(parse.SourceSetupLog, "N1", -23, "Upgrade Exchange Virtual Server EVS1 requested from Cluster Administrator"),
		ev(parse.SourceSetupLog, "N1", -20, "The Exchange Virtual Server has been upgraded successfully."),
		move(0, "N1", "N2"), fail,
	}
	findings := detecttest.Detect(t, evs, all.Detectors()...)
	var got []string
	var vm *detect.Finding
	for i, f := range findings {
		if f.Severity >= detect.Error {
			got = append(got, f.Detector+"/"+f.Cause)
		}
		if f.Detector == "version-mismatch" && f.Cause == "moved-to-older-node" {
			vm = &findings[i]
		}
	}
	if strings.Join(got, ",") != "version-mismatch/moved-to-older-node" || vm == nil {
		t.Fatalf("findings %v, want only version-mismatch/moved-to-older-node", got)
	}
	found := false
	for _, x := range vm.Evidence {
		found = found || x.DocID == fail.ID()
	}
	if !found || strings.Join(vm.Nodes, ",") != "N2" {
		t.Errorf("the 5018 line is not in the remaining finding's evidence, or node %v is wrong", vm.Nodes)
	}
}
