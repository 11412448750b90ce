package index

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/exlog/exlog/parse"
)

// Every event comes back from its pointer and in file order, also events
// larger than a block and across many blocks; a damaged file is refused
// with an error, never a panic.
func TestEventStore(t *testing.T) {
	dir := t.TempDir()
	w, err := newStoreWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	evs := sampleEvents(3000)
	evs[10].Message = strings.Repeat("a long line ", 20000) // several blocks' worth
	ptrs := make([][]byte, len(evs))
	for i, e := range evs {
		if ptrs[i], err = w.add(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	r, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.starts) < 5 {
		t.Fatalf("%d blocks; the test wants several", len(r.starts)-1)
	}
	for _, i := range []int{0, 10, 11, 1500, 2999, 7} { // out of order: the cache must not matter
		got, err := r.event(ptrs[i])
		if err != nil || !reflect.DeepEqual(got, evs[i]) {
			t.Fatalf("event %d: %v\n got %+v\nwant %+v", i, err, got, evs[i])
		}
	}
	n := 0
	err = r.each(context.Background(), func(e *parse.Event) error {
		if !reflect.DeepEqual(e, evs[n]) {
			t.Fatalf("each: event %d differs", n)
		}
		n++
		return nil
	})
	if err != nil || n != len(evs) {
		t.Fatalf("each: %d events, %v", n, err)
	}
	if _, err := r.event([]byte{0xff}); err == nil {
		t.Error("a damaged pointer gave an event")
	}
	r.close()

	path := filepath.Join(dir, eventsFile)
	whole, _ := os.ReadFile(path)
	for _, cut := range []int{len(whole) - 1, len(whole) / 2, 10, 0} {
		os.WriteFile(path, whole[:cut], 0o644)
		if r, err := openStore(dir); err == nil {
			r.close()
			t.Errorf("a file cut to %d of %d bytes opened", cut, len(whole))
		}
	}
	flipped := append([]byte(nil), whole...)
	flipped[len(flipped)/3] ^= 0xff // inside a block
	os.WriteFile(path, flipped, 0o644)
	if r, err := openStore(dir); err == nil {
		r.each(context.Background(), func(*parse.Event) error { return nil }) // an error or not, never a panic
		for _, p := range ptrs {
			r.event(p)
		}
		r.close()
	}
}
