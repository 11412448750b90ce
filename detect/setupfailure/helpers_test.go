package setupfailure

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/detecttest"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
	"github.com/exlog/exlog/parse/setuplog"
)

// parseBytes runs the setup-log parser over data as the bundle reader
// would, with modTime as the file's time.
func parseBytes(t testing.TB, name string, data []byte, modTime time.Time) []*parse.Event {
	t.Helper()
	in := parsetest.Bytes(name, data)
	in.ModTime = modTime
	evs, _, err := parsetest.Collect(setuplog.Parser{}, in)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return evs
}

// findingsOf runs the detector through the engine, as triage does.
func findingsOf(t testing.TB, evs []*parse.Event) []detect.Finding {
	return detecttest.Detect(t, evs, Detector)
}

// detectFile parses one file from disk and runs the detector on it.
func detectFile(t testing.TB, path string) []detect.Finding {
	t.Helper()
	data := parsetest.ReadFile(t, path)
	st, _ := os.Stat(path)
	return findingsOf(t, parseBytes(t, filepath.Base(path), data, st.ModTime()))
}
