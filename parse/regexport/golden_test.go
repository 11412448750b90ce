package regexport_test

import (
	"testing"

	"github.com/exlog/exlog/parse/parsetest"
	"github.com/exlog/exlog/parse/regexport"
)

// TestGolden compares what the parser reads from each sample with
// testdata/golden/<sample>.ndjson (rewrite: go test . -run TestGolden -update-golden).
func TestGolden(t *testing.T) { parsetest.Golden(t, regexport.Parser{}, "fixtures/registry", "*.reg") }
