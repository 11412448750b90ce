package clusterlog

import (
	"regexp"
	"strings"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

// names is what one log has said about IDs so far. Windows 2000/2003 logs
// name a group or resource once, when the Failover Manager reads it from
// the registry ("Name for Group <guid> is 'EVS1'"), and by GUID ever
// after; node numbers are named in node-manager lines. Records are read in
// file order, so a GUID named later in the file (or only in another
// node's log) stays a GUID here; the detectors join NameMap facts across
// the bundle.
type names struct {
	guid  map[string]string // lower-case GUID -> name
	group map[string]string // lower-case resource GUID -> group GUID
	node  map[string]string // node number -> short node name
}

func (n *names) setGUID(id, name string) bool {
	if n.guid == nil {
		n.guid = map[string]string{}
	}
	id = facts.NormGUID(id)
	if n.guid[id] == name {
		return false
	}
	n.guid[id] = name
	return true
}

func (n *names) setNode(id, name string) bool {
	if id == "" || name == "" || id == "-1" || isNumber(name) {
		return false
	}
	if n.node == nil {
		n.node = map[string]string{}
	}
	if n.node[id] == name {
		return false
	}
	n.node[id] = name
	return true
}

// Name lines. Only "Name for Group/Resource <guid> is '<name>'" is seen
// in a real (Resource Kit) log; the others are tolerant guesses for the
// same statement and for node numbers, which no public 2003 log shows.
var (
	reNameFor   = regexp.MustCompile(`(?i)\bname\s+(?:for|of)\s+(group|resource)\s+\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?\s+is\s+(?:'(.*)'|"(.*)"|<(.*)>|(\S+))`)
	reGUIDNamed = regexp.MustCompile(`(?i)\b(group|resource)\s+\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?\s*(?:\(\s*(?:name\s*[=:]?\s*)?'([^']+)'\s*\)|\(\s*name\s*[=:]?\s*([^)]+?)\s*\)|\s+(?:has\s+)?(?:the\s+)?name[d]?\s*[=:]?\s*'([^']+)')`)
	reContains  = regexp.MustCompile(`(?i)\bgroup\s+\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?\s+contains\s+resource\s+\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})`)
	// "node 1 (NODE1)", "node 2 <NODE2>", "node 2 ('NODE2')", "Node 2 [NODE2]".
	reNodeIDName = regexp.MustCompile(`(?i)\bnode\s*(?:id\s*)?[#=:]?\s*(\d{1,3})\s*[(<\[]\s*(?:name\s*[=:]?\s*)?['"]?([A-Za-z][\w.-]{0,62}?)['"]?\s*[)>\]]`)
	// "node NODE1 (1)", "node 'NODE1' (id 1)", "NODE1(1)".
	reNodeNameID = regexp.MustCompile(`(?i)\bnode\s+['"<]?([A-Za-z][\w.-]{0,62}?)['">]?\s*\(\s*(?:id\s*[=:]?\s*)?(\d{1,3})\s*\)`)
	// "NodeId 1 NodeName NODE1", "node id = 2, node name = NODE2".
	reNodeIDKV = regexp.MustCompile(`(?i)\bnode\s*id\s*[=:]?\s*(\d{1,3})\W{1,4}node\s*name\s*[=:]?\s*['"]?([A-Za-z][\w.-]{0,62})`)
	// The local node, in the loose wordings a 2003 log may state it.
	reLocalNode = regexp.MustCompile(`(?i)\blocal\s+node(?:\s+name)?\s*(?:is|=|:)\s*['"(]?([A-Za-z][\w-]{0,62})|\bnode\s+(?:\d{1,3}\s+)?[(<'"]?([A-Za-z][\w-]{0,62})[)>'"]?\s+is\s+the\s+local\s+node|\bthis\s+node\s+is\s+['"]?([A-Za-z][\w-]{0,62})`)
	reGUID      = regexp.MustCompile(`(?i)\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?`)
)

// readFacts finishes a timestamped record: it classifies a wrapped record
// again on its joined text, learns the names the record states, resolves
// GUIDs and node numbers it can, and attaches the typed facts.
func (r *run) readFacts(c *record) {
	ev := c.ev
	msg := c.msg
	action := ev.Field(parse.KeyAction)
	if c.more != nil && ev.Field(parse.KeyChannel) == "" {
		// A wrapped line: the message goes on in the continuation lines.
		cont := c.more.String()[len(c.text):]
		msg = c.msg + " " + strings.Join(strings.Fields(cont), " ")
		switch a := action; {
		case a == "", c.legacy && (a == "not-failing-over" || a == "group-move" || a == "group-owner"):
			// The joined text says at least what the first line
			// said; the numbers of a 2003 line may be wrapped off.
			classify(ev, c.comp, msg, c.legacy)
			action = ev.Field(parse.KeyAction)
		}
	}
	if action != "" || c.legacy {
		r.learn(ev, msg, c.legacy)
	}
	status := ev.Field(parse.KeyStatus)
	is5018 := status != "" && facts.Is5018(status)
	if is5018 && action == "" {
		// Error 5018 is the resource monitor failing an online call,
		// whatever words the line puts around it.
		setAction(ev, "online-failed")
		legacyResource(ev, msg)
		action = "online-failed"
	}
	if action != "" {
		r.resolve(ev)
		facts.Cluster(ev)
	}
	if server, ok := facts.ExchangeVersionMismatch(msg); ok {
		ev.AddFact(facts.VersionMismatch{Server: server, Resource: ev.Field(parse.KeyResource)})
	}
	if u, ok := facts.EVSUpgradeText(msg); ok {
		ev.AddFact(u)
	}
}

// learn reads name statements and attaches them as NameMap facts.
func (r *run) learn(ev *parse.Event, msg string, legacy bool) {
	n := &r.names
	// GUID names and node-number lines are 2000/2003 statements; 2008+
	// logs use names, and their move lines carry the node numbers.
	if legacy && (containsFold(msg, "name") || containsFold(msg, "contains")) && (containsFold(msg, "group") || containsFold(msg, "resource")) &&
		strings.IndexByte(msg, '-') >= 0 {
		if m := reNameFor.FindStringSubmatch(msg); m != nil {
			name := strings.TrimSuffix(first(m[3:]...), "'.")
			r.mapGUID(ev, strings.ToLower(m[1]), m[2], strings.TrimRight(name, "."), "")
		} else if m := reGUIDNamed.FindStringSubmatch(msg); m != nil {
			r.mapGUID(ev, strings.ToLower(m[1]), m[2], strings.TrimSpace(first(m[3:]...)), "")
		}
		if m := reContains.FindStringSubmatch(msg); m != nil {
			if n.group == nil {
				n.group = map[string]string{}
			}
			g, res := facts.NormGUID(m[1]), facts.NormGUID(m[2])
			n.group[res] = g
			gname := n.guid[g]
			if gname == "" {
				gname = g
			}
			ev.AddFact(facts.NameMap{Kind: facts.MapResource, ID: res, Name: n.guid[res], Group: gname})
		}
	}
	// Node numbers: from move lines that give both, and node lines.
	if ev.Field(parse.KeyFromNodeID) != "" && n.setNode(ev.Field(parse.KeyFromNodeID), ev.Field(parse.KeyFromNode)) {
		ev.AddFact(facts.NameMap{Kind: facts.MapNode, ID: ev.Field(parse.KeyFromNodeID), Name: ev.Field(parse.KeyFromNode)})
	}
	if ev.Field(parse.KeyToNodeID) != "" && n.setNode(ev.Field(parse.KeyToNodeID), ev.Field(parse.KeyToNode)) {
		ev.AddFact(facts.NameMap{Kind: facts.MapNode, ID: ev.Field(parse.KeyToNodeID), Name: ev.Field(parse.KeyToNode)})
	}
	if id, name := ev.Field(parse.KeyNodeID), ev.Field(parse.KeyNodeName); id != "" && name != "" && n.setNode(id, name) {
		ev.AddFact(facts.NameMap{Kind: facts.MapNode, ID: id, Name: name})
	}
	if !legacy {
		return
	}
	if c := containsFold(msg, "local node") || containsFold(msg, "this node is"); c && r.facts.node == "" {
		if m := reLocalNode.FindStringSubmatch(msg); m != nil && !nodeWords[strings.ToLower(first(m[1:]...))] {
			// Records from here on belong to the node the log names.
			r.facts.node = first(m[1:]...)
		}
	}
	if containsFold(msg, "node") && strings.ContainsAny(msg, "(<[=:") {
		for _, re := range []*regexp.Regexp{reNodeIDName, reNodeIDKV} {
			for _, m := range re.FindAllStringSubmatch(msg, 4) {
				r.mapNode(ev, m[1], m[2])
			}
		}
		for _, m := range reNodeNameID.FindAllStringSubmatch(msg, 4) {
			r.mapNode(ev, m[2], m[1])
		}
	}
}

// nodeWords are words that follow "node" in node lines but are not names.
var nodeWords = map[string]bool{"is": true, "has": true, "was": true, "id": true, "name": true, "state": true,
	"status": true, "down": true, "up": true, "to": true, "from": true, "number": true, "failed": true}

func (r *run) mapNode(ev *parse.Event, id, name string) {
	if nodeWords[strings.ToLower(name)] {
		return
	}
	name = node(name)
	if r.names.setNode(id, name) {
		ev.AddFact(facts.NameMap{Kind: facts.MapNode, ID: id, Name: name})
	}
}

func (r *run) mapGUID(ev *parse.Event, kind, id, name, group string) {
	if name == "" {
		return
	}
	r.names.setGUID(id, name)
	{
		k := facts.MapGroup
		if kind == "resource" {
			k = facts.MapResource
			if g := r.names.group[facts.NormGUID(id)]; g != "" {
				group = r.names.guid[g]
				if group == "" {
					group = g
				}
			}
		}
		ev.AddFact(facts.NameMap{Kind: k, ID: facts.NormGUID(id), Name: name, Group: group})
	}
}

// resolve replaces GUIDs and node numbers by the names this log gave
// them, keeping the IDs in their own fields.
func (r *run) resolve(ev *parse.Event) {
	n := &r.names
	for _, k := range [...][2]string{{parse.KeyGroup, parse.KeyGroupID}, {parse.KeyResource, parse.KeyResourceID}} {
		v := ev.Field(k[0])
		if v == "" || !facts.IsGUID(v) {
			continue
		}
		id := facts.NormGUID(v)
		ev.SetField(k[1], id)
		if name := n.guid[id]; name != "" {
			ev.SetField(k[0], name)
		}
		if k[0] == parse.KeyResource && ev.Field(parse.KeyGroup) == "" {
			if g := n.group[id]; g != "" {
				ev.SetField(parse.KeyGroupID, g)
				ev.SetField(parse.KeyGroup, first(n.guid[g], g))
			}
		}
	}
	if ev.Field(parse.KeyResource) == "" && ev.Field(parse.KeyAction) != "" && isFailureAction(ev.Field(parse.KeyAction)) {
		// A resource named only by a GUID somewhere in the line.
		if m := reGUID.FindString(ev.Message); m != "" && ev.Field(parse.KeyGroupID) != facts.NormGUID(m) {
			id := facts.NormGUID(m)
			ev.SetField(parse.KeyResourceID, id)
			ev.SetField(parse.KeyResource, first(n.guid[id], id))
		}
	}
	for _, k := range [...][2]string{{parse.KeyToNode, parse.KeyToNodeID}, {parse.KeyFromNode, parse.KeyFromNodeID}, {parse.KeyNodeName, parse.KeyNodeID}} {
		if ev.Field(k[0]) == "" && ev.Field(k[1]) != "" {
			ev.SetField(k[0], n.node[ev.Field(k[1])])
		}
	}
}

func isFailureAction(a string) bool {
	switch a {
	case "online-failed", "health-check-failed", "resource-state", "handle-failure":
		return true
	}
	return false
}
