package setuplog_test

import (
	"testing"

	"github.com/exlog/exlog/parse/parsetest"
	"github.com/exlog/exlog/parse/setuplog"
)

// TestGolden compares what the parser reads from each sample with
// testdata/golden/<sample>.ndjson (rewrite: go test . -run TestGolden -update-golden).
func TestGolden(t *testing.T) {
	parsetest.Golden(t, setuplog.Parser{}, "parse/setuplog/testdata", "*.log")
}
