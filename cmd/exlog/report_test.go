package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exlog/exlog/cmd/internal/render"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse/parsetest"
)

var updateReports = flag.Bool("update", false, "rewrite the golden reports fixtures/scenarios/<name>.report.golden.{md,json} (and the README screenshot)")

// reportOf runs `exlog report` in-process and returns stdout; the exit
// code must be want.
func reportOf(t *testing.T, want int, args ...string) string {
	t.Helper()
	out, _ := exlogWant(t, want, append([]string{"report"}, args...)...)
	return out
}

// TestReportGolden compares the Markdown and JSON reports of every
// scenario bundle with fixtures/scenarios/<name>.report.golden.md and
// .json. When a detector or the report changes on purpose, regenerate
// them with
//
//	go test ./cmd/exlog -run TestReportGolden -update
//
// and read the diff before committing it.
func TestReportGolden(t *testing.T) {
	for _, name := range fixtures.Scenarios(t) {
		t.Run(name, func(t *testing.T) {
			for _, format := range []string{"md", "json"} {
				got := reportOf(t, exitOK, "--format", format, fixtures.Scenario(name))
				golden := fixtures.Scenario(name + ".report.golden." + format)
				if *updateReports {
					if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (create it with: go test ./cmd/exlog -run TestReportGolden -update)", err)
				}
				if got != string(want) {
					t.Errorf("%s report differs from %s (if the change is meant, regenerate with: go test ./cmd/exlog -run TestReportGolden -update):\n%s",
						format, golden, firstDifference(got, string(want)))
				}
			}
		})
	}
}

// firstDifference shows the first line where two texts differ.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return "line " + itoaTest(i+1) + ":\n got: " + a + "\nwant: " + b
		}
	}
	return "(no line differs)"
}

func itoaTest(n int) string { b, _ := json.Marshal(n); return string(b) }

// The report is the same from the bundle, from the same bundle zipped, and
// from the index triage wrote: byte for byte, in Markdown and JSON.
func TestReportDeterministic(t *testing.T) {
	name := fixtures.Scenarios(t)[0]
	dir := fixtures.Scenario(name)
	idx := filepath.Join(t.TempDir(), name+".exlog")
	if code, _, errOut := exlogRun(t, "triage", "--index", idx, "--format", "json", dir); code != exitOK && code != exitFindings {
		t.Fatalf("triage: exit %d %s", code, errOut)
	}
	zipped := parsetest.ZipDir(t, dir)
	for _, format := range []string{"md", "json"} {
		first := reportOf(t, exitOK, "--format", format, dir)
		if again := reportOf(t, exitOK, "--format", format, dir); again != first {
			t.Errorf("%s: two runs differ: %s", format, firstDifference(again, first))
		}
		if fromIndex := reportOf(t, exitOK, "--format", format, "--index", idx); fromIndex != first {
			t.Errorf("%s: report from the index differs: %s", format, firstDifference(fromIndex, first))
		}
		if fromZip := reportOf(t, exitOK, "--format", format, zipped); fromZip != first {
			t.Errorf("%s: report of the zipped bundle differs: %s", format, firstDifference(fromZip, first))
		}
		for _, bad := range []string{idx, fixtures.Dir(), t.TempDir()} {
			if strings.Contains(first, bad) {
				t.Errorf("%s report holds the run-specific path %s", format, bad)
			}
		}
	}
}

// The JSON report carries its schema and the documented top-level keys,
// in the documented order.
func TestReportJSONSchema(t *testing.T) {
	name := fixtures.Scenarios(t)[0]
	out := reportOf(t, exitOK, "--format", "json", fixtures.Scenario(name))
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	if string(m["schema"]) != `"exlog.report/v1"` {
		t.Fatalf("schema %s", m["schema"])
	}
	keys := []string{"schema", "bundle", "verdict", "start", "end", "times", "cluster", "nodes",
		"clustered_servers", "timeline", "findings", "files", "notes"}
	last := -1
	for _, k := range keys {
		i := strings.Index(out, "\n  \""+k+"\":")
		if i < 0 && k != "start" && k != "end" && k != "cluster" {
			t.Errorf("top-level key %q missing", k)
		}
		if i >= 0 {
			if i < last {
				t.Errorf("key %q out of order", k)
			}
			last = i
		}
	}
	var r render.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Bundle != name || len(r.Files.List) == 0 || len(r.Nodes) == 0 {
		t.Errorf("bundle %q, %d files, %d nodes", r.Bundle, len(r.Files.List), len(r.Nodes))
	}
}

// --fail-on: exit 1 when a finding is at that severity or above, in
// report and in triage, after the report is written.
func TestFailOn(t *testing.T) {
	all := fixtures.Scenarios(t)
	var failing, healthy string
	for _, n := range all {
		switch {
		case strings.HasPrefix(n, "healthy-") && healthy == "":
			healthy = n
		case !strings.HasPrefix(n, "healthy-") && failing == "":
			failing = n
		}
	}
	if failing == "" || healthy == "" {
		t.Skip("needs a failing and a healthy scenario")
	}
	// The highest severity of the failing scenario, read from its report.
	var r render.Report
	if err := json.Unmarshal([]byte(reportOf(t, exitOK, "--format", "json", fixtures.Scenario(failing))), &r); err != nil {
		t.Fatal(err)
	}
	high := r.Verdict.Highest
	if r.Verdict.Result != render.Fail || high == "critical" {
		t.Fatalf("%s: verdict %s, highest %s; the test wants an error-level scenario", failing, r.Verdict.Result, high)
	}
	tests := []struct {
		bundle, failOn string
		want           int
	}{
		{failing, "warning", exitFindings},
		{failing, "error", exitFindings},
		{failing, "critical", exitOK},
		{healthy, "warning", exitOK},
		{healthy, "critical", exitOK},
	}
	for _, tc := range tests {
		out := filepath.Join(t.TempDir(), "r.json")
		code, _, errOut := exlogRun(t, "report", "--fail-on", tc.failOn, "--out", out, fixtures.Scenario(tc.bundle))
		if code != tc.want {
			t.Errorf("report --fail-on %s %s: exit %d, want %d (%s)", tc.failOn, tc.bundle, code, tc.want, errOut)
		}
		if b, err := os.ReadFile(out); err != nil || !bytes.Contains(b, []byte(`"schema": "exlog.report/v1"`)) {
			t.Errorf("report --fail-on %s %s: no JSON report written before exiting (%v)", tc.failOn, tc.bundle, err)
		}
		code, _, errOut = exlogRun(t, "triage", "--no-index", "--format", "json", "--fail-on", tc.failOn, fixtures.Scenario(tc.bundle))
		if code != tc.want {
			t.Errorf("triage --fail-on %s %s: exit %d, want %d (%s)", tc.failOn, tc.bundle, code, tc.want, errOut)
		}
	}
	// From an index, too.
	idx := filepath.Join(t.TempDir(), "f.exlog")
	exlogWant(t, exitOK, "triage", "--index", idx, "--format", "json", fixtures.Scenario(failing))
	reportOf(t, exitFindings, "--index", idx, "--fail-on", "error")
	reportOf(t, exitOK, "--index", idx, "--fail-on", "critical")
}

// triage --report writes the report in the format its extension names,
// the same bytes as exlog report.
func TestTriageReportFlag(t *testing.T) {
	name := fixtures.Scenarios(t)[0]
	dir := t.TempDir()
	for _, ext := range []string{"md", "html", "json"} {
		path := filepath.Join(dir, "case."+ext)
		exlogWant(t, exitOK, "triage", "--no-index", "--report", path, fixtures.Scenario(name))
		got := parsetest.ReadFile(t, path)
		if want := reportOf(t, exitOK, "--format", ext, fixtures.Scenario(name)); string(got) != want {
			t.Errorf("triage --report %s differs from exlog report --format %s: %s", path, ext, firstDifference(string(got), want))
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".case.*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestReportUsageErrors(t *testing.T) {
	tmp := t.TempDir()
	for _, args := range [][]string{
		{"report"},
		{"report", "--format", "pdf", "x"},
		{"report", "--out", filepath.Join(tmp, "r.txt"), "x"},
		{"report", "--fail-on", "fatal", "x"},
		{"report", filepath.Join(tmp, "no-such-bundle")},
		{"report", "--index", filepath.Join(tmp, "none.exlog")},
		{"triage", "--report", filepath.Join(tmp, "r.pdf"), "x"},
		{"triage", "--report", filepath.Join(tmp, "report"), "x"},
	} {
		code, _, errOut := exlogRun(t, args...)
		if code != exitUsage || errOut == "" {
			t.Errorf("exlog %q: exit %d, want %d (stderr %q)", args, code, exitUsage, errOut)
		}
	}
	// Nothing readable: exit 3, and the report still says why.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("only notes\n"), 0o644)
	code, out, _ := exlogRun(t, "report", dir)
	if code != exitNothing || !strings.Contains(out, "no parser recognised the content") {
		t.Errorf("unreadable bundle: exit %d\n%s", code, out)
	}
}
