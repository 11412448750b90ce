package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// t0 is when the sample bundle's logs start.
var t0 = time.Date(2024, 6, 11, 8, 0, 0, 0, time.UTC)

// sampleBundle is a small two-node cluster bundle, built so that every
// count the tests assert can be read off the loops below:
//
//   - NODE1 setup log: 60 lines, one per 10 s from 08:00:10; lines 20 and
//     45 are errors; run 1 is lines 1-30, run 2 lines 31-60; plus two
//     derived "setup-run" events on lines 1 and 31 (62 events).
//   - NODE2 cluster log: 100 lines, one per 30 s from 08:00:30; every 10th
//     line is an error "could not be brought online" for group EVS1, with
//     0x80070005 on lines 20, 40, ... 100 and 0x8007139f on 10, 30, ... 90.
//   - NODE1 and NODE2 System.evtx: 50 records each, one a minute from
//     08:01; record%5==0 is a 1069 error (10 per node), ==1 a 7036 info
//     (10), ==2 a 1135 warning (10), ==3 and ==4 a 7036 info (20).
//   - NODE2 Application.evtx: 30 records, one per 2 minutes from 08:02;
//     MSExchangeIS 9523 error, MSExchangeRepl 2090 warning and
//     MSExchange ADAccess 2080 info, 10 each.
//   - NODE1 registry export: 3 values without time.
//
// 295 events in all.
func sampleBundle() []*parse.Event {
	var evs []*parse.Event
	add := func(e *parse.Event) { evs = append(evs, e) }
	for i := 1; i <= 60; i++ {
		e := &parse.Event{
			Time: t0.Add(time.Duration(i) * 10 * time.Second), TimeQuality: parse.TimeLocalKnownOffset,
			Node: "NODE1", Source: parse.SourceSetupLog, File: "NODE1/ExchangeSetupLogs/ExchangeSetup.log", Line: i,
			Level: parse.LevelInfo, Message: fmt.Sprintf("[%s] Executing: step %d of the Mailbox role", "08/06/2024", i),
			Run: 1,
		}
		if i > 30 {
			e.Run = 2
		}
		if i == 20 || i == 45 {
			e.Level = parse.LevelError
			e.Message = "[ERROR] The operation couldn't be performed because object 'EVS1' couldn't be found on 'DC1.contoso.com'."
		}
		e.SetField("version", "08.03.0083.006")
		add(e)
		if i == 1 || i == 31 {
			add(&parse.Event{
				Time: e.Time, TimeQuality: e.TimeQuality, Node: "NODE1", Source: parse.SourceSetupLog, Kind: "setup-run",
				File: e.File, Line: i, Level: parse.LevelInfo, Run: e.Run,
				Message: fmt.Sprintf("Setup run %d: Mailbox role, version 08.03.0083.006", e.Run),
			})
		}
	}
	for i := 1; i <= 100; i++ {
		e := &parse.Event{
			Time: t0.Add(time.Duration(i) * 30 * time.Second), TimeQuality: parse.TimeUTC,
			Node: "NODE2", Source: parse.SourceClusterLog, File: "NODE2/cluster.log", Line: i,
			Level: parse.LevelInfo, Message: fmt.Sprintf("[RCM] rcm::RcmApi::GetResourceState: (Disk R:, %d)", i),
		}
		if i%10 == 0 {
			code := "0x8007139f"
			if i%20 == 0 {
				code = "0x80070005"
			}
			e.Level = parse.LevelError
			e.Message = "[RCM] Group EVS1 could not be brought online on node NODE2 (error " + code + ")"
			e.SetField("group", "EVS1")
		}
		add(e)
	}
	for _, node := range []string{"NODE1", "NODE2"} {
		for rec := 1; rec <= 50; rec++ {
			e := &parse.Event{
				Time: t0.Add(time.Duration(rec) * time.Minute), TimeQuality: parse.TimeUTC,
				Node: node, Source: parse.SourceEVTX, File: node + "/System.evtx", Record: uint64(rec), Offset: int64(rec) * 1024,
				Provider: "Service Control Manager", EventID: 7036, Level: parse.LevelInfo,
				Message: "The Windows Update service entered the stopped state.",
			}
			switch rec % 5 {
			case 0:
				e.Provider, e.EventID, e.Level = "Microsoft-Windows-FailoverClustering", 1069, parse.LevelError
				e.Message = "Cluster resource 'Exchange Information Store Instance (EVS1)' in clustered service or application 'EVS1' failed."
			case 1:
				e.Message = "The Cluster Service service entered the running state."
			case 2:
				e.Provider, e.EventID, e.Level = "Microsoft-Windows-FailoverClustering", 1135, parse.LevelWarning
				e.Message = "Cluster node 'NODE1' was removed from the active failover cluster membership."
			}
			add(e)
		}
	}
	for rec := 1; rec <= 30; rec++ {
		e := &parse.Event{
			Time: t0.Add(time.Duration(rec) * 2 * time.Minute), TimeQuality: parse.TimeUTC,
			Node: "NODE2", Source: parse.SourceEVTX, File: "NODE2/Application.evtx", Record: uint64(1000 + rec), Offset: int64(rec) * 2048,
		}
		switch rec % 3 {
		case 0:
			e.Provider, e.EventID, e.Level = "MSExchangeIS", 9523, parse.LevelError
			e.Message = "The Microsoft Exchange Information Store database 'Mailbox Database' could not be mounted (0x80004005)."
		case 1:
			e.Provider, e.EventID, e.Level = "MSExchangeRepl", 2090, parse.LevelWarning
			e.Message = "The replication of storage group 'SG1' is suspended."
		case 2:
			e.Provider, e.EventID, e.Level = "MSExchange ADAccess", 2080, parse.LevelInfo
			e.Message = "Process MAD.EXE found the domain controller DC1.contoso.com."
		}
		add(e)
	}
	for i := 1; i <= 3; i++ {
		add(&parse.Event{
			TimeQuality: parse.TimeNone, Node: "NODE1", Source: parse.SourceRegistry, File: "NODE1/Exchange.reg", Line: i,
			Message: fmt.Sprintf(`HKLM\SOFTWARE\Microsoft\Exchange\v8.0\Setup value %d`, i),
		})
	}
	return evs
}

var sampleFindings = []detect.Finding{
	{Detector: "cluster-group-failed", Severity: detect.Error, Nodes: []string{"NODE2"}, Groups: []string{"EVS1"},
		Start: t0.Add(5 * time.Minute), Summary: "EVS1 could not be brought online on NODE2", Explanation: "The group failed 10 times."},
	{Detector: "setup-failure", Severity: detect.Critical, Cause: "first-error", Nodes: []string{"NODE1"},
		Start: t0.Add(200 * time.Second), Summary: "Setup failed on NODE1", Explanation: "Object EVS1 was not found."},
}

// buildIndex writes an index of evs named bundle.exlog in dir.
func buildIndex(t testing.TB, dir, bundle string, evs []*parse.Event, findings []detect.Finding) string {
	t.Helper()
	path := filepath.Join(dir, bundle+Suffix)
	w, err := Create(path)
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
	return path
}

func openSet(t testing.TB, paths ...string) *Set {
	t.Helper()
	s, err := OpenSet(paths...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func countOf(evs []*parse.Event, keep func(*parse.Event) bool) uint64 {
	var n uint64
	for _, e := range evs {
		if keep(e) {
			n++
		}
	}
	return n
}

func TestSampleBundleShape(t *testing.T) {
	// The counts the other tests assert rest on this construction.
	evs := sampleBundle()
	if len(evs) != 295 {
		t.Fatalf("%d sample events, want 295", len(evs))
	}
	if n := countOf(evs, func(e *parse.Event) bool { return e.EventID == 1069 }); n != 20 {
		t.Fatalf("%d 1069 events, want 20", n)
	}
}

func TestSearchQueryForms(t *testing.T) {
	evs := sampleBundle()
	s := openSet(t, buildIndex(t, t.TempDir(), "CASE1", evs, sampleFindings))
	hour := func(h, m int) time.Time { return t0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	tests := []struct {
		name string
		q    Query
		want uint64
	}{
		{"everything", Query{}, 295},
		// Without +, a clause is optional (bleve semantics): it only ranks.
		{"optional and required", Query{Text: `node:node2 +event_id:1069`}, 20},
		{"field and number", Query{Text: `+node:node2 +event_id:1069`}, 10},
		{"number alone", Query{Text: `+event_id:1069`}, 20},
		{"phrase", Query{Text: `"could not be brought online"`}, 10},
		{"phrase in field", Query{Text: `message:"entered the stopped state"`}, 40},
		{"wildcard keeps case", Query{Text: `provider:MSExchange*`}, 30},
		{"wildcard lower case", Query{Text: `provider:msexchange*`}, 30},
		{"regexp", Query{Text: `message:/0x8007[0-9a-f]+/`}, 10},
		{"regexp upper hex", Query{Text: `message:/0x8007[0-9A-F]+/`}, 10},
		{"regexp one code", Query{Text: `message:/0x8007139f/`}, 5},
		{"numeric range", Query{Text: `+event_id:>=2000 +event_id:<3000`}, 20},
		{"numeric bound", Query{Text: `event_id:>=7000`}, 70},
		{"must not", Query{Text: `+node:NODE2 -source:clusterlog`}, 80},
		{"dynamic field", Query{Text: `fields.group:evs1`}, 10},
		{"keyword twin", Query{Text: `eid:9523`}, 10},
		{"line number", Query{Text: `+source:setuplog +line:20`}, 1},
		{"kind", Query{Text: `kind:setup-run`}, 2},
		{"run", Query{Text: `+run:2 +level:error`}, 1},
		{"time range in the query", Query{Text: `+time:>="2024-06-11T08:10:00Z" +time:<"2024-06-11T08:20:00Z"`},
			countOf(evs, func(e *parse.Event) bool { return !e.Time.Before(hour(0, 10)) && e.Time.Before(hour(0, 20)) })},
		{"time range exclusive start", Query{Text: `+time:>"2024-06-11T08:10:00Z" +time:<="2024-06-11T08:20:00Z"`},
			countOf(evs, func(e *parse.Event) bool { return e.Time.After(hour(0, 10)) && !e.Time.After(hour(0, 20)) })},
		{"words and time", Query{Text: `+level:error +time:>="2024-06-11T08:00:00Z" +time:<"2024-06-11T08:30:00Z"`},
			countOf(evs, func(e *parse.Event) bool {
				return e.Level == "error" && !e.Time.Before(t0) && e.Time.Before(hour(0, 30))
			})},
		{"node flag any case", Query{Nodes: []string{"node1.contoso.com"}},
			countOf(evs, func(e *parse.Event) bool { return e.Node == "NODE1" })},
		{"two nodes", Query{Nodes: []string{"NODE1", "node2"}}, 295},
		{"source flag", Query{Sources: []string{"evtx"}}, 130},
		{"provider flag wildcard", Query{Providers: []string{"MSExchange*"}}, 30},
		{"provider flag exact", Query{Providers: []string{"Microsoft-Windows-FailoverClustering"}}, 40},
		{"level flag", Query{Levels: []string{"ERROR", "warning"}},
			countOf(evs, func(e *parse.Event) bool { return e.Level == "error" || e.Level == "warning" })},
		{"file flag", Query{Files: []string{"NODE2/cluster.log"}}, 100},
		{"file wildcard", Query{Files: []string{"*.evtx"}}, 130},
		{"event ID list", Query{EventIDs: []IDRange{{1069, 1069}, {1135, 1135}}}, 40},
		{"event ID range", Query{EventIDs: []IDRange{{2000, 9999}}}, 90},
		{"since and until", Query{Since: hour(0, 10), Until: hour(0, 20)},
			countOf(evs, func(e *parse.Event) bool { return !e.Time.Before(hour(0, 10)) && e.Time.Before(hour(0, 20)) })},
		{"flags and query", Query{Text: `"brought online"`, Nodes: []string{"NODE2"}, Since: hour(0, 25)},
			countOf(evs, func(e *parse.Event) bool {
				return strings.Contains(e.Message, "brought online") && !e.Time.Before(hour(0, 25))
			})},
		{"query range and flag range merge", Query{Text: `+time:>="2024-06-11T08:00:00Z"`, Until: hour(0, 5)},
			countOf(evs, func(e *parse.Event) bool { return !e.Time.IsZero() && e.Time.Before(hour(0, 5)) })},
		{"findings", Query{Findings: true}, 2},
		{"findings by node", Query{Findings: true, Nodes: []string{"node2"}}, 1},
		{"findings by level", Query{Findings: true, Levels: []string{"critical"}}, 1},
		{"findings by text", Query{Findings: true, Text: `"not found"`}, 1},
		{"findings kept out of events", Query{Text: `"could not be brought online"`}, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := s.Search(context.Background(), &Request{Query: tc.q, Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != tc.want {
				t.Fatalf("%d hits, want %d", res.Total, tc.want)
			}
			if want := min(int(tc.want), 5); len(res.Hits) != want {
				t.Fatalf("%d hits on the page, want %d", len(res.Hits), want)
			}
			for _, h := range res.Hits {
				if h.Bundle != "CASE1" || (h.Event == nil) != tc.q.Findings {
					t.Fatalf("hit %+v", h)
				}
			}
		})
	}
}

// The query string's two half-open time clauses become one range, merged
// with --since/--until, and the answer is the one bleve gives unrewritten.
func TestTimeClausesMerge(t *testing.T) {
	q := &Query{Text: `+node:NODE2 +time:>="2024-06-11T08:10:00Z" +time:<"2024-06-11T08:40:00Z" level:error`, Since: t0.Add(15 * time.Minute)}
	c, err := q.compile()
	if err != nil {
		t.Fatal(err)
	}
	var ranges []*query.DateRangeQuery
	walk(c.q, func(q query.Query) {
		if d, ok := q.(*query.DateRangeQuery); ok {
			ranges = append(ranges, d)
		}
	})
	if len(ranges) != 1 {
		t.Fatalf("%d date ranges, want 1", len(ranges))
	}
	if r := ranges[0]; !r.Start.Equal(t0.Add(15*time.Minute)) || !r.End.Equal(t0.Add(40*time.Minute)) || !*r.InclusiveStart || *r.InclusiveEnd {
		t.Fatalf("range %v..%v", r.Start, r.End)
	}

	evs := sampleBundle()
	path := buildIndex(t, t.TempDir(), "CASE1", evs, nil)
	s := openSet(t, path)
	res, err := s.Search(context.Background(), &Request{Query: Query{Text: `+node:NODE2 +time:>="2024-06-11T08:10:00Z" +time:<"2024-06-11T08:40:00Z"`}})
	if err != nil {
		t.Fatal(err)
	}
	raw := bleve.NewSearchRequest(bleve.NewQueryStringQuery(`+node:NODE2 +time:>="2024-06-11T08:10:00Z" +time:<"2024-06-11T08:40:00Z" -type:finding`))
	sr, err := s.readers[0].Search(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := countOf(evs, func(e *parse.Event) bool {
		return e.Node == "NODE2" && !e.Time.Before(t0.Add(10*time.Minute)) && e.Time.Before(t0.Add(40*time.Minute))
	})
	if res.Total != want || sr.Total != want {
		t.Fatalf("rewritten %d, bleve %d, want %d", res.Total, sr.Total, want)
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		query string
		col   int
		says  string
	}{
		{`node::x`, 6, "unexpected ':'"},
		{`+event_id:`, 10, "nothing after"},
		{`node:NODE2 "brought online`, 12, "never closed"},
		{`+`, 1, "must be followed"},
		{`+node:NODE2 +time:>2024-06-11`, 20, "must be in double quotes"},
		{`event_id:>=x`, 12, "needs a number"},
		{`time:>="yesterday"`, 8, "not a date"},
		{`nod:NODE2`, 1, `unknown field "nod"`},
		{`+level:error +offset:12`, 15, "not searchable"},
		{`message:/0x8007[0-9/`, 1, "bad regular expression"},
		{`+node:x message:/\bsetup/`, 9, "word boundaries are not allowed"},
		{`message:/[[:alpha:]]+/`, 12, `":" cannot appear in a regular expression`},
		{`message:/^setup$/`, 10, `"^" cannot appear`},
		{`event_id:>=`, 12, "needs a value"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			_, err := (&Query{Text: tc.query}).Check()
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a SyntaxError", err)
			}
			if !strings.Contains(se.Msg, tc.says) {
				t.Errorf("message %q does not say %q", se.Msg, tc.says)
			}
			if !strings.Contains(se.Error(), fmt.Sprintf("(column %d)", tc.col)) {
				t.Errorf("error %q, want column %d", se.Error(), tc.col)
			}
		})
	}
	// Mistakes that parse are warned about, not refused.
	warnings, err := (&Query{Text: `error AND node`}).Check()
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "no AND/OR/NOT") {
		t.Fatalf("warnings %q, error %v", warnings, err)
	}
	if _, err := (&Query{Since: t0.Add(time.Hour), Until: t0}).Check(); err == nil {
		t.Fatal("an empty time range was accepted")
	}
	if _, err := (&Query{Findings: true, Sources: []string{"evtx"}}).Check(); err == nil {
		t.Fatal("a source filter on findings was accepted")
	}
}

func TestFacetsAndHistogram(t *testing.T) {
	evs := sampleBundle()
	s := openSet(t, buildIndex(t, t.TempDir(), "CASE1", evs, sampleFindings))
	ctx := context.Background()
	res, err := s.Search(ctx, &Request{Facets: []string{"node", "event_id", "source", "level", "provider"}, FacetSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	// The index's counts against a count over the constructed events.
	truth := func(key func(*parse.Event) string) map[string]int {
		m := map[string]int{}
		for _, e := range evs {
			if k := key(e); k != "" {
				m[k]++
			}
		}
		return m
	}
	keys := map[string]func(*parse.Event) string{
		"node":     func(e *parse.Event) string { return e.Node },
		"event_id": func(e *parse.Event) string { return map[bool]string{true: fmt.Sprint(e.EventID)}[e.EventID != 0] },
		"source":   func(e *parse.Event) string { return e.Source },
		"level":    func(e *parse.Event) string { return e.Level },
		"provider": func(e *parse.Event) string { return e.Provider },
	}
	for _, f := range res.Facets {
		want := truth(keys[f.Name])
		wantMissing := 295
		for _, n := range want {
			wantMissing -= n
		}
		if len(f.Values) != min(3, len(want)) || f.Missing != wantMissing {
			t.Errorf("facet %s: %d values, %d missing; want %d, %d", f.Name, len(f.Values), f.Missing, min(3, len(want)), wantMissing)
		}
		shown := 0
		for i, v := range f.Values {
			if want[v.Value] != v.Count {
				t.Errorf("facet %s: %s=%d, want %d", f.Name, v.Value, v.Count, want[v.Value])
			}
			if i > 0 && v.Count > f.Values[i-1].Count {
				t.Errorf("facet %s not in descending order: %+v", f.Name, f.Values)
			}
			shown += v.Count
		}
		if f.Other != 295-wantMissing-shown {
			t.Errorf("facet %s: other %d, want %d", f.Name, f.Other, 295-wantMissing-shown)
		}
	}
	// The same, read off the construction by hand.
	if fmt.Sprint(res.Facets[0].Values) != "[{NODE2 180} {NODE1 115}]" ||
		fmt.Sprint(res.Facets[1].Values) != "[{7036 60} {1069 20} {1135 20}]" ||
		fmt.Sprint(res.Facets[3].Values) != "[{info 220} {error 42} {warning 30}]" {
		t.Errorf("facets %v / %v / %v", res.Facets[0].Values, res.Facets[1].Values, res.Facets[3].Values)
	}

	// A facet with a query counts the matches only.
	res, err = s.Search(ctx, &Request{Query: Query{Levels: []string{"error"}}, Facets: []string{"node", "event_id"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 42 || res.Facets[0].Values[0] != (FacetValue{"NODE2", 30}) || res.Facets[0].Values[1] != (FacetValue{"NODE1", 12}) {
		t.Fatalf("error facets: total %d, %+v", res.Total, res.Facets[0].Values)
	}
	if _, err := s.Search(ctx, &Request{Facets: []string{"message"}}); err == nil {
		t.Fatal("a facet over message was accepted")
	}

	h, err := s.Histogram(ctx, &Query{}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// Everything timed falls between 08:00:10 and 09:00:00: only
	// Application record 30 is in the 09:00 hour.
	at9 := countOf(evs, func(e *parse.Event) bool { return !e.Time.IsZero() && !e.Time.Before(t0.Add(time.Hour)) })
	if at9 != 1 || len(h.Buckets) != 2 || h.Buckets[0].Start != t0 || h.Buckets[0].Count != 292-at9 || h.Buckets[1].Count != at9 || h.NoTime != 3 || h.Total != 295 {
		t.Fatalf("hourly histogram %+v, no time %d, total %d (%d at 09:00)", h.Buckets, h.NoTime, h.Total, at9)
	}
	h, err = s.Histogram(ctx, &Query{EventIDs: []IDRange{{1069, 1069}}}, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Buckets) != 1 || h.Buckets[0].Count != 20 || !h.Buckets[0].Start.Equal(time.Date(2024, 6, 11, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("daily histogram of 1069 %+v", h.Buckets)
	}
}

// pageAll pages through a search and returns bundle/ID of every hit.
func pageAll(t *testing.T, s *Set, q Query, sortName string, limit int) []string {
	t.Helper()
	var out []string
	after := ""
	for range 1000 {
		res, err := s.Search(context.Background(), &Request{Query: q, Sort: sortName, Limit: limit, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			out = append(out, h.Bundle+"/"+h.ID)
		}
		if res.Next == "" {
			return out
		}
		after = res.Next
	}
	t.Fatal("paging does not end")
	return nil
}

func TestPagingReturnsEveryHitOnce(t *testing.T) {
	evs := sampleBundle()
	dir := t.TempDir()
	// The same events in two bundles: every sort key exists twice, so
	// page ends fall between copies of one event.
	a := buildIndex(t, dir, "CASE1", evs, nil)
	b := buildIndex(t, dir, "CASE1-again", evs, nil)
	c := buildIndex(t, dir, "CASE2", evs[:100], nil)
	s := openSet(t, a, b, c)
	for _, tc := range []struct {
		sort  string
		q     Query
		limit int
		want  int
	}{
		{SortTime, Query{}, 7, 2*295 + 100},
		{SortTimeDesc, Query{}, 16, 2*295 + 100},
		// CASE2 holds the first 38 cluster log lines of NODE2.
		{SortTime, Query{Nodes: []string{"NODE2"}}, 3, 2*180 + 38},
		{SortScore, Query{Text: `cluster service`}, 5, 0},
	} {
		t.Run(fmt.Sprintf("%s-%d", tc.sort, tc.limit), func(t *testing.T) {
			total, err := s.Search(context.Background(), &Request{Query: tc.q})
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == 0 {
				tc.want = int(total.Total)
			}
			if int(total.Total) != tc.want {
				t.Fatalf("total %d, want %d", total.Total, tc.want)
			}
			got := pageAll(t, s, tc.q, tc.sort, tc.limit)
			seen := map[string]int{}
			for _, k := range got {
				seen[k]++
			}
			for k, n := range seen {
				if n != 1 {
					t.Errorf("%s returned %d times", k, n)
				}
			}
			if len(got) != tc.want || len(seen) != tc.want {
				t.Fatalf("%d hits over the pages (%d distinct), want %d", len(got), len(seen), tc.want)
			}
		})
	}
	// Time order holds across pages and bundles.
	var last time.Time
	after := ""
	for {
		res, err := s.Search(context.Background(), &Request{Query: Query{Sources: []string{"clusterlog"}}, Limit: 9, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			if h.Event.Time.Before(last) {
				t.Fatalf("%s at %s after %s", h.ID, h.Event.Time, last)
			}
			last = h.Event.Time
		}
		if after = res.Next; after == "" {
			break
		}
	}
	// A token from another search is refused.
	res, err := s.Search(context.Background(), &Request{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Search(context.Background(), &Request{Query: Query{Text: "cluster"}, Limit: 2, After: res.Next})
	if !errors.Is(err, ErrBadToken) {
		t.Fatalf("token of another search: %v", err)
	}
	if _, err := s.Search(context.Background(), &Request{Limit: 2, After: "garbage!"}); !errors.Is(err, ErrBadToken) {
		t.Fatalf("damaged token: %v", err)
	}
}

func TestMultiIndexNamesBundles(t *testing.T) {
	evs := sampleBundle()
	dir := t.TempDir()
	s := openSet(t, buildIndex(t, dir, "CASE1", evs[:162], nil), buildIndex(t, dir, "CASE2", evs[162:], nil))
	res, err := s.Search(context.Background(), &Request{Query: Query{Nodes: []string{"NODE2"}}, Limit: 300, Facets: []string{"source"}})
	if err != nil {
		t.Fatal(err)
	}
	// evs[:162] is the setup log and the cluster log; the rest is evtx and registry.
	per := map[string]int{}
	for _, h := range res.Hits {
		per[h.Bundle+" "+h.Event.Source]++
	}
	if res.Total != 180 || per["CASE1 clusterlog"] != 100 || per["CASE2 evtx"] != 30+50 || len(per) != 2 {
		t.Fatalf("total %d, per bundle %v", res.Total, per)
	}
	if f := res.Facets[0]; len(f.Values) != 2 || f.Values[0] != (FacetValue{"clusterlog", 100}) || f.Values[1] != (FacetValue{"evtx", 80}) {
		t.Fatalf("source facet across bundles %+v", f.Values)
	}
	infos := s.Indexes()
	if len(infos) != 2 || infos[0].Bundle != "CASE1" || infos[1].Bundle != "CASE2" {
		t.Fatalf("indexes %+v", infos)
	}
}

func TestOpenSetErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenSet(filepath.Join(dir, "missing.exlog")); !errors.Is(err, ErrNoIndex) {
		t.Fatalf("missing index: %v", err)
	}
	if _, err := OpenSet(dir); !errors.Is(err, ErrNotIndex) {
		t.Fatalf("plain directory: %v", err)
	}
}

func TestContext(t *testing.T) {
	evs := sampleBundle()
	s := openSet(t, buildIndex(t, t.TempDir(), "CASE1", evs, nil))
	ctx := context.Background()
	res, err := s.Search(ctx, &Request{Query: Query{Text: `+source:setuplog +level:error`}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 2 || res.Hits[0].Event.Line != 20 || res.Hits[1].Event.Line != 45 {
		t.Fatalf("setup errors %d", len(res.Hits))
	}
	before, after, err := s.Context(ctx, res.Hits[0], 3)
	if err != nil {
		t.Fatal(err)
	}
	lines := func(hs []*Hit) (out []int) {
		for _, h := range hs {
			out = append(out, h.Event.Line)
		}
		return out
	}
	if fmt.Sprint(lines(before)) != "[17 18 19]" || fmt.Sprint(lines(after)) != "[21 22 23]" {
		t.Fatalf("context of line 20: %v / %v", lines(before), lines(after))
	}
	// At the start of the file, with the derived run summary on line 1
	// left out.
	res, err = s.Search(ctx, &Request{Query: Query{Text: `+source:setuplog +line:2`}, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	before, after, err = s.Context(ctx, res.Hits[0], 2)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(lines(before)) != "[1]" || fmt.Sprint(lines(after)) != "[3 4]" || before[0].Event.Kind != "" {
		t.Fatalf("context of line 2: %v / %v", lines(before), lines(after))
	}
	// Binary logs: neighbours in time within the same file.
	res, err = s.Search(ctx, &Request{Query: Query{Nodes: []string{"NODE2"}, EventIDs: []IDRange{{1069, 1069}}}, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	before, after, err = s.Context(ctx, res.Hits[0], 2)
	if err != nil {
		t.Fatal(err)
	}
	recs := func(hs []*Hit) (out []uint64) {
		for _, h := range hs {
			out = append(out, h.Event.Record)
			if h.Event.File != "NODE2/System.evtx" {
				t.Errorf("context from %s", h.Event.File)
			}
		}
		return out
	}
	if res.Hits[0].Event.Record != 5 || fmt.Sprint(recs(before)) != "[3 4]" || fmt.Sprint(recs(after)) != "[6 7]" {
		t.Fatalf("context of record %d: %v / %v", res.Hits[0].Event.Record, recs(before), recs(after))
	}
}

func TestHighlightSpans(t *testing.T) {
	s := openSet(t, buildIndex(t, t.TempDir(), "CASE1", sampleBundle(), sampleFindings))
	res, err := s.Search(context.Background(), &Request{Query: Query{Text: `"brought online"`}, Limit: 1, Highlight: true})
	if err != nil {
		t.Fatal(err)
	}
	h := res.Hits[0]
	var words []string
	for _, sp := range h.Spans {
		words = append(words, h.Event.Message[sp[0]:sp[1]])
	}
	if fmt.Sprint(words) != "[brought online]" {
		t.Fatalf("highlighted %q in %q", words, h.Event.Message)
	}
	res, err = s.Search(context.Background(), &Request{Query: Query{Findings: true, Text: `online`}, Limit: 1, Highlight: true})
	if err != nil {
		t.Fatal(err)
	}
	if h := res.Hits[0]; len(h.Spans) != 1 || h.Finding.Summary[h.Spans[0][0]:h.Spans[0][1]] != "online" {
		t.Fatalf("finding spans %v in %q", h.Spans, h.Finding.Summary)
	}
}

// Searches open indexes read-only: many at once, and while exlog triage
// builds a new index of the same bundle and swaps it into place.
func TestSearchDuringRebuild(t *testing.T) {
	dir := t.TempDir()
	evs := sampleBundle()
	path := buildIndex(t, dir, "CASE1", evs, nil)
	ctx := context.Background()
	old := openSet(t, path)

	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	search := func(s *Set, want uint64) {
		res, err := s.Search(ctx, &Request{Query: Query{Text: `+event_id:1069`}, Limit: 3})
		if err != nil {
			errs <- err
		} else if res.Total != want {
			errs <- fmt.Errorf("%d hits, want %d", res.Total, want)
		}
	}
	done := make(chan struct{})
	for range 3 { // searchers in parallel, each opening the index anew, until the swap is over
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-done:
					if n > 0 {
						return
					}
				default:
				}
				s, err := OpenSet(path)
				if err != nil {
					errs <- err
					return
				}
				res, err := s.Search(ctx, &Request{Query: Query{Text: `+event_id:1069`}})
				s.Close()
				if err != nil {
					errs <- err
				} else if res.Total != 20 && res.Total != 40 {
					errs <- fmt.Errorf("%d hits during the rebuild, want 20 (old) or 40 (new)", res.Total)
				}
			}
		}()
	}
	for range 2 {
		for _, e := range evs {
			w.Add(e)
		}
		search(old, 20)
	}
	// The rebuild holds every event twice over under new names.
	for _, e := range evs {
		c := *e
		c.File = "copy/" + e.File
		w.Add(&c)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The set opened before the swap still answers from the old index.
	search(old, 20)
	search(openSet(t, path), 40)
}

// Between the two renames of a swap the index path does not exist for a
// moment; a search that starts then waits instead of failing.
func TestOpenWaitsForSwap(t *testing.T) {
	dir := t.TempDir()
	path := buildIndex(t, dir, "CASE1", sampleBundle()[:10], nil)
	aside := path + ".old-4242"
	if err := os.Rename(path, aside); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		os.Rename(aside, path)
	}()
	s := openSet(t, path)
	res, err := s.Search(context.Background(), &Request{})
	if err != nil || res.Total != 10 {
		t.Fatalf("%v hits, error %v", res, err)
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2024, 6, 11, 12, 30, 0, 0, time.UTC)
	tests := []struct {
		in   string
		end  bool
		want time.Time
	}{
		{"2024-06-11T10:00:00Z", false, time.Date(2024, 6, 11, 10, 0, 0, 0, time.UTC)},
		{"2024-06-11T10:00:00+02:00", false, time.Date(2024, 6, 11, 8, 0, 0, 0, time.UTC)},
		{"2024-06-11T10:00:00.250Z", false, time.Date(2024, 6, 11, 10, 0, 0, 250e6, time.UTC)},
		{"2024-06-11T10:00:00", false, time.Date(2024, 6, 11, 10, 0, 0, 0, time.UTC)},
		{"2024-06-11 10:00", false, time.Date(2024, 6, 11, 10, 0, 0, 0, time.UTC)},
		{"2024-06-11", false, time.Date(2024, 6, 11, 0, 0, 0, 0, time.UTC)},
		{"2024-06-11", true, time.Date(2024, 6, 12, 0, 0, 0, 0, time.UTC)},
		{"2h", false, now.Add(-2 * time.Hour)},
		{"90m", true, now.Add(-90 * time.Minute)},
		{"3d", false, now.Add(-72 * time.Hour)},
		{"1w", false, now.Add(-7 * 24 * time.Hour)},
		{"now", true, now},
	}
	for _, tc := range tests {
		got, err := ParseTime(tc.in, now, tc.end)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q, end=%v) = %v, %v; want %v", tc.in, tc.end, got, err, tc.want)
		}
	}
	for _, bad := range []string{"yesterday", "2h30m", "11/06/2024", "-2h", "2024-13-01"} {
		if _, err := ParseTime(bad, now, false); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}

func TestParseEventIDs(t *testing.T) {
	const top = 1<<31 - 1
	tests := []struct {
		in   string
		want string
	}{
		{"1069", "[{1069 1069}]"},
		{"1069, 1205-1207", "[{1069 1069} {1205 1207}]"},
		{">=4000", fmt.Sprintf("[{4000 %d}]", top)},
		{">4000", fmt.Sprintf("[{4001 %d}]", top)},
		{"<=10,<5", "[{0 10} {0 4}]"},
	}
	for _, tc := range tests {
		got, err := ParseEventIDs(tc.in)
		if err != nil || fmt.Sprint(got) != tc.want {
			t.Errorf("ParseEventIDs(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "x", "10-5", "<0", "1069-", "99999999999"} {
		if _, err := ParseEventIDs(bad); err == nil {
			t.Errorf("ParseEventIDs(%q) accepted", bad)
		}
	}
}

// On lower-cased fields a regular expression matches in any case, with its
// literal prefix kept plain so that bleve can narrow the term dictionary.
func TestIndexRegexp(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind fieldKind
		want string
	}{
		{`0x8007[0-9A-F]+`, kindText, `0x8007[0-9A-Fa-f]+`},
		{`MSExchange.*`, kindLower, `(?-s:msexchange.*)`},
		{`Setup`, kindExact, `Setup`},
	} {
		got, err := indexRegexp(tc.in, tc.kind)
		if err != nil || got != tc.want {
			t.Errorf("indexRegexp(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
