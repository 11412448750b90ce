package regexport_test

import (
	"path/filepath"
	"testing"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse/parsetest"
	"github.com/exlog/exlog/parse/regexport"
)

// TestGolden compares what the parser reads from each sample with
// testdata/golden/<sample>.ndjson (rewrite: go test . -run TestGolden -update-golden).
func TestGolden(t *testing.T) {
	dir := filepath.Join(fixtures.RepoRoot(), "fixtures/registry")
	parsetest.Golden(t, regexport.Parser{}, filepath.Join("testdata", "golden"), parsetest.Inputs(t, dir, "*.reg")...)
}
