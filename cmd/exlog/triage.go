package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/spf13/pflag"

	"github.com/exlog/exlog/cmd/internal/render"
	"github.com/exlog/exlog/cmd/internal/triage"
	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/all"
	"github.com/exlog/exlog/index"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/bundle"
	"github.com/exlog/exlog/parse/formats"
	"github.com/exlog/exlog/parse/pipeline"
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
is only read, never written to.`,
	examples: []string{
		"exlog triage fixtures/bundles/ex2007-ccr-upgrade.zip",
		"exlog triage --format json --fail-on error fixtures/bundles/ex2007-ccr-upgrade.zip",
		"exlog triage --report ex2007-ccr-upgrade.html fixtures/bundles/ex2007-ccr-upgrade.zip",
		"exlog triage --no-index --detector setup-failure fixtures/scenarios/ex2007-scc-standby-upgradecms-failed",
	},
	flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
		o := &triageOptions{}
		fs.StringVar(&o.index, "index", "", "index directory to write (default: <bundle name>.exlog in the working directory)")
		fs.BoolVar(&o.noIndex, "no-index", false, "parse and detect only; write no index")
		fs.StringVarP(&o.format, "format", "f", "table", "output format: table or json")
		fs.StringVar(&o.failOn, "fail-on", "", "exit 1 when a finding is at this severity or above: warning, error or critical")
		fs.StringVar(&o.report, "report", "", "also write the report to this file; .md, .html or .json picks the format")
		fs.BoolVar(&o.allFiles, "all-files", false, "list every file in the table, also the ones no parser recognised")
		fs.IntVar(&o.workers, "workers", 0, "files parsed at once (default: the number of CPUs)")
		fs.StringVar(&o.caseName, "case", "", "read all BUNDLEs as one case of this name (default: each BUNDLE is a case of its own)")
		fs.BoolVar(&o.force, "force", false, "replace an index that another bundle wrote; let --report write through a symbolic link or into a device")
		fs.StringSliceVar(&o.detectors, "detector", nil, "run only these detectors (default: all; exlog detectors lists them)")
		return o.run
	},
}

type triageOptions struct {
	index     string
	noIndex   bool
	format    string
	failOn    string
	report    string
	allFiles  bool
	workers   int
	caseName  string
	force     bool
	detectors []string
}

// triageResult is the JSON of `exlog triage --format json` and the index
// metadata; package render turns it into reports.
type triageResult = triage.Result

// triageCaseSpec is one case of a triage run: a name, its bundles and the
// index it writes.
type triageCaseSpec struct {
	name    string
	bundles []string
	index   string
}

func (o *triageOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageErr("name the bundle to read: a folder, .zip, .tar(.gz) or file, e.g. exlog triage CASE123.zip")
	}
	if err := checkFormat(o.format, "table", "json"); err != nil {
		return err
	}
	failOn, err := failOnLevel(o.failOn)
	if err != nil {
		return err
	}
	if err := checkDetectors(o.detectors); err != nil {
		return err
	}
	for _, a := range args {
		if err := checkBundle(a); err != nil {
			return err
		}
	}
	cases, err := o.cases(args)
	if err != nil {
		return err
	}
	var reportFormat render.Format
	if o.report != "" {
		if len(cases) > 1 {
			return usageErr("--report writes one report; give --case NAME to read the %d bundles as one case, or triage them one at a time", len(cases))
		}
		f, err := render.FormatOf(o.report)
		if err != nil {
			return usageErr("--report: %v", err)
		}
		reportFormat = f
		if err := checkOut(o.report, o.force); err != nil {
			return err
		}
	}
	if !o.noIndex {
		for _, c := range cases {
			if err := checkIndexTarget(c, o.force); err != nil {
				return err
			}
		}
	}
	var highest detect.Severity
	readSome := false
	for i, c := range cases {
		printed := func(res *triageResult) error {
			if o.format == "json" {
				return nil // printed whole, with the index, below
			}
			if i > 0 {
				fmt.Fprintln(e.stdout)
			}
			return printTriage(e, res, o.allFiles)
		}
		res, err := triageCase(ctx, e, o, c.name, c.bundles, c.index, printed)
		if err != nil {
			return err
		}
		if o.report != "" {
			if err := writeReportFile(o.report, reportFormat, res, o.force); err != nil {
				return err
			}
		}
		if o.format == "json" {
			if err := writeJSON(e.stdout, res); err != nil {
				return err
			}
		} else {
			if res.Index != "" || o.report != "" {
				fmt.Fprintln(e.stdout)
			}
			if o.report != "" {
				fmt.Fprintf(e.stdout, "Report: %s\n", o.report)
			}
			if res.Index != "" {
				fmt.Fprintf(e.stdout, "Index:  %s\nNext:   exlog search --index %s 'QUERY'\n", res.Index, shellQuote(res.Index))
			}
		}
		readSome = readSome || readAnything(res.Files)
		if h := detect.Highest(res.Findings); h > highest {
			highest = h
		}
	}
	if !readSome {
		return nothingRead(args)
	}
	return failedOn(highest, failOn)
}

// cases splits the arguments into cases: one per bundle, or all in one
// with --case. Two cases never share an index.
func (o *triageOptions) cases(args []string) ([]triageCaseSpec, error) {
	if o.caseName != "" || len(args) == 1 {
		name := o.caseName
		if name == "" {
			name = bundleName(args[0])
		}
		idx := o.index
		if idx == "" {
			idx = name + index.Suffix
		}
		return []triageCaseSpec{{name: name, bundles: args, index: idx}}, nil
	}
	if o.index != "" && !o.noIndex {
		return nil, usageErr("--index names one index, but %d bundles are separate cases; give --case NAME to read them as one case, or triage them one at a time", len(args))
	}
	var out []triageCaseSpec
	used := map[string]bool{}
	for _, a := range args {
		name := bundleName(a)
		idx := name + index.Suffix
		for k := 2; used[idx]; k++ {
			idx = name + "-" + strconv.Itoa(k) + index.Suffix
		}
		used[idx] = true
		out = append(out, triageCaseSpec{name: name, bundles: []string{a}, index: idx})
	}
	return out, nil
}

// checkIndexTarget refuses to replace an index that another bundle wrote,
// unless force is set. Triaging the same bundle again replaces its index.
func checkIndexTarget(c triageCaseSpec, force bool) error {
	if force {
		return nil
	}
	r, err := index.Open(c.index)
	if err != nil {
		return nil // nothing there, or not an index: Create decides
	}
	defer r.Close()
	var old triageResult
	if r.Meta(&old) != nil || len(old.Sources) == 0 {
		return nil
	}
	if slices.Equal(old.Sources, absPaths(c.bundles)) {
		return nil
	}
	return usageErr("the index %s holds %s; choose another with --index, or give --force to replace it", c.index, strings.Join(old.Sources, ", "))
}

// shellQuote quotes a path for a command line when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./+=:@,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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

// triageCase runs the pipeline on one case: the findings pass, then,
// unless noIndex, the index pass into indexPath. Findings are ready before
// the index is written; onFindings, when set, sees them first.
func triageCase(ctx context.Context, e *env, o *triageOptions, name string, bundles []string, indexPath string, onFindings func(*triageResult) error) (*triageResult, error) {
	prog := &progress{e: e}
	var n atomic.Int64
	opt := triage.Options{
		Name: name, Bundles: bundles, Parsers: formats.All(), Detectors: selectDetectors(o.detectors),
		Bundle: bundle.Options{Workers: o.workers},
		Progress: pipeline.SinkFunc(func(*parse.Event) error {
			if k := n.Add(1); k%1000 == 0 {
				prog.update("exlog: %d events read", k)
			}
			return nil
		}),
	}
	var w *index.Writer
	if !o.noIndex {
		// Never inside a bundle folder: a default path moves beside it, a
		// chosen one is refused.
		safe, err := index.SafePath(bundles, indexPath, o.index != "")
		if err != nil {
			return nil, &exitError{code: exitUsage, err: err}
		}
		indexPath = safe
		if w, err = index.CreateContext(ctx, indexPath); err != nil {
			code := exitUsage
			if errors.Is(err, index.ErrUnwritable) {
				code = exitIncomplete
			}
			return nil, &exitError{code: code, err: err}
		}
		if opt.Spool, err = w.Spool(); err != nil {
			w.Abort()
			return nil, &exitError{code: exitIncomplete, err: err}
		}
	}
	res, err := triage.Run(ctx, opt)
	prog.done()
	if err != nil {
		if w != nil {
			w.Abort()
		}
		return nil, err
	}
	res.Sources = absPaths(bundles)
	for _, warn := range res.Warnings {
		fmt.Fprintf(e.stderr, "exlog: warning: %s\n", warn)
	}
	if w != nil && !readAnything(res.Files) {
		// An index of nothing would only mislead a later search.
		w.Abort()
		w = nil
	}
	if w != nil {
		res.Index = indexPath
	}
	if onFindings != nil {
		if err := onFindings(res); err != nil {
			if w != nil {
				w.Abort()
			}
			return nil, err
		}
	}
	if w == nil {
		return res, nil
	}
	total := readEvents(res.Files)
	n.Store(0)
	opt.Progress = pipeline.SinkFunc(func(*parse.Event) error {
		if k := n.Add(1); k%1000 == 0 {
			prog.update("exlog: indexing, %d of %d events", k, total)
		}
		return nil
	})
	err = triage.Index(ctx, opt, res, w)
	prog.done()
	return res, err
}

func readEvents(files []*parse.Report) int {
	n := 0
	for _, f := range files {
		n += f.Events
	}
	return n
}

func absPaths(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		if a, err := filepath.Abs(p); err == nil {
			p = a
		}
		out[i] = p
	}
	return out
}

// checkBundle looks at a bundle before any work starts, so that a path
// that cannot be a bundle is named with what was expected of it.
func checkBundle(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return usageErr("bundle %s does not exist; name a folder, a .zip, a .tar(.gz) or a log file", path)
		}
		return inputErr("cannot read bundle %s: %v", path, errors.Unwrap(err))
	}
	if fi.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return inputErr("cannot read the folder %s: %v", path, errors.Unwrap(err))
		}
		if len(ents) == 0 {
			return inputErr("the folder %s is empty; a bundle holds setup logs, event logs, cluster logs or registry exports", path)
		}
		return nil
	}
	if !fi.Mode().IsRegular() {
		return inputErr("%s is not a regular file or folder; name a folder, a .zip, a .tar(.gz) or a log file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return inputErr("cannot read bundle %s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ".zip"):
		if bytes.HasPrefix(head, []byte("PK\x05\x06")) {
			return inputErr("%s is an empty zip: it holds no files", path)
		}
		if !bytes.HasPrefix(head, []byte("PK")) {
			return inputErr("%s is not a zip archive (it lacks the zip header); name the folder or archive the logs came in", path)
		}
		if zr, err := zip.NewReader(f, fi.Size()); err != nil {
			return inputErr("%s is not a readable zip archive: %v", path, err)
		} else if len(zr.File) == 0 {
			return inputErr("%s is an empty zip: it holds no files", path)
		}
	case strings.HasSuffix(lower, ".gz") || strings.HasSuffix(lower, ".tgz"):
		if !bytes.HasPrefix(head, []byte{0x1f, 0x8b}) {
			return inputErr("%s is not a gzip archive (it lacks the gzip header); name the folder or archive the logs came in", path)
		}
	case fi.Size() == 0:
		return inputErr("%s is an empty file", path)
	}
	return nil
}

// inputErr is a bundle that cannot be read at all.
func inputErr(format string, args ...any) error {
	return &exitError{code: exitNothing, err: fmt.Errorf(format, args...)}
}

// checkDetectors makes an unknown --detector a usage error.
func checkDetectors(ids []string) error {
	return checkValues("--detector", ids, detectorIDs())
}

// selectDetectors returns the detectors named, or all when none are.
func selectDetectors(ids []string) []*detect.Detector {
	if len(ids) == 0 {
		return all.Detectors()
	}
	var out []*detect.Detector
	for _, d := range all.Detectors() {
		if slices.Contains(ids, d.ID) {
			out = append(out, d)
		}
	}
	return out
}
