// Package setupfailure explains failed Exchange setup runs: it judges every
// run of every setup log (not only the last of a file), and for a run that
// failed or stopped mid-run it reports why, with the lines that show it and
// what to do. The outcome of each run is the setup-log parser's (package
// parse/facts, SetupRun): succeeded only on positive evidence. A failed
// run that a later run on the same node retried successfully is still
// reported, one severity lower, saying when it failed and when the retry
// succeeded; a run whose log stops mid-run is a warning; a run that ended
// without saying how is not reported. A log collected twice (a .bak, the
// same file in two archives, a copy cut short) counts once: runs are
// identified by their content (detect.DuplicateRuns).
//
// The causes and their order follow SetupLogReviewer from Microsoft's
// CSS-Exchange scripts, the reference support engineers know: prerequisite
// failures first (one finding each), then known errors (the first that
// matches), then the first error of the run. Exchange 2000/2003 progress
// logs and 2007/2010 logs get the same treatment; there the first error is
// often a native frame with an error code. A watermark left by an earlier
// failed install (Rule:InstallWatermark) is the upgradecms-watermark
// detector's business and is not reported here.
//
// The causes, their wording and their order live with the setup-log parser
// in package parse/setuplog/diagnose. Every finding carries its cause ID in
// Finding.Cause (see CauseIDs) and
// these details: file, run, generation, product, setup_version,
// setup_release, installed_version, installed_release, mode,
// installation_mode, run_start, run_end, result, user, computer,
// first_error_line, decided_by (the line that decided the outcome and
// why); same_build when setup ran the installed build in upgrade mode,
// retried and retried_at when a later run succeeded, no_end when the run
// has no end; plus cause-specific details named in
// lower_snake_case (help_url, process, ldf_file, database, object, ...).
//
// Evidence that matched a continuation line of a record (a stack trace, a
// script's output) points at that physical line and quotes it alone; its
// doc_id still names the record.
package setupfailure

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/builds"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
	"github.com/exlog/exlog/parse/setuplog/diagnose"
)

// Detector is the setup-failure detector.
var Detector = &detect.Detector{
	ID:    "setup-failure",
	Title: "Failed Exchange setup run",
	Doc: "Explains every setup run that did not complete: the failed prerequisites (pending reboot, " +
		"missing group memberships, domain not prepared, ...), known setup errors (installer cache, " +
		"schema import, disabled services, AD objects, virtual directories, ...) or else the first error " +
		"of the run, with the log lines that show it and the remedy. Covers Exchange 2000/2003 progress " +
		"logs and the ExchangeSetup.log of 2007 to Subscription Edition; the checks follow Microsoft's " +
		"SetupLogReviewer.",
	Looks:      "setup logs: every record of the judged run and its setup-run summary",
	References: []string{diagnose.RefSetupLogReviewer},
	// The fallback gives way to a finding that explains the same run.
	Yields: []string{"first-error"},
	Select: func(e *parse.Event) bool { return e.Source == parse.SourceSetupLog },
	Run:    run,
}

func run(p *detect.Pass) error {
	type key struct {
		file string
		run  int
	}
	sums := map[key]*parse.Event{}
	recs := map[key][]*parse.Event{}
	var all []*parse.Event
	for _, e := range p.Events {
		if e.Source != parse.SourceSetupLog {
			continue
		}
		k := key{e.File, e.Run}
		switch e.Kind {
		case parse.KindSetupRun:
			if facts.SetupRunOf(e) != nil {
				sums[k] = e
				all = append(all, e)
			}
		case "":
			recs[k] = append(recs[k], e)
		}
	}
	// A log collected twice counts once: runs are told apart by content.
	copies := detect.DuplicateRuns(all)
	keys := make([]key, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].file != keys[j].file {
			return keys[i].file < keys[j].file
		}
		return keys[i].run < keys[j].run
	})
	for _, k := range keys {
		s := sums[k]
		if copies[s] {
			delete(recs, k)
			continue
		}
		r := diagnose.NewRun(s, recs[k])
		retry := retriedBy(r, all, copies)
		for _, d := range diagnose.Judge(r) {
			p.Report(finding(r, d, retry))
		}
		// Drop this run's records before the next one: a bundle may hold
		// many large setup logs.
		delete(recs, k)
	}
	return nil
}

// retriedBy returns a later run on the same node that succeeded with the
// same target build (and the same mode, where both give one): the failure
// was fixed by running setup again.
func retriedBy(r *diagnose.Run, all []*parse.Event, copies map[*parse.Event]bool) *parse.Event {
	if r.Fact.Outcome == facts.Succeeded {
		return nil
	}
	var best *parse.Event
	for _, e := range all {
		o := facts.SetupRunOf(e)
		if copies[e] || e == r.Sum || o.Outcome != facts.Succeeded || parse.ShortNode(e.Node) != parse.ShortNode(r.Sum.Node) {
			continue
		}
		later := false
		switch {
		case !o.Start.IsZero() && !r.Fact.Start.IsZero():
			later = o.Start.After(r.Fact.Start)
		case e.File == r.Sum.File:
			later = e.Run > r.Sum.Run
		}
		if !later || o.ToBuild != r.Fact.ToBuild || o.ServicePack != r.Fact.ServicePack {
			continue
		}
		if r.Fact.Mode != "" && o.Mode != "" && !strings.EqualFold(r.Fact.Mode, o.Mode) {
			continue
		}
		if best == nil || o.Start.Before(facts.SetupRunOf(best).Start) {
			best = e
		}
	}
	return best
}

// finding turns a diagnosis into the detector's finding with the run's
// context.
func finding(r *diagnose.Run, d *diagnose.Diagnosis, retry *parse.Event) detect.Finding {
	s := r.Sum
	det := map[string]string{}
	put := func(k, v string) {
		if v != "" {
			det[k] = v
		}
	}
	put("file", s.File)
	put("run", strconv.Itoa(s.Run))
	put("generation", r.Generation())
	put("product", r.Field(parse.KeyProduct))
	setupV, installed := r.Field(parse.KeySetupVersion), r.Installed()
	put("setup_version", setupV)
	put("setup_release", builds.ReleaseName(setupV))
	put("installed_version", installed)
	put("installed_release", builds.ReleaseName(installed))
	put("mode", r.Field(parse.KeyMode))
	put("installation_mode", r.Field(parse.KeyInstallationMode))
	put("run_start", stamp(r.Field(parse.KeyStart), r.Fact.TimeQuality))
	put("run_end", stamp(r.Field(parse.KeyEnd), r.Fact.TimeQuality))
	put("result", string(r.Fact.Outcome))
	put("decided_by", fmt.Sprintf("line %d: %s", r.Fact.Decider.Line, r.Fact.Reason))
	put("user", r.Field(parse.KeyUser))
	put("computer", r.Field(parse.KeyComputer))
	put("first_error_line", r.Field(parse.KeyFirstErrorLine))
	put("same_build", sameBuild(r))
	if r.Fact.Outcome == facts.Incomplete {
		put("no_end", "the run has no \"End of Setup\" line")
	}
	if retry != nil {
		o := facts.SetupRunOf(retry)
		put("retried", fmt.Sprintf("%s:%d", retry.File, retry.Line))
		put("retried_at", timeText(o.Start, o.TimeQuality))
	}
	for k, v := range d.Details {
		det[k] = v
	}

	f := detect.Finding{
		Severity:    detect.Error,
		Cause:       d.Cause,
		Summary:     summary(r, d),
		Explanation: d.Explanation,
		Remediation: d.Remediation,
		Evidence:    evidenceOf(d.Quotes),
		Details:     det,
	}
	if d.Warning {
		f.Severity = detect.Warning
	}
	if r.Fact.Outcome == facts.Incomplete && f.Severity > detect.Warning {
		f.Severity = detect.Warning
	}
	if retry != nil {
		// Fixed by running setup again: still worth knowing, not an
		// open problem.
		if f.Severity >= detect.Error {
			f.Severity = detect.Warning
		} else {
			f.Severity = detect.Info
		}
		o := facts.SetupRunOf(retry)
		f.Summary += fmt.Sprintf(" (failed at %s, succeeded on retry at %s)",
			timeText(r.Fact.End, r.Fact.TimeQuality), timeText(o.Start, o.TimeQuality))
		f.Evidence = append(f.Evidence, detect.EvidenceOf(retry))
	}
	if s.Node != "" {
		f.Nodes = []string{s.Node}
	}
	if t := r.Start(); !t.IsZero() && s.TimeQuality != parse.TimeNone {
		f.Start = t
	}
	if t, err := time.Parse(time.RFC3339Nano, r.Field(parse.KeyEnd)); err == nil {
		f.End = t
	}
	if len(d.Refs) > 0 {
		f.References = append([]string{diagnose.RefSetupLogReviewer}, d.Refs...)
	}
	if f.Evidence == nil {
		f.Evidence = []detect.Evidence{detect.EvidenceOf(s)}
	}
	sort.SliceStable(f.Evidence, func(i, j int) bool { return f.Evidence[i].Line < f.Evidence[j].Line })
	return f
}

// summary is the one line shown in tables: who, what run, which cause.
func summary(r *diagnose.Run, d *diagnose.Diagnosis) string {
	who := r.Sum.Node
	if who == "" {
		who = path.Base(r.Sum.File)
	}
	var what []string
	if m := r.Field(parse.KeyMode); m != "" {
		what = append(what, m)
	}
	if v := r.Field(parse.KeySetupVersion); v != "" {
		what = append(what, "build "+v)
	}
	run := "setup run " + strconv.Itoa(r.Sum.Run)
	if len(what) > 0 {
		run += " (" + strings.Join(what, ", ") + ")"
	}
	verb := "failed"
	if d.Cause == "interrupted" {
		verb = "did not finish"
	}
	return fmt.Sprintf("%s: %s %s: %s", who, run, verb, d.Title)
}

// sameBuild warns when an upgrade run's setup build is the build already
// installed: that happens when the installed copy of setup in the Exchange
// Bin folder runs instead of the new media's.
func sameBuild(r *diagnose.Run) string {
	mode := r.Field(parse.KeyMode)
	upgrade := strings.EqualFold(mode, "Upgrade") ||
		(!strings.EqualFold(mode, "Install") && strings.EqualFold(r.Field(parse.KeyInstallationMode), "BuildToBuildUpgrade"))
	if !upgrade {
		return ""
	}
	sv, iv := r.Field(parse.KeySetupVersion), r.Installed()
	a, ok1 := builds.Parse(sv)
	b, ok2 := builds.Parse(iv)
	if !ok1 || !ok2 || a[0] != b[0] || a[1] != b[1] || a[2] != b[2] {
		return ""
	}
	return fmt.Sprintf("setup build %s is the build already installed (%s) and the run is an upgrade: check that setup was started from the new build's media (in PowerShell as .\\setup.exe from the media root), not the setup.exe in the Exchange Bin folder", sv, iv)
}

// stamp keeps an RFC 3339 time as it is when its date is known, and
// writes only what is known otherwise ("00:00:05, date unknown").
func stamp(rfc string, q parse.TimeQuality) string {
	t, err := time.Parse(time.RFC3339Nano, rfc)
	if err != nil || q.DateKnown() {
		return rfc
	}
	return detect.When(t, q)
}

// timeText prints a run's time as far as its quality allows (a date
// assumed from a file time is not stated), or "an unknown time".
func timeText(t time.Time, q parse.TimeQuality) string {
	return detect.When(t, q)
}

// CauseIDs lists the causes a finding of this detector can name, in the
// order they are checked.
func CauseIDs() []string { return diagnose.CauseIDs() }

// evidenceOf turns a diagnosis's quotes into evidence: a quoted
// continuation line points at that physical line and quotes it alone; its
// doc_id still names the record.
func evidenceOf(qs []diagnose.Quote) []detect.Evidence {
	var out []detect.Evidence
	for _, q := range qs {
		ev := detect.EvidenceOf(q.Rec)
		if q.Line != q.Rec.Line {
			ev.Line, ev.Text = q.Line, q.Text
		}
		out = append(out, ev)
	}
	return out
}
