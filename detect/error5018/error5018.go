// Package error5018 finds Windows error 5018 (0x139A,
// ERROR_RESMON_ONLINE_FAILED: the resource monitor could not bring a
// cluster resource online) in any source and explains it with the owner
// timeline: which resource and group failed, on which node, which move
// brought the group there and what the node was already hosting.
//
// The node is the target of the group's last move before the failure,
// whichever node's log holds the line. Signs of one failure (the same
// group and node within a short window) are one finding. The causes are
// checked in order and the explanation says which held: on Exchange
// 2000/2003 clusters of more than two nodes a node runs at most one
// Exchange virtual server at a time (KB 329208), so moving a second one
// onto it fails with exactly this error; else the target node still ran an
// older build than the virtual server was upgraded to; else the failure is
// reported as a resource that failed to come online, with what the same
// node logged about it at that moment. The last two give way to a finding
// of another detector that explains the same incident.
package error5018

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

// Detector is the error-5018 detector.
var Detector = &detect.Detector{
	ID:    "error-5018",
	Title: "Cluster resource could not be brought online (error 5018)",
	Doc: "Flags every sign of Windows error 5018 (0x139A, ERROR_RESMON_ONLINE_FAILED) and ties it to the " +
		"resource, group and node through the owner timeline (the node is the target of the move that brought the " +
		"group there). Causes, in order: the documented one-EVS-per-node limit of Exchange 2000/2003 clusters of " +
		"more than two nodes (KB 329208), with the move that caused it; the target node on an older Exchange build " +
		"than the virtual server was upgraded to; else a generic resource online failure with the node's other " +
		"lines about the resource.",
	Looks: "cluster.log status/error codes (both generations), System and Application event logs (.evtx/.evt: " +
		"error-code inserts, 1069, MSExchangeCluster 1003/1019), setup logs and any other text naming 5018 or 0x139A; " +
		"the owner timeline and the cluster hive for groups and nodes",
	References: []string{"KB 329208", "Windows system error 5018 (0x139A) ERROR_RESMON_ONLINE_FAILED"},
	Select:     selectEvent,
	Run:        run,
	// A generic online failure, and a target node on an older build,
	// give way to a finding that explains the same incident (the
	// version-mismatch detector's, for the second).
	Yields: []string{"resource-online-failed", "node-older-build"},
}

// isSign reports whether an event carries error 5018: a failure fact
// with that code (the cluster-log and event-log parsers read the code from
// their own wording), or, in other text such as a setup log, the code in
// one of its spellings.
func isSign(e *parse.Event) bool {
	for _, f := range facts.Of[facts.ResourceFailure](e) {
		if facts.Is5018(f.Code) || facts.Is5018(f.Hex) {
			return true
		}
	}
	if e.Facts == nil {
		// An event read back without its facts: the code fields the
		// parsers set say the same.
		for _, k := range [...]string{parse.KeyStatus, parse.KeyStatusHex, parse.KeyErrorCode, parse.KeyErrorHex} {
			if facts.Is5018(e.Field(k)) {
				return true
			}
		}
	}
	switch e.Source {
	case parse.SourceClusterLog, parse.SourceEVTX, parse.SourceEVT:
		return false
	}
	return facts.Has5018(e.Message)
}

// contextKinds are the failure facts attached to a finding as context.
var contextKinds = map[string]bool{
	facts.FailOnline: true, facts.FailResource: true, facts.FailGroup: true, facts.FailHandled: true,
	facts.FailTerminated: true, facts.FailDeadlock: true, facts.FailHealth: true, facts.FailResFailed: true,
}

func selectEvent(e *parse.Event) bool {
	for _, f := range facts.Of[facts.ResourceFailure](e) {
		if contextKinds[f.Kind] {
			return true
		}
	}
	return isSign(e)
}

// failureOf returns an event's resource and group as its failure fact
// names them (GUIDs resolved through the owner timeline's name maps).
func failureOf(f *detect.Facts, e *parse.Event) (resource, group string) {
	for _, fc := range facts.Of[facts.ResourceFailure](e) {
		r := fc.Resource
		if r == "" {
			r = fc.ResourceID
		}
		g := ""
		if fc.Group != "" || fc.GroupID != "" {
			g = f.Cluster.GroupName(fc.Group, fc.GroupID)
		}
		if r != "" || g != "" {
			return r, g
		}
	}
	return e.Field(parse.KeyResource), ""
}

// episodeGap joins signs of one failure: the cluster log line, the event
// and the administrator's message arrive within seconds to minutes.
const episodeGap = 15 * time.Minute

// contextWindow is how far around an episode the node's other lines
// about the same resource or group are attached.
const contextWindow = 5 * time.Minute

// moveWindow is how long before the failure a move onto the node is taken
// as its cause.
const moveWindow = 30 * time.Minute

type sign struct {
	e        *parse.Event
	node     string
	resource string
	group    string
	// logNode is the node whose log holds the line; byMove says node was
	// taken from the move timeline instead; groupGuessed says the group
	// is only the last one that arrived on the node.
	logNode      string
	byMove       bool
	groupGuessed bool
}

type episode struct {
	signs []sign
}

func (ep *episode) first() sign { return ep.signs[0] }
func (ep *episode) last() sign  { return ep.signs[len(ep.signs)-1] }

func run(p *detect.Pass) error {
	f := p.Facts
	var signs []sign
	var context []*parse.Event
	for _, e := range p.Events {
		if !isSign(e) {
			context = append(context, e)
			continue
		}
		res, grp := failureOf(f, e)
		s := sign{e: e, node: parse.ShortNode(e.Node), resource: res, group: grp, logNode: parse.ShortNode(e.Node)}
		if s.group == "" {
			s.group = f.Cluster.GroupOf(s.resource)
		}
		if s.group == "" && s.node != "" && !e.Time.IsZero() {
			if g := recentArrival(f, s.node, e.Time); g != "" {
				s.group, s.groupGuessed = g, true
			}
		}
		// The failure is on the node the group was moved to, whichever
		// node's log holds the line.
		if s.group != "" && !e.Time.IsZero() {
			if m, ok := f.LastMove(s.group, e.Time, moveWindow); ok && m.To != "" && !strings.HasPrefix(m.To, "#") {
				s.node, s.byMove = m.To, true
			}
		}
		signs = append(signs, s)
	}
	for _, ep := range episodes(signs) {
		report(p, ep, context)
	}
	return nil
}

// recentArrival returns the group that last arrived on node within
// moveWindow before t, the likeliest owner of a resource the line does
// not place in a group.
func recentArrival(f *detect.Facts, node string, t time.Time) string {
	best, bestT := "", time.Time{}
	for g, list := range f.Owners {
		for _, oc := range list {
			if oc.To == node && !oc.Time.After(t) && t.Sub(oc.Time) <= moveWindow && oc.Time.After(bestT) {
				best, bestT = g, oc.Time
			}
		}
	}
	return best
}

// episodes groups signs by node and by group (or resource when the group
// is unknown); a gap of more than episodeGap starts a new episode.
func episodes(signs []sign) []*episode {
	var out []*episode
	open := map[string]*episode{}
	for _, s := range signs {
		k := s.node + "\x00" + strings.ToLower(s.group)
		if s.group == "" {
			k += "\x00" + strings.ToLower(s.resource)
		}
		if ep := open[k]; ep != nil && !s.e.Time.IsZero() && s.e.Time.Sub(ep.last().e.Time) <= episodeGap {
			ep.signs = append(ep.signs, s)
			continue
		}
		ep := &episode{signs: []sign{s}}
		open[k] = ep
		out = append(out, ep)
	}
	// A sign that names no group belongs to the episode of the same node
	// that does, when they are close: one incident, one finding.
	for i := 0; i < len(out); i++ {
		ep := out[i]
		if ep.first().group != "" {
			continue
		}
		for _, other := range out {
			if other == ep || other.first().group == "" || other.first().node != ep.first().node {
				continue
			}
			if !ep.first().e.Time.Before(other.first().e.Time.Add(-episodeGap)) && !ep.first().e.Time.After(other.last().e.Time.Add(episodeGap)) {
				for _, s := range ep.signs {
					s.group = other.first().group
					other.signs = append(other.signs, s)
				}
				slices.SortStableFunc(other.signs, func(a, b sign) int { return a.e.Time.Compare(b.e.Time) })
				out = slices.Delete(out, i, i+1)
				i--
				break
			}
		}
	}
	// An episode's resource is the first one a sign names.
	for _, ep := range out {
		for _, s := range ep.signs {
			if s.resource != "" {
				for i := range ep.signs {
					if ep.signs[i].resource == "" {
						ep.signs[i].resource = s.resource
					}
				}
				break
			}
		}
	}
	return out
}

func report(p *detect.Pass, ep *episode, context []*parse.Event) {
	f := p.Facts
	first, last := ep.first(), ep.last()
	node, group, resource := first.node, first.group, first.resource
	t0, t1 := first.e.Time, last.e.Time

	var ev []detect.Evidence
	seen := map[string]bool{}
	add := func(x detect.Evidence) {
		if !seen[x.DocID] {
			seen[x.DocID] = true
			ev = append(ev, x)
		}
	}
	for _, s := range ep.signs {
		add(detect.EvidenceOf(s.e))
	}
	details := map[string]string{
		"error": "5018 (0x139A, ERROR_RESMON_ONLINE_FAILED)",
		"signs": strconv.Itoa(len(ep.signs)),
	}
	if resource != "" {
		details["resource"] = resource
	}
	if node != "" {
		details["node"] = node
	}
	nodes := []string{node}
	groups := []string{group}

	// The move that brought the group onto the node, and what the node
	// was hosting when it arrived.
	var move detect.OwnerChange
	haveMove := false
	if group != "" && node != "" && !t0.IsZero() {
		if m, ok := f.LastMoveTo(group, node, t0); ok && t0.Sub(m.Time) <= moveWindow {
			move, haveMove = m, true
		}
	}
	var hosting, otherEVS []string
	if node != "" && !t0.IsZero() {
		at := t0
		if haveMove {
			at = move.Time.Add(-time.Millisecond)
		}
		for _, g := range f.Hosting(node, at) {
			if !strings.EqualFold(g, group) {
				hosting = append(hosting, g)
				if f.Cluster.IsExchangeGroup(g) {
					otherEVS = append(otherEVS, g)
				}
			}
		}
	}
	clusterNodes := 0
	if f.Cluster != nil {
		clusterNodes = len(f.Cluster.Nodes)
		details["cluster_nodes"] = strconv.Itoa(clusterNodes)
	}
	if len(hosting) > 0 {
		details["node_was_hosting"] = strings.Join(hosting, ", ")
	}
	if haveMove {
		details["move"] = fmt.Sprintf("%s from %s to %s at %s", move.Group, or(move.From, "?"), move.To, move.Time.UTC().Format(time.RFC3339))
		if move.MoveType != "" || move.Kind != "" {
			details["move_kind"] = strings.TrimSpace(move.Kind + " " + paren(move.Why))
		}
		for _, x := range move.AllEvidence() {
			add(x)
		}
		nodes = append(nodes, move.From)
	}
	exchangeFailure := f.Cluster.IsExchangeGroup(group) || strings.Contains(strings.ToLower(resource), "exchange")
	// The causes, in order: the one-virtual-server-per-node rule of
	// clusters of more than two nodes, then the node's build against the
	// virtual server's, then a generic online failure.
	var checks []string
	evsLimit := exchangeFailure && len(otherEVS) > 0 && clusterNodes > 2
	switch {
	case !exchangeFailure:
		checks = append(checks, "the one-virtual-server-per-node rule does not apply (no Exchange resource or group is involved)")
	case clusterNodes <= 2:
		checks = append(checks, fmt.Sprintf("the one-virtual-server-per-node rule does not apply (the bundle shows %d cluster node(s); the rule is for more than two)", clusterNodes))
	case len(otherEVS) == 0:
		checks = append(checks, "the one-virtual-server-per-node rule did not hold: the ownership timeline shows no other Exchange virtual server on "+or(node, "the node")+" at that time")
	default:
		checks = append(checks, "the one-virtual-server-per-node rule held: "+node+" already ran "+strings.Join(otherEVS, ", "))
	}
	var sb detect.ServerBuild
	var nb detect.BuildObs
	olderNode := false
	if !evsLimit && group != "" && node != "" && !t0.IsZero() {
		at := t0
		if haveMove {
			at = move.Time
		}
		if s, ok := f.Versions.ServerBuildAt(group, at); ok {
			if n := f.Node(node); n != nil {
				if b, ok := n.BuildAt(at); ok {
					if c, cok := detect.CompareBuilds(b.Build, s.Build); cok && c < 0 {
						sb, nb, olderNode = s, b, true
					}
				}
			}
		}
		if olderNode {
			checks = append(checks, fmt.Sprintf("the node's build was older: %s ran %s while %s had been upgraded to %s", node, nb.Build, group, sb.Build))
		} else {
			checks = append(checks, "the node's build was not shown to be older than the virtual server's")
		}
	}
	nodeWhy := ""
	switch {
	case node == "":
		nodeWhy = "The bundle does not say on which node the resource failed."
	case first.byMove:
		nodeWhy = fmt.Sprintf("%s is the node the failure is on: the move timeline shows %s moved there at %s", node, group, move.Time.UTC().Format(time.RFC3339))
		if first.logNode != "" && first.logNode != node {
			nodeWhy += fmt.Sprintf(" (the first line about it was logged on %s)", first.logNode)
		}
		nodeWhy += "."
	default:
		nodeWhy = fmt.Sprintf("%s is the node whose log reports the failure; no move of the group onto another node precedes it.", node)
	}
	details["node_decided_by"] = nodeWhy
	conf, confWhy := detect.ConfidenceHigh, ""
	switch {
	case group == "":
		conf, confWhy = detect.ConfidenceLow, "the failing resource's group is not known, so the ownership timeline could not be checked"
	case first.groupGuessed:
		conf, confWhy = detect.ConfidenceMedium, "the group is taken to be the one that last arrived on the node; the failure line does not name it"
	case !first.byMove && first.e.NodeFrom == parse.NodeFromLayout:
		conf, confWhy = detect.ConfidenceLow, "the node is the one whose log holds the line, and only the bundle's folder layout names it"
	case !first.byMove:
		conf, confWhy = detect.ConfidenceMedium, "the node is the one whose log holds the line; no move shows the group arriving there"
	case haveMove && move.Guessed:
		conf, confWhy = detect.ConfidenceMedium, "the move rests on Windows 2003 [FM] wording, whose shape no public sample confirms"
	}

	// Where the other virtual servers came to be on the node.
	if evsLimit {
		for _, g := range otherEVS {
			groups = append(groups, g)
			at := t0
			if haveMove {
				at = move.Time
			}
			if m, ok := f.LastMoveTo(g, node, at); ok {
				add(m.Evidence)
			}
		}
	}
	// What the same node logged about the same resource or group.
	for _, e := range context {
		if e.Time.IsZero() || parse.ShortNode(e.Node) != node {
			continue
		}
		if e.Time.Before(t0.Add(-contextWindow)) || e.Time.After(t1.Add(contextWindow)) {
			continue
		}
		r, g := e.Field(parse.KeyResource), e.Field(parse.KeyGroup)
		if g == "" {
			g = f.Cluster.GroupOf(r)
		}
		if (resource != "" && strings.EqualFold(r, resource)) || (group != "" && strings.EqualFold(g, group)) {
			add(detect.EvidenceOf(e))
		}
	}

	what := "a cluster resource"
	if resource != "" {
		what = "resource '" + resource + "'"
	}
	where := ""
	if group != "" {
		where += " of group " + group
	}
	if node != "" {
		where += " on " + node
	}
	fd := detect.Finding{
		Severity: detect.Error,
		Nodes:    nodes,
		Groups:   groups,
		Start:    t0,
		End:      t1,
		Evidence: ev,
		Details:  details,
	}
	if evsLimit {
		fd.Cause = "evs-per-node-limit"
		details["other_virtual_servers"] = strings.Join(otherEVS, ", ")
		fd.Summary = fmt.Sprintf("%s could not come online on %s (error 5018): %s already ran Exchange virtual server %s, and a %d-node cluster allows one per node",
			or(group, "An Exchange virtual server"), node, node, strings.Join(otherEVS, ", "), clusterNodes)
		moveText := "The bundle does not show the move that brought it there."
		if haveMove {
			moveText = fmt.Sprintf("It arrived there by the move of %s from %s to %s at %s (%s).", move.Group, or(move.From, "an unknown node"),
				move.To, move.Time.UTC().Format(time.RFC3339), or(move.Why, "kind of move not logged"))
		}
		fd.Explanation = fmt.Sprintf("The resource monitor on %s could not bring %s%s online (Windows error 5018, 0x139A). "+
			"%s At that moment %s was already running Exchange virtual server %s. On Exchange 2000 and 2003 clusters with more "+
			"than two nodes (this one has %d) each node may run only one Exchange virtual server at a time, so Exchange refuses "+
			"to start a second one there and the cluster reports the online failure with this code (KB 329208). This commonly "+
			"happens during a rolling upgrade when a virtual server is moved to an already upgraded node that is busy.",
			node, what, where, moveText, node, strings.Join(otherEVS, ", "), clusterNodes)
		fd.Remediation = fmt.Sprintf("Move %s to a node that runs no Exchange virtual server (a passive node; upgrade it first "+
			"if the rolling upgrade needs that), or move %s off %s first. Keep at least one passive node per cluster and plan "+
			"each move so that no node ever holds two virtual servers; then bring the resources online and check the "+
			"Application log of the new node.", or(group, "the virtual server"), strings.Join(otherEVS, ", "), node)
	} else if olderNode {
		fd.Cause = "node-older-build"
		details["server_build"], details["node_build"] = sb.Build, nb.Build
		for _, x := range sb.Evidence {
			add(x)
		}
		add(nb.Evidence)
		fd.Evidence = ev
		fd.Summary = fmt.Sprintf("%s could not come online on %s (error 5018): %s runs Exchange %s, older than the %s the virtual server was upgraded to",
			group, node, node, nb.Build, sb.Build)
		fd.Explanation = fmt.Sprintf("The resource monitor on %s could not bring %s%s online (Windows error 5018, 0x139A). %s had been upgraded "+
			"to %s (on %s), but %s still ran %s at the time. An upgraded Exchange virtual server runs only on nodes whose binaries "+
			"are at least its build, so its System Attendant fails to start on the older node.", node, what, where, group, sb.Build,
			or(sb.Node, "another node"), node, nb.Build)
		fd.Remediation = fmt.Sprintf("Move %s back to an upgraded node and bring it online there. Upgrade the Exchange binaries of %s "+
			"to %s first, then move the virtual server; never move an upgraded virtual server to a node on an older build.", group, node, sb.Build)
	} else {
		fd.Cause = "resource-online-failed"
		fd.Summary = fmt.Sprintf("%s%s could not be brought online (error 5018)", capitalize(what), where)
		extra := ""
		if haveMove {
			extra = fmt.Sprintf(" The group had just been moved there from %s at %s (%s).", or(move.From, "an unknown node"),
				move.Time.UTC().Format(time.RFC3339), or(move.Why, "kind of move not logged"))
		}
		if len(hosting) > 0 {
			extra += " The node was also hosting " + strings.Join(hosting, ", ") + "."
		}
		fd.Explanation = fmt.Sprintf("The resource monitor%s reported that %s%s could not be brought online (Windows error "+
			"5018, 0x139A, ERROR_RESMON_ONLINE_FAILED). The code only says that the resource DLL's online call failed or "+
			"timed out; the reason is in what the resource itself logged at the same time, attached as evidence where the "+
			"bundle has it (the Exchange cluster events 1003/1019, event 1069, the resource host and resource control lines).%s",
			onNode(node), what, where, extra)
		fd.Remediation = "Read the attached lines of the same node for the resource's own error (a service that would not " +
			"start, a disk or network name that was not online, a version mismatch after an upgrade, a pending time-out). " +
			"Fix that cause, then bring the resource online by hand on a node that can run it and watch the Application " +
			"and System logs there. For Exchange virtual servers check that the node runs the same Exchange build as the " +
			"virtual server and, on clusters of more than two nodes, that it hosts no other virtual server."
	}
	fd.Evidence = ev
	fd.Explanation += " " + nodeWhy + " Causes checked, in order: " + strings.Join(checks, "; ") + "."
	fd.Confidence, fd.ConfidenceReason = conf, confWhy
	if len(fd.Evidence) > 0 {
		slices.SortStableFunc(fd.Evidence, func(a, b detect.Evidence) int { return evTime(a).Compare(evTime(b)) })
	}
	p.Report(fd)
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func onNode(n string) string {
	if n == "" {
		return ""
	}
	return " on " + n
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// evTime reads an evidence time; untimed evidence sorts first.
func evTime(x detect.Evidence) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, x.Time)
	return t
}
