// Package parsetest runs a parser over files the way a bundle would and
// compares what it read with golden files, for the tests of every format
// package (telegraf's directory-driven test cases, analysistest's
// .golden naming). It is imported only by tests.
package parsetest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/pipeline"
)

// Update rewrites the golden files instead of comparing with them:
// go test ./parse/FORMAT -run Golden -update-golden
var Update = flag.Bool("update-golden", false, "rewrite the parsers' golden files")

// Now is the analysis time the golden runs use, so that their output
// does not change with the day they run.
var Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Parse runs p over the file at path through the pipeline, as one file of
// a bundle, and returns its events in file order and its report.
func Parse(t testing.TB, p parse.Parser, path string) ([]*parse.Event, *parse.Report) {
	t.Helper()
	var mu sync.Mutex
	var evs []*parse.Event
	reps, err := pipeline.Run(context.Background(), []string{path},
		pipeline.Options{Parsers: []parse.Parser{p}, Now: Now},
		pipeline.SinkFunc(func(e *parse.Event) error {
			mu.Lock()
			evs = append(evs, e)
			mu.Unlock()
			return nil
		}))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(reps) != 1 {
		t.Fatalf("%s: %d reports, want 1", path, len(reps))
	}
	SortByPosition(evs)
	return evs, reps[0]
}

// SortByPosition orders events as they stand in their files: by file,
// then line or record and offset, derived events after their record.
func SortByPosition(evs []*parse.Event) {
	slices.SortStableFunc(evs, func(a, b *parse.Event) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if a.Record != b.Record {
			if a.Record < b.Record {
				return -1
			}
			return 1
		}
		if a.Offset != b.Offset {
			if a.Offset < b.Offset {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Kind, b.Kind)
	})
}

// Golden parses each file of srcDir (a folder relative to the repository
// root) whose name matches one of the patterns with p, and compares the
// result with testdata/golden/<base name>.ndjson of the test's package:
// one line for the file's report, then one line per event with its ID. A
// missing golden file fails and says how to write it.
func Golden(t *testing.T, p parse.Parser, srcDir string, patterns ...string) {
	t.Helper()
	const goldenDir = "testdata/golden"
	inputs := Inputs(t, filepath.Join(fixtures.RepoRoot(), srcDir), patterns...)
	if len(inputs) == 0 {
		t.Fatalf("no inputs %v in %s", patterns, srcDir)
	}
	for _, in := range inputs {
		name := filepath.Base(in)
		t.Run(name, func(t *testing.T) {
			evs, rep := Parse(t, p, in)
			got := encode(t, rep, evs)
			golden := filepath.Join(goldenDir, name+".ndjson")
			if *Update {
				if err := os.MkdirAll(goldenDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v; write it with: go test . -run %s -update-golden", err, t.Name())
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from what %s reads now (first difference at line %d); review with -update-golden and git diff",
					golden, p.Name(), firstDiff(got, want))
			}
		})
	}
}

// Inputs lists the files of dir whose names match one of the patterns.
func Inputs(t testing.TB, dir string, patterns ...string) []string {
	t.Helper()
	var out []string
	for _, p := range patterns {
		m, err := filepath.Glob(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

type eventLine struct {
	ID string `json:"id"`
	*parse.Event
}

func encode(t testing.TB, rep *parse.Report, evs []*parse.Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep); err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if err := enc.Encode(eventLine{e.ID(), e}); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func firstDiff(a, b []byte) int {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(la) && i < len(lb); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}
