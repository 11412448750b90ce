package index

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

func sampleEvents(n int) []*parse.Event {
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	out := make([]*parse.Event, 0, n)
	for i := range n {
		e := &parse.Event{
			Time: t0.Add(time.Duration(i) * time.Second), TimeQuality: parse.TimeUTC,
			Node: fmt.Sprintf("NODE%d", i%3+1), Source: parse.SourceClusterLog, File: "NODE1_cluster.log", Line: i + 1,
			Provider: "FailoverClustering", Level: parse.LevelInfo, Message: fmt.Sprintf("line %d of the log", i),
		}
		if i%100 == 7 {
			e.EventID = 1069
			e.Level = parse.LevelError
			e.Message = "Cluster resource 'SA' in clustered service or application 'EVS2' failed."
			e.SetField("group", "EVS2")
		}
		out = append(out, e)
	}
	return out
}

func build(t *testing.T, dir string, evs []*parse.Event) string {
	t.Helper()
	path := filepath.Join(dir, "b.exlog")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		w.Add(e)
	}
	if err := w.AddFindings([]detect.Finding{{Detector: "error-5018", Severity: detect.Error, Summary: "EVS2 could not come online", Nodes: []string{"NODE2"}}}); err != nil {
		t.Fatal(err)
	}
	if err := w.SetMeta(map[string]string{"bundle": "b"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWriteAndSearch(t *testing.T) {
	dir := t.TempDir()
	evs := sampleEvents(25000) // several batches per writer
	path := build(t, dir, evs)

	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n, _ := r.DocCount()
	if n != 25001 {
		t.Fatalf("doc count %d, want 25001 (every batch persisted before close)", n)
	}
	count := func(q string) uint64 {
		t.Helper()
		req := bleve.NewSearchRequestOptions(bleve.NewQueryStringQuery(q), 10, 0, false)
		req.Fields = []string{"*"}
		res, err := r.Search(req)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return res.Total
	}
	var node2 uint64
	for _, e := range evs {
		if e.EventID == 1069 && e.Node == "NODE2" {
			node2++
		}
	}
	for q, want := range map[string]uint64{
		`+event_id:1069`:                   250,
		`+node:node2 +event_id:1069`:       node2,
		`"could not come online"`:          1,
		`+fields.group:evs2`:               250,
		`+type:finding +severity:ERROR`:    1,
		`+level:error +provider:failover*`: 250,
	} {
		if got := count(q); got != want {
			t.Errorf("%s: %d hits, want %d", q, got, want)
		}
	}
	var meta map[string]string
	if err := r.Meta(&meta); err != nil || meta["bundle"] != "b" {
		t.Fatalf("meta %v %v", meta, err)
	}
	// Stored fields rebuild the event.
	req := bleve.NewSearchRequestOptions(bleve.NewQueryStringQuery(`+event_id:1069`), 1, 0, false)
	req.Fields = []string{"*"}
	req.SortBy([]string{"time"})
	res, err := r.Search(req)
	if err != nil {
		t.Fatal(err)
	}
	got := r.EventOf(res.Hits[0])
	want := evs[7]
	if got.ID() != want.ID() || !got.Time.Equal(want.Time) || got.Field("group") != "EVS2" || got.EventID != 1069 || got.Node != "NODE2" {
		t.Fatalf("rebuilt %+v, want %+v", got, want)
	}
	if res.Hits[0].ID != want.ID() {
		t.Fatalf("document ID %s, want %s", res.Hits[0].ID, want.ID())
	}
}

func TestRebuildReplacesAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	build(t, dir, sampleEvents(10))
	path := build(t, dir, sampleEvents(20)) // same bundle again: replaced, not doubled
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := r.DocCount()
	r.Close()
	if n != 21 {
		t.Fatalf("doc count %d, want 21", n)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("leftovers beside the index: %v", ents)
	}
}

func TestOpenRejectsOtherDirs(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.exlog")); err == nil {
		t.Fatal("missing index opened")
	}
	if _, err := Open(dir); err == nil {
		t.Fatal("plain directory opened as an index")
	}
	if _, err := Create(dir); err == nil {
		t.Fatal("Create would replace a directory that is not an index")
	}
}

// writerWith starts an index in dir and adds n sample events to it.
func writerWith(t *testing.T, dir string, n int) *Writer {
	t.Helper()
	w, err := Create(filepath.Join(dir, "x.exlog"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range sampleEvents(n) {
		w.Add(e)
	}
	return w
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	w := writerWith(t, dir, 100)
	w.Abort()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("abort left %v", ents)
	}
}

func BenchmarkIndexEvents(b *testing.B) {
	evs := sampleEvents(20000)
	b.ResetTimer()
	for range b.N {
		w, err := Create(filepath.Join(b.TempDir(), "bench.exlog"))
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range evs {
			w.Add(e)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
}
