// Package parsetest runs a parser over files the way a bundle would and
// compares what it read with golden files, for the tests of every format
// package (telegraf's directory-driven test cases, analysistest's
// .golden naming). It is imported only by tests.
package parsetest

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/bundle"
	"github.com/exlog/exlog/parse/pipeline"
)

// Update rewrites the golden files instead of comparing with them:
// go test ./parse/FORMAT -run Golden -update-golden
var Update = flag.Bool("update-golden", false, "rewrite the parsers' golden files")

// Now is the analysis time the golden runs use, so that their output
// does not change with the day they run.
var Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Parse runs p over the file at path through the pipeline, as one file of
// a bundle, and returns its events in file order and its report.
func Parse(t testing.TB, p parse.Parser, path string) ([]*parse.Event, *parse.Report) {
	t.Helper()
	evs, reps := Pipeline(t, pipeline.Options{Parsers: []parse.Parser{p}, Now: Now}, path)
	if len(reps) != 1 {
		t.Fatalf("%s: %d reports, want 1", path, len(reps))
	}
	SortByPosition(evs)
	return evs, reps[0]
}

// Pipeline reads the bundles at paths through the pipeline with opt, as
// exlog does, and returns every event, in no fixed order since parse
// workers emit concurrently, with the files' reports.
func Pipeline(t testing.TB, opt pipeline.Options, paths ...string) ([]*parse.Event, []*parse.Report) {
	t.Helper()
	var c collector
	reps, err := pipeline.Run(context.Background(), paths, opt, &c)
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(paths, ", "), err)
	}
	return c.evs, reps
}

// collector gathers the events that parse workers emit concurrently.
type collector struct {
	mu  sync.Mutex
	evs []*parse.Event
}

// Add keeps e; it is a pipeline.Sink and a bundle.Parse emit.
func (c *collector) Add(e *parse.Event) error {
	c.mu.Lock()
	c.evs = append(c.evs, e)
	c.mu.Unlock()
	return nil
}

// SortByPosition orders events as they stand in their files: by file,
// then line or record and offset, derived events after their record.
func SortByPosition(evs []*parse.Event) {
	slices.SortStableFunc(evs, func(a, b *parse.Event) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if a.Record != b.Record {
			if a.Record < b.Record {
				return -1
			}
			return 1
		}
		if a.Offset != b.Offset {
			if a.Offset < b.Offset {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Kind, b.Kind)
	})
}

// Golden parses each file of srcDir (a folder relative to the repository
// root) whose name matches one of the patterns with p, and compares the
// result with testdata/golden/<base name>.ndjson of the test's package:
// one line for the file's report, then one line per event with its ID. A
// missing golden file fails and says how to write it.
func Golden(t *testing.T, p parse.Parser, srcDir string, patterns ...string) {
	t.Helper()
	const goldenDir = "testdata/golden"
	inputs := Inputs(t, filepath.Join(fixtures.RepoRoot(), srcDir), patterns...)
	if len(inputs) == 0 {
		t.Fatalf("no inputs %v in %s", patterns, srcDir)
	}
	for _, in := range inputs {
		name := filepath.Base(in)
		t.Run(name, func(t *testing.T) {
			evs, rep := Parse(t, p, in)
			got := encode(t, rep, evs)
			golden := filepath.Join(goldenDir, name+".ndjson")
			if *Update {
				if err := os.MkdirAll(goldenDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v; write it with: go test . -run %s -update-golden", err, t.Name())
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from what %s reads now (first difference at line %d); review with -update-golden and git diff",
					golden, p.Name(), firstDiff(got, want))
			}
		})
	}
}

// Inputs lists the files of dir whose names match one of the patterns.
func Inputs(t testing.TB, dir string, patterns ...string) []string {
	t.Helper()
	var out []string
	for _, p := range patterns {
		m, err := filepath.Glob(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

type eventLine struct {
	ID string `json:"id"`
	*parse.Event
}

func encode(t testing.TB, rep *parse.Report, evs []*parse.Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep); err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if err := enc.Encode(eventLine{e.ID(), e}); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func firstDiff(a, b []byte) int {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(la) && i < len(lb); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}

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
	var c collector
	reps, err := bundle.Parse(context.Background(), paths, ps, bundle.Options{}, c.Add)
	if err != nil {
		t.Fatal(err)
	}
	return c.evs, reps
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

// CheckFields fails the test, without stopping it, for every field of
// want that e does not hold with that value; a field e lacks reads as "",
// so want can also say that a field is absent or empty.
func CheckFields(t testing.TB, e *parse.Event, want map[string]string) {
	t.Helper()
	where := fmt.Sprintf("line %d", e.Line)
	if e.Line == 0 {
		where = fmt.Sprintf("record %d", e.Record)
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got := e.Field(k); got != want[k] {
			t.Errorf("%s %s: %s = %q, want %q", e.File, where, k, got, want[k])
		}
	}
}

// CollectLines is Collect for a line parser, failing the test unless the
// run kept what CheckLines checks; data is what in holds.
func CollectLines(t testing.TB, p parse.Parser, in *parse.Input, data []byte) ([]*parse.Event, *parse.Report, error) {
	t.Helper()
	evs, rep, err := Collect(p, in)
	CheckLines(t, data, evs, rep, err)
	return evs, rep, err
}

// NodeBytes is Bytes for a file collected from node.
func NodeBytes(path string, data []byte, node string) *parse.Input {
	in := Bytes(path, data)
	in.Node = node
	return in
}

// LineFixtures serves the unit tests of a line parser whose fixtures lie
// in one folder under fixtures.Dir().
type LineFixtures struct {
	Parser parse.Parser
	Dir    string // the fixture folder, relative to fixtures.Dir()
	// Valid says whether an event of a file named path holds what every
	// event of the format must.
	Valid func(path string, e *parse.Event) bool
}

// Path is the fixture file name (or glob pattern) in the folder.
func (f LineFixtures) Path(name string) string { return filepath.Join(fixtures.Dir(), f.Dir, name) }

// Read returns the fixture file name or fails the test.
func (f LineFixtures) Read(t testing.TB, name string) []byte { return ReadFile(t, f.Path(name)) }

// Parse runs the parser over data, a file named path collected from
// node, with CollectLines, and fails the test at the first event that is
// not Valid.
func (f LineFixtures) Parse(t testing.TB, path string, data []byte, node string) ([]*parse.Event, *parse.Report, error) {
	t.Helper()
	evs, rep, err := CollectLines(t, f.Parser, NodeBytes(path, data, node), data)
	for _, e := range evs {
		if !f.Valid(path, e) {
			t.Fatalf("%s: bad event: %+v", f.Dir, e)
		}
	}
	return evs, rep, err
}

// FuzzLines is the body of a line parser's fuzz target: it sniffs the
// head of data, parses all of data as in with CollectLines and returns
// the events for the target's own checks.
func FuzzLines(t testing.TB, p parse.Parser, in *parse.Input, data []byte) []*parse.Event {
	t.Helper()
	p.Sniff(data[:min(len(data), parse.SniffSize)])
	evs, _, _ := CollectLines(t, p, in, data)
	return evs
}

// CheckSniffRejects fails the test for every file of paths, then of the
// shared corpus's cluster logs, setup logs and event logs, whose head p's
// Sniff claims: a format must leave the others' files alone. Without the
// corpus the test skips once paths are checked.
func CheckSniffRejects(t testing.TB, p parse.Parser, paths ...string) {
	t.Helper()
	check := func(path string) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		head := make([]byte, parse.SniffSize)
		n, _ := io.ReadFull(f, head)
		if p.Sniff(head[:n]) {
			t.Errorf("Sniff claims %s", path)
		}
	}
	for _, path := range paths {
		check(path)
	}
	for _, sub := range []string{"clusterlogs", "setuplogs", "evtx", "evt"} {
		for _, path := range fixtures.CorpusGlob(t, sub, "*") {
			check(path)
		}
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

// CheckEmitError runs p over in with an emit that fails at the nth event
// and fails the test unless p returns that very error after exactly n
// events: a sink that cannot take more (a full index, a closed output)
// must stop the parse. It returns the run's report.
func CheckEmitError(t testing.TB, p parse.Parser, in *parse.Input, n int) *parse.Report {
	t.Helper()
	stop := errors.New("parsetest: stop")
	rep := &parse.Report{Path: in.Path}
	emitted := 0
	err := p.Parse(context.Background(), in, rep, func(*parse.Event) error {
		if emitted++; emitted == n {
			return stop
		}
		return nil
	})
	if err != stop || emitted != n {
		t.Errorf("%s: err %v after %d events; want the emit error after %d", in.Path, err, emitted, n)
	}
	return rep
}

// CheckCancel runs p over in with a context cancelled before it starts
// and fails the test unless p returns context.Canceled having emitted at
// most max events (parsers look at the context every so many lines). It
// returns how many it emitted.
func CheckCancel(t testing.TB, p parse.Parser, in *parse.Input, max int) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n := 0
	err := p.Parse(ctx, in, &parse.Report{Path: in.Path}, func(*parse.Event) error { n++; return nil })
	if !errors.Is(err, context.Canceled) || n > max {
		t.Errorf("%s: err %v after %d events; want context.Canceled after at most %d", in.Path, err, n, max)
	}
	return n
}

// TreeFile is one file of a folder bundle: its path below the folder, with
// forward slashes, its bytes and its modification time (the setup-log
// parser dates lines by it).
type TreeFile struct {
	Rel  string
	Data []byte
	Mod  time.Time
}

// ReadTree reads every file below dir, for tests that copy or re-pack a
// bundle.
func ReadTree(t testing.TB, dir string) []TreeFile {
	t.Helper()
	var out []TreeFile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, TreeFile{Rel: filepath.ToSlash(rel), Data: b, Mod: fi.ModTime()})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// WriteTree writes files below dir with their modification times (unless
// zero) and returns dir.
func WriteTree(t testing.TB, dir string, files []TreeFile) string {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		if !f.Mod.IsZero() {
			if err := os.Chtimes(p, f.Mod, f.Mod); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// ZipDir writes the folder dir as a zip in a temporary folder, named after
// dir, the way a customer sends a bundle, and returns the zip's path.
// Tests compare what exlog reads from it with what it reads from dir.
func ZipDir(t testing.TB, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(dir)+".zip")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(w, src)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}
