package index

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/exlog/exlog/parse"
)

// cover must split a range into disjoint spans that together hold
// exactly its values: checked value by value on a small universe with
// small levels, where every edge case is reachable.
func TestCoverExact(t *testing.T) {
	levels := []uint{0, 2, 4, 6}
	for lo := uint64(0); lo < 80; lo++ {
		for hi := lo; hi < 80; hi++ {
			seen := map[uint64]int{}
			for _, sp := range cover(lo, hi, levels) {
				for b := sp.a; b <= sp.b; b++ {
					for v := b << sp.shift; v < (b+1)<<sp.shift; v++ {
						seen[v]++
					}
				}
			}
			for v := uint64(0); v < 200; v++ {
				want := 0
				if v >= lo && v <= hi {
					want = 1
				}
				if seen[v] != want {
					t.Fatalf("cover(%d,%d): value %d covered %d times", lo, hi, v, seen[v])
				}
			}
		}
	}
	// The extremes of the 64-bit space neither overflow nor leave gaps.
	for _, r := range [][2]uint64{{0, math.MaxUint64}, {1, math.MaxUint64}, {0, math.MaxUint64 - 1}, {math.MaxUint64, math.MaxUint64}} {
		var n uint64
		for _, sp := range cover(r[0], r[1], timeLevels) {
			n += (sp.b - sp.a + 1) << sp.shift
		}
		if n != r[1]-r[0]+1 {
			t.Fatalf("cover%v holds %d values", r, n)
		}
	}
}

// Ranges on times and numbers find exactly the events a scan finds, for
// random bounds, open ends and exclusive ends.
func TestRangeQueryMatchesScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	t0 := time.Date(2024, 6, 11, 8, 0, 0, 0, time.UTC)
	var evs []*parse.Event
	for i := range 3000 {
		e := &parse.Event{
			Time:        t0.Add(time.Duration(rng.Int64N(int64(72 * time.Hour)))),
			TimeQuality: parse.TimeUTC, Source: parse.SourceClusterLog, File: "x.log",
			Line: i*3 + 1, EventID: rng.IntN(70000), Message: "m",
		}
		if i%500 == 0 {
			e.Time = time.Date(1700+i/100, 1, 1, 0, 0, 0, 0, time.UTC) // far from the others
		}
		evs = append(evs, e)
	}
	dir := t.TempDir()
	w, err := Create(filepath.Join(dir, "r.exlog"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		w.Add(e)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(filepath.Join(dir, "r.exlog"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	count := func(q query.Query) uint64 {
		t.Helper()
		res, err := r.Index.Search(bleve.NewSearchRequestOptions(slimRanges(q), 0, 0, false))
		if err != nil {
			t.Fatal(err)
		}
		return res.Total
	}
	bp := func(b bool) *bool { return &b }
	for range 300 {
		a := t0.Add(time.Duration(rng.Int64N(int64(80*time.Hour))) - 4*time.Hour)
		b := a.Add(time.Duration(rng.Int64N(int64(30 * time.Hour))))
		inclA, inclB := rng.IntN(2) == 0, rng.IntN(2) == 0
		open := rng.IntN(6)
		q := query.NewDateRangeInclusiveQuery(a, b, bp(inclA), bp(inclB))
		switch open {
		case 0:
			q = query.NewDateRangeInclusiveQuery(time.Time{}, b, nil, bp(inclB))
		case 1:
			q = query.NewDateRangeInclusiveQuery(a, time.Time{}, bp(inclA), nil)
		}
		q.SetField("time")
		var want uint64
		for _, e := range evs {
			okA := open == 0 || e.Time.After(a) || (inclA && e.Time.Equal(a))
			okB := open == 1 || e.Time.Before(b) || (inclB && e.Time.Equal(b))
			if okA && okB {
				want++
			}
		}
		if got := count(q); got != want {
			t.Fatalf("time %v..%v (%v,%v, open %d): %d hits, want %d", a, b, inclA, inclB, open, got, want)
		}

		lo, hi := float64(rng.IntN(72000)-1000), float64(rng.IntN(72000)-1000)
		for _, field := range []string{"event_id", "line"} {
			nq := query.NewNumericRangeInclusiveQuery(&lo, &hi, bp(inclA), bp(inclB))
			nq.SetField(field)
			var want uint64
			for _, e := range evs {
				v := float64(e.EventID)
				if field == "line" {
					v = float64(e.Line)
				}
				if field == "event_id" && e.EventID == 0 {
					continue // not indexed
				}
				if (v > lo || (inclA && v == lo)) && (v < hi || (inclB && v == hi)) {
					want++
				}
			}
			if got := count(nq); got != want {
				t.Fatalf("%s %v..%v (%v,%v): %d hits, want %d", field, lo, hi, inclA, inclB, got, want)
			}
		}
	}
	// Sorting reads the exact value: the earliest events come first.
	req := bleve.NewSearchRequestOptions(query.NewMatchAllQuery(), 3, 0, false)
	req.SortBy([]string{"time"})
	res, err := r.Index.Search(req)
	if err != nil || len(res.Hits) != 3 {
		t.Fatal(err)
	}
	if res.Hits[0].ID != evs[0].ID() || res.Hits[1].ID != evs[500].ID() {
		t.Fatalf("sorted by time: %s %s, want the 1700 and 1705 events", res.Hits[0].ID, res.Hits[1].ID)
	}
}
