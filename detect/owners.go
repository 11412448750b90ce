package detect

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

// Move kinds of an OwnerChange. Only unplanned moves count as failovers:
// an administrator moving groups during a rolling upgrade is not a storm.
const (
	MovePlanned   = "planned"
	MoveUnplanned = "unplanned"
	MoveUnknown   = "unknown"
)

// OwnerChange is a group arriving on a node: one move, however many logs
// reported it (the RCM line of each node's cluster log, operational
// 1153 and 1641, a 2003 [FM] line).
type OwnerChange struct {
	Time  time.Time `json:"time"`
	Group string    `json:"group"`
	From  string    `json:"from,omitempty"`
	To    string    `json:"to"`
	// MoveType is the cluster's own word for the move (Manual, NodeDown,
	// Failover...) when a log gave one.
	MoveType string `json:"move_type,omitempty"`
	// Kind is MovePlanned, MoveUnplanned or MoveUnknown.
	Kind string `json:"kind"`
	// Why says what decided Kind ("MoveType::NodeDown", "event 1153",
	// "moved by an administrator", "source node removed just before").
	Why string `json:"why,omitempty"`
	// FailoverCount is the cluster's failover counter for the group as the
	// RCM line wrote it, or -1 when no line gave it.
	FailoverCount int `json:"failover_count"`
	// Guessed is true when every report of the move is a line shape no
	// public real log confirms (the 2003 [FM] move and owner lines).
	Guessed bool `json:"guessed,omitempty"`
	// Sources lists the kinds of report merged into this move.
	Sources  []string `json:"sources"`
	Evidence Evidence `json:"evidence"`
	// More holds the other reports of the same move.
	More []Evidence `json:"more,omitempty"`

	rank int // how specific Kind's reason is; a better report replaces it
}

// AllEvidence returns every report of the move, first one first.
func (oc *OwnerChange) AllEvidence() []Evidence {
	return append([]Evidence{oc.Evidence}, oc.More...)
}

// Text says the move in words, as in "EVS1 failed over from NODE1 to
// NODE2"; the story's steps and the case timeline both write it so.
func (oc *OwnerChange) Text() string {
	verb := "moved"
	if oc.Kind == MoveUnplanned {
		verb = "failed over"
	}
	s := oc.Group + " " + verb
	if oc.From != "" {
		s += " from " + oc.From
	}
	return s + " to " + oc.To
}

// GroupObs is a log line showing a group on a node without moving it: a
// resource of the group failed there (1069), the group failed to come
// online there (1205), or the node gave up failing it over (1254).
type GroupObs struct {
	Time     time.Time
	Group    string
	Node     string
	Resource string
	// What is the event's action (resource-failed, group-failed,
	// online-failed, not-failing-over).
	What     string
	Evidence Evidence
}

// NodeEvent is one cluster-wide happening reported by one or more nodes:
// a node removed from membership (1135) or quorum lost (1177).
type NodeEvent struct {
	Time time.Time
	// Node is the node removed; for quorum loss, the first node to report.
	Node string
	// Reporters are the nodes that logged it.
	Reporters []string
	Evidence  []Evidence
}

// Policy is a group's failover policy: at most Threshold failovers in
// Period, after which the cluster leaves the group failed.
type Policy struct {
	Threshold int
	Period    time.Duration
	// Source is "registry" (the cluster hive), "log" (computed by the
	// cluster and written in its log) or "default".
	Source   string
	Evidence []Evidence
}

// ClusterFacts is what the cluster logs, cluster events and the exported
// cluster hive say beyond owner changes.
type ClusterFacts struct {
	// Nodes are the cluster's nodes as far as the bundle shows them.
	Nodes []string
	// Legacy: a Windows 2000/2003 server cluster (ClusSvc) was seen;
	// Modern: a 2008+ failover cluster.
	Legacy, Modern bool
	// Observations holds, by group, the lines that place a group on a node.
	Observations map[string][]GroupObs
	// Removals are node removals (1135 and the cluster-log equivalents),
	// one per removal however many nodes logged it.
	Removals []NodeEvent
	// QuorumLosses are losses of quorum, one per episode.
	QuorumLosses []NodeEvent

	canon         map[string]string // lower-case group -> spelling first seen
	resourceGroup map[string]string // lower-case resource -> group
	exchange      map[string]bool   // lower-case group -> holds Exchange resources
	policy        map[string]*Policy
	restart       map[string]*Policy // lower-case resource -> restart policy
	nodes         map[string]bool
	nodeIDs       map[string]string // cluster node id -> name
	guidName      map[string]string // lower-case group or resource GUID -> name
	guidGroup     map[string]string // lower-case resource GUID -> group name or GUID
	groupIDs      map[string]string // group name -> the GUID logs named it by
	moveNodes     map[string]bool   // nodes named as a move's source or target
	pendingObs    []GroupObs        // observations naming only a resource
	pending       []*parse.Event    // cluster events, read once every name is known
	removed       []nodeReport
	quorum        []nodeReport
}

// nodeReport is one report of a removal or quorum loss.
type nodeReport struct {
	e    *parse.Event
	node string
}

func newClusterFacts() *ClusterFacts {
	return &ClusterFacts{
		Observations:  map[string][]GroupObs{},
		canon:         map[string]string{},
		resourceGroup: map[string]string{},
		exchange:      map[string]bool{},
		policy:        map[string]*Policy{},
		restart:       map[string]*Policy{},
		nodes:         map[string]bool{},
		nodeIDs:       map[string]string{},
		guidName:      map[string]string{},
		guidGroup:     map[string]string{},
		groupIDs:      map[string]string{},
		moveNodes:     map[string]bool{},
	}
}

// Registry values of the cluster hive the failover policy lives in.
var policyValues = map[string]bool{
	"failoverthreshold": true, "failoverperiod": true,
	"restartthreshold": true, "restartperiod": true,
}

// clusterSelect picks the events the owner timeline and the other cluster
// facts are built from: those carrying the cluster facts the parsers read
// from their own wording (package parse/facts), and the cluster hive's
// values.
func clusterSelect(e *parse.Event) bool {
	if e.Facts == nil && e.Field(parse.KeyAction) != "" {
		// An event that carries its cluster fields but not the facts
		// (built by hand, or read back from an older index): the facts
		// follow from the fields alone.
		facts.Cluster(e)
	}
	for _, f := range e.Facts {
		if clusterFact(f, e) {
			return true
		}
	}
	if e.Source == parse.SourceRegistry {
		vn := strings.ToLower(e.Field(parse.KeyValueName))
		switch {
		case policyValues[vn]:
			return true
		case vn == "type" && e.Field(parse.KeyClusterResource) != "":
			return true
		case vn == "nodename" && e.Field(parse.KeyClusterNodeID) != "":
			return true
		}
	}
	return false
}

// clusterFact reports the facts the owner timeline reads.
func clusterFact(f parse.Fact, e *parse.Event) bool {
	switch f := f.(type) {
	case facts.GroupMove, facts.FailoverPolicy, facts.NameMap, facts.QuorumLoss:
		return true
	case facts.ResourceFailure:
		return obsKind(f.Kind) != ""
	case facts.NodeState:
		return f.State == facts.NodeRemoved || (f.State == facts.NodeDown && legacyEvent(e))
	}
	return false
}

// legacyEvent reports a Windows 2000/2003 cluster record.
func legacyEvent(e *parse.Event) bool { return strings.EqualFold(e.Provider, "clussvc") }

// obsKind names the failures that place a group on a node, as GroupObs.What
// spells them; "" for the others.
func obsKind(kind string) string {
	switch kind {
	case facts.FailResource, facts.FailOnline, facts.FailGroup:
		return kind
	}
	return ""
}

// groupName returns the spelling of a group first seen, so that "evs1"
// and "EVS1" are one group.
func (c *ClusterFacts) groupName(g string) string {
	g = strings.TrimSpace(g)
	if g == "" {
		return ""
	}
	k := strings.ToLower(g)
	if s, ok := c.canon[k]; ok {
		return s
	}
	c.canon[k] = g
	return g
}

func (c *ClusterFacts) addNode(n string) {
	if n = parse.ShortNode(n); n != "" && n != "-1" && !strings.HasPrefix(n, "#") {
		c.nodes[n] = true
	}
}

// isExchangeText reports whether a resource name or type is Exchange's.
func isExchangeText(s string) bool {
	return strings.Contains(strings.ToLower(s), "exchange")
}

// addClusterEvent takes one selected event; DeriveFacts calls it for every
// event in time order. Name maps are learnt at once; the rest waits for
// finishCluster, when every log's names are known, so that a group a log
// names only by GUID gets the name another log gave it.
func (f *Facts) addClusterEvent(e *parse.Event) {
	c := f.Cluster
	if !clusterSelect(e) {
		return
	}
	switch strings.ToLower(e.Provider) {
	case "clussvc":
		c.Legacy = true
	case "failoverclustering", "microsoft-windows-failoverclustering":
		c.Modern = true
	}
	if e.Source == parse.SourceRegistry {
		c.addRegistry(e)
		return
	}
	for _, fc := range facts.Of[facts.NameMap](e) {
		c.learnName(fc)
	}
	c.pending = append(c.pending, e)
}

// learnName records one name map.
func (c *ClusterFacts) learnName(m facts.NameMap) {
	switch m.Kind {
	case facts.MapNode:
		if n := parse.ShortNode(m.Name); n != "" && m.ID != "" {
			if _, known := c.nodeIDs[m.ID]; !known {
				c.nodeIDs[m.ID] = n
			}
		}
	case facts.MapGroup, facts.MapResource:
		id := facts.NormGUID(m.ID)
		if m.Name != "" {
			c.guidName[id] = m.Name
		}
		if m.Kind == facts.MapResource && m.Group != "" {
			c.guidGroup[id] = m.Group
		}
	}
}

// group names a group from a fact's name and GUID: the name when given,
// else the name any log gave the GUID, else the GUID itself.
func (c *ClusterFacts) group(name, id string) string {
	if name == "" && id != "" {
		name = c.guidName[facts.NormGUID(id)]
		if name == "" {
			name = facts.NormGUID(id)
		}
	}
	g := c.groupName(name)
	if g != "" && id != "" && !facts.IsGUID(g) {
		c.groupIDs[g] = facts.NormGUID(id)
	}
	return g
}

// resource names a resource the same way.
func (c *ClusterFacts) resource(name, id string) string {
	if name == "" && id != "" {
		if name = c.guidName[facts.NormGUID(id)]; name == "" {
			name = facts.NormGUID(id)
		}
	}
	return name
}

// nodeName names a node from a name or a node number, "" when neither is
// known. An unmapped number is kept as "#<n>".
func (c *ClusterFacts) nodeName(name, id string) string {
	if name != "" {
		return parse.ShortNode(name)
	}
	if id == "" || id == "-1" {
		return ""
	}
	if n := c.nodeIDs[id]; n != "" {
		return n
	}
	return "#" + id
}

// GroupName names a group from a fact's name and GUID as the owner
// timeline does: the name, else the name any log gave the GUID, else the
// GUID.
func (c *ClusterFacts) GroupName(name, id string) string {
	if c == nil {
		return name
	}
	return c.group(name, id)
}

// NodeName names a node from a fact's name or node number as the owner
// timeline does; an unmapped number is "#<n>".
func (c *ClusterFacts) NodeName(name, id string) string {
	if c == nil {
		return parse.ShortNode(name)
	}
	return c.nodeName(name, id)
}

// namedNode reports whether a cluster line or the cluster hive names the
// node (by node number, or as a move's source or target).
func (c *ClusterFacts) namedNode(n string) bool {
	for _, v := range c.nodeIDs {
		if v == n {
			return true
		}
	}
	return c.moveNodes[n]
}

// IsNamedNode reports whether the cluster's own lines name the node, as
// opposed to a name only the bundle's folder layout gives.
func (c *ClusterFacts) IsNamedNode(n string) bool { return c != nil && c.namedNode(n) }

// GroupID returns the GUID the logs named a group by, or "".
func (c *ClusterFacts) GroupID(group string) string {
	if c == nil {
		return ""
	}
	return c.groupIDs[group]
}

// readPending reads the held events' facts into the timeline.
func (f *Facts) readPending() {
	c := f.Cluster
	for _, e := range c.pending {
		if e.Source == parse.SourceClusterLog || e.Field(parse.KeyProviderFamily) == "failover-clustering" {
			c.addNode(e.Node)
		}
		for _, fc := range e.Facts {
			switch fc := fc.(type) {
			case facts.NameMap:
				if fc.Kind == facts.MapResource && fc.Group != "" {
					g := c.group(fc.Group, "")
					if facts.IsGUID(fc.Group) {
						g = c.group("", fc.Group)
					}
					if r := c.resource(fc.Name, fc.ID); r != "" && g != "" {
						c.resourceGroup[strings.ToLower(r)] = g
						if isExchangeText(r) {
							c.exchange[strings.ToLower(g)] = true
						}
					}
				}
			case facts.GroupMove:
				f.addMove(e, fc)
			case facts.ResourceFailure:
				if k := obsKind(fc.Kind); k != "" {
					c.observe(e, k, c.group(fc.Group, fc.GroupID), c.resource(fc.Resource, fc.ResourceID), fc.Type)
				}
			case facts.FailoverPolicy:
				g := c.group(fc.Group, fc.GroupID)
				c.addLogPolicy(e, g, fc)
				c.observe(e, "not-failing-over", g, "", "")
			case facts.NodeState:
				if clusterFact(fc, e) && !e.Time.IsZero() {
					c.removed = append(c.removed, nodeReport{e, fc.Node + "\x00" + fc.ID})
				}
			case facts.QuorumLoss:
				if !e.Time.IsZero() {
					c.quorum = append(c.quorum, nodeReport{e: e})
				}
			}
		}
	}
	c.pending = nil
}

// observe records a line that places a group (or a resource whose group
// is found later) on the reporting node.
func (c *ClusterFacts) observe(e *parse.Event, what, grp, res, typ string) {
	if res != "" && grp != "" {
		c.resourceGroup[strings.ToLower(res)] = grp
	}
	if grp != "" && (isExchangeText(res) || isExchangeText(typ)) {
		c.exchange[strings.ToLower(grp)] = true
	}
	if e.Time.IsZero() {
		return
	}
	o := GroupObs{Time: e.Time, Node: parse.ShortNode(e.Node), Resource: res, What: what, Evidence: EvidenceOf(e)}
	if o.Node == "" {
		return
	}
	if grp != "" {
		o.Group = grp
		c.Observations[o.Group] = append(c.Observations[o.Group], o)
	} else if res != "" {
		c.pendingObs = append(c.pendingObs, o)
	}
}

// moveKind classifies one report of a move. rank says how sure the
// reason is: an RCM MoveType outranks an event ID, which outranks wording.
func moveKind(m facts.GroupMove) (kind, why string, rank int) {
	switch {
	case m.Kind == facts.MoveUnknown:
		return MoveUnknown, "", 0
	case m.Report == "rcm-move" && strings.HasPrefix(m.Why, "MoveType::"):
		return m.Kind, m.Why, 3
	case m.Why == "administrator request":
		return m.Kind, "moved by an administrator", 1
	}
	return m.Kind, m.Why, 2
}

// mergeWindow is how close two reports of a group arriving on the same
// node must be to be one move.
const mergeWindow = 2 * time.Minute

func (f *Facts) addMove(e *parse.Event, m facts.GroupMove) {
	c := f.Cluster
	g := c.group(m.Group, m.GroupID)
	to := c.nodeName(m.To, m.ToID)
	if g == "" || to == "" || e.Time.IsZero() {
		return
	}
	kind, why, rank := moveKind(m)
	oc := OwnerChange{Time: e.Time, Group: g, To: to, MoveType: m.MoveType,
		Kind: kind, Why: why, rank: rank, FailoverCount: m.FailoverCount, Guessed: m.Guessed,
		Sources: []string{moveSource(e, m)}, Evidence: EvidenceOf(e)}
	oc.From = c.nodeName(m.From, m.FromID)
	c.moveNodes[oc.To] = true
	if oc.From != "" {
		c.moveNodes[oc.From] = true
	}
	c.addNode(oc.To)
	c.addNode(oc.From)
	list := f.Owners[g]
	if n := len(list); n > 0 {
		last := &list[n-1]
		if last.To == oc.To && oc.Time.Sub(last.Time) <= mergeWindow && (oc.From == "" || last.From == "" || oc.From == last.From) {
			last.More = append(last.More, oc.Evidence)
			if !slices.Contains(last.Sources, oc.Sources[0]) {
				last.Sources = append(last.Sources, oc.Sources[0])
			}
			if last.From == "" {
				last.From = oc.From
			}
			if oc.rank > last.rank {
				last.Kind, last.Why, last.rank = oc.Kind, oc.Why, oc.rank
				if oc.MoveType != "" {
					last.MoveType = oc.MoveType
				}
			}
			if last.FailoverCount < 0 {
				last.FailoverCount = oc.FailoverCount
			}
			last.Guessed = last.Guessed && oc.Guessed
			return
		}
	}
	f.Owners[g] = append(list, oc)
}

// moveSource names the kind of report a move came from.
func moveSource(e *parse.Event, m facts.GroupMove) string {
	switch m.Report {
	case "event-1153":
		return "event 1153"
	case "event-1641":
		return "event 1641"
	case "fm-move", "owner-line":
		return "2003 FM line"
	}
	return "RCM move line"
}

func (c *ClusterFacts) addRegistry(e *parse.Event) {
	vn := strings.ToLower(e.Field(parse.KeyValueName))
	switch {
	case vn == "nodename":
		n := parse.ShortNode(e.Field(parse.KeyValue))
		c.addNode(n)
		c.nodeIDs[e.Field(parse.KeyClusterNodeID)] = n
		return
	case vn == "type":
		if isExchangeText(e.Field(parse.KeyValue)) && e.Field(parse.KeyClusterGroup) != "" {
			c.exchange[strings.ToLower(c.groupName(e.Field(parse.KeyClusterGroup)))] = true
		}
		if r, g := e.Field(parse.KeyClusterResource), e.Field(parse.KeyClusterGroup); r != "" && g != "" {
			c.resourceGroup[strings.ToLower(r)] = c.groupName(g)
		}
		return
	}
	v, err := strconv.ParseUint(strings.TrimSpace(e.Field(parse.KeyValue)), 10, 32)
	if err != nil {
		return
	}
	var target map[string]*Policy
	var name string
	switch vn {
	case "failoverthreshold", "failoverperiod":
		target, name = c.policy, strings.ToLower(c.groupName(e.Field(parse.KeyClusterGroup)))
	default:
		target, name = c.restart, strings.ToLower(e.Field(parse.KeyClusterResource))
	}
	if name == "" {
		return
	}
	p := target[name]
	if p == nil {
		p = &Policy{Source: "registry"}
		target[name] = p
	}
	switch vn {
	case "failoverthreshold", "restartthreshold":
		// 0xFFFFFFFF asks for the default (2008+: nodes - 1).
		if v != 0xFFFFFFFF {
			p.Threshold = int(v)
			p.Evidence = append(p.Evidence, EvidenceOf(e))
		}
	case "failoverperiod":
		p.Period = time.Duration(v) * time.Hour
		p.Evidence = append(p.Evidence, EvidenceOf(e))
	case "restartperiod":
		p.Period = time.Duration(v) * time.Millisecond
		p.Evidence = append(p.Evidence, EvidenceOf(e))
	}
}

// addLogPolicy learns the threshold the cluster itself computed, from
// "Not failing over group G, failoverCount N, failoverThresholdSetting S,
// computedFailoverThreshold M" and the 2003 threshold lines.
func (c *ClusterFacts) addLogPolicy(e *parse.Event, g string, fp facts.FailoverPolicy) {
	m := fp.Computed
	if m < 0 {
		m = fp.Setting
	}
	if m < 0 || g == "" {
		return
	}
	k := strings.ToLower(g)
	if p := c.policy[k]; p != nil && p.Threshold > 0 {
		return // the registry's configured value stands
	}
	p := c.policy[k]
	if p == nil {
		p = &Policy{}
		c.policy[k] = p
	}
	p.Threshold, p.Source = m, "log"
	p.Evidence = append(p.Evidence, EvidenceOf(e))
}

// Spelling returns how the owner timeline spells a group name (group
// names match case-insensitively), or false when it never saw the group.
func (c *ClusterFacts) Spelling(group string) (string, bool) {
	if c == nil {
		return "", false
	}
	g, ok := c.canon[strings.ToLower(strings.TrimSpace(group))]
	return g, ok
}

// GroupOf returns the group a resource belongs to, or "" when the bundle
// does not say.
func (c *ClusterFacts) GroupOf(resource string) string {
	if c == nil || resource == "" {
		return ""
	}
	if g := c.resourceGroup[strings.ToLower(strings.TrimSpace(resource))]; g != "" {
		return g
	}
	if s := facts.ExchangeResourceServer(resource); s != "" {
		if g, ok := c.canon[strings.ToLower(s)]; ok {
			return g
		}
	}
	return ""
}

// IsExchangeGroup reports whether the bundle shows Exchange resources in
// the group (an Exchange virtual server or clustered mailbox server).
func (c *ClusterFacts) IsExchangeGroup(group string) bool {
	return c != nil && c.exchange[strings.ToLower(group)]
}

// FailoverPolicy returns the group's failover policy: configured in the
// cluster hive, computed by the cluster in its log, or the default (10 in
// 6 hours on 2000/2003, nodes - 1 in 6 hours on 2008+).
func (c *ClusterFacts) FailoverPolicy(group string) Policy {
	def := Policy{Threshold: 10, Period: 6 * time.Hour, Source: "default"}
	if c == nil {
		return def
	}
	if !c.Legacy || c.Modern {
		def.Threshold = max(len(c.Nodes)-1, 1)
	}
	p := c.policy[strings.ToLower(group)]
	if p == nil {
		return def
	}
	out := *p
	if out.Threshold <= 0 {
		out.Threshold = def.Threshold
		out.Source = "default"
		if out.Period > 0 {
			out.Source = "registry"
		}
	}
	if out.Period <= 0 {
		out.Period = def.Period
	}
	return out
}

// RestartPolicy returns a resource's restart policy: configured, or the
// default (3 failures in 900 s on 2000/2003, 1 in 900 s on 2008+).
func (c *ClusterFacts) RestartPolicy(resource string) Policy {
	def := Policy{Threshold: 1, Period: 900 * time.Second, Source: "default"}
	if c != nil && c.Legacy && !c.Modern {
		def.Threshold = 3
	}
	if c == nil {
		return def
	}
	p := c.restart[strings.ToLower(resource)]
	if p == nil {
		return def
	}
	out := *p
	if out.Threshold <= 0 {
		out.Threshold = def.Threshold
	}
	if out.Period <= 0 {
		out.Period = def.Period
	}
	return out
}

// failedJustBefore is how soon after the group failed on its node a move
// of unknown kind away from it counts as the cluster failing it over.
const failedJustBefore = 3 * time.Minute

// nodeEventWindow groups the reports of one removal or quorum loss logged
// by several nodes.
const nodeEventWindow = 2 * time.Minute

// finishCluster resolves what needed the whole bundle: resource-only
// observations, de-duplicated removals and quorum losses, moves whose kind
// follows from a removal, and the node list.
func (f *Facts) finishCluster() {
	c := f.Cluster
	f.readPending()
	for _, o := range c.pendingObs {
		if g := c.GroupOf(o.Resource); g != "" {
			o.Group = g
			c.Observations[g] = append(c.Observations[g], o)
		}
	}
	c.pendingObs = nil
	for g, obs := range c.Observations {
		slices.SortStableFunc(obs, func(a, b GroupObs) int { return a.Time.Compare(b.Time) })
		c.Observations[g] = obs
		for _, o := range obs {
			c.addNode(o.Node)
		}
	}
	c.Removals = groupNodeEvents(c.removed, func(r nodeReport) string {
		name, id, _ := strings.Cut(r.node, "\x00")
		n := c.nodeName(name, id)
		if strings.HasPrefix(n, "#") {
			return "" // a node number no line names
		}
		return n
	})
	c.QuorumLosses = groupNodeEvents(c.quorum, nil)
	c.removed, c.quorum = nil, nil
	for _, r := range c.Removals {
		c.addNode(r.Node)
	}
	// A move of unknown kind away from a node that was just removed is
	// the cluster recovering the node's groups; one away from a node
	// where the group had just failed is the cluster failing it over.
	for g, list := range f.Owners {
		for i := range list {
			oc := &list[i]
			if oc.Kind != MoveUnknown {
				continue
			}
			from := oc.From
			if from == "" && i > 0 {
				from = list[i-1].To
			}
			if from == "" {
				continue
			}
			for _, r := range c.Removals {
				if r.Node == from && !r.Time.After(oc.Time) && oc.Time.Sub(r.Time) <= 5*time.Minute {
					oc.Kind, oc.Why = MoveUnplanned, "source node "+r.Node+" was removed from the cluster just before"
					break
				}
			}
			if oc.Kind != MoveUnknown {
				continue
			}
			for _, o := range c.Observations[g] {
				// A log the bundle layout put under another name counts
				// when no cluster line names its node.
				onFrom := o.Node == from || (len(c.nodeIDs) > 0 && !c.namedNode(o.Node))
				if onFrom && !o.Time.After(oc.Time) && oc.Time.Sub(o.Time) <= failedJustBefore {
					oc.Kind, oc.Why = MoveUnplanned, "the group failed on "+from+" just before ("+o.What+")"
					break
				}
			}
		}
		f.Owners[g] = list
	}
	c.Nodes = c.Nodes[:0]
	for n := range c.nodes {
		// Where the logs name the nodes by number, those names are the
		// cluster's nodes; a folder name of the bundle is not one.
		if len(c.nodeIDs) > 0 && !c.namedNode(n) {
			continue
		}
		c.Nodes = append(c.Nodes, n)
	}
	slices.Sort(c.Nodes)
}

// groupNodeEvents merges reports of the same happening: same subject
// (when subject is given) within nodeEventWindow of the episode's first
// report.
func groupNodeEvents(evs []nodeReport, subject func(nodeReport) string) []NodeEvent {
	var out []NodeEvent
	open := map[string]int{} // subject -> index in out of its latest episode
	for _, r := range evs {
		e := r.e
		s := ""
		if subject != nil {
			if s = subject(r); s == "" {
				continue
			}
		}
		rep := parse.ShortNode(e.Node)
		if i, ok := open[s]; ok && e.Time.Sub(out[i].Time) <= nodeEventWindow {
			if rep != "" && !slices.Contains(out[i].Reporters, rep) {
				out[i].Reporters = append(out[i].Reporters, rep)
			}
			out[i].Evidence = append(out[i].Evidence, EvidenceOf(e))
			continue
		}
		ne := NodeEvent{Time: e.Time, Node: s, Evidence: []Evidence{EvidenceOf(e)}}
		if s == "" {
			ne.Node = rep
		}
		if rep != "" {
			ne.Reporters = []string{rep}
		}
		open[s] = len(out)
		out = append(out, ne)
	}
	return out
}

// OwnerAt returns the node that owned group at time t according to the
// owner timeline (moves, and lines that show the group on a node), or ""
// when the bundle does not say.
func (f *Facts) OwnerAt(group string, t time.Time) string {
	owner, _ := f.ownerAt(group, t)
	return owner
}

func (f *Facts) ownerAt(group string, t time.Time) (string, time.Time) {
	if f.Cluster != nil {
		if g, ok := f.Cluster.canon[strings.ToLower(group)]; ok {
			group = g
		}
	}
	owner, since := "", time.Time{}
	for _, oc := range f.Owners[group] {
		if oc.Time.After(t) {
			break
		}
		owner, since = oc.To, oc.Time
	}
	if f.Cluster != nil {
		for _, o := range f.Cluster.Observations[group] {
			if o.Time.After(t) {
				break
			}
			if !o.Time.Before(since) {
				owner, since = o.Node, o.Time
			}
		}
	}
	return owner, since
}

// LastMove returns the latest owner change of group at or before t, if
// it came no more than within before t. The group is looked up as
// spelled.
func (f *Facts) LastMove(group string, t time.Time, within time.Duration) (OwnerChange, bool) {
	var last OwnerChange
	found := false
	for _, oc := range f.Owners[group] {
		if oc.Time.After(t) {
			break
		}
		last, found = oc, true
	}
	if !found || t.Sub(last.Time) > within {
		return OwnerChange{}, false
	}
	return last, true
}

// LastMoveTo returns the latest owner change of group onto node at or
// before t, if any.
func (f *Facts) LastMoveTo(group, node string, t time.Time) (OwnerChange, bool) {
	if f.Cluster != nil {
		if g, ok := f.Cluster.canon[strings.ToLower(group)]; ok {
			group = g
		}
	}
	list := f.Owners[group]
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].Time.After(t) {
			continue
		}
		if list[i].To == node {
			return list[i], true
		}
		return OwnerChange{}, false
	}
	return OwnerChange{}, false
}

// Groups lists every group the owner timeline knows, sorted.
func (f *Facts) Groups() []string {
	seen := map[string]bool{}
	for g := range f.Owners {
		seen[g] = true
	}
	if f.Cluster != nil {
		for g := range f.Cluster.Observations {
			seen[g] = true
		}
	}
	out := slices.Sorted(maps.Keys(seen))
	return out
}

// Hosting returns the groups owned by node at time t, sorted.
func (f *Facts) Hosting(node string, t time.Time) []string {
	node = parse.ShortNode(node)
	var out []string
	for _, g := range f.Groups() {
		if f.OwnerAt(g, t) == node {
			out = append(out, g)
		}
	}
	return out
}

// DropCopies removes events that repeat a record of another file exactly
// (same node, source, time, position and text): the copies a bundle holds
// of one log (cluster.log and cluster.log.bak, an event log exported
// twice). Evidence from a copy would otherwise count a second time. The
// events must be sorted by SortEvents, so the copy whose file sorts first
// is kept.
func DropCopies(evs []*parse.Event) []*parse.Event {
	type key struct {
		node, source, kind, msg string
		t                       int64
		line                    int
		record                  uint64
		id                      int
	}
	seen := make(map[key]string, len(evs))
	out := evs[:0]
	for _, e := range evs {
		if e.Time.IsZero() && e.Line == 0 && e.Record == 0 {
			out = append(out, e)
			continue
		}
		// A node only the layout gave is no part of the record: the same
		// log copied into another folder is still the same log.
		node := e.Node
		if e.NodeFrom == parse.NodeFromLayout {
			node = ""
		}
		k := key{node, e.Source, e.Kind, e.Message, e.Time.UnixNano(), e.Line, e.Record, e.EventID}
		if f, ok := seen[k]; ok && f != e.File {
			continue
		}
		seen[k] = e.File
		out = append(out, e)
	}
	return out
}
