// Package error5018 finds Windows error 5018 (0x139A,
// ERROR_RESMON_ONLINE_FAILED: the resource monitor could not bring a
// cluster resource online) in any source and explains it with the owner
// timeline: which resource and group failed, on which node, which move
// brought the group there and what the node was already hosting.
//
// On Exchange 2000/2003 clusters of more than two nodes a node runs at
// most one Exchange virtual server at a time (KB 329208); moving a second
// one onto it fails with exactly this error, which is the case this
// detector names. Any other 5018 is reported as a resource that failed to
// come online, with what the same node logged about it at that moment.
package error5018

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// Detector is the error-5018 detector.
var Detector = &detect.Detector{
	ID:    "error-5018",
	Title: "Cluster resource could not be brought online (error 5018)",
	Doc: "Flags every sign of Windows error 5018 (0x139A, ERROR_RESMON_ONLINE_FAILED) and ties it to the " +
		"resource, group and node through the owner timeline. When the node already ran another Exchange " +
		"virtual server and the cluster has more than two nodes, the failure is the documented one-EVS-per-node " +
		"limit of Exchange 2000/2003 clusters (KB 329208) and the move that caused it is named; otherwise it is " +
		"explained as a generic resource online failure with the node's other lines about the resource.",
	Looks: "cluster.log status/error codes (both generations), System and Application event logs (.evtx/.evt: " +
		"error-code inserts, 1069, MSExchangeCluster 1003/1019), setup logs and any other text naming 5018 or 0x139A; " +
		"the owner timeline and the cluster hive for groups and nodes",
	References: []string{"KB 329208", "Windows system error 5018 (0x139A) ERROR_RESMON_ONLINE_FAILED"},
	Select:     selectEvent,
	Run:        run,
}

// signRE matches 5018 in the spellings seen in cluster logs, Cluster
// Administrator messages, event inserts and HRESULTs.
var signRE = regexp.MustCompile(`(?i)(?:\b(?:error(?:\s+id|\s+code(?:\s+was)?)?|status(?:\s+is)?|win32 error|error_code)\s*[:=]?\s*'?\(?5018\b` +
	`|\b0x(?:8007|0000)?139a\b|\(0000139a\)|\bERROR_RESMON_ONLINE_FAILED\b` +
	`|could not be brought online by the resource monitor)`)

// quick is a cheap gate before signRE: every spelling holds one of these.
func quick(s string) bool {
	return strings.Contains(s, "5018") || containsFold(s, "139a") || containsFold(s, "resmon") ||
		containsFold(s, "resource monitor")
}

func containsFold(s, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if s[i]|0x20 == sub[0] && strings.EqualFold(s[i:i+n], sub) {
			return true
		}
	}
	return false
}

// isSign reports whether an event carries error 5018.
func isSign(e *parse.Event) bool {
	switch e.Field(parse.KeyStatus) {
	case "5018", "-2147019878":
		return true
	}
	switch strings.ToLower(e.Field(parse.KeyStatusHex)) {
	case "0x139a", "0x8007139a":
		return true
	}
	switch strings.ToLower(e.Field(parse.KeyErrorHex)) {
	case "0x0000139a", "0x8007139a":
		return true
	}
	if quick(e.Message) && signRE.MatchString(e.Message) {
		return true
	}
	for k, v := range e.Fields {
		if (strings.HasPrefix(k, "data.") || k == "rendered_message") && quick(v) {
			if signRE.MatchString(v) || (strings.TrimSpace(v) == "5018" && bareCodeInsert(e, k)) {
				return true
			}
		}
	}
	return false
}

// bareCodeInsert reports whether an insert holding only "5018" is an error
// code rather than, say, a process ID: its name says so, or the event is
// a cluster or Exchange cluster event, whose numeric inserts are codes.
func bareCodeInsert(e *parse.Event, key string) bool {
	name := strings.ToLower(key)
	if strings.Contains(name, "error") || strings.Contains(name, "status") || strings.Contains(name, "code") {
		return true
	}
	switch e.Field(parse.KeyProviderFamily) {
	case "failover-clustering", "msexchange-cluster":
		return true
	}
	return false
}

// contextActions are the resource and group lines attached to a finding.
var contextActions = map[string]bool{
	"online-failed": true, "resource-failed": true, "group-failed": true, "handle-failure": true,
	"failure-notification": true, "resource-terminate": true, "deadlock": true, "resource-deadlock": true,
	"health-check-failed": true,
}

func selectEvent(e *parse.Event) bool {
	if contextActions[e.Field(parse.KeyAction)] {
		return true
	}
	if e.Field(parse.KeyAction) == "resource-state" && strings.EqualFold(e.Field(parse.KeyNewState), "Failed") {
		return true
	}
	return isSign(e)
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
}

type episode struct {
	signs []sign
}

func (ep *episode) first() sign { return ep.signs[0] }
func (ep *episode) last() sign  { return ep.signs[len(ep.signs)-1] }

// Resource names as Cluster Administrator and log lines quote them.
var (
	reQuotedRes  = regexp.MustCompile(`(?i)\bbring(?:ing)?\s+(?:the\s+)?(?:resource\s+)?'([^']+)'\s+online`)
	reAngledRes  = regexp.MustCompile(`<([^<>]+)>`)
	reNamedRes   = regexp.MustCompile(`(?i)\bbring(?:ing)?\s+the\s+(.+?)\s+resource\s+online`)
	reResQuoted2 = regexp.MustCompile(`(?i)\bresource\s+'([^']+)'`)
)

func resourceOf(e *parse.Event) string {
	if r := e.Field(parse.KeyResource); r != "" {
		return r
	}
	for _, re := range []*regexp.Regexp{reQuotedRes, reResQuoted2, reAngledRes, reNamedRes} {
		if m := re.FindStringSubmatch(e.Message); m != nil {
			return strings.TrimSpace(m[1])
		}
	}
	return ""
}

func run(p *detect.Pass) error {
	f := p.Facts
	var signs []sign
	var context []*parse.Event
	for _, e := range p.Events {
		if !isSign(e) {
			context = append(context, e)
			continue
		}
		s := sign{e: e, node: parse.ShortNode(e.Node), resource: resourceOf(e), group: e.Field(parse.KeyGroup)}
		if s.group == "" {
			s.group = f.Cluster.GroupOf(s.resource)
		}
		if s.group == "" && s.node != "" && !e.Time.IsZero() {
			s.group = recentArrival(f, s.node, e.Time)
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
	evsLimit := exchangeFailure && len(otherEVS) > 0 && clusterNodes > 2

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
