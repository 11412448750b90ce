// Package pipeline streams the events of bundles to sinks: bundle → parse
// → checked events → {index, detectors, counters, progress}. It knows no
// sink in particular; the commands choose them, as go/analysis drivers
// receive their analyzers as values.
//
// Every event passes Check before any sink sees it, so that no sink has to
// defend itself against an impossible time; after that the event is
// read-only for all sinks, which may run on several parse workers at once.
package pipeline

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/bundle"
)

// A Sink consumes events. Add is called from several parse workers at
// once and must not modify the event. An error stops the parse: the
// pipeline returns it (a failing index must not be mistaken for a read
// bundle).
type Sink interface {
	Add(*parse.Event) error
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(*parse.Event) error

// Add calls f.
func (f SinkFunc) Add(e *parse.Event) error { return f(e) }

// Options are what a run needs besides its roots and sinks.
type Options struct {
	// Parsers are tried in order on every file (formats.All()).
	Parsers []parse.Parser
	// Bundle bounds the cost of reading archives and sets the workers.
	Bundle bundle.Options
	// Now is the moment of analysis; a time after Now plus a day cannot
	// be true. The zero value means time.Now().
	Now time.Time
	// Nodes, when set, names the node of each file as an earlier pass
	// decided it (see Nodes), so that every event of a file carries the
	// node its content names even when the content says so late.
	Nodes map[string]FileNode
	// Skip names files whose events no sink should see: copies of other
	// files that an earlier pass found (see Copies).
	Skip map[string]string
}

// Run reads the bundles at roots and hands every event, checked, to each
// sink in turn. It returns what happened to each file, in path order.
func Run(ctx context.Context, roots []string, opt Options, sinks ...Sink) ([]*parse.Report, error) {
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	chk := Checker{Latest: now.Add(24 * time.Hour)}
	out := Settled(opt.Nodes, opt.Skip, sinks...)
	emit := func(e *parse.Event) error {
		chk.Check(e)
		return out.Add(e)
	}
	return bundle.Parse(ctx, roots, opt.Parsers, opt.Bundle, emit)
}

// Settled hands events to the sinks as an earlier pass settled their
// files: none of a file that copies another (skip), each with its
// file's node (nodes). Run applies it to what it parses; an index pass
// applies it to events read back from the first pass.
func Settled(nodes map[string]FileNode, skip map[string]string, sinks ...Sink) Sink {
	return SinkFunc(func(e *parse.Event) error {
		if _, ok := skip[e.File]; ok {
			return nil
		}
		if fn, ok := nodes[e.File]; ok {
			Renode(e, fn)
		}
		for _, s := range sinks {
			if err := s.Add(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// FileNode is the node one file belongs to and how that was decided.
type FileNode struct {
	Node string
	// From is parse.NodeFromContent, parse.NodeFromSiblings,
	// parse.NodeFromLayout or "".
	From string
}

// Nodes decides the node of every file from the reports of a pass. A
// file whose own content names a computer keeps it, and one the layout
// places keeps that. A file placed by neither (a 2003 setup progress log
// in a folder called "files 2") takes the computer of the nearest folder
// or archive above it whose files all belong to one node, at least one
// of them by their own content; a folder holding several nodes' files
// settles nothing.
func Nodes(reps []*parse.Report) map[string]FileNode {
	// folder -> nodes of the files below it, and whether content named one
	below := map[string]map[string]bool{}
	byContent := map[string]bool{}
	for _, r := range reps {
		if r.Node == "" {
			continue
		}
		for d := parentOf(r.Path); d != ""; d = parentOf(d) {
			if below[d] == nil {
				below[d] = map[string]bool{}
			}
			below[d][r.Node] = true
			if r.NodeFrom == parse.NodeFromContent {
				byContent[d] = true
			}
		}
	}
	out := make(map[string]FileNode, len(reps))
	for _, r := range reps {
		fn := FileNode{Node: r.Node, From: r.NodeFrom}
		if r.Node == "" {
			for d := parentOf(r.Path); d != ""; d = parentOf(d) {
				set := below[d]
				if len(set) == 0 {
					continue
				}
				if len(set) == 1 && byContent[d] {
					for n := range set {
						fn = FileNode{Node: n, From: parse.NodeFromSiblings}
					}
				}
				break
			}
		}
		if fn.Node != "" {
			out[r.Path] = fn
		}
	}
	return out
}

// parentOf returns the folder or archive that holds a bundle path, ""
// at the top. Archive members are written outer.zip!/inner/file.
func parentOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return ""
	}
	return strings.TrimSuffix(p[:i], "!")
}

// Settle decides, after a first pass, the node of every file (Nodes) and
// which files only copy others (copies.Duplicates), and writes both into
// the reports: Node and NodeFrom where the folder's other files settled
// it, DuplicateOf and a note for copies.
func Settle(reps []*parse.Report, copies *Copies) (files map[string]FileNode, dups map[string]string) {
	files = Nodes(reps)
	dups = copies.Duplicates()
	for _, r := range reps {
		if f, ok := files[r.Path]; ok && f.From == parse.NodeFromSiblings {
			r.Node, r.NodeFrom = f.Node, f.From
		}
		if kept, ok := dups[r.Path]; ok {
			r.DuplicateOf = kept
			r.Note("a copy of %s: its records are counted once, there", kept)
		}
	}
	return files, dups
}

// Renode gives an event its file's node when the event's own node came
// only from the layout (or is missing) and the file's was decided better.
func Renode(e *parse.Event, fn FileNode) {
	if e.NodeFrom == parse.NodeFromContent || fn.Node == "" || fn.From == parse.NodeFromLayout {
		return
	}
	e.Node, e.NodeFrom = fn.Node, fn.From
}

// Span is a sink that tracks the first and last trustworthy time of a
// bundle. Only times whose date is known count: a date assumed from a
// file's modification time or an invalid time never widens the span.
type Span struct {
	mu         sync.Mutex
	Start, End time.Time
}

// Add widens the span.
func (s *Span) Add(e *parse.Event) error {
	if e.Time.IsZero() || !e.TimeQuality.DateKnown() {
		return nil
	}
	s.mu.Lock()
	if s.Start.IsZero() || e.Time.Before(s.Start) {
		s.Start = e.Time
	}
	if e.Time.After(s.End) {
		s.End = e.Time
	}
	s.mu.Unlock()
	return nil
}

// Counts is a sink that counts events by node and source.
type Counts struct {
	mu sync.Mutex
	n  map[countKey]int
}

type countKey struct {
	node, from, file, source string
}

// Add counts one event.
func (c *Counts) Add(e *parse.Event) error {
	k := countKey{e.Node, e.NodeFrom, e.File, e.Source}
	c.mu.Lock()
	if c.n == nil {
		c.n = map[countKey]int{}
	}
	c.n[k]++
	c.mu.Unlock()
	return nil
}

// ByNode returns the counts, node → source → events. An event whose node
// came from the layout counts for the node its file's content names, when
// files (see Nodes) says the content names one.
func (c *Counts) ByNode(files map[string]FileNode, skip map[string]string) map[string]map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]map[string]int{}
	for k, n := range c.n {
		if _, ok := skip[k.file]; ok {
			continue
		}
		node := k.node
		if f, ok := files[k.file]; ok && k.from != parse.NodeFromContent && f.Node != "" && f.From != parse.NodeFromLayout {
			node = f.Node
		}
		m := out[node]
		if m == nil {
			m = map[string]int{}
			out[node] = m
		}
		m[k.source] += n
	}
	return out
}
