package render

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode"

	"github.com/exlog/exlog/cmd/internal/triage"
	"github.com/exlog/exlog/parse"
)

// maxFileProblems bounds the problems listed per file in Markdown and
// HTML; the JSON form keeps every one the parser recorded.
const maxFileProblems = 5

// md escapes running text for Markdown as GitHub, GitLab and similar
// forges read it, folding it onto one line. Only what could turn into
// markup inline is escaped, so the raw file stays readable: "->" and
// "error_code" are left alone, "*", "`", "[", "<" and a pipe are not. Text
// that starts a line goes through mdLine as well.
func md(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	prev := rune(' ')
	rs := []rune(s)
	for i, r := range rs {
		next := rune(' ')
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		switch r {
		case '\r', '\n':
			if r == '\n' || next != '\n' {
				b.WriteByte(' ')
			}
			prev = ' '
			continue
		case '\\', '`', '*', '[', ']', '<', '|', '~':
			b.WriteByte('\\')
		case '_':
			// Underscores inside a word never make emphasis.
			if !isWordRune(prev) || !isWordRune(next) {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// blockStart matches what would open a heading, quote, list or rule at
// the start of a line.
var blockStart = regexp.MustCompile(`^(#|>|[-+=]|\d+[.)])`)

// mdLine escapes text that starts a line of its own.
func mdLine(s string) string {
	s = md(s)
	if m := blockStart.FindString(s); m != "" {
		s = m[:len(m)-1] + "\\" + s[len(m)-1:]
	}
	return s
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// code writes s as an inline code span, safe inside a table cell.
func code(s string) string {
	if s == "" {
		return ""
	}
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	// A pipe ends a table cell even inside a code span unless escaped.
	return fence + pad + strings.ReplaceAll(s, "|", `\|`) + pad + fence
}

func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// mdw writes Markdown, remembering the first write error.
type mdw struct {
	w   *bufio.Writer
	err error
}

func (m *mdw) p(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, args...)
	}
}

func (m *mdw) row(cells ...string) {
	m.p("| %s |\n", strings.Join(cells, " | "))
}

func (m *mdw) header(cells ...string) {
	m.row(cells...)
	seps := make([]string, len(cells))
	for i := range seps {
		seps[i] = "---"
	}
	m.row(seps...)
}

func writeMarkdown(w io.Writer, r *Report) error {
	m := &mdw{w: bufio.NewWriter(w)}
	m.p("# exlog report: %s\n\n", md(r.Bundle))
	m.p("**Verdict: %s.** %s\n\n", strings.ToUpper(r.Verdict.Result), md(r.Verdict.Text))
	mdHeader(m, r)
	mdBuilds(m, r)
	mdTimeline(m, r)
	mdStory(m, r)
	mdFindings(m, r)
	mdFiles(m, r)
	if len(r.Notes) > 0 {
		m.p("## Notes\n\n")
		for _, n := range r.Notes {
			m.p("- %s\n", md(n))
		}
		m.p("\n")
	}
	m.p("---\n\nWritten by exlog from the bundle's logs. All times are UTC.\n")
	if m.err != nil {
		return m.err
	}
	return m.w.Flush()
}

func mdHeader(m *mdw, r *Report) {
	m.p("- **Bundle:** %s\n", md(r.Bundle))
	if r.Start.IsZero() {
		m.p("- **Covers:** no timed event\n")
	} else {
		m.p("- **Covers:** %s UTC (%s)\n", spanText(r.Start, r.End), durationText(r.End.Sub(r.Start)))
	}
	if c := r.Cluster; c != nil {
		kind := c.Kind
		if kind == "" {
			kind = "cluster"
		}
		nodes := "no node named"
		if len(c.Nodes) > 0 {
			nodes = strings.Join(c.Nodes, ", ")
		}
		m.p("- **Cluster:** %s: %s\n", md(kind), md(nodes))
		if len(c.Names) > 0 {
			m.p("- **Cluster names:** %s\n", md(clusterNames(c)))
		}
		var groups []string
		for _, g := range c.Groups {
			s := g.Name
			if g.Exchange {
				s += " (Exchange)"
			}
			if g.Owner != "" {
				s += " on " + g.Owner
			}
			groups = append(groups, s)
		}
		if len(groups) > 0 {
			m.p("- **Groups at the end:** %s\n", md(strings.Join(groups, "; ")))
		}
	} else {
		m.p("- **Cluster:** none seen in the bundle\n")
	}
	names := make([]string, len(r.Nodes))
	for i, n := range r.Nodes {
		names[i] = n.Name
	}
	if len(names) == 0 {
		m.p("- **Nodes:** none named\n")
	} else {
		m.p("- **Nodes:** %s\n", md(strings.Join(names, ", ")))
	}
	f := r.Files
	m.p("- **Files:** %d, of which %d held events (%s)\n\n", f.Total, f.Read, Plural(f.Events, "event"))

	m.p("### Where the times come from\n\n")
	if len(r.Times) == 0 {
		m.p("The bundle holds no event.\n\n")
		return
	}
	m.header("Times", "Events", "Files", "Formats", "Stated offsets", "How far to trust them")
	for _, t := range r.Times {
		m.row(md(t.Label), itoa(t.Events), itoa(t.Files), md(strings.Join(t.Formats, ", ")),
			md(strings.Join(t.Offsets, "; ")), md(t.Note))
	}
	m.p("\n")
}

func mdBuilds(m *mdw, r *Report) {
	m.p("## Builds\n\n")
	if len(r.Nodes) == 0 {
		m.p("No node is named in the bundle.\n\n")
	} else {
		m.p("Each node's Exchange build before the bundle's first setup run and the latest build known to be installed.\n\n")
		windows := hasWindows(r.Nodes)
		head := []string{"Node", "Before", "After", "Status", "Setup runs", "Groups held at the end", "After seen in"}
		if windows {
			head = append(head, "Windows")
		}
		m.header(head...)
		for _, n := range r.Nodes {
			runs := itoa(n.SetupRuns)
			if n.FailedRuns > 0 {
				runs += fmt.Sprintf(" (%d failed)", n.FailedRuns)
			}
			seen := ""
			if n.After != nil && n.After.Where != "" {
				seen = code(n.After.Where)
			}
			cells := []string{"**" + md(n.Name) + "**", md(buildText(n.Before)), md(buildText(n.After)), md(statusText(n)), runs,
				md(strings.Join(n.Groups, ", ")), seen}
			if windows {
				cells = append(cells, md(n.Windows))
			}
			m.row(cells...)
		}
		m.p("\n")
	}
	if len(r.ClusteredServers) == 0 {
		return
	}
	m.p("### Clustered servers\n\n")
	m.header("Clustered server", "Kind", "Held by", "Build", "Status", "Known from")
	for _, c := range r.ClusteredServers {
		from := ""
		if c.Where != "" {
			from = md(c.Operation) + " " + code(c.Where)
		}
		m.row("**"+md(c.Name)+"**", md(c.Kind), md(c.Owner), md(buildText(c.Build)), md(c.Status), from)
	}
	m.p("\n")
}

func mdTimeline(m *mdw, r *Report) {
	m.p("## Timeline (UTC)\n\n")
	if len(r.Timeline) == 0 {
		m.p("Nothing to show: the bundle holds no setup run, group move, failover or finding.\n\n")
		return
	}
	marked := false
	m.header("Time (UTC)", "Node", "What", "Details", "Evidence")
	for _, e := range r.Timeline {
		t := timeText(e.Time)
		if t == "" {
			t = "unknown"
		} else if !e.TimeQuality.DateKnown() && e.TimeQuality != "" && e.TimeQuality != parse.TimeNone {
			t = TimeLabel(e.Time, e.TimeQuality, stamp) + " †"
			marked = true
		} else if uncertain(e) {
			t += " †"
			marked = true
		}
		what := md(kindText(e))
		if e.Kind == triage.KindFinding {
			what = "**" + what + "**"
		}
		m.row(t, md(strings.Join(entryNodes(e), ", ")), what, md(e.Summary), code(e.Where))
	}
	m.p("\n")
	if marked {
		m.p("† written in the server's local time with no offset stated (or with only a time of day): may be off by the server's UTC offset.\n\n")
	}
}

func mdFindings(m *mdw, r *Report) {
	m.p("## Findings\n\n")
	if len(r.Findings) == 0 {
		m.p("No detector reported anything.\n\n")
		return
	}
	for _, f := range r.Findings {
		m.p("### %s · %s · %s\n\n", f.ID, sevName(f.Severity), md(f.Summary))
		det := code(f.Detector)
		if f.Cause != "" {
			det += " (" + md(f.Cause) + ")"
		}
		m.p("- **Detector:** %s\n", det)
		if len(f.Nodes) > 0 {
			m.p("- **Nodes:** %s\n", md(strings.Join(f.Nodes, ", ")))
		}
		if len(f.Groups) > 0 {
			m.p("- **Groups:** %s\n", md(strings.Join(f.Groups, ", ")))
		}
		if !f.Start.IsZero() {
			m.p("- **When:** %s\n", findingWhen(f.Finding))
		}
		m.p("- **Confidence:** %s\n", md(ConfidenceText(f.Finding)))
		for _, k := range detailKeys(f.Details) {
			m.p("- **%s:** %s\n", md(k), md(f.Details[k]))
		}
		m.p("\n")
		if f.Explanation != "" {
			mdParagraphs(m, f.Explanation)
		}
		if len(f.Evidence) > 0 {
			m.p("**Evidence**\n\n")
			for i, ev := range f.Evidence {
				m.p("%d. %s", i+1, code(ev.Where()))
				if t := EvidenceTime(ev, ""); t != "" {
					m.p(" (%s)", t)
				}
				m.p("\n\n")
				// The quote belongs to the list item: it is indented as far
				// as the item's text ("10. " is four wide).
				pad := strings.Repeat(" ", len(itoa(i+1))+2)
				text, _ := MessageText(ev.Text)
				fence := strings.Repeat("`", max(3, longestRun(text, '`')+1))
				m.p("%s%stext\n", pad, fence)
				for _, line := range strings.Split(strings.TrimRight(text, "\r\n"), "\n") {
					m.p("%s%s\n", pad, strings.TrimRight(line, "\r"))
				}
				m.p("%s%s\n\n", pad, fence)
			}
		}
		if f.Remediation != "" {
			m.p("**What to do:** ")
			mdParagraphs(m, f.Remediation)
		}
		if len(f.References) > 0 {
			m.p("**References**\n\n")
			for _, ref := range f.References {
				m.p("- %s\n", mdRef(ref))
			}
			m.p("\n")
		}
	}
}

// mdParagraphs writes text as paragraphs, one per blank-line-separated
// block.
func mdParagraphs(m *mdw, text string) {
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if para = strings.TrimSpace(para); para != "" {
			m.p("%s\n\n", mdLine(para))
		}
	}
}

// mdRef writes a reference; a bare web address stays a clickable
// autolink, anything else is escaped text.
func mdRef(ref string) string {
	if (strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://")) && !strings.ContainsAny(ref, " <>\n") {
		return "<" + ref + ">"
	}
	return md(ref)
}

func mdFiles(m *mdw, r *Report) {
	f := r.Files
	m.p("## Files\n\n")
	m.p("%s: %d ok, %d partial, %d failed, %d in no format exlog reads, %d rejected; %s",
		Plural(f.Total, "file"), f.OK, f.Partial, f.Failed, f.Unknown, f.Rejected, Plural(f.Events, "event"))
	if f.Recovered > 0 {
		m.p(", %d recovered from damaged regions", f.Recovered)
	}
	if f.Skipped > 0 {
		m.p(", %s skipped", Plural(f.Skipped, "record or region", "records or regions"))
	}
	m.p(".\n\n")
	if len(f.List) == 0 {
		return
	}
	m.header("File", "Format", "Node", "Events", "Status", "Times", "Skipped and why")
	for _, row := range f.List {
		events := itoa(row.Events)
		if row.Recovered > 0 {
			events += fmt.Sprintf(" (%d recovered)", row.Recovered)
		}
		times := make([]string, len(row.Times))
		for i, q := range row.Times {
			times[i] = qualityLabel(q)
		}
		m.row(code(row.Path), md(row.Format), md(row.Node), events, md(row.Status), md(strings.Join(times, ", ")),
			md(problemsText(row)))
	}
	m.p("\n")
}

// problemsText says what was skipped in a file and why, briefly.
func problemsText(row FileRow) string {
	var parts []string
	if row.Error != "" {
		parts = append(parts, row.Error)
	}
	if row.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", row.Skipped))
	}
	for i, p := range row.Problems {
		if i == maxFileProblems {
			break
		}
		parts = append(parts, p.Where+": "+p.Reason)
	}
	if more := len(row.Problems) - maxFileProblems + row.MoreProblems; more > 0 && len(row.Problems) >= maxFileProblems {
		parts = append(parts, fmt.Sprintf("%d more problems (the JSON report lists up to 50)", more))
	} else if row.MoreProblems > 0 {
		parts = append(parts, fmt.Sprintf("%d more problems", row.MoreProblems))
	}
	if row.Status == "unknown" && row.Error == "" {
		parts = append(parts, "no parser recognised the content")
	}
	return strings.Join(parts, "; ")
}
