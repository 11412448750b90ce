package setupfailure

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/setuplog"
)

// parseBytes runs the setup-log parser over data as the bundle reader
// would, with modTime as the file's time.
func parseBytes(t testing.TB, name string, data []byte, modTime time.Time) []*parse.Event {
	t.Helper()
	in := &parse.Input{
		Path:    name,
		ModTime: modTime,
		Size:    int64(len(data)),
		Open:    func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}
	var evs []*parse.Event
	rep := &parse.Report{Path: name}
	err := setuplog.Parser{}.Parse(context.Background(), in, rep, func(e *parse.Event) error {
		evs = append(evs, e)
		return nil
	})
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return evs
}

// findingsOf runs the detector through the engine, as triage does.
func findingsOf(t testing.TB, evs []*parse.Event) []detect.Finding {
	t.Helper()
	eng := detect.NewEngine([]*detect.Detector{Detector})
	for _, e := range evs {
		eng.Add(e)
	}
	res, err := eng.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res.Findings
}

// detectFile parses one file from disk and runs the detector on it.
func detectFile(t testing.TB, path string) []detect.Finding {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	return findingsOf(t, parseBytes(t, filepath.Base(path), data, st.ModTime()))
}
