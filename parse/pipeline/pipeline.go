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
}

// Run reads the bundles at roots and hands every event, checked, to each
// sink in turn. It returns what happened to each file, in path order.
func Run(ctx context.Context, roots []string, opt Options, sinks ...Sink) ([]*parse.Report, error) {
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	chk := Checker{Latest: now.Add(24 * time.Hour)}
	emit := func(e *parse.Event) error {
		chk.Check(e)
		if fn, ok := opt.Nodes[e.File]; ok && fn.From == parse.NodeFromContent && e.NodeFrom != parse.NodeFromContent {
			e.Node, e.NodeFrom = fn.Node, parse.NodeFromContent
		}
		for _, s := range sinks {
			if err := s.Add(e); err != nil {
				return err
			}
		}
		return nil
	}
	return bundle.Parse(ctx, roots, opt.Parsers, opt.Bundle, emit)
}

// FileNode is the node one file belongs to and how that was decided.
type FileNode struct {
	Node string
	From string // parse.NodeFromContent, parse.NodeFromLayout or ""
}

// Nodes maps each file to the node of its reports.
func Nodes(reps []*parse.Report) map[string]FileNode {
	out := make(map[string]FileNode, len(reps))
	for _, r := range reps {
		if r.Node != "" {
			out[r.Path] = FileNode{Node: r.Node, From: r.NodeFrom}
		}
	}
	return out
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

// Add counts one event; events without a node are not counted.
func (c *Counts) Add(e *parse.Event) error {
	if e.Node == "" {
		return nil
	}
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
func (c *Counts) ByNode(files map[string]FileNode) map[string]map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]map[string]int{}
	for k, n := range c.n {
		node := k.node
		if f, ok := files[k.file]; ok && f.From == parse.NodeFromContent && k.from != parse.NodeFromContent {
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
