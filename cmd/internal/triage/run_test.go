package triage_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/exlog/exlog/cmd/internal/triage"
	"github.com/exlog/exlog/detect/all"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse/formats"
	"github.com/exlog/exlog/parse/parsetest"
)

// A folder named after an Exchange virtual server holds logs of whichever
// node ran it; the inventory must show that name as a clustered server,
// not as one more physical node.
func TestClusteredServerIsNoNode(t *testing.T) {
	src := fixtures.Scenario("ex2003-rolling-upgrade-4node")
	files := parsetest.ReadTree(t, src)
	progress := "[10:05:12] Entering ScSetupMain\n[10:05:13] Setup is checking the Exchange virtual server\n[10:41:37] Setup completed\n"
	files = append(files, file{Rel: "EVS1/Exchange Server Setup Progress.log", Data: []byte(progress), Mod: time.Date(2007, 6, 12, 11, 0, 0, 0, time.UTC)})
	dir := parsetest.WriteTree(t, filepath.Join(t.TempDir(), "case"), files)
	res, err := triage.Run(context.Background(), triage.Options{Name: "case", Bundles: []string{dir},
		Parsers: formats.All(), Detectors: all.Detectors(), Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	seen := false
	for _, n := range res.Nodes {
		if n.Name == "EVS1" {
			seen = true
			if !n.Clustered {
				t.Errorf("EVS1 listed as a physical node: %+v", n)
			}
		} else if n.Clustered {
			t.Errorf("%s marked clustered", n.Name)
		}
	}
	if !seen {
		t.Errorf("no node EVS1 listed; nodes %+v", res.Nodes)
	}
}
