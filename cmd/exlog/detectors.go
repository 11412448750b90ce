package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/exlog/exlog/detect/all"
)

var detectorsCmd = &command{
	name:  "detectors",
	args:  "[flags]",
	short: "list the detectors triage runs",
	long: `Lists every detector: its ID (as it appears in findings), what it flags, what it
looks at, and the references behind it.`,
	examples: []string{
		"exlog detectors",
		"exlog detectors --format json",
	},
	flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
		format := fs.StringP("format", "f", "table", "output format: table or json")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageErr("detectors takes no arguments")
			}
			type row struct {
				ID         string   `json:"id"`
				Title      string   `json:"title"`
				Doc        string   `json:"doc"`
				Looks      string   `json:"looks_at"`
				References []string `json:"references"`
			}
			var rows []row
			for _, d := range all.Detectors() {
				rows = append(rows, row{d.ID, d.Title, d.Doc, d.Looks, d.References})
			}
			switch *format {
			case "json":
				if rows == nil {
					rows = []row{}
				}
				return writeJSON(e.stdout, rows)
			case "table":
			default:
				return checkFormat(*format, "table", "json")
			}
			if len(rows) == 0 {
				fmt.Fprintln(e.stdout, "No detectors are built into this exlog.")
				return nil
			}
			t := e.fitTable(e.stdout, "ID", "Title", "Looks at", "References")
			for _, r := range rows {
				if err := t.Append([]string{r.ID, r.Title, r.Looks, strings.Join(r.References, "; ")}); err != nil {
					return err
				}
			}
			return t.Render()
		}
	},
}
