package detect

import (
	"slices"
	"strings"
	"time"

	"github.com/exlog/exlog/parse"
)

// Facts are derived once per bundle from its events and shared by every
// detector and by the node inventory of triage and report output.
type Facts struct {
	// Start and End bound the timed events of the bundle.
	Start, End time.Time
	// Nodes are the servers seen, sorted by name.
	Nodes []*Node
	// Owners holds each group's owner changes in time order, by group name.
	Owners map[string][]OwnerChange
	// Cluster holds the rest of what the cluster logs and events say
	// (owners.go).
	Cluster *ClusterFacts
	// Versions holds the builds of the clustered servers themselves, the
	// Windows builds of cluster nodes and which cluster each node belongs
	// to (buildfacts.go).
	Versions *VersionFacts
	// Stories are the rolling upgrades the bundle shows, one per cluster,
	// checked against the documented procedure (story.go).
	Stories []*Story
}

// Node is what the bundle says about one server.
type Node struct {
	Name string `json:"name"`
	// Builds lists every Exchange build observed on the node, in time
	// order (observations without a time last).
	Builds []BuildObs `json:"builds"`
	// Sources counts the node's events per source format.
	Sources map[string]int `json:"sources"`
}

// BuildObs is one observation of a node's Exchange build.
type BuildObs struct {
	Time    time.Time `json:"time,omitzero"`
	Build   string    `json:"build"`
	Release string    `json:"release,omitempty"`
	// Kind says what the observation means; see the Build* constants in
	// buildfacts.go.
	Kind string `json:"kind"`
	// Mode is the setup mode for setup observations ("Upgrade", "Install").
	Mode string `json:"mode,omitempty"`
	// TimeQuality says how far Time can be trusted ("none" for registry
	// values, which hold at collection).
	TimeQuality parse.TimeQuality `json:"time_quality,omitempty"`
	// Note says what an attempt means: "upgrade to 15.1.2106.2 failed at
	// 2021-03-11T12:06:23Z". A failed or incomplete upgrade leaves the
	// previous build in place; the note is shown beside it.
	Note string `json:"note,omitempty"`
	// Evidence is the line or record that decided the observation (for a
	// setup run, the line that decided its outcome); Stated, when set, is
	// the line that names the build ("Setup version: ...").
	Evidence Evidence  `json:"evidence"`
	Stated   *Evidence `json:"stated,omitempty"`
	// Also lists the same observation read from other copies of a log (a
	// .bak, the same file in two archives); it counts once.
	Also []Evidence `json:"also,omitempty"`
}

// factSelect picks the events DeriveFacts reads; they are kept whatever
// the detectors select.
func factSelect(e *parse.Event) bool {
	switch {
	case e.Kind == parse.KindSetupRun:
		return true
	case storySelect(e):
		return true
	case len(e.Facts) > 0:
		return true
	case clusterSelect(e):
		return true
	case e.Source == parse.SourceRegistry:
		switch strings.ToLower(e.Field(parse.KeyValueName)) {
		case "configuredversion", "unpackedversion":
			return true
		}
	case e.Field(parse.KeyVersion) != "" && (e.Source == parse.SourceEVTX || e.Source == parse.SourceEVT):
		return true // claimsFromFields reads events without facts
	}
	return versionSelect(e)
}

// DeriveFacts computes the facts from events sorted by SortEvents.
func DeriveFacts(events []*parse.Event) *Facts {
	f := &Facts{Owners: map[string][]OwnerChange{}, Cluster: newClusterFacts(), Versions: newVersionFacts()}
	nodes := map[string]*Node{}
	node := func(name string) *Node {
		name = parse.ShortNode(name)
		n := nodes[name]
		if n == nil {
			n = &Node{Name: name, Sources: map[string]int{}}
			nodes[name] = n
		}
		return n
	}
	copies := DuplicateRuns(events)
	for _, e := range events {
		if copies[e] {
			continue // a copy of a run read from another file counts once
		}
		if !e.Time.IsZero() && e.TimeQuality.DateKnown() {
			if f.Start.IsZero() || e.Time.Before(f.Start) {
				f.Start = e.Time
			}
			if e.Time.After(f.End) {
				f.End = e.Time
			}
		}
		f.addClusterEvent(e)
		f.addVersionEvent(e)
		if e.Node == "" {
			continue
		}
		n := node(e.Node)
		for _, b := range buildsOf(e) {
			n.addBuild(b)
		}
	}
	f.finishCluster()
	for _, n := range nodes {
		slices.SortStableFunc(n.Builds, func(a, b BuildObs) int { return TimeOrder(a.Time, b.Time) })
		f.Nodes = append(f.Nodes, n)
	}
	slices.SortFunc(f.Nodes, func(a, b *Node) int { return strings.Compare(a.Name, b.Name) })
	f.finishVersions()
	f.Stories = buildStories(events, f)
	return f
}

// CountSources adds every event's source to its node's counts. It is kept
// apart from DeriveFacts because it must see all events, not only the
// selected ones; the pipeline calls it as events stream by.
func (f *Facts) CountSources(counts map[string]map[string]int) {
	have := map[string]*Node{}
	for _, n := range f.Nodes {
		have[n.Name] = n
	}
	for name, bySource := range counts {
		n := have[name]
		if n == nil {
			n = &Node{Name: name, Sources: map[string]int{}}
			f.Nodes = append(f.Nodes, n)
			have[name] = n
		}
		for s, c := range bySource {
			n.Sources[s] += c
		}
	}
	slices.SortFunc(f.Nodes, func(a, b *Node) int { return strings.Compare(a.Name, b.Name) })
}

// Node returns the named node's facts, or nil.
func (f *Facts) Node(name string) *Node {
	name = parse.ShortNode(name)
	for _, n := range f.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// addBuild adds an observation unless the node already has the same one
// from a copy of the same log or record (same kind, build, time and
// quoted text): a log collected twice counts once.
func (n *Node) addBuild(b BuildObs) {
	for i := range n.Builds {
		o := &n.Builds[i]
		if o.Kind == b.Kind && o.Build == b.Build && o.Time.Equal(b.Time) && o.Mode == b.Mode && o.Evidence.Text == b.Evidence.Text &&
			o.Evidence.Line == b.Evidence.Line {
			if o.Evidence.File != b.Evidence.File {
				o.Also = append(o.Also, b.Evidence)
			}
			return
		}
	}
	n.Builds = append(n.Builds, b)
}
