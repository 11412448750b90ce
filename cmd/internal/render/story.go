package render

import (
	"html/template"
	"slices"
	"strconv"
	"strings"

	"github.com/exlog/exlog/cmd/internal/triage"
	"github.com/exlog/exlog/detect"
)

// StorySection is one cluster's upgrade story in a report: the story
// triage rebuilt, with each departure and step tied to the findings that
// report it.
type StorySection struct {
	triage.Story
	// Reported holds, by departure, the ID of the finding that reports
	// it (F1, F2...), "" when no finding does.
	Reported []string `json:"reported"`
	// Marks holds, by step index, the findings whose evidence includes
	// the step's.
	Marks map[string][]string `json:"marks,omitempty"`
}

// storySections ties the stories to the findings.
func storySections(t *triage.Result, fs []Finding) []StorySection {
	out := []StorySection{}
	for _, s := range t.Story {
		sec := StorySection{Story: s, Reported: make([]string, len(s.Departures))}
		for i, d := range s.Departures {
			sec.Reported[i] = reportingFinding(d, fs)
		}
		for i, st := range s.Steps {
			var ids []string
			for _, f := range fs {
				if sharesEvidence(st.DocIDs, f.Evidence) {
					ids = append(ids, f.ID)
				}
			}
			if len(ids) > 0 {
				if sec.Marks == nil {
					sec.Marks = map[string][]string{}
				}
				sec.Marks[strconv.Itoa(i)] = ids
			}
		}
		out = append(out, sec)
	}
	return out
}

// reportingFinding finds the finding of the departure's owner and check:
// the one that shares evidence with it, else the only one of its kind.
func reportingFinding(d triage.StoryDeparture, fs []Finding) string {
	var same []Finding
	for _, f := range fs {
		if f.Detector == d.Owner && f.Cause == d.Check {
			same = append(same, f)
		}
	}
	for _, f := range same {
		if sharesEvidence(d.DocIDs, f.Evidence) && (d.Node == "" || len(f.Nodes) == 0 || slices.Contains(f.Nodes, d.Node)) {
			return f.ID
		}
	}
	if len(same) == 1 {
		return same[0].ID
	}
	return ""
}

func sharesEvidence(ids []string, evs []detect.Evidence) bool {
	for _, e := range evs {
		if e.DocID != "" && slices.Contains(ids, e.DocID) {
			return true
		}
	}
	return false
}

// storyTitle heads a story: "CLUS1: Exchange 2007, 8.0.685.24 -> 8.1.240.6
// (Exchange 2007 SP1)".
func storyTitle(s StorySection) string {
	var b strings.Builder
	if s.Cluster != "" {
		b.WriteString(s.Cluster + ": ")
	}
	b.WriteString(s.Generation)
	switch {
	case s.From != "" && s.To != "":
		b.WriteString(", " + s.From + " → " + s.To)
	case s.To != "":
		b.WriteString(" to " + s.To)
	}
	if s.ToRelease != "" {
		b.WriteString(" (" + s.ToRelease + ")")
	}
	return b.String()
}

// stepTime writes a step's time: UTC where known, else as its quality
// allows (a date assumed from a file time is not stated).
func stepTime(st triage.StoryStep) string {
	if st.Time.IsZero() {
		return "unknown"
	}
	return detect.When(st.Time, st.TimeQuality)
}

// stepMarks writes the departures and findings at a step.
func stepMarks(s StorySection, i int) string {
	var parts []string
	for _, c := range s.Steps[i].Departures {
		for j, d := range s.Departures {
			if d.Step == i && d.Check == c {
				p := c
				if s.Reported[j] != "" {
					p = s.Reported[j] + " " + c
				}
				parts = append(parts, p)
				break
			}
		}
	}
	for _, id := range s.Marks[strconv.Itoa(i)] {
		found := false
		for _, p := range parts {
			if strings.HasPrefix(p, id+" ") {
				found = true
			}
		}
		if !found {
			parts = append(parts, id)
		}
	}
	return strings.Join(parts, "; ")
}

func mdStory(m *mdw, r *Report) {
	if len(r.Story) == 0 {
		return
	}
	m.p("## Upgrade story\n\n")
	for _, s := range r.Story {
		m.p("### %s\n\n", md(storyTitle(s)))
		m.p("Checked against: %s.\n\n", md(s.Procedure))
		m.header("Time", "Node", "Step", "Departure", "Evidence")
		for i, st := range s.Steps {
			mark := stepMarks(s, i)
			if mark != "" {
				mark = "**" + md(mark) + "**"
			}
			m.row(md(stepTime(st)), md(st.Node), md(st.Text), mark, code(st.Where))
		}
		m.p("\n")
		if s.StepsOmitted > 0 {
			m.p("%d more steps (state lines) are left out.\n\n", s.StepsOmitted)
		}
		if len(s.Departures) == 0 {
			m.p("No departure from the procedure.\n\n")
		} else {
			m.p("Departures:\n\n")
			for i, d := range s.Departures {
				who := d.Owner
				if s.Reported[i] != "" {
					who = s.Reported[i] + ", " + d.Owner
				}
				m.p("- **%s** (%s, %s): expected: %s; seen: %s\n", md(d.Check), md(who), d.Severity, md(d.Expected), md(d.Seen))
			}
			m.p("\n")
		}
		for _, n := range s.Notes {
			m.p("Note: %s.\n\n", md(n))
		}
		if len(s.NotEvidenced) > 0 {
			m.p("Not evidenced by the bundle (neither followed nor violated):\n\n")
			for _, n := range s.NotEvidenced {
				m.p("- %s\n", md(n))
			}
			m.p("\n")
		}
	}
}

// storyHTML renders the upgrade story section of the page.
func storyHTML(r *Report) template.HTML {
	if len(r.Story) == 0 {
		return ""
	}
	var w svgw
	esc := template.HTMLEscapeString
	w.p("<section id=\"upgrade-story\">\n<h2>Upgrade story</h2>\n")
	w.p("<style>table.story tr.departure td { background: #fdecea; } ul.departures li { margin: 3px 0; }</style>\n")
	for n, s := range r.Story {
		w.p("<h3>%s</h3>\n<p class=\"note\">Checked against: %s.</p>\n", esc(storyTitle(s)), esc(s.Procedure))
		w.p("<div class=\"chart\">%s</div>\n", storySVG(s, n))
		w.p("<table class=\"story\">\n<thead><tr><th>Time</th><th>Node</th><th>Step</th><th>Departure</th><th>Evidence</th></tr></thead>\n<tbody>")
		for i, st := range s.Steps {
			mark := stepMarks(s, i)
			cls := ""
			if len(st.Departures) > 0 {
				cls = " class=\"departure\""
			}
			w.p("\n<tr%s><td class=\"nowrap\">%s</td><td>%s</td><td>%s</td><td>%s</td><td class=\"path\"><code>%s</code></td></tr>",
				cls, esc(stepTime(st)), esc(st.Node), esc(st.Text), storyLinks(mark), esc(st.Where))
		}
		w.p("\n</tbody></table>\n")
		if len(s.Departures) == 0 {
			w.p("<p>No departure from the procedure.</p>\n")
		} else {
			w.p("<ul class=\"departures\">\n")
			for i, d := range s.Departures {
				ref := esc(d.Owner)
				if s.Reported[i] != "" {
					ref = "<a href=\"#" + esc(s.Reported[i]) + "\">" + esc(s.Reported[i]) + "</a>, " + ref
				}
				w.p("<li><span class=\"sev sev-%s\">%s</span> <strong>%s</strong> (%s): expected: %s; seen: %s</li>\n",
					d.Severity.String(), sevName(d.Severity), esc(d.Check), ref, esc(d.Expected), esc(d.Seen))
			}
			w.p("</ul>\n")
		}
		for _, note := range s.Notes {
			w.p("<p class=\"note\">Note: %s.</p>\n", esc(note))
		}
		if len(s.NotEvidenced) > 0 {
			w.p("<p class=\"note\">Not evidenced by the bundle (neither followed nor violated):</p>\n<ul class=\"note\">\n")
			for _, ne := range s.NotEvidenced {
				w.p("<li>%s</li>\n", esc(ne))
			}
			w.p("</ul>\n")
		}
	}
	w.p("</section>\n")
	return template.HTML(w.b.String())
}

// storyLinks writes a step's marks with finding IDs linked.
func storyLinks(mark string) string {
	if mark == "" {
		return ""
	}
	var out []string
	for _, p := range strings.Split(mark, "; ") {
		id, rest, _ := strings.Cut(p, " ")
		if strings.HasPrefix(id, "F") && len(id) > 1 {
			s := "<a href=\"#" + template.HTMLEscapeString(id) + "\">" + template.HTMLEscapeString(id) + "</a>"
			if rest != "" {
				s += " " + template.HTMLEscapeString(rest)
			}
			out = append(out, "<strong>"+s+"</strong>")
			continue
		}
		out = append(out, "<strong>"+template.HTMLEscapeString(p)+"</strong>")
	}
	return strings.Join(out, "; ")
}
