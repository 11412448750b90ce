package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/spf13/pflag"

	"github.com/exlog/exlog/cmd/internal/triage"
	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/all"
	"github.com/exlog/exlog/index"
	"github.com/exlog/exlog/index/export"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/bundle"
	"github.com/exlog/exlog/parse/formats"
	"github.com/exlog/exlog/parse/pipeline"
)

// Environment variables holding the engine's credentials: never flags, so
// that they stay out of shell histories and process lists.
const (
	envUser     = "EXLOG_EXPORT_USER"
	envPassword = "EXLOG_EXPORT_PASSWORD"
	envAPIKey   = "EXLOG_EXPORT_API_KEY"
)

var exportCmd = &command{
	name:  "export",
	args:  "(--to URL | --out FILE) [flags] (BUNDLE... | --index DIR)",
	short: "send events and findings to Elasticsearch, OpenSearch, VictoriaLogs or Timesketch",
	long: `Exports a bundle's events and findings as ECS-shaped documents: to an engine's
_bulk API (Elasticsearch, OpenSearch, or VictoriaLogs at .../insert/elasticsearch)
with --to, or to a file with --out (es-bulk, ndjson, or Timesketch's JSONL or
CSV import format).

The input is a bundle, which is parsed and checked by the detectors as exlog
triage does, or an index written by exlog triage (--index DIR).

Every document has an ID made of the bundle's name, --case and the event's
position, so a second export of the same bundle replaces the first in
Elasticsearch and OpenSearch. VictoriaLogs does not read _id and keeps every
copy, so for a URL ending in /insert/elasticsearch exlog first asks its
LogsQL endpoint (/select/logsql/query on the same host) which IDs of the
case and bundle it holds, and sends only the others; the summary counts
them as already present. (Documents sent in the last second or so may not
be searchable yet and are sent again.) When that question fails, exlog
says so and sends everything; --resend sends everything without asking. Findings are
documents with event.kind "alert" whose evidence names the events' IDs.

Requests are batched (--batch-docs, --batch-bytes), gzip-compressed, and
retried with backoff on 429, 5xx and connection errors; documents the engine
refuses one by one are counted and listed on stderr. The summary goes to
stderr. Exit 4 when any document was rejected or not sent.

Credentials come from the environment: ` + envUser + ` and ` + envPassword + `
for basic authentication, or ` + envAPIKey + ` (the base64 id:key form).

To an engine (one must be listening there):
  exlog export --to https://es.example:9200 --case 00123 CASE123.zip
  exlog export --to http://127.0.0.1:9428/insert/elasticsearch --index CASE123.exlog`,
	examples: []string{
		"exlog export --out ex2007-ccr-upgrade.jsonl --format timesketch fixtures/bundles/ex2007-ccr-upgrade.zip",
		"exlog export --out - --format ndjson --index ex2007-ccr-upgrade.exlog | jq -c .event",
	},
	flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
		o := &exportOptions{fs: fs}
		fs.StringVar(&o.to, "to", "", "engine URL: base URL or _bulk endpoint")
		fs.StringVarP(&o.out, "out", "o", "", "write to this file instead (- for standard output)")
		fs.StringVarP(&o.format, "format", "f", "es-bulk", "es-bulk, ndjson, timesketch (JSONL) or timesketch-csv; --to sends es-bulk")
		fs.StringVar(&o.index, "index", "", "export an index written by exlog triage instead of a bundle")
		fs.StringVar(&o.caseID, "case", "", "read all BUNDLEs as one case of this name (as exlog triage --case); stored in exlog.case and part of every document ID")
		fs.StringVar(&o.esIndex, "es-index", "exlog", "the _index documents go to")
		fs.IntVar(&o.batchDocs, "batch-docs", 1000, "documents per request at most")
		fs.IntVar(&o.batchBytes, "batch-bytes", 5<<20, "uncompressed bytes per request at most")
		fs.IntVar(&o.concurrency, "concurrency", 2, "requests in flight")
		fs.IntVar(&o.retries, "retries", 8, "retries of one request after 429, 5xx or a connection error")
		fs.DurationVar(&o.minBackoff, "backoff", 500*time.Millisecond, "first wait before a retry; it doubles up to 30s, or follows the engine's Retry-After")
		fs.BoolVar(&o.noGzip, "no-gzip", false, "send request bodies uncompressed")
		fs.BoolVar(&o.resend, "resend", false, "send every document, even those VictoriaLogs already holds (it then keeps two copies)")
		fs.IntVar(&o.maxDocBytes, "max-doc-bytes", 256<<10, "cut the longest texts of a larger document, noting it in exlog.truncated (0: no limit; files are not cut unless this is given)")
		fs.StringVar(&o.ca, "ca", "", "PEM file of certificate authorities to trust for --to https://")
		fs.IntVar(&o.workers, "workers", 0, "files parsed at once (default: the number of CPUs)")
		return o.run
	},
}

type exportOptions struct {
	to, out, format, index, caseID, esIndex, ca string
	batchDocs, batchBytes, concurrency, retries int
	maxDocBytes                                 int
	noGzip, resend                              bool
	workers                                     int
	minBackoff                                  time.Duration
	fs                                          *pflag.FlagSet
}

func (o *exportOptions) run(ctx context.Context, e *env, args []string) error {
	format, err := export.ParseFormat(o.format)
	if err != nil {
		return usageErr("--format: %v", err)
	}
	switch {
	case o.to == "" && o.out == "":
		return usageErr("say where to export: --to URL of an engine, or --out FILE")
	case o.to != "" && o.out != "":
		return usageErr("give --to or --out, not both")
	case o.to != "" && format != export.ESBulk:
		return usageErr("--to sends the es-bulk format; for %s write a file with --out", format)
	case len(args) == 0 && o.index == "":
		return usageErr("name a bundle to export, or an index written by exlog triage (--index DIR)")
	case len(args) > 0 && o.index != "":
		return usageErr("export either BUNDLE or --index DIR, not both")
	}
	for _, a := range args {
		if _, err := os.Stat(a); err != nil {
			return usageErr("cannot read bundle %s: %v", a, errors.Unwrap(err))
		}
	}

	var logMu sync.Mutex
	prog := &progress{e: e}
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		prog.done()
		fmt.Fprintf(e.stderr, "exlog export: "+format+"\n", args...)
	}

	var sink export.Sink
	var client *export.Client
	var file *export.FileWriter
	var commit func() error // moves a written file into place
	if o.to != "" {
		client, err = export.NewClient(ctx, export.ClientOptions{
			URL: o.to, Index: o.esIndex,
			MaxDocs: o.batchDocs, MaxBytes: o.batchBytes, NoGzip: o.noGzip,
			Concurrency: o.concurrency, MaxRetries: o.retries, MinBackoff: o.minBackoff,
			Username: os.Getenv(envUser), Password: os.Getenv(envPassword), APIKey: os.Getenv(envAPIKey),
			CAFile: o.ca, Logf: logf,
		})
		if err != nil {
			return usageErr("--to: %v", err)
		}
		sink = client
	} else {
		w := e.stdout
		commit = func() error { return nil }
		if o.out != "-" {
			f, done, err := createBeside(o.out)
			if err != nil {
				return err
			}
			defer done(false)
			w, commit = f, func() error { return done(true) }
		}
		file = export.NewFileWriter(w, format, o.esIndex)
		sink = file
	}

	// Engines bound a document's size, VictoriaLogs quietly; a file keeps
	// every byte unless the limit is asked for.
	limit := o.maxDocBytes
	if o.out != "" && !o.fs.Changed("max-doc-bytes") {
		limit = 0
	}
	// present holds the IDs of the case being exported that the engine
	// already has (VictoriaLogs only, see ListsPresent): one case's IDs at
	// a time, about 40 bytes each. It is set before the case's first
	// document and only read while its documents are added.
	var present *export.IDSet
	var already atomic.Int64
	askPresent := func(src export.Source) {
		present = nil
		if client == nil || o.resend || !client.ListsPresent() {
			return
		}
		ids, err := client.PresentIDs(ctx, src)
		if err != nil {
			logf("cannot ask the engine which documents of %s it holds already, so every document is sent (VictoriaLogs then keeps a second copy of those it has): %v", sourceName(src), err)
			return
		}
		present = ids
	}

	start := time.Now()
	var events, findings, cut atomic.Int64
	add := func(d *export.Document) error {
		if present.Has(d.ID) {
			already.Add(1)
			return nil
		}
		if export.Fit(d, limit) {
			cut.Add(1)
		}
		if err := sink.Add(ctx, d); err != nil {
			return err
		}
		if n := events.Load() + findings.Load(); n%1000 == 0 {
			if client != nil {
				prog.update("exlog export: %d read, %d sent", n, client.Stats().Sent)
			} else {
				prog.update("exlog export: %d written", n)
			}
		}
		return nil
	}

	var readErr error
	exportFindings := func(src export.Source, fs []detect.Finding) error {
		for _, d := range export.FindingDocs(src, fs) {
			findings.Add(1)
			if err := add(d); err != nil {
				return err
			}
		}
		return nil
	}
	if o.index != "" {
		var src export.Source
		var fs []detect.Finding
		fs, readErr = indexEvents(ctx, o.index, func(meta *triage.Result) {
			src = indexSource(meta, o.caseID)
			askPresent(src)
		}, func(ev *parse.Event) error {
			events.Add(1)
			return add(export.EventDoc(src, ev))
		})
		if readErr == nil {
			readErr = exportFindings(src, fs)
		}
	} else {
		for _, c := range exportCases(args, o.caseID) {
			askPresent(c.src)
			res, err := caseEvents(ctx, e, prog, c, o.workers, func(ev *parse.Event) error {
				events.Add(1)
				return add(export.EventDoc(c.src, ev))
			})
			if err == nil && !readAnything(res.Files) {
				err = &exitError{code: exitNothing, err: fmt.Errorf("nothing in %s could be read: no file held events exlog recognises", strings.Join(c.bundles, ", "))}
			}
			if err == nil {
				err = exportFindings(c.src, res.Findings)
			}
			if err != nil {
				readErr = err
				break
			}
		}
	}
	closeErr := sink.Close()
	prog.done()
	elapsed := time.Since(start)
	if n := cut.Load(); n > 0 {
		fmt.Fprintf(e.stderr, "exlog export: %d documents were larger than --max-doc-bytes=%d; their longest texts were cut (exlog.truncated has the original lengths)\n", n, limit)
	}

	if file != nil {
		if readErr == nil && closeErr == nil {
			closeErr = commit()
		}
		if readErr == nil && closeErr == nil {
			where := o.out
			if where == "-" {
				where = "standard output"
			}
			fmt.Fprintf(e.stderr, "exlog export: %d events and %d findings: %d documents written to %s (%s)\n",
				events.Load(), findings.Load(), file.Written(), where, format)
			if n := file.Untimed(); n > 0 {
				fmt.Fprintf(e.stderr, "exlog export: %d documents without a time were left out: Timesketch places every event on a timeline by its time\n", n)
			}
		}
		if readErr != nil {
			return readErr
		}
		return closeErr
	}

	s := client.Stats()
	rate := float64(s.Sent) / max(elapsed.Seconds(), 1e-3)
	fmt.Fprintf(e.stderr, "exlog export: %d events and %d findings: %d sent, %d rejected, %d not sent, %d retried, %d already present; %d requests, %.1f MB (%.1f MB on the wire) in %s, %.0f documents/s\n",
		events.Load(), findings.Load(), s.Sent, s.Rejected, s.NotSent, s.Retried, already.Load(), s.Requests,
		float64(s.Bytes)/1e6, float64(s.WireBytes)/1e6, elapsed.Round(time.Millisecond), rate)
	if s.Rejected > 0 {
		_, byType := client.Rejections()
		parts := make([]string, 0, len(byType))
		for _, t := range byType {
			parts = append(parts, fmt.Sprintf("%d %s", t.Count, t.Type))
		}
		fmt.Fprintf(e.stderr, "exlog export: rejected by type: %s\n", strings.Join(parts, ", "))
	}
	if readErr != nil {
		var xe *exitError
		if errors.As(readErr, &xe) {
			return readErr
		}
		if closeErr != nil && !errors.Is(readErr, closeErr) {
			return fmt.Errorf("%v; %v", readErr, closeErr)
		}
		return readErr
	}
	if closeErr != nil {
		return closeErr
	}
	if s.Rejected > 0 || s.NotSent > 0 {
		return &exitError{code: exitIncomplete, err: fmt.Errorf("%d documents were rejected and %d not sent; see above", s.Rejected, s.NotSent)}
	}
	return nil
}

// sourceName names a case and bundle for messages.
func sourceName(src export.Source) string {
	if src.Case == "" {
		return "bundle " + src.Bundle
	}
	return "case " + src.Case + " (bundle " + src.Bundle + ")"
}

// bundlesName names the bundles of a case as exlog triage names one
// bundle: the base name, joined with "+" for several. It is the bundle
// identity in document IDs, so that an export from a bundle and from its
// index agree.
func bundlesName(bundles []string) string {
	names := make([]string, len(bundles))
	for i, b := range bundles {
		names[i] = bundleName(b)
	}
	return strings.Join(names, "+")
}

// exportCase is one case: the bundles read together and their identity.
type exportCase struct {
	src     export.Source
	bundles []string
}

// exportCases splits the arguments as exlog triage does: with --case all
// bundles are one case; without, each bundle is a case of its own (two
// bundles of the same name are told apart by a suffix, in argument order).
func exportCases(args []string, caseName string) []exportCase {
	if caseName != "" || len(args) == 1 {
		return []exportCase{{src: export.Source{Case: caseName, Bundle: bundlesName(args)}, bundles: args}}
	}
	var out []exportCase
	used := map[string]bool{}
	for _, a := range args {
		name := bundleName(a)
		unique := name
		for k := 2; used[unique]; k++ {
			unique = name + "-" + strconv.Itoa(k)
		}
		used[unique] = true
		out = append(out, exportCase{src: export.Source{Bundle: unique}, bundles: []string{a}})
	}
	return out
}

// indexSource is the identity of the case an index holds, the same as an
// export of its bundles gives: the bundles' names from the sources stored
// with the index, and the case exlog triage --case named, unless caseName
// says otherwise.
func indexSource(meta *triage.Result, caseName string) export.Source {
	src := export.Source{Case: caseName, Bundle: meta.Bundle}
	if len(meta.Sources) > 0 {
		src.Bundle = bundlesName(meta.Sources)
		if caseName == "" && meta.Bundle != src.Bundle {
			src.Case = meta.Bundle
		}
	}
	return src
}

// caseEvents reads one case as exlog triage does: the findings pass
// (triage.Run) gives the findings and each file's node; a second pass
// streams every event to emit with the node the first pass decided for its
// file, leaving out files that copy another, as triage.Index does for the
// index. Memory stays what the detectors keep.
//
// For the integrator: the second pass repeats triage.Index's; a
// triage.Events(ctx, opt, res, sinks...) used by both would keep them one.
func caseEvents(ctx context.Context, e *env, prog *progress, c exportCase, workers int, emit func(*parse.Event) error) (*triage.Result, error) {
	var n atomic.Int64
	opt := triage.Options{
		Name: c.src.Bundle, Bundles: c.bundles, Parsers: formats.All(), Detectors: all.Detectors(),
		Bundle: bundle.Options{Workers: workers},
		Progress: pipeline.SinkFunc(func(*parse.Event) error {
			if k := n.Add(1); k%1000 == 0 {
				prog.update("exlog export: %d events read for the detectors", k)
			}
			return nil
		}),
	}
	if c.src.Case != "" {
		opt.Name = c.src.Case
	}
	res, err := triage.Run(ctx, opt)
	prog.done()
	if err != nil {
		return nil, err
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(e.stderr, "exlog: warning: %s\n", w)
	}
	// The second pass settles nodes and copies as the index pass does.
	opt.Progress = nil
	return res, triage.Replay(ctx, opt, res, pipeline.SinkFunc(emit))
}

// indexPage is how many stored findings one search returns while reading
// an index: memory stays at one page.
const indexPage = 2000

// indexEvents reads every event and finding stored in an index written by
// exlog triage: the events in the order of the index's event file, then
// the findings, which are returned sorted. named is called with the
// index's metadata before the first event.
func indexEvents(ctx context.Context, path string, named func(*triage.Result), emit func(*parse.Event) error) ([]detect.Finding, error) {
	r, err := index.Open(path)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	defer r.Close()
	var meta triage.Result
	if err := r.Meta(&meta); err != nil {
		return nil, fmt.Errorf("cannot read the bundle name stored in %s: %w", path, err)
	}
	named(&meta)
	if err := r.Events(ctx, emit); err != nil {
		return nil, err
	}
	var fs []detect.Finding
	q := bleve.NewTermQuery(index.TypeFinding)
	q.FieldVal = "type" // the index's document type field (index.TypeEvent...), not an event key
	after := ""
	for {
		req := bleve.NewSearchRequestOptions(q, indexPage, 0, false)
		req.Fields = []string{"*"}
		req.SortBy([]string{"_id"})
		if after != "" {
			req.SearchAfter = []string{after}
		}
		res, err := r.SearchInContext(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		for _, h := range res.Hits {
			f, err := index.FindingFromHit(h)
			if err != nil {
				return nil, fmt.Errorf("reading a finding of %s: %w", path, err)
			}
			fs = append(fs, f)
		}
		if len(res.Hits) < indexPage {
			break
		}
		after = res.Hits[len(res.Hits)-1].ID
	}
	detect.SortFindings(fs)
	return fs, nil
}

// createBeside creates a temporary file beside path; done(true) renames it
// into place, done(false) removes it (a no-op after a rename), so that an
// interrupted export never leaves half a file under the final name.
func createBeside(path string) (*os.File, func(keep bool) error, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	finished := false
	done := func(keep bool) error {
		if finished {
			return nil
		}
		finished = true
		if !keep {
			f.Close()
			os.Remove(f.Name())
			return nil
		}
		if err := f.Close(); err != nil {
			os.Remove(f.Name())
			return fmt.Errorf("cannot write %s: %w", path, err)
		}
		if err := os.Rename(f.Name(), path); err != nil {
			os.Remove(f.Name())
			return fmt.Errorf("cannot write %s: %w", path, err)
		}
		return nil
	}
	return f, done, nil
}
