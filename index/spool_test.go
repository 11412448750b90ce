package index

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
)

// newSpool starts an index in a temporary folder (aborted when the test
// ends) and a spool in it.
func newSpool(t *testing.T) (*Writer, *Spool) {
	t.Helper()
	w, err := Create(filepath.Join(t.TempDir(), "s.exlog"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Abort)
	sp, err := w.Spool()
	if err != nil {
		t.Fatal(err)
	}
	return w, sp
}

// The index pass reads the findings pass's events back from the spool:
// every attribute the index uses, NodeFrom and Fields included, must come
// back as it went in, in the order added, also when several parse workers
// add at once.
func TestSpoolRoundTrip(t *testing.T) {
	w, sp := newSpool(t)
	evs := sampleEvents(5000)
	for i, e := range evs {
		if i%3 == 0 {
			e.NodeFrom = parse.NodeFromLayout
		}
		e.Record, e.Offset, e.Run = uint64(i)*7, int64(i)*512, i%4
	}
	evs[9].Time = evs[9].Time.In(time.FixedZone("CET", 3600)) // comes back in UTC
	var wg sync.WaitGroup
	var mu sync.Mutex
	added := map[string]*parse.Event{}
	for part := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := part; i < len(evs); i += 4 {
				mu.Lock()
				added[evs[i].ID()] = evs[i]
				mu.Unlock()
				if err := sp.Add(evs[i]); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if sp.Len() != len(evs) {
		t.Fatalf("Len = %d, want %d", sp.Len(), len(evs))
	}
	n := 0
	err := sp.Replay(context.Background(), func(e *parse.Event) error {
		n++
		want := *added[e.ID()]
		want.Time = want.Time.UTC()
		if !reflect.DeepEqual(*e, want) {
			t.Fatalf("replayed\n%+v\nwant\n%+v", *e, want)
		}
		return nil
	})
	if err != nil || n != len(evs) {
		t.Fatalf("Replay: %d events, %v; want %d", n, err, len(evs))
	}
	if left, _ := filepath.Glob(filepath.Join(w.tmp, "spool-*")); len(left) != 0 {
		t.Errorf("spool file left after Replay: %v", left)
	}
	if sp.Add(evs[0]); sp.Err() == nil {
		t.Error("Add after Replay went unnoticed")
	}
}

// A spool never ends up inside the finished index, read or not, and an
// error from the index pass stops the replay.
func TestSpoolNotInIndex(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.exlog")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := w.Spool()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range sampleEvents(10) {
		sp.Add(e)
	}
	stop := errors.New("stop")
	seen := 0
	if err := sp.Replay(context.Background(), func(*parse.Event) error { seen++; return stop }); !errors.Is(err, stop) || seen != 1 {
		t.Fatalf("Replay = %v after %d events, want the sink's error after 1", err, seen)
	}
	sp2, _ := w.Spool()
	sp2.Add(sampleEvents(1)[0])
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if d != nil && filepath.Ext(p) == ".tmp" {
			t.Errorf("%s left in the index", p)
		}
		return nil
	})
}

// A search names each index by the bundle its metadata names, read from
// a key of its own; an index whose metadata names none goes by its
// folder's name.
func TestBundleName(t *testing.T) {
	for _, c := range []struct {
		meta any
		want string
	}{
		{map[string]any{"bundle": "CASE-7", "files": []string{"a"}}, "CASE-7"},
		{map[string]any{"files": []string{"a"}}, "unnamed"},
	} {
		path := filepath.Join(t.TempDir(), "unnamed.exlog")
		w, err := Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w.Add(sampleEvents(1)[0])
		if err := w.SetMeta(c.meta); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		s, err := OpenSet(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.bundles[path]; got != c.want {
			t.Errorf("metadata %v: bundle %q, want %q", c.meta, got, c.want)
		}
		s.Close()
	}
}

// A spool that cannot write (a full disk) never fails the pass feeding
// it; it stops, says why, and leaves no file behind.
func TestSpoolWriteErrorStopsQuietly(t *testing.T) {
	w, sp := newSpool(t)
	sp.f.Close() // every write from now on fails
	e := sampleEvents(1)[0]
	e.Message = strings.Repeat("x", 64<<10)
	for range 40 { // more than the write buffer holds
		if err := sp.Add(e); err != nil {
			t.Fatalf("Add returned %v; it must not fail the findings pass", err)
		}
	}
	if sp.Err() == nil {
		t.Fatal("Err is nil after writes failed")
	}
	if left, _ := filepath.Glob(filepath.Join(w.tmp, "spool-*")); len(left) != 0 {
		t.Errorf("spool file left after the failure: %v", left)
	}
}
