package triage

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/index"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/bundle"
	"github.com/exlog/exlog/parse/pipeline"
)

// Options are what one triage of one case needs.
type Options struct {
	// Name is the case's name in output and in the default index name.
	Name string
	// Bundles are read as one case.
	Bundles []string
	// Parsers are tried on every file, in order (formats.All()).
	Parsers []parse.Parser
	// Detectors run on the events (all.Detectors()).
	Detectors []*detect.Detector
	// Bundle bounds the cost of reading archives and sets the workers.
	Bundle bundle.Options
	// Now is the moment of analysis (zero: time.Now()).
	Now time.Time
	// Progress, when set, sees every event as it is read.
	Progress pipeline.Sink
	// Spool, when set, keeps the findings pass's events for Index, which
	// then reads them back instead of parsing the bundles again.
	Spool *index.Spool
}

// Run reads the case once and returns its findings, inventory and
// timeline. It writes no index: the findings come first, and Index
// reads the bundle a second time to fill one, so that a slow index never
// delays them and memory does not grow with the bundle.
func Run(ctx context.Context, opt Options) (*Result, error) {
	eng := detect.NewEngine(opt.Detectors)
	collect := NewCollector()
	var span pipeline.Span
	var counts pipeline.Counts
	var copies pipeline.Copies
	sinks := []pipeline.Sink{&copies,
		pipeline.SinkFunc(func(e *parse.Event) error { eng.Add(e); return nil }),
		pipeline.SinkFunc(func(e *parse.Event) error { collect.Add(e); return nil }),
		&span, &counts,
	}
	if opt.Progress != nil {
		sinks = append(sinks, opt.Progress)
	}
	if opt.Spool != nil {
		sinks = append(sinks, opt.Spool)
	}
	reps, err := pipeline.Run(ctx, opt.Bundles, opt.pipeline(nil, nil), sinks...)
	if err != nil {
		return nil, err
	}
	files, dups := pipeline.Settle(reps, &copies)
	eng.Each(func(e *parse.Event) {
		if f, ok := files[e.File]; ok {
			pipeline.Renode(e, f)
		}
	})
	if len(dups) > 0 {
		eng.Drop(func(e *parse.Event) bool { _, ok := dups[e.File]; return ok })
		collect.Drop(dups)
	}
	dres, derr := eng.Run(ctx)
	if dres == nil {
		return nil, derr
	}
	res := &Result{Bundle: opt.Name, Files: reps, Findings: dres.Findings}
	if derr != nil {
		res.Warnings = append(res.Warnings, derr.Error())
	}
	byNode := counts.ByNode(files, dups)
	delete(byNode, "")
	dres.Facts.CountSources(byNode)
	if res.Findings == nil {
		res.Findings = []detect.Finding{}
	}
	dres.Facts.Start, dres.Facts.End = span.Start, span.End
	res.Start, res.End = span.Start, span.End
	res.Nodes = SummarizeNodes(dres.Facts)
	res.AddFacts(dres.Facts, collect)
	return res, nil
}

func (opt Options) pipeline(nodes map[string]pipeline.FileNode, skip map[string]string) pipeline.Options {
	return pipeline.Options{Parsers: opt.Parsers, Bundle: opt.Bundle, Now: opt.Now, Nodes: nodes, Skip: skip}
}

// duplicates lists the files of reps that copy another.
func duplicates(reps []*parse.Report) map[string]string {
	out := map[string]string{}
	for _, r := range reps {
		if r.DuplicateOf != "" {
			out[r.Path] = r.DuplicateOf
		}
	}
	return out
}

// Index reads the case again and writes every event into w, then res's
// findings and res itself as the index's metadata, and closes w. Events
// carry the nodes the first pass decided for their files; files that copy
// another are not indexed twice. On error w is
// aborted, leaving no half index.
func Index(ctx context.Context, opt Options, res *Result, w *index.Writer) error {
	add := pipeline.SinkFunc(func(e *parse.Event) error { w.Add(e); return nil })
	var err error
	if opt.Spool != nil && opt.Spool.Err() == nil {
		err = replaySpool(ctx, opt, res, add)
	} else {
		// No spool, or it could not be written (a full disk): the
		// bundle is parsed again.
		if opt.Spool != nil {
			opt.Spool.Discard()
		}
		err = Replay(ctx, opt, res, add)
	}
	if err == nil {
		err = w.AddFindings(res.Findings)
	}
	if err == nil {
		err = w.SetMeta(res)
	}
	if err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

// Replay reads the case of res again and hands every event to the sinks
// (and to opt.Progress) as the first pass settled it: each event carries
// its file's node, and files that copy another are left out, so that an
// index or an export holds each record once. It fails when the bundle
// changed in between.
func Replay(ctx context.Context, opt Options, res *Result, sinks ...pipeline.Sink) error {
	if opt.Progress != nil {
		sinks = append(sinks, opt.Progress)
	}
	reps, err := pipeline.Run(ctx, opt.Bundles, opt.pipeline(pipeline.Nodes(res.Files), duplicates(res.Files)), sinks...)
	if err == nil && len(reps) != len(res.Files) {
		err = fmt.Errorf("the bundle changed while it was read: %d files, then %d", len(res.Files), len(reps))
	}
	return err
}

// replaySpool is Replay from the events the findings pass spooled: the
// same events, settled the same way, without parsing the bundles again.
func replaySpool(ctx context.Context, opt Options, res *Result, sinks ...pipeline.Sink) error {
	if opt.Progress != nil {
		sinks = append(sinks, opt.Progress)
	}
	out := pipeline.Settled(pipeline.Nodes(res.Files), duplicates(res.Files), sinks...)
	return opt.Spool.Replay(ctx, out.Add)
}

// SummarizeNodes folds each node's build observations into inventory rows.
func SummarizeNodes(f *detect.Facts) []NodeSummary {
	out := []NodeSummary{}
	clustered := map[string]bool{}
	for _, g := range f.Groups() {
		if f.Cluster != nil && f.Cluster.IsExchangeGroup(g) {
			clustered[parse.ShortNode(g)] = true
		}
	}
	if f.Versions != nil {
		for name := range f.Versions.Servers {
			clustered[parse.ShortNode(name)] = true
		}
	}
	for _, n := range f.Nodes {
		s := NodeSummary{Name: n.Name, Events: n.Sources, Builds: []BuildSummary{}, Clustered: clustered[n.Name]}
		if cur, ok := n.Current(); ok {
			s.Build, s.Release = cur.Build, cur.Release
		}
		byBuild := map[string]*BuildSummary{}
		kinds := map[string]map[string]int{}
		for _, b := range n.Builds {
			bs := byBuild[b.Build]
			if bs == nil {
				bs = &BuildSummary{Build: b.Build, Release: b.Release, Where: b.Evidence.Where()}
				byBuild[b.Build] = bs
				kinds[b.Build] = map[string]int{}
			}
			kinds[b.Build][b.Kind]++
			if !b.Time.IsZero() {
				if bs.First.IsZero() || b.Time.Before(bs.First) {
					bs.First = b.Time
				}
				if b.Time.After(bs.Last) {
					bs.Last = b.Time
				}
			}
		}
		for build, bs := range byBuild {
			for k, c := range kinds[build] {
				if c > 1 {
					k += " x" + strconv.Itoa(c)
				}
				bs.Seen = append(bs.Seen, k)
			}
			sort.Strings(bs.Seen)
			s.Builds = append(s.Builds, *bs)
		}
		slices.SortFunc(s.Builds, func(a, b BuildSummary) int {
			if c := a.First.Compare(b.First); c != 0 {
				return c
			}
			return strings.Compare(a.Build, b.Build)
		})
		out = append(out, s)
	}
	return out
}
