package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/cmd/internal/triage"
	"github.com/exlog/exlog/parse/parsetest"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
)

var update = flag.Bool("update", false, "rewrite the README screenshot of the HTML report (fixtures/screenshots)")

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// upgradeTriage is a small two-node upgrade: NODE1 upgraded from 2007 RTM
// to SP1, NODE2's upgrade failed, a failover between them, and findings.
func upgradeTriage() *triage.Result {
	return &triage.Result{
		Bundle: "case-1",
		Index:  "/somewhere/case-1.exlog",
		Start:  ts("2008-03-15T23:00:00Z"), End: ts("2008-03-16T02:00:00Z"),
		Files: []*parse.Report{
			{Path: "NODE1/ExchangeSetup.log", Format: "setuplog", Node: "NODE1", Events: 40, Status: parse.StatusOK},
			{Path: "NODE2/ExchangeSetup.log", Format: "setuplog", Node: "NODE2", Events: 30, Status: parse.StatusPartial,
				Skipped: 2, Problems: []parse.Problem{{Where: "line 12", Reason: "not a setup line"}}},
			{Path: "notes.txt", Status: parse.StatusUnknown},
		},
		Nodes: []triage.NodeSummary{
			{Name: "NODE1", Build: "8.1.240.6", Release: "Exchange 2007 SP1", Events: map[string]int{"setuplog": 40},
				Builds: []triage.BuildSummary{
					{Build: "8.0.685.24", Seen: []string{"previous"}, Where: "NODE1/ExchangeSetup.log:2"},
					{Build: "8.1.240.6", Seen: []string{"setup-succeeded"}, Where: "NODE1/ExchangeSetup.log:2"},
				}},
			{Name: "NODE2", Build: "8.0.685.24", Events: map[string]int{"setuplog": 30},
				Builds: []triage.BuildSummary{{Build: "8.0.685.24", Seen: []string{"previous"}, Where: "NODE2/ExchangeSetup.log:2"}}},
		},
		Times: []triage.TimeSource{
			{File: "NODE1/ExchangeSetup.log", Format: "setuplog", Node: "NODE1", Quality: parse.TimeLocalUnknownOffset, Events: 40,
				First: ts("2008-03-15T23:00:00Z"), Last: ts("2008-03-15T23:40:00Z")},
			{File: "NODE2/ExchangeSetup.log", Format: "setuplog", Node: "NODE2", Quality: parse.TimeLocalKnownOffset, Events: 30,
				Offset: "+01:00", Zone: "(UTC+01:00) Amsterdam", First: ts("2008-03-16T01:00:00Z"), Last: ts("2008-03-16T02:30:00Z")},
		},
		Cluster: &triage.ClusterSummary{Kind: "failover cluster (Windows 2008 or later)", Nodes: []string{"NODE1", "NODE2"},
			Groups: []triage.GroupSummary{{Name: "CMS1", Exchange: true, Owner: "NODE1", Moves: 1, Failovers: 1}}},
		Timeline: []triage.Entry{
			{Time: ts("2008-03-15T23:00:00Z"), End: ts("2008-03-15T23:30:00Z"), Kind: triage.KindSetupRun, Node: "NODE1", Mode: "Upgrade",
				From: "8.0.685.24", To: "8.1.240.6", Result: detect.RunSucceeded, Summary: "Setup (Upgrade) from 8.0.685.24 to 8.1.240.6 succeeded after 30m0s",
				Where: "NODE1/ExchangeSetup.log:2", TimeQuality: parse.TimeLocalUnknownOffset},
			{Time: ts("2008-03-15T23:35:00Z"), Kind: triage.KindFailover, Node: "NODE1", Group: "CMS1", From: "NODE2", To: "NODE1",
				Summary: "Group CMS1 failed over from NODE2 to NODE1", Where: "cluster.log:7", TimeQuality: parse.TimeUTC},
			{Time: ts("2008-03-16T01:00:00Z"), End: ts("2008-03-16T01:20:00Z"), Kind: triage.KindSetupRun, Node: "NODE2", Mode: "Upgrade",
				From: "8.0.685.24", To: "8.1.240.6", Result: detect.RunFailed, Summary: "Setup (Upgrade) from 8.0.685.24 to 8.1.240.6 failed after 20m0s",
				Where: "NODE2/ExchangeSetup.log:2", TimeQuality: parse.TimeLocalKnownOffset},
		},
		Findings: []detect.Finding{
			{Detector: "failover-storm", Severity: detect.Warning, Nodes: []string{"NODE1", "NODE2"}, Groups: []string{"CMS1"},
				Start: ts("2008-03-15T23:35:00Z"), Summary: "CMS1 failed over once", Explanation: "It moved.\n\nThen it stayed.",
				Evidence: []detect.Evidence{{File: "cluster.log", Line: 7, Text: "move of group CMS1"}}},
			{Detector: "setup-failure", Severity: detect.Error, Nodes: []string{"NODE2"}, Start: ts("2008-03-16T01:20:00Z"),
				Summary: "NODE2: setup failed", Remediation: "Fix the prerequisite and run setup again.",
				References: []string{"https://learn.microsoft.com/exchange/setup", "KB 123456"},
				Evidence:   []detect.Evidence{{File: "NODE2/ExchangeSetup.log", Line: 12, Time: "2008-03-16T01:20:00Z", Text: "[ERROR] The task failed"}},
				Details:    map[string]string{"mode": "Upgrade", "error_code": "0x80004005"}},
		},
	}
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		sevs   []detect.Severity
		result string
		high   string
		text   string
	}{
		{nil, Pass, "none", "No problem found: no findings."},
		{[]detect.Severity{detect.Info}, Pass, "info", "No problem found: 1 info finding."},
		{[]detect.Severity{detect.Info, detect.Warning, detect.Warning}, Attention, "warning", "The upgrade needs attention: 2 warning, 1 info findings."},
		{[]detect.Severity{detect.Warning, detect.Error}, Fail, "error", "The upgrade needs fixing: 1 error, 1 warning findings."},
		{[]detect.Severity{detect.Critical}, Fail, "critical", "The upgrade needs fixing: 1 critical finding."},
	}
	for _, tc := range tests {
		tr := &triage.Result{Bundle: "b"}
		for i, s := range tc.sevs {
			tr.Findings = append(tr.Findings, detect.Finding{Detector: "d", Severity: s, Summary: string(rune('a' + i))})
		}
		v := New(tr).Verdict
		if v.Result != tc.result || v.Highest != tc.high || v.Text != tc.text {
			t.Errorf("%v: got %s %s %q, want %s %s %q", tc.sevs, v.Result, v.Highest, v.Text, tc.result, tc.high, tc.text)
		}
	}
}

func TestNodeMatrix(t *testing.T) {
	r := New(upgradeTriage())
	if len(r.Nodes) != 2 {
		t.Fatalf("%d nodes", len(r.Nodes))
	}
	n1, n2 := r.Nodes[0], r.Nodes[1]
	if n1.Name != "NODE1" || n1.Status != NodeUpgraded || n1.Before.Build != "8.0.685.24" || n1.Before.Release != "Exchange 2007 RTM" ||
		n1.After.Build != "8.1.240.6" || n1.After.Release != "Exchange 2007 SP1" || n1.SetupRuns != 1 || n1.Target != nil ||
		strings.Join(n1.Groups, ",") != "CMS1" || !n1.InCluster {
		t.Errorf("NODE1 row %+v", n1)
	}
	if n2.Name != "NODE2" || n2.Status != NodeFailed || n2.Before.Build != "8.0.685.24" || n2.After.Build != "8.0.685.24" ||
		n2.Target == nil || n2.Target.Build != "8.1.240.6" || n2.FailedRuns != 1 {
		t.Errorf("NODE2 row %+v", n2)
	}
	if got := statusText(n2); got != "upgrade to 8.1.240.6 = Exchange 2007 SP1 failed" {
		t.Errorf("NODE2 status text %q", got)
	}
	// The report's span covers every event of the time sources, the
	// detectors' span only the events they kept.
	if !r.Start.Equal(ts("2008-03-15T23:00:00Z")) || !r.End.Equal(ts("2008-03-16T02:30:00Z")) {
		t.Errorf("span %s to %s", r.Start, r.End)
	}
}

func TestNodeStatuses(t *testing.T) {
	run := func(result, from, to string) triage.Entry {
		return triage.Entry{Time: ts("2020-01-01T10:00:00Z"), Kind: triage.KindSetupRun, Node: "N", Mode: "Upgrade", From: from, To: to, Result: result}
	}
	tests := []struct {
		name    string
		current string
		runs    []triage.Entry
		want    string
	}{
		{"no build, no run", "", nil, NodeUnknown},
		{"build from the registry only", "15.1.2507.6", nil, NodeNoRun},
		{"upgraded", "15.1.2507.6", []triage.Entry{run(detect.RunSucceeded, "15.1.2375.7", "15.1.2507.6")}, NodeUpgraded},
		{"same build again", "15.1.2507.6", []triage.Entry{run(detect.RunSucceeded, "15.1.2507.6", "15.1.2507.6")}, NodeUnchanged},
		{"failed, then succeeded", "15.1.2507.6", []triage.Entry{run(detect.RunFailed, "15.1.2375.7", "15.1.2507.6"), run(detect.RunSucceeded, "15.1.2375.7", "15.1.2507.6")}, NodeUpgraded},
		{"succeeded, then failed", "15.1.2507.6", []triage.Entry{run(detect.RunSucceeded, "15.1.2375.7", "15.1.2507.6"), run(detect.RunFailed, "15.1.2507.6", "15.1.2507.6")}, NodeFailed},
		{"no end", "15.1.2375.7", []triage.Entry{run(detect.RunIncomplete, "15.1.2375.7", "15.1.2507.6")}, NodeIncomplete},
		{"2003 run without builds", "", []triage.Entry{run(detect.RunSucceeded, "", "")}, NodeSucceeded},
		{"/PrepareAD only", "15.1.2507.6", []triage.Entry{{Kind: triage.KindSetupRun, Node: "N", Mode: "PrepareAD", Result: detect.RunFailed}}, NodeNoRun},
	}
	for _, tc := range tests {
		tr := &triage.Result{Nodes: []triage.NodeSummary{{Name: "N", Build: tc.current}}, Timeline: tc.runs}
		if got := New(tr).Nodes[0].Status; got != tc.want {
			t.Errorf("%s: status %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestTimelineHoldsFindings(t *testing.T) {
	r := New(upgradeTriage())
	var kinds []string
	for _, e := range r.Timeline {
		k := e.Kind
		if e.Finding != "" {
			k += ":" + e.Finding
		}
		kinds = append(kinds, k)
	}
	// Findings are numbered most severe first; the timeline is in time
	// order, a finding after what happened at the same moment.
	want := "setup-run failover finding:F2 setup-run finding:F1"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("timeline %s, want %s", got, want)
	}
	if r.Findings[0].ID != "F1" || r.Findings[0].Detector != "setup-failure" {
		t.Errorf("first finding %s %s", r.Findings[0].ID, r.Findings[0].Detector)
	}
}

func TestClusteredServers(t *testing.T) {
	tr := upgradeTriage()
	tr.Timeline = append(tr.Timeline, triage.Entry{Time: ts("2008-03-15T23:45:00Z"), End: ts("2008-03-15T23:50:00Z"),
		Kind: triage.KindClusteredServer, Node: "NODE1", Group: "CMS1", Mode: "upgradecms", To: "8.1.240.6",
		Result: detect.RunSucceeded, Where: "NODE1/ExchangeSetup.log:60"})
	cs := New(tr).ClusteredServers
	if len(cs) != 1 || cs[0].Name != "CMS1" || cs[0].Kind != "CMS" || cs[0].Status != CSUpgraded ||
		cs[0].Build == nil || cs[0].Build.Build != "8.1.240.6" || cs[0].Owner != "NODE1" {
		t.Fatalf("clustered servers %+v", cs)
	}
	// A later failed attempt keeps the build the success showed.
	tr.Timeline = append(tr.Timeline, triage.Entry{Time: ts("2008-03-16T00:45:00Z"), Kind: triage.KindClusteredServer, Node: "NODE1",
		Group: "CMS1", Mode: "upgradecms", To: "8.1.291.2", Result: detect.RunFailed, Where: "NODE1/ExchangeSetup.log:90"})
	cs = New(tr).ClusteredServers
	if cs[0].Status != CSFailed || cs[0].Build.Build != "8.1.240.6" {
		t.Fatalf("after a failed upgrade %+v %+v", cs[0], cs[0].Build)
	}
}

// A report renders the same bytes every time, and its JSON reads back
// into the same report.
func TestRenderStable(t *testing.T) {
	for _, f := range []Format{Markdown, HTML, JSON} {
		a, err := Render(New(upgradeTriage()), f)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Render(New(upgradeTriage()), f)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renders differ", f)
		}
		if bytes.Contains(a, []byte("/somewhere")) {
			t.Errorf("%s: the index path is in the report", f)
		}
	}
	js, _ := Render(New(upgradeTriage()), JSON)
	var back Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := Render(&back, JSON)
	if !bytes.Equal(js, again) {
		t.Errorf("JSON does not read back into the same report")
	}
}

// markdown renders the report of r as Markdown.
func markdown(t *testing.T, r *triage.Result) string {
	t.Helper()
	b, err := Render(New(r), Markdown)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMarkdownContent(t *testing.T) {
	md := markdown(t, upgradeTriage())
	for _, want := range []string{
		"# exlog report: case-1\n",
		"**Verdict: FAIL.** The upgrade needs fixing: 1 error, 1 warning findings.",
		"- **Covers:** 2008-03-15 23:00:00 to 2008-03-16 02:30:00 UTC (3h30m)",
		"| **NODE2** | 8.0.685.24 = Exchange 2007 RTM | 8.0.685.24 = Exchange 2007 RTM | upgrade to 8.1.240.6 = Exchange 2007 SP1 failed | 1 (1 failed) |",
		"| 2008-03-15 23:00:00 † | NODE1 | setup run |",
		"| local time, known offset | 30 | 1 | setuplog | +01:00 (UTC+01:00) Amsterdam |",
		"### F1 · ERROR · NODE2: setup failed",
		"- **error_code:** 0x80004005",
		"   ```text\n   [ERROR] The task failed\n   ```",
		"- <https://learn.microsoft.com/exchange/setup>\n- KB 123456\n",
		"| `NODE2/ExchangeSetup.log` | setuplog | NODE2 | 30 | partial | local time, known offset | 2 skipped; line 12: not a setup line |",
		"| `notes.txt` |  |  | 0 | unknown |  | no parser recognised the content |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
}

// hostileTriage carries markup, pipes, newlines and addresses in every
// text a report prints.
func hostileTriage() *triage.Result {
	tr := upgradeTriage()
	bad := "<script src=\"https://evil.example/x.js\"></script> | `tick` ```fence``` *star* _u_ [l](http://evil.example) <img src=x onerror=alert(1)>\nsecond line @import url(https://evil.example/a.css);"
	tr.Bundle = bad
	tr.Files[0].Path = bad
	tr.Files[1].Problems[0].Reason = bad
	tr.Timeline[0].Summary = bad
	tr.Timeline[1].Group = bad
	tr.Cluster.Groups[0].Name = bad
	tr.Findings[0].Summary = bad
	tr.Findings[0].Explanation = bad
	tr.Findings[0].Evidence[0].Text = bad
	tr.Findings[0].References = []string{bad, "javascript:alert(1)", "https://learn.microsoft.com/x"}
	tr.Findings[0].Details = map[string]string{bad: bad}
	tr.Findings[0].Cause = bad
	return tr
}

var (
	tagRE  = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9:-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>`)
	attrRE = regexp.MustCompile(`([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)`)
	// Elements that load or run something.
	loadingTags = map[string]bool{"script": true, "link": true, "img": true, "iframe": true, "frame": true, "object": true,
		"embed": true, "image": true, "use": true, "base": true, "audio": true, "video": true, "source": true, "track": true,
		"applet": true, "form": true, "input": true, "picture": true, "feimage": true, "portal": true}
	// Attributes whose value is an address.
	urlAttrs = map[string]bool{"src": true, "href": true, "xlink:href": true, "action": true, "formaction": true,
		"poster": true, "data": true, "background": true, "srcset": true, "ping": true, "cite": true, "manifest": true,
		"codebase": true, "longdesc": true, "lowsrc": true, "dynsrc": true}
)

// externalRefs lists everything in a page that could make a browser
// fetch a resource or run code: loading elements, addresses that are not
// in-page anchors, CSS imports and url() in styles, event handlers and
// meta refreshes.
func externalRefs(page string) []string {
	var out []string
	for _, m := range tagRE.FindAllStringSubmatch(page, -1) {
		name := strings.ToLower(m[1])
		if loadingTags[name] {
			out = append(out, "element <"+name+">")
		}
		for _, a := range attrRE.FindAllStringSubmatch(m[2], -1) {
			attr := strings.ToLower(a[1])
			val := strings.Trim(a[2], `"'`)
			switch {
			case urlAttrs[attr] && !strings.HasPrefix(val, "#"):
				out = append(out, "<"+name+" "+attr+"="+val+">")
			case strings.HasPrefix(attr, "on"):
				out = append(out, "event handler "+attr)
			case attr == "style" && (strings.Contains(strings.ToLower(val), "url(") || strings.Contains(val, "@import")):
				out = append(out, "style attribute "+val)
			case name == "meta" && attr == "http-equiv":
				out = append(out, "meta http-equiv "+val)
			}
		}
	}
	for rest := page; ; {
		i := strings.Index(rest, "<style")
		if i < 0 {
			break
		}
		j := strings.Index(rest[i:], "</style>")
		if j < 0 {
			out = append(out, "unterminated <style>")
			break
		}
		css := strings.ToLower(rest[i : i+j])
		if strings.Contains(css, "@import") || strings.Contains(css, "url(") {
			out = append(out, "CSS @import or url() in <style>")
		}
		rest = rest[i+j:]
	}
	return out
}

// The check itself must catch what it is for.
func TestExternalRefsCatches(t *testing.T) {
	for _, page := range []string{
		`<img src="https://x/y.png">`, `<a href="https://x">x</a>`, `<a href="//x">x</a>`,
		`<style>@import "x.css";</style>`, `<style>body{background:url(https://x/y.png)}</style>`,
		`<div style="background:url(http://x)">`, `<svg><use xlink:href="https://x#a"/></svg>`,
		`<svg><image href="x.png"/></svg>`, `<link rel="stylesheet" href="x.css">`, `<body onload="fetch('x')">`,
		`<meta http-equiv="refresh" content="0;url=https://x">`,
	} {
		if len(externalRefs(page)) == 0 {
			t.Errorf("not caught: %s", page)
		}
	}
	if got := externalRefs(`<a href="#F1">F1</a><svg id="timeline" viewBox="0 0 10 10"><rect x="1"/></svg>`); len(got) > 0 {
		t.Errorf("false alarm: %v", got)
	}
}

// The HTML report loads nothing: no script, no external address, no CSS
// import, whatever the logs held.
func TestHTMLSelfContained(t *testing.T) {
	pages := map[string]*Report{"hostile": New(hostileTriage()), "upgrade": New(upgradeTriage())}
	for name, r := range goldenReports(t) {
		pages[name] = r
	}
	for name, r := range pages {
		b, err := Render(r, HTML)
		if err != nil {
			t.Fatal(err)
		}
		if refs := externalRefs(string(b)); len(refs) > 0 {
			t.Errorf("%s: the HTML report refers to outside resources: %v", name, refs)
		}
		if !bytes.Contains(b, []byte(`<svg id="timeline"`)) || !bytes.Contains(b, []byte(`<table id="build-matrix">`)) {
			t.Errorf("%s: no timeline or build matrix", name)
		}
	}
	// The hostile text is on the page, as text.
	b, _ := Render(New(hostileTriage()), HTML)
	if !bytes.Contains(b, []byte("&lt;script src=&#34;https://evil.example/x.js&#34;&gt;")) {
		t.Errorf("hostile text not shown escaped")
	}
}

// Markdown tables keep their shape whatever the cells hold.
func TestMarkdownTablesHold(t *testing.T) {
	md := markdown(t, hostileTriage())
	checkMarkdownTables(t, md)
	// Outside code, markup is escaped.
	for _, want := range []string{
		"# exlog report: \\<script src=\"https://evil.example/x.js\">\\</script> \\| \\`tick\\`",
		"### F2 · WARNING · \\<script",
		"\\*star\\* \\_u\\_ \\[l\\](http://evil.example) \\<img src=x onerror=alert(1)> second line",
		"\n\\<script src=",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
}

// checkMarkdownTables verifies that every row of every table has as many
// cells as the table's header.
func checkMarkdownTables(t *testing.T, md string) {
	t.Helper()
	// As on GitHub (cmark-gfm), a pipe right after a backslash is part
	// of the cell, even inside a code span.
	cells := func(line string) int {
		n := 0
		for i := 0; i < len(line); i++ {
			if line[i] == '|' && (i == 0 || line[i-1] != '\\') {
				n++
			}
		}
		return n - 1
	}
	want := -1
	for i, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "| ") {
			want = -1
			continue
		}
		if want < 0 {
			want = cells(line)
			continue
		}
		if got := cells(line); got != want {
			t.Errorf("line %d: %d cells, the header has %d: %s", i+1, got, want, line)
		}
	}
}

// goldenReports reads the golden JSON reports of the scenario bundles
// (written by the cmd/exlog golden test) back into reports.
func goldenReports(t *testing.T) map[string]*Report {
	t.Helper()
	paths, _ := filepath.Glob(fixtures.Scenario("*.report.golden.json"))
	out := map[string]*Report{}
	for _, p := range paths {
		b := parsetest.ReadFile(t, p)
		var r Report
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		// The schema is stable: the file reads back into the same bytes.
		if again, _ := Render(&r, JSON); !bytes.Equal(again, b) {
			t.Errorf("%s does not read back into the same report", p)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".report.golden.json")] = &r
	}
	return out
}

func TestGoldenMarkdownTables(t *testing.T) {
	paths, _ := filepath.Glob(fixtures.Scenario("*.report.golden.md"))
	for _, p := range paths {
		b := parsetest.ReadFile(t, p)
		checkMarkdownTables(t, string(b))
	}
}

func TestFormats(t *testing.T) {
	tests := []struct {
		path string
		want Format
		ok   bool
	}{
		{"r.md", Markdown, true}, {"dir.x/R.HTML", HTML, true}, {"r.htm", HTML, true}, {"out/r.json", JSON, true},
		{"r.markdown", Markdown, true}, {"r.pdf", "", false}, {"report", "", false},
	}
	for _, tc := range tests {
		got, err := FormatOf(tc.path)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("FormatOf(%q) = %q, %v", tc.path, got, err)
		}
	}
}

func TestAxisCutsIdleGaps(t *testing.T) {
	times := []time.Time{
		ts("2024-01-10T08:00:00Z"), ts("2024-01-10T09:30:00Z"), // an old setup run
		ts("2024-03-01T10:00:00Z"), ts("2024-03-01T10:20:00Z"), ts("2024-03-01T12:00:00Z"), // the upgrade day
	}
	ax := newAxis(times)
	if len(ax) != 2 {
		t.Fatalf("%d segments, want 2: %+v", len(ax), ax)
	}
	last := -1.0
	for _, tm := range times {
		x := ax.x(tm)
		if x < svgPlotX0 || x > svgPlotX1 || x <= last {
			t.Errorf("x(%s) = %.1f after %.1f", tm, x, last)
		}
		last = x
	}
	// Times of a few hours keep one scale.
	if ax := newAxis(times[2:]); len(ax) != 1 {
		t.Errorf("one day cut into %d segments", len(ax))
	}
}

// FuzzRender feeds arbitrary text into every string a report prints; no
// format may panic, the HTML must stay self-contained and the Markdown
// tables must keep their shape.
func FuzzRender(f *testing.F) {
	f.Add("plain", "a | b", "<b>x</b>\n```")
	f.Add("", "", "")
	f.Add("\xff\xfe", "\\|", "`` ` ``")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		tr := upgradeTriage()
		tr.Bundle = a
		tr.Files[0].Path = b
		tr.Findings[0].Summary = c
		tr.Findings[0].Evidence[0].Text = a + c
		tr.Timeline[0].Summary = b
		tr.Nodes[0].Name = c
		tr.Findings[1].References = []string{a, "https://" + b}
		r := New(tr)
		for _, format := range []Format{Markdown, HTML, JSON} {
			out, err := Render(r, format)
			if err != nil {
				t.Fatal(err)
			}
			switch format {
			case HTML:
				if refs := externalRefs(string(out)); len(refs) > 0 {
					t.Fatalf("external references %v", refs)
				}
			case Markdown:
				checkMarkdownTables(t, string(out))
			}
		}
	})
}

// An index written before triage stored times and a timeline still gives
// a report, which says what it lacks.
func TestOlderIndexNote(t *testing.T) {
	tr := upgradeTriage()
	tr.Times, tr.Timeline = nil, nil
	r := New(tr)
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "older exlog") {
		t.Errorf("notes %q", r.Notes)
	}
	if len(r.Timeline) != 2 || r.Timeline[0].Kind != triage.KindFinding {
		t.Errorf("timeline %+v", r.Timeline)
	}
	if len(New(upgradeTriage()).Notes) != 0 {
		t.Errorf("a current triage has notes")
	}
}
