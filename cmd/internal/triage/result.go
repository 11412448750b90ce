// Package triage is the case model of one bundle: what exlog triage found
// (files, nodes, findings, timeline) and the run that assembles it from the
// parse pipeline, the detectors and the index. Commands print it; package
// render turns it into reports.
package triage

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// Triage is the result of `exlog triage`: its --format json output and the
// metadata stored in an index, from which `exlog report --index` works
// without parsing the bundle again. The top-level keys and the finding
// shape are a contract for scripts: add fields, never rename them.
type Result struct {
	Bundle string `json:"bundle"`
	// Sources are the absolute paths of the bundles read, so that an
	// index written from one bundle is never replaced by another's.
	Sources  []string         `json:"sources,omitempty"`
	Index    string           `json:"index,omitempty"`
	Start    time.Time        `json:"start,omitzero"`
	End      time.Time        `json:"end,omitzero"`
	Files    []*parse.Report  `json:"files"`
	Nodes    []NodeSummary    `json:"nodes"`
	Findings []detect.Finding `json:"findings"`
	// Warnings are problems of the run itself, such as a detector that
	// failed; the other detectors' findings stand.
	Warnings []string `json:"warnings,omitempty"`

	// Times says, per file and time quality, where the bundle's times
	// come from (see Clock).
	Times []TimeSource `json:"times,omitempty"`
	// Cluster is what the bundle shows of the cluster, nil when nothing.
	Cluster *ClusterSummary `json:"cluster,omitempty"`
	// Timeline holds the setup runs, clustered-server operations, group
	// moves, failovers, node removals and quorum losses, in time order.
	Timeline []Entry `json:"timeline,omitempty"`
	// TimelineOmitted counts group moves left out of Timeline to bound
	// its size on a long failover storm.
	TimelineOmitted int `json:"timeline_omitted,omitempty"`
	// Servers are the clustered servers' own build observations (EVS
	// upgrades, /upgradeCMS runs, CMS ConfiguredVersion).
	Servers []ServerObs `json:"servers,omitempty"`
	// Windows is each cluster node's Windows version, as last seen.
	Windows map[string]string `json:"windows,omitempty"`
	// Story is the upgrade story of each cluster (story.go).
	Story []Story `json:"story,omitempty"`
}

// ServerObs is one observation of a clustered server's build.
type ServerObs struct {
	Server  string    `json:"server"`
	Node    string    `json:"node,omitempty"`
	Time    time.Time `json:"time,omitzero"`
	Build   string    `json:"build,omitempty"`
	Release string    `json:"release,omitempty"`
	// Kind is evs-upgraded, cms-upgraded or cms-registry.
	Kind  string `json:"kind"`
	Where string `json:"where,omitempty"`
}

// NodeSummary is one row group of the node inventory.
type NodeSummary struct {
	Name string `json:"name"`
	// Clustered is set when the name is a clustered server (an Exchange
	// virtual server or clustered mailbox server: a network name that
	// moves between nodes), not a physical node.
	Clustered bool `json:"clustered,omitempty"`
	// Build is the latest build known to be installed, "" if unknown.
	Build   string         `json:"build,omitempty"`
	Release string         `json:"release,omitempty"`
	Builds  []BuildSummary `json:"builds"`
	Events  map[string]int `json:"events"`
}

// BuildSummary folds every observation of one build on one node.
type BuildSummary struct {
	Build   string    `json:"build"`
	Release string    `json:"release,omitempty"`
	Seen    []string  `json:"seen"` // observation kinds, e.g. setup-failed x3
	First   time.Time `json:"first,omitzero"`
	Last    time.Time `json:"last,omitzero"`
	Where   string    `json:"where"` // file:line of the first observation
}

// TimeSource counts the events of one file that share a time quality.
type TimeSource struct {
	File    string            `json:"file"`
	Format  string            `json:"format"`
	Node    string            `json:"node,omitempty"`
	Quality parse.TimeQuality `json:"quality"`
	Events  int               `json:"events"`
	// Offset and Zone are what a setup log stated about its local time.
	Offset string    `json:"offset,omitempty"`
	Zone   string    `json:"zone,omitempty"`
	First  time.Time `json:"first,omitzero"`
	Last   time.Time `json:"last,omitzero"`
}

// Collector sees every event while a bundle is parsed and keeps what the
// report needs that the detectors' facts do not: each file's time
// qualities and the setup runs. It is safe for concurrent use by the parse
// workers.
type Collector struct {
	mu    sync.Mutex
	files map[clockKey]*TimeSource
	runs  []detect.SetupRun
}

type clockKey struct {
	file    string
	quality parse.TimeQuality
}

// NewCollector returns an empty collector.
func NewCollector() *Collector { return &Collector{files: map[clockKey]*TimeSource{}} }

// Add counts one event, and keeps it if it summarises a setup run.
func (c *Collector) Add(ev *parse.Event) {
	var run detect.SetupRun
	isRun := false
	if ev.Kind != "" {
		run, isRun = detect.SetupRunOf(ev)
	}
	q := ev.TimeQuality
	if q == "" || ev.Time.IsZero() {
		q = parse.TimeNone
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if isRun {
		c.runs = append(c.runs, run)
	}
	k := clockKey{ev.File, q}
	s := c.files[k]
	if s == nil {
		s = &TimeSource{File: ev.File, Format: ev.Source, Node: parse.ShortNode(ev.Node), Quality: q}
		c.files[k] = s
	}
	s.Events++
	if s.Node == "" && ev.Node != "" {
		s.Node = parse.ShortNode(ev.Node)
	}
	if o := ev.Field(parse.KeyTZOffset); o != "" && s.Offset == "" {
		s.Offset, s.Zone = o, ev.Field(parse.KeyTZ)
	}
	if q != parse.TimeNone {
		t := ev.Time.UTC()
		if s.First.IsZero() || t.Before(s.First) {
			s.First = t
		}
		if t.After(s.Last) {
			s.Last = t
		}
	}
}

// Drop forgets what the collector saw of the given files.
func (c *Collector) Drop(files map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.files {
		if _, ok := files[k.file]; ok {
			delete(c.files, k)
		}
	}
	c.runs = slices.DeleteFunc(c.runs, func(r detect.SetupRun) bool { _, ok := files[r.Evidence.File]; return ok })
}

// Sources returns the tally by file, best time quality first.
func (c *Collector) Sources() []TimeSource {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]TimeSource, 0, len(c.files))
	for _, s := range c.files {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b TimeSource) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Quality.Rank() - b.Quality.Rank()
	})
	return out
}

// ClusterSummary is the cluster as the bundle shows it.
type ClusterSummary struct {
	// Kind is "server cluster (Windows 2000/2003)", "failover cluster
	// (Windows 2008 or later)", both joined when logs of both were seen,
	// or "" when no log said.
	Kind   string         `json:"kind,omitempty"`
	Nodes  []string       `json:"nodes"`
	Groups []GroupSummary `json:"groups"`
	// Names are the clusters the bundle names, with their nodes; nodes of
	// no named cluster are under "".
	Names []NamedCluster `json:"names,omitempty"`
}

// NamedCluster is a cluster name and its nodes.
type NamedCluster struct {
	Name  string   `json:"name"`
	Nodes []string `json:"nodes"`
}

// GroupSummary is one cluster group: an Exchange virtual server, a
// clustered mailbox server or another group.
type GroupSummary struct {
	Name     string `json:"name"`
	Exchange bool   `json:"exchange"`
	// Owner is the node holding the group at the end of the bundle, as
	// far as the logs say.
	Owner     string `json:"owner,omitempty"`
	Moves     int    `json:"moves"`
	Failovers int    `json:"failovers"`
}

// Timeline entry kinds.
const (
	KindSetupRun        = "setup-run"
	KindClusteredServer = "clustered-server"
	KindGroupMove       = "group-move"
	KindFailover        = "failover"
	KindNodeRemoved     = "node-removed"
	KindQuorumLost      = "quorum-lost"
	KindFinding         = "finding"
)

// Entry is one happening on the upgrade timeline. From and To are builds
// for setup runs and clustered-server operations, nodes for moves and
// failovers.
type Entry struct {
	Time  time.Time `json:"time,omitzero"`
	End   time.Time `json:"end,omitzero"`
	Kind  string    `json:"kind"`
	Node  string    `json:"node,omitempty"`
	Group string    `json:"group,omitempty"`
	Mode  string    `json:"mode,omitempty"`
	From  string    `json:"from,omitempty"`
	To    string    `json:"to,omitempty"`
	// Result is a setup run's success, failed or incomplete.
	Result   string `json:"result,omitempty"`
	Duration string `json:"duration,omitempty"`
	// Severity and Finding (F1, F2...) are set on finding entries.
	Severity detect.Severity `json:"severity,omitempty"`
	Finding  string          `json:"finding,omitempty"`
	// Nodes and Groups are a finding's nodes and groups; a finding is
	// drawn on each of its nodes' lanes.
	Nodes   []string `json:"nodes,omitempty"`
	Groups  []string `json:"groups,omitempty"`
	Summary string   `json:"summary"`
	// Where is the file and line or record the entry rests on.
	Where       string            `json:"where,omitempty"`
	TimeQuality parse.TimeQuality `json:"time_quality,omitempty"`
}

// MaxMoves bounds the group moves a timeline keeps; a storm of thousands
// of failovers is summarised by its finding, not drawn move by move.
const MaxMoves = 1000

// AddFacts fills in what a report needs beyond the triage tables: where
// the times come from and the setup runs (from c, which may be nil), the
// cluster, and the timeline.
func (t *Result) AddFacts(f *detect.Facts, c *Collector) {
	var runs []detect.SetupRun
	if c != nil {
		t.Times = c.Sources()
		c.mu.Lock()
		runs = slices.Clone(c.runs)
		c.mu.Unlock()
	}
	quality := FileQualities(t.Times)
	t.Cluster = clusterOf(f)
	t.Servers = serversOf(f)
	t.Timeline, t.TimelineOmitted = timelineOf(f, runs, quality)
	t.Story = storiesOf(f)
	if v := f.Versions; v != nil {
		for node, ws := range v.Windows {
			if len(ws) > 0 && node != "" {
				if t.Windows == nil {
					t.Windows = map[string]string{}
				}
				t.Windows[node] = ws[len(ws)-1].String()
			}
		}
	}
}

// serversOf lists the clustered servers' build observations by server,
// in the order the facts hold them.
func serversOf(f *detect.Facts) []ServerObs {
	if f.Versions == nil {
		return nil
	}
	names := make([]string, 0, len(f.Versions.Servers))
	for n := range f.Versions.Servers {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []ServerObs
	for _, n := range names {
		for _, sb := range f.Versions.Servers[n] {
			o := ServerObs{Server: sb.Server, Node: sb.Node, Time: sb.Time.UTC(), Build: sb.Build, Release: sb.Release, Kind: sb.Kind}
			if len(sb.Evidence) > 0 {
				o.Where = sb.Evidence[0].Where()
			}
			out = append(out, o)
		}
	}
	return out
}

// FileQualities maps each file to the quality of its timed events, when
// they share one.
func FileQualities(ts []TimeSource) map[string]parse.TimeQuality {
	out := map[string]parse.TimeQuality{}
	mixed := map[string]bool{}
	for _, s := range ts {
		if s.Quality == parse.TimeNone {
			continue
		}
		if q, ok := out[s.File]; ok && q != s.Quality {
			mixed[s.File] = true
		}
		out[s.File] = s.Quality
	}
	for f := range mixed {
		delete(out, f)
	}
	return out
}

func clusterOf(f *detect.Facts) *ClusterSummary {
	c := f.Cluster
	if c == nil {
		return nil
	}
	groups := f.Groups()
	if len(c.Nodes) == 0 && len(groups) == 0 && !c.Legacy && !c.Modern {
		return nil
	}
	cs := &ClusterSummary{Nodes: append([]string{}, c.Nodes...), Groups: []GroupSummary{}}
	if f.Versions != nil {
		named := f.ClusterNodes()
		for name, nodes := range named {
			if name == "" && len(named) == 1 {
				continue // no cluster is named: the node list says it all
			}
			nodes = slices.Clone(nodes)
			slices.Sort(nodes)
			cs.Names = append(cs.Names, NamedCluster{Name: name, Nodes: nodes})
		}
		slices.SortFunc(cs.Names, func(a, b NamedCluster) int { return strings.Compare(a.Name, b.Name) })
	}
	var kinds []string
	if c.Legacy {
		kinds = append(kinds, "server cluster (Windows 2000/2003)")
	}
	if c.Modern {
		kinds = append(kinds, "failover cluster (Windows 2008 or later)")
	}
	cs.Kind = strings.Join(kinds, " and ")
	for _, g := range groups {
		gs := GroupSummary{Name: g, Exchange: c.IsExchangeGroup(g), Owner: f.OwnerAt(g, f.End)}
		for _, oc := range f.Owners[g] {
			gs.Moves++
			if oc.Kind == detect.MoveUnplanned {
				gs.Failovers++
			}
		}
		cs.Groups = append(cs.Groups, gs)
	}
	return cs
}

func timelineOf(f *detect.Facts, runs []detect.SetupRun, quality map[string]parse.TimeQuality) ([]Entry, int) {
	var out []Entry
	for _, r := range runs {
		e := Entry{Time: r.Start, End: r.End, Kind: KindSetupRun, Node: r.Node, Mode: r.Mode,
			From: r.From, To: r.To, Result: r.Result, Where: r.Evidence.Where(), TimeQuality: quality[r.Evidence.File]}
		if detect.IsClusteredServerMode(r.Mode) {
			e.Kind = KindClusteredServer
			e.Group = clusteredServerOf(f, r)
		}
		if d := r.Duration(); d > 0 {
			e.Duration = d.Round(time.Second).String()
		}
		out = append(out, e)
	}
	out = addEVSUpgrades(f, out, runs, quality)
	for i := range out {
		out[i].Summary = runSummary(out[i])
	}
	var moves []Entry
	for _, g := range f.Groups() {
		for _, oc := range f.Owners[g] {
			e := Entry{Time: oc.Time.UTC(), Kind: KindGroupMove, Node: oc.To, Group: oc.Group, From: oc.From, To: oc.To,
				Where: oc.Evidence.Where(), TimeQuality: quality[oc.Evidence.File]}
			if oc.Kind == detect.MoveUnplanned {
				e.Kind = KindFailover
			}
			e.Summary = moveSummary(oc)
			moves = append(moves, e)
		}
	}
	SortEntries(moves)
	omitted := 0
	if len(moves) > MaxMoves {
		omitted = len(moves) - MaxMoves
		moves = moves[:MaxMoves]
	}
	out = append(out, moves...)
	if c := f.Cluster; c != nil {
		for _, r := range c.Removals {
			e := Entry{Time: r.Time.UTC(), Kind: KindNodeRemoved, Node: r.Node,
				Summary: "Node " + r.Node + " was removed from the cluster membership"}
			if len(r.Reporters) > 0 {
				e.Summary += " (reported by " + strings.Join(r.Reporters, ", ") + ")"
			}
			if len(r.Evidence) > 0 {
				e.Where, e.TimeQuality = r.Evidence[0].Where(), quality[r.Evidence[0].File]
			}
			out = append(out, e)
		}
		for _, q := range c.QuorumLosses {
			e := Entry{Time: q.Time.UTC(), Kind: KindQuorumLost, Summary: "The cluster lost quorum"}
			if len(q.Reporters) > 0 {
				e.Summary += " (reported by " + strings.Join(q.Reporters, ", ") + ")"
			}
			if len(q.Evidence) > 0 {
				e.Where, e.TimeQuality = q.Evidence[0].Where(), quality[q.Evidence[0].File]
			}
			out = append(out, e)
		}
	}
	SortEntries(out)
	return out, omitted
}

// ModeUpgradeEVS is the mode of a timeline entry for Exchange 2000/2003's
// "Upgrade Exchange Virtual Server", which Cluster Administrator starts.
const ModeUpgradeEVS = "upgrade-evs"

// clusteredServerOf names the clustered server a /upgradeCMS-like run
// worked on: /cmsName, else the server the build facts tied the run to,
// else the one Exchange group the node held then, else the bundle's only
// Exchange group.
func clusteredServerOf(f *detect.Facts, r detect.SetupRun) string {
	if r.CMS != "" {
		return r.CMS
	}
	if f.Versions != nil {
		for _, list := range f.Versions.Servers {
			for _, sb := range list {
				if sb.Server != "" && len(sb.Evidence) > 0 && sb.Evidence[0].DocID == r.Evidence.DocID {
					return sb.Server
				}
			}
		}
	}
	exchange := func(gs []string) string {
		found := ""
		for _, g := range gs {
			if f.Cluster.IsExchangeGroup(g) {
				if found != "" {
					return ""
				}
				found = g
			}
		}
		return found
	}
	if !r.Start.IsZero() {
		if g := exchange(f.Hosting(r.Node, r.Start)); g != "" {
			return g
		}
	}
	return exchange(f.Groups())
}

// addEVSUpgrades puts each "Upgrade Exchange Virtual Server" on the
// timeline: the setup run whose lines hold the success message becomes
// that upgrade; one logged outside any run gets an entry of its own.
func addEVSUpgrades(f *detect.Facts, out []Entry, runs []detect.SetupRun, quality map[string]parse.TimeQuality) []Entry {
	if f.Versions == nil {
		return out
	}
	byWhere := map[string]int{}
	for i, e := range out {
		byWhere[e.Where] = i
	}
	var names []string
	for n := range f.Versions.Servers {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		for _, sb := range f.Versions.Servers[n] {
			if sb.Kind != detect.ServerEVSUpgraded || len(sb.Evidence) == 0 {
				continue
			}
			ev := sb.Evidence[0]
			done := false
			for _, r := range runs {
				if r.Evidence.File == ev.File && r.Node == sb.Node && r.Evidence.Line <= ev.Line && ev.Line <= r.LastLine {
					if i, ok := byWhere[r.Evidence.Where()]; ok {
						e := &out[i]
						e.Kind, e.Mode, e.Group = KindClusteredServer, ModeUpgradeEVS, sb.Server
						if sb.Build != "" {
							e.To = sb.Build
						}
						done = true
					}
					break
				}
			}
			if done || sb.Time.IsZero() {
				continue
			}
			out = append(out, Entry{Time: sb.Time.UTC(), Kind: KindClusteredServer, Node: sb.Node, Group: sb.Server,
				Mode: ModeUpgradeEVS, To: sb.Build, Result: detect.RunSucceeded, Where: ev.Where(), TimeQuality: quality[ev.File]})
		}
	}
	return out
}

func runSummary(e Entry) string {
	if e.Kind != KindSetupRun && e.Kind != KindClusteredServer {
		return e.Summary
	}
	var b strings.Builder
	switch {
	case e.Mode == ModeUpgradeEVS:
		b.WriteString("Upgrade Exchange Virtual Server")
		if e.Group != "" {
			b.WriteString(" " + e.Group)
		}
	case e.Kind == KindClusteredServer:
		b.WriteString("Setup /" + e.Mode)
		if e.Group != "" {
			b.WriteString(" for " + e.Group)
		}
	case e.Mode == "":
		b.WriteString("Setup run")
	default:
		b.WriteString("Setup (" + e.Mode + ")")
	}
	switch {
	case e.From != "" && e.To != "" && e.From != e.To:
		b.WriteString(" from " + e.From + " to " + e.To)
	case e.To != "" && e.Kind == KindClusteredServer:
		b.WriteString(" to " + e.To)
	case e.To != "":
		b.WriteString(" of " + e.To)
	case e.From != "":
		b.WriteString(" on " + e.From)
	}
	switch e.Result {
	case detect.RunSucceeded:
		b.WriteString(" succeeded")
	case detect.RunFailed:
		b.WriteString(" failed")
	default:
		b.WriteString(" did not finish")
	}
	if e.Duration != "" {
		b.WriteString(" after " + e.Duration)
	}
	return b.String()
}

func moveSummary(oc detect.OwnerChange) string {
	s := "Group " + oc.Text()
	switch {
	case oc.Why != "":
		s += " (" + oc.Why + ")"
	case oc.MoveType != "":
		s += " (" + oc.MoveType + ")"
	}
	return s
}

// kindRank orders entries of the same time: what caused a thing before it.
func kindRank(k string) int {
	return slices.Index([]string{KindSetupRun, KindClusteredServer, KindNodeRemoved, KindQuorumLost,
		KindFailover, KindGroupMove, KindFinding}, k)
}

// SortEntries orders a timeline by time (untimed entries last), then by
// kind, node, group and evidence, so that the same bundle always gives
// the same order.
func SortEntries(es []Entry) {
	slices.SortStableFunc(es, func(a, b Entry) int {
		if c := detect.TimeOrder(a.Time, b.Time); c != 0 {
			return c
		}
		if c := kindRank(a.Kind) - kindRank(b.Kind); c != 0 {
			return c
		}
		if c := findingNumber(a.Finding) - findingNumber(b.Finding); c != 0 {
			return c
		}
		for _, p := range [][2]string{{a.Node, b.Node}, {a.Group, b.Group}, {a.Where, b.Where}} {
			if c := strings.Compare(p[0], p[1]); c != 0 {
				return c
			}
		}
		return strings.Compare(a.Summary, b.Summary)
	})
}

// findingNumber reads the number of a finding ID ("F12" -> 12).
func findingNumber(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "F"))
	return n
}
