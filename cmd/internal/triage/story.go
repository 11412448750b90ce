package triage

import (
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
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
	Time        time.Time         `json:"time,omitzero"`
	End         time.Time         `json:"end,omitzero"`
	TimeQuality parse.TimeQuality `json:"time_quality,omitempty"`
	Node        string            `json:"node"`
	Kind        string            `json:"kind"`
	Group       string            `json:"group,omitempty"`
	// From and To are builds for setup steps, nodes for moves.
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	Outcome string `json:"outcome,omitempty"`
	Text    string `json:"text"`
	// Departures are the checks that depart from the procedure here.
	Departures []string `json:"departures,omitempty"`
	Where      string   `json:"where,omitempty"`
	// DocIDs are the evidence's document IDs, to tie findings to steps.
	DocIDs []string `json:"doc_ids,omitempty"`
}

// StoryDeparture is one departure from the procedure.
type StoryDeparture struct {
	Check string `json:"check"`
	// Owner is the detector whose finding reports it.
	Owner            string            `json:"owner"`
	Severity         detect.Severity   `json:"severity"`
	Node             string            `json:"node,omitempty"`
	Group            string            `json:"group,omitempty"`
	Time             time.Time         `json:"time,omitzero"`
	TimeQuality      parse.TimeQuality `json:"time_quality,omitempty"`
	Expected         string            `json:"expected"`
	Seen             string            `json:"seen"`
	Confidence       string            `json:"confidence"`
	ConfidenceReason string            `json:"confidence_reason,omitempty"`
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
			ss := StoryStep{Time: utcOf(step.Time), End: utcOf(step.End), TimeQuality: step.TimeQuality, Node: step.Node,
				Kind: step.Kind, Group: step.Group, From: step.From, To: step.To, Outcome: step.Outcome, Text: step.Text, Departures: step.Departures}
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
			sd := StoryDeparture{Check: d.Check, Owner: d.Owner, Severity: d.Severity, Node: d.Node, Group: d.Group,
				Time: utcOf(d.Time), TimeQuality: d.TimeQuality, Expected: d.Expected, Seen: d.Seen,
				Confidence: d.Confidence, ConfidenceReason: d.ConfidenceReason, Step: -1}
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
