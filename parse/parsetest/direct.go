package parsetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/bundle"
)

// The helpers below call a parser directly, without the bundle reader,
// for tests that look at one parser's events and for fuzz targets; every
// format package had its own copy of them.

// Bytes is an input over data in memory named path, with its size set,
// as the bundle reader hands a file to a parser. Callers set Node or
// ModTime on it when the test needs them.
func Bytes(path string, data []byte) *parse.Input {
	return &parse.Input{
		Path: path,
		Size: int64(len(data)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}
}

// Collect runs p over in with a fresh report for in's path and size and
// returns the events in the order p emitted them, the report (not
// finished: callers that want its status call rep.Finish(err)) and p's
// error.
func Collect(p parse.Parser, in *parse.Input) ([]*parse.Event, *parse.Report, error) {
	rep := &parse.Report{Path: in.Path, Size: in.Size}
	var evs []*parse.Event
	err := p.Parse(context.Background(), in, rep, func(e *parse.Event) error {
		evs = append(evs, e)
		return nil
	})
	return evs, rep, err
}

// ReadFile returns the contents of path or fails the test.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// CorpusFiles returns the files of ../shared/corpus/<sub> that match
// pattern, in name order and at most n of them (all when n <= 0), or none
// when the corpus is absent. Fuzz targets seed from it and must still run
// without it, so unlike fixtures.Corpus it never skips.
func CorpusFiles(sub, pattern string, n int) []string {
	m, _ := filepath.Glob(filepath.Join(fixtures.RepoRoot(), "..", "shared", "corpus", sub, pattern))
	if n > 0 && len(m) > n {
		m = m[:n]
	}
	return m
}

// AddSeeds adds each readable file as a fuzz seed, cut to its first max
// bytes when max > 0: large seeds make every mutation and minimisation
// slow without reaching more code. Files that cannot be read are left out,
// so optional corpus files need no check.
func AddSeeds(f *testing.F, max int, paths ...string) {
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if max > 0 && len(b) > max {
			b = b[:max]
		}
		f.Add(b)
	}
}

// Bundle reads the bundles (folders, archives or single files) at paths
// with the parsers ps through the bundle reader and returns every event,
// in no fixed order since parse workers emit concurrently, with the
// files' reports.
func Bundle(t testing.TB, ps []parse.Parser, paths ...string) ([]*parse.Event, []*parse.Report) {
	t.Helper()
	var evs []*parse.Event
	var mu sync.Mutex
	reps, err := bundle.Parse(context.Background(), paths, ps, bundle.Options{}, func(e *parse.Event) error {
		mu.Lock()
		evs = append(evs, e)
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs, reps
}

// File is an input over the file at path, named by its base name, of
// unknown size as a member of a compressed stream would be.
func File(path string) *parse.Input {
	return &parse.Input{Path: filepath.Base(path), Size: -1, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// CheckLines fails the test unless a line parser's run over data kept
// what every run must, fuzzed or not: no recovered panic in err, events on
// strictly increasing lines that data can hold (UTF-16 text, marked by
// its byte-order mark, is only bounded by its size) and a report that
// counts every event.
func CheckLines(t testing.TB, data []byte, evs []*parse.Event, rep *parse.Report, err error) {
	t.Helper()
	var pe *parse.PanicError
	if errors.As(err, &pe) {
		t.Fatalf("panic: %v", err)
	}
	lines := bytes.Count(data, []byte("\n")) + 1
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		lines = len(data)
	}
	last := 0
	for _, e := range evs {
		if e.Line <= last || e.Line > lines {
			t.Fatalf("event at line %d follows line %d (the input has at most %d lines): %+v", e.Line, last, lines, e)
		}
		last = e.Line
	}
	if rep.Events != len(evs) {
		t.Fatalf("report counts %d events, %d emitted", rep.Events, len(evs))
	}
}

// HasProblem reports whether one of the report's problems gives a reason
// containing word.
func HasProblem(rep *parse.Report, word string) bool {
	return slices.ContainsFunc(rep.Problems, func(p parse.Problem) bool { return strings.Contains(p.Reason, word) })
}

// Diffs gathers what differs between one record as exlog read it and as a
// reference reader (or writer) has it, so that a crosscheck reports all of
// a record's differences in one line.
type Diffs []string

// Check adds name with both values when got and want differ.
func (d *Diffs) Check(name string, got, want any) {
	if got != want {
		*d = append(*d, fmt.Sprintf("%s %q, want %q", name, fmt.Sprint(got), fmt.Sprint(want)))
	}
}
