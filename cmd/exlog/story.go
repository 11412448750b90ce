package main

import (
	"fmt"
	"strings"

	"github.com/exlog/exlog/cmd/internal/triage"
	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// printStory writes the upgrade story of each cluster, compactly: one
// line per step in time order (a date line where the day changes), the
// departures from the documented procedure marked with "!", then what
// the bundle cannot show. Lines wrap at the terminal's width.
func printStory(e *env, stories []triage.Story) error {
	w := e.stdout
	for _, s := range stories {
		name := s.Cluster
		if name == "" {
			name = "the cluster"
		}
		head := "Upgrade story of " + name + ": " + s.Generation
		switch {
		case s.From != "" && s.To != "":
			head += ", " + s.From + " -> " + s.To
		case s.To != "":
			head += " to " + s.To
		}
		if s.ToRelease != "" {
			head += " (" + s.ToRelease + ")"
		}
		head += "; " + storyCount(len(s.Steps), "step") + ", " + storyCount(len(s.Departures), "departure")
		fmt.Fprintln(w)
		e.para(w, "", head)
		day, marked := "", false
		for _, st := range s.Steps {
			when, d := storyClock(st)
			if d != day && d != "" {
				fmt.Fprintln(w, "  "+d+" (UTC unless marked †)")
				day = d
			}
			if st.TimeQuality != parse.TimeUTC && st.TimeQuality != parse.TimeLocalKnownOffset {
				when += "†"
				marked = true
			}
			text := st.Text
			if mark := storyMarks(s, st); mark != "" {
				text += "  ! " + mark
			}
			e.para(w, fmt.Sprintf("    %-9s %-6s ", when, st.Node), text)
		}
		for _, d := range s.Departures {
			if d.Step < 0 {
				e.para(w, "  ! ", d.Check+" ("+d.Owner+"): "+d.Seen)
			}
		}
		if marked {
			e.para(w, "  ", "† local time with no offset stated, or a time of day whose date is not known")
		}
		if s.StepsOmitted > 0 {
			e.para(w, "  ", fmt.Sprintf("%d more steps (state lines) are left out; exlog report shows them all.", s.StepsOmitted))
		}
		for _, n := range s.Notes {
			e.para(w, "  note: ", n)
		}
		for _, n := range s.NotEvidenced {
			e.para(w, "  not evidenced: ", n)
		}
	}
	return nil
}

// storyClock writes a step's time of day and, when the date is known, its
// day; a step without a time is "unknown".
func storyClock(st triage.StoryStep) (clock, day string) {
	switch {
	case st.Time.IsZero():
		return "unknown", ""
	case !st.TimeQuality.DateKnown():
		return st.Time.Format("15:04:05"), ""
	}
	t := st.Time
	if st.TimeQuality == parse.TimeUTC || st.TimeQuality == parse.TimeLocalKnownOffset {
		t = t.UTC()
	}
	return t.Format("15:04:05"), t.Format("2006-01-02")
}

// storyMarks names the departures at a step, with the detector that
// reports each when it is not upgrade-procedure.
func storyMarks(s triage.Story, st triage.StoryStep) string {
	var out []string
	for _, c := range st.Departures {
		for _, d := range s.Departures {
			if d.Check == c && d.Node == st.Node {
				if d.Owner != detect.StoryDetector {
					c += " (" + d.Owner + ")"
				}
				break
			}
		}
		out = append(out, c)
	}
	return strings.Join(out, "; ")
}

// storyCount writes a count with its noun: "1 step", "16 steps".
func storyCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
