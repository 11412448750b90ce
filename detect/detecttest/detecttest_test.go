package detecttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/all"
	"github.com/exlog/exlog/fixtures"
)

func wantsOf(t *testing.T, text string) []*want {
	t.Helper()
	p := filepath.Join(t.TempDir(), "case.want")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return readWant(t, p)
}

func TestCheck(t *testing.T) {
	f := detect.Finding{Detector: "error-5018", Severity: detect.Error, Cause: "one-evs-per-node",
		Nodes: []string{"NODE2"}, Groups: []string{"EVS2"}, Summary: "System Attendant of EVS2 failed on NODE2"}
	for _, tc := range []struct {
		want     string
		problems int
	}{
		{"error error-5018 cause=one-evs-per-node nodes=NODE2 groups=EVS2 /System Attendant/", 0},
		{"# only the detector and severity\nerror error-5018", 0},
		{"error error-5018 nodes=NODE3", 2}, // wrong node: missing and unexpected
		{"warning error-5018", 2},           // wrong severity
		{"error error-5018 /Information Store/", 2},
		{"", 1}, // must stay silent, but fired
		{"error error-5018\nerror error-5018", 1}, // one finding cannot meet two wants
	} {
		if got := check("case.want", wantsOf(t, tc.want), []detect.Finding{f}); len(got) != tc.problems {
			t.Errorf("%q: %d problems %v, want %d", tc.want, len(got), got, tc.problems)
		}
	}
}

// TestFindingsOnScenario runs the harness on a shipped scenario, as a
// detector's test would, and checks the Describe line round-trips.
func TestFindingsOnScenario(t *testing.T) {
	dir := fixtures.Scenario("ws2016-nodedown-pingpong")
	got := Findings(t, all.Detectors(), dir)
	if len(got) == 0 {
		t.Fatal("no findings on a scenario that has some")
	}
	var lines []string
	for _, f := range got {
		lines = append(lines, Describe(f))
	}
	if problems := check("described", wantsOf(t, strings.Join(lines, "\n")), got); len(problems) > 0 {
		t.Errorf("described findings do not match themselves: %v", problems)
	}
}
