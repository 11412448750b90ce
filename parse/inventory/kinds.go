package inventory

import (
	"regexp"
	"sort"
	"strings"

	"github.com/exlog/exlog/parse"
)

// Inventory kinds, as stored in Fields["inventory"].
const (
	KindNode      = "node"
	KindGroup     = "group"
	KindResource  = "resource"
	KindNetwork   = "network"
	KindInterface = "interface"
	KindCluster   = "cluster"
	KindParameter = "parameter"
)

func has(set map[string]bool, keys ...string) bool {
	for _, k := range keys {
		if set[k] {
			return true
		}
	}
	return false
}

// tableKind names what a table lists from its column labels. sure is false
// when the columns fit more than one cmdlet (Name and State alone), so a
// command seen earlier in the file may decide instead.
func tableKind(cols []column) (kind string, sure bool) {
	set := map[string]bool{}
	for _, c := range cols {
		set[normLabel(c.label)] = true
	}
	first := normLabel(cols[0].label)
	switch {
	// cluster.exe (2000/2003) status tables.
	case first == "node" && set["nodeid"]:
		return KindNode, true
	case first == "group" && set["node"] && set["status"]:
		return KindGroup, true
	case first == "resource" && set["group"] && set["node"]:
		return KindResource, true
	case first != "name" && first != "object":
		return "", false
	// PowerShell FailoverClusters cmdlets.
	case has(set, "ownergroup", "resourcetype"):
		return KindResource, true
	case set["ownernode"]:
		return KindGroup, true
	case first == "object" && set["value"]:
		return KindParameter, true
	case set["network"] && set["node"]:
		return KindInterface, true
	case set["state"] && has(set, "role", "metric", "address", "addressmask"):
		return KindNetwork, true
	case set["state"] && has(set, "id", "nodeid", "dynamicweight", "nodeweight", "type"):
		if len(cols) <= 4 {
			return KindNode, true
		}
	case set["state"] && len(cols) == 2:
		return KindNode, false
	case len(cols) == 1:
		return KindCluster, false
	}
	return "", false
}

// listKind names what a Format-List object describes from its property
// names, with the same meaning of sure as tableKind.
func listKind(props map[string]bool) (kind string, sure bool) {
	switch {
	case has(props, "ownergroup", "resourcetype", "restartthreshold"):
		return KindResource, true
	case has(props, "nodename", "nodehighestversion", "drainstatus", "nodeweight", "dynamicweight", "nodeinstanceid"):
		return KindNode, true
	case has(props, "failoverthreshold", "failoverperiod", "autofailbacktype", "iscoregroup", "grouptype"):
		return KindGroup, true
	case props["ownernode"]:
		return KindGroup, true
	case props["network"] && props["node"]:
		return KindInterface, true
	case props["role"] && has(props, "address", "addressmask", "metric"):
		return KindNetwork, true
	case has(props, "clusterfunctionallevel", "samesubnetdelay", "quorumarbitrationtimemax", "sharedvolumesroot", "crosssubnetdelay"):
		return KindCluster, true
	case props["name"] && props["state"]:
		return KindNode, false
	}
	return "", false
}

// fieldFor maps a column label or property name to a field key. A few
// names mean different things per kind: cluster.exe's first column is the
// object's name, its Node column the owner, and Id is the node number for
// nodes but a GUID for groups and resources.
func fieldFor(kind, label string, first bool) string {
	switch n := normLabel(label); n {
	case "name":
		return parse.KeyName
	case "state", "status":
		return parse.KeyState
	case "ownernode":
		return parse.KeyOwnerNode
	case "ownergroup":
		return parse.KeyGroup
	case "resourcetype":
		return parse.KeyResourceType
	case "nodeid":
		return parse.KeyNodeID
	case "id":
		switch kind {
		case KindNode:
			return parse.KeyNodeID
		case KindGroup:
			return "group_id"
		case KindResource:
			return "resource_id"
		}
		return "id"
	case "node":
		switch {
		case kind == KindNode && first:
			return parse.KeyName
		case kind == KindGroup || kind == KindResource:
			return parse.KeyOwnerNode
		}
		return parse.KeyNode
	case "group":
		if kind == KindGroup && first {
			return parse.KeyName
		}
		return parse.KeyGroup
	case "resource":
		if kind == KindResource && first {
			return parse.KeyName
		}
		return "resource"
	}
	return snake(label)
}

// pair is one labelled value of a row or object, in its original order.
type pair struct{ label, value string }

// event builds the event for one row or object.
func (r *run) event(kind string, line int, pairs []pair) *parse.Event {
	ev := &parse.Event{
		TimeQuality: parse.TimeNone,
		Node:        r.node,
		Source:      parse.SourceInventory,
		File:        r.in.Path,
		Line:        line,
	}
	ev.SetField(parse.KeyInventory, kind)
	var cut []string
	for i, p := range pairs {
		v := strings.TrimSpace(p.value)
		if v == "" {
			continue
		}
		k := fieldFor(kind, p.label, i == 0)
		if strings.HasSuffix(v, "...") || strings.HasSuffix(v, "…") {
			cut = append(cut, k)
		}
		if k == parse.KeyOwnerNode || k == parse.KeyNode {
			v = parse.ShortNode(v)
		}
		if ev.Fields[k] == "" {
			ev.SetField(k, v)
		}
	}
	if kind == KindNode && ev.Fields[parse.KeyName] == "" {
		ev.SetField(parse.KeyName, ev.Fields[parse.KeyNodeName])
	}
	if kind == KindNode {
		ev.SetField(parse.KeyNode, parse.ShortNode(ev.Fields[parse.KeyName]))
	}
	if len(cut) > 0 {
		sort.Strings(cut)
		ev.SetField(parse.KeyTruncated, strings.Join(cut, ","))
	}
	ev.Message = message(kind, ev.Fields)
	return ev
}

// message renders an inventory object as one readable line.
func message(kind string, f map[string]string) string {
	var b strings.Builder
	b.WriteString(kind)
	if n := f[parse.KeyName]; n != "" {
		b.WriteString(" " + quoteIfSpaced(n))
	}
	switch kind {
	case KindNode:
		if id := f[parse.KeyNodeID]; id != "" {
			b.WriteString(" (id " + id + ")")
		}
	case KindResource:
		if t := f[parse.KeyResourceType]; t != "" {
			b.WriteString(" (" + t + ")")
		}
		if g := f[parse.KeyGroup]; g != "" {
			b.WriteString(" in group " + quoteIfSpaced(g))
		}
	case KindInterface:
		if n := f[parse.KeyNode]; n != "" {
			b.WriteString(" on " + n)
		}
		if n := f["network"]; n != "" {
			b.WriteString(" network " + quoteIfSpaced(n))
		}
	case KindParameter:
		if o := f["object"]; o != "" {
			b.WriteString(" of " + quoteIfSpaced(o))
		}
		if v := f["value"]; v != "" {
			b.WriteString(" = " + v)
		}
	}
	if o := f[parse.KeyOwnerNode]; o != "" {
		b.WriteString(" on " + o)
	}
	if s := f[parse.KeyState]; s != "" {
		b.WriteString(": " + s)
	}
	return b.String()
}

func quoteIfSpaced(s string) string {
	if strings.ContainsAny(s, " \t") {
		return `"` + s + `"`
	}
	return s
}

// Commands whose echo (a prompt line, or cluster.exe's own heading) says
// what the following output lists.
var hints = []struct {
	re   *regexp.Regexp
	kind string
}{
	{regexp.MustCompile(`(?i)\bGet-ClusterNetworkInterface\b`), KindInterface},
	{regexp.MustCompile(`(?i)\bGet-ClusterNetwork\b`), KindNetwork},
	{regexp.MustCompile(`(?i)\bGet-ClusterNode\b`), KindNode},
	{regexp.MustCompile(`(?i)\bGet-ClusterGroup\b`), KindGroup},
	{regexp.MustCompile(`(?i)\bGet-ClusterResource\b`), KindResource},
	{regexp.MustCompile(`(?i)\bGet-ClusterParameter\b`), KindParameter},
	{regexp.MustCompile(`(?i)\bGet-Cluster\b`), KindCluster},
	{regexp.MustCompile(`(?i)^\s*Listing status for all available nodes`), KindNode},
	{regexp.MustCompile(`(?i)^\s*Listing status for all available resource groups`), KindGroup},
	{regexp.MustCompile(`(?i)^\s*Listing status for all available resources`), KindResource},
	{regexp.MustCompile(`(?i)>\s*cluster(?:\.exe)?\s+(?:/cluster:\S+\s+|\S+\s+)?node\b`), KindNode},
	{regexp.MustCompile(`(?i)>\s*cluster(?:\.exe)?\s+(?:/cluster:\S+\s+|\S+\s+)?group\b`), KindGroup},
	{regexp.MustCompile(`(?i)>\s*cluster(?:\.exe)?\s+(?:/cluster:\S+\s+|\S+\s+)?res(?:ource)?\b`), KindResource},
}

// hintOf returns the kind a command line announces, or "".
func hintOf(line string) string {
	low := strings.ToLower(line)
	if !strings.Contains(low, "cluster") && !strings.Contains(low, "listing status") {
		return ""
	}
	for _, h := range hints {
		if h.re.MatchString(line) {
			return h.kind
		}
	}
	return ""
}

// reChatter matches console lines around saved command output that carry
// no inventory: prompts and the cmd.exe banner.
var reChatter = regexp.MustCompile(`^(?:[A-Za-z]:\\[^>]*>|PS [^>]*>|\[[^\]]+\]: PS [^>]*>|Microsoft Windows \[Version |\(C\) Copyright |Copyright \(C\) )`)

// Object states that only failover-cluster objects have, to accept an
// otherwise ambiguous Name/State table.
var clusterStates = map[string]bool{
	"up": true, "down": true, "paused": true, "joining": true,
	"online": true, "offline": true, "failed": true, "partialonline": true,
	"pending": true, "onlinepending": true, "offlinepending": true,
}
