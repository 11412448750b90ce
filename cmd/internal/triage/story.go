package triage

import (
	"time"

	"github.com/exlog/exlog/detect"
)

// Story is the "Upgrade story" of one cluster: its rolling upgrade step by
// step, with the departures from the documented procedure marked (see
// detect/story.go).
type Story struct {
	detect.StoryHead
	Steps      []StoryStep      `json:"steps"`
	Departures []StoryDeparture `json:"departures"`
	// NotEvidenced lists the checks the bundle cannot decide, and why.
	NotEvidenced []string `json:"not_evidenced,omitempty"`
	// Notes say how steps without a stated date were placed.
	Notes []string `json:"notes,omitempty"`
	// StepsOmitted counts the steps left out beyond MaxStorySteps.
	StepsOmitted int `json:"steps_omitted,omitempty"`
}

// StoryStep is one step of a story.
type StoryStep struct {
	detect.StepHead
	Where string `json:"where,omitempty"`
	// DocIDs are the evidence's document IDs, to tie findings to steps.
	DocIDs []string `json:"doc_ids,omitempty"`
}

// StoryDeparture is one departure from the procedure.
type StoryDeparture struct {
	detect.DepartureHead
	Confidence       string `json:"confidence"`
	ConfidenceReason string `json:"confidence_reason,omitempty"`
	// Step is the index of the step it shows at, -1 for the story's end.
	Step   int      `json:"step"`
	Where  []string `json:"where,omitempty"`
	DocIDs []string `json:"doc_ids,omitempty"`
}

// MaxStorySteps bounds the steps a story keeps; the state lines of a
// busy cluster log are not worth a thousand rows.
const MaxStorySteps = 400

// storiesOf turns the facts' stories into the section's model.
func storiesOf(f *detect.Facts) []Story {
	var out []Story
	for _, s := range f.Stories {
		st := Story{StoryHead: s.StoryHead, NotEvidenced: s.NotEvidenced, Notes: s.Notes,
			Steps: []StoryStep{}, Departures: []StoryDeparture{}}
		keep := map[int]int{} // step index -> index in st.Steps
		marked := 0
		for _, step := range s.Steps {
			if len(step.Departures) > 0 {
				marked++
			}
		}
		room := MaxStorySteps - marked
		for i, step := range s.Steps {
			if len(step.Departures) == 0 {
				if room <= 0 {
					st.StepsOmitted++
					continue
				}
				room--
			}
			ss := StoryStep{StepHead: step.StepHead}
			ss.Time, ss.End = utcOf(step.Time), utcOf(step.End)
			if len(step.Evidence) > 0 {
				ss.Where = step.Evidence[0].Where()
			}
			for _, e := range step.Evidence {
				ss.DocIDs = append(ss.DocIDs, e.DocID)
			}
			keep[i] = len(st.Steps)
			st.Steps = append(st.Steps, ss)
		}
		for _, d := range s.Departures {
			sd := StoryDeparture{DepartureHead: d.DepartureHead, Confidence: d.Confidence, ConfidenceReason: d.ConfidenceReason, Step: -1}
			sd.Time = utcOf(d.Time)
			if j, ok := keep[d.Step]; ok {
				sd.Step = j
			}
			for _, e := range d.Evidence {
				sd.Where = append(sd.Where, e.Where())
				sd.DocIDs = append(sd.DocIDs, e.DocID)
			}
			st.Departures = append(st.Departures, sd)
		}
		out = append(out, st)
	}
	return out
}

func utcOf(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}
