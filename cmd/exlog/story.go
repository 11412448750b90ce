package main

import (
	"fmt"
	"strings"

	"github.com/exlog/exlog/cmd/internal/triage"
	"github.com/exlog/exlog/detect"
)

// printStory writes the upgrade story of each cluster: one row per step
// in time order, the departures from the documented procedure marked, and
// what the bundle cannot show.
func printStory(e *env, stories []triage.Story) error {
	w := e.stdout
	for _, s := range stories {
		name := s.Cluster
		if name == "" {
			name = "the cluster"
		}
		fmt.Fprintf(w, "\nUpgrade story of %s: %s", name, s.Generation)
		switch {
		case s.From != "" && s.To != "":
			fmt.Fprintf(w, ", %s -> %s", s.From, s.To)
		case s.To != "":
			fmt.Fprintf(w, " to %s", s.To)
		}
		if s.ToRelease != "" {
			fmt.Fprintf(w, " (%s)", s.ToRelease)
		}
		fmt.Fprintf(w, "; %s, %s\n", storyCount(len(s.Steps), "step"), storyCount(len(s.Departures), "departure"))
		t := e.fitTable(w, "Time", "Node", "Step", "Departure")
		for _, st := range s.Steps {
			mark := ""
			for _, c := range st.Departures {
				for _, d := range s.Departures {
					if d.Check == c && d.Node == st.Node {
						if d.Owner != detect.StoryDetector {
							c += " (" + d.Owner + ")"
						}
						break
					}
				}
				mark = strings.TrimPrefix(mark+"; "+c, "; ")
			}
			if mark != "" {
				mark = "! " + mark
			}
			if err := t.Append([]string{storyTime(st), st.Node, st.Text, mark}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
		for _, d := range s.Departures {
			if d.Step < 0 {
				fmt.Fprintf(w, "! %s (%s): %s\n", d.Check, d.Owner, d.Seen)
			}
		}
		if s.StepsOmitted > 0 {
			fmt.Fprintf(w, "%d more steps left out (state lines); exlog report shows the story in full.\n", s.StepsOmitted)
		}
		for _, n := range s.Notes {
			fmt.Fprintf(w, "note: %s\n", n)
		}
		for _, n := range s.NotEvidenced {
			fmt.Fprintf(w, "not evidenced: %s\n", n)
		}
	}
	return nil
}

// storyTime writes a step's time the way its quality allows.
func storyTime(st triage.StoryStep) string {
	if st.Time.IsZero() {
		return "unknown"
	}
	return detect.When(st.Time, st.TimeQuality)
}

// storyCount writes a count with its noun: "1 step", "16 steps".
func storyCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
