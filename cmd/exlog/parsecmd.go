package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/bundle"
	"github.com/exlog/exlog/parse/formats"
	"github.com/exlog/exlog/parse/pipeline"
)

var parseCmd = &command{
	name:  "parse",
	args:  "[flags] PATH...",
	short: "parse files or bundles and print the normalized events",
	long: `Parses files or bundles without indexing them and streams the normalized events:
one JSON object per line with --format ndjson (for jq, or to measure parse
speed apart from indexing), or a table. A summary of each file that had
problems goes to stderr.

Events of one file come in file order; with several workers, the events of
different files interleave (use --workers 1 for one file after another).`,
	examples: []string{
		"exlog parse --format table fixtures/scenarios/ex2007-ccr-failed-upgrade/NODE1/ExchangeSetupLogs/ExchangeSetup.log",
		`exlog parse fixtures/bundles/ex2007-ccr-upgrade.zip | jq -c 'select(.level=="error")'`,
	},
	flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
		o := &parseOptions{}
		fs.StringVarP(&o.format, "format", "f", "ndjson", "output format: ndjson or table")
		fs.IntVar(&o.workers, "workers", 0, "files parsed at once (default: the number of CPUs)")
		return o.run
	},
}

type parseOptions struct {
	format  string
	workers int
}

// eventJSON is the ndjson line: the event with its document ID first.
type eventJSON struct {
	ID string `json:"id"`
	*parse.Event
}

func (o *parseOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageErr("name at least one file or bundle to parse")
	}
	if err := checkFormat(o.format, "ndjson", "table"); err != nil {
		return err
	}
	for _, a := range args {
		if err := checkBundle(a); err != nil {
			return err
		}
	}
	out := bufio.NewWriterSize(e.stdout, 256<<10)
	defer out.Flush()
	var mu sync.Mutex
	var emit func(*parse.Event) error
	if o.format == "ndjson" {
		emit = func(ev *parse.Event) error {
			b, err := json.Marshal(eventJSON{ID: ev.ID(), Event: ev})
			if err != nil {
				return err
			}
			mu.Lock()
			out.Write(b)
			err = out.WriteByte('\n')
			mu.Unlock()
			return err
		}
	} else {
		// Events stream through one table: it is printed at the end, as
		// its columns are sized over every row.
		t := e.fitTable(out, "Time", "Node", "Where", "Level", "Message").path(2).wrap(4, 32).factor(0, " UTC")
		defer t.Render()
		emit = func(ev *parse.Event) error {
			ts := ""
			if !ev.Time.IsZero() || ev.TimeQuality == parse.TimeInvalid {
				ts = timeCell(ev.Time, ev.TimeQuality)
			}
			mu.Lock()
			defer mu.Unlock()
			return t.Append([]string{ts, shown(ev.Node), shown(whereText(ev)), ev.Level, marked(displayMessage(ev.Message), nil, maxMessage)})
		}
	}
	reports, err := pipeline.Run(ctx, args, pipeline.Options{Parsers: formats.All(), Bundle: bundle.Options{Workers: o.workers}}, pipeline.SinkFunc(emit))
	if err != nil {
		return err
	}
	for _, r := range reports {
		if r.Status == parse.StatusOK {
			continue
		}
		msg := problemText(r)
		fmt.Fprintf(e.stderr, "exlog: %s: %s, %d events%s\n", r.Path, r.Status, r.Events, prefixed("; ", msg))
	}
	if !readAnything(reports) {
		return &exitError{code: exitNothing, err: fmt.Errorf("nothing in %s could be read", strings.Join(args, ", "))}
	}
	return nil
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}
