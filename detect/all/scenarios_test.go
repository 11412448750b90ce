package all_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/all"
	"github.com/exlog/exlog/detect/detecttest"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

var update = flag.Bool("update", false, "rewrite the golden findings of fixtures/scenarios")

// runBundle parses a bundle and runs every detector, as triage does, and
// fails the test for a file that could not be read.
func runBundle(t *testing.T, path string) []detect.Finding {
	t.Helper()
	res, reports := detecttest.Result(t, all.Detectors(), path)
	for _, r := range reports {
		if r.Status != parse.StatusOK && r.Status != parse.StatusPartial {
			t.Errorf("%s: %s %s", r.Path, r.Status, r.Error)
		}
	}
	if res.Findings == nil {
		return []detect.Finding{}
	}
	return res.Findings
}

func marshal(t *testing.T, fs []detect.Finding) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fs); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestScenarios runs every detector over each scenario bundle of
// fixtures/scenarios/<name>/ and compares the findings with
// fixtures/scenarios/<name>.golden.json, for the folder and for the same
// folder zipped. Healthy scenarios (name starting "healthy-") must yield
// no warning, error or critical finding at all.
func TestScenarios(t *testing.T) {
	for _, name := range fixtures.Scenarios(t) {
		t.Run(name, func(t *testing.T) {
			dir := fixtures.Scenario(name)
			got := marshal(t, runBundle(t, dir))
			golden := fixtures.Scenario(name + ".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (create it with: go test ./detect/all -run TestScenarios -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("findings differ from %s:\n%s", golden, got)
			}
			if zipped := marshal(t, runBundle(t, parsetest.ZipDir(t, dir))); !bytes.Equal(zipped, want) {
				t.Errorf("zipped bundle: findings differ from %s:\n%s", golden, zipped)
			}
			if len(name) > 8 && name[:8] == "healthy-" {
				var fs []detect.Finding
				json.Unmarshal(got, &fs)
				for _, f := range fs {
					if f.Severity >= detect.Warning {
						t.Errorf("healthy scenario has a %s finding: %s", f.Severity, f.Summary)
					}
				}
			}
		})
	}
}
