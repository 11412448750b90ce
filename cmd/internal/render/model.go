// Package render turns the result of a triage into a post-upgrade report:
// a verdict, each node's Exchange build before and after the upgrade runs,
// one timeline of setup runs, clustered-server operations, group moves,
// failovers and findings, the findings with their evidence, and what
// happened to every file. It renders the report as Markdown, as one
// self-contained HTML page (inline CSS and SVG, nothing fetched) and as
// JSON with the schema named by Schema.
//
// Everything a report shows comes from a Triage, which triage stores in
// the index, so a report of an indexed bundle needs no second parse. The
// same Triage always renders to the same bytes: times are UTC, lists are
// sorted, and nothing run-specific (index path, current time, absolute
// paths) is written.
package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/cmd/internal/triage"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/builds"
	"github.com/exlog/exlog/parse"
)

// Schema names the JSON form of a report; it changes only when a field
// is renamed or removed, never when one is added.
const Schema = "exlog.report/v1"

// Report is the model every format renders. The JSON field names and
// their order are a contract for pipelines (see the README).
type Report struct {
	Schema  string  `json:"schema"`
	Bundle  string  `json:"bundle"`
	Verdict Verdict `json:"verdict"`
	// Start and End bound the bundle's timed events (UTC).
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// Times says where the times come from and how far to trust them.
	Times            []TimeSummary          `json:"times"`
	Cluster          *triage.ClusterSummary `json:"cluster"`
	Nodes            []NodeRow              `json:"nodes"`
	ClusteredServers []ClusteredServer      `json:"clustered_servers"`
	Timeline         []triage.Entry         `json:"timeline"`
	Findings         []Finding              `json:"findings"`
	Files            Files                  `json:"files"`
	// Notes are caveats about the report itself (a timeline cut short, an
	// index written by an older exlog).
	Notes []string `json:"notes"`
	// Story is the upgrade story of each cluster (story.go).
	Story []StorySection `json:"story"`
}

// Verdicts, from the highest finding severity.
const (
	Pass      = "pass"      // no finding above info
	Attention = "attention" // warnings
	Fail      = "fail"      // errors or critical findings
)

// Verdict says whether the upgrade went right.
type Verdict struct {
	Result string `json:"result"`
	// Highest is the most severe finding's severity: critical, error,
	// warning, info, or none.
	Highest  string `json:"highest_severity"`
	Critical int    `json:"critical"`
	Error    int    `json:"error"`
	Warning  int    `json:"warning"`
	Info     int    `json:"info"`
	Text     string `json:"text"`
}

// TimeSummary folds the files whose times share a quality.
type TimeSummary struct {
	Quality parse.TimeQuality `json:"quality"`
	Label   string            `json:"label"`
	Events  int               `json:"events"`
	Files   int               `json:"files"`
	Formats []string          `json:"formats"`
	// Offsets are the UTC offsets setup logs stated, with their zones.
	Offsets []string  `json:"offsets"`
	First   time.Time `json:"first,omitzero"`
	Last    time.Time `json:"last,omitzero"`
	Note    string    `json:"note"`
}

// Build is one Exchange build with its release name and where it was seen.
type Build struct {
	Build   string `json:"build"`
	Release string `json:"release"`
	// Seen lists the observation kinds (setup-succeeded, registry...).
	Seen  []string `json:"seen"`
	Where string   `json:"where"`
}

// Node statuses of the build matrix.
const (
	NodeUpgraded   = "upgraded"        // the last run succeeded and changed the build
	NodeUnchanged  = "unchanged"       // the last run succeeded on the build already there
	NodeSucceeded  = "setup-succeeded" // the last run succeeded; the builds it changed are not known
	NodeFailed     = "failed"          // the last run failed
	NodeIncomplete = "incomplete"      // the last run has no end
	NodeNoRun      = "no-setup-run"    // the bundle holds no setup run of the node
	NodeUnknown    = "unknown"         // no build of the node is known
)

// NodeRow is one node of the build matrix.
type NodeRow struct {
	Name string `json:"name"`
	// InCluster says the cluster logs or hive list the node.
	InCluster bool `json:"in_cluster"`
	// Before is the build the first setup run found; After the latest
	// build known to be installed. Either is null when unknown.
	Before *Build `json:"before"`
	After  *Build `json:"after"`
	// Target is the build the last setup run tried to install when that
	// run did not succeed.
	Target     *Build `json:"target,omitempty"`
	Status     string `json:"status"`
	SetupRuns  int    `json:"setup_runs"`
	FailedRuns int    `json:"failed_runs"`
	// Groups are the cluster groups the node held at the end.
	Groups []string `json:"groups"`
	// Windows is the node's Windows version, where the bundle shows it.
	Windows string        `json:"windows,omitempty"`
	Events  []SourceCount `json:"events"`
}

// SourceCount is a node's event count from one format.
type SourceCount struct {
	Format string `json:"format"`
	Events int    `json:"events"`
}

// Clustered-server statuses.
const (
	CSUpgraded   = "upgraded"
	CSFailed     = "upgrade-failed"
	CSIncomplete = "upgrade-incomplete"
	CSDone       = "done"         // a /newCMS, /recoverCMS... run succeeded
	CSNone       = "no-operation" // the bundle shows no setup action on it
)

// ClusteredServer is an Exchange virtual server (2000/2003 EVS) or
// clustered mailbox server (2007 CMS) and its build where known.
type ClusteredServer struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Owner  string `json:"owner,omitempty"`
	Build  *Build `json:"build"`
	Status string `json:"status"`
	// Operation is the last setup action on it (upgradecms...), Where its
	// evidence.
	Operation string `json:"operation,omitempty"`
	Where     string `json:"where,omitempty"`
}

// Finding is a detector's finding with its number in the report.
type Finding struct {
	ID string `json:"id"`
	detect.Finding
}

// Files is what happened to every file of the bundle.
type Files struct {
	Total     int       `json:"total"`
	Read      int       `json:"read"`
	Events    int       `json:"events"`
	Recovered int       `json:"recovered"`
	Skipped   int       `json:"skipped"`
	OK        int       `json:"ok"`
	Partial   int       `json:"partial"`
	Failed    int       `json:"failed"`
	Unknown   int       `json:"unknown"`
	Rejected  int       `json:"rejected"`
	List      []FileRow `json:"list"`
}

// FileRow is one file: how it was read and what was skipped and why.
type FileRow struct {
	Path         string          `json:"path"`
	Format       string          `json:"format"`
	Node         string          `json:"node"`
	Size         int64           `json:"size"`
	Events       int             `json:"events"`
	Recovered    int             `json:"recovered"`
	Skipped      int             `json:"skipped"`
	Status       string          `json:"status"`
	Error        string          `json:"error"`
	Problems     []parse.Problem `json:"problems"`
	MoreProblems int             `json:"more_problems"`
	// Times are the time qualities of the file's events, best first.
	Times []parse.TimeQuality `json:"times"`
}

// New makes the report of a triage. It does not change t.
func New(t *triage.Result) *Report {
	r := &Report{
		Schema: Schema, Bundle: t.Bundle, Start: utc(t.Start), End: utc(t.End),
		Cluster: t.Cluster, Nodes: []NodeRow{}, ClusteredServers: []ClusteredServer{},
		Timeline: []triage.Entry{}, Findings: []Finding{}, Notes: []string{},
	}
	fs := slices.Clone(t.Findings)
	detect.SortFindings(fs)
	quality := triage.FileQualities(t.Times)
	for i := range fs {
		// Evidence from an index written before exlog kept each time's
		// quality takes its file's.
		ev := slices.Clone(fs[i].Evidence)
		for j := range ev {
			if ev[j].Time != "" && ev[j].TimeQuality == "" {
				ev[j].TimeQuality = quality[ev[j].File]
			}
		}
		fs[i].Evidence = ev
	}
	for i, f := range fs {
		r.Findings = append(r.Findings, Finding{ID: "F" + strconv.Itoa(i+1), Finding: f})
	}
	r.Verdict = verdictOf(r.Findings)
	r.Times = timeSummaries(t.Times)
	// Every event counts towards the span, not only those the detectors
	// kept.
	for _, ts := range r.Times {
		if !ts.First.IsZero() && (r.Start.IsZero() || ts.First.Before(r.Start)) {
			r.Start = ts.First
		}
		if ts.Last.After(r.End) {
			r.End = ts.Last
		}
	}
	r.Timeline = append(r.Timeline, t.Timeline...)
	for _, f := range r.Findings {
		r.Timeline = append(r.Timeline, findingEntry(f, quality))
	}
	triage.SortEntries(r.Timeline)
	r.Nodes = nodeRows(t)
	r.ClusteredServers = clusteredServers(t, r.Nodes)
	r.Files = filesOf(t.Files, t.Times)
	r.Story = storySections(t, r.Findings)
	if t.TimelineOmitted > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("The timeline shows the first %d group moves; %d later moves are left out (the findings summarise them, and exlog search lists them all).", triage.MaxMoves, t.TimelineOmitted))
	}
	if t.Times == nil && t.Timeline == nil && len(t.Files) > 0 {
		r.Notes = append(r.Notes, "This index was written by an older exlog that stored no timeline or time sources; run exlog triage again for a full report.")
	}
	return r
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

func verdictOf(fs []Finding) Verdict {
	v := Verdict{}
	var high detect.Severity
	for _, f := range fs {
		high = max(high, f.Severity)
		switch f.Severity {
		case detect.Critical:
			v.Critical++
		case detect.Error:
			v.Error++
		case detect.Warning:
			v.Warning++
		case detect.Info:
			v.Info++
		}
	}
	var parts []string
	for _, c := range []struct {
		n    int
		name string
	}{{v.Critical, "critical"}, {v.Error, "error"}, {v.Warning, "warning"}, {v.Info, "info"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.name))
		}
	}
	counts := "no findings"
	if len(parts) > 0 {
		counts = strings.Join(parts, ", ") + " finding"
		if len(fs) > 1 {
			counts += "s"
		}
	}
	v.Highest = high.String()
	switch {
	case high >= detect.Error:
		v.Result = Fail
		v.Text = "The upgrade needs fixing: " + counts + "."
	case high == detect.Warning:
		v.Result = Attention
		v.Text = "The upgrade needs attention: " + counts + "."
	default:
		v.Result = Pass
		v.Text = "No problem found: " + counts + "."
	}
	return v
}

// qualityTexts explain each time quality to a reader: a short label and
// a note on how far its times can be trusted.
var qualityTexts = map[parse.TimeQuality]struct{ label, note string }{
	parse.TimeUTC: {"UTC", "recorded in UTC or with an offset: exact"},
	parse.TimeLocalKnownOffset: {"local time, known offset",
		"written in local time with the offset stated in the log; converted to UTC"},
	parse.TimeLocalUnknownOffset: {"local time, unknown offset",
		"written in the server's local time without an offset and shown as if UTC: may be off by the server's UTC offset"},
	parse.TimeOfDayOnly: {"time of day only",
		"only a time of day was written; the date comes from the file's modification time"},
	parse.TimeNone: {"no time", "records without a time (registry values, inventories); not on the timeline"},
}

func qualityLabel(q parse.TimeQuality) string {
	if t, ok := qualityTexts[q]; ok {
		return t.label
	}
	return string(q)
}

func qualityNote(q parse.TimeQuality) string { return qualityTexts[q].note }

func timeSummaries(ts []triage.TimeSource) []TimeSummary {
	by := map[parse.TimeQuality]*TimeSummary{}
	files := map[parse.TimeQuality]map[string]bool{}
	for _, s := range ts {
		sum := by[s.Quality]
		if sum == nil {
			sum = &TimeSummary{Quality: s.Quality, Label: qualityLabel(s.Quality), Note: qualityNote(s.Quality),
				Formats: []string{}, Offsets: []string{}}
			by[s.Quality] = sum
			files[s.Quality] = map[string]bool{}
		}
		sum.Events += s.Events
		files[s.Quality][s.File] = true
		if s.Format != "" && !slices.Contains(sum.Formats, s.Format) {
			sum.Formats = append(sum.Formats, s.Format)
		}
		if s.Offset != "" {
			o := s.Offset
			if s.Zone != "" {
				o += " " + s.Zone
			}
			if !slices.Contains(sum.Offsets, o) {
				sum.Offsets = append(sum.Offsets, o)
			}
		}
		if !s.First.IsZero() && (sum.First.IsZero() || s.First.Before(sum.First)) {
			sum.First = s.First.UTC()
		}
		if s.Last.After(sum.Last) {
			sum.Last = s.Last.UTC()
		}
	}
	out := []TimeSummary{}
	for q, s := range by {
		s.Files = len(files[q])
		slices.Sort(s.Formats)
		slices.Sort(s.Offsets)
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b TimeSummary) int { return a.Quality.Rank() - b.Quality.Rank() })
	return out
}

// findingEntry places a finding on the timeline, on its nodes' lanes.
func findingEntry(f Finding, quality map[string]parse.TimeQuality) triage.Entry {
	e := triage.Entry{Time: utc(f.Start), End: utc(f.End), Kind: triage.KindFinding, Severity: f.Severity, Finding: f.ID,
		Nodes: slices.Clone(f.Nodes), Groups: slices.Clone(f.Groups), Summary: f.Summary}
	if f.End.Equal(f.Start) {
		e.End = time.Time{}
	}
	if len(f.Evidence) > 0 {
		e.Where = f.Evidence[0].Where()
		e.TimeQuality = FindingQuality(f.Finding)
		if e.TimeQuality == "" {
			e.TimeQuality = quality[f.Evidence[0].File]
		}
	}
	return e
}

// nodeRunning reports whether a setup mode changes the node's own
// binaries: /PrepareAD and clustered-server actions do not.
func nodeRunning(e triage.Entry) bool {
	return e.Kind == triage.KindSetupRun && !strings.HasPrefix(strings.ToLower(e.Mode), "prepare")
}

func nodeRows(t *triage.Result) []NodeRow {
	sums := map[string]*triage.NodeSummary{}
	var names []string
	for i := range t.Nodes {
		n := &t.Nodes[i]
		sums[n.Name] = n
		names = append(names, n.Name)
	}
	inCluster := map[string]bool{}
	held := map[string][]string{}
	if t.Cluster != nil {
		for _, n := range t.Cluster.Nodes {
			inCluster[n] = true
			if sums[n] == nil && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		for _, g := range t.Cluster.Groups {
			if g.Owner != "" {
				held[g.Owner] = append(held[g.Owner], g.Name)
			}
		}
	}
	slices.Sort(names)
	rows := []NodeRow{}
	for _, name := range names {
		row := NodeRow{Name: name, InCluster: inCluster[name], Groups: held[name], Windows: t.Windows[name], Events: []SourceCount{}}
		if row.Groups == nil {
			row.Groups = []string{}
		}
		slices.Sort(row.Groups)
		s := sums[name]
		if s != nil {
			for f, n := range s.Events {
				row.Events = append(row.Events, SourceCount{Format: f, Events: n})
			}
			slices.SortFunc(row.Events, func(a, b SourceCount) int { return strings.Compare(a.Format, b.Format) })
			if s.Build != "" {
				row.After = buildOf(s, s.Build)
			}
		}
		var runs []triage.Entry
		for _, e := range t.Timeline {
			if e.Node == name && nodeRunning(e) {
				runs = append(runs, e)
			}
		}
		row.SetupRuns = len(runs)
		for _, e := range runs {
			if e.Result == detect.RunFailed {
				row.FailedRuns++
			}
		}
		for _, e := range runs {
			if e.From != "" {
				row.Before = buildOf(s, e.From)
				break
			}
		}
		switch {
		case len(runs) == 0 && row.After == nil:
			row.Status = NodeUnknown
		case len(runs) == 0:
			row.Status = NodeNoRun
			row.Before = row.After
		default:
			last := runs[len(runs)-1]
			switch last.Result {
			case detect.RunSucceeded:
				switch {
				case row.After == nil:
					row.Status = NodeSucceeded
				case row.Before != nil && sameBuild(row.Before.Build, row.After.Build):
					row.Status = NodeUnchanged
				default:
					row.Status = NodeUpgraded
				}
			case detect.RunFailed:
				row.Status = NodeFailed
			default:
				row.Status = NodeIncomplete
			}
			if last.Result != detect.RunSucceeded && last.To != "" {
				row.Target = buildOf(s, last.To)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func sameBuild(a, b string) bool {
	va, oka := builds.Parse(a)
	vb, okb := builds.Parse(b)
	if oka && okb {
		return va.SameBuild(vb)
	}
	return a == b
}

// buildOf describes a build of a node with what the inventory says of it.
func buildOf(s *triage.NodeSummary, build string) *Build {
	b := &Build{Build: build, Release: builds.ReleaseName(build), Seen: []string{}}
	if s == nil {
		return b
	}
	for _, bs := range s.Builds {
		if bs.Build == build {
			b.Seen = append(b.Seen, bs.Seen...)
			b.Where = bs.Where
			if bs.Release != "" {
				b.Release = bs.Release
			}
			break
		}
	}
	return b
}

// clusteredServers lists the Exchange groups of the cluster, the servers
// whose own build the bundle shows, and those clustered-server setup
// actions worked on: each with its latest known build and the outcome of
// the latest action.
func clusteredServers(t *triage.Result, nodes []NodeRow) []ClusteredServer {
	kind := "clustered server"
	for _, n := range nodes {
		for _, b := range []*Build{n.After, n.Before} {
			if b != nil {
				kind = serverKind(b.Build, kind)
			}
		}
	}
	var out []ClusteredServer
	index := map[string]int{}
	add := func(name string) *ClusteredServer {
		key := strings.ToLower(name)
		if i, ok := index[key]; ok {
			return &out[i]
		}
		index[key] = len(out)
		out = append(out, ClusteredServer{Name: name, Kind: kind, Status: CSNone})
		return &out[len(out)-1]
	}
	if t.Cluster != nil {
		for _, g := range t.Cluster.Groups {
			if g.Exchange {
				add(g.Name).Owner = g.Owner
			}
		}
	}
	unnamed := func(node string) string {
		if node == "" {
			return "(clustered server)"
		}
		return "(clustered server on " + node + ")"
	}
	// Untimed observations (registry values) first, so that a build an
	// upgrade showed later wins.
	obs := slices.Clone(t.Servers)
	slices.SortStableFunc(obs, func(a, b triage.ServerObs) int {
		if a.Time.IsZero() != b.Time.IsZero() {
			if a.Time.IsZero() {
				return -1
			}
			return 1
		}
		return a.Time.Compare(b.Time)
	})
	for _, o := range obs {
		name := o.Server
		if name == "" {
			name = unnamed(o.Node)
		}
		cs := add(name)
		switch {
		case strings.HasPrefix(o.Kind, "evs"):
			cs.Kind = "EVS"
		case strings.HasPrefix(o.Kind, "cms"):
			cs.Kind = "CMS"
		}
		if o.Build != "" {
			cs.Build = &Build{Build: o.Build, Release: o.Release, Seen: []string{o.Kind}, Where: o.Where}
			if cs.Build.Release == "" {
				cs.Build.Release = builds.ReleaseName(o.Build)
			}
		}
	}
	for _, e := range t.Timeline {
		if e.Kind != triage.KindClusteredServer {
			continue
		}
		name := e.Group
		if name == "" {
			name = unnamed(e.Node)
		}
		cs := add(name)
		cs.Operation, cs.Where = e.Mode, e.Where
		if e.Mode == triage.ModeUpgradeEVS {
			cs.Kind = "EVS"
		} else if strings.HasPrefix(strings.ToLower(e.Mode), "upgradecms") || strings.HasSuffix(strings.ToLower(e.Mode), "cms") {
			cs.Kind = "CMS"
		}
		upgrade := e.Mode == triage.ModeUpgradeEVS || strings.EqualFold(e.Mode, "upgradecms")
		switch {
		case e.Result == detect.RunSucceeded && upgrade:
			cs.Status = CSUpgraded
		case e.Result == detect.RunSucceeded:
			cs.Status = CSDone
		case e.Result == detect.RunFailed:
			cs.Status = CSFailed
		default:
			cs.Status = CSIncomplete
		}
		// A failed action leaves the build the last observation showed.
		if e.Result == detect.RunSucceeded && e.To != "" && (cs.Build == nil || !sameBuild(cs.Build.Build, e.To)) {
			cs.Build = &Build{Build: e.To, Release: builds.ReleaseName(e.To), Seen: []string{e.Mode + " succeeded"}, Where: e.Where}
		}
	}
	slices.SortStableFunc(out, func(a, b ClusteredServer) int { return strings.Compare(a.Name, b.Name) })
	if out == nil {
		out = []ClusteredServer{}
	}
	return out
}

// serverKind names the kind of clustered server a build's product has:
// virtual servers up to Exchange 2003, clustered mailbox servers in 2007.
func serverKind(build, otherwise string) string {
	switch {
	case strings.HasPrefix(build, "6."):
		return "EVS"
	case strings.HasPrefix(build, "8."):
		return "CMS"
	}
	return otherwise
}

func filesOf(reps []*parse.Report, ts []triage.TimeSource) Files {
	qual := map[string][]parse.TimeQuality{}
	for _, s := range ts {
		if !slices.Contains(qual[s.File], s.Quality) {
			qual[s.File] = append(qual[s.File], s.Quality)
		}
	}
	fs := Files{List: []FileRow{}}
	for _, r := range reps {
		row := FileRow{Path: r.Path, Format: r.Format, Node: r.Node, Size: r.Size, Events: r.Events,
			Recovered: r.Recovered, Skipped: r.Skipped, Status: r.Status, Error: r.Error,
			Problems: slices.Clone(r.Problems), MoreProblems: r.MoreProblems, Times: qual[r.Path]}
		if row.Problems == nil {
			row.Problems = []parse.Problem{}
		}
		if row.Times == nil {
			row.Times = []parse.TimeQuality{}
		}
		slices.SortFunc(row.Times, func(a, b parse.TimeQuality) int { return a.Rank() - b.Rank() })
		fs.Total++
		if r.Events > 0 {
			fs.Read++
		}
		fs.Events += r.Events
		fs.Recovered += r.Recovered
		fs.Skipped += r.Skipped
		switch r.Status {
		case parse.StatusOK:
			fs.OK++
		case parse.StatusPartial:
			fs.Partial++
		case parse.StatusFailed:
			fs.Failed++
		case parse.StatusUnknown:
			fs.Unknown++
		case parse.StatusRejected:
			fs.Rejected++
		}
		fs.List = append(fs.List, row)
	}
	slices.SortStableFunc(fs.List, func(a, b FileRow) int { return strings.Compare(a.Path, b.Path) })
	return fs
}

func itoa(n int) string    { return strconv.Itoa(n) }
func utoa(n uint64) string { return strconv.FormatUint(n, 10) }
