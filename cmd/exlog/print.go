package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/cmd/internal/render"
	"github.com/exlog/exlog/cmd/internal/triage"
	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// printTriage writes what a triage found: the files, the nodes and the
// findings.
func printTriage(e *env, r *triageResult, allFiles bool) error {
	w := e.stdout
	fmt.Fprintf(w, "Bundle %s", shown(r.Bundle))
	if !r.Start.IsZero() {
		fmt.Fprintf(w, ", %s to %s UTC", r.Start.UTC().Format("2006-01-02 15:04:05"), r.End.UTC().Format("2006-01-02 15:04:05"))
	}
	fmt.Fprintln(w)
	quality := triage.FileQualities(r.Times)

	if err := printFiles(e, r.Files, allFiles); err != nil {
		return err
	}
	if err := printNodes(e, r.Nodes, quality); err != nil {
		return err
	}
	if err := printStory(e, r.Story); err != nil {
		return err
	}
	return printFindings(e, r.Findings, quality)
}

// printFiles lists the files read. The problems of a file are prose, so
// they follow the table as notes instead of squeezing it.
func printFiles(e *env, files []*parse.Report, all bool) error {
	w := e.stdout
	byStatus := map[string]int{}
	events := 0
	for _, f := range files {
		byStatus[f.Status]++
		events += f.Events
	}
	fmt.Fprintf(w, "\nFiles: %s read, %s", plural(len(files), "file"), plural(events, "event"))
	for _, s := range []string{parse.StatusPartial, parse.StatusFailed, parse.StatusRejected, parse.StatusUnknown} {
		if byStatus[s] > 0 {
			fmt.Fprintf(w, ", %d %s", byStatus[s], s)
		}
	}
	fmt.Fprintln(w)
	t := e.fitTable(w, "File", "Format", "Node", "Events", "Status").path(0).wrap(0)
	hidden := 0
	type note struct{ path, text string }
	var notes []note
	for _, f := range files {
		if f.Status == parse.StatusUnknown && !all {
			hidden++
			continue
		}
		events := strconv.Itoa(f.Events)
		if f.Recovered > 0 {
			events += fmt.Sprintf(" (%d recovered)", f.Recovered)
		}
		status := f.Status
		if p := problemText(f); p != "" {
			notes = append(notes, note{f.Path, p})
			status += " [" + strconv.Itoa(len(notes)) + "]"
		}
		if err := t.Append([]string{shown(f.Path), f.Format, shown(f.Node), events, status}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for i, n := range notes {
		e.para(w, fmt.Sprintf("[%d] ", i+1), shown(n.path)+": "+shown(n.text))
	}
	if hidden > 0 {
		fmt.Fprintf(w, "%s in no format exlog reads %s left out; --all-files lists them.\n", plural(hidden, "file"), wasWere(hidden))
	}
	return nil
}

func problemText(f *parse.Report) string {
	var parts []string
	if f.Error != "" {
		parts = append(parts, f.Error)
	}
	if f.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", f.Skipped))
	}
	n := len(f.Problems) + f.MoreProblems
	if n > 0 {
		p := f.Problems[0]
		s := p.Where + ": " + p.Reason
		if n > 1 {
			s += fmt.Sprintf(" (+%d more)", n-1)
		}
		parts = append(parts, s)
	}
	return oneLine(strings.Join(parts, "; "), 400)
}

func printNodes(e *env, nodes []triage.NodeSummary, quality map[string]parse.TimeQuality) error {
	w := e.stdout
	fmt.Fprintf(w, "\nNodes: %d\n", len(nodes))
	if len(nodes) == 0 {
		return nil
	}
	var rows [][]string
	var times []string
	for _, n := range nodes {
		if len(n.Builds) == 0 {
			rows = append(rows, []string{shown(n.Name), "unknown", "", "", sourcesText(n.Events)})
			times = append(times, "")
			continue
		}
		for _, b := range n.Builds {
			build := b.Build
			if b.Build == n.Build {
				build += " *"
			}
			seen := strings.Join(b.Seen, ", ")
			if b.Where != "" {
				seen += " at " + shown(b.Where)
			}
			rows = append(rows, []string{shown(n.Name), shown(build), shown(b.Release), "", seen})
			times = append(times, firstSeen(b, quality))
		}
	}
	t := e.fitTable(w, "Node", "Build", "Release", "First seen", "Seen").wrap(4).factor(3, " UTC")
	for i, r := range rows {
		r[3] = times[i]
		if err := t.Append(r); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintln(w, "* the latest build each node is known to run")
	return nil
}

// commonSuffix strips suffix from every non-empty cell when all have it, so
// that a column header can say it once.
func commonSuffix(cells []string, suffix string) ([]string, bool) {
	out := make([]string, len(cells))
	for i, c := range cells {
		if c == "" {
			continue
		}
		s, ok := strings.CutSuffix(c, suffix)
		if !ok {
			return cells, false
		}
		out[i] = s
	}
	return out, true
}

func sourcesText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return "no build seen; events: " + strings.Join(parts, ", ")
}

// firstSeen is when a build was first seen, with the quality of the
// file that showed it.
func firstSeen(b triage.BuildSummary, quality map[string]parse.TimeQuality) string {
	if b.First.IsZero() {
		return ""
	}
	return minuteLabel(b.First, quality[fileOfWhere(b.Where)])
}

// minuteLabel prints a time to the minute with its quality.
func minuteLabel(t time.Time, q parse.TimeQuality) string {
	if q == "" {
		q = parse.TimeUTC // a finding's or build's own time, in UTC
	}
	return render.TimeLabel(t, q, "2006-01-02 15:04")
}

// fileOfWhere strips ":line" or " #record" from a position.
func fileOfWhere(where string) string {
	if i := strings.LastIndex(where, " #"); i > 0 {
		return where[:i]
	}
	if i := strings.LastIndexByte(where, ':'); i > 0 {
		if _, err := strconv.Atoi(where[i+1:]); err == nil {
			return where[:i]
		}
	}
	return where
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// printFindings lists the findings, each with what, where, when, its
// evidence and what to do. A list, not a table: a finding is prose and
// reads on any width.
func printFindings(e *env, fs []detect.Finding, quality map[string]parse.TimeQuality) error {
	w := e.stdout
	if len(fs) == 0 {
		fmt.Fprintln(w, "\nFindings: none")
		return nil
	}
	count := map[detect.Severity]int{}
	for _, f := range fs {
		count[f.Severity]++
	}
	fmt.Fprintf(w, "\nFindings: %d", len(fs))
	for s := detect.Critical; s >= detect.Info; s-- {
		if count[s] > 0 {
			fmt.Fprintf(w, ", %s", severityCount(count[s], s))
		}
	}
	fmt.Fprintln(w)
	for i, f := range fs {
		fmt.Fprintln(w)
		head := []string{e.severity(f.Severity), shown(f.Detector)}
		if f.Cause != "" {
			head[1] += " (" + shown(f.Cause) + ")"
		}
		if scope := findingScope(f); scope != "" {
			head = append(head, shown(scope))
		}
		if !f.Start.IsZero() {
			head = append(head, minuteLabel(f.Start, render.FindingQuality(f)))
		}
		lead := fmt.Sprintf("[%d] ", i+1)
		e.para(w, lead, strings.Join(head, " · "))
		pad := strings.Repeat(" ", len(lead))
		e.para(w, pad, shown(f.Summary))
		for j, ev := range f.Evidence {
			if j == 3 {
				fmt.Fprintf(w, "%s... %d more %s (--format json lists all)\n", pad, len(f.Evidence)-3,
					pluralWord(len(f.Evidence)-3, "piece of evidence", "pieces of evidence"))
				break
			}
			where := ev.Where()
			if t := render.EvidenceTime(ev, quality[ev.File]); t != "" {
				where += " (" + t + ")"
			}
			e.para(w, pad+"- ", shown(where))
			e.para(w, pad+"  ", shown(oneLine(displayMessage(ev.Text), 300)))
		}
		if f.Confidence != "" && f.Confidence != detect.ConfidenceHigh {
			e.para(w, pad+"confidence: ", shown(render.ConfidenceText(f)))
		}
		if f.Remediation != "" {
			e.para(w, pad+"fix: ", shown(f.Remediation))
		}
	}
	return nil
}

// findingScope is "NODE1, NODE2 / EVS1".
func findingScope(f detect.Finding) string {
	scope := strings.Join(f.Nodes, ", ")
	if len(f.Groups) > 0 {
		if scope != "" {
			scope += " / "
		}
		scope += strings.Join(f.Groups, ", ")
	}
	return scope
}

// severityCount says "1 error", "2 errors", "2 critical".
func severityCount(n int, s detect.Severity) string {
	switch s {
	case detect.Error, detect.Warning:
		return plural(n, s.String())
	}
	return strconv.Itoa(n) + " " + s.String()
}
