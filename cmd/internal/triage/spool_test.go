package triage_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/cmd/internal/triage"
	"github.com/exlog/exlog/detect/all"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/index"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/formats"
	"github.com/exlog/exlog/parse/parsetest"
)

// The index pass reads the findings pass's events back from a spool
// instead of parsing the bundle again. The index must hold exactly what
// the re-parse gives: every event with the node the first pass settled
// (here a folder of meaningless name whose content names the node) and
// no event of a file that copies another (a .bak copy).
func TestSpoolIndexesWhatReparseIndexes(t *testing.T) {
	src := fixtures.Scenario("ex2003-rolling-upgrade-4node")
	files := parsetest.ReadTree(t, src)
	for i, f := range files {
		if dir, rest, ok := strings.Cut(f.Rel, "/"); ok && strings.HasPrefix(dir, "NODE") {
			files[i].Rel = "box-" + strings.ToLower(dir[4:]) + "/" + rest
		}
	}
	for _, f := range files {
		if filepath.Ext(f.Rel) == ".log" {
			files = append(files, parsetest.TreeFile{Rel: f.Rel + ".bak", Data: f.Data, Mod: f.Mod})
			break
		}
	}
	dir := parsetest.WriteTree(t, filepath.Join(t.TempDir(), "case"), files)
	indexed := func(spool bool) map[string]*parse.Event {
		opt := triage.Options{Name: "case", Bundles: []string{dir}, Parsers: formats.All(),
			Detectors: all.Detectors(), Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		path := filepath.Join(t.TempDir(), "case.exlog")
		w, err := index.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if spool {
			if opt.Spool, err = w.Spool(); err != nil {
				t.Fatal(err)
			}
		}
		res, err := triage.Run(context.Background(), opt)
		if err != nil {
			t.Fatal(err)
		}
		if spool && opt.Spool.Len() == 0 {
			t.Fatal("the findings pass spooled nothing")
		}
		if err := triage.Index(context.Background(), opt, res, w); err != nil {
			t.Fatal(err)
		}
		r, err := index.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		out := map[string]*parse.Event{}
		if err := r.Events(context.Background(), func(e *parse.Event) error { out[e.ID()] = e; return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	reparsed, spooled := indexed(false), indexed(true)
	if len(reparsed) == 0 {
		t.Fatal("nothing indexed")
	}
	for id, e := range reparsed {
		if filepath.Ext(e.File) == ".bak" {
			t.Fatalf("the .bak copy was indexed: %s", e.File)
		}
		if !reflect.DeepEqual(e, spooled[id]) {
			t.Fatalf("event %s differs:\nre-parsed %+v\nspooled   %+v", id, e, spooled[id])
		}
	}
	settled := 0
	for _, e := range spooled {
		if strings.HasPrefix(e.File, "box-1/") && e.Node == "NODE1" {
			settled++
		}
	}
	if settled == 0 {
		t.Error("no event of the folder box-1 carries the node its content names (NODE1)")
	}
	if len(spooled) != len(reparsed) {
		t.Fatalf("spooled index holds %d events, re-parsed %d", len(spooled), len(reparsed))
	}
}
