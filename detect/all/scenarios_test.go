package all_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/all"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/bundle"
	"github.com/exlog/exlog/parse/formats"
)

var update = flag.Bool("update", false, "rewrite the golden findings of fixtures/scenarios")

// runBundle parses a bundle and runs every detector, as triage does.
func runBundle(t *testing.T, path string) []detect.Finding {
	t.Helper()
	eng := detect.NewEngine(all.Detectors())
	reports, err := bundle.Parse(context.Background(), []string{path}, formats.All(), bundle.Options{}, func(e *parse.Event) error {
		eng.Add(e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reports {
		if r.Status != parse.StatusOK && r.Status != parse.StatusPartial {
			t.Errorf("%s: %s %s", r.Path, r.Status, r.Error)
		}
	}
	res, err := eng.Run(context.Background())
	if err != nil {
		t.Fatal(err)
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

// zipDir writes a folder bundle as a zip, the way a customer would send it.
func zipDir(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(dir)+".zip")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(w, src)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return out
}

// TestScenarios runs every detector over each scenario bundle of
// fixtures/scenarios/<name>/ and compares the findings with
// fixtures/scenarios/<name>.golden.json, for the folder and for the same
// folder zipped. Healthy scenarios (name starting "healthy-") must yield
// no warning, error or critical finding at all.
func TestScenarios(t *testing.T) {
	root := filepath.Join(fixtures.Dir(), "scenarios")
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Skipf("no scenarios yet: %v", err)
	}
	for _, ent := range ents {
		if !ent.IsDir() || ent.Name() == "gen" { // gen holds the generator of the binary logs
			continue
		}
		name := ent.Name()
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, name)
			got := marshal(t, runBundle(t, dir))
			golden := filepath.Join(root, name+".golden.json")
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
			if zipped := marshal(t, runBundle(t, zipDir(t, dir))); !bytes.Equal(zipped, want) {
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
