package render

import (
	"cmp"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"

	"github.com/exlog/exlog/cmd/internal/triage"
	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// Geometry of the timeline chart, in SVG user units.
const (
	svgWidth   = 1100.0
	svgLabelW  = 130.0
	svgPlotX0  = svgLabelW + 12
	svgPlotX1  = svgWidth - 16
	svgAxisH   = 40.0
	svgLaneH   = 50.0
	svgLegendH = 34.0
	svgBreakW  = 28.0
	// clusterLane holds what concerns no single node.
	clusterLane = "cluster"
)

// Colours, shared with the page's CSS where they mean the same.
var (
	sevColour = map[detect.Severity]string{
		detect.Critical: "#6a1b9a", detect.Error: "#c62828", detect.Warning: "#ef8f00", detect.Info: "#1565c0",
	}
	runColour = map[string]string{
		detect.RunSucceeded: "#2e7d32", detect.RunFailed: "#c62828", detect.RunIncomplete: "#ef8f00",
	}
)

// axisSegment is one stretch of the time axis. Long idle gaps between
// stretches are cut out so that a bundle holding last year's setup log
// and last night's cluster log still shows both legibly.
type axisSegment struct {
	start, end time.Time
	x0, x1     float64
}

type axis []axisSegment

func (a axis) x(t time.Time) float64 {
	for i, s := range a {
		if t.After(s.end) && i < len(a)-1 {
			continue
		}
		if t.Before(s.start) {
			return s.x0
		}
		span := s.end.Sub(s.start)
		if span <= 0 {
			return (s.x0 + s.x1) / 2
		}
		x := s.x0 + float64(t.Sub(s.start))/float64(span)*(s.x1-s.x0)
		return min(x, s.x1)
	}
	return svgPlotX1
}

// newAxis fits the times (sorted) into the plot width. Up to five of the
// longest idle gaps are cut out, each at least six hours and a tenth of
// the time still shown, so that an upgrade weekend keeps its own scale
// beside a setup log from months before.
func newAxis(times []time.Time) axis {
	first, last := times[0], times[len(times)-1]
	type gap struct {
		at int
		d  time.Duration
	}
	var gaps []gap
	for i := 1; i < len(times); i++ {
		if d := times[i].Sub(times[i-1]); d > 6*time.Hour {
			gaps = append(gaps, gap{i, d})
		}
	}
	slices.SortStableFunc(gaps, func(a, b gap) int { return cmp.Compare(b.d, a.d) })
	shown := last.Sub(first)
	cut := map[int]bool{}
	for _, g := range gaps {
		if len(cut) == 5 || g.d <= shown/10 {
			break
		}
		cut[g.at] = true
		shown -= g.d
	}
	var segs axis
	cur := axisSegment{start: first, end: first}
	for i, t := range times[1:] {
		if cut[i+1] {
			segs = append(segs, cur)
			cur = axisSegment{start: t, end: t}
			continue
		}
		cur.end = t
	}
	segs = append(segs, cur)
	var sum time.Duration
	for i := range segs {
		d := segs[i].end.Sub(segs[i].start)
		pad := max(d/25, 2*time.Minute)
		if d == 0 {
			pad = 5 * time.Minute
		}
		segs[i].start, segs[i].end = segs[i].start.Add(-pad), segs[i].end.Add(pad)
		sum += segs[i].end.Sub(segs[i].start)
	}
	weights := make([]float64, len(segs))
	var wsum float64
	for i, s := range segs {
		weights[i] = max(float64(s.end.Sub(s.start)), 0.12*float64(sum))
		wsum += weights[i]
	}
	avail := svgPlotX1 - svgPlotX0 - svgBreakW*float64(len(segs)-1)
	x := svgPlotX0
	for i := range segs {
		segs[i].x0 = x
		segs[i].x1 = x + avail*weights[i]/wsum
		x = segs[i].x1 + svgBreakW
	}
	return segs
}

var tickSteps = []time.Duration{
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 30 * 24 * time.Hour,
	91 * 24 * time.Hour, 182 * 24 * time.Hour, 365 * 24 * time.Hour,
}

// ticks returns the tick times of a segment: as many as fit one label
// per 80 units.
func (s axisSegment) ticks() ([]time.Time, time.Duration) {
	n := max(1, int((s.x1-s.x0)/80))
	d := s.end.Sub(s.start)
	step := tickSteps[len(tickSteps)-1]
	for _, st := range tickSteps {
		if d/st <= time.Duration(n) {
			step = st
			break
		}
	}
	var out []time.Time
	for t := s.start.Truncate(step); !t.After(s.end); t = t.Add(step) {
		if !t.Before(s.start) {
			out = append(out, t)
		}
	}
	return out, step
}

// svgw writes SVG markup.
type svgw struct{ b strings.Builder }

func (w *svgw) p(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

// esc escapes text for SVG and HTML content and attributes.
func esc(s string) string { return html.EscapeString(s) }

// timelineSVG draws the timeline: one lane per node (and one for the
// cluster as a whole), setup runs as bars, moves, failovers and removals
// as marks, findings as numbered dots. Hovering shows each item's text
// through <title>; the table below the chart lists the same items.
func timelineSVG(r *Report) string {
	var timed []triage.Entry
	var times []time.Time
	for _, e := range r.Timeline {
		if e.Time.IsZero() {
			continue
		}
		timed = append(timed, e)
		times = append(times, e.Time)
		if !e.End.IsZero() {
			times = append(times, e.End)
		}
	}
	w := &svgw{}
	if len(timed) == 0 {
		w.p(`<svg id="timeline" viewBox="0 0 %g 40" width="100%%" role="img" aria-label="Upgrade timeline">`, svgWidth)
		w.p(`<text x="%g" y="24" class="muted">No timed setup run, move, failover or finding to draw.</text></svg>`, svgPlotX0)
		return w.b.String()
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	ax := newAxis(times)

	lanes := laneNames(r, timed)
	laneY := map[string]float64{}
	for i, l := range lanes {
		laneY[l] = svgAxisH + float64(i)*svgLaneH
	}
	height := svgAxisH + float64(len(lanes))*svgLaneH + svgLegendH
	w.p(`<svg id="timeline" viewBox="0 0 %g %g" width="100%%" role="img" aria-label="Upgrade timeline, UTC">`, svgWidth, height)
	w.p(`<title>Upgrade timeline (UTC)</title>`)

	// Lanes: shading and names.
	for i, l := range lanes {
		y := laneY[l]
		if i%2 == 0 {
			w.p(`<rect x="0" y="%g" width="%g" height="%g" fill="#f4f6f8"/>`, y, svgWidth, svgLaneH)
		}
		label := l
		if l == clusterLane {
			label = "(cluster)"
		}
		w.p(`<text x="8" y="%g" class="lane">%s</text>`, y+svgLaneH/2+4, esc(label))
	}
	laneBottom := svgAxisH + float64(len(lanes))*svgLaneH

	// Axis: ticks and grid per segment, breaks between segments.
	for i, s := range ax {
		ticks, step := s.ticks()
		lastDate := ""
		for j, t := range ticks {
			x := ax.x(t)
			w.p(`<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" class="grid"/>`, x, svgAxisH-4, x, laneBottom)
			date := t.UTC().Format("2006-01-02")
			if step >= 24*time.Hour {
				w.p(`<text x="%.1f" y="30" class="tick" text-anchor="middle">%s</text>`, x, date)
				continue
			}
			if j == 0 || date != lastDate {
				w.p(`<text x="%.1f" y="14" class="date" text-anchor="middle">%s</text>`, x, date)
			}
			lastDate = date
			w.p(`<text x="%.1f" y="30" class="tick" text-anchor="middle">%s</text>`, x, t.UTC().Format("15:04"))
		}
		if i > 0 {
			prev := ax[i-1]
			bx := (prev.x1 + s.x0) / 2
			w.p(`<g class="break"><title>%s without events cut out</title>`, esc(durationText(s.start.Sub(prev.end))))
			w.p(`<line x1="%.1f" y1="%g" x2="%.1f" y2="%g"/><line x1="%.1f" y1="%g" x2="%.1f" y2="%g"/>`,
				bx-4, svgAxisH-6, bx-4, laneBottom, bx+4, svgAxisH-6, bx+4, laneBottom)
			w.p(`<text x="%.1f" y="%g" text-anchor="middle" class="tick">+%s</text></g>`, bx, laneBottom+12, esc(durationText(s.start.Sub(prev.end))))
		}
	}
	w.p(`<line x1="%g" y1="%g" x2="%g" y2="%g" class="axis"/>`, svgPlotX0, svgAxisH-4, svgPlotX1, svgAxisH-4)

	// Runs first, marks above them, findings on top.
	for _, e := range timed {
		if e.Kind != triage.KindSetupRun && e.Kind != triage.KindClusteredServer {
			continue
		}
		y, ok := laneY[e.Node]
		if !ok {
			continue
		}
		x0 := ax.x(e.Time)
		x1 := x0
		if !e.End.IsZero() {
			x1 = ax.x(e.End)
		}
		width := max(x1-x0, 5)
		class := "run"
		if e.Kind == triage.KindClusteredServer {
			class = "run cs"
		}
		w.p(`<g class="%s"><title>%s</title><rect x="%.1f" y="%g" width="%.1f" height="12" rx="2" fill="%s"/>`,
			class, esc(itemTitle(e)), x0, y+20, width, runColour[e.Result])
		if label := runLabel(e); float64(len(label))*6.2 < width-6 {
			w.p(`<text x="%.1f" y="%g" class="barlabel">%s</text>`, x0+4, y+29.5, esc(label))
		}
		w.p(`</g>`)
	}
	for _, e := range timed {
		var ys []float64
		for _, n := range lanesOf(e) {
			if y, ok := laneY[n]; ok {
				ys = append(ys, y)
			}
		}
		x := ax.x(e.Time)
		for _, y := range ys {
			my := y + 42
			switch e.Kind {
			case triage.KindGroupMove:
				w.p(`<g class="mark"><title>%s</title><path d="M%.1f %.1f l5 5 l-5 5 l-5 -5 z" fill="#607d8b"/></g>`, esc(itemTitle(e)), x, my-5)
			case triage.KindFailover:
				w.p(`<g class="mark"><title>%s</title><path d="M%.1f %.1f l6 10 l-12 0 z" fill="#d84315"/></g>`, esc(itemTitle(e)), x, my-5)
			case triage.KindNodeRemoved:
				w.p(`<g class="mark"><title>%s</title><path d="M%.1f %.1f l8 8 m0 -8 l-8 8" stroke="#212121" stroke-width="2"/></g>`, esc(itemTitle(e)), x-4, my-4)
			case triage.KindQuorumLost:
				w.p(`<g class="mark"><title>%s</title><rect x="%.1f" y="%.1f" width="9" height="9" fill="#212121"/></g>`, esc(itemTitle(e)), x-4.5, my-4.5)
			}
		}
	}
	nextFree := map[string]float64{}
	for _, e := range timed {
		if e.Kind != triage.KindFinding {
			continue
		}
		for _, n := range lanesOf(e) {
			y, ok := laneY[n]
			if !ok {
				continue
			}
			x := max(ax.x(e.Time), nextFree[n])
			label := e.Finding
			nextFree[n] = x + 14 + float64(len(label))*6.5
			w.p(`<g class="finding"><title>%s</title><circle cx="%.1f" cy="%g" r="6" fill="%s"/><text x="%.1f" y="%g" class="flabel">%s</text></g>`,
				esc(itemTitle(e)), x, y+10, sevColour[e.Severity], x+8, y+14, esc(label))
		}
	}

	// Legend.
	ly := laneBottom + 24
	lx := svgPlotX0
	legend := func(mark, text string) {
		w.p(`<g class="legend">%s<text x="%.1f" y="%g">%s</text></g>`, fmt.Sprintf(mark, lx), lx+14, ly+4, esc(text))
		lx += 14 + float64(len(text))*6.4 + 18
	}
	y0 := ly - 5
	legend(`<rect x="%.1f" y="`+fmt.Sprint(y0)+`" width="10" height="10" fill="`+runColour[detect.RunSucceeded]+`"/>`, "setup succeeded")
	legend(`<rect x="%.1f" y="`+fmt.Sprint(y0)+`" width="10" height="10" fill="`+runColour[detect.RunFailed]+`"/>`, "failed")
	legend(`<rect x="%.1f" y="`+fmt.Sprint(y0)+`" width="10" height="10" fill="`+runColour[detect.RunIncomplete]+`"/>`, "did not finish")
	legend(`<rect x="%.1f" y="`+fmt.Sprint(y0)+`" width="10" height="10" fill="#ffffff" class="cs"/>`, "clustered server")
	legend(`<path d="M%.1f `+fmt.Sprint(y0)+` l5 5 l-5 5 l-5 -5 z" transform="translate(5 0)" fill="#607d8b"/>`, "move")
	legend(`<path d="M%.1f `+fmt.Sprint(y0)+` l6 10 l-12 0 z" transform="translate(5 0)" fill="#d84315"/>`, "failover")
	legend(`<circle cx="%.1f" cy="`+fmt.Sprint(ly)+`" r="5" transform="translate(5 0)" fill="`+sevColour[detect.Error]+`"/>`, "finding")
	w.p(`</svg>`)
	return w.b.String()
}

// laneNames lists the chart's lanes: the cluster lane when something
// concerns no node, then every node of the matrix, then any other node
// the timeline names.
func laneNames(r *Report, timed []triage.Entry) []string {
	var lanes []string
	seen := map[string]bool{}
	for _, e := range timed {
		if len(lanesOf(e)) == 1 && lanesOf(e)[0] == clusterLane && !seen[clusterLane] {
			lanes = append(lanes, clusterLane)
			seen[clusterLane] = true
		}
	}
	for _, n := range r.Nodes {
		if !seen[n.Name] {
			lanes = append(lanes, n.Name)
			seen[n.Name] = true
		}
	}
	var extra []string
	for _, e := range timed {
		for _, n := range lanesOf(e) {
			if !seen[n] {
				seen[n] = true
				extra = append(extra, n)
			}
		}
	}
	slices.Sort(extra)
	return append(lanes, extra...)
}

// lanesOf names the lanes an entry is drawn on.
func lanesOf(e triage.Entry) []string {
	if n := entryNodes(e); len(n) > 0 {
		return n
	}
	return []string{clusterLane}
}

// runLabel is the short text drawn inside a setup run's bar.
func runLabel(e triage.Entry) string {
	s := e.Mode
	if e.To != "" {
		s += " " + e.To
	}
	return strings.TrimSpace(s)
}

// itemTitle is the hover text of a chart item.
func itemTitle(e triage.Entry) string {
	var parts []string
	q := e.TimeQuality
	if q == "" {
		q = parse.TimeUTC
	}
	parts = append(parts, TimeLabel(e.Time, q, stamp))
	if n := entryNodes(e); len(n) > 0 {
		parts = append(parts, strings.Join(n, ", "))
	}
	s := e.Summary
	if e.Kind == triage.KindFinding {
		s = e.Finding + " " + e.Severity.String() + ": " + s
	}
	parts = append(parts, s)
	if e.Where != "" {
		parts = append(parts, e.Where)
	}
	return strings.Join(parts, " · ")
}
