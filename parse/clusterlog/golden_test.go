package clusterlog_test

import (
	"path/filepath"
	"testing"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse/clusterlog"
	"github.com/exlog/exlog/parse/parsetest"
)

// TestGolden compares what the parser reads from each sample with
// testdata/golden/<sample>.ndjson (rewrite: go test . -run TestGolden -update-golden).
func TestGolden(t *testing.T) {
	dir := filepath.Join(fixtures.RepoRoot(), "parse/clusterlog/testdata")
	parsetest.Golden(t, clusterlog.Parser{}, filepath.Join("testdata", "golden"), parsetest.Inputs(t, dir, "*.log", "*.txt")...)
}
