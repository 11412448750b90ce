package upgradeprocedure_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/all"
	"github.com/exlog/exlog/detect/detecttest"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse/parsetest"
)

// run parses a bundle and runs every detector, as triage does.
func run(t *testing.T, path string) *detect.Result {
	t.Helper()
	res, _ := detecttest.Result(t, all.Detectors(), path)
	return res
}

// The correct procedures give a story with its setup and virtual-server
// steps and no departure, and no detector reports anything.
func TestCorrectUpgrades(t *testing.T) {
	for _, name := range []string{"healthy-story-ex2003-4node", "healthy-story-ex2007-ccr", "healthy-ex2007-ccr-sp1", "healthy-rolling-upgrade-2003"} {
		t.Run(name, func(t *testing.T) {
			res := run(t, fixtures.Scenario(name))
			if len(res.Findings) != 0 {
				for _, f := range res.Findings {
					t.Errorf("finding %s %s: %s", f.Detector, f.Cause, f.Summary)
				}
			}
			if len(res.Facts.Stories) != 1 {
				t.Fatalf("%d stories, want 1", len(res.Facts.Stories))
			}
			s := res.Facts.Stories[0]
			if len(s.Departures) != 0 {
				t.Errorf("departures in a correct upgrade: %+v", s.Departures)
			}
			kinds := map[string]int{}
			for _, st := range s.Steps {
				kinds[st.Kind]++
			}
			if kinds[detect.StepBinaries] < 2 || kinds[detect.StepVirtualServer] < 1 || kinds[detect.StepMove] < 2 {
				t.Errorf("steps by kind %v: want every node's binaries, the virtual-server upgrade and the moves", kinds)
			}
		})
	}
}

// Each departure gives exactly one finding, from the detector that owns
// it, naming the step expected; the story marks the same departure.
func TestDepartures(t *testing.T) {
	cases := []struct {
		scenario, check, owner, node string
		expected                     string // a phrase the expected step must hold
	}{
		{"story-ex2003-active-node-first", detect.CheckActiveNode, detect.StoryDetector, "NODE1", "upgrade a passive node first (NODE2"},
		{"story-ex2003-evs-before-binaries", detect.CheckBeforeBinaries, detect.StoryDetector, "NODE2", "upgrade NODE2's binaries first"},
		{"story-ex2003-no-reboot", detect.CheckNoReboot, detect.StoryDetector, "NODE2", "reboot NODE2 after"},
		{"story-ex2003-parallel-evs", detect.CheckParallel, detect.StoryDetector, "NODE4", "one virtual server at a time"},
		{"story-ex2007-setup-exe", detect.CheckSetupExe, detect.StoryDetector, "NODE2", "setup.com /mode:upgrade"},
		{"story-ex2007-cms-before-binaries", detect.CheckBeforeBinaries, detect.StoryDetector, "NODE1", "upgrade NODE1's binaries first"},
		{"story-ex2007-upgradecms-old-build", detect.CheckOldBuild, detect.StoryDetector, "NODE1", "only on a node already running 8.1.240.6"},
		{"story-ex2003-moved-to-older", detect.CheckMovedToOlder, "version-mismatch", "NODE1", "never move an upgraded clustered server"},
		{"story-ex2007-unfinished", detect.CheckUnfinished, "version-mismatch", "", "upgrade every node to 8.1.240.6"},
	}
	for _, c := range cases {
		t.Run(c.scenario, func(t *testing.T) {
			res := run(t, fixtures.Scenario(c.scenario))
			if len(res.Findings) != 1 {
				for _, f := range res.Findings {
					t.Logf("finding %s %s: %s", f.Detector, f.Cause, f.Summary)
				}
				t.Fatalf("%d findings, want exactly 1", len(res.Findings))
			}
			f := res.Findings[0]
			if f.Detector != c.owner || f.Cause != c.check {
				t.Fatalf("finding %s/%s, want %s/%s", f.Detector, f.Cause, c.owner, c.check)
			}
			if len(res.Facts.Stories) != 1 {
				t.Fatalf("%d stories, want 1", len(res.Facts.Stories))
			}
			s := res.Facts.Stories[0]
			var deps []detect.Departure
			for _, d := range s.Departures {
				if d.Owner == c.owner && d.Check == c.check {
					deps = append(deps, d)
				}
			}
			if len(deps) != 1 || len(s.Departures) != 1 {
				t.Fatalf("story departures %+v, want exactly one %s", s.Departures, c.check)
			}
			d := deps[0]
			if !strings.Contains(d.Expected, c.expected) {
				t.Errorf("expected step %q does not say %q", d.Expected, c.expected)
			}
			if d.Node != c.node {
				t.Errorf("departure on %q, want %q", d.Node, c.node)
			}
			if d.Step >= 0 && !contains(s.Steps[d.Step].Departures, c.check) {
				t.Errorf("step %d (%s) is not marked with %s", d.Step, s.Steps[d.Step].Text, c.check)
			}
			if c.owner != detect.StoryDetector {
				return
			}
			if f.Details["expected_step"] != d.Expected || !strings.Contains(f.Explanation, d.Expected) {
				t.Errorf("finding does not name the expected step %q: details %v", d.Expected, f.Details)
			}
			if f.Details["seen_step"] == "" || len(f.Evidence) == 0 {
				t.Errorf("finding without the step seen or evidence: %+v", f)
			}
			if f.Confidence == "" || (f.Confidence != detect.ConfidenceHigh && f.ConfidenceReason == "") {
				t.Errorf("confidence %q without a reason", f.Confidence)
			}
			if !contains(f.Nodes, c.node) {
				t.Errorf("finding nodes %v, want %s", f.Nodes, c.node)
			}
		})
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// copyWithout copies a scenario folder, with its files' times, leaving
// out the files for which drop is true.
func copyWithout(t *testing.T, src string, drop func(rel string) bool) string {
	t.Helper()
	files := slices.DeleteFunc(parsetest.ReadTree(t, src), func(f parsetest.TreeFile) bool { return drop(f.Rel) })
	return parsetest.WriteTree(t, filepath.Join(t.TempDir(), filepath.Base(src)), files)
}

// Without NODE2's System log the bundle cannot show whether NODE2 was
// rebooted: the check is not evidenced, and nothing is reported.
func TestRebootNotEvidenced(t *testing.T) {
	dir := copyWithout(t, fixtures.Scenario("story-ex2003-no-reboot"), func(rel string) bool { return rel == "NODE2/System.evt" })
	res := run(t, dir)
	for _, f := range res.Findings {
		t.Errorf("finding without the System log: %s %s", f.Detector, f.Summary)
	}
	if len(res.Facts.Stories) != 1 {
		t.Fatalf("%d stories, want 1", len(res.Facts.Stories))
	}
	found := false
	for _, n := range res.Facts.Stories[0].NotEvidenced {
		found = found || strings.Contains(n, "a reboot of NODE2")
	}
	if !found {
		t.Errorf("not evidenced %q does not list NODE2's reboot", res.Facts.Stories[0].NotEvidenced)
	}
}

// Without the cluster logs nothing places EVS1 on a node when NODE1's
// binaries were upgraded: the active-node check is not evidenced.
func TestActiveNodeNotEvidenced(t *testing.T) {
	dir := copyWithout(t, fixtures.Scenario("story-ex2003-active-node-first"), func(rel string) bool { return strings.HasSuffix(rel, "_cluster.log") })
	res := run(t, dir)
	for _, f := range res.Findings {
		if f.Detector == detect.StoryDetector {
			t.Errorf("finding without the cluster logs: %s", f.Summary)
		}
	}
	for _, s := range res.Facts.Stories {
		for _, d := range s.Departures {
			if d.Check == detect.CheckActiveNode {
				t.Errorf("active-node departure without an owner in the bundle: %+v", d)
			}
		}
	}
}

// A bundle without an upgrade (no setup run) tells no story.
func TestNoUpgradeNoStory(t *testing.T) {
	res := run(t, fixtures.Scenario("healthy-manual-moves"))
	if len(res.Facts.Stories) != 0 {
		t.Errorf("stories of a bundle without setup runs: %+v", res.Facts.Stories[0])
	}
}
