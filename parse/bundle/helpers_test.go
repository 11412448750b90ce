package bundle

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
)

// lineParser is a tiny test format: files whose head starts with prefix,
// one event per line. A line "node=X" sets the event's node, as a parser
// that reads the node from content would.
type lineParser struct{ name, prefix string }

func (p lineParser) Name() string           { return p.name }
func (p lineParser) Sniff(head []byte) bool { return bytes.HasPrefix(head, []byte(p.prefix)) }

func (p lineParser) Parse(ctx context.Context, in *parse.Input, rep *parse.Report, emit func(*parse.Event) error) error {
	rc, err := in.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	l := parse.NewLines(rc)
	for l.Next() {
		ev := &parse.Event{Source: p.name, Line: l.Number(), Message: l.Text(), TimeQuality: parse.TimeNone}
		if n, ok := strings.CutPrefix(l.Text(), "node="); ok {
			ev.Node = n
		}
		if err := emit(ev); err != nil {
			return err
		}
		rep.Events++
	}
	return l.Err()
}

// panicParser emits one event, then panics.
type panicParser struct{}

func (panicParser) Name() string           { return "panicky" }
func (panicParser) Sniff(head []byte) bool { return bytes.HasPrefix(head, []byte("PANIC")) }
func (panicParser) Parse(ctx context.Context, in *parse.Input, rep *parse.Report, emit func(*parse.Event) error) error {
	if err := emit(&parse.Event{Message: "before the panic"}); err != nil {
		return err
	}
	rep.Events++
	var m map[string]int
	m["boom"]++ // a nil map write: a real runtime panic, not a friendly one
	return nil
}

var testParsers = []parse.Parser{lineParser{"lines", "LINE"}, panicParser{}}

// zf is a file to put in a test archive.
type zf struct {
	name  string
	data  []byte
	store bool // stored (method 0) instead of deflated
	mod   time.Time
}

var testTime = time.Date(2024, 3, 21, 10, 30, 0, 0, time.UTC)

func zipBytes(t testing.TB, files ...zf) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: f.mod}
		if f.store {
			h.Method = zip.Store
		}
		if h.Modified.IsZero() {
			h.Modified = testTime
		}
		fw, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tf is a tar entry; typ 0 means a regular file.
type tf struct {
	name, link string
	typ        byte
	data       []byte
}

func tarBytes(t testing.TB, files ...tf) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Linkname: f.link, Typeflag: f.typ, Mode: 0o644, Size: int64(len(f.data)), ModTime: testTime, Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := w.Write(f.data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// result is what a test Parse produced, by path.
type result struct {
	reports []*parse.Report
	byPath  map[string]*parse.Report
	events  map[string][]*parse.Event
}

func runParse(t testing.TB, roots []string, opt Options) *result {
	t.Helper()
	var mu sync.Mutex
	res := &result{byPath: map[string]*parse.Report{}, events: map[string][]*parse.Event{}}
	reps, err := Parse(context.Background(), roots, testParsers, opt, func(ev *parse.Event) error {
		mu.Lock()
		res.events[ev.File] = append(res.events[ev.File], ev)
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	res.reports = reps
	for _, r := range reps {
		if _, dup := res.byPath[r.Path]; dup {
			t.Errorf("two reports for %s", r.Path)
		}
		res.byPath[r.Path] = r
	}
	if !sort.SliceIsSorted(reps, func(i, j int) bool { return reps[i].Path < reps[j].Path }) {
		t.Errorf("reports are not sorted by path")
	}
	return res
}

func (r *result) get(t testing.TB, path string) *parse.Report {
	t.Helper()
	rep := r.byPath[path]
	if rep == nil {
		var have []string
		for _, x := range r.reports {
			have = append(have, x.Path)
		}
		t.Fatalf("no report for %s; have:\n%s", path, strings.Join(have, "\n"))
	}
	return rep
}

// walkAll collects every Input Walk visits, in visit order.
func walkAll(t testing.TB, root string, opt Options) []*parse.Input {
	t.Helper()
	var ins []*parse.Input
	if err := Walk(context.Background(), root, opt, func(in *parse.Input) error {
		ins = append(ins, in)
		return nil
	}); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return ins
}

func readInput(t testing.TB, in *parse.Input) ([]byte, error) {
	t.Helper()
	rc, err := in.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// lines makes n test lines with a prefix the line parser accepts.
func lines(n int, tag string) []byte {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString("LINE ")
		b.WriteString(tag)
		b.WriteString(" ")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}
