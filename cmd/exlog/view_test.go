package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

var updateOutput = flag.Bool("update-output", false, "rewrite cmd/exlog/testdata/*.golden and docs-quickstart.md's output block")

// quickStart is the bundle the README's first command triages.
const quickStart = "fixtures/bundles/ex2007-ccr-upgrade.zip"

// runIn runs one invocation in-process as on a terminal of width columns
// (0: a pipe), with ctx.
func runIn(ctx context.Context, width int, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(ctx, args, &env{stdout: &out, stderr: &errb, width: width})
	return code, out.String(), errb.String()
}

// caseDir is a scratch working directory where "fixtures" names the
// project's fixtures, so that examples run as written.
func caseDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(fixtures.Dir(), filepath.Join(dir, "fixtures")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	return dir
}

// shellWords splits an example the way a POSIX shell would for the simple
// quoting examples use, and stops at a pipe or a redirection: what
// follows is shell, not exlog.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case (c == '|' || c == '>' || c == '<' || c == '&') && !inWord:
			return words
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// Every example of every command's help runs as written from the module
// root, exits 0 (1 where it asks for --fail-on and the bundle has
// findings), and prints something; search examples find something.
func TestHelpExamplesRun(t *testing.T) {
	caseDir(t)
	n := 0
	for _, c := range allCommands() {
		for _, ex := range c.examples {
			n++
			words := shellWords(ex)
			if len(words) < 2 || words[0] != "exlog" || words[1] != c.name {
				t.Fatalf("%s: example %q does not run exlog %s", c.name, ex, c.name)
			}
			code, out, errOut := runIn(context.Background(), 0, words[1:]...)
			want := exitOK
			if strings.Contains(ex, "--fail-on") {
				want = exitFindings
			}
			if code != want {
				t.Errorf("%s: exit %d, want %d\n%s", ex, code, want, errOut)
				continue
			}
			// A command that writes a file says so on stderr.
			if strings.TrimSpace(out) == "" && strings.TrimSpace(errOut) == "" {
				t.Errorf("%s: no output", ex)
			}
			if c.name == "search" && (strings.HasPrefix(out, "0 matching") || strings.TrimSpace(out) == "0") {
				t.Errorf("%s finds nothing:\n%s", ex, out)
			}
		}
	}
	if n < 15 {
		t.Fatalf("only %d examples", n)
	}
}

// The quick start shows what exlog is for: its bundle has a failed setup
// run, a clustered server on an older node and a failover storm.
func TestQuickStartFindings(t *testing.T) {
	caseDir(t)
	res, _ := triageToJSON(t, "--no-index", quickStart)
	got := map[string]bool{}
	for _, raw := range res.Findings {
		var f detect.Finding
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatal(err)
		}
		got[f.Detector+"/"+f.Cause] = true
	}
	for _, want := range []string{"setup-failure/msi-installer-cache", "version-mismatch/moved-to-older-node", "failover-storm/ping-pong"} {
		if !got[want] {
			t.Errorf("quick-start bundle lacks the finding %s (has %v)", want, got)
		}
	}
}

// compareGolden compares out with testdata/name, or rewrites it with
// -update-output.
func compareGolden(t *testing.T, name, out string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateOutput {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./cmd/exlog -run %s -update-output)", err, t.Name())
	}
	if out != string(want) {
		t.Errorf("output differs from %s (if the change is meant: go test ./cmd/exlog -run %s -update-output):\n%s\n--- got:\n%s",
			path, t.Name(), firstDifference(out, string(want)), out)
	}
}

var pageToken = regexp.MustCompile(`--after [A-Za-z0-9_-]+`)

// Golden output of triage and search at 80 and 200 columns: every line
// fits the width, and the text is what a user sees.
func TestGoldenOutputWidths(t *testing.T) {
	bundle := filepath.Join(fixtures.Dir(), "bundles", "ex2007-ccr-upgrade.zip")
	idx := filepath.Join(t.TempDir(), "ex2007-ccr-upgrade.exlog")
	if code, _, errOut := runIn(context.Background(), 0, "triage", "--index", idx, bundle); code != exitOK {
		t.Fatalf("triage: exit %d %s", code, errOut)
	}
	for _, width := range []int{80, 200} {
		for _, tc := range []struct {
			name string
			args []string
		}{
			{"triage", []string{"triage", "--no-index", bundle}},
			{"search", []string{"search", "--index", idx, "--source", "clusterlog", "--level", "error,warning", "--limit", "6"}},
			{"search-context", []string{"search", "--index", idx, "-C", "2", "--limit", "3", `"failing over"`}},
			{"findings", []string{"search", "--index", idx, "--findings"}},
			{"detectors", []string{"detectors"}},
		} {
			t.Run(fmt.Sprintf("%s-%d", tc.name, width), func(t *testing.T) {
				code, out, errOut := runIn(context.Background(), width, tc.args...)
				if code != exitOK {
					t.Fatalf("exit %d %s", code, errOut)
				}
				out = strings.ReplaceAll(out, bundle, quickStart)
				// A page token holds the index path: the same bundle in
				// another folder gives another token.
				out = pageToken.ReplaceAllString(out, "--after TOKEN")
				for i, line := range strings.Split(out, "\n") {
					if w := visibleWidth(line); w > width {
						t.Errorf("line %d is %d columns wide, more than %d:\n%s", i+1, w, width, line)
					}
				}
				compareGolden(t, fmt.Sprintf("%s-%d.golden", tc.name, width), out)
			})
		}
	}
}

// quickStartDoc is the document that holds the quick start: the
// integrator merges docs-quickstart.md into the README, after which the
// README holds it.
func quickStartDoc(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"docs-quickstart.md", "README.md"} {
		path, _ := filepath.Abs(filepath.Join("..", "..", name))
		if _, err := os.Stat(path); err == nil {
			return path
		}
	}
	t.Fatal("neither docs-quickstart.md nor README.md is at the module root")
	return ""
}

// docExamples are the exlog command lines of a Markdown document: lines of
// fenced sh blocks and of indented blocks that start with "exlog " or
// "go run ./cmd/exlog ", without trailing comments. Lines that use shell
// variables are left out: they need a bundle of the reader's.
func docExamples(doc string) []string {
	var out []string
	inSh := false
	for _, line := range strings.Split(doc, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			inSh = !inSh && (trimmed == "```sh" || trimmed == "```bash")
			continue
		}
		if !inSh && !strings.HasPrefix(line, "    ") {
			continue
		}
		trimmed = strings.TrimPrefix(trimmed, "go run ./cmd/")
		if !strings.HasPrefix(trimmed, "exlog ") || strings.Contains(trimmed, "$") {
			continue
		}
		if i := strings.Index(trimmed, "  #"); i > 0 {
			trimmed = strings.TrimSpace(trimmed[:i])
		}
		out = append(out, trimmed)
	}
	return out
}

// The quick start shows the output a user sees on an 80-column terminal,
// exactly, and every exlog command of the document runs as written, in
// order, from the module root, and prints something.
func TestQuickStartDocument(t *testing.T) {
	path := quickStartDoc(t)
	doc := parsetest.ReadFile(t, path)
	caseDir(t)
	code, out, errOut := runIn(context.Background(), 80, "triage", quickStart)
	if code != exitOK {
		t.Fatalf("exit %d %s", code, errOut)
	}
	const begin, end = "<!-- quick-start output: go test ./cmd/exlog -run TestQuickStartDocument -update-output -->\n```text\n", "```\n"
	s := string(doc)
	i := strings.Index(s, begin)
	if i < 0 {
		t.Fatalf("%s has no %q block", path, begin)
	}
	j := strings.Index(s[i+len(begin):], end)
	shown := s[i+len(begin) : i+len(begin)+j]
	if *updateOutput {
		s = s[:i+len(begin)] + out + s[i+len(begin)+j:]
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if shown != out {
		t.Errorf("%s shows other output than exlog prints: %s", path, firstDifference(out, shown))
	}
	examples := docExamples(s)
	if len(examples) < 3 {
		t.Fatalf("%s: only %d examples found", path, len(examples))
	}
	for _, ex := range examples {
		words := shellWords(ex)
		code, out, errOut := runIn(context.Background(), 80, words[1:]...)
		want := exitOK
		if strings.Contains(ex, "--fail-on") {
			want = exitFindings
		}
		if code != want || strings.TrimSpace(out) == "" || strings.TrimSpace(out) == "0" || strings.HasPrefix(out, "0 matching") {
			t.Errorf("%s: %s: exit %d (want %d), output:\n%s%s", path, ex, code, want, out, errOut)
		}
	}
}

// Unknown values of --level, --source, --detector and --format are usage
// errors that list the valid ones.
func TestBadFlagValues(t *testing.T) {
	_, case1, _ := caseIndexes(t)
	bundle := filepath.Join(fixtures.Dir(), "bundles", "setup-collector.zip")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"search", "--index", case1, "--level", "bogus"}, "critical, error, warning, info, verbose, debug"},
		{[]string{"search", "--index", case1, "--source", "evtxx"}, "setuplog, evtx, evt, clusterlog, reg, inventory"},
		{[]string{"search", "--index", case1, "--findings", "--detector", "nope"}, "version-mismatch, error-5018, failover-storm"},
		{[]string{"search", "--index", case1, "--format", "xml"}, "table, json, ndjson, csv"},
		{[]string{"triage", "--no-index", "--detector", "nope", bundle}, "setup-failure"},
		{[]string{"triage", "--format", "yaml", bundle}, "table, json"},
		{[]string{"parse", "--format", "json", bundle}, "ndjson, table"},
		{[]string{"detectors", "--format", "csv"}, "table, json"},
		{[]string{"report", "--format", "pdf", bundle}, "md"},
		{[]string{"completion", "powershell"}, "bash, zsh, fish"},
		{[]string{"triage", "--fail-on", "fatal", bundle}, "critical"},
	} {
		code, out, errOut := runIn(context.Background(), 0, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("exlog %q: exit %d, stdout %q, stderr %q; want exit 2 naming %q", tc.args, code, out, errOut, tc.want)
		}
	}
	// A wildcard may match, so it passes.
	if code, _, errOut := runIn(context.Background(), 0, "search", "--index", case1, "--count", "--source", "evt*"); code != exitOK {
		t.Errorf("--source evt*: exit %d %s", code, errOut)
	}
}

// Input problems name the path and what was expected, exit 3 (2 for a
// path that does not exist) and leave no index behind.
func TestInputProblems(t *testing.T) {
	dir := caseDir(t)
	os.WriteFile("notes.zip", []byte("not a zip\n"), 0o644)
	os.WriteFile("empty.zip", []byte("PK\x05\x06"+strings.Repeat("\x00", 18)), 0o644)
	os.WriteFile("logs.tar.gz", []byte("plain text"), 0o644)
	os.Mkdir("emptydir", 0o755)
	os.WriteFile("notes.txt", []byte("just notes\n"), 0o644)
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"notes.zip", exitNothing, "notes.zip is not a zip archive"},
		{"empty.zip", exitNothing, "empty.zip is an empty zip"},
		{"logs.tar.gz", exitNothing, "logs.tar.gz is not a gzip archive"},
		{"emptydir", exitNothing, "the folder emptydir is empty"},
		{"missing.zip", exitUsage, "bundle missing.zip does not exist"},
		{"notes.txt", exitNothing, "nothing in notes.txt could be read"},
	} {
		for _, cmd := range [][]string{{"triage"}, {"report", "--format", "md"}} {
			code, _, errOut := runIn(context.Background(), 0, append(cmd, tc.path)...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("%s %s: exit %d, want %d; stderr %q, want %q", cmd[0], tc.path, code, tc.code, errOut, tc.want)
			}
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.exlog"))
	if hidden, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left)+len(hidden) > 0 {
		t.Fatalf("failed runs left %v %v behind", left, hidden)
	}
}

// Ctrl-C (a cancelled context) says "interrupted", exits 4 and leaves no
// index.
func TestInterrupted(t *testing.T) {
	dir := caseDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, _, errOut := runIn(ctx, 0, "triage", quickStart)
	if code != exitIncomplete || !strings.Contains(errOut, "interrupted") || strings.Contains(errOut, "context canceled") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Fatalf("an interrupted triage left files: %v", left)
	}
}

// --out replaces a regular file through a temporary file, refuses links
// and devices without --force, writes through them with it, and names
// the user's path in errors.
func TestOutSafety(t *testing.T) {
	dir := caseDir(t)
	scenario := fixtures.Scenario("ws2016-nodedown-pingpong")
	report := func(args ...string) (int, string, string) {
		return runIn(context.Background(), 0, append([]string{"report", "--format", "md"}, append(args, scenario)...)...)
	}
	// A regular file is replaced whole; nothing else is left in the folder.
	os.WriteFile("r.md", []byte("old"), 0o600)
	if code, out, errOut := report("--out", "r.md"); code != exitOK || !strings.Contains(out, "Report: r.md (FAIL)") {
		t.Fatalf("regular file: exit %d %q %s", code, out, errOut)
	}
	b, _ := os.ReadFile("r.md")
	fi, _ := os.Stat("r.md")
	if !bytes.HasPrefix(b, []byte("# ")) || fi.Mode().Perm() != 0o600 {
		t.Fatalf("r.md: mode %v, starts %q", fi.Mode(), b[:min(20, len(b))])
	}
	// A symbolic link: refused, then written through with --force.
	os.Symlink("target.md", "link.md")
	if code, _, errOut := report("--out", "link.md"); code != exitUsage || !strings.Contains(errOut, "link.md is a symbolic link") {
		t.Fatalf("symlink: exit %d %s", code, errOut)
	}
	if _, err := os.Stat("target.md"); err == nil {
		t.Fatal("the refused run wrote through the link")
	}
	if code, _, errOut := report("--force", "--out", "link.md"); code != exitOK {
		t.Fatalf("symlink --force: exit %d %s", code, errOut)
	}
	if fi, err := os.Lstat("link.md"); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("--force replaced the link instead of writing through it")
	}
	if b, _ := os.ReadFile("target.md"); !bytes.HasPrefix(b, []byte("# ")) {
		t.Fatalf("target.md: %q", b)
	}
	// A device: refused; with --force written into, and its error names
	// the device, not a temporary file.
	if _, err := os.Stat("/dev/full"); err == nil {
		if code, _, errOut := report("--out", "/dev/full"); code != exitUsage || !strings.Contains(errOut, "/dev/full is not a regular file") {
			t.Fatalf("/dev/full: exit %d %s", code, errOut)
		}
		code, _, errOut := report("--force", "--out", "/dev/full")
		if code != exitIncomplete || !strings.Contains(errOut, "cannot write /dev/full: no space left on device") || strings.Contains(errOut, ".tmp") {
			t.Fatalf("/dev/full --force: exit %d %s", code, errOut)
		}
	}
	// A folder, or a folder that does not exist: usage errors naming it.
	if code, _, errOut := report("--out", "."); code != exitUsage || !strings.Contains(errOut, "--out . is a folder") {
		t.Fatalf("folder: exit %d %s", code, errOut)
	}
	if code, _, errOut := report("--out", "no/such/r.md"); code != exitUsage || !strings.Contains(errOut, "the folder no/such does not exist") {
		t.Fatalf("missing folder: exit %d %s", code, errOut)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "fixtures link.md r.md target.md" {
		t.Fatalf("the folder holds %v", names)
	}
}

// Search shows messages without the cluster-log prefix (--raw and JSON
// keep it), merges overlapping context windows and keeps equal times in
// line order.
func TestSearchMessagesContextOrder(t *testing.T) {
	dir := t.TempDir()
	idx := filepath.Join(dir, "c.exlog")
	start := time.Date(2024, 6, 11, 9, 0, 0, 0, time.UTC)
	var evs []*parse.Event
	for i := 1; i <= 12; i++ {
		// Lines 1-12, all within one second: the index holds them at
		// equal times (milliseconds kept, but 3 per stamp).
		tt := start.Add(time.Duration((i-1)/3) * time.Millisecond)
		msg := fmt.Sprintf("00000a3c.00001b4c::2024/06/11-09:00:00.%03d INFO  [RCM] step %d of the group", (i-1)/3, i)
		if i == 5 || i == 7 {
			msg = fmt.Sprintf("00000a3c.00001b4c::2024/06/11-09:00:00.%03d ERR   [RCM] Group G1 failed %d", (i-1)/3, i)
		}
		evs = append(evs, &parse.Event{Time: tt, TimeQuality: parse.TimeUTC, Node: "N1", Source: parse.SourceClusterLog,
			File: "N1/cluster.log", Line: i, Level: parse.LevelInfo, Message: msg})
	}
	writeIndex(t, idx, "C", evs, nil)

	out := searchWide(t, 120, "--index", idx, "--limit", "20", "step")
	var lines []int
	for _, l := range strings.Split(out, "\n") {
		var n int
		if i := strings.Index(l, "cluster.log:"); i >= 0 {
			fmt.Sscanf(l[i+len("cluster.log:"):], "%d", &n)
			lines = append(lines, n)
		}
		if strings.Contains(l, "00000a3c") {
			t.Fatalf("the table shows the raw prefix:\n%s", out)
		}
	}
	if fmt.Sprint(lines) != "[1 2 3 4 6 8 9 10 11 12]" {
		t.Fatalf("lines in the order %v, want line order:\n%s", lines, out)
	}
	raw := searchWide(t, 200, "--index", idx, "--raw", "--limit", "1", "step")
	if !strings.Contains(raw, "00000a3c.00001b4c::2024/06/11-09:00:00.000 INFO  [RCM] step 1") {
		t.Fatalf("--raw lost the line as written:\n%s", raw)
	}
	_, hits := searchJSONOf(t, "--index", idx, "--limit", "1", "step")
	if !strings.HasPrefix(hits[0].Message, "00000a3c.") {
		t.Fatalf("JSON message %q", hits[0].Message)
	}

	// Lines 5 and 7 with two lines of context: windows 3-7 and 5-9 overlap
	// and print as one run 3-9, each line once.
	out = searchWide(t, 120, "--index", idx, "-C", "2", "failed")
	lines = nil
	hitRows := 0
	for _, l := range strings.Split(out, "\n") {
		var n int
		if i := strings.Index(l, "cluster.log:"); i >= 0 {
			fmt.Sscanf(l[i+len("cluster.log:"):], "%d", &n)
			lines = append(lines, n)
		}
		if strings.HasPrefix(l, "│ 1 ") || strings.HasPrefix(l, "│ 2 ") {
			hitRows++
		}
	}
	if fmt.Sprint(lines) != "[3 4 5 6 7 8 9]" || hitRows != 2 {
		t.Fatalf("context rows %v (%d hits numbered):\n%s", lines, hitRows, out)
	}
	code, nd, errOut := exlogRun(t, "search", "--index", idx, "--format", "ndjson", "-C", "2", "failed")
	if code != exitOK || strings.Count(nd, "\n") != 7 {
		t.Fatalf("ndjson context: exit %d, %d lines %s\n%s", code, strings.Count(nd, "\n"), errOut, nd)
	}
}

// Every time of the triage text output carries its quality; a date
// assumed from a file time is never printed.
func TestTimesWithQuality(t *testing.T) {
	scenario := fixtures.Scenario("ex2003-rolling-upgrade-4node")
	code, out, errOut := runIn(context.Background(), 120, "triage", "--no-index", scenario)
	if code != exitOK {
		t.Fatalf("exit %d %s", code, errOut)
	}
	// The 2003 progress logs write only times of day.
	if !strings.Contains(out, "(09:06:41, date unknown)") || strings.Contains(out, "2007-06-12 09:06:41") {
		t.Fatalf("a time of day only is shown with a date:\n%s", out)
	}
	if !strings.Contains(out, "NODE4_cluster.log:6 (2007-06-12 09:20:40.050 UTC)") {
		t.Fatalf("a UTC evidence time lacks its quality:\n%s", out)
	}
	md := reportOf(t, exitOK, "--format", "md", scenario)
	if !strings.Contains(md, "(09:06:41, date unknown)") || strings.Contains(md, "(2007-06-12 09:06:41 UTC)") {
		t.Fatalf("markdown evidence time of day:\n%s", md)
	}
	html := reportOf(t, exitOK, "--format", "html", scenario)
	if !strings.Contains(html, "09:06:41, date unknown") || !strings.Contains(html, "white-space: nowrap; min-width: 64px") {
		t.Fatal("HTML: evidence time of day or unbreakable badges missing")
	}
	var rep struct {
		Findings []struct {
			Evidence []detect.Evidence `json:"evidence"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(reportOf(t, exitOK, "--format", "json", scenario)), &rep); err != nil {
		t.Fatal(err)
	}
	seen := map[parse.TimeQuality]bool{}
	for _, f := range rep.Findings {
		for _, ev := range f.Evidence {
			if ev.Time != "" && ev.TimeQuality == "" {
				t.Errorf("JSON evidence %s has a time without its quality", ev.Where())
			}
			seen[ev.TimeQuality] = true
		}
	}
	if !seen[parse.TimeUTC] || !seen[parse.TimeOfDayOnly] {
		t.Fatalf("JSON evidence qualities %v", seen)
	}
}

func TestPlurals(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{plural(1, "file"), "1 file"},
		{plural(0, "file"), "0 files"},
		{plural(2, "event"), "2 events"},
		{plural(1, "piece of evidence", "pieces of evidence"), "1 piece of evidence"},
		{severityCount(1, detect.Error), "1 error"},
		{severityCount(3, detect.Warning), "3 warnings"},
		{severityCount(2, detect.Critical), "2 critical"},
	} {
		if tc.got != tc.want {
			t.Errorf("%q, want %q", tc.got, tc.want)
		}
	}
	code, out, _ := runIn(context.Background(), 0, "triage", "--no-index", filepath.Join(fixtures.Dir(), "setuplogs", "ex2013-success.log"))
	if code != exitOK || !strings.Contains(out, "Files: 1 file read,") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestShortenMiddleAndWrap(t *testing.T) {
	p := "EX16-N1-321.zip!/Windows_Event_Logs/Windows-Logs.zip!/System.evtx #4711"
	got := shortenMiddle(p, 36)
	if got != "EX16-N1-321.zip!/…/System.evtx #4711" || visibleWidth(got) > 36 {
		t.Fatalf("shortenMiddle: %q (%d wide)", got, visibleWidth(got))
	}
	if shortenMiddle("NODE1/cluster.log:12", 40) != "NODE1/cluster.log:12" {
		t.Fatal("a path that fits changed")
	}
	// A colour open at a line end is closed there and reopened.
	w := wrapText("aa "+markOn+"bb cc"+markOff+" dd", 5)
	if w != "aa "+markOn+"bb"+markOff+"\n"+markOn+"cc"+markOff+" dd" {
		t.Fatalf("wrap %q", w)
	}
	// Below 80 columns a table becomes blocks; off a terminal, plain
	// columns.
	var b bytes.Buffer
	tab := (&env{width: 60}).fitTable(&b, "Name", "Value")
	tab.Append([]string{"a", "one two three"})
	tab.Render()
	if b.String() != "Name:  a\nValue: one two three\n" {
		t.Fatalf("blocks %q", b.String())
	}
	b.Reset()
	tab = (&env{}).fitTable(&b, "Name", "Value")
	tab.Append([]string{"alpha", "x"})
	tab.Render()
	if b.String() != "Name   Value\nalpha  x\n" {
		t.Fatalf("plain %q", b.String())
	}
}

// COLUMNS sets the width, on a terminal or not.
func TestColumnsHonoured(t *testing.T) {
	t.Setenv("COLUMNS", "93")
	if e := newEnv(); e.width != 93 {
		t.Fatalf("width %d", e.width)
	}
}

func TestManPageAndCompletion(t *testing.T) {
	code, out, _ := runIn(context.Background(), 0, "help", "search")
	for _, s := range []string{"NAME\n       exlog search - ", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXAMPLES", "EXIT STATUS", "SEE ALSO"} {
		if code != exitOK || !strings.Contains(out, s) {
			t.Fatalf("help search lacks %q:\n%s", s, out)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, script, errOut := runIn(context.Background(), 0, "completion", shell)
		if code != exitOK || !strings.Contains(script, "exlog") {
			t.Fatalf("completion %s: exit %d %s", shell, code, errOut)
		}
		bin, err := exec.LookPath(shell)
		if err != nil {
			t.Logf("%s is not installed; its script is not checked (apt-get install %s)", shell, shell)
			continue
		}
		f := filepath.Join(t.TempDir(), "exlog."+shell)
		os.WriteFile(f, []byte(script), 0o644)
		if out, err := exec.Command(bin, "-n", f).CombinedOutput(); err != nil {
			t.Fatalf("%s -n: %v\n%s", shell, err, out)
		}
		if shell == "fish" {
			got, err := exec.Command(bin, "-c", "source "+f+"; complete -C 'exlog search --level '; complete -C 'exlog tri'").CombinedOutput()
			var words []string
			for _, l := range strings.Split(strings.TrimSpace(string(got)), "\n") {
				words = append(words, strings.SplitN(l, "\t", 2)[0])
			}
			if err != nil || strings.Join(words, " ") != "critical debug error info verbose warning triage" {
				t.Fatalf("fish completion: %v\n%s", err, got)
			}
		}
		if shell != "bash" {
			continue
		}
		// Complete "exlog search --level " and "exlog tri".
		probe := `source ` + f + `
COMP_WORDS=(exlog search --level ""); COMP_CWORD=3; _exlog; echo "${COMPREPLY[*]}"
COMP_WORDS=(exlog tri); COMP_CWORD=1; _exlog; echo "${COMPREPLY[*]}"
COMP_WORDS=(exlog report --format ""); COMP_CWORD=3; _exlog; echo "${COMPREPLY[*]}"`
		got, err := exec.Command(bin, "-c", probe).CombinedOutput()
		if err != nil || string(got) != "critical error warning info verbose debug\ntriage\nmd html json\n" {
			t.Fatalf("bash completion: %v\n%s", err, got)
		}
	}
}

// Control characters and escape sequences in a log line reach a terminal
// escaped, never as themselves; JSON keeps the text as it was.
func TestTerminalEscapes(t *testing.T) {
	idx := filepath.Join(t.TempDir(), "e.exlog")
	msg := "evil \x1b[2Jcleared\x1b[31m red\r over\x07 bell"
	writeIndex(t, idx, "E", []*parse.Event{{Time: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), TimeQuality: parse.TimeUTC,
		Node: "N\x1b[1m1", Source: parse.SourceSetupLog, File: "x/setup.log", Line: 1, Level: parse.LevelError, Message: msg}}, nil)
	for _, width := range []int{0, 60, 120} {
		out := searchWide(t, width, "--index", idx, "evil")
		if strings.ContainsAny(out, "\x1b\r\x07") || !strings.Contains(out, `evil \x1b[2Jcleared`) {
			t.Errorf("width %d: raw control characters reach the terminal:\n%q", width, out)
		}
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"search", "--index", idx, "--highlight", "evil"}, &env{stdout: &out, stderr: &errb, stdoutTTY: true, width: 120}); code != exitOK {
		t.Fatal(errb.String())
	}
	if strings.Count(out.String(), "\x1b[") != 2 || !strings.Contains(out.String(), markOn+"evil"+markOff) {
		t.Errorf("highlight: only the marks may be escape sequences:\n%q", out.String())
	}
	_, hits := searchJSONOf(t, "--index", idx, "evil")
	if hits[0].Message != msg {
		t.Errorf("JSON message %q", hits[0].Message)
	}
}
