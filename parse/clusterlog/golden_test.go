package clusterlog_test

import (
	"testing"

	"github.com/exlog/exlog/parse/clusterlog"
	"github.com/exlog/exlog/parse/parsetest"
)

// TestGolden compares what the parser reads from each sample with
// testdata/golden/<sample>.ndjson (rewrite: go test . -run TestGolden -update-golden).
func TestGolden(t *testing.T) {
	parsetest.Golden(t, clusterlog.Parser{}, "parse/clusterlog/testdata", "*.log", "*.txt")
}
