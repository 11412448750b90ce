package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

// exlogRun runs one invocation in-process and returns its exit code and
// output.
func exlogRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &env{stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

// exlogWant runs exlog with args as exlogRun does and fails the test,
// showing what exlog wrote to stderr, unless it exits with want.
func exlogWant(t *testing.T, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := exlogRun(t, args...)
	if code != want {
		t.Fatalf("exlog %q: exit %d, want %d\n%s", args, code, want, stderr)
	}
	return stdout, stderr
}

func TestHelpAndUsageErrors(t *testing.T) {
	code, out, _ := exlogRun(t, "help")
	if code != exitOK || !strings.Contains(out, "triage") || !strings.Contains(out, "Exit codes") {
		t.Fatalf("help: code %d\n%s", code, out)
	}
	for _, c := range commands() {
		code, out, _ := exlogRun(t, c.name, "--help")
		if code != exitOK || !strings.Contains(out, "Usage: exlog "+c.name) {
			t.Errorf("%s --help: code %d\n%s", c.name, code, out)
		}
	}
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"triage"},
		{"triage", "--format", "xml", "x"},
		{"triage", "/no/such/bundle"},
		{"triage", "--fail-on", "fatal", "x"},
		{"parse"},
		{"search", "--index", filepath.Join(t.TempDir(), "none.exlog"), "x"},
		{"triage", "--no-such-flag", "x"},
	} {
		code, _, errOut := exlogRun(t, args...)
		if code != exitUsage {
			t.Errorf("exlog %q: exit %d, want %d (stderr %q)", args, code, exitUsage, errOut)
		}
		if len(args) > 0 && errOut == "" {
			t.Errorf("exlog %q: no message on stderr", args)
		}
	}
}

type triageJSON struct {
	Bundle string          `json:"bundle"`
	Files  []*parse.Report `json:"files"`
	Nodes  []struct {
		Name   string `json:"name"`
		Build  string `json:"build"`
		Builds []struct {
			Build string   `json:"build"`
			Seen  []string `json:"seen"`
		} `json:"builds"`
	} `json:"nodes"`
	Findings []json.RawMessage `json:"findings"`
}

func triageToJSON(t *testing.T, args ...string) (triageJSON, string) {
	t.Helper()
	out, _ := exlogWant(t, exitOK, append([]string{"triage", "--format", "json"}, args...)...)
	var res triageJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("triage JSON: %v\n%s", err, out)
	}
	return res, out
}

func TestTriageFixtureBundleThenSearch(t *testing.T) {
	idx := filepath.Join(t.TempDir(), "case.exlog")
	bundle := filepath.Join(fixtures.Dir(), "bundles", "setup-collector.zip")
	res, _ := triageToJSON(t, "--index", idx, bundle)

	if res.Bundle != "setup-collector" || len(res.Files) != 4 {
		t.Fatalf("bundle %q, %d files", res.Bundle, len(res.Files))
	}
	for _, f := range res.Files {
		if f.Status != parse.StatusOK || f.Format != parse.SourceSetupLog || f.Events == 0 {
			t.Errorf("file %+v", f)
		}
	}
	builds := map[string]string{}
	for _, n := range res.Nodes {
		builds[n.Name] = n.Build
	}
	// Builds after the successful 2013+ and 2007 runs of the fixtures.
	if builds["EX16-N1"] != "15.1.2507.6" || builds["EXCCR-N2"] != "8.1.240.6" {
		t.Fatalf("node builds %v", builds)
	}
	if _, ok := builds["NODE1"]; !ok {
		t.Fatalf("the 2003 node from the bundle path is missing: %v", builds)
	}

	out, _ := exlogWant(t, exitOK, "search", "--index", idx, "--format", "ndjson", "+level:error +source:setuplog")
	if !strings.Contains(out, "Exchange Server Setup Progress.log") {
		t.Fatalf("search did not find the 2003 run's error:\n%s", out)
	}
}

func TestTriageNothingReadable(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("just some notes\n"), 0o644)
	code, out, errOut := exlogRun(t, "triage", "--no-index", dir)
	if code != exitNothing || !strings.Contains(errOut, "nothing") || !strings.Contains(out, "1 unknown") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}

var setupVersionRe = regexp.MustCompile(`\] \[0\] Setup version: (\d+\.\d+\.\d+\.\d+)\.`)

// The corpus acceptance test of issue 2: every file read, and every setup
// version of the corpus in the node inventory.
func TestTriageCorpusSetupLogs(t *testing.T) {
	dir := fixtures.Corpus(t, "setuplogs")
	want := map[string]bool{}
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, p := range logs {
		b := parsetest.ReadFile(t, p)
		for _, m := range setupVersionRe.FindAllSubmatch(b, -1) {
			want[string(m[1])] = true
		}
	}
	res, _ := triageToJSON(t, "--no-index", dir)
	n := 0
	for _, f := range res.Files {
		if strings.HasSuffix(f.Path, ".md") {
			continue
		}
		n++
		if f.Format != parse.SourceSetupLog || f.Status != parse.StatusOK {
			t.Errorf("%s: format %s status %s %s", f.Path, f.Format, f.Status, f.Error)
		}
	}
	if n != len(logs) || n != 26 {
		t.Fatalf("%d setup logs in the report, %d in the corpus", n, len(logs))
	}
	got := map[string]bool{}
	for _, node := range res.Nodes {
		for _, b := range node.Builds {
			got[b.Build] = true
		}
	}
	var missing []string
	for v := range want {
		if !got[v] {
			missing = append(missing, v)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 || len(want) == 0 {
		t.Fatalf("setup versions missing from the inventory: %v (want %d)", missing, len(want))
	}
}

// Every line of `exlog parse --format ndjson` is one JSON object with the
// event model's required keys, and there is one line per event.
func TestParseNDJSONCorpus(t *testing.T) {
	dir := fixtures.Corpus(t, "setuplogs")
	file := filepath.Join(dir, "e2016cu18-upgrade-fips-access-denied.log")
	out, _ := exlogWant(t, exitOK, "parse", "--format", "ndjson", file)
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 4<<20)
	lines, errors := 0, 0
	ids := map[string]bool{}
	for sc.Scan() {
		lines++
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v", lines, err)
		}
		for _, k := range []string{"id", "source", "file", "message", "time_quality"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("line %d lacks %q: %s", lines, k, sc.Text())
			}
		}
		id := m["id"].(string)
		if ids[id] {
			t.Fatalf("duplicate id %s", id)
		}
		ids[id] = true
		if m["level"] == "error" && m["kind"] == nil {
			errors++
		}
	}
	b, _ := os.ReadFile(file)
	wantErrors := bytes.Count(b, []byte("] [ERROR]"))
	if lines < 50 || errors < wantErrors {
		t.Fatalf("%d lines, %d error records; the file has %d [ERROR] lines", lines, errors, wantErrors)
	}
}

// The acceptance bundles of issues 3 and 4: every format exlog reads, in
// one zip with nested zips, each file in the table with its format.
func TestTriageAllFormats(t *testing.T) {
	bundle := filepath.Join(fixtures.Dir(), "bundles", "all-formats.zip")
	res, _ := triageToJSON(t, "--no-index", bundle)
	want := map[string]string{
		"NODE1/Exchange Server Setup Progress.log": parse.SourceSetupLog,
		"NODE1/System.evt":                         parse.SourceEVT,
		"NODE1/Application.evt":                    parse.SourceEVT,
		"NODE1/cluster.log":                        parse.SourceClusterLog,
		"NODE1/NODE1_Cluster_Hive.reg":             parse.SourceRegistry,
		"NODE1/NODE1_Exchange_Registry_Hive.reg":   parse.SourceRegistry,
		"NODE1/cluster-group.txt":                  parse.SourceInventory,
		"EX16-N1-321.zip!/Windows_Event_Logs/Windows-Logs.zip!/System.evtx":      parse.SourceEVTX,
		"EX16-N1-321.zip!/Windows_Event_Logs/Windows-Logs.zip!/Application.evtx": parse.SourceEVTX,
		"EX16-N1-321.zip!/Cluster_Information.zip!/EX16-N1_cluster.log":          parse.SourceClusterLog,
		"EX16-N1-321.zip!/Cluster_Information.zip!/EX16-N1_GetClusterNode.txt":   parse.SourceInventory,
		"EX16-N1-321.zip!/ExchangeSetupLogs/ExchangeSetup.log":                   parse.SourceSetupLog,
	}
	got := map[string]*parse.Report{}
	for _, f := range res.Files {
		got[f.Path] = f
	}
	for path, format := range want {
		f := got[path]
		switch {
		case f == nil:
			t.Errorf("%s missing from the file table", path)
		case f.Format != format || f.Events == 0 || (f.Status != parse.StatusOK && f.Status != parse.StatusPartial):
			t.Errorf("%s: format %s, %d events, status %s %s", path, f.Format, f.Events, f.Status, f.Error)
		}
	}
	if len(res.Files) != len(want) {
		t.Errorf("%d files in the table, want %d", len(res.Files), len(want))
	}
}
