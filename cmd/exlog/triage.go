package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/all"
	"github.com/exlog/exlog/detect/report"
	"github.com/exlog/exlog/index"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/bundle"
	"github.com/exlog/exlog/parse/formats"
)

var triageCmd = &command{
	name:  "triage",
	args:  "[flags] BUNDLE...",
	short: "read a bundle, index every event and report findings",
	long: `Reads every file of the bundle (a folder, a .zip holding zips, a .tar/.tar.gz, or a
single file), recognises each format by content, indexes all events in
<bundle name>.exlog in the working directory and runs every detector.

It prints the files read (format, node, events, problems), an inventory of
each node's Exchange builds and the findings with their evidence. The bundle
is only read, never written to.

Examples:
  exlog triage fixtures/bundles/ex2007-ccr-upgrade.zip
  exlog triage --format json --fail-on error CASE123/
  exlog triage --report CASE123.html CASE123.zip
  exlog triage --no-index --format json setup.log`,
	flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
		o := &triageOptions{}
		fs.StringVar(&o.index, "index", "", "index directory to write (default: <bundle name>.exlog in the working directory)")
		fs.BoolVar(&o.noIndex, "no-index", false, "parse and detect only; write no index")
		fs.StringVarP(&o.format, "format", "f", "table", "output format: table or json")
		fs.StringVar(&o.failOn, "fail-on", "", "exit 1 when a finding is at this severity or above: warning, error or critical")
		fs.StringVar(&o.report, "report", "", "also write the report to this file; .md, .html or .json picks the format")
		fs.BoolVar(&o.allFiles, "all-files", false, "list every file in the table, also the ones no parser recognised")
		fs.IntVar(&o.workers, "workers", 0, "files parsed at once (default: the number of CPUs)")
		return o.run
	},
}

type triageOptions struct {
	index    string
	noIndex  bool
	format   string
	failOn   string
	report   string
	allFiles bool
	workers  int
}

// triageResult is the JSON of `exlog triage --format json` and the index
// metadata; it lives in package report, which renders it.
type (
	triageResult = report.Triage
	nodeSummary  = report.NodeSummary
	buildSummary = report.BuildSummary
)

func (o *triageOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageErr("name the bundle to read: a folder, .zip, .tar(.gz) or file, e.g. exlog triage CASE123.zip")
	}
	if o.format != "table" && o.format != "json" {
		return usageErr("--format must be table or json, not %q", o.format)
	}
	var failOn detect.Severity
	if o.failOn != "" {
		s, err := detect.ParseSeverity(o.failOn)
		if err != nil {
			return usageErr("--fail-on: %v", err)
		}
		failOn = s
	}
	for _, a := range args {
		if _, err := os.Stat(a); err != nil {
			return usageErr("cannot read bundle %s: %v", a, errors.Unwrap(err))
		}
	}
	var reportFormat report.Format
	if o.report != "" {
		f, err := report.FormatOf(o.report)
		if err != nil {
			return usageErr("--report: %v", err)
		}
		reportFormat = f
	}
	res, err := triage(ctx, e, o, args)
	if err != nil {
		return err
	}
	if o.report != "" {
		if err := writeReportFile(o.report, reportFormat, res); err != nil {
			return err
		}
	}
	if o.format == "json" {
		if err := writeJSON(e.stdout, res); err != nil {
			return err
		}
	} else if err := printTriage(e, res, o.allFiles); err != nil {
		return err
	}
	if !readAnything(res.Files) {
		return &exitError{code: exitNothing, err: fmt.Errorf("nothing in %s could be read: no file held events exlog recognises", strings.Join(args, ", "))}
	}
	if failOn != detect.SevNone && detect.Highest(res.Findings) >= failOn {
		return &exitError{code: exitFindings, err: fmt.Errorf("findings at %s or above", failOn)}
	}
	return nil
}

func readAnything(files []*parse.Report) bool {
	for _, f := range files {
		if f.Events > 0 {
			return true
		}
	}
	return false
}

// bundleName is what a bundle is called in output and in the default
// index name: the base name without archive extensions.
func bundleName(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	name := filepath.Base(abs)
	for _, ext := range []string{".gz", ".tgz", ".tar", ".zip"} {
		name = strings.TrimSuffix(name, ext)
	}
	if name == "" || name == "/" || name == "." {
		name = "bundle"
	}
	return name
}

// triage runs the whole pipeline: bundle -> parse -> index and detect.
func triage(ctx context.Context, e *env, o *triageOptions, bundles []string) (*triageResult, error) {
	res := &triageResult{Bundle: bundleName(bundles[0])}
	if len(bundles) > 1 {
		names := make([]string, len(bundles))
		for i, b := range bundles {
			names[i] = bundleName(b)
		}
		res.Bundle = strings.Join(names, "+")
	}
	var w *index.Writer
	if !o.noIndex {
		res.Index = o.index
		if res.Index == "" {
			res.Index = res.Bundle + index.Suffix
		}
		var err error
		if w, err = index.Create(res.Index); err != nil {
			return nil, &exitError{code: exitUsage, err: err}
		}
	}
	eng := detect.NewEngine(all.Detectors())
	prog := &progress{e: e}
	collect := report.NewCollector()
	var n atomic.Int64
	var mu sync.Mutex
	var start, end time.Time
	counts := map[string]map[string]int{} // node -> source -> events
	emit := func(ev *parse.Event) error {
		if w != nil {
			w.Add(ev)
		}
		eng.Add(ev)
		collect.Add(ev)
		mu.Lock()
		c := counts[ev.Node]
		if c == nil {
			c = map[string]int{}
			counts[ev.Node] = c
		}
		c[ev.Source]++
		// The span covers every timed event, not only those the
		// detectors keep; damaged records with impossible years do not
		// stretch it.
		if y := ev.Time.Year(); ev.TimeQuality != parse.TimeNone && y >= 1990 && y <= 2100 {
			if start.IsZero() || ev.Time.Before(start) {
				start = ev.Time
			}
			if ev.Time.After(end) {
				end = ev.Time
			}
		}
		mu.Unlock()
		if k := n.Add(1); k%1000 == 0 {
			prog.update("exlog: %d events read", k)
		}
		return nil
	}
	reports, err := bundle.Parse(ctx, bundles, formats.All(), bundle.Options{Workers: o.workers}, emit)
	prog.done()
	if err != nil {
		if w != nil {
			w.Abort()
		}
		return nil, err
	}
	res.Files = reports
	delete(counts, "")
	dres, derr := eng.Run(ctx)
	if dres == nil {
		if w != nil {
			w.Abort()
		}
		return nil, derr
	}
	if derr != nil {
		fmt.Fprintf(e.stderr, "exlog: warning: %v\n", derr)
	}
	dres.Facts.CountSources(counts)
	res.Findings = dres.Findings
	if res.Findings == nil {
		res.Findings = []detect.Finding{}
	}
	dres.Facts.Start, dres.Facts.End = start, end
	res.Start, res.End = start, end
	res.Nodes = summarizeNodes(dres.Facts)
	res.AddFacts(dres.Facts, collect)
	if w != nil {
		if err := w.AddFindings(res.Findings); err != nil {
			w.Abort()
			return nil, err
		}
		if err := w.SetMeta(res); err != nil {
			w.Abort()
			return nil, err
		}
		prog.update("exlog: writing the index")
		err := w.Close()
		prog.done()
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

func summarizeNodes(f *detect.Facts) []nodeSummary {
	out := []nodeSummary{}
	for _, n := range f.Nodes {
		s := nodeSummary{Name: n.Name, Events: n.Sources, Builds: []buildSummary{}}
		if cur, ok := n.Current(); ok {
			s.Build, s.Release = cur.Build, cur.Release
		}
		byBuild := map[string]*buildSummary{}
		kinds := map[string]map[string]int{}
		for _, b := range n.Builds {
			bs := byBuild[b.Build]
			if bs == nil {
				bs = &buildSummary{Build: b.Build, Release: b.Release, Where: where(b.Evidence)}
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
		sort.Slice(s.Builds, func(i, j int) bool {
			a, b := s.Builds[i], s.Builds[j]
			if !a.First.Equal(b.First) {
				return a.First.Before(b.First)
			}
			return a.Build < b.Build
		})
		out = append(out, s)
	}
	return out
}

func where(ev detect.Evidence) string {
	switch {
	case ev.Line > 0:
		return ev.File + ":" + strconv.Itoa(ev.Line)
	case ev.Record > 0:
		return ev.File + " #" + strconv.FormatUint(ev.Record, 10)
	}
	return ev.File
}
