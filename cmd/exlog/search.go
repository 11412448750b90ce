package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/exlog/exlog/cmd/internal/render"
	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/index"
	"github.com/exlog/exlog/parse"
)

var searchCmd = &command{
	name:  "search",
	args:  "[--index DIR]... [flags] [QUERY]",
	short: "search the events or findings of one or many indexed bundles",
	long: `Searches the indexes written by exlog triage and prints the matching events in
time order. Several indexes are searched as one: repeat --index or give a glob
('cases/*.exlog'); without --index, every *.exlog in the working directory is
searched. Each hit says which bundle it came from.

QUERY is bleve query-string syntax:
  word                 the word in the message (any case)
  "a phrase"           the words in this order
  field:value          a field: node, source, provider, level, event_id, file,
                       line, record, kind, run, time, message, fields.<name>
  +clause  -clause     required, excluded; a clause without + or - is optional
                       when another clause is required (it only ranks hits)
  provider:MSExchange* wildcards;  message:/0x8007[0-9a-f]+/  regular expressions
  event_id:>=1000      ranges (>, >=, <, <=); dates in double quotes:
                       +time:>="2024-06-11T10:00:00Z" +time:<"2024-06-11T11:00:00Z"
There is no AND, OR, NOT or parentheses. Times are UTC.

The filter flags need no syntax and combine with the query (all must match).
--since and --until take RFC3339, a date (--until 2024-06-11 includes that day)
or a duration back from now (90m, 2h, 3d, 1w).

--facet counts the top values of a field over all matches (node, source,
provider, level, event_id, file, kind, fields.<name>); --histogram counts them
per hour or day. Both print tables instead of hits unless --limit is given.

Tables show each event's message as parsed: a cluster log line without its
"pid.tid::date-time LEVEL" head, which has columns of its own (--raw shows
the line as written; --format json always holds it). Each time says how far
it can be trusted: UTC, UTC (from local), local with the offset unknown, or
only a time of day ("date unknown"). Events of the same time are listed in
their order in the file. With --context, windows that overlap are merged
as grep -C does: no event is printed twice.

A page ends with a token: pass it to --after, with the same query and flags,
for the next page.`,
	examples: []string{
		"exlog search --event-id 1069",
		"exlog search --node NODE1 --event-id 1069 --since 2008-03-14T10:00:00Z --until 2008-03-14T10:20:00Z",
		"exlog search --index ex2007-ccr-upgrade.exlog '+level:error +source:setuplog'",
		`exlog search '"failing over"' --context 1 --limit 4`,
		"exlog search --index '*.exlog' --facet node --facet event_id --source evtx",
		"exlog search --histogram hour --level error,critical",
		"exlog search --findings --detector failover-storm",
	},
	flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
		o := &searchOptions{}
		fs.StringArrayVar(&o.indexes, "index", nil, "index directory or glob; repeat for several (default: *.exlog here)")
		fs.StringSliceVar(&o.nodes, "node", nil, "only these nodes (any case, short or full name; * wildcards)")
		fs.StringSliceVar(&o.sources, "source", nil, "only these sources: setuplog, evtx, evt, clusterlog, reg, inventory")
		fs.StringSliceVar(&o.providers, "provider", nil, "only these event providers (* wildcards)")
		fs.StringSliceVar(&o.eventIDs, "event-id", nil, "only these event IDs: 1069, 1205-1207, >=4000")
		fs.StringSliceVar(&o.levels, "level", nil, "only these levels: critical, error, warning, info, verbose, debug")
		fs.StringSliceVar(&o.files, "file", nil, "only events from these files, as the bundle names them (* wildcards)")
		fs.StringVar(&o.since, "since", "", "only events at or after this time")
		fs.StringVar(&o.until, "until", "", "only events before this time")
		fs.BoolVar(&o.findings, "findings", false, "list the stored findings instead of events (--node, --level, --since, --until apply)")
		fs.StringVarP(&o.format, "format", "f", "table", "output format: table, json, ndjson or csv")
		fs.StringSliceVar(&o.fields, "fields", nil, "columns or keys to print, e.g. time,node,event_id,message")
		fs.IntVarP(&o.limit, "limit", "n", 50, "most hits to print")
		fs.StringVar(&o.sort, "sort", "time", "order: time, -time (newest first) or score")
		fs.BoolVar(&o.count, "count", false, "print only the number of matches")
		fs.BoolVar(&o.highlight, "highlight", false, "mark the matched words (on a terminal, unless NO_COLOR is set)")
		fs.IntVarP(&o.context, "context", "C", 0, "also print the `N` events before and after each hit in the same file")
		fs.StringSliceVar(&o.facets, "facet", nil, "count the top values of this field over the matches; repeatable")
		fs.IntVar(&o.top, "top", 10, "values per --facet")
		fs.StringVar(&o.histogram, "histogram", "", "count the matches per hour or day")
		fs.StringVar(&o.after, "after", "", "print the page after the one that ended with this token")
		fs.StringSliceVar(&o.detectors, "detector", nil, "with --findings: only findings of these detectors (exlog detectors lists them)")
		fs.BoolVar(&o.raw, "raw", false, "print messages as the log wrote them (a cluster log line keeps its pid.tid::time prefix)")
		o.fs = fs
		return o.run
	},
}

type searchOptions struct {
	indexes                               []string
	nodes, sources, providers, levels     []string
	files, eventIDs, fields, facets       []string
	since, until, format, sort, histogram string
	after                                 string
	detectors                             []string
	findings, count, highlight, raw       bool
	limit, context, top                   int
	fs                                    *pflag.FlagSet
}

func (o *searchOptions) run(ctx context.Context, e *env, args []string) error {
	req, step, err := o.request(args)
	if err != nil {
		return err
	}
	paths, err := o.indexPaths()
	if err != nil {
		return err
	}
	warnings, err := req.Check()
	if err != nil {
		return usageErr("%v", err)
	}
	set, err := index.OpenSet(paths...)
	if err != nil {
		if errors.Is(err, index.ErrNoIndex) || errors.Is(err, index.ErrNotIndex) {
			return usageErr("%v", err)
		}
		return err
	}
	defer set.Close()
	for _, w := range warnings {
		fmt.Fprintf(e.stderr, "exlog search: warning: %s\n", w)
	}

	res, err := set.Search(ctx, req)
	if err != nil {
		return err
	}
	if o.sort != index.SortScore {
		orderTies(res.Hits)
	}
	for _, w := range res.Warnings[len(warnings):] {
		fmt.Fprintf(e.stderr, "exlog search: warning: %s\n", w)
	}
	if o.count {
		if o.format == "json" {
			return writeJSON(e.stdout, map[string]uint64{"total": res.Total})
		}
		_, err := fmt.Fprintln(e.stdout, res.Total)
		return err
	}
	out := &searchOutput{Total: res.Total, Indexes: set.Indexes(), Next: res.Next, hits: res.Hits, facets: res.Facets, findings: o.findings}
	if step > 0 {
		if out.histogram, err = set.Histogram(ctx, &req.Query, step); err != nil {
			return err
		}
	}
	if o.context > 0 {
		out.context = map[*index.Hit][2][]*index.Hit{}
		for _, h := range res.Hits {
			before, after, err := set.Context(ctx, h, o.context)
			if err != nil {
				return err
			}
			out.context[h] = [2][]*index.Hit{before, after}
		}
	}
	return o.print(e, out)
}

// request turns the flags and arguments into a search request.
func (o *searchOptions) request(args []string) (*index.Request, time.Duration, error) {
	if err := checkFormat(o.format, "table", "json", "ndjson", "csv"); err != nil {
		return nil, 0, err
	}
	switch o.sort {
	case index.SortTime, index.SortTimeDesc, index.SortScore:
	default:
		return nil, 0, usageErr("--sort must be time, -time or score, not %q", o.sort)
	}
	if o.limit < 1 {
		return nil, 0, usageErr("--limit must be at least 1")
	}
	if o.context < 0 || o.top < 1 {
		return nil, 0, usageErr("--context must not be negative and --top must be at least 1")
	}
	var step time.Duration
	switch o.histogram {
	case "":
	case "hour":
		step = time.Hour
	case "day":
		step = 24 * time.Hour
	default:
		return nil, 0, usageErr("--histogram must be hour or day, not %q", o.histogram)
	}
	if err := checkFields(o.fields, o.findings); err != nil {
		return nil, 0, err
	}
	if err := checkValues("--level", o.levels, levelNames); err != nil {
		return nil, 0, err
	}
	if !o.findings {
		if err := checkValues("--source", o.sources, sourceNames); err != nil {
			return nil, 0, err
		}
	}
	if len(o.detectors) > 0 {
		if err := checkValues("--detector", o.detectors, detectorIDs()); err != nil {
			return nil, 0, err
		}
		o.findings = true
	}
	now := time.Now
	text := strings.Join(args, " ")
	if len(o.detectors) > 0 {
		// Detector IDs are letters, digits and dashes: safe in a regexp.
		text = strings.TrimSpace(text + " +detector:/(" + strings.Join(o.detectors, "|") + ")/")
	}
	q := index.Query{
		Text:  text,
		Nodes: o.nodes, Sources: o.sources, Providers: o.providers, Levels: o.levels, Files: o.files,
		Findings: o.findings,
	}
	for _, s := range o.eventIDs {
		ids, err := index.ParseEventIDs(s)
		if err != nil {
			return nil, 0, usageErr("--event-id: %v", err)
		}
		q.EventIDs = append(q.EventIDs, ids...)
	}
	var err error
	if o.since != "" {
		if q.Since, err = index.ParseTime(o.since, now(), false); err != nil {
			return nil, 0, usageErr("--since: %v", err)
		}
	}
	if o.until != "" {
		if q.Until, err = index.ParseTime(o.until, now(), true); err != nil {
			return nil, 0, usageErr("--until: %v", err)
		}
	}
	req := &index.Request{Query: q, Sort: o.sort, Limit: o.limit, After: o.after, Facets: o.facets, FacetSize: o.top, Highlight: o.highlight}
	// Tables of counts replace the hits unless hits were asked for too.
	if o.count || ((len(o.facets) > 0 || step > 0) && !o.fs.Changed("limit")) {
		req.Limit = 0
		if o.after != "" {
			return nil, 0, usageErr("--after pages through hits; it does not combine with --count, --facet or --histogram alone")
		}
	}
	if o.format == "csv" && (req.Limit > 0 && (len(o.facets) > 0 || step > 0) || len(o.facets) > 0 && step > 0) {
		return nil, 0, usageErr("csv holds one table: ask for hits, --facet or --histogram, or use --format json")
	}
	if o.format == "csv" && len(o.facets) > 0 && len(o.fields) > 0 {
		return nil, 0, usageErr("--fields chooses hit columns; a facet table has its own")
	}
	return req, step, nil
}

// indexPaths resolves --index values and globs, or finds the indexes in
// the working directory.
func (o *searchOptions) indexPaths() ([]string, error) {
	if len(o.indexes) == 0 {
		found, _ := filepath.Glob("*" + index.Suffix)
		var paths []string
		for _, p := range found {
			if fi, err := os.Stat(p); err == nil && fi.IsDir() && !strings.HasPrefix(p, ".") {
				paths = append(paths, p)
			}
		}
		if len(paths) == 0 {
			return nil, usageErr("no index to search: there is no *%s directory here; run exlog triage BUNDLE first, or name indexes with --index DIR", index.Suffix)
		}
		return paths, nil
	}
	var paths []string
	for _, p := range o.indexes {
		if !strings.ContainsAny(p, "*?[") {
			paths = append(paths, p)
			continue
		}
		found, err := filepath.Glob(p)
		if err != nil {
			return nil, usageErr("--index %s: %v", p, err)
		}
		if len(found) == 0 {
			return nil, usageErr("--index %s matches no index", p)
		}
		paths = append(paths, found...)
	}
	return paths, nil
}

// searchOutput is everything one search prints; the exported fields are
// the top level of --format json.
type searchOutput struct {
	Total   uint64            `json:"total"`
	Indexes []index.IndexInfo `json:"indexes"`
	Next    string            `json:"next,omitempty"`

	hits      []*index.Hit
	facets    []*index.Facet
	histogram *index.Histogram
	context   map[*index.Hit][2][]*index.Hit
	findings  bool
}

func (o *searchOptions) print(e *env, out *searchOutput) error {
	switch o.format {
	case "json":
		return o.printJSON(e, out)
	case "ndjson":
		return o.printNDJSON(e, out)
	case "csv":
		return o.printCSV(e, out)
	}
	return o.printTable(e, out)
}

// Columns ---------------------------------------------------------------

var eventFields = []string{"id", "bundle", "index", "time", "time_quality", "node", "source", "kind", "file", "line", "record", "offset", "provider", "event_id", "level", "run", "message", "where"}
var findingFields = []string{"id", "bundle", "index", "detector", "severity", "cause", "nodes", "groups", "start", "end", "summary", "explanation", "remediation", "evidence"}

func checkFields(fields []string, findings bool) error {
	valid := eventFields
	if findings {
		valid = findingFields
	}
	for _, f := range fields {
		if slices.Contains(valid, f) || (!findings && strings.HasPrefix(f, "fields.") && len(f) > len("fields.")) {
			continue
		}
		extra := ", fields.<name>"
		if findings {
			extra = ""
		}
		return usageErr("--fields: no field %q; choose from %s%s", f, strings.Join(valid, ", "), extra)
	}
	return nil
}

func whereText(ev *parse.Event) string { return position(ev.File, ev) }

func position(file string, ev *parse.Event) string {
	switch {
	case ev.Line > 0:
		return file + ":" + strconv.Itoa(ev.Line)
	case ev.Record > 0:
		return file + " #" + strconv.FormatUint(ev.Record, 10)
	}
	return file
}

// value is one field of a hit: JSON keeps its type, text is for tables
// and CSV.
func value(h *index.Hit, field string) any {
	switch field {
	case "id":
		return h.ID
	case "bundle":
		return h.Bundle
	case "index":
		return h.Index
	}
	if f := h.Finding; f != nil {
		switch field {
		case "detector":
			return f.Detector
		case "severity":
			return f.Severity.String()
		case "cause":
			return f.Cause
		case "nodes":
			return f.Nodes
		case "groups":
			return f.Groups
		case "start":
			return f.Start
		case "end":
			return f.End
		case "summary":
			return f.Summary
		case "explanation":
			return f.Explanation
		case "remediation":
			return f.Remediation
		case "evidence":
			return f.Evidence
		}
		return nil
	}
	ev := h.Event
	switch field {
	case "time":
		return ev.Time
	case "time_quality":
		return string(ev.TimeQuality)
	case "node":
		return ev.Node
	case "source":
		return ev.Source
	case "kind":
		return ev.Kind
	case "file":
		return ev.File
	case "line":
		return ev.Line
	case "record":
		return ev.Record
	case "offset":
		return ev.Offset
	case "provider":
		return ev.Provider
	case "event_id":
		return ev.EventID
	case "level":
		return ev.Level
	case "run":
		return ev.Run
	case "message":
		return ev.Message
	case "where":
		return whereText(ev)
	}
	if name, ok := strings.CutPrefix(field, "fields."); ok {
		return ev.Field(name)
	}
	return nil
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.UTC().Format(time.RFC3339Nano)
	case int:
		if x == 0 {
			return ""
		}
		return strconv.Itoa(x)
	case int64:
		if x == 0 {
			return ""
		}
		return strconv.FormatInt(x, 10)
	case uint64:
		if x == 0 {
			return ""
		}
		return strconv.FormatUint(x, 10)
	case []string:
		return strings.Join(x, ", ")
	case []detect.Evidence:
		return strconv.Itoa(len(x))
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// JSON --------------------------------------------------------------------

// orderedObject keeps --fields in the order asked.
type orderedObject struct {
	keys []string
	vals []any
}

// MarshalJSON writes the keys in their order.
func (m orderedObject) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(m.vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// eventHitJSON is an event hit: the event as exlog parse prints it, with
// where it came from.
type eventHitJSON struct {
	ID     string `json:"id"`
	Bundle string `json:"bundle"`
	*parse.Event
	Before []any `json:"context_before,omitempty"`
	After  []any `json:"context_after,omitempty"`
}

type findingHitJSON struct {
	ID     string `json:"id"`
	Bundle string `json:"bundle"`
	*detect.Finding
}

func (o *searchOptions) hitJSON(h *index.Hit, ctx *[2][]*index.Hit) any {
	if len(o.fields) > 0 {
		m := orderedObject{}
		for _, f := range o.fields {
			m.keys = append(m.keys, f)
			m.vals = append(m.vals, value(h, f))
		}
		if ctx != nil {
			m.keys = append(m.keys, "context_before", "context_after")
			m.vals = append(m.vals, o.hitsJSON(ctx[0]), o.hitsJSON(ctx[1]))
		}
		return m
	}
	if h.Finding != nil {
		return findingHitJSON{ID: h.ID, Bundle: h.Bundle, Finding: h.Finding}
	}
	j := eventHitJSON{ID: h.ID, Bundle: h.Bundle, Event: h.Event}
	if ctx != nil {
		j.Before, j.After = o.hitsJSON(ctx[0]), o.hitsJSON(ctx[1])
	}
	return j
}

func (o *searchOptions) hitsJSON(hs []*index.Hit) []any {
	out := make([]any, 0, len(hs))
	for _, h := range hs {
		out = append(out, o.hitJSON(h, nil))
	}
	return out
}

type histogramJSON struct {
	Step    string         `json:"step"`
	Buckets []index.Bucket `json:"buckets"`
	NoTime  uint64         `json:"no_time"`
}

type facetJSON struct {
	Name    string             `json:"name"`
	Field   string             `json:"field"`
	Values  []index.FacetValue `json:"values"`
	Missing int                `json:"missing"`
	Other   int                `json:"other"`
}

func (o *searchOptions) printJSON(e *env, out *searchOutput) error {
	doc := struct {
		*searchOutput
		Hits      []any          `json:"hits"`
		Facets    []facetJSON    `json:"facets,omitempty"`
		Histogram *histogramJSON `json:"histogram,omitempty"`
	}{searchOutput: out, Hits: []any{}}
	for _, h := range out.hits {
		doc.Hits = append(doc.Hits, o.hitJSON(h, o.contextOf(out, h)))
	}
	for _, f := range out.facets {
		doc.Facets = append(doc.Facets, facetJSON{Name: f.Name, Field: f.Field, Values: nonNil(f.Values), Missing: f.Missing, Other: f.Other})
	}
	if h := out.histogram; h != nil {
		doc.Histogram = &histogramJSON{Step: o.histogram, Buckets: nonNil(h.Buckets), NoTime: h.NoTime}
	}
	return writeJSON(e.stdout, doc)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (o *searchOptions) contextOf(out *searchOutput, h *index.Hit) *[2][]*index.Hit {
	if out.context == nil {
		return nil
	}
	c := out.context[h]
	return &c
}

func (o *searchOptions) printNDJSON(e *env, out *searchOutput) error {
	if out.context != nil {
		// Context lines come in file order around their hits and say so;
		// an event in two windows is written once.
		for _, r := range contextRows(out.hits, out.context) {
			line := o.hitJSON(r.hit, nil)
			if r.role != "hit" {
				line = contextLine(o, r.hit, r.role, r.of)
			}
			if err := writeNDJSON(e.stdout, line); err != nil {
				return err
			}
		}
	} else {
		for _, h := range out.hits {
			if err := writeNDJSON(e.stdout, o.hitJSON(h, nil)); err != nil {
				return err
			}
		}
	}
	for _, f := range out.facets {
		for _, v := range f.Values {
			if err := writeNDJSON(e.stdout, orderedObject{[]string{"facet", "value", "count"}, []any{f.Name, v.Value, v.Count}}); err != nil {
				return err
			}
		}
	}
	if h := out.histogram; h != nil {
		for _, b := range h.Buckets {
			if err := writeNDJSON(e.stdout, orderedObject{[]string{"histogram", "start", "count"}, []any{o.histogram, b.Start, b.Count}}); err != nil {
				return err
			}
		}
	}
	o.nextOnStderr(e, out)
	return nil
}

func contextLine(o *searchOptions, h *index.Hit, where string, of *index.Hit) any {
	j := o.hitJSON(h, nil)
	m, ok := j.(orderedObject)
	if !ok {
		b, _ := json.Marshal(j)
		var fields map[string]any
		json.Unmarshal(b, &fields)
		m = orderedObject{}
		m.keys = append(m.keys, "context", "context_of")
		m.vals = append(m.vals, where, of.ID)
		for _, k := range sortedKeys(fields) {
			m.keys = append(m.keys, k)
			m.vals = append(m.vals, fields[k])
		}
		return m
	}
	m.keys = append([]string{"context", "context_of"}, m.keys...)
	m.vals = append([]any{where, of.ID}, m.vals...)
	return m
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// nextOnStderr says how to get the next page where stdout must stay one
// machine-readable stream.
func (o *searchOptions) nextOnStderr(e *env, out *searchOutput) {
	if out.Next != "" {
		fmt.Fprintf(e.stderr, "exlog search: %d of %s shown; next page: --after %s\n", len(out.hits), plural(int(out.Total), "match", "matches"), out.Next)
	}
}

// CSV ---------------------------------------------------------------------

func (o *searchOptions) columns() []string {
	if len(o.fields) > 0 {
		return o.fields
	}
	if o.findings {
		return []string{"bundle", "severity", "detector", "cause", "nodes", "groups", "start", "summary"}
	}
	return []string{"bundle", "time", "node", "source", "file", "line", "record", "provider", "event_id", "level", "message"}
}

func (o *searchOptions) printCSV(e *env, out *searchOutput) error {
	w := csv.NewWriter(e.stdout)
	switch {
	case len(out.facets) > 0:
		w.Write([]string{"facet", "value", "count"})
		for _, f := range out.facets {
			for _, v := range f.Values {
				w.Write([]string{f.Name, v.Value, strconv.Itoa(v.Count)})
			}
		}
	case out.histogram != nil:
		w.Write([]string{"start", "count"})
		for _, b := range out.histogram.Buckets {
			w.Write([]string{b.Start.Format(time.RFC3339), strconv.FormatUint(b.Count, 10)})
		}
	default:
		cols := o.columns()
		header := cols
		if out.context != nil {
			header = append([]string{"context"}, cols...)
		}
		w.Write(header)
		row := func(h *index.Hit, role string) {
			r := make([]string, 0, len(header))
			if out.context != nil {
				r = append(r, role)
			}
			for _, c := range cols {
				r = append(r, text(value(h, c)))
			}
			w.Write(r)
		}
		if out.context != nil {
			for _, r := range contextRows(out.hits, out.context) {
				row(r.hit, r.role)
			}
		} else {
			for _, h := range out.hits {
				row(h, "hit")
			}
		}
	}
	w.Flush()
	o.nextOnStderr(e, out)
	return w.Error()
}

// Tables ------------------------------------------------------------------

const (
	markOn  = "\x1b[1;31m"
	markOff = "\x1b[0m"
)

// maxMessage bounds a message in a table: a long event (a stack trace, an
// EVTX message with its whole explanation) is cut there; --format json
// prints it whole.
const maxMessage = 500

// marked prints a message for a table: on one line (lines joined), cut
// after n characters, escaped for the terminal, with the matched spans
// wrapped in ANSI bold red when spans is not nil. Offsets are bytes of s.
func marked(s string, spans [][2]int, n int) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", " "), "\n", " ")
	cut := len(s)
	if r := []rune(s); len(r) > n {
		cut = len(string(r[:n-1]))
	}
	var b strings.Builder
	pos := 0
	for _, sp := range spans {
		start, end := sp[0], min(sp[1], cut)
		if start < pos || start >= end || end > len(s) {
			continue
		}
		b.WriteString(shown(s[pos:start]))
		b.WriteString(markOn + shown(s[start:end]) + markOff)
		pos = end
	}
	b.WriteString(shown(s[pos:cut]))
	if cut < len(s) {
		b.WriteString("…")
	}
	return b.String()
}

// message is the text a table shows for an event: the parsed message
// (or, with --raw, the line as written), with the highlight spans moved
// along.
func (o *searchOptions) message(msg string, spans [][2]int) (string, [][2]int) {
	if o.raw {
		return msg, spans
	}
	text, cut := messageText(msg)
	if cut == 0 {
		return text, spans
	}
	var out [][2]int
	for _, sp := range spans {
		if sp[0] >= cut {
			out = append(out, [2]int{sp[0] - cut, sp[1] - cut})
		}
	}
	return text, out
}

// tableRow is one row of hits.
type tableRow struct {
	cells []string
	time  string   // the time cell, set apart to factor out " UTC"
	text  string   // the message (or summary) for the last column
	spans [][2]int // matched words in text
}

// sourceOrder orders hits of one time as they stand in their sources:
// by bundle, file, line, record and offset. The index orders equal
// times by document ID, which is not the order of the lines.
func sourceOrder(a, b *index.Hit) int {
	if a.Event == nil || b.Event == nil {
		return 0
	}
	x, y := a.Event, b.Event
	if c := strings.Compare(a.Index, b.Index); c != 0 {
		return c
	}
	if c := strings.Compare(x.File, y.File); c != 0 {
		return c
	}
	if c := x.Line - y.Line; c != 0 {
		return c
	}
	if x.Record != y.Record {
		if x.Record < y.Record {
			return -1
		}
		return 1
	}
	return int(x.Offset - y.Offset)
}

// orderTies puts the hits that share a time in source order, in place.
// Only hits sorted by time are touched.
func orderTies(hits []*index.Hit) {
	for i := 0; i < len(hits); {
		j := i + 1
		for j < len(hits) && sameTime(hits[i], hits[j]) {
			j++
		}
		slices.SortStableFunc(hits[i:j], sourceOrder)
		i = j
	}
}

func sameTime(a, b *index.Hit) bool {
	if a.Event == nil || b.Event == nil {
		return false
	}
	return a.Event.Time.Equal(b.Event.Time)
}

// contextRow is one printed row of a search with context: a hit, or an
// event around one.
type contextRow struct {
	hit  *index.Hit
	num  int        // the hit's number (1-based); 0 for context
	role string     // "hit", "before" or "after"
	of   *index.Hit // for context: the first hit it was printed for
	gap  bool       // a new group starts here (grep's "--")
}

// contextRows merges the context windows of the hits like grep -C: windows
// in the same file that overlap become one group in file order, and no
// event is printed twice; a hit that also lies in another hit's window is
// printed once, as a hit. Groups come in the order of their first hit.
func contextRows(hits []*index.Hit, ctx map[*index.Hit][2][]*index.Hit) []contextRow {
	num := map[string]int{}
	for i, h := range hits {
		if _, ok := num[h.ID]; !ok {
			num[h.ID] = i + 1
		}
	}
	type group struct {
		file    string
		ids     map[string]bool
		members []*index.Hit
		of      map[string]*index.Hit
	}
	var groups []*group
	for _, h := range hits {
		c := ctx[h]
		window := append(append(slices.Clone(c[0]), h), c[1]...)
		var g *group
		for _, cand := range groups {
			if h.Event == nil || cand.file != h.Index+"\x00"+h.Event.File {
				continue
			}
			for _, w := range window {
				if cand.ids[w.ID] {
					g = cand
					break
				}
			}
			if g != nil {
				break
			}
		}
		if g == nil {
			file := h.Index + "\x00"
			if h.Event != nil {
				file += h.Event.File
			}
			g = &group{file: file, ids: map[string]bool{}, of: map[string]*index.Hit{}}
			groups = append(groups, g)
		}
		for _, w := range window {
			if !g.ids[w.ID] {
				g.ids[w.ID] = true
				g.members = append(g.members, w)
				g.of[w.ID] = h
			}
		}
	}
	var rows []contextRow
	for gi, g := range groups {
		slices.SortStableFunc(g.members, func(a, b *index.Hit) int {
			if a.Event != nil && b.Event != nil && (a.Event.Line == 0 || b.Event.Line == 0) {
				if c := a.Event.Time.Compare(b.Event.Time); c != 0 {
					return c
				}
			}
			return sourceOrder(a, b)
		})
		hitSeen := false
		for k, m := range g.members {
			r := contextRow{hit: m, gap: gi > 0 && k == 0}
			if n, ok := num[m.ID]; ok {
				r.num, r.role = n, "hit"
				hitSeen = true
			} else {
				r.role, r.of = "after", g.of[m.ID]
				if !hitSeen {
					r.role = "before"
				}
				// Context between two hits follows the earlier one.
			}
			rows = append(rows, r)
		}
	}
	return rows
}

func (o *searchOptions) printTable(e *env, out *searchOutput) error {
	w := e.stdout
	multi := len(out.Indexes) > 1
	if out.histogram != nil {
		if err := o.printHistogram(e, out); err != nil {
			return err
		}
	}
	for _, f := range out.facets {
		if err := printFacet(e, f, out.Total); err != nil {
			return err
		}
	}
	if out.histogram != nil || len(out.facets) > 0 {
		if len(out.hits) == 0 {
			return nil
		}
		fmt.Fprintln(w)
	}
	what := "event"
	if o.findings {
		what = "finding"
	}
	fmt.Fprintf(w, "%d matching %s", out.Total, pluralWord(int(out.Total), what, what+"s"))
	if multi {
		fmt.Fprintf(w, " in %d bundles", len(out.Indexes))
	}
	if out.Total > uint64(len(out.hits)) {
		fmt.Fprintf(w, ", %d shown", len(out.hits))
	}
	fmt.Fprintln(w)
	if len(out.hits) == 0 {
		return nil
	}

	highlight := o.highlight && e.color()
	spansOf := func(h *index.Hit) [][2]int {
		if highlight {
			return h.Spans
		}
		return nil
	}
	var header []string
	var row func(h *index.Hit) tableRow
	timeCol := -1
	switch {
	case len(o.fields) > 0:
		header = o.fields
		last := o.fields[len(o.fields)-1]
		row = func(h *index.Hit) tableRow {
			r := tableRow{}
			for _, f := range o.fields[:len(o.fields)-1] {
				v := text(value(h, f))
				if f == "message" && !o.raw {
					v = displayMessage(v)
				}
				r.cells = append(r.cells, shown(oneLine(v, 60)))
			}
			r.text = text(value(h, last))
			if last == "message" || last == "summary" {
				r.text, r.spans = o.message(r.text, spansOf(h))
			}
			return r
		}
	case o.findings:
		header = []string{"Severity", "Detector", "Nodes / groups", "Time", "Summary"}
		timeCol = 3
		row = func(h *index.Hit) tableRow {
			f := h.Finding
			det := f.Detector
			if f.Cause != "" {
				det += " (" + f.Cause + ")"
			}
			when := ""
			if !f.Start.IsZero() {
				q := render.FindingQuality(*f)
				if q == "" {
					q = parse.TimeUTC
				}
				when = timeCell(f.Start, q)
			}
			return tableRow{cells: []string{e.severity(f.Severity), shown(det), shown(findingScope(*f))}, time: when, text: f.Summary, spans: spansOf(h)}
		}
	default:
		header = []string{"Time", "Node", "Level", "ID", "Where", "Message"}
		timeCol = 0
		row = func(h *index.Hit) tableRow {
			ev := h.Event
			id := ""
			if ev.EventID != 0 {
				id = strconv.Itoa(ev.EventID)
			}
			msg, spans := o.message(ev.Message, spansOf(h))
			return tableRow{
				cells: []string{shown(ev.Node), shown(ev.Level), id, shown(whereText(ev))},
				time:  timeCell(ev.Time, ev.TimeQuality),
				text:  msg, spans: spans,
			}
		}
	}
	pathCols := []int{}
	if timeCol == 0 {
		pathCols = append(pathCols, 4)
	}
	lead := 0 // columns put in front of the row's own
	if multi {
		header = append([]string{"Bundle"}, header...)
		lead++
	}
	if out.context != nil {
		header = append([]string{"#"}, header...)
		lead++
	}

	type printed struct {
		r      tableRow
		num    int
		bundle string
	}
	var rows []printed
	if out.context != nil {
		for _, cr := range contextRows(out.hits, out.context) {
			rows = append(rows, printed{row(cr.hit), cr.num, cr.hit.Bundle})
		}
	} else {
		for _, h := range out.hits {
			rows = append(rows, printed{r: row(h), bundle: h.Bundle})
		}
	}
	for i := range pathCols {
		pathCols[i] += lead
	}
	// A message squeezed below 32 columns reads worse than a block.
	t := e.fitTable(w, header...).path(pathCols...).wrap(len(header)-1, 32)
	if timeCol >= 0 {
		t.factor(lead+timeCol, " UTC")
	}
	for _, p := range rows {
		cells := slices.Clone(p.r.cells)
		if timeCol >= 0 {
			cells = slices.Insert(cells, timeCol, p.r.time)
		}
		if multi {
			cells = append([]string{shown(p.bundle)}, cells...)
		}
		if out.context != nil {
			n := ""
			if p.num > 0 {
				n = strconv.Itoa(p.num)
			}
			cells = append([]string{n}, cells...)
		}
		cells = append(cells, marked(p.r.text, p.r.spans, maxMessage))
		if err := t.Append(cells); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if out.Next != "" {
		fmt.Fprintf(w, "Next page: --after %s\n", out.Next)
	}
	return nil
}

func printFacet(e *env, f *index.Facet, total uint64) error {
	w := e.stdout
	fmt.Fprintf(w, "Top %s values over %s\n", f.Name, plural(int(total), "match", "matches"))
	t := e.fitTable(w, f.Name, "Count", "Share")
	share := func(n int) string {
		if f.Total == 0 {
			return ""
		}
		return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(f.Total+f.Missing))
	}
	for _, v := range f.Values {
		if err := t.Append([]string{shown(v.Value), strconv.Itoa(v.Count), share(v.Count)}); err != nil {
			return err
		}
	}
	if f.Other > 0 {
		if err := t.Append([]string{"(other values)", strconv.Itoa(f.Other), share(f.Other)}); err != nil {
			return err
		}
	}
	if f.Missing > 0 {
		if err := t.Append([]string{"(no " + f.Name + ")", strconv.Itoa(f.Missing), share(f.Missing)}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return nil
}

func (o *searchOptions) printHistogram(e *env, out *searchOutput) error {
	w := e.stdout
	h := out.histogram
	unit, layout := "Hour (UTC)", "2006-01-02 15:00"
	if o.histogram == "day" {
		unit, layout = "Day (UTC)", "2006-01-02"
	}
	fmt.Fprintf(w, "Matches per %s\n", o.histogram)
	var peak uint64
	for _, b := range h.Buckets {
		peak = max(peak, b.Count)
	}
	t := e.fitTable(w, unit, "Count", "")
	for i, b := range h.Buckets {
		if i > 0 {
			// Short gaps show as empty steps, long ones as one line.
			prev := h.Buckets[i-1].Start
			gap := int(b.Start.Sub(prev)/h.Step) - 1
			if gap > 2 {
				if err := t.Append([]string{fmt.Sprintf("(%d %ss)", gap, o.histogram), "0", ""}); err != nil {
					return err
				}
			} else {
				for j := 1; j <= gap; j++ {
					if err := t.Append([]string{prev.Add(time.Duration(j) * h.Step).Format(layout), "0", ""}); err != nil {
						return err
					}
				}
			}
		}
		bar := ""
		if peak > 0 {
			bar = strings.Repeat("█", int((b.Count*40+peak-1)/peak))
		}
		if err := t.Append([]string{b.Start.Format(layout), strconv.FormatUint(b.Count, 10), bar}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if h.NoTime > 0 {
		fmt.Fprintf(w, "%s no time and %s not counted above.\n", plural(int(h.NoTime), "match has", "matches have"), pluralWord(int(h.NoTime), "is", "are"))
	}
	fmt.Fprintln(w)
	return nil
}
