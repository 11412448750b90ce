package render

import (
	"html/template"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// The page is one file: its CSS is inline, its chart is inline SVG, it has
// no script, and it names no external resource, so it opens offline, can
// be attached to a case as it is, and fetches nothing when opened. The
// template is parsed on first use, not when exlog starts: parsing it took
// 2.4 ms of every exlog command, a search included.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"upper":      strings.ToUpper,
		"join":       strings.Join,
		"time":       timeText,
		"span":       spanText,
		"duration":   func(a, b time.Time) string { return durationText(b.Sub(a)) },
		"build":      buildText,
		"status":     statusText,
		"kind":       kindText,
		"lanes":      entryNodes,
		"sev":        sevName,
		"sevclass":   func(s detect.Severity) string { return "sev-" + s.String() },
		"evtime":     func(ev detect.Evidence) string { return EvidenceTime(ev, "") },
		"when":       findingWhen,
		"plural":     func(n int, one, many string) string { return Plural(n, one, many) },
		"msg":        func(s string) string { t, _ := MessageText(s); return t },
		"entrytime":  entryTime,
		"where":      detect.Evidence.Where,
		"confidence": ConfidenceText,
		"quality":    qualityLabel,
		"problems":   problemsText,
		"uncertain":  uncertain,
		"details":    detailKeys,
		"itoa":       itoa,
		"clusters":   clusterNames,
		"windows":    hasWindows,
		"svg":        func(r *Report) template.HTML { return template.HTML(timelineSVG(r)) },
		"story":      storyHTML,
		"paras": func(s string) []string {
			var out []string
			for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
			return out
		},
		"times": func(qs []parse.TimeQuality) string {
			parts := make([]string, len(qs))
			for i, q := range qs {
				parts[i] = qualityLabel(q)
			}
			return strings.Join(parts, ", ")
		},
	}).Parse(pageTemplate))
})

func writeHTML(w io.Writer, r *Report) error {
	return page().Execute(w, r)
}

const pageTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="exlog">
<title>exlog report: {{.Bundle}}</title>
<style>
:root { --fg: #1c2430; --muted: #5b6675; --line: #d7dde4; --bg-alt: #f4f6f8;
  --ok: #2e7d32; --warn: #ef8f00; --err: #c62828; --crit: #6a1b9a; --info: #1565c0; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0 auto; max-width: 1180px; padding: 24px 28px 40px; color: var(--fg);
  font: 14px/1.45 "Segoe UI", system-ui, -apple-system, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 24px; margin: 0 0 12px; }
h2 { font-size: 19px; margin: 30px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 8px; }
code, pre, .mono { font-family: Consolas, "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; }
pre { background: var(--bg-alt); border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px;
  margin: 4px 0 10px; white-space: pre-wrap; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 14px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { background: var(--bg-alt); font-weight: 600; white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; }
td.nowrap { white-space: nowrap; }
td.path { overflow-wrap: anywhere; }
.muted, .muted td { color: var(--muted); }
.verdict { display: flex; gap: 14px; align-items: center; border-radius: 6px; padding: 12px 16px; margin: 0 0 16px;
  color: #fff; font-size: 16px; }
.verdict strong { font-size: 20px; letter-spacing: .06em; }
.v-pass { background: var(--ok); } .v-attention { background: var(--warn); } .v-fail { background: var(--err); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0 0 12px; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
.sev { display: inline-block; flex: none; white-space: nowrap; min-width: 64px; text-align: center; border-radius: 3px; padding: 1px 6px;
  color: #fff; font-size: 11.5px; font-weight: 700; letter-spacing: .04em; }
.sev-critical { background: var(--crit); } .sev-error { background: var(--err); }
.sev-warning { background: var(--warn); } .sev-info { background: var(--info); } .sev-none { background: var(--muted); }
.st-upgraded, .st-ok { color: var(--ok); font-weight: 600; }
.st-failed, .st-upgrade-failed { color: var(--err); font-weight: 600; }
.st-incomplete, .st-upgrade-incomplete, .st-partial { color: var(--warn); font-weight: 600; }
.st-rejected { color: var(--err); }
.finding { border: 1px solid var(--line); border-left: 6px solid var(--muted); border-radius: 4px;
  padding: 4px 16px 8px; margin: 14px 0; }
.finding.sev-critical { border-left-color: var(--crit); background: none; }
.finding.sev-error { border-left-color: var(--err); background: none; }
.finding.sev-warning { border-left-color: var(--warn); background: none; }
.finding.sev-info { border-left-color: var(--info); background: none; }
.finding h3 { display: flex; gap: 10px; align-items: baseline; }
.finding dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0 10px; }
.finding dt { font-weight: 600; color: var(--muted); } .finding dd { margin: 0; }
.evidence-where { font-weight: 600; }
.chart { border: 1px solid var(--line); border-radius: 4px; padding: 6px 4px 0; margin: 8px 0 12px; }
#timeline { display: block; width: 100%; height: auto; }
#timeline text { font-family: "Segoe UI", system-ui, Arial, sans-serif; font-size: 11px; fill: var(--fg); }
#timeline .lane { font-size: 12.5px; font-weight: 600; }
#timeline .date { font-size: 10.5px; font-weight: 600; fill: var(--muted); }
#timeline .tick, #timeline .muted { fill: var(--muted); }
#timeline .grid { stroke: #e3e7ec; stroke-width: 1; }
#timeline .axis { stroke: #9aa5b1; stroke-width: 1; }
#timeline .break line { stroke: #9aa5b1; stroke-width: 1; stroke-dasharray: 3 3; }
#timeline .cs rect, #timeline rect.cs { stroke: #1c2430; stroke-width: 1.4; stroke-dasharray: 3 2; }
#timeline .barlabel { fill: #fff; font-size: 10px; font-weight: 600; }
#timeline .flabel { font-size: 10.5px; font-weight: 700; }
#timeline .legend text { font-size: 11px; fill: var(--muted); }
.note { color: var(--muted); font-size: 12.5px; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
a { color: var(--info); }
@page { size: landscape; margin: 12mm 10mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2, h3, h4 { break-after: avoid; }
  .chart, tr, .evidence, .verdict, dl { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
}
</style>
</head>
<body>
<header>
<h1>exlog report: {{.Bundle}}</h1>
<div class="verdict v-{{.Verdict.Result}}" id="verdict"><strong>{{upper .Verdict.Result}}</strong><span>{{.Verdict.Text}}</span></div>
<dl class="facts">
<dt>Bundle</dt><dd>{{.Bundle}}</dd>
<dt>Covers</dt><dd>{{if .Start.IsZero}}no timed event{{else}}{{span .Start .End}} UTC ({{duration .Start .End}}){{end}}</dd>
<dt>Cluster</dt><dd>{{with .Cluster}}{{if .Kind}}{{.Kind}}{{else}}cluster{{end}}: {{if .Nodes}}{{join .Nodes ", "}}{{else}}no node named{{end}}{{else}}none seen in the bundle{{end}}</dd>
{{with .Cluster}}{{if .Names}}<dt>Cluster names</dt><dd>{{clusters .}}</dd>{{end}}{{end}}
{{with .Cluster}}{{if .Groups}}<dt>Groups at the end</dt><dd>{{range $i, $g := .Groups}}{{if $i}}; {{end}}{{$g.Name}}{{if $g.Exchange}} (Exchange){{end}}{{if $g.Owner}} on {{$g.Owner}}{{end}}{{end}}</dd>{{end}}{{end}}
<dt>Nodes</dt><dd>{{range $i, $n := .Nodes}}{{if $i}}, {{end}}{{$n.Name}}{{else}}none named{{end}}</dd>
<dt>Files</dt><dd>{{.Files.Total}}, of which {{.Files.Read}} held events ({{plural .Files.Events "event" "events"}})</dd>
</dl>
<h3>Where the times come from</h3>
{{if .Times}}<table id="times">
<thead><tr><th>Times</th><th>Events</th><th>Files</th><th>Formats</th><th>Stated offsets</th><th>How far to trust them</th></tr></thead>
<tbody>{{range .Times}}
<tr><td class="nowrap">{{.Label}}</td><td class="num">{{.Events}}</td><td class="num">{{.Files}}</td><td>{{join .Formats ", "}}</td><td>{{join .Offsets "; "}}</td><td>{{.Note}}</td></tr>{{end}}
</tbody></table>{{else}}<p class="note">The bundle holds no event.</p>{{end}}
</header>

<section id="builds">
<h2>Builds</h2>
{{if .Nodes}}<p class="note">Each node's Exchange build before the bundle's first setup run and the latest build known to be installed.</p>
{{$win := windows .Nodes}}<table id="build-matrix">
<thead><tr><th>Node</th><th>Before</th><th>After</th><th>Status</th><th>Setup runs</th><th>Groups held at the end</th><th>After seen in</th>{{if $win}}<th>Windows</th>{{end}}</tr></thead>
<tbody>{{range .Nodes}}
<tr><td><strong>{{.Name}}</strong></td><td>{{build .Before}}</td><td>{{build .After}}</td><td class="st-{{.Status}}">{{status .}}</td><td class="num">{{.SetupRuns}}{{if .FailedRuns}} ({{.FailedRuns}} failed){{end}}</td><td>{{join .Groups ", "}}</td><td class="path"><code>{{with .After}}{{.Where}}{{end}}</code></td>{{if $win}}<td>{{.Windows}}</td>{{end}}</tr>{{end}}
</tbody></table>{{else}}<p>No node is named in the bundle.</p>{{end}}
{{if .ClusteredServers}}<h3>Clustered servers</h3>
<table id="clustered-servers">
<thead><tr><th>Clustered server</th><th>Kind</th><th>Held by</th><th>Build</th><th>Status</th><th>Known from</th></tr></thead>
<tbody>{{range .ClusteredServers}}
<tr><td><strong>{{.Name}}</strong></td><td>{{.Kind}}</td><td>{{.Owner}}</td><td>{{build .Build}}</td><td class="st-{{.Status}}">{{.Status}}</td><td class="path">{{.Operation}} <code>{{.Where}}</code></td></tr>{{end}}
</tbody></table>{{end}}
</section>

<section id="timeline-section">
<h2>Timeline (UTC)</h2>
<div class="chart">{{svg .}}</div>
{{if .Timeline}}<table id="timeline-table">
<thead><tr><th>Time (UTC)</th><th>Node</th><th>What</th><th>Details</th><th>Evidence</th></tr></thead>
<tbody>{{range .Timeline}}
<tr><td class="nowrap">{{if .Time.IsZero}}unknown{{else}}{{entrytime .}}{{if uncertain .}} †{{end}}{{end}}</td><td>{{join (lanes .) ", "}}</td><td class="nowrap">{{if .Finding}}<a href="#{{.Finding}}"><span class="sev {{sevclass .Severity}}">{{.Finding}} {{sev .Severity}}</span></a>{{else}}{{kind .}}{{end}}</td><td>{{.Summary}}</td><td class="path"><code>{{.Where}}</code></td></tr>{{end}}
</tbody></table>
<p class="note">† written in the server's local time with no offset stated (or with only a time of day): may be off by the server's UTC offset.</p>{{else}}<p>Nothing to show: the bundle holds no setup run, group move, failover or finding.</p>{{end}}
</section>

{{story .}}
<section id="findings">
<h2>Findings</h2>
{{range .Findings}}<article class="finding {{sevclass .Severity}}" id="{{.ID}}">
<h3><span class="sev {{sevclass .Severity}}">{{sev .Severity}}</span><span>{{.ID}} · {{.Summary}}</span></h3>
<dl>
<dt>Detector</dt><dd><code>{{.Detector}}</code>{{if .Cause}} ({{.Cause}}){{end}}</dd>
{{if .Nodes}}<dt>Nodes</dt><dd>{{join .Nodes ", "}}</dd>{{end}}
{{if .Groups}}<dt>Groups</dt><dd>{{join .Groups ", "}}</dd>{{end}}
{{if not .Start.IsZero}}<dt>When</dt><dd>{{when .Finding}}</dd>{{end}}
<dt>Confidence</dt><dd>{{confidence .Finding}}</dd>
{{$d := .Details}}{{range details .Details}}<dt>{{.}}</dt><dd>{{index $d .}}</dd>{{end}}
</dl>
{{range paras .Explanation}}<p>{{.}}</p>{{end}}
{{if .Evidence}}<h4>Evidence</h4>
{{range .Evidence}}<div class="evidence"><span class="evidence-where mono">{{where .}}</span>{{with evtime .}} <span class="muted">{{.}}</span>{{end}}
<pre>{{msg .Text}}</pre></div>
{{end}}{{end}}
{{if .Remediation}}<h4>What to do</h4>{{range paras .Remediation}}<p>{{.}}</p>{{end}}{{end}}
{{if .References}}<h4>References</h4><ul>{{range .References}}<li>{{.}}</li>{{end}}</ul>{{end}}
</article>
{{else}}<p>No detector reported anything.</p>{{end}}
</section>

<section id="files">
<h2>Files</h2>
<p>{{plural .Files.Total "file" "files"}}: {{.Files.OK}} ok, {{.Files.Partial}} partial, {{.Files.Failed}} failed, {{.Files.Unknown}} in no format exlog reads, {{.Files.Rejected}} rejected; {{plural .Files.Events "event" "events"}}{{if .Files.Recovered}}, {{.Files.Recovered}} recovered from damaged regions{{end}}{{if .Files.Skipped}}, {{plural .Files.Skipped "record or region" "records or regions"}} skipped{{end}}.</p>
{{if .Files.List}}<table id="file-list">
<thead><tr><th>File</th><th>Format</th><th>Node</th><th>Events</th><th>Status</th><th>Times</th><th>Skipped and why</th></tr></thead>
<tbody>{{range .Files.List}}
<tr><td class="path"><code>{{.Path}}</code></td><td>{{.Format}}</td><td>{{.Node}}</td><td class="num">{{.Events}}{{if .Recovered}} ({{.Recovered}} recovered){{end}}</td><td class="st-{{.Status}}">{{.Status}}</td><td>{{times .Times}}</td><td>{{problems .}}</td></tr>{{end}}
</tbody></table>{{end}}
</section>
{{if .Notes}}<section id="notes"><h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul></section>{{end}}
<footer>Written by exlog from the bundle's logs. All times are UTC. This page is self-contained: it loads nothing from the network.</footer>
</body>
</html>
`
