package all_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse/parsetest"
)

// check is one expectation on a scenario's findings.
type check struct {
	detector, cause, node, group string
	severity                     detect.Severity
}

func (c check) matches(f detect.Finding) bool {
	has := func(list []string, v string) bool {
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return v == ""
	}
	return f.Detector == c.detector && (c.cause == "" || f.Cause == c.cause) && has(f.Nodes, c.node) &&
		has(f.Groups, c.group) && (c.severity == detect.SevNone || f.Severity == c.severity)
}

// scenarioCheck is what one scenario's findings must hold.
type scenarioCheck struct {
	fire, silent []check
	details      map[string]string // detector/key -> value of the fired finding
}

// scenarioChecks are the must-fire and must-stay-silent checks of the
// scenarios written in real cluster wording. fire: exactly one finding
// matches each; silent: no finding matches.
var scenarioChecks = map[string]scenarioCheck{
	"ex2003-real-4node-5018": {
		fire: []check{
			{detector: "error-5018", cause: "evs-per-node-limit", node: "EXNODE2", group: "EVS2", severity: detect.Error},
			{detector: "version-mismatch", cause: "moved-to-older-node", node: "EXNODE4", group: "EVS1", severity: detect.Error},
		},
		silent: []check{
			{detector: "error-5018", node: "EXNODE1"},
			{detector: "error-5018", cause: "resource-online-failed"},
			{detector: "version-mismatch", node: "EXNODE2"},
			{detector: "failover-storm"},
		},
		details: map[string]string{"error-5018/signs": "2", "error-5018/cluster_nodes": "4"},
	},
	"ex2003-real-2node-storm": {
		fire: []check{{detector: "failover-storm", cause: "policy-exhausted", node: "NODEA", group: "EVS-MAIL", severity: detect.Error}},
		silent: []check{
			{detector: "failover-storm", group: "9e3a51c2-7f04-4a6b-8d1e-c5b0a7d2e301"},
			{detector: "failover-storm", node: "1"}, {detector: "failover-storm", node: "#1"},
			{detector: "failover-storm", node: "CASE-00417"},
			{detector: "error-5018"}, {detector: "version-mismatch"},
		},
		details: map[string]string{"failover-storm/failovers": "6", "failover-storm/group_id": "9e3a51c2-7f04-4a6b-8d1e-c5b0a7d2e301",
			"failover-storm/left_failed": "true"},
	},
	"ws2008-rcm-storm": {
		fire:   []check{{detector: "failover-storm", cause: "policy-exhausted", node: "EXCCR1", group: "CMS-MBX1", severity: detect.Error}},
		silent: []check{{detector: "error-5018"}, {detector: "version-mismatch"}},
		// The administrator's move is not a failover.
		details: map[string]string{"failover-storm/failovers": "3"},
	},
}

// variants re-packs a scenario folder the ways customers send bundles:
// as it is, zipped, under an extra case folder, and with a .bak copy of
// every cluster log beside it.
func variants(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{"folder": dir, "zip": parsetest.ZipDir(t, dir)}
	nested := filepath.Join(t.TempDir(), "CASE-99999", "upload")
	if err := os.CopyFS(nested, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	out["case-folder"] = filepath.Dir(nested)
	copies := filepath.Join(t.TempDir(), filepath.Base(dir))
	if err := os.CopyFS(copies, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(copies, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".log") && strings.Contains(strings.ToLower(p), "cluster") {
			b, _ := os.ReadFile(p)
			os.WriteFile(p+".bak", b, 0o644)
		}
		return nil
	})
	out["with-bak-copies"] = copies
	return out
}

// eachVariant runs fn on the findings of every re-packed variant of
// each scenario of cases, named by its folder in fixtures/scenarios.
func eachVariant[C any](t *testing.T, cases map[string]C, fn func(t *testing.T, c C, fs []detect.Finding)) {
	for name, c := range cases {
		dir := fixtures.Scenario(name)
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for variant, path := range variants(t, dir) {
			t.Run(name+"/"+variant, func(t *testing.T) { fn(t, c, runBundle(t, path)) })
		}
	}
}

func TestScenarioChecks(t *testing.T) {
	eachVariant(t, scenarioChecks, func(t *testing.T, c scenarioCheck, fs []detect.Finding) {
		for _, want := range c.fire {
			var hit []detect.Finding
			for _, f := range fs {
				if want.matches(f) {
					hit = append(hit, f)
				}
			}
			if len(hit) != 1 {
				t.Errorf("want exactly one finding %+v, got %d", want, len(hit))
				continue
			}
			if hit[0].Confidence == "" {
				t.Errorf("%s finding has no confidence", want.detector)
			}
			for k, v := range c.details {
				det, key, _ := strings.Cut(k, "/")
				if det == want.detector && hit[0].Details[key] != v {
					t.Errorf("%s details[%s] = %q, want %q", det, key, hit[0].Details[key], v)
				}
			}
		}
		for _, not := range c.silent {
			for _, f := range fs {
				if not.matches(f) {
					t.Errorf("must stay silent %+v, got: %s %s %v %v %s", not, f.Detector, f.Cause, f.Nodes, f.Groups, f.Summary)
				}
			}
		}
	})
}
