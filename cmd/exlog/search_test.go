package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/index"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

var case1Start = time.Date(2024, 6, 11, 9, 0, 0, 0, time.UTC)

// case1Events is a failover bundle whose counts the tests read off the
// loops:
//
//   - NODE1 System.evtx: 24 records, one per 5 minutes from 09:05;
//     record%4==0 a 1069 error (6), ==1 a 1205 error (6), else a 7036
//     info (12).
//   - NODE2 System.evtx: 24 records at the same times; record%6==0 a 1069
//     error (4), ==1 a 1135 warning (4), else a 7036 info (16).
//   - NODE2 cluster.log: 30 lines, one a minute from 09:31; every 5th an
//     error "could not be brought online" for EVS1 (6).
//   - NODE1 ExchangeSetup.log: 20 lines, one per 30 s from 08:00:30; line
//     12 is the run's only error.
//   - NODE1 registry export: one value, no time.
//
// 99 events; in 09:00-10:00, System records 1-11 of each node (record 24
// is moved to 11:00) and cluster lines 1-29.
func case1Events() []*parse.Event {
	var evs []*parse.Event
	for _, node := range []string{"NODE1", "NODE2"} {
		for rec := 1; rec <= 24; rec++ {
			e := &parse.Event{
				Time: case1Start.Add(time.Duration(rec) * 5 * time.Minute), TimeQuality: parse.TimeUTC,
				Node: node, Source: parse.SourceEVTX, File: "CASE1/" + node + "/System.evtx", Record: uint64(5000 + rec), Offset: int64(rec) * 4096,
				Provider: "Service Control Manager", EventID: 7036, Level: parse.LevelInfo,
				Message: "The Cluster Service service entered the running state.",
			}
			if rec == 24 {
				e.Time = case1Start.Add(2 * time.Hour)
			}
			switch {
			case node == "NODE1" && rec%4 == 0, node == "NODE2" && rec%6 == 0:
				e.Provider, e.EventID, e.Level = "Microsoft-Windows-FailoverClustering", 1069, parse.LevelError
				e.Message = "Cluster resource 'Exchange Information Store Instance (EVS1)' in clustered service or application 'EVS1' failed."
			case node == "NODE1" && rec%4 == 1:
				e.Provider, e.EventID, e.Level = "Microsoft-Windows-FailoverClustering", 1205, parse.LevelError
				e.Message = "The Cluster service failed to bring clustered service or application 'EVS1' completely online or offline."
			case node == "NODE2" && rec%6 == 1:
				e.Provider, e.EventID, e.Level = "Microsoft-Windows-FailoverClustering", 1135, parse.LevelWarning
				e.Message = "Cluster node 'NODE1' was removed from the active failover cluster membership."
			}
			evs = append(evs, e)
		}
	}
	for i := 1; i <= 30; i++ {
		e := &parse.Event{
			Time: case1Start.Add(30*time.Minute + time.Duration(i)*time.Minute), TimeQuality: parse.TimeUTC,
			Node: "NODE2", Source: parse.SourceClusterLog, File: "CASE1/NODE2/cluster.log", Line: i,
			Level: parse.LevelInfo, Message: fmt.Sprintf("[RCM] rcm::RcmGroup::UpdateStateIfChanged: (EVS1, Pending --> Online) step %d", i),
		}
		if i%5 == 0 {
			e.Level = parse.LevelError
			e.Message = "[RCM] Group EVS1 could not be brought online on node NODE2 (0x8007139f)"
			e.SetField("group", "EVS1")
		}
		evs = append(evs, e)
	}
	for i := 1; i <= 20; i++ {
		e := &parse.Event{
			Time: case1Start.Add(-time.Hour + time.Duration(i)*30*time.Second), TimeQuality: parse.TimeLocalUnknownOffset,
			Node: "NODE1", Source: parse.SourceSetupLog, File: "CASE1/NODE1/ExchangeSetupLogs/ExchangeSetup.log", Line: i, Run: 1,
			Level: parse.LevelInfo, Message: fmt.Sprintf("[06/11/2024 08:%02d:%02d.0000] [1] Executing: task %d", i/2, 30*(i%2), i),
		}
		if i == 12 {
			e.Level = parse.LevelError
			e.Message = "[ERROR] Setup cannot continue with the upgrade because the 'beremote' (3956) process has open files."
		}
		evs = append(evs, e)
	}
	evs = append(evs, &parse.Event{
		TimeQuality: parse.TimeNone, Node: "NODE1", Source: parse.SourceRegistry, File: "CASE1/NODE1/Exchange.reg", Line: 1,
		Message: `HKLM\SOFTWARE\Microsoft\ExchangeServer\v14\Setup MsiProductMajor=14`,
	})
	return evs
}

// case2Events is a later bundle of another node: 10 System records from
// 2024-06-20 12:00, every even record a 1069 (5), the others 7036 (5).
func case2Events() []*parse.Event {
	var evs []*parse.Event
	for rec := 1; rec <= 10; rec++ {
		e := &parse.Event{
			Time: time.Date(2024, 6, 20, 12, rec, 0, 0, time.UTC), TimeQuality: parse.TimeUTC,
			Node: "NODE3", Source: parse.SourceEVTX, File: "CASE2/NODE3/System.evtx", Record: uint64(rec), Offset: int64(rec) * 4096,
			Provider: "Service Control Manager", EventID: 7036, Level: parse.LevelInfo,
			Message: "The Cluster Service service entered the running state.",
		}
		if rec%2 == 0 {
			e.Provider, e.EventID, e.Level = "Microsoft-Windows-FailoverClustering", 1069, parse.LevelError
			e.Message = "Cluster resource 'Exchange Information Store Instance (EVS2)' in clustered service or application 'EVS2' failed."
		}
		evs = append(evs, e)
	}
	return evs
}

var case1Findings = []detect.Finding{{
	Detector: "failover-storm", Severity: detect.Error, Nodes: []string{"NODE2"}, Groups: []string{"EVS1"},
	Start: case1Start.Add(35 * time.Minute), Summary: "EVS1 could not be brought online on NODE2 6 times",
	Explanation: "The group failed repeatedly.", Evidence: []detect.Evidence{{File: "CASE1/NODE2/cluster.log", Line: 5}},
}}

func writeIndex(t *testing.T, path, bundle string, evs []*parse.Event, findings []detect.Finding) {
	t.Helper()
	w, err := index.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		w.Add(e)
	}
	if err := w.AddFindings(findings); err != nil {
		t.Fatal(err)
	}
	if err := w.SetMeta(map[string]any{"bundle": bundle}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// caseIndexes writes CASE1.exlog and CASE2.exlog into a new directory.
func caseIndexes(t *testing.T) (dir, case1, case2 string) {
	t.Helper()
	dir = t.TempDir()
	case1, case2 = filepath.Join(dir, "CASE1.exlog"), filepath.Join(dir, "CASE2.exlog")
	writeIndex(t, case1, "CASE1", case1Events(), case1Findings)
	writeIndex(t, case2, "CASE2", case2Events(), nil)
	return dir, case1, case2
}

// searchWide runs a search as on a terminal of width columns.
func searchWide(t *testing.T, width int, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"search"}, args...), &env{stdout: &out, stderr: &errb, width: width})
	if code != exitOK {
		t.Fatalf("exlog search %q: exit %d\n%s", args, code, errb.String())
	}
	return out.String()
}

func searchOK(t *testing.T, args ...string) string {
	t.Helper()
	out, _ := exlogWant(t, exitOK, append([]string{"search"}, args...)...)
	return out
}

func TestSearchCounts(t *testing.T) {
	_, case1, case2 := caseIndexes(t)
	tests := []struct {
		args []string
		want int
	}{
		{nil, 99},
		{[]string{`+node:node2 +event_id:1069`}, 4},
		{[]string{`"could not be brought online"`}, 6},
		{[]string{`provider:Microsoft-Windows-Failover*`}, 20},
		{[]string{`message:/0x8007[0-9a-f]+/`}, 6},
		{[]string{`event_id:>=1100`}, 6 + 4 + 28},
		{[]string{`+event_id:>=1100`, `+event_id:<2000`}, 10},
		{[]string{`+time:>="2024-06-11T09:00:00Z" +time:<"2024-06-11T10:00:00Z"`}, 11 + 11 + 29},
		{[]string{"--node", "node1.contoso.com", "--event-id", "1069,1205"}, 12},
		{[]string{"--event-id", "1000-1999"}, 20},
		{[]string{"--event-id", ">=7000", "--node", "NODE2"}, 16},
		{[]string{"--source", "clusterlog", "--level", "error"}, 6},
		{[]string{"--provider", "Service*"}, 28},
		{[]string{"--file", "CASE1/NODE1/*"}, 24 + 20 + 1},
		{[]string{"--since", "2024-06-11T09:00:00Z", "--until", "2024-06-11T10:00:00Z"}, 51},
		// NODE1 1069 records 8-24 (5) and 1205 records 9-21 (4), NODE2 1069
		// records 6-24 (4), all 6 cluster errors; the setup error is at 08:06.
		{[]string{"--since", "2024-06-11T09:30:00Z", "+level:error"}, 5 + 4 + 4 + 6},
		{[]string{"--until", "2024-06-11"}, 24 + 24 + 30 + 20},
		{[]string{"--until", "2024-06-11T09:00:00"}, 20},
		{[]string{"--findings"}, 1},
		{[]string{"--findings", "--node", "node1"}, 0},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out := searchOK(t, append([]string{"--index", case1, "--count"}, tc.args...)...)
			if strings.TrimSpace(out) != strconv.Itoa(tc.want) {
				t.Fatalf("count %q, want %d", out, tc.want)
			}
		})
	}
	// Both bundles as one.
	out := searchOK(t, "--index", case1, "--index", case2, "--count", "--event-id", "1069")
	if strings.TrimSpace(out) != "15" {
		t.Fatalf("1069 in both bundles: %s", out)
	}
	out = searchOK(t, "--index", case1, "--count", "--format", "json", "+level:error")
	var total struct{ Total int }
	if err := json.Unmarshal([]byte(out), &total); err != nil || total.Total != 6+6+4+6+1 {
		t.Fatalf("json count %s (%v)", out, err)
	}
}

type hitJSON struct {
	ID       string    `json:"id"`
	Bundle   string    `json:"bundle"`
	Time     string    `json:"time"`
	Node     string    `json:"node"`
	EventID  int       `json:"event_id"`
	Line     int       `json:"line"`
	Record   int       `json:"record"`
	Message  string    `json:"message"`
	Context  string    `json:"context"`
	Of       string    `json:"context_of"`
	Detector string    `json:"detector"`
	Nodes    []string  `json:"nodes"`
	Before   []hitJSON `json:"context_before"`
	After    []hitJSON `json:"context_after"`
}

type searchJSON struct {
	Total   int `json:"total"`
	Indexes []struct{ Path, Bundle string }
	Hits    []json.RawMessage `json:"hits"`
	Next    string            `json:"next"`
	Facets  []struct {
		Name   string
		Values []struct {
			Value string
			Count int
		}
		Missing int
		Other   int
	} `json:"facets"`
	Histogram *struct {
		Step    string
		Buckets []struct {
			Start time.Time
			Count int
		}
		NoTime uint64 `json:"no_time"`
	} `json:"histogram"`
}

func searchJSONOf(t *testing.T, args ...string) (searchJSON, []hitJSON) {
	t.Helper()
	out := searchOK(t, append([]string{"--format", "json"}, args...)...)
	var res searchJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var hits []hitJSON
	for _, raw := range res.Hits {
		var h hitJSON
		if err := json.Unmarshal(raw, &h); err != nil {
			t.Fatal(err)
		}
		hits = append(hits, h)
	}
	return res, hits
}

func TestSearchOutputFormats(t *testing.T) {
	_, case1, case2 := caseIndexes(t)

	// Table: the count line, a row per hit, the page token.
	out := searchOK(t, "--index", case1, "--limit", "3", "--node", "NODE2", "--event-id", "1069")
	if !strings.HasPrefix(out, "4 matching events, 3 shown\n") || strings.Count(out, "1069") != 3 ||
		!strings.Contains(out, "Next page: --after ") || !strings.Contains(out, "CASE1/NODE2/System.evtx") || !strings.Contains(out, "#5006") {
		t.Fatalf("table:\n%s", out)
	}

	// JSON: every hit with its bundle, time order, the next token.
	res, hits := searchJSONOf(t, "--index", case1, "--index", case2, "--event-id", "1069", "--limit", "20")
	if res.Total != 15 || len(hits) != 15 || res.Next != "" || len(res.Indexes) != 2 {
		t.Fatalf("json: total %d, %d hits, next %q", res.Total, len(hits), res.Next)
	}
	perBundle := map[string]int{}
	for i, h := range hits {
		perBundle[h.Bundle]++
		if i > 0 && h.Time < hits[i-1].Time {
			t.Fatalf("hit %d at %s before %s", i, h.Time, hits[i-1].Time)
		}
	}
	if perBundle["CASE1"] != 10 || perBundle["CASE2"] != 5 || hits[14].Bundle != "CASE2" {
		t.Fatalf("bundles %v", perBundle)
	}

	// NDJSON: one line per hit, same content; the token goes to stderr.
	code, out, errOut := exlogRun(t, "search", "--index", case1, "--format", "ndjson", "--limit", "5", "--source", "clusterlog")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 5 || !strings.Contains(errOut, "5 of 30 matches shown; next page: --after ") {
		t.Fatalf("ndjson: exit %d, %d lines\n%s\n%s", code, len(lines), out, errOut)
	}
	var first hitJSON
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first.Line != 1 || first.Bundle != "CASE1" {
		t.Fatalf("ndjson line %s (%v)", lines[0], err)
	}

	// CSV with --fields: exactly the columns asked.
	out = searchOK(t, "--index", case1, "--format", "csv", "--fields", "time,node,event_id,message", "--sort", "-time", "--event-id", "1205")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 7 || strings.Join(rows[0], ",") != "time,node,event_id,message" {
		t.Fatalf("csv (%v):\n%s", err, out)
	}
	// Newest first: NODE1's 1205 records are 1, 5, ... 21, the last at 10:45.
	if rows[1][0] != "2024-06-11T10:45:00Z" || rows[1][1] != "NODE1" || rows[1][2] != "1205" || rows[6][0] != "2024-06-11T09:05:00Z" {
		t.Fatalf("csv rows %q", rows[1:])
	}

	// JSON with --fields keeps the order asked.
	out = searchOK(t, "--index", case1, "--format", "ndjson", "--fields", "node,line,bundle", "--limit", "1", "--source", "clusterlog")
	if strings.TrimSpace(out) != `{"node":"NODE2","line":1,"bundle":"CASE1"}` {
		t.Fatalf("ndjson fields: %s", out)
	}

	// Score order puts the best match first.
	_, hits = searchJSONOf(t, "--index", case1, "--sort", "score", "--limit", "1", `online brought EVS1 group`)
	if len(hits) != 1 || !strings.Contains(hits[0].Message, "Group EVS1 could not be brought online") {
		t.Fatalf("score order: %+v", hits)
	}
}

func TestSearchHighlight(t *testing.T) {
	_, case1, _ := caseIndexes(t)
	for _, tc := range []struct {
		name string
		e    env
		want bool
	}{
		{"terminal", env{stdoutTTY: true}, true},
		{"NO_COLOR", env{stdoutTTY: true, noColor: true}, false},
		{"pipe", env{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			tc.e.stdout, tc.e.stderr = &out, &errb
			code := run(context.Background(), []string{"search", "--index", case1, "--highlight", "--limit", "2", `"brought online"`}, &tc.e)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			has := strings.Contains(out.String(), markOn+"brought"+markOff)
			if has != tc.want || (!tc.want && strings.Contains(out.String(), "\x1b[")) {
				t.Fatalf("highlighted %v, want %v:\n%s", has, tc.want, out.String())
			}
		})
	}
}

func TestSearchContext(t *testing.T) {
	_, case1, _ := caseIndexes(t)
	// The setup log's error on line 12, with two lines either side.
	out, _ := exlogWant(t, exitOK, "search", "--index", case1, "--format", "ndjson", "-C", "2", "+source:setuplog +level:error")
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var h hitJSON
		if err := json.Unmarshal([]byte(l), &h); err != nil {
			t.Fatal(err)
		}
		role := h.Context
		if role == "" {
			role = "hit"
		}
		got = append(got, fmt.Sprintf("%s:%d", role, h.Line))
	}
	if strings.Join(got, " ") != "before:10 before:11 hit:12 after:13 after:14" {
		t.Fatalf("context lines %v", got)
	}
	// JSON nests the context in its hit; binary logs use the records next in time.
	_, hits := searchJSONOf(t, "--index", case1, "--context", "1", "--node", "NODE2", "--event-id", "1135", "--limit", "1")
	h := hits[0]
	if h.Record != 5001 || len(h.Before) != 0 || len(h.After) != 1 || h.After[0].Record != 5002 {
		t.Fatalf("context of the first 1135: %+v", h)
	}
	// Table: the hit is numbered, its context is not.
	out = searchWide(t, 200, "--index", case1, "-C", "1", "--source", "clusterlog", "--level", "error", "--limit", "2")
	if !strings.Contains(out, "│ 1 │") || !strings.Contains(out, "│ 2 │") || strings.Count(out, "cluster.log:") != 6 {
		t.Fatalf("context table:\n%s", out)
	}
}

func TestSearchFacetsAndHistogram(t *testing.T) {
	_, case1, case2 := caseIndexes(t)
	res, hits := searchJSONOf(t, "--index", case1, "--index", case2, "--facet", "node", "--facet", "event_id", "--top", "2")
	if len(hits) != 0 || res.Total != 109 || len(res.Facets) != 2 {
		t.Fatalf("facets: %d hits, total %d", len(hits), res.Total)
	}
	node, eid := res.Facets[0], res.Facets[1]
	// NODE2: 24 System + 30 cluster; NODE1: 24 + 20 setup + 1 registry.
	if fmt.Sprint(node.Values) != "[{NODE2 54} {NODE1 45}]" || node.Other != 10 || node.Missing != 0 {
		t.Fatalf("node facet %+v", node)
	}
	// 7036: 12 + 16 + 5; 1069: 6 + 4 + 5; the rest are 1205 (6) and 1135 (4).
	if fmt.Sprint(eid.Values) != "[{7036 33} {1069 15}]" || eid.Other != 10 || eid.Missing != 51 {
		t.Fatalf("event_id facet %+v", eid)
	}

	// With a query the facet counts its matches; as a table.
	out := searchWide(t, 120, "--index", case1, "--facet", "provider", "+level:error")
	if !strings.Contains(out, "Top provider values over 23 matches") || !strings.Contains(out, "Microsoft-Windows-FailoverClustering │ 16") {
		t.Fatalf("provider facet table:\n%s", out)
	}
	// --limit asks for hits as well.
	out = searchOK(t, "--index", case1, "--facet", "level", "--limit", "1")
	if !strings.Contains(out, "Top level values") || !strings.Contains(out, "99 matching events, 1 shown") {
		t.Fatalf("facet and hits:\n%s", out)
	}

	res, _ = searchJSONOf(t, "--index", case1, "--histogram", "hour")
	h := res.Histogram
	var got []string
	for _, b := range h.Buckets {
		got = append(got, fmt.Sprintf("%s=%d", b.Start.Format("15"), b.Count))
	}
	// 08: the setup log; 09: 11+11 System records and 29 cluster lines;
	// 10: System records 12-23 of both nodes and the last cluster line;
	// 11: record 24 of both nodes.
	if strings.Join(got, " ") != "08=20 09=51 10=25 11=2" || h.NoTime != 1 {
		t.Fatalf("histogram %v, no time %d", got, h.NoTime)
	}
	out = searchWide(t, 100, "--index", case1, "--index", case2, "--histogram", "day", "--event-id", "1069")
	if !strings.Contains(out, "2024-06-11 │ 10") || !strings.Contains(out, "2024-06-20 │ 5") || !strings.Contains(out, "│ (8 days)   │ 0 ") {
		t.Fatalf("daily histogram:\n%s", out)
	}
	out = searchOK(t, "--index", case1, "--format", "csv", "--facet", "node")
	if strings.TrimSpace(out) != "facet,value,count\nnode,NODE2,54\nnode,NODE1,45" {
		t.Fatalf("csv facet:\n%s", out)
	}
}

func TestSearchFindings(t *testing.T) {
	_, case1, _ := caseIndexes(t)
	out := searchOK(t, "--index", case1, "--findings")
	if !strings.Contains(out, "1 matching finding\n") || !strings.Contains(out, "failover-storm") || !strings.Contains(out, "NODE2 / EVS1") {
		t.Fatalf("findings table:\n%s", out)
	}
	_, hits := searchJSONOf(t, "--index", case1, "--findings", "online")
	if len(hits) != 1 || hits[0].Detector != "failover-storm" || hits[0].Nodes[0] != "NODE2" || hits[0].Bundle != "CASE1" {
		t.Fatalf("findings json %+v", hits)
	}
	code, _, errOut := exlogRun(t, "search", "--index", case1, "--findings", "--event-id", "1069")
	if code != exitUsage || !strings.Contains(errOut, "findings have no") {
		t.Fatalf("event ID filter on findings: exit %d %s", code, errOut)
	}
}

// Paging with --after returns every hit exactly once, in order.
func TestSearchPaging(t *testing.T) {
	_, case1, case2 := caseIndexes(t)
	for _, sortBy := range []string{"time", "-time"} {
		seen := map[string]int{}
		var order []string
		after := ""
		for page := 0; ; page++ {
			args := []string{"--index", case1, "--index", case2, "--limit", "7", "--sort", sortBy}
			if after != "" {
				args = append(args, "--after", after)
			}
			res, hits := searchJSONOf(t, args...)
			for _, h := range hits {
				seen[h.Bundle+"/"+h.ID]++
				order = append(order, h.Time)
			}
			if res.Next == "" {
				break
			}
			after = res.Next
			if page > 30 {
				t.Fatal("paging does not end")
			}
		}
		if len(seen) != 109 || len(order) != 109 {
			t.Fatalf("%s: %d distinct of %d hits, want 109", sortBy, len(seen), len(order))
		}
		for i := 1; i < len(order); i++ {
			if order[i] == "" || order[i-1] == "" {
				continue // the registry value has no time and comes last
			}
			if (sortBy == "time") != (order[i] >= order[i-1]) && order[i] != order[i-1] {
				t.Fatalf("%s: %s after %s", sortBy, order[i], order[i-1])
			}
		}
	}
	// A token of one search is refused by another.
	res, _ := searchJSONOf(t, "--index", case1, "--limit", "2")
	code, _, errOut := exlogRun(t, "search", "--index", case1, "--limit", "2", "--after", res.Next, "--node", "NODE1")
	if code != exitUsage || !strings.Contains(errOut, "another search") {
		t.Fatalf("foreign token: exit %d %s", code, errOut)
	}
}

func TestSearchFindsIndexesHere(t *testing.T) {
	dir, _, _ := caseIndexes(t)
	t.Chdir(dir)
	out := searchOK(t, "--count", "--event-id", "1069")
	if strings.TrimSpace(out) != "15" {
		t.Fatalf("indexes in the working directory: %s", out)
	}
	out = searchOK(t, "--index", "*.exlog", "--limit", "1", "--sort", "-time", "--event-id", "1069")
	if !strings.Contains(out, "15 matching events in 2 bundles, 1 shown") || !strings.Contains(out, "CASE2") {
		t.Fatalf("glob:\n%s", out)
	}
	t.Chdir(t.TempDir())
	code, _, errOut := exlogRun(t, "search", "x")
	if code != exitUsage || !strings.Contains(errOut, "no index to search") {
		t.Fatalf("no index here: exit %d %s", code, errOut)
	}
}

func TestSearchUsageErrors(t *testing.T) {
	dir, case1, _ := caseIndexes(t)
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"node::NODE1"}, "(column 6)"},
		{[]string{`"brought online`}, "never closed"},
		{[]string{`+time:>2024-06-11`}, "double quotes"},
		{[]string{"nodee:NODE1"}, `unknown field "nodee"`},
		{[]string{"--format", "xml"}, "--format"},
		{[]string{"--sort", "node"}, "--sort"},
		{[]string{"--since", "yesterday"}, "--since"},
		{[]string{"--since", "2024-06-12", "--until", "2024-06-11"}, "empty"},
		{[]string{"--event-id", "10x"}, "--event-id"},
		{[]string{"--fields", "time,colour"}, `no field "colour"`},
		{[]string{"--facet", "message"}, "cannot facet"},
		{[]string{"--histogram", "week"}, "--histogram"},
		{[]string{"--after", "not-a-token"}, "damaged"},
		{[]string{"--limit", "0"}, "--limit"},
		{[]string{"--index", filepath.Join(dir, "CASE9.exlog")}, "no index at"},
		{[]string{"--index", dir}, "not an exlog index"},
		{[]string{"--index", filepath.Join(dir, "*.nothing")}, "matches no index"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{"search"}, tc.args...)
			if !strings.HasPrefix(tc.args[0], "--index") {
				args = append([]string{"search", "--index", case1}, tc.args...)
			}
			code, _, errOut := exlogRun(t, args...)
			if code != exitUsage || !strings.Contains(errOut, tc.says) {
				t.Fatalf("exit %d, want %d; stderr %q does not say %q", code, exitUsage, errOut, tc.says)
			}
		})
	}
}

// A search while exlog triage builds a new index of the same bundle reads
// the old index; once the new one is in place, searches read it.
func TestSearchDuringIngest(t *testing.T) {
	_, case1, _ := caseIndexes(t)
	w, err := index.Create(case1)
	if err != nil {
		t.Fatal(err)
	}
	evs := append(case1Events(), case2Events()...)
	for i, e := range evs {
		w.Add(e)
		if i%40 == 0 {
			if out := searchOK(t, "--index", case1, "--count", "--event-id", "1069"); strings.TrimSpace(out) != "10" {
				t.Fatalf("during the ingest: %s", out)
			}
		}
	}
	if err := w.SetMeta(map[string]string{"bundle": "CASE1"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if out := searchOK(t, "--index", case1, "--count", "--event-id", "1069"); strings.TrimSpace(out) != "15" {
		t.Fatalf("after the ingest: %s", out)
	}
}

func TestMarked(t *testing.T) {
	msg := "Group EVS1 could not be brought online on node NODE2"
	spans := [][2]int{{24, 31}, {32, 38}}
	if got := marked(msg, spans, 200); got != "Group EVS1 could not be "+markOn+"brought"+markOff+" "+markOn+"online"+markOff+" on node NODE2" {
		t.Fatalf("marked %q", got)
	}
	// A cut inside a span closes the mark before the ellipsis.
	if got := marked(msg, spans, 30); got != "Group EVS1 could not be "+markOn+"broug"+markOff+"…" {
		t.Fatalf("cut %q", got)
	}
}

// On the fixture bundle, search counts agree with the fixture files and
// with triage's own per-node counts.
func TestSearchFixtureBundle(t *testing.T) {
	idx := filepath.Join(t.TempDir(), "setup-collector.exlog")
	bundle := filepath.Join(fixtures.Dir(), "bundles", "setup-collector.zip")
	out, _ := exlogWant(t, exitOK, "triage", "--format", "json", "--index", idx, bundle)
	var tri struct {
		Nodes []struct {
			Name   string         `json:"name"`
			Events map[string]int `json:"events"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(out), &tri); err != nil {
		t.Fatal(err)
	}
	lines := func(name, substr string) int {
		b := parsetest.ReadFile(t, filepath.Join(fixtures.Dir(), "setuplogs", name))
		return strings.Count(string(b), substr)
	}
	// The bundle holds ex2013-success.log once and the 2007 log twice (the
	// log and a .bak copy of it); the copy is indexed once, as the log.
	for _, tc := range []struct {
		args   []string
		substr string
	}{
		{[]string{`"Setup version"`}, "Setup version:"},
		{[]string{"--node", "EX16-N1,EXCCR-N2", "--level", "warning"}, "[WARNING]"},
	} {
		want := lines("ex2013-success.log", tc.substr) + lines("ex2007-sp1-upgrade-success.log", tc.substr)
		got := strings.TrimSpace(searchOK(t, append([]string{"--index", idx, "--count"}, tc.args...)...))
		if got != strconv.Itoa(want) || want == 0 {
			t.Errorf("%q: %s hits, the fixtures have %d lines with %q", tc.args, got, want, tc.substr)
		}
	}
	res, _ := searchJSONOf(t, "--index", idx, "--facet", "node")
	byNode := map[string]int{}
	for _, v := range res.Facets[0].Values {
		byNode[v.Value] = v.Count
	}
	for _, n := range tri.Nodes {
		sum := 0
		for _, c := range n.Events {
			sum += c
		}
		if byNode[n.Name] != sum || sum == 0 {
			t.Errorf("node %s: facet %d, triage %d", n.Name, byNode[n.Name], sum)
		}
	}
	if len(byNode) != len(tri.Nodes) {
		t.Errorf("facet nodes %v, triage nodes %d", byNode, len(tri.Nodes))
	}
}
