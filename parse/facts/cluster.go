package facts

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/exlog/exlog/parse"
)

// Cluster facts. The cluster-log parser (parse/clusterlog) and the event
// catalogue (parse/eventlog) read the wording of their records into the
// event's action and fields; Cluster turns those into the typed facts
// below, so both sources speak one vocabulary and the detectors never look
// at a message. Names are as the record wrote them (groups and resources)
// or short upper-case (nodes); a Windows 2000/2003 log that names a group
// or resource only by GUID leaves the name empty and sets the ID.

// Move kinds, as GroupMove.Kind states them.
const (
	MovePlanned   = "planned"   // an administrator or a drain moved it
	MoveUnplanned = "unplanned" // the cluster failed it over
	MoveUnknown   = ""          // the record does not say
)

// GroupMove is a group leaving one node for another, or a record saying
// which node now owns it.
type GroupMove struct {
	Group   string `json:"group,omitempty"`
	GroupID string `json:"group_id,omitempty"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	FromID  string `json:"from_id,omitempty"`
	ToID    string `json:"to_id,omitempty"`
	// MoveType is the cluster's own word (Manual, NodeDown, Failover...).
	MoveType string `json:"move_type,omitempty"`
	// Kind is MovePlanned, MoveUnplanned or MoveUnknown; Why says which
	// words decided it.
	Kind string `json:"kind,omitempty"`
	Why  string `json:"why,omitempty"`
	// FailoverCount is the cluster's counter as the line wrote it, -1 when
	// none.
	FailoverCount int `json:"failover_count"`
	// Report names the kind of record: "rcm-move", "event-1153",
	// "event-1641", "fm-move", "owner-line".
	Report string `json:"report"`
	// Guessed is true when the line shape has no public real sample (the
	// 2003 [FM] move lines); detectors lower their confidence on it.
	Guessed bool `json:"guessed,omitempty"`
}

// FactType implements parse.Fact.
func (GroupMove) FactType() string { return "group-move" }

// Objects whose state a StateChange reports.
const (
	ObjGroup    = "group"
	ObjResource = "resource"
)

// StateChange is a group or resource entering a state.
type StateChange struct {
	Object string `json:"object"`
	Name   string `json:"name,omitempty"`
	ID     string `json:"id,omitempty"`
	// Group is the resource's group where the record names it.
	Group string `json:"group,omitempty"`
	// From and To are state names (Online, Failed, OnlinePending...);
	// numeric 2000/2003 codes are translated per object type and kept in
	// FromCode/ToCode.
	From     string `json:"from,omitempty"`
	To       string `json:"to"`
	FromCode string `json:"from_code,omitempty"`
	ToCode   string `json:"to_code,omitempty"`
}

// FactType implements parse.Fact.
func (StateChange) FactType() string { return "state-change" }

// Kinds of ResourceFailure.
const (
	FailResource    = "resource-failed"         // event 1069 and its log lines
	FailOnline      = "online-failed"           // an online call failed
	FailGroup       = "group-failed"            // event 1205: group not fully online/offline
	FailHealth      = "health-check-failed"     // IsAlive/LooksAlive
	FailHandled     = "handle-failure"          // RCM HandleFailure / FAILURENOTIFICATION
	FailTerminated  = "resource-terminated"     // RHS terminating a resource
	FailDeadlock    = "resource-deadlock"       // 1230, DeadlockMonitor
	FailGroupFailed = "group-entered-failed"    // a group state change to Failed
	FailResFailed   = "resource-entered-failed" // a resource state change to Failed
)

// ResourceFailure is a resource or group failing on the reporting node.
type ResourceFailure struct {
	Kind       string `json:"kind"`
	Resource   string `json:"resource,omitempty"`
	ResourceID string `json:"resource_id,omitempty"`
	Type       string `json:"resource_type,omitempty"`
	Group      string `json:"group,omitempty"`
	GroupID    string `json:"group_id,omitempty"`
	// Code is the Win32 status or error code in decimal, Hex the same as
	// 0x%x (32 bit); empty when the record gives none.
	Code string `json:"code,omitempty"`
	Hex  string `json:"hex,omitempty"`
}

// FactType implements parse.Fact.
func (ResourceFailure) FactType() string { return "resource-failure" }

// Node states of a NodeState fact.
const (
	NodeUp          = "up"
	NodeDown        = "down"
	NodeRemoved     = "removed" // event 1135 and its log lines
	NodeJoining     = "joining"
	NodeQuarantined = "quarantined"
)

// NodeState is a node changing membership state.
type NodeState struct {
	Node  string `json:"node,omitempty"`
	ID    string `json:"id,omitempty"`
	State string `json:"state"`
}

// FactType implements parse.Fact.
func (NodeState) FactType() string { return "node-state" }

// QuorumLoss is a node losing quorum (event 1177, "Lost quorum").
type QuorumLoss struct {
	NodeID string `json:"node_id,omitempty"`
}

// FactType implements parse.Fact.
func (QuorumLoss) FactType() string { return "quorum-loss" }

// FailoverPolicy is the cluster saying it will not fail a group over
// again: "Not failing over group ...", event 1254, or a 2003 line saying
// the failover threshold was reached and the group is left failed.
type FailoverPolicy struct {
	Group   string `json:"group,omitempty"`
	GroupID string `json:"group_id,omitempty"`
	// Count, Setting and Computed are the failover count, the configured
	// threshold and the threshold the cluster computed, -1 when not given.
	Count    int `json:"count"`
	Setting  int `json:"setting"`
	Computed int `json:"computed"`
	// Exhausted is true when the record states that the group is not
	// failed over again (the threshold was reached).
	Exhausted bool `json:"exhausted"`
	// LeftFailed is true when the record says the group is left failed.
	LeftFailed bool `json:"left_failed,omitempty"`
}

// FactType implements parse.Fact.
func (FailoverPolicy) FactType() string { return "failover-policy" }

// Kinds of NameMap.
const (
	MapGroup    = "group"
	MapResource = "resource"
	MapNode     = "node"
)

// NameMap ties an ID to a display name: a group or resource GUID to its
// name ("Name for Group <guid> is 'EVS1'"), a node number to a node name
// (the log's own node lines, "NODE1(1)" in 2008+ move lines).
type NameMap struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name"`
	// Group is the group a resource belongs to, when the record says.
	Group string `json:"group,omitempty"`
}

// FactType implements parse.Fact.
func (NameMap) FactType() string { return "name-map" }

// IsGUID reports whether s is a GUID (8-4-4-4-12 hex digits, braces
// allowed), the way 2000/2003 logs name groups and resources.
func IsGUID(s string) bool {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f') {
				return false
			}
		}
	}
	return true
}

// NormGUID writes a GUID in lower case without braces, so that the same
// group spelled two ways is one key.
func NormGUID(s string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}"))
}

// nameOrID splits a name field that may hold a GUID.
func nameOrID(s string) (name, id string) {
	s = strings.TrimSpace(s)
	if IsGUID(s) {
		return "", NormGUID(s)
	}
	return s, ""
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		return n
	}
	return def
}

// Cluster attaches the cluster facts an event's action and fields state.
// Parsers call it once per record after classifying it; it adds nothing
// to records without a cluster action. Explicit ID fields (set by a parser
// that already resolved a GUID to a name) take precedence.
func Cluster(e *parse.Event) {
	a := e.Field(parse.KeyAction)
	if a == "" {
		return
	}
	group, gid := nameOrID(e.Field(parse.KeyGroup))
	if v := e.Field(parse.KeyGroupID); v != "" {
		gid = NormGUID(v)
	}
	res, rid := nameOrID(e.Field(parse.KeyResource))
	if v := e.Field(parse.KeyResourceID); v != "" {
		rid = NormGUID(v)
	}
	code, hex := e.Field(parse.KeyStatus), e.Field(parse.KeyStatusHex)
	if code == "" {
		code = e.Field(parse.KeyErrorCode)
		hex = e.Field(parse.KeyErrorHex)
	}
	switch a {
	case "group-move", "role-moved", "failover-attempt", "group-owner":
		m := GroupMove{Group: group, GroupID: gid,
			From: e.Field(parse.KeyFromNode), To: e.Field(parse.KeyToNode),
			FromID: e.Field(parse.KeyFromNodeID), ToID: e.Field(parse.KeyToNodeID),
			MoveType: e.Field(parse.KeyMoveType), FailoverCount: atoiOr(e.Field(parse.KeyFailoverCount), -1)}
		if m.To == "" {
			m.To = e.Field(parse.KeyTargetNode)
		}
		switch a {
		case "failover-attempt":
			m.Report, m.Kind, m.Why = "event-1153", MoveUnplanned, "event 1153 (failover attempt)"
		case "role-moved":
			m.Report = "event-1641"
		case "group-owner":
			m.Report = "owner-line"
		default:
			m.Report = "fm-move"
			if m.FailoverCount >= 0 || e.Field(parse.KeyComponent) == "RCM" {
				m.Report = "rcm-move"
			}
		}
		if m.Kind == MoveUnknown && m.MoveType != "" {
			m.Kind = MoveKind(m.MoveType)
			if m.Kind != MoveUnknown {
				m.Why = "MoveType::" + m.MoveType
				if m.Report != "rcm-move" {
					m.Why = "logged as " + m.MoveType
				}
			}
		}
		if r := e.Field(parse.KeyReason); m.Kind == MoveUnknown && r != "" {
			m.Kind = MoveKind(r)
			if m.Kind != MoveUnknown {
				m.Why = r
			}
		}
		m.Guessed = m.Report == "fm-move" || m.Report == "owner-line"
		if m.To == "" && m.ToID == "" {
			return
		}
		e.AddFact(m)
	case "group-state", "resource-state":
		s := StateChange{Object: ObjGroup, Name: group, ID: gid,
			From: e.Field(parse.KeyOldState), To: e.Field(parse.KeyNewState),
			FromCode: e.Field(parse.KeyOldStateCode), ToCode: e.Field(parse.KeyStateCode)}
		if a == "resource-state" {
			s.Object, s.Name, s.ID, s.Group = ObjResource, res, rid, e.Field(parse.KeyGroup)
		}
		if s.To == "" {
			return
		}
		e.AddFact(s)
		if strings.EqualFold(s.To, "Failed") {
			f := ResourceFailure{Kind: FailGroupFailed, Group: group, GroupID: gid, Code: code, Hex: hex}
			if a == "resource-state" {
				f = ResourceFailure{Kind: FailResFailed, Resource: res, ResourceID: rid, Type: e.Field(parse.KeyResourceType),
					Group: e.Field(parse.KeyGroup), Code: code, Hex: hex}
			}
			e.AddFact(f)
		}
	case "resource-failed", "online-failed", "group-failed", "health-check-failed", "handle-failure",
		"failure-notification", "resource-terminate", "deadlock", "resource-deadlock":
		kind := FailResource
		switch a {
		case "online-failed":
			kind = FailOnline
		case "group-failed":
			kind = FailGroup
		case "health-check-failed":
			kind = FailHealth
		case "handle-failure", "failure-notification":
			kind = FailHandled
		case "resource-terminate":
			kind = FailTerminated
		case "deadlock", "resource-deadlock":
			kind = FailDeadlock
		}
		e.AddFact(ResourceFailure{Kind: kind, Resource: res, ResourceID: rid, Type: e.Field(parse.KeyResourceType),
			Group: group, GroupID: gid, Code: code, Hex: hex})
	case "not-failing-over":
		p := FailoverPolicy{Group: group, GroupID: gid, Count: atoiOr(e.Field(parse.KeyFailoverCount), -1),
			Setting: atoiOr(e.Field(parse.KeyFailoverThreshold), -1), Computed: atoiOr(e.Field(parse.KeyComputedThreshold), -1),
			Exhausted: true, LeftFailed: e.Field(parse.KeyNewState) == "Failed"}
		e.AddFact(p)
	case "quorum-lost":
		e.AddFact(QuorumLoss{NodeID: e.Field(parse.KeyNodeID)})
	case "node-down", "node-up", "node-removed", "node-joining", "node-quarantined":
		st := NodeDown
		switch a {
		case "node-up":
			st = NodeUp
		case "node-removed":
			st = NodeRemoved
		case "node-joining":
			st = NodeJoining
		case "node-quarantined":
			st = NodeQuarantined
		}
		n := e.Field(parse.KeyNodeName)
		if n == "" {
			n = e.Field(parse.KeyTargetNode)
		}
		id := e.Field(parse.KeyNodeID)
		if n == "" && id == "" {
			for _, x := range strings.FieldsFunc(e.Field(parse.KeyNodes), func(r rune) bool { return r == ' ' || r == ',' }) {
				e.AddFact(NodeState{ID: x, State: st})
			}
			return
		}
		e.AddFact(NodeState{Node: n, ID: id, State: st})
	}
}

// MoveKind maps the cluster's word for a move (a MoveType or a reason) to
// planned or unplanned; unknown words stay MoveUnknown and are never
// counted as failovers.
func MoveKind(word string) string {
	switch m := strings.ToLower(word); {
	case m == "manual", strings.Contains(m, "drain"), strings.Contains(m, "planned") && !strings.Contains(m, "unplanned"),
		strings.Contains(m, "user"), strings.Contains(m, "administrator"), strings.Contains(m, "admin request"):
		return MovePlanned
	case strings.Contains(m, "nodedown"), strings.Contains(m, "node down"), strings.Contains(m, "failover"),
		strings.Contains(m, "fail over"), strings.Contains(m, "failing over"), strings.Contains(m, "failback"),
		strings.Contains(m, "failure"), strings.Contains(m, "quarantine"), strings.Contains(m, "unplanned"):
		return MoveUnplanned
	}
	return MoveUnknown
}

// Of returns the facts of type T an event carries.
func Of[T parse.Fact](e *parse.Event) []T {
	var out []T
	for _, f := range e.Facts {
		if t, ok := f.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// VersionMismatch is Exchange saying that the build of a clustered
// server and the binaries of the node it tries to run on differ.
type VersionMismatch struct {
	// Server is the server the text names ("... version of Exchange server
	// NODE4"), as written; it may be the node, the virtual server or empty.
	Server   string `json:"server,omitempty"`
	Resource string `json:"resource,omitempty"`
}

// FactType implements parse.Fact.
func (VersionMismatch) FactType() string { return "version-mismatch" }

// The text Exchange 2003 writes when a virtual server meets binaries of
// another build ("Version of Exchange on this machine does not match the
// version of Exchange server NODE4."), quoted in the Windows IT Pro
// rolling-upgrade article; read loosely, the server name optional. It is
// Exchange's wording, written into cluster logs and event logs alike, so
// both parsers share this one reader.
var reMismatch = regexp.MustCompile(`(?i)version of exchange on this (?:machine|server|computer|node) does not match the version of (?:the )?exchange server\s*['"<]?([A-Za-z0-9][A-Za-z0-9_.-]*)?`)

// ExchangeVersionMismatch reports the version-mismatch wording in text
// and the server it names.
func ExchangeVersionMismatch(text string) (server string, ok bool) {
	if !strings.Contains(text, "not match") && !strings.Contains(text, "NOT MATCH") {
		return "", false
	}
	m := reMismatch.FindStringSubmatch(text)
	if m == nil {
		return "", false
	}
	return strings.TrimRight(m[1], "."), true
}

// re5018 matches Windows error 5018 (0x139A, ERROR_RESMON_ONLINE_FAILED)
// in the spellings of cluster logs, Cluster Administrator messages, event
// inserts and HRESULTs.
var re5018 = regexp.MustCompile(`(?i)(?:\b(?:error(?:\s+id|\s+code(?:\s+was)?)?|status(?:\s+is)?|win32 error|error_code)\s*[:=]?\s*'?\(?5018\b` +
	`|\b0x(?:8007|0000)?139a\b|\(0000139a\)|\bERROR_RESMON_ONLINE_FAILED\b` +
	`|could not be brought online by the resource monitor)`)

// Has5018 reports whether text names error 5018 in one of its spellings.
func Has5018(text string) bool {
	// Each spelling the expression knows holds one of these; "139a" (not
	// "139", which setup logs are full of) is what its hex forms share.
	if !strings.Contains(text, "5018") && !strings.Contains(text, "139a") && !strings.Contains(text, "139A") &&
		!strings.Contains(text, "esource monitor") && !strings.Contains(text, "RESMON") {
		return false
	}
	return re5018.MatchString(text)
}

// Is5018 reports whether a code (decimal or 0x-hex, 32 or HRESULT form)
// is error 5018.
func Is5018(code string) bool {
	switch strings.ToLower(strings.TrimSpace(code)) {
	case "5018", "-2147019878", "0x139a", "0x0000139a", "0x8007139a", "0000139a":
		return true
	}
	return false
}

// EVSUpgrade is an Exchange 2003 virtual server being upgraded from
// Cluster Administrator ("Upgrade Exchange Virtual Server" on the System
// Attendant resource), or the upgrade's success message ("The Exchange
// Virtual Server has been upgraded successfully").
type EVSUpgrade struct {
	// Server is the virtual server the text names, "" when it names none.
	Server string `json:"server,omitempty"`
	// Done is true for the success message, false for the request.
	Done bool `json:"done"`
}

// FactType implements parse.Fact.
func (EVSUpgrade) FactType() string { return "evs-upgrade" }

// reEVSName reads the virtual server named after the words "virtual
// server" ("Upgrade Exchange Virtual Server EVS1", "virtual server
// 'EVS1'").
var reEVSName = regexp.MustCompile(`(?i:virtual server)[ :]+['"<]?([A-Za-z0-9][A-Za-z0-9_.-]{0,62})['">]?`)

// EVSUpgradeText reads Exchange's virtual-server upgrade wording in a
// text: the request (asked) or the success message (done), and the
// server the request names. Cluster logs, event logs and setup logs all
// quote it, so every parser uses this one reader.
func EVSUpgradeText(text string) (f EVSUpgrade, ok bool) {
	if !strings.Contains(text, "irtual Server") && !strings.Contains(text, "irtual server") && !strings.Contains(text, "IRTUAL SERVER") {
		return EVSUpgrade{}, false
	}
	low := strings.ToLower(text)
	switch {
	case strings.Contains(low, "exchange virtual server has been upgraded successfully"):
		return EVSUpgrade{Done: true}, true
	case strings.Contains(low, "upgrade exchange virtual server"):
		f = EVSUpgrade{}
		if m := reEVSName.FindStringSubmatch(text[strings.Index(low, "upgrade exchange virtual server")+len("upgrade exchange "):]); m != nil {
			name := strings.TrimRight(m[1], ".")
			if !strings.EqualFold(name, "requested") && !strings.EqualFold(name, "from") && !strings.EqualFold(name, "menu") {
				f.Server = name
			}
		}
		return f, true
	}
	return EVSUpgrade{}, false
}

// reResourceServer reads the clustered server an Exchange resource
// belongs to from the resource's name: Exchange names them "<Resource> -
// (<EVS>)" on 2000/2003 and "<Resource> (<CMS>)" on 2007.
var reResourceServer = regexp.MustCompile(`\(([^()]+)\)\s*$`)

// ExchangeResourceServer returns the virtual server or clustered mailbox
// server an Exchange resource's name names, or "".
func ExchangeResourceServer(resource string) string {
	if !strings.Contains(strings.ToLower(resource), "exchange") {
		return ""
	}
	if m := reResourceServer.FindStringSubmatch(resource); m != nil {
		return strings.TrimSpace(m[1])
	}
	return ""
}

// ResourceServer returns the server name in the parentheses that end a
// resource's name ("Exchange System Attendant - (EVS1)"), whatever the
// resource, or "" when there are none or they hold more than a DNS label
// (63 characters). ok says whether there were such parentheses, even
// blank ones.
func ResourceServer(resource string) (server string, ok bool) {
	if m := reResourceServer.FindStringSubmatch(resource); m != nil && len(m[1]) <= 63 {
		return strings.TrimSpace(m[1]), true
	}
	return "", false
}

// Kinds of resource a clustered Exchange server needs that a standby
// cluster may fail to bring online, as ResourceKind names them.
const (
	KindPhysicalDisk = "Physical Disk"
	KindNetworkName  = "Network Name"
)

var (
	reResourceKind = regexp.MustCompile(`(?i)\b(physical disk|network name)\b`)
	reDiskName     = regexp.MustCompile(`(?i)^(?:cluster )?disk\b`)
)

// ResourceKind names the kind of a failed resource, KindPhysicalDisk,
// KindNetworkName or "": from its type field, else from the words of a
// message about it (cluster logs, event inserts and setup errors all write
// the kind's name), else from a name like "Disk S:" or "Cluster Disk 1".
func ResourceKind(typ, name, text string) string {
	for _, s := range []string{typ, text} {
		if m := reResourceKind.FindStringSubmatch(s); m != nil {
			if strings.EqualFold(m[1], "physical disk") {
				return KindPhysicalDisk
			}
			return KindNetworkName
		}
	}
	if reDiskName.MatchString(strings.TrimSpace(name)) {
		return KindPhysicalDisk
	}
	return ""
}

// withType writes a fact's JSON object with its type name first, so that
// an event's JSON says which facts it carries.
func withType(typ string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(b) < 2 || b[0] != '{' {
		return b, err
	}
	head := `{"type":` + strconv.Quote(typ)
	if len(b) == 2 {
		return []byte(head + "}"), nil
	}
	return append([]byte(head+","), b[1:]...), nil
}

// MarshalJSON writes the fact with its type name.
func (f GroupMove) MarshalJSON() ([]byte, error) {
	type plain GroupMove
	return withType(f.FactType(), plain(f))
}

// MarshalJSON writes the fact with its type name.
func (f StateChange) MarshalJSON() ([]byte, error) {
	type plain StateChange
	return withType(f.FactType(), plain(f))
}

// MarshalJSON writes the fact with its type name.
func (f ResourceFailure) MarshalJSON() ([]byte, error) {
	type plain ResourceFailure
	return withType(f.FactType(), plain(f))
}

// MarshalJSON writes the fact with its type name.
func (f NodeState) MarshalJSON() ([]byte, error) {
	type plain NodeState
	return withType(f.FactType(), plain(f))
}

// MarshalJSON writes the fact with its type name.
func (f QuorumLoss) MarshalJSON() ([]byte, error) {
	type plain QuorumLoss
	return withType(f.FactType(), plain(f))
}

// MarshalJSON writes the fact with its type name.
func (f FailoverPolicy) MarshalJSON() ([]byte, error) {
	type plain FailoverPolicy
	return withType(f.FactType(), plain(f))
}

// MarshalJSON writes the fact with its type name.
func (f NameMap) MarshalJSON() ([]byte, error) {
	type plain NameMap
	return withType(f.FactType(), plain(f))
}

// MarshalJSON writes the fact with its type name.
func (f VersionMismatch) MarshalJSON() ([]byte, error) {
	type plain VersionMismatch
	return withType(f.FactType(), plain(f))
}

// MarshalJSON writes the fact with its type name.
func (f EVSUpgrade) MarshalJSON() ([]byte, error) {
	type plain EVSUpgrade
	return withType(f.FactType(), plain(f))
}
