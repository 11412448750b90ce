package pipeline

import (
	"strings"
	"testing"

	"github.com/exlog/exlog/parse"
)

// BenchmarkCopiesAdd measures the per-record cost of copy detection, which
// every record of a bundle pays.
func BenchmarkCopiesAdd(b *testing.B) {
	var c Copies
	e := &parse.Event{Source: "setuplog", Provider: "ExchangeSetup", Node: "NODE1", File: "a.log", Message: strings.Repeat("x", 200)}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e.Line = i
		c.Add(e)
	}
}
