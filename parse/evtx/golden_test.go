package evtx_test

import (
	"testing"

	"github.com/exlog/exlog/parse/evtx"
	"github.com/exlog/exlog/parse/parsetest"
)

// TestGolden compares what the parser reads from each sample with
// testdata/golden/<sample>.ndjson (rewrite: go test . -run TestGolden -update-golden).
func TestGolden(t *testing.T) { parsetest.Golden(t, &evtx.Parser{}, "fixtures/eventlogs", "*.evtx") }
