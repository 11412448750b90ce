package render

import (
	"slices"
	"time"

	"github.com/exlog/exlog/detect"
)

// Geometry of the upgrade story's swim lanes, in SVG user units.
const (
	storyLaneH  = 44.0
	storyAxisH  = 36.0
	storyLegend = 30.0
)

// Colours of story steps.
var storyOutcome = map[string]string{
	"succeeded": "#2e7d32", "failed": "#c62828", "incomplete": "#ef8f00", "unknown": "#8a96a3",
}

// storySVG draws one story as a swim lane per node: setup runs as bars
// (virtual-server upgrades outlined), boots and shutdowns as triangles,
// cluster service starts as rings, moves as arrows from lane to lane,
// state changes as dots, and departures circled in red. Each item names
// itself through <title>; the table below lists the same steps.
func storySVG(s StorySection, n int) string {
	var times []time.Time
	for _, st := range s.Steps {
		if !st.Time.IsZero() {
			times = append(times, st.Time)
			if st.End.After(st.Time) {
				times = append(times, st.End)
			}
		}
	}
	if len(times) == 0 || len(s.Nodes) == 0 {
		return "<p class=\"note\">No step of this story has a time to draw.</p>"
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	ax := newAxis(times)
	lane := map[string]int{}
	for i, node := range s.Nodes {
		lane[node] = i
	}
	height := storyAxisH + storyLaneH*float64(len(s.Nodes)) + storyLegend
	var w svgw
	w.p(`<svg class="story-svg" id="story-%d" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="Upgrade story, one lane per node">`,
		n, svgWidth, height)
	w.p(`<style>.story-svg text{font-family:"Segoe UI",system-ui,Arial,sans-serif;font-size:11px;fill:#1c2430}` +
		`.story-svg .lane{font-size:12.5px;font-weight:600}.story-svg .tick{fill:#5b6675;font-size:10.5px}</style>`)
	laneY := func(node string) float64 { return storyAxisH + storyLaneH*float64(lane[node]) }
	for i, node := range s.Nodes {
		y := storyAxisH + storyLaneH*float64(i)
		if i%2 == 0 {
			w.p(`<rect x="0" y="%.1f" width="%.0f" height="%.0f" fill="#f4f6f8"/>`, y, svgWidth, storyLaneH)
		}
		w.p(`<text class="lane" x="8" y="%.1f">%s</text>`, y+storyLaneH/2+4, esc(node))
	}
	for _, seg := range ax {
		ticks, _ := seg.ticks()
		for j, t := range ticks {
			x := ax.x(t)
			w.p(`<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.1f" stroke="#e3e7ec"/>`, x, storyAxisH-4, x, storyAxisH+storyLaneH*float64(len(s.Nodes)))
			label := t.UTC().Format("15:04")
			if j == 0 {
				label = t.UTC().Format("01-02 15:04")
			}
			w.p(`<text class="tick" x="%.1f" y="%.0f" text-anchor="middle">%s</text>`, x, storyAxisH-10, label)
		}
	}
	for i, st := range s.Steps {
		if st.Time.IsZero() {
			continue
		}
		if _, ok := lane[st.Node]; !ok {
			continue
		}
		x := ax.x(st.Time)
		xEnd := x
		if st.End.After(st.Time) {
			xEnd = max(ax.x(st.End), x)
		}
		y := laneY(st.Node)
		mid := y + storyLaneH/2
		title := "<title>" + esc(stepTime(st)+" "+st.Node+": "+st.Text) + "</title>"
		switch st.Kind {
		case detect.StepBinaries, detect.StepVirtualServer, detect.StepCMSAction, detect.StepSetup:
			x1 := x + 3
			if st.End.After(st.Time) {
				x1 = max(ax.x(st.End), x+3)
			}
			fill := storyOutcome[st.Outcome]
			if fill == "" {
				fill = storyOutcome["unknown"]
			}
			extra := ""
			if st.Kind != detect.StepBinaries {
				extra = ` stroke="#1c2430" stroke-width="1.4" stroke-dasharray="3 2"`
				if st.Outcome == "succeeded" {
					fill = "#1565c0"
				}
			}
			w.p(`<g><rect x="%.1f" y="%.1f" width="%.1f" height="14" rx="2" fill="%s"%s/>%s</g>`, x, mid-7, x1-x, fill, extra, title)
		case detect.StepBoot:
			w.p(`<g><path d="M%.1f %.1f l5 9 h-10 z" fill="#5b6675"/>%s</g>`, x, y+storyLaneH-13, title)
		case detect.StepShutdown:
			w.p(`<g><path d="M%.1f %.1f l5 -9 h-10 z" fill="#5b6675"/>%s</g>`, x, y+storyLaneH-4, title)
		case detect.StepClusterStart, detect.StepClusterStop:
			w.p(`<g><circle cx="%.1f" cy="%.1f" r="4" fill="none" stroke="#5b6675" stroke-width="1.5"/>%s</g>`, x, y+8, title)
		case detect.StepOnline:
			w.p(`<g><circle cx="%.1f" cy="%.1f" r="3.5" fill="#2e7d32"/>%s</g>`, x, y+8, title)
		case detect.StepOffline:
			w.p(`<g><circle cx="%.1f" cy="%.1f" r="3.5" fill="#fff" stroke="#8a96a3" stroke-width="1.5"/>%s</g>`, x, y+8, title)
		case detect.StepMove:
			if _, ok := lane[st.From]; ok && st.From != st.Node {
				y0 := laneY(st.From) + storyLaneH/2
				dir := 1.0
				if y0 > mid {
					dir = -1
				}
				w.p(`<g><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#1c2430" stroke-width="1.3"/>`+
					`<path d="M%.1f %.1f l-4 %.1f h8 z" fill="#1c2430"/>`+
					`<text x="%.1f" y="%.1f" font-size="9.5" fill="#5b6675">%s</text>%s</g>`,
					x, y0, x, mid-dir*6, x, mid-dir*1, -dir*7, x+4, (y0+mid)/2+3, esc(st.Group), title)
			} else {
				w.p(`<g><path d="M%.1f %.1f l5 5 l-5 5 l-5 -5 z" fill="#1c2430"/>%s</g>`, x, mid-5, title)
			}
		}
		if len(st.Departures) > 0 {
			w.p(`<g><circle cx="%.1f" cy="%.1f" r="11" fill="none" stroke="#c62828" stroke-width="2.2"/>`+
				`<text x="%.1f" y="%.1f" fill="#c62828" font-weight="700">%s</text><title>%s</title></g>`,
				x, mid, xEnd+14, y+12, esc(stepMarks(s, i)), esc(stepMarks(s, i)))
		}
	}
	ly := storyAxisH + storyLaneH*float64(len(s.Nodes)) + 18
	w.p(`<g class="legend">`)
	lx := svgLabelW
	item := func(shape, label string) {
		w.p(shape, lx, ly)
		w.p(`<text x="%.1f" y="%.1f" fill="#5b6675">%s</text>`, lx+14, ly+4, label)
		lx += 14 + float64(len(label))*6.2 + 18
	}
	item(`<rect x="%.1f" y="%.1f" width="10" height="8" transform="translate(0 -4)" fill="#2e7d32"/>`, "setup (colour: outcome)")
	item(`<rect x="%.1f" y="%.1f" width="10" height="8" transform="translate(0 -4)" fill="#1565c0" stroke="#1c2430" stroke-dasharray="3 2"/>`, "virtual-server upgrade")
	item(`<path d="M%.1f %.1f m5 -4 l5 9 h-10 z" fill="#5b6675"/>`, "boot")
	item(`<circle cx="%.1f" cy="%.1f" r="4" transform="translate(5 0)" fill="none" stroke="#5b6675" stroke-width="1.5"/>`, "cluster service")
	item(`<circle cx="%.1f" cy="%.1f" r="3.5" transform="translate(5 0)" fill="#2e7d32"/>`, "online")
	item(`<circle cx="%.1f" cy="%.1f" r="3.5" transform="translate(5 0)" fill="#fff" stroke="#8a96a3" stroke-width="1.5"/>`, "offline")
	item(`<path d="M%.1f %.1f m5 -4 l5 5 l-5 5 l-5 -5 z" fill="#1c2430"/>`, "move")
	item(`<circle cx="%.1f" cy="%.1f" r="5" transform="translate(5 0)" fill="none" stroke="#c62828" stroke-width="2"/>`, "departure")
	w.p(`</g></svg>`)
	return w.b.String()
}
