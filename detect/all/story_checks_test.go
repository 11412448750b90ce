package all_test

import (
	"testing"

	"github.com/exlog/exlog/detect"
)

// storyChecks are the must-fire and must-stay-silent checks of the
// upgrade-story scenarios: each departure scenario fires exactly one
// finding, from the detector that owns the departure, and nothing else;
// the correct upgrades fire nothing.
var storyChecks = map[string]check{
	"healthy-story-ex2003-4node":        {},
	"healthy-story-ex2007-ccr":          {},
	"story-ex2003-active-node-first":    {detector: "upgrade-procedure", cause: detect.CheckActiveNode, node: "NODE1", group: "EVS1", severity: detect.Warning},
	"story-ex2003-evs-before-binaries":  {detector: "upgrade-procedure", cause: detect.CheckBeforeBinaries, node: "NODE2", group: "EVS1", severity: detect.Error},
	"story-ex2003-no-reboot":            {detector: "upgrade-procedure", cause: detect.CheckNoReboot, node: "NODE2", group: "EVS1", severity: detect.Warning},
	"story-ex2003-parallel-evs":         {detector: "upgrade-procedure", cause: detect.CheckParallel, node: "NODE4", group: "EVS2", severity: detect.Error},
	"story-ex2003-moved-to-older":       {detector: "version-mismatch", cause: detect.CheckMovedToOlder, node: "NODE1", group: "EVS1", severity: detect.Error},
	"story-ex2007-setup-exe":            {detector: "upgrade-procedure", cause: detect.CheckSetupExe, node: "NODE2", severity: detect.Warning},
	"story-ex2007-cms-before-binaries":  {detector: "upgrade-procedure", cause: detect.CheckBeforeBinaries, node: "NODE1", group: "MBX3", severity: detect.Error},
	"story-ex2007-upgradecms-old-build": {detector: "upgrade-procedure", cause: detect.CheckOldBuild, node: "NODE1", group: "MBX4", severity: detect.Error},
	"story-ex2007-unfinished":           {detector: "version-mismatch", cause: detect.CheckUnfinished, node: "NODE1", severity: detect.Warning},
}

func TestStoryScenarioChecks(t *testing.T) {
	eachVariant(t, storyChecks, func(t *testing.T, want check, fs []detect.Finding) {
		if want.detector == "" {
			for _, f := range fs {
				t.Errorf("must stay silent, got: %s %s %v %v %s", f.Detector, f.Cause, f.Nodes, f.Groups, f.Summary)
			}
			return
		}
		if len(fs) != 1 || !want.matches(fs[0]) {
			for _, f := range fs {
				t.Logf("got: %s %s %s %v %v %s", f.Severity, f.Detector, f.Cause, f.Nodes, f.Groups, f.Summary)
			}
			t.Fatalf("want exactly one finding %+v", want)
		}
		if fs[0].Confidence == "" {
			t.Errorf("finding without a confidence")
		}
		if want.detector == detect.StoryDetector && fs[0].Details["expected_step"] == "" {
			t.Errorf("finding does not name the expected step: %v", fs[0].Details)
		}
	})
}
