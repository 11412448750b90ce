package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/exlog/exlog/cmd/internal/render"
	"github.com/exlog/exlog/cmd/internal/triage"
	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/index"
)

var reportCmd = &command{
	name:  "report",
	args:  "[flags] (--index DIR | BUNDLE...)",
	short: "write a post-upgrade report: Markdown, self-contained HTML or JSON",
	long: `Writes a report on a cluster upgrade: a verdict (pass, attention or fail, from
the most severe finding), each node's Exchange build before and after the
bundle's setup runs with release names, the clustered servers' builds where
known, one UTC timeline of setup runs, group moves, failovers and findings,
every finding with its evidence and remedy, and what happened to each file.

With --index DIR alone it reads an index written by exlog triage and parses
nothing again. With a BUNDLE it triages the bundle first, writing no index
unless --index names where to write one.

Formats: md (Markdown for forges and case notes), html (one self-contained
page with an SVG timeline; loads nothing from the network, prints well) and
json (schema "exlog.report/v1", for pipelines). Without --format the
extension of --out decides, else Markdown. The same bundle always gives the
same Markdown and JSON, byte for byte.

With --fail-on, exit 1 when a finding is at that severity or above, after
writing the report, so that a pipeline can stop on a failed upgrade.`,
	examples: []string{
		"exlog report --out ex2007-ccr-upgrade.html fixtures/bundles/ex2007-ccr-upgrade.zip",
		"exlog report --index ex2007-ccr-upgrade.exlog --format json --fail-on error",
		"exlog report --index ex2007-ccr-upgrade.exlog > ex2007-ccr-upgrade.md",
	},
	flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
		o := &reportOptions{}
		fs.StringVar(&o.index, "index", "", "index to read (no BUNDLE), or to write while triaging the BUNDLE")
		fs.StringVarP(&o.format, "format", "f", "", "report format: md, html or json (default: from --out, else md)")
		fs.StringVarP(&o.out, "out", "o", "", "file to write the report to (default: standard output)")
		fs.StringVar(&o.failOn, "fail-on", "", "exit 1 when a finding is at this severity or above: warning, error or critical")
		fs.IntVar(&o.workers, "workers", 0, "files parsed at once when triaging a BUNDLE (default: the number of CPUs)")
		fs.BoolVar(&o.force, "force", false, "let --out write through a symbolic link or into a device")
		return o.run
	},
}

type reportOptions struct {
	index   string
	format  string
	out     string
	failOn  string
	workers int
	force   bool
}

func (o *reportOptions) run(ctx context.Context, e *env, args []string) error {
	var format render.Format
	switch {
	case o.format != "":
		f, err := render.ParseFormat(o.format)
		if err != nil {
			return usageErr("--format: %v", err)
		}
		format = f
	case o.out != "":
		f, err := render.FormatOf(o.out)
		if err != nil {
			return usageErr("--out: %v (or give --format)", err)
		}
		format = f
	default:
		format = render.Markdown
	}
	failOn, err := failOnLevel(o.failOn)
	if err != nil {
		return err
	}
	if len(args) == 0 && o.index == "" {
		return usageErr("name a bundle to read or an index written by exlog triage (--index DIR)")
	}
	if o.out != "" {
		if err := checkOut(o.out, o.force); err != nil {
			return err
		}
	}

	var res *triage.Result
	if len(args) == 0 {
		r, err := readTriage(o.index)
		if err != nil {
			return err
		}
		res = r
	} else {
		for _, a := range args {
			if err := checkBundle(a); err != nil {
				return err
			}
		}
		topt := &triageOptions{index: o.index, noIndex: o.index == "", workers: o.workers}
		name := bundleName(args[0])
		if len(args) > 1 {
			name = strings.Join(mapSlice(args, bundleName), "+")
		}
		idx := o.index
		r, err := triageCase(ctx, e, topt, name, args, idx, nil)
		if err != nil {
			return err
		}
		res = r
	}

	rep := render.New(res)
	if o.out != "" {
		if err := writeReportFile(o.out, format, res, o.force); err != nil {
			return err
		}
		// The report went to the file; say where and what it concludes.
		fmt.Fprintf(e.stdout, "Report: %s (%s) %s\n", o.out, strings.ToUpper(rep.Verdict.Result), rep.Verdict.Text)
	} else if err := render.Write(e.stdout, rep, format); err != nil {
		return err
	}
	if len(args) > 0 && !readAnything(res.Files) {
		return nothingRead(args)
	}
	return failedOn(detect.Highest(res.Findings), failOn)
}

// readTriage reads the triage result stored in an index.
func readTriage(path string) (*triage.Result, error) {
	r, err := index.Open(path)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	defer r.Close()
	res := &triage.Result{}
	if err := r.Meta(res); err != nil {
		return nil, fmt.Errorf("cannot read the triage stored in %s: %w", path, err)
	}
	return res, nil
}

// writeReportFile renders the report of res into path (see writeFileSafely).
func writeReportFile(path string, format render.Format, res *triage.Result, force bool) error {
	b, err := render.Render(render.New(res), format)
	if err != nil {
		return err
	}
	return writeFileSafely(path, b, force)
}

// writeFileSafely writes data to path through a temporary file in the same
// folder that is renamed over path once complete, so that a reader never
// sees half a file and a failed run leaves the old file as it was. It
// refuses to replace what is not a regular file: a symbolic link or a
// device is written through only with force. Errors name path, never the
// temporary file.
func writeFileSafely(path string, data []byte, force bool) error {
	fail := func(err error) error {
		return fmt.Errorf("cannot write %s: %w", path, bareError(err))
	}
	target := path
	mode := os.FileMode(0o644)
	if fi, err := os.Lstat(path); err == nil {
		switch {
		case fi.IsDir():
			return usageErr("--out %s is a folder; name a file", path)
		case fi.Mode()&os.ModeSymlink != 0:
			if !force {
				return usageErr("--out %s is a symbolic link; give --force to write to the file it points to", path)
			}
			resolved, err := filepath.EvalSymlinks(path)
			if errors.Is(err, os.ErrNotExist) {
				// A link to a file not written yet: create what it names.
				if dest, lerr := os.Readlink(path); lerr == nil {
					if !filepath.IsAbs(dest) {
						dest = filepath.Join(filepath.Dir(path), dest)
					}
					resolved, err = dest, nil
				}
			}
			if err != nil {
				return fail(err)
			}
			target = resolved
			if fi, err := os.Stat(target); err == nil && !fi.Mode().IsRegular() {
				return writeThrough(path, target, data)
			} else if err == nil {
				mode = fi.Mode().Perm()
			}
		case !fi.Mode().IsRegular():
			if !force {
				return usageErr("--out %s is not a regular file (a device, a pipe or a socket); give --force to write into it", path)
			}
			return writeThrough(path, path, data)
		default:
			mode = fi.Mode().Perm()
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fail(err)
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return fail(err)
	}
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), mode)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), target)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fail(werr)
	}
	return nil
}

// checkOut refuses an --out target before any work is done: a folder, a
// link or device without force, or a folder that does not exist.
func checkOut(path string, force bool) error {
	if fi, err := os.Lstat(path); err == nil {
		switch {
		case fi.IsDir():
			return usageErr("--out %s is a folder; name a file", path)
		case fi.Mode()&os.ModeSymlink != 0 && !force:
			return usageErr("--out %s is a symbolic link; give --force to write to the file it points to", path)
		case !fi.Mode().IsRegular() && fi.Mode()&os.ModeSymlink == 0 && !force:
			return usageErr("--out %s is not a regular file (a device, a pipe or a socket); give --force to write into it", path)
		}
		return nil
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return usageErr("cannot write %s: the folder %s does not exist", path, dir)
	}
	return nil
}

// writeThrough writes data into an existing file that is not a regular
// one (a device or a pipe), in place.
func writeThrough(shown, path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", shown, bareError(err))
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("cannot write %s: %w", shown, bareError(werr))
	}
	return nil
}

// bareError drops the file names an *os.PathError or *os.LinkError
// carries (they may be internal temporary names) and keeps the reason.
func bareError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

func mapSlice(in []string, f func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}
