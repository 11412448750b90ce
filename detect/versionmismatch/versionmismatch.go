// Package versionmismatch flags Exchange and Windows build differences
// between the nodes of a cluster. The case that breaks service is the one
// documented for rolling upgrades: a clustered server (an Exchange 2003
// virtual server raised with "Upgrade Exchange Virtual Server", an Exchange
// 2007 clustered mailbox server raised with /upgradeCMS) is moved or fails
// over to a node whose binaries are older, and its resources will not come
// online there. Builds that still differ when the bundle ends, and Windows
// builds that differ between nodes, are reported as warnings; a difference
// that an upgrade window opened and closed within the bundle is normal and
// is not reported.
//
// The build timeline comes from the shared facts (detect/buildfacts.go):
// setup runs, MSExchangeSetup 1000/1001, ESE 100 engine versions, registry
// ConfiguredVersion values, version banners, and the clustered servers'
// own upgrades. Builds are compared on major.minor.build, the part every
// source writes the same way.
//
// Finding details: for a documented failure, server, node, server_build,
// server_release, node_build, node_release (or "unknown"), upgraded_on,
// upgraded_at, moved_at and move_kind where known; for differences at the
// end, cluster and one <NODE>_build entry per node; for Windows,
// cluster and one <NODE>_windows entry per node.
package versionmismatch

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/builds"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

// References behind the checks.
const (
	refRollingUpgrade = "Windows IT Pro: Exchange 2003 Clusters: Rolling Upgrades (InstantDoc 46335)"
	refKB867624       = "KB 867624"
	refCCRUpgrade     = "Exchange 2007 SP1 on clustered mailbox servers: setup.com /mode:upgrade, then /upgradeCMS"
	refOSMismatch     = "ExBPA: cluster nodes with different Windows versions (HKLM\\Cluster\\Nodes\\<n>\\BuildNumber)"
)

// Detector is the version-mismatch detector.
var Detector = &detect.Detector{
	ID:    "version-mismatch",
	Title: "Cluster nodes on different Exchange or Windows builds",
	Doc: "Builds each node's Exchange build over time and each clustered server's own build, and flags " +
		"the documented rolling-upgrade failure: a virtual server or clustered mailbox server already " +
		"upgraded to a newer build moved or failed over to a node still on an older build, where it cannot " +
		"come online (error, naming the older node). Nodes of one cluster that are still on different " +
		"Exchange builds when the bundle ends, and nodes on different Windows builds, are warnings; an " +
		"upgrade window that closed within the bundle is not reported.",
	Looks: "setup-run summaries, MSExchangeSetup 1000/1001, ESE 100, registry ConfiguredVersion/UnpackedVersion, " +
		"version banners, \"Upgrade Exchange Virtual Server\" lines, successful /upgradeCMS runs, the owner " +
		"timeline and resource failures, \"Version of Exchange on this machine does not match\", cluster hive " +
		"and inventory BuildNumber, events 1546-1548",
	References: []string{refRollingUpgrade, refKB867624, refCCRUpgrade, refOSMismatch},
	Select:     selectEvent,
	Run:        run,
}

// mismatchIn returns the version-mismatch fact an event carries: the
// cluster-log and event-log parsers read Exchange's wording ("Version of
// Exchange on this machine does not match the version of Exchange server
// X") into a facts.VersionMismatch.
func mismatchIn(e *parse.Event) (server string, ok bool) {
	for _, f := range facts.Of[facts.VersionMismatch](e) {
		return f.Server, true
	}
	return "", false
}

// selectEvent keeps the mismatch wording, the cluster's own version
// events (1546-1548) and the setup runs that show when a node was
// upgraded; everything else comes from the facts.
func selectEvent(e *parse.Event) bool {
	switch {
	case e.Kind == parse.KindSetupRun:
		return true
	case e.Field(parse.KeyAction) == "version-mismatch":
		return true
	}
	_, ok := mismatchIn(e)
	return ok
}

func run(p *detect.Pass) error {
	f := p.Facts
	eps := documentedFailures(p)
	for _, ep := range eps {
		p.Report(ep.finding(f))
	}
	for _, fd := range endDifferences(f) {
		p.Report(fd)
	}
	for _, fd := range windowsDifferences(p) {
		p.Report(fd)
	}
	return nil
}

// Windows of time that tie lines to one episode.
const (
	// failureWindow: how long after a server arrives on a node its
	// resources failing there count as the arrival's failure (the
	// default pending timeout is three minutes; the store takes longer).
	failureWindow = 30 * time.Minute
	// episodeGap: checkpoints of the same server and node this close
	// together are one episode.
	episodeGap = time.Hour
	// lookBack: how far before a mismatch line its move may be.
	lookBack = 15 * time.Minute
)

// episode is one documented failure: a clustered server meeting a node
// with older binaries.
type episode struct {
	server, node string
	start, end   time.Time
	texts        []*parse.Event
	move         *detect.OwnerChange
	sb           *detect.ServerBuild
	nb           *detect.BuildObs
	failures     []detect.GroupObs
	laterRun     *parse.Event
	// nodeWhy says how node was decided.
	nodeWhy string
}

// targetNode decides which node a mismatch line is about. The node whose
// log holds the line is not necessarily it: Cluster Administrator runs
// anywhere, and a node logs the failure of a group it is sending away. In
// order: the target of the server's move just before the line, a node the
// line names whose build is older than the server's, the node that
// logged it.
func targetNode(f *detect.Facts, e *parse.Event, server, named string) (node, why string) {
	logged := parse.ShortNode(e.Node)
	if server != "" && !e.Time.IsZero() {
		if oc, ok := f.LastMove(server, e.Time, lookBack); ok && !strings.HasPrefix(oc.To, "#") {
			why = fmt.Sprintf("%s is the target of the move of %s at %s (move timeline)", oc.To, server, clock(oc.Time, oc.Evidence.TimeQuality))
			if oc.To != logged {
				why += "; the line itself was logged on " + logged
			}
			return oc.To, why
		}
	}
	if n := parse.ShortNode(named); n != "" && n != logged && f.Node(n) != nil {
		if sb, ok := f.Versions.ServerBuildAt(server, e.Time); ok {
			if b, ok := f.Node(n).BuildAt(e.Time); ok && older(b.Build, sb.Build) {
				return n, fmt.Sprintf("%s is named in the line and ran the older build %s", n, b.Build)
			}
		}
	}
	if logged == "" {
		return "", ""
	}
	return logged, logged + " is the node whose log holds the line; no move of the server shortly before it was found"
}

func (ep *episode) add(t time.Time) {
	if ep.start.IsZero() || t.Before(ep.start) {
		ep.start = t
	}
	if t.After(ep.end) {
		ep.end = t
	}
}

// documentedFailures finds the episodes from the mismatch wording and
// from moves of upgraded servers to older nodes that then failed.
func documentedFailures(p *detect.Pass) []*episode {
	f := p.Facts
	var eps []*episode
	find := func(server, node string, t time.Time) *episode {
		for _, ep := range eps {
			if ep.node != node || (server != "" && ep.server != "" && !strings.EqualFold(ep.server, server)) {
				continue
			}
			if t.Sub(ep.end) <= episodeGap && ep.start.Sub(t) <= episodeGap {
				if ep.server == "" {
					ep.server = server
				}
				return ep
			}
		}
		ep := &episode{server: server, node: node}
		eps = append(eps, ep)
		return ep
	}
	var runs []*parse.Event
	for _, e := range p.Events {
		if e.Kind == parse.KindSetupRun {
			runs = append(runs, e)
			continue
		}
		named, ok := mismatchIn(e)
		if !ok {
			continue
		}
		server := serverOf(f, e, named)
		node, why := targetNode(f, e, server, named)
		if node == "" {
			continue // neither the move timeline nor the bundle names a node
		}
		ep := find(server, node, e.Time)
		if ep.nodeWhy == "" {
			ep.nodeWhy = why
		}
		ep.texts = append(ep.texts, e)
		ep.add(e.Time)
	}
	// Moves (and failures) of servers whose upgrade the bundle shows, onto
	// nodes whose binaries were older at the time.
	servers := make([]string, 0, len(f.Versions.Servers))
	for s := range f.Versions.Servers {
		if s != "" {
			servers = append(servers, s)
		}
	}
	sort.Strings(servers)
	for _, s := range servers {
		list := f.Owners[s]
		for i := range list {
			oc := &list[i]
			sb, ok := f.Versions.ServerBuildAt(s, oc.Time)
			if !ok {
				continue
			}
			next := oc.Time.Add(failureWindow)
			if i+1 < len(list) && list[i+1].Time.Before(next) {
				next = list[i+1].Time
			}
			fails := failuresOn(f, s, oc.To, oc.Time, next)
			nb, older := olderNode(f, oc.To, oc.Time, sb.Build, fails)
			if !older {
				continue
			}
			texts := false
			for _, ep := range eps {
				if ep.node == oc.To && len(ep.texts) > 0 && !ep.start.Before(oc.Time.Add(-time.Minute)) && ep.start.Before(next.Add(time.Minute)) {
					texts = true
				}
			}
			if len(fails) == 0 && !texts {
				continue // no sign it went wrong; the older build may be stale
			}
			ep := find(s, oc.To, oc.Time)
			ep.add(oc.Time)
			ep.move = oc
			sbc := sb
			ep.sb = &sbc
			if nb.Build != "" {
				ep.nb = &nb
			}
			ep.failures = append(ep.failures, fails...)
			for _, o := range fails {
				ep.add(o.Time)
			}
		}
	}
	// Fill in what the text-only episodes lack.
	for _, ep := range eps {
		t := ep.start
		if ep.server == "" {
			ep.server = exchangeGroupAt(f, ep.node, t)
		}
		if ep.move == nil && ep.server != "" {
			if oc, ok := f.LastMoveTo(ep.server, ep.node, t); ok && t.Sub(oc.Time) <= lookBack {
				ep.move = &oc
				ep.add(oc.Time)
			}
		}
		at := t
		if ep.move != nil {
			at = ep.move.Time
		}
		if ep.sb == nil && ep.server != "" {
			if sb, ok := f.Versions.ServerBuildAt(ep.server, at); ok {
				ep.sb = &sb
			}
		}
		if ep.nb == nil {
			if n := f.Node(ep.node); n != nil {
				if b, ok := n.BuildAt(at); ok {
					if ep.sb == nil || older(b.Build, ep.sb.Build) {
						ep.nb = &b
					}
				}
			}
		}
		if len(ep.failures) == 0 && ep.server != "" {
			ep.failures = failuresOn(f, ep.server, ep.node, at.Add(-time.Minute), ep.end.Add(failureWindow))
			for _, o := range ep.failures {
				ep.add(o.Time)
			}
		}
		// The node's own upgrade later in the bundle dates the move as
		// having come too early.
		for _, r := range runs {
			if parse.ShortNode(r.Node) == ep.node && r.Time.After(ep.end) && r.Field(parse.KeyResult) == "success" {
				ep.laterRun = r
				break
			}
		}
	}
	return eps
}

// serverOf names the clustered server a mismatch line is about: the
// event's group, the group of its resource, the server the text names
// when that is a known group, else the Exchange group the node held.
func serverOf(f *detect.Facts, e *parse.Event, named string) string {
	if g := e.Field(parse.KeyGroup); g != "" {
		return g
	}
	if r := e.Field(parse.KeyResource); r != "" {
		if g := f.Cluster.GroupOf(r); g != "" {
			return g
		}
	}
	if named != "" {
		for _, g := range f.Groups() {
			if strings.EqualFold(g, named) {
				return g
			}
		}
	}
	if g := exchangeGroupAt(f, parse.ShortNode(e.Node), e.Time); g != "" {
		return g
	}
	// The upgraded server that moved last, shortly before the line.
	best, bestT := "", time.Time{}
	for g := range f.Versions.Servers {
		if g == "" {
			continue
		}
		if oc, ok := f.LastMove(g, e.Time, lookBack); ok && oc.Time.After(bestT) {
			best, bestT = g, oc.Time
		}
	}
	return best
}

// exchangeGroupAt is the one Exchange group a node held at t, or "".
func exchangeGroupAt(f *detect.Facts, node string, t time.Time) string {
	var found string
	for _, g := range f.Hosting(node, t) {
		if !f.Cluster.IsExchangeGroup(g) && len(f.Versions.Servers[g]) == 0 {
			continue
		}
		if found != "" {
			return ""
		}
		found = g
	}
	return found
}

// failuresOn returns what the node logged about the group failing between
// from and to.
func failuresOn(f *detect.Facts, group, node string, from, to time.Time) []detect.GroupObs {
	var out []detect.GroupObs
	for _, o := range f.Cluster.Observations[group] {
		if o.Node == node && !o.Time.Before(from) && !o.Time.After(to) {
			out = append(out, o)
		}
	}
	return out
}

func older(a, b string) bool {
	c, ok := detect.CompareBuilds(a, b)
	return ok && c < 0
}

// olderNode reports whether node ran binaries older than build at t. A
// newer build the node shows after t and before its first failure there
// means the older observation was stale (the node was upgraded in
// between without the bundle showing it).
func olderNode(f *detect.Facts, node string, t time.Time, build string, fails []detect.GroupObs) (detect.BuildObs, bool) {
	n := f.Node(node)
	if n == nil {
		return detect.BuildObs{}, false
	}
	b, ok := n.BuildAt(t)
	if !ok || !older(b.Build, build) {
		return b, false
	}
	var firstFail time.Time
	if len(fails) > 0 {
		firstFail = fails[0].Time
	}
	for _, a := range n.BuildsAfter(t) {
		if !firstFail.IsZero() && a.Time.After(firstFail) {
			break
		}
		if !older(a.Build, build) {
			return b, false
		}
	}
	return b, true
}

func describe(build string) string {
	if build == "" {
		return "an unknown build"
	}
	return builds.Describe(build)
}

// clock writes a time for an explanation as far as its quality allows: a
// date assumed from a file time is not stated as a fact.
func clock(t time.Time, q parse.TimeQuality) string {
	if t.IsZero() {
		return "(time unknown)"
	}
	return detect.When(t, q)
}

// qualityOf is the time quality of the first piece of evidence.
func qualityOf(evs []detect.Evidence) parse.TimeQuality {
	if len(evs) == 0 {
		return ""
	}
	return evs[0].TimeQuality
}

// finding writes up one documented failure.
func (ep *episode) finding(f *detect.Facts) detect.Finding {
	server := ep.server
	what := "the clustered server"
	if server != "" {
		what = server
	}
	kind := "virtual server"
	if ep.sb != nil && ep.sb.Kind != detect.ServerEVSUpgraded {
		kind = "clustered mailbox server"
	}
	d := map[string]string{"node": ep.node}
	if server != "" {
		d["server"] = server
	}
	var ev []detect.Evidence
	var why []string

	nodeBuild := "older binaries"
	if ep.nb != nil {
		nodeBuild = describe(ep.nb.Build)
		d["node_build"], d["node_release"] = ep.nb.Build, ep.nb.Release
	} else {
		d["node_build"] = "unknown"
	}
	if ep.sb != nil {
		d["server_build"], d["server_release"] = ep.sb.Build, ep.sb.Release
		d["upgraded_on"] = ep.sb.Node
		if !ep.sb.Time.IsZero() {
			d["upgraded_at"] = ep.sb.Time.UTC().Format(time.RFC3339)
		}
		how := "raised to " + describe(ep.sb.Build)
		switch ep.sb.Kind {
		case detect.ServerEVSUpgraded:
			how = "upgraded with \"Upgrade Exchange Virtual Server\" to " + describe(ep.sb.Build)
		case detect.ServerCMSUpgraded:
			how = "upgraded with setup /upgradeCMS to " + describe(ep.sb.Build)
		}
		why = append(why, fmt.Sprintf("%s was %s on %s at %s.", what, how, ep.sb.Node, clock(ep.sb.Time, qualityOf(ep.sb.Evidence))))
		ev = append(ev, ep.sb.Evidence...)
	}
	if ep.move != nil {
		d["moved_at"] = ep.move.Time.UTC().Format(time.RFC3339)
		d["move_kind"] = ep.move.Kind
		from := ""
		if ep.move.From != "" {
			from = " from " + ep.move.From
		}
		how := "moved"
		if ep.move.Kind == detect.MoveUnplanned {
			how = "failed over"
		}
		s := fmt.Sprintf("At %s it was %s%s to %s", clock(ep.move.Time, ep.move.Evidence.TimeQuality), how, from, ep.node)
		if ep.nb != nil {
			s += fmt.Sprintf(", whose Exchange binaries were %s (%s)", nodeBuild, sourceText(*ep.nb))
		} else {
			s += ", whose Exchange build the bundle does not show before this point"
		}
		why = append(why, s+".")
		ev = append(ev, ep.move.AllEvidence()...)
	} else if ep.nb != nil {
		why = append(why, fmt.Sprintf("%s ran %s at the time (%s).", ep.node, nodeBuild, sourceText(*ep.nb)))
	}
	if ep.nb != nil {
		ev = append(ev, ep.nb.Evidence)
	}
	for _, e := range ep.texts {
		ev = append(ev, detect.EvidenceOf(e))
	}
	if len(ep.texts) > 0 {
		why = append(why, fmt.Sprintf("%s then logged that the version of Exchange on the machine does not match the version of the Exchange server.", ep.node))
	}
	if len(ep.failures) > 0 {
		var res []string
		for _, o := range ep.failures {
			ev = append(ev, o.Evidence)
			if o.Resource != "" && !slices.Contains(res, o.Resource) {
				res = append(res, o.Resource)
			}
		}
		s := fmt.Sprintf("%d failure line(s) followed on %s", len(ep.failures), ep.node)
		if len(res) > 0 {
			s += " (" + strings.Join(res, ", ") + ")"
		}
		why = append(why, s+".")
	}
	if ep.nodeWhy == "" && ep.move != nil {
		ep.nodeWhy = fmt.Sprintf("%s is the target of the move of %s at %s (move timeline)", ep.node, what, clock(ep.move.Time, ep.move.Evidence.TimeQuality))
	}
	if ep.nodeWhy != "" {
		why = append(why, "How the node was decided: "+ep.nodeWhy+".")
		d["node_decided_by"] = ep.nodeWhy
	}
	if ep.laterRun != nil {
		why = append(why, fmt.Sprintf("%s ran Exchange setup successfully only later, at %s, which fits a node that had not been upgraded yet.", ep.node, clock(ep.laterRun.Time, ep.laterRun.TimeQuality)))
		ev = append(ev, detect.EvidenceOf(ep.laterRun))
		d["node_upgraded_later_at"] = ep.laterRun.Time.UTC().Format(time.RFC3339)
	}
	expl := strings.Join(why, " ") + " " + fmt.Sprintf(
		"Once a %s has been upgraded, its configuration in Active Directory carries the new build, and "+
			"only nodes whose own binaries are at least that build can run it: on an older node its System "+
			"Attendant and the resources that depend on it do not come online. During a rolling upgrade the "+
			"upgraded server must stay on upgraded nodes until every node has the new build.", kind)
	how := "install the same service pack there (for Exchange 2003 SP1, Windows hotfix 831464 first)"
	if kind != "virtual server" {
		how = "run setup.com /mode:upgrade there from the same service pack"
	}
	rem := fmt.Sprintf("Move %s back to a node that already runs the new build and bring its resources online. "+
		"Until %s is upgraded, keep it out of the possible owners of %s's resources so the cluster cannot "+
		"fail the server over to it. Upgrade the node's binaries first (%s on %s), then move %s; never move an "+
		"upgraded %s to a node on an older build.",
		what, ep.node, what, how, ep.node, what, kind)
	summary := fmt.Sprintf("%s, upgraded to %s, was brought to %s, which runs %s", what, buildShort(ep.sb), ep.node, nodeShort(ep.nb))
	groups := []string{}
	if server != "" {
		groups = append(groups, server)
	}
	refs := []string{refRollingUpgrade, refKB867624}
	if kind != "virtual server" {
		refs = []string{refCCRUpgrade}
	}
	conf, confWhy := detect.ConfidenceHigh, ""
	switch {
	case ep.nb == nil:
		conf, confWhy = detect.ConfidenceMedium, "the node's Exchange build before the move is not in the bundle; the mismatch rests on Exchange's own message"
	case ep.move == nil && len(ep.texts) > 0 && ep.texts[0].NodeFrom == parse.NodeFromLayout:
		conf, confWhy = detect.ConfidenceLow, "no move of the server onto the node was found; the node is the one whose log holds the line, named only by the bundle's folder layout"
	case ep.move == nil:
		conf, confWhy = detect.ConfidenceMedium, "no move of the server onto the node was found; the node is the one whose log holds the line"
	case ep.move.Guessed:
		conf, confWhy = detect.ConfidenceMedium, "the move rests on Windows 2003 [FM] wording, whose shape no public sample confirms"
	}
	return detect.Finding{
		Confidence: conf, ConfidenceReason: confWhy,
		Severity: detect.Error, Cause: "moved-to-older-node",
		Nodes: []string{ep.node}, Groups: groups, Start: ep.start, End: ep.end,
		Summary: summary, Explanation: expl, Remediation: rem, References: refs,
		Evidence: detect.DedupeEvidence(ev), Details: d,
	}
}

func buildShort(sb *detect.ServerBuild) string {
	if sb == nil || sb.Build == "" {
		return "a newer build"
	}
	return describe(sb.Build)
}

func nodeShort(nb *detect.BuildObs) string {
	if nb == nil {
		return "an older Exchange build"
	}
	return "the older " + describe(nb.Build)
}

// sourceTexts say where a build observation came from, by its kind.
var sourceTexts = map[string]string{
	detect.BuildSetupSucceeded:      "setup completed",
	detect.BuildPrevious:            "the build a later setup run started from",
	detect.BuildInstalled:           "setup's locally installed version",
	detect.BuildRegistry:            "registry ConfiguredVersion",
	detect.BuildEvent:               "engine version in an event",
	detect.BuildBanner:              "version banner",
	detect.BuildSetupEventSucceeded: "MSExchangeSetup 1001",
}

// sourceText says where a build observation came from, and when.
func sourceText(b detect.BuildObs) string {
	s, ok := sourceTexts[b.Kind]
	if !ok {
		s = b.Kind
	}
	if !b.Time.IsZero() {
		s += ", " + clock(b.Time, b.TimeQuality)
	}
	return s
}

// endDifferences reports clusters whose nodes are on different Exchange
// builds at the end of the bundle.
func endDifferences(f *detect.Facts) []detect.Finding {
	var out []detect.Finding
	clusters := f.ClusterNodes()
	names := slices.Sorted(maps.Keys(clusters))
	for _, c := range names {
		type nodeBuild struct {
			node string
			b    detect.BuildObs
		}
		var known []nodeBuild
		keys := map[string][]string{}
		for _, n := range clusters[c] {
			node := f.Node(n)
			if node == nil {
				continue
			}
			b, ok := node.Current()
			if !ok || detect.BuildKey(b.Build) == "" {
				continue
			}
			known = append(known, nodeBuild{n, b})
			k := detect.BuildKey(b.Build)
			keys[k] = append(keys[k], n)
		}
		if len(keys) < 2 {
			continue
		}
		// The newest build and the nodes behind it.
		var newest string
		for k := range keys {
			if newest == "" || older(newest, k) {
				newest = k
			}
		}
		var behind, ahead []string
		d := map[string]string{}
		if c != "" {
			d["cluster"] = c
		}
		var ev []detect.Evidence
		var parts []string
		var start, end time.Time
		for _, nb := range known {
			d[nb.node+"_build"] = nb.b.Build
			parts = append(parts, fmt.Sprintf("%s %s (%s)", nb.node, describe(nb.b.Build), sourceText(nb.b)))
			ev = append(ev, nb.b.Evidence)
			if detect.BuildKey(nb.b.Build) == newest {
				ahead = append(ahead, nb.node)
				// The window opened when the newest build first showed.
				if first := firstSeen(f.Node(nb.node), newest); !first.IsZero() && (start.IsZero() || first.Before(start)) {
					start = first
				}
			} else {
				behind = append(behind, nb.node)
			}
			if nb.b.Time.After(end) {
				end = nb.b.Time
			}
		}
		if f.End.After(end) {
			end = f.End
		}
		nodes := append(append([]string{}, ahead...), behind...)
		expl := "The latest Exchange build the bundle shows for each node of the cluster: " + strings.Join(parts, "; ") +
			". " + strings.Join(behind, ", ") + " " + isAre(len(behind)) + " behind " + strings.Join(ahead, ", ") +
			". Different builds are expected only while a rolling upgrade is in progress; left in place, a clustered " +
			"server upgraded on the newer nodes cannot fail over to the older ones, and the cluster loses the redundancy " +
			"it is built for. If the upgrade finished after the bundle was collected, the difference is only in the data."
		rem := "Finish the upgrade: upgrade " + strings.Join(behind, ", ") + " to " + describe(newest) +
			" one node at a time, with the clustered servers moved off the node being upgraded. Until then keep the " +
			"older nodes out of the possible owners of upgraded clustered servers. Confirm each node's build " +
			"(ExSetup.exe file version, or the build the Exchange management tools show) before closing the case."
		out = append(out, detect.Finding{
			Confidence: detect.ConfidenceHigh,
			Severity:   detect.Warning, Cause: "builds-differ-at-end",
			Nodes: nodes, Groups: []string{}, Start: start, End: end,
			Summary: fmt.Sprintf("Cluster nodes end on different Exchange builds: %s behind %s (%s)",
				strings.Join(behind, ", "), strings.Join(ahead, ", "), describe(newest)),
			Explanation: expl, Remediation: rem, Evidence: detect.DedupeEvidence(ev), Details: d,
			References: []string{refRollingUpgrade, refCCRUpgrade},
		})
	}
	return out
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// firstSeen returns when a node first showed a build (major.minor.build).
func firstSeen(n *detect.Node, key string) time.Time {
	if n == nil {
		return time.Time{}
	}
	for _, b := range n.Builds {
		if b.Installed() && !b.Time.IsZero() && detect.BuildKey(b.Build) == key {
			return b.Time
		}
	}
	return time.Time{}
}

// windowsDifferences reports clusters whose nodes run different Windows
// builds, and the cluster service's own version events.
func windowsDifferences(p *detect.Pass) []detect.Finding {
	f := p.Facts
	clusters := f.ClusterNodes()
	clusterOf := map[string]string{}
	for c, nodes := range clusters {
		for _, n := range nodes {
			clusterOf[n] = c
		}
	}
	events := map[string][]*parse.Event{}
	for _, e := range p.Events {
		if e.Field(parse.KeyAction) == "version-mismatch" {
			c := clusterOf[parse.ShortNode(e.Node)]
			events[c] = append(events[c], e)
		}
	}
	names := map[string]bool{}
	for c := range clusters {
		names[c] = true
	}
	for c := range events {
		names[c] = true
	}
	sorted := slices.Sorted(maps.Keys(names))
	var out []detect.Finding
	for _, c := range sorted {
		var reps []detect.WindowsBuild
		for _, n := range clusters[c] {
			if w, ok := representative(f.Versions.Windows[n]); ok {
				reps = append(reps, w)
			}
		}
		differ := false
		for i := 1; i < len(reps); i++ {
			if !reps[0].SameAs(reps[i]) {
				differ = true
			}
		}
		if !differ && len(events[c]) == 0 {
			continue
		}
		d := map[string]string{}
		if c != "" {
			d["cluster"] = c
		}
		var ev []detect.Evidence
		var parts, nodes []string
		for _, w := range reps {
			d[w.Node+"_windows"] = w.String()
			parts = append(parts, fmt.Sprintf("%s %s (%s)", w.Node, w.String(), w.Source))
			nodes = append(nodes, w.Node)
			ev = append(ev, w.Evidence...)
		}
		var start, end time.Time
		for _, e := range events[c] {
			ev = append(ev, detect.EvidenceOf(e))
			if n := e.Field(parse.KeyTargetNode); n != "" {
				nodes = append(nodes, n)
			}
			nodes = append(nodes, e.Node)
			if !e.Time.IsZero() {
				if start.IsZero() || e.Time.Before(start) {
					start = e.Time
				}
				if e.Time.After(end) {
					end = e.Time
				}
			}
		}
		var expl string
		summary := "Cluster nodes run different Windows builds"
		if differ {
			expl = "The nodes' Windows versions as the cluster configuration and inventories record them: " +
				strings.Join(parts, "; ") + ". "
			summary += ": " + strings.Join(parts, ", ")
		} else {
			summary = "The cluster service reported nodes on different Windows or cluster service versions"
			expl = "The bundle does not record each node's Windows build, but the cluster service logged that nodes run different versions. "
		}
		if len(events[c]) > 0 {
			expl += fmt.Sprintf("The cluster service logged %d version event(s) (1546-1548) about nodes on different or incompatible versions. ", len(events[c]))
		}
		expl += "A cluster is meant to run one Windows build on every node. Mixed builds are a passing state of a " +
			"rolling Windows update; while it lasts, groups are only safe failing over from older nodes to newer " +
			"ones, and Exchange setup and support assume matching nodes."
		rem := "Bring every node to the same Windows service pack and updates, one node at a time with its groups " +
			"moved away, and check the nodes' BuildNumber under HKLM\\Cluster\\Nodes afterwards."
		out = append(out, detect.Finding{
			Confidence: detect.ConfidenceHigh,
			Severity:   detect.Warning, Cause: "windows-builds-differ",
			Nodes: nodes, Groups: []string{}, Start: start, End: end,
			Summary: summary, Explanation: expl, Remediation: rem, Evidence: detect.DedupeEvidence(ev), Details: d,
			References: []string{refOSMismatch},
		})
	}
	return out
}

// representative picks the node's Windows build to compare: the most
// complete observation (major and minor known), the highest build first.
func representative(ws []detect.WindowsBuild) (detect.WindowsBuild, bool) {
	if len(ws) == 0 {
		return detect.WindowsBuild{}, false
	}
	best := ws[0]
	for _, w := range ws[1:] {
		switch {
		case w.Build > best.Build:
			best = w
		case w.Build == best.Build && best.Major < 0 && w.Major >= 0:
			best = w
		case w.Build == best.Build && !best.HasCSD && w.HasCSD:
			best = w
		}
	}
	// Evidence from every source that agrees with it.
	var ev []detect.Evidence
	for _, w := range ws {
		if w.SameAs(best) {
			ev = append(ev, w.Evidence...)
		}
	}
	best.Evidence = ev
	return best, true
}
