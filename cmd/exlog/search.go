package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/spf13/pflag"

	"github.com/exlog/exlog/index"
)

var searchCmd = &command{
	name:  "search",
	args:  "--index DIR [flags] QUERY",
	short: "search the events of an indexed bundle",
	long: `Searches an index written by exlog triage with a bleve query string and prints
the matching events in time order.

Query syntax: words search the message; field:value matches a field exactly
(node, source, provider, level, event_id, file, kind, fields.<name>);
"a phrase"; +must and -must-not; provider:MSExchange* wildcards;
event_id:>=1000 ranges; message:/0x8007[0-9a-f]+/ regular expressions.

Examples:
  exlog search --index CASE123.exlog '+level:error +source:setuplog'
  exlog search --index CASE123.exlog 'node:node2 +event_id:1069'`,
	flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
		o := &searchOptions{}
		fs.StringVar(&o.index, "index", "", "index directory written by exlog triage")
		fs.IntVarP(&o.limit, "limit", "n", 50, "most events to print")
		fs.StringVarP(&o.format, "format", "f", "table", "output format: table, json or ndjson")
		return o.run
	},
}

type searchOptions struct {
	index  string
	limit  int
	format string
}

func (o *searchOptions) run(ctx context.Context, e *env, args []string) error {
	if o.index == "" {
		return usageErr("name the index to search with --index DIR (exlog triage writes <bundle>.exlog)")
	}
	if len(args) == 0 {
		return usageErr("give a query, e.g. exlog search --index %s '+level:error'", o.index)
	}
	if o.limit <= 0 {
		return usageErr("--limit must be positive")
	}
	q := bleve.NewQueryStringQuery(strings.Join(args, " "))
	if _, err := q.Parse(); err != nil {
		return usageErr("query: %v", err)
	}
	r, err := index.Open(o.index)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	defer r.Close()
	req := bleve.NewSearchRequestOptions(q, o.limit, 0, false)
	req.Fields = []string{"*"}
	req.SortBy([]string{"time", "_id"})
	res, err := r.SearchInContext(ctx, req)
	if err != nil {
		return err
	}
	switch o.format {
	case "json", "ndjson":
		for _, h := range res.Hits {
			ev := index.EventFromHit(h)
			if o.format == "json" {
				if err := writeJSON(e.stdout, eventJSON{ID: h.ID, Event: ev}); err != nil {
					return err
				}
				continue
			}
			if err := writeNDJSON(e.stdout, eventJSON{ID: h.ID, Event: ev}); err != nil {
				return err
			}
		}
		return nil
	case "table":
	default:
		return usageErr("--format must be table, json or ndjson, not %q", o.format)
	}
	fmt.Fprintf(e.stdout, "%d matching events", res.Total)
	if res.Total > uint64(len(res.Hits)) {
		fmt.Fprintf(e.stdout, ", the first %d shown", len(res.Hits))
	}
	fmt.Fprintln(e.stdout)
	t := e.table(e.stdout, "Time (UTC)", "Node", "File", "Line", "Level", "Message")
	for _, h := range res.Hits {
		ev := index.EventFromHit(h)
		pos := strconv.Itoa(ev.Line)
		if ev.Line == 0 {
			pos = "#" + strconv.FormatUint(ev.Record, 10)
		}
		ts := ""
		if !ev.Time.IsZero() {
			ts = ev.Time.Format("2006-01-02 15:04:05")
		}
		if err := t.Append([]string{ts, ev.Node, ev.File, pos, ev.Level, oneLine(ev.Message, 200)}); err != nil {
			return err
		}
	}
	return t.Render()
}
