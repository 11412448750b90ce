package versionmismatch_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/exlog/exlog/detect/detecttest"
	"github.com/exlog/exlog/detect/upgradecms"
	"github.com/exlog/exlog/detect/versionmismatch"
	"github.com/exlog/exlog/fixtures"
)

// BenchmarkDetectors measures selecting, deriving the facts and running
// both build detectors over already parsed events (the real EVTX and
// setup-log corpus, about 40,000 events): the cost they add to a triage
// run, reported against the size of the files.
func BenchmarkDetectors(b *testing.B) {
	var size int64
	var paths []string
	for _, sub := range []string{"evtx", "setuplogs"} {
		dir := fixtures.Corpus(b, sub)
		paths = append(paths, dir)
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if fi, err := os.Stat(filepath.Join(dir, e.Name())); err == nil {
				size += fi.Size()
			}
		}
	}
	evs := detecttest.Bundle(b, paths[0])
	evs = append(evs, detecttest.Bundle(b, paths[1])...)
	b.Logf("%d events", len(evs))
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		detecttest.Detect(b, evs, versionmismatch.Detector, upgradecms.Detector)
	}
}
