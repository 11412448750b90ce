// Package failoverstorm finds groups that the cluster kept failing over:
// failover policies exhausted (event 1254, "Not failing over group"),
// unplanned failovers reaching the policy threshold, bursts and
// ping-pong between nodes, and the restart storms, node flapping and
// repeated quorum losses that drive them.
//
// Failovers are the unplanned moves of the owner timeline (detect
// owners.go): MoveType::NodeDown or Failover lines, event 1153, 2003
// "failing over" lines, moves away from a node that was just removed.
// Administrator moves (MoveType::Manual, 2003 moves "requested by an
// administrator") and moves of unknown kind are never counted.
package failoverstorm

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

// Detector is the failover-storm detector.
var Detector = &detect.Detector{
	ID:    "failover-storm",
	Title: "Failover storm, ping-pong or exhausted failover policy",
	Doc: "Builds each group's unplanned failovers from the owner timeline (administrator moves never count) and " +
		"reports one finding per storm: the failover policy exhausted (event 1254, or a cluster log saying it is not " +
		"failing over because failoverCount reached the computed threshold) or a group left failed after repeated " +
		"failures, and failovers reaching the group's threshold within its period (configured in the cluster hive, " +
		"computed in the log, else 10 in 6 h on 2000/2003 and nodes-1 in 6 h on 2008+) are errors; three or more " +
		"failovers within an hour, or a group bouncing A to B to A within 15 minutes, are warnings. Resource restart " +
		"storms, node flapping and repeated quorum loss are folded into the storm they caused or reported as warnings.",
	Looks: "cluster.log RCM move lines and 'Not failing over group' (2008+), [FM] move/failover lines (2003), " +
		"events 1153/1641 (Operational), 1069/1205/1254/1135/1177 (System .evtx/.evt and merged cluster-log lines), " +
		"group state lines, FailoverThreshold/FailoverPeriod/RestartThreshold/RestartPeriod in cluster hive exports",
	References: []string{
		"Windows failover policy: FailoverThreshold / FailoverPeriod (default 10 in 6 h on 2000/2003, nodes-1 in 6 h on 2008+)",
		"KB 228923 and KB 947712 (resource restart policy: 3 in 900 s on 2003, 1 in 900 s on 2008)",
		"KB 299631 (how groups pick the next node on failure)",
	},
	Select: selectEvent,
	Run:    run,
}

func selectEvent(e *parse.Event) bool {
	for _, f := range e.Facts {
		switch f := f.(type) {
		case facts.FailoverPolicy:
			return true
		case facts.StateChange:
			if f.Object == facts.ObjGroup && (strings.EqualFold(f.To, "Online") || strings.EqualFold(f.To, "Failed")) {
				return true
			}
			if f.Object == facts.ObjResource && strings.EqualFold(f.To, "Failed") {
				return true
			}
		case facts.ResourceFailure:
			if f.Kind == facts.FailResource || f.Kind == facts.FailGroup {
				return true
			}
		}
	}
	return false
}

// groupLine is what one selected event says about a group: the cluster
// giving up on it, the group failed, or the group online.
type groupLine struct {
	e         *parse.Event
	group     string
	exhausted *facts.FailoverPolicy
	failed    bool // event 1205 or the group entering Failed
	failedEvt bool // event 1205 (a failed online/offline attempt)
	online    bool
}

// resFailure is one resource failing on a node.
type resFailure struct {
	e               *parse.Event
	resource, group string
}

// readLines turns the selected events' facts into group lines and
// resource failures, naming groups as the owner timeline does.
func readLines(f *detect.Facts, evs []*parse.Event) (map[string][]groupLine, []resFailure) {
	byGroup := map[string][]groupLine{}
	var res []resFailure
	for _, e := range evs {
		if e.Time.IsZero() {
			continue
		}
		for _, fc := range e.Facts {
			switch fc := fc.(type) {
			case facts.FailoverPolicy:
				g := f.Cluster.GroupName(fc.Group, fc.GroupID)
				p := fc
				byGroup[g] = append(byGroup[g], groupLine{e: e, group: g, exhausted: &p, failed: fc.LeftFailed})
			case facts.StateChange:
				if fc.Object == facts.ObjGroup {
					g := f.Cluster.GroupName(fc.Name, fc.ID)
					byGroup[g] = append(byGroup[g], groupLine{e: e, group: g,
						failed: strings.EqualFold(fc.To, "Failed"), online: strings.EqualFold(fc.To, "Online")})
				} else if strings.EqualFold(fc.To, "Failed") && fc.Name+fc.ID != "" {
					res = append(res, resFailure{e: e, resource: fc.Name + fc.ID, group: fc.Group})
				}
			case facts.ResourceFailure:
				switch fc.Kind {
				case facts.FailGroup:
					g := f.Cluster.GroupName(fc.Group, fc.GroupID)
					byGroup[g] = append(byGroup[g], groupLine{e: e, group: g, failed: true, failedEvt: true})
				case facts.FailResource:
					r := fc.Resource
					if r == "" {
						r = fc.ResourceID
					}
					if r != "" {
						res = append(res, resFailure{e: e, resource: r, group: f.Cluster.GroupName(fc.Group, fc.GroupID)})
					}
				}
			}
		}
	}
	delete(byGroup, "")
	return byGroup, res
}

// Windows and rules of the storm definitions.
const (
	burstWindow    = time.Hour        // three failovers in this window: warning
	burstCount     = 3                //
	pingPongHop    = 15 * time.Minute // A->B->A faster than this is ping-pong
	foldMargin     = 15 * time.Minute // causes this long before a storm belong to it
	flapWindow     = time.Hour        // node removals
	flapCount      = 3
	quorumWindow   = time.Hour // quorum losses
	quorumCount    = 2
	failureDedupe  = 30 * time.Second // one resource failure reported by several lines
	maxPolicyHours = 1193             // FailoverPeriod's documented maximum
)

// item is one thing that happened to a group in a storm.
type item struct {
	t    time.Time
	move *detect.OwnerChange
	ev   *groupLine // the cluster giving up on the group, or event 1205
}

func run(p *detect.Pass) error {
	f := p.Facts
	byGroup, resFailures := readLines(f, p.Events)
	restarts := restartStorms(f, resFailures)
	flaps := flapping(f)
	quorum := quorumStorms(f)

	var storms []*storm
	for _, g := range groups(f, byGroup) {
		storms = append(storms, groupStorms(f, g, byGroup[g])...)
	}
	for _, s := range storms {
		for _, r := range restarts {
			if !r.folded && strings.EqualFold(r.group, s.group) && s.overlaps(r.start, r.end) {
				r.folded = true
				s.restarts = append(s.restarts, r)
			}
		}
		for _, fl := range flaps {
			if s.overlaps(fl.start, fl.end) && s.involves(fl.node) {
				fl.folded = true
				s.flaps = append(s.flaps, fl)
			}
		}
		for _, q := range quorum {
			if s.overlaps(q.start, q.end) {
				q.folded = true
				s.quorum = append(s.quorum, q)
			}
		}
		s.report(p)
	}
	for _, r := range restarts {
		if !r.folded {
			r.report(p)
		}
	}
	for _, fl := range flaps {
		if !fl.folded {
			fl.report(p)
		}
	}
	for _, q := range quorum {
		if !q.folded {
			q.report(p)
		}
	}
	return nil
}

// canonical spells a group as the owner timeline does.
func canonical(f *detect.Facts, g string) string {
	if c, ok := f.Cluster.Spelling(g); ok {
		return c
	}
	return g
}

func groups(f *detect.Facts, byGroup map[string][]groupLine) []string {
	seen := map[string]bool{}
	for _, g := range f.Groups() {
		seen[g] = true
	}
	for g := range byGroup {
		seen[g] = true
	}
	out := slices.Sorted(maps.Keys(seen))
	return out
}

// storm is one episode of one group.
type storm struct {
	group      string
	policy     detect.Policy
	items      []item
	start, end time.Time

	restarts []*restartStorm
	flaps    []*flap
	quorum   []*quorumStorm
	online   []groupLine // group online lines during the episode
	after    []groupLine // state lines after the last item
	laterUp  bool        // the group came online or moved after the episode
}

func (s *storm) overlaps(a, b time.Time) bool {
	return !b.Before(s.start.Add(-foldMargin)) && !a.After(s.end.Add(foldMargin))
}

func (s *storm) involves(node string) bool {
	for _, it := range s.items {
		if it.move != nil && (it.move.From == node || it.move.To == node) {
			return true
		}
		if it.ev != nil && parse.ShortNode(it.ev.e.Node) == node {
			return true
		}
	}
	return false
}

func (s *storm) moves() []*detect.OwnerChange {
	var out []*detect.OwnerChange
	for _, it := range s.items {
		if it.move != nil {
			out = append(out, it.move)
		}
	}
	return out
}

func isExhaustion(l *groupLine) bool { return l.exhausted != nil }

func isGroupFailed(l groupLine) bool { return l.failed }

func isGroupOnline(l groupLine) bool { return l.online }

// groupStorms splits a group's failovers and failure lines into episodes
// (a gap longer than the failover period ends one) and keeps those that
// break a rule.
func groupStorms(f *detect.Facts, g string, evs []groupLine) []*storm {
	pol := f.Cluster.FailoverPolicy(g)
	if pol.Period > maxPolicyHours*time.Hour {
		pol.Period = maxPolicyHours * time.Hour
	}
	var items []item
	list := f.Owners[g]
	for i := range list {
		if list[i].Kind == detect.MoveUnplanned {
			items = append(items, item{t: list[i].Time, move: &list[i]})
		}
	}
	for i := range evs {
		if l := &evs[i]; isExhaustion(l) || l.failedEvt {
			items = append(items, item{t: l.e.Time, ev: l})
		}
	}
	if len(items) == 0 {
		return nil
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].t.Before(items[j].t) })
	var out []*storm
	for _, b := range bursts(items, func(it item) time.Time { return it.t }, pol.Period) {
		cur := &storm{group: g, policy: pol, items: b, start: b[0].t, end: b[len(b)-1].t}
		for _, e := range evs {
			switch {
			case isGroupOnline(e) && !e.e.Time.Before(cur.start) && !e.e.Time.After(cur.end):
				cur.online = append(cur.online, e)
			case e.e.Time.After(cur.end) && (isGroupOnline(e) || isGroupFailed(e)):
				cur.after = append(cur.after, e)
			}
		}
		for _, oc := range list {
			if oc.Time.After(cur.end) {
				cur.laterUp = true
			}
		}
		if cur.severity() > detect.SevNone {
			out = append(out, cur)
		}
	}
	return out
}

// bursts splits a time-ordered list where the gap between neighbours is
// longer than gap; every burst holds at least one element.
func bursts[T any](list []T, at func(T) time.Time, gap time.Duration) [][]T {
	var out [][]T
	for i, x := range list {
		if i == 0 || at(x).Sub(at(list[i-1])) > gap {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], x)
	}
	return out
}

func nodeEventTime(e detect.NodeEvent) time.Time { return e.Time }

// maxIn returns the most times that fall within any window of length w.
func maxIn(ts []time.Time, w time.Duration) int {
	best, lo := 0, 0
	for hi := range ts {
		for ts[hi].Sub(ts[lo]) > w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func (s *storm) moveTimes() []time.Time {
	var ts []time.Time
	for _, m := range s.moves() {
		ts = append(ts, m.Time)
	}
	return ts
}

// exhausted returns the line saying the policy was used up: event 1254,
// or a "Not failing over" line whose count reached the computed threshold.
// A line with the counts is preferred to a bare 1254.
func (s *storm) exhausted() (*groupLine, int, int) {
	var bare *groupLine
	for _, it := range s.items {
		if it.ev == nil || !isExhaustion(it.ev) {
			continue
		}
		p := it.ev.exhausted
		n, m := p.Count, p.Computed
		if m < 0 {
			m = p.Setting
		}
		if n < 0 || m < 0 {
			// Event 1254 or a 2003 line saying the threshold was
			// reached, without the numbers.
			if bare == nil {
				bare = it.ev
			}
			continue
		}
		if n >= m {
			return it.ev, n, m
		}
	}
	return bare, -1, -1
}

// pingPong returns the hops that went straight back where they came from
// within pingPongHop, or without the group coming online in between.
func (s *storm) pingPong() []*detect.OwnerChange {
	ms := s.moves()
	var hops []*detect.OwnerChange
	for i := 1; i < len(ms); i++ {
		a, b := ms[i-1], ms[i]
		if a.From == "" || b.To != a.From || b.From != a.To {
			continue
		}
		if b.Time.Sub(a.Time) < pingPongHop || !s.onlineBetween(a.Time, b.Time) {
			if len(hops) == 0 || hops[len(hops)-1] != a {
				hops = append(hops, a)
			}
			hops = append(hops, b)
		}
	}
	return hops
}

func (s *storm) onlineBetween(a, b time.Time) bool {
	for _, e := range s.online {
		if e.e.Time.After(a) && e.e.Time.Before(b) {
			return true
		}
	}
	return false
}

// leftFailed reports a group that failed repeatedly and whose last state
// in the bundle is Failed.
func (s *storm) leftFailed() bool {
	failures := 0
	for _, it := range s.items {
		if it.move != nil || (it.ev != nil && it.ev.failedEvt) {
			failures++
		}
	}
	if failures < 2 || s.laterUp {
		return false
	}
	last := s.items[len(s.items)-1]
	final := last.ev != nil && (last.ev.failedEvt || isExhaustion(last.ev))
	for _, e := range s.after {
		final = isGroupFailed(e)
	}
	return final
}

func (s *storm) severity() detect.Severity {
	ts := s.moveTimes()
	if ev, _, _ := s.exhausted(); ev != nil {
		return detect.Error
	}
	if n := maxIn(ts, s.policy.Period); n >= s.policy.Threshold && n >= 2 {
		return detect.Error
	}
	if s.leftFailed() {
		return detect.Error
	}
	if maxIn(ts, burstWindow) >= burstCount || len(s.pingPong()) >= 2 {
		return detect.Warning
	}
	return detect.SevNone
}

func (s *storm) report(p *detect.Pass) {
	ms := s.moves()
	ts := s.moveTimes()
	sev := s.severity()
	inPeriod := maxIn(ts, s.policy.Period)
	in60 := maxIn(ts, burstWindow)
	hops := s.pingPong()
	exh, n, m := s.exhausted()
	left := s.leftFailed()

	details := map[string]string{
		"failovers":            strconv.Itoa(len(ms)),
		"failover_threshold":   strconv.Itoa(s.policy.Threshold),
		"failover_period":      hours(s.policy.Period),
		"threshold_source":     s.policy.Source,
		"max_failovers_period": strconv.Itoa(inPeriod),
		"max_failovers_60_min": strconv.Itoa(in60),
		"policy_exhausted":     strconv.FormatBool(exh != nil),
		"left_failed":          strconv.FormatBool(left),
	}
	if n >= 0 {
		details["failover_count"] = strconv.Itoa(n)
		details["computed_threshold"] = strconv.Itoa(m)
	}
	var nodes []string
	var path []string
	for _, mv := range ms {
		nodes = append(nodes, mv.From, mv.To)
		if len(path) == 0 {
			path = append(path, or(mv.From, "?"))
		} else if path[len(path)-1] != or(mv.From, "?") {
			path = append(path, or(mv.From, "?"))
		}
		path = append(path, mv.To)
	}
	if len(path) > 0 {
		details["path"] = strings.Join(path, " -> ")
	}
	if len(hops) > 0 {
		var pp []string
		for i, h := range hops {
			if i == 0 {
				pp = append(pp, h.From)
			}
			pp = append(pp, h.To)
		}
		details["ping_pong"] = strings.Join(pp, " -> ")
	}
	var ev []detect.Evidence
	seen := map[string]bool{}
	add := func(x detect.Evidence) {
		if !seen[x.DocID] {
			seen[x.DocID] = true
			ev = append(ev, x)
		}
	}
	for _, it := range s.items {
		if it.move != nil {
			for _, x := range it.move.AllEvidence() {
				add(x)
			}
		} else {
			add(detect.EvidenceOf(it.ev.e))
			if len(ms) == 0 || p.Facts.Cluster.IsNamedNode(parse.ShortNode(it.ev.e.Node)) {
				nodes = append(nodes, it.ev.e.Node)
			}
		}
	}
	for _, e := range s.after {
		if isGroupFailed(e) {
			add(detect.EvidenceOf(e.e))
		}
	}
	var causes []string
	for _, r := range s.restarts {
		for _, e := range r.events {
			add(detect.EvidenceOf(e))
		}
		causes = append(causes, fmt.Sprintf("resource '%s' failed %d times on %s within %s", r.resource, r.count, r.node, dur(r.policy.Period)))
	}
	removed := map[string]int{}
	flapped := map[string]bool{}
	for _, fl := range s.flaps {
		flapped[fl.node] = true
		for _, r := range fl.removals {
			for _, x := range r.Evidence {
				add(x)
			}
		}
		removed[fl.node] += len(fl.removals)
	}
	// Single removals of the storm's nodes also explain it.
	for _, r := range p.Facts.Cluster.Removals {
		if !flapped[r.Node] && s.overlaps(r.Time, r.Time) && s.involves(r.Node) {
			for _, x := range r.Evidence {
				add(x)
			}
			removed[r.Node]++
		}
	}
	for _, q := range s.quorum {
		for _, l := range q.losses {
			for _, x := range l.Evidence {
				add(x)
			}
		}
		causes = append(causes, fmt.Sprintf("quorum lost %d times within %s", len(q.losses), dur(q.end.Sub(q.start))))
	}
	var remText []string
	for node, c := range removed {
		remText = append(remText, fmt.Sprintf("%s x%d", node, c))
	}
	slices.Sort(remText)
	if len(remText) > 0 {
		details["node_removals"] = strings.Join(remText, ", ")
		causes = append(causes, "node removals from cluster membership ("+strings.Join(remText, ", ")+")")
	}
	if len(causes) > 0 {
		details["causes"] = strings.Join(causes, "; ")
	}
	slices.SortStableFunc(ev, func(a, b detect.Evidence) int { return evTime(a).Compare(evTime(b)) })
	if id := p.Facts.Cluster.GroupID(s.group); id != "" {
		details["group_id"] = id
	}
	conf, confWhy := s.confidence()

	// Summary and explanation.
	var what []string
	if len(ms) > 0 {
		what = append(what, fmt.Sprintf("failed over %d time%s in %s", len(ms), plural(len(ms)), dur(span(ts))))
	}
	if len(hops) > 0 {
		what = append(what, "ping-pong "+details["ping_pong"])
	}
	switch {
	case exh != nil && n >= 0:
		what = append(what, fmt.Sprintf("failover policy exhausted (failoverCount %d >= computed threshold %d)", n, m))
	case exh != nil:
		what = append(what, "failover policy exhausted ("+exhaustedWords(exh)+")")
	case inPeriod >= s.policy.Threshold && inPeriod >= 2:
		what = append(what, fmt.Sprintf("reached its failover threshold (%d in %s)", s.policy.Threshold, hours(s.policy.Period)))
	}
	if left {
		what = append(what, "left in Failed")
	}
	if len(what) == 0 {
		what = append(what, "failed repeatedly")
	}
	summary := "Group " + s.group + " " + strings.Join(what, ", ")

	var b strings.Builder
	fmt.Fprintf(&b, "Between %s and %s the cluster moved group %s on its own %d time%s", stamp(s.start), stamp(s.end), s.group, len(ms), plural(len(ms)))
	if len(path) > 0 {
		fmt.Fprintf(&b, " (%s)", details["path"])
	}
	b.WriteString("; administrator moves are not counted. ")
	fmt.Fprintf(&b, "Its failover policy allows %d failover%s in %s (%s). ", s.policy.Threshold, plural(s.policy.Threshold), hours(s.policy.Period), policyWords(s.policy.Source))
	if len(hops) > 0 {
		b.WriteString("The group bounced straight back to the node it had just left, without staying online anywhere for long: " +
			"while it ping-pongs, clients lose the service on every hop, and each hop uses up one failover of the policy. ")
	}
	if exh != nil {
		if n >= 0 {
			fmt.Fprintf(&b, "The cluster then refused to fail it over again: its failover count %d had reached the computed threshold %d. ", n, m)
		} else {
			b.WriteString("The cluster then logged that the group exceeded its failover threshold (" + exhaustedWords(exh) + "). ")
		}
		b.WriteString("A group whose policy is exhausted is left failed (offline) until the period has passed or someone brings it online. ")
	} else if left {
		b.WriteString("After the repeated failures its last known state is Failed: nothing in the bundle shows it online again. ")
	} else if inPeriod >= s.policy.Threshold && inPeriod >= 2 {
		b.WriteString("The next failure within the period will leave the group failed instead of moving it. ")
	}
	if len(causes) > 0 {
		b.WriteString("What drove the failovers: " + strings.Join(causes, "; ") + ".")
	}
	remedy := "Find out why the group keeps leaving its nodes before bringing it back: read the first failure of the episode " +
		"(the first failover line and the System log of the node it left). Node removals point at network, heartbeat or " +
		"host problems (event 1135, missed heartbeats); resource failures point at the resource named in event 1069. " +
		"Fix that cause, then bring the group online on a healthy node by hand. Do not simply raise FailoverThreshold: " +
		"the policy is what stops a broken group from taking every node down with it."
	if len(hops) > 0 {
		remedy += " If automatic failback is enabled for the group, disable it until the nodes are stable."
	}
	p.Report(detect.Finding{
		Severity:         sev,
		Confidence:       conf,
		ConfidenceReason: confWhy,
		Cause:            cause(exh != nil, left, len(hops) > 0),
		Nodes:            nodes,
		Groups:           []string{s.group},
		Start:            s.start,
		End:              s.end,
		Summary:          summary,
		Explanation:      strings.TrimSpace(b.String()),
		Remediation:      remedy,
		Evidence:         ev,
		Details:          details,
	})
}

func cause(exhausted, left, pingPong bool) string {
	switch {
	case exhausted:
		return "policy-exhausted"
	case left:
		return "left-failed"
	case pingPong:
		return "ping-pong"
	}
	return "failover-burst"
}

func policyWords(src string) string {
	switch src {
	case "registry":
		return "configured in the cluster hive"
	case "log":
		return "as computed by the cluster in its log"
	}
	return "the Windows default, as no configured value is in the bundle"
}

func span(ts []time.Time) time.Duration {
	if len(ts) < 2 {
		return 0
	}
	return ts[len(ts)-1].Sub(ts[0])
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func hours(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return dur(d)
}

func dur(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min", int((d+30*time.Second)/time.Minute))
	}
	return fmt.Sprintf("%.1f h", d.Hours())
}

// evTime reads an evidence time; untimed evidence sorts first.
func evTime(x detect.Evidence) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, x.Time)
	return t
}

// restartStorm is one resource failing more often on one node than its
// restart policy allows.
type restartStorm struct {
	node, resource, group string
	policy                detect.Policy
	events                []*parse.Event
	count                 int
	start, end            time.Time
	folded                bool
}

// restartStorms counts each resource's failures per node (reports of one
// failure within failureDedupe are one) and keeps the episodes with more
// failures than the restart threshold within the restart period.
func restartStorms(f *detect.Facts, evs []resFailure) []*restartStorm {
	type key struct{ node, res string }
	failures := map[key][][]resFailure{}
	var keys []key
	for _, rf := range evs {
		e := rf.e
		res := rf.resource
		if res == "" || e.Node == "" {
			continue
		}
		k := key{parse.ShortNode(e.Node), strings.ToLower(res)}
		list := failures[k]
		if list == nil {
			keys = append(keys, k)
		}
		if n := len(list); n > 0 && e.Time.Sub(list[n-1][0].e.Time) <= failureDedupe {
			list[n-1] = append(list[n-1], rf)
		} else {
			list = append(list, []resFailure{rf})
		}
		failures[k] = list
	}
	var out []*restartStorm
	for _, k := range keys {
		list := failures[k]
		res := list[0][0].resource
		pol := f.Cluster.RestartPolicy(res)
		failTime := func(fail []resFailure) time.Time { return fail[0].e.Time }
		for _, b := range bursts(list, failTime, pol.Period) {
			var ts []time.Time
			cur := &restartStorm{node: k.node, resource: res, group: groupOf(f, b[0]), policy: pol,
				start: failTime(b[0]), end: failTime(b[len(b)-1])}
			for _, fail := range b {
				ts = append(ts, failTime(fail))
				for _, rf := range fail {
					cur.events = append(cur.events, rf.e)
				}
			}
			if maxIn(ts, pol.Period) > pol.Threshold {
				cur.count = len(ts)
				out = append(out, cur)
			}
		}
	}
	return out
}

func groupOf(f *detect.Facts, evs []resFailure) string {
	for _, e := range evs {
		if e.group != "" {
			return canonical(f, e.group)
		}
	}
	return f.Cluster.GroupOf(evs[0].resource)
}

func (r *restartStorm) report(p *detect.Pass) {
	var ev []detect.Evidence
	for _, e := range r.events {
		ev = append(ev, detect.EvidenceOf(e))
	}
	conf, why := detect.ConfidenceHigh, ""
	if layoutNode(r.events) {
		conf, why = detect.ConfidenceMedium, "the node is named only by the bundle's folder layout; its cluster log does not name it"
	}
	p.Report(detect.Finding{
		Confidence: conf, ConfidenceReason: why,
		Severity: detect.Warning,
		Cause:    "restart-storm",
		Nodes:    []string{r.node},
		Groups:   []string{r.group},
		Start:    r.start,
		End:      r.end,
		Summary: fmt.Sprintf("Resource '%s' failed %d times on %s within %s (restart threshold %d in %s)",
			r.resource, r.count, r.node, dur(r.end.Sub(r.start)), r.policy.Threshold, dur(r.policy.Period)),
		Explanation: fmt.Sprintf("The cluster restarts a failed resource on the same node up to its restart threshold (%d in %s, %s); "+
			"past that it fails the whole group over. Resource '%s' failed %d times on %s between %s and %s, more than that "+
			"policy allows, so the node could not keep it running.", r.policy.Threshold, dur(r.policy.Period), policyWords(r.policy.Source),
			r.resource, r.count, r.node, stamp(r.start), stamp(r.end)),
		Remediation: "Look at what the resource logged just before each failure on that node (event 1069 names it; the " +
			"cluster log's resource lines and the application's own events give the reason) and fix the cause; repeated " +
			"restarts only hide it until the group starts failing over.",
		Evidence: ev,
		Details: map[string]string{"resource": r.resource, "failures": strconv.Itoa(r.count),
			"restart_threshold": strconv.Itoa(r.policy.Threshold), "restart_period": dur(r.policy.Period),
			"threshold_source": r.policy.Source},
	})
}

// flap is one node removed from membership again and again.
type flap struct {
	node       string
	removals   []detect.NodeEvent
	start, end time.Time
	folded     bool
}

func flapping(f *detect.Facts) []*flap {
	byNode := map[string][]detect.NodeEvent{}
	var names []string
	for _, r := range f.Cluster.Removals {
		if byNode[r.Node] == nil {
			names = append(names, r.Node)
		}
		byNode[r.Node] = append(byNode[r.Node], r)
	}
	var out []*flap
	for _, n := range names {
		for _, b := range bursts(byNode[n], nodeEventTime, flapWindow) {
			var ts []time.Time
			for _, r := range b {
				ts = append(ts, r.Time)
			}
			if maxIn(ts, flapWindow) >= flapCount {
				out = append(out, &flap{node: n, removals: b, start: b[0].Time, end: b[len(b)-1].Time})
			}
		}
	}
	return out
}

func (fl *flap) report(p *detect.Pass) {
	var ev []detect.Evidence
	for _, r := range fl.removals {
		ev = append(ev, r.Evidence...)
	}
	p.Report(detect.Finding{
		Confidence: detect.ConfidenceHigh,
		Severity:   detect.Warning,
		Cause:      "node-flapping",
		Nodes:      []string{fl.node},
		Groups:     []string{},
		Start:      fl.start,
		End:        fl.end,
		Summary:    fmt.Sprintf("Node %s was removed from the cluster %d times within %s", fl.node, len(fl.removals), dur(fl.end.Sub(fl.start))),
		Explanation: fmt.Sprintf("Node %s left the active cluster membership %d times between %s and %s (event 1135 or the cluster "+
			"log's node-down lines). Each removal moves every group the node owned; a node that keeps dropping out and "+
			"rejoining drags its groups around with it (Windows Server 2016 and later quarantine a node after three such "+
			"failures in an hour).", fl.node, len(fl.removals), stamp(fl.start), stamp(fl.end)),
		Remediation: "Check the node's network paths and heartbeats (missed heartbeats, NIC and driver events), its host or " +
			"hypervisor, and whether the cluster service crashed on it; keep it paused or out of the cluster until it is stable.",
		Evidence: ev,
		Details:  map[string]string{"removals": strconv.Itoa(len(fl.removals))},
	})
}

// quorumStorm is quorum lost again and again.
type quorumStorm struct {
	losses     []detect.NodeEvent
	start, end time.Time
	folded     bool
}

func quorumStorms(f *detect.Facts) []*quorumStorm {
	var out []*quorumStorm
	for _, b := range bursts(f.Cluster.QuorumLosses, nodeEventTime, quorumWindow) {
		if len(b) >= quorumCount {
			out = append(out, &quorumStorm{losses: b, start: b[0].Time, end: b[len(b)-1].Time})
		}
	}
	return out
}

func (q *quorumStorm) report(p *detect.Pass) {
	var ev []detect.Evidence
	var nodes []string
	for _, l := range q.losses {
		ev = append(ev, l.Evidence...)
		nodes = append(nodes, l.Reporters...)
	}
	p.Report(detect.Finding{
		Confidence: detect.ConfidenceHigh,
		Severity:   detect.Warning,
		Cause:      "quorum-loss",
		Nodes:      nodes,
		Groups:     []string{},
		Start:      q.start,
		End:        q.end,
		Summary:    fmt.Sprintf("Cluster lost quorum %d times within %s", len(q.losses), dur(q.end.Sub(q.start))),
		Explanation: fmt.Sprintf("Quorum was lost %d times between %s and %s (event 1177 or the cluster log's quorum lines). "+
			"Every loss stops the cluster service on the nodes that lost it and takes all their groups offline.",
			len(q.losses), stamp(q.start), stamp(q.end)),
		Remediation: "Check the links between the nodes and to the witness (disk or file share), and the witness itself; " +
			"make sure a majority of votes can stay connected.",
		Evidence: ev,
		Details:  map[string]string{"losses": strconv.Itoa(len(q.losses))},
	})
}

// exhaustedWords says which line stated the exhausted policy.
func exhaustedWords(l *groupLine) string {
	if l.e.EventID == 1254 {
		return "event 1254"
	}
	if l.exhausted != nil && l.exhausted.LeftFailed {
		return "the cluster log says the threshold was reached and the group is left failed"
	}
	return "the cluster log says it stopped failing the group over"
}

// confidence rates a storm: high when a move line or event with a real
// public sample counted the failovers or the cluster stated the exhausted
// policy; medium when every failover rests on 2003 [FM] wording, whose
// shape no public log confirms; low when nodes are only numbers.
func (s *storm) confidence() (string, string) {
	guessed, sure := 0, 0
	for _, m := range s.moves() {
		if m.Guessed {
			guessed++
		} else {
			sure++
		}
		if strings.HasPrefix(m.To, "#") || strings.HasPrefix(m.From, "#") {
			return detect.ConfidenceLow, "some nodes are known only by their cluster node number; no line of the bundle names them"
		}
	}
	if exh, _, _ := s.exhausted(); exh != nil && exh.e.Source != parse.SourceClusterLog {
		return detect.ConfidenceHigh, ""
	}
	if guessed > 0 && sure == 0 {
		return detect.ConfidenceMedium, "the failovers are read from Windows 2003 [FM] lines, whose wording no public sample confirms; the moves were matched loosely"
	}
	return detect.ConfidenceHigh, ""
}

// layoutNode reports whether the node of these events comes only from
// the bundle's folder layout.
func layoutNode(evs []*parse.Event) bool {
	for _, e := range evs {
		if e.NodeFrom != parse.NodeFromLayout {
			return false
		}
	}
	return len(evs) > 0
}
