package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/cmd/internal/triage"
	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// printTriage writes the three tables of a triage: files, nodes, findings.
func printTriage(e *env, r *triageResult, allFiles bool) error {
	w := e.stdout
	fmt.Fprintf(w, "Bundle %s", r.Bundle)
	if !r.Start.IsZero() {
		fmt.Fprintf(w, ", %s to %s (UTC)", r.Start.Format("2006-01-02 15:04:05"), r.End.Format("2006-01-02 15:04:05"))
	}
	fmt.Fprintln(w)

	if err := printFiles(e, r.Files, allFiles); err != nil {
		return err
	}
	if err := printNodes(e, r.Nodes); err != nil {
		return err
	}
	if err := printStory(e, r.Story); err != nil {
		return err
	}
	return printFindings(e, r.Findings)
}

func printFiles(e *env, files []*parse.Report, all bool) error {
	w := e.stdout
	byStatus := map[string]int{}
	events := 0
	for _, f := range files {
		byStatus[f.Status]++
		events += f.Events
	}
	fmt.Fprintf(w, "\nFiles: %d read, %d events", len(files), events)
	for _, s := range []string{parse.StatusPartial, parse.StatusFailed, parse.StatusRejected, parse.StatusUnknown} {
		if byStatus[s] > 0 {
			fmt.Fprintf(w, ", %d %s", byStatus[s], s)
		}
	}
	fmt.Fprintln(w)
	t := e.fitTable(w, "File", "Format", "Node", "Events", "Status", "Problems")
	hidden := 0
	for _, f := range files {
		if f.Status == parse.StatusUnknown && !all {
			hidden++
			continue
		}
		events := strconv.Itoa(f.Events)
		if f.Recovered > 0 {
			events += fmt.Sprintf(" (%d recovered)", f.Recovered)
		}
		if err := t.Append([]string{f.Path, f.Format, f.Node, events, f.Status, problemText(f)}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if hidden > 0 {
		fmt.Fprintf(w, "%d files in no format exlog reads were left out; --all-files lists them.\n", hidden)
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
	return oneLine(strings.Join(parts, "; "), 120)
}

func printNodes(e *env, nodes []triage.NodeSummary) error {
	w := e.stdout
	fmt.Fprintf(w, "\nNodes: %d\n", len(nodes))
	if len(nodes) == 0 {
		return nil
	}
	t := e.fitTable(w, "Node", "Exchange build", "Release", "Seen as", "First seen (UTC)", "Where")
	for _, n := range nodes {
		if len(n.Builds) == 0 {
			if err := t.Append([]string{n.Name, "unknown", "", sourcesText(n.Events), "", ""}); err != nil {
				return err
			}
			continue
		}
		for _, b := range n.Builds {
			build := b.Build
			if b.Build == n.Build {
				build += " *"
			}
			if err := t.Append([]string{n.Name, build, b.Release, strings.Join(b.Seen, ", "), timeText(b.First), b.Where}); err != nil {
				return err
			}
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintln(w, "* the latest build each node is known to run")
	return nil
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

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func printFindings(e *env, fs []detect.Finding) error {
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
			fmt.Fprintf(w, ", %d %s", count[s], s)
		}
	}
	fmt.Fprintln(w)
	t := e.fitTable(w, "#", "Severity", "Detector", "Nodes / groups", "Time (UTC)", "Summary", "Evidence")
	for i, f := range fs {
		scope := strings.Join(f.Nodes, ", ")
		if len(f.Groups) > 0 {
			if scope != "" {
				scope += " / "
			}
			scope += strings.Join(f.Groups, ", ")
		}
		det := f.Detector
		if f.Cause != "" {
			det += " (" + f.Cause + ")"
		}
		if err := t.Append([]string{strconv.Itoa(i + 1), e.severity(f.Severity), det, scope, timeText(f.Start), f.Summary, strconv.Itoa(len(f.Evidence))}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	// The table says what; these lines say where to look and what to do.
	for i, f := range fs {
		fmt.Fprintf(w, "\n[%d] %s\n", i+1, f.Summary)
		for j, ev := range f.Evidence {
			if j == 3 {
				fmt.Fprintf(w, "    ... %d more pieces of evidence (--format json lists all)\n", len(f.Evidence)-3)
				break
			}
			fmt.Fprintf(w, "    %s: %s\n", ev.Where(), oneLine(ev.Text, 160))
		}
		if f.Remediation != "" {
			fmt.Fprintf(w, "    fix: %s\n", oneLine(f.Remediation, 400))
		}
	}
	return nil
}
