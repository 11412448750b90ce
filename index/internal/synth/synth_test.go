package synth

import (
	"testing"
	"time"
)

func TestEventsShape(t *testing.T) {
	c := Config{Events: 20000, Nodes: 4, Seed: 7}
	n, chars := 0, 0
	ids := map[string]bool{}
	var first, last time.Time
	perID := map[int]int{}
	for e := range Events(c) {
		n++
		chars += len(e.Message)
		ids[e.ID()] = true
		perID[e.EventID]++
		if first.IsZero() || e.Time.Before(first) {
			first = e.Time
		}
		if e.Time.After(last) {
			last = e.Time
		}
	}
	if n != 20000 || len(ids) != n {
		t.Fatalf("%d events, %d distinct IDs", n, len(ids))
	}
	if avg := chars / n; avg < 80 || avg > 200 {
		t.Fatalf("average message %d chars", avg)
	}
	if span := last.Sub(first); span < 29*24*time.Hour || span > 31*24*time.Hour {
		t.Fatalf("span %s", span)
	}
	// Service state changes dominate; failovers are rare.
	if perID[7036] < 10*perID[1069] || perID[1069] == 0 {
		t.Fatalf("7036: %d, 1069: %d", perID[7036], perID[1069])
	}
	// Deterministic for a seed.
	var a, b []string
	for e := range Events(Config{Events: 50, Seed: 3}) {
		a = append(a, e.Message)
	}
	for e := range Events(Config{Events: 50, Seed: 3}) {
		b = append(b, e.Message)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("event %d differs between runs", i)
		}
	}
}
