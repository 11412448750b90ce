// Package detecttest runs detectors over test bundles and checks their
// findings against expectations written beside them, as go/analysis's
// analysistest does with `// want` comments. It is imported only by tests.
//
// A case is a bundle in a detector's testdata folder (a folder, zip or
// file) with a sibling <case>.want file, one expected finding a line:
//
//	error error-5018 cause=one-evs-per-node nodes=NODE2 groups=EVS2 /System Attendant/
//	warning failover-storm cause=ping-pong groups="Cluster Group"
//	# comments and blank lines are ignored
//
// The severity and detector come first; cause, nodes and groups must equal
// the finding's (a missing key means "any", "-" means empty); the text
// between slashes is a regular expression the summary must match. Every
// finding must be wanted and every want found: a must-stay-silent case is
// a .want file with no finding lines.
package detecttest

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/bundle"
	"github.com/exlog/exlog/parse/formats"
	"github.com/exlog/exlog/parse/parsetest"
	"github.com/exlog/exlog/parse/pipeline"
)

// Now is the analysis time of every run, so that results do not change
// with the day.
var Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Findings runs the detectors over one bundle the way exlog triage does:
// every parser, node and copy settling, then the detectors.
func Findings(t testing.TB, dets []*detect.Detector, bundle string) []detect.Finding {
	t.Helper()
	eng := detect.NewEngine(dets)
	var copies pipeline.Copies
	var mu sync.Mutex
	reps, err := pipeline.Run(context.Background(), []string{bundle}, pipeline.Options{Parsers: formats.All(), Now: Now},
		&copies, pipeline.SinkFunc(func(e *parse.Event) error {
			mu.Lock()
			defer mu.Unlock()
			eng.Add(e)
			return nil
		}))
	if err != nil {
		t.Fatalf("%s: %v", bundle, err)
	}
	files, dups := pipeline.Settle(reps, &copies)
	eng.Each(func(e *parse.Event) {
		if f, ok := files[e.File]; ok {
			pipeline.Renode(e, f)
		}
	})
	eng.Drop(func(e *parse.Event) bool { _, ok := dups[e.File]; return ok })
	res, err := eng.Run(context.Background())
	if err != nil {
		t.Fatalf("%s: %v", bundle, err)
	}
	return res.Findings
}

// Result reads the bundle at path with every format parser through the
// bundle reader and runs dets over its events, as triage's first pass
// does (no node or copy settling), and returns the engine's result with
// the files' reports.
func Result(t testing.TB, dets []*detect.Detector, path string) (*detect.Result, []*parse.Report) {
	t.Helper()
	eng := detect.NewEngine(dets)
	reps, err := bundle.Parse(context.Background(), []string{path}, formats.All(), bundle.Options{}, func(e *parse.Event) error {
		eng.Add(e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res, reps
}

// Run checks every case of dir (normally "testdata") against its .want
// file, running only the detector d.
func Run(t *testing.T, d *detect.Detector, dir string) {
	t.Helper()
	wants, err := filepath.Glob(filepath.Join(dir, "*.want"))
	if err != nil || len(wants) == 0 {
		t.Fatalf("no cases (*.want) in %s", dir)
	}
	for _, w := range wants {
		name := strings.TrimSuffix(filepath.Base(w), ".want")
		t.Run(name, func(t *testing.T) {
			bundle := caseBundle(t, dir, name)
			exp := readWant(t, w)
			for _, p := range check(w, exp, Findings(t, []*detect.Detector{d}, bundle)) {
				t.Error(p)
			}
		})
	}
}

// caseBundle finds the bundle of a case: a folder or a file named like it.
func caseBundle(t *testing.T, dir, name string) string {
	t.Helper()
	ms, _ := filepath.Glob(filepath.Join(dir, name+"*"))
	for _, m := range ms {
		if !strings.HasSuffix(m, ".want") && (filepath.Base(m) == name || strings.HasPrefix(filepath.Base(m), name+".")) {
			return m
		}
	}
	t.Fatalf("case %s has a .want file but no bundle %s or %s.* in %s", name, name, name, dir)
	return ""
}

// want is one expected finding.
type want struct {
	line                 int
	severity, detector   string
	cause, nodes, groups *string
	summary              *regexp.Regexp
	matched              bool
}

func readWant(t *testing.T, path string) []*want {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*want
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		w := &want{line: n}
		if i := strings.IndexByte(line, '/'); i >= 0 {
			j := strings.LastIndexByte(line, '/')
			if j <= i {
				t.Fatalf("%s:%d: unclosed /regexp/", path, n)
			}
			re, err := regexp.Compile(line[i+1 : j])
			if err != nil {
				t.Fatalf("%s:%d: %v", path, n, err)
			}
			w.summary, line = re, line[:i]
		}
		fs, err := fields(line)
		if err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		if len(fs) < 2 {
			t.Fatalf("%s:%d: want <severity> <detector> [key=value...] [/summary/]", path, n)
		}
		w.severity, w.detector = fs[0], fs[1]
		for _, kv := range fs[2:] {
			k, v, ok := strings.Cut(kv, "=")
			if v == "-" {
				v = ""
			}
			switch {
			case ok && k == "cause":
				w.cause = &v
			case ok && k == "nodes":
				w.nodes = &v
			case ok && k == "groups":
				w.groups = &v
			default:
				t.Fatalf("%s:%d: unknown %q (want cause=, nodes= or groups=)", path, n, kv)
			}
		}
		out = append(out, w)
	}
	return out
}

// fields splits a want line at blanks; a value may be double-quoted to
// hold blanks (groups="Cluster Group").
func fields(s string) ([]string, error) {
	var out []string
	var b strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case (r == ' ' || r == '\t') && !quoted:
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteRune(r)
		}
	}
	if quoted {
		return nil, fmt.Errorf("unclosed quote")
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out, nil
}

func (w *want) match(f detect.Finding) bool {
	eq := func(p *string, got string) bool { return p == nil || *p == got }
	return w.severity == f.Severity.String() && w.detector == f.Detector &&
		eq(w.cause, f.Cause) && eq(w.nodes, strings.Join(f.Nodes, ",")) && eq(w.groups, strings.Join(f.Groups, ",")) &&
		(w.summary == nil || w.summary.MatchString(f.Summary))
}

// check pairs findings with wants and returns what does not pair up.
func check(path string, wants []*want, got []detect.Finding) []string {
	var problems []string
	for _, f := range got {
		i := slices.IndexFunc(wants, func(w *want) bool { return !w.matched && w.match(f) })
		if i < 0 {
			problems = append(problems, fmt.Sprintf("%s: unexpected finding: %s", path, Describe(f)))
			continue
		}
		wants[i].matched = true
	}
	for _, w := range wants {
		if !w.matched {
			problems = append(problems, fmt.Sprintf("%s:%d: no such finding", path, w.line))
		}
	}
	return problems
}

// Describe writes a finding as a .want line, to paste when it is right.
func Describe(f detect.Finding) string {
	dash := func(s []string) string {
		v := strings.Join(s, ",")
		switch {
		case v == "":
			return "-"
		case strings.ContainsAny(v, " \t"):
			return `"` + v + `"`
		}
		return v
	}
	cause := f.Cause
	if cause == "" {
		cause = "-"
	}
	return fmt.Sprintf("%s %s cause=%s nodes=%s groups=%s /%s/", f.Severity, f.Detector, cause, dash(f.Nodes), dash(f.Groups), regexp.QuoteMeta(f.Summary))
}

// Detect runs the detectors over evs through the engine, as triage runs
// them once the events are read, and returns the findings.
func Detect(t testing.TB, evs []*parse.Event, dets ...*detect.Detector) []detect.Finding {
	t.Helper()
	eng := detect.NewEngine(dets)
	for _, e := range evs {
		eng.Add(e)
	}
	res, err := eng.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res.Findings
}

// Bundle reads the bundles at paths with every format parser, as triage
// does, and returns their events in no fixed order.
func Bundle(t testing.TB, paths ...string) []*parse.Event {
	t.Helper()
	evs, _ := parsetest.Bundle(t, formats.All(), paths...)
	return evs
}

// line numbers the events Event builds, so that each is distinct evidence.
var line atomic.Int64

// Event builds an event the way the parsers normalise one, for detector
// tests that state a bundle event by event: on node, from source src, at
// tm (RFC 3339, of UTC quality; "" for an event with no time), with msg
// and fields, on the next line of the file <node>/<src>.log.
func Event(node, src, tm, msg string, fields map[string]string) *parse.Event {
	e := &parse.Event{Node: node, Source: src, File: node + "/" + src + ".log", Line: int(line.Add(1)), Message: msg, Fields: map[string]string{}}
	if tm != "" {
		e.Time, _ = time.Parse(time.RFC3339, tm)
		e.TimeQuality = parse.TimeUTC
	} else {
		e.TimeQuality = parse.TimeNone
	}
	maps.Copy(e.Fields, fields)
	return e
}
