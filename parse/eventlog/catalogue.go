package eventlog

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

// Provider families: one name for a source that Windows or Exchange renamed
// between versions, so detectors match ClusSvc (2000/2003) and
// Microsoft-Windows-FailoverClustering (2008+) alike.
const (
	FamilyCluster         = "failover-clustering"
	FamilyExchangeCluster = "msexchange-cluster"
	FamilyExchangeSA      = "msexchangesa"
	FamilyESE             = "ese"
	FamilyExchangeIS      = "msexchangeis"
	FamilyExchangeSetup   = "msexchangesetup"
	FamilyExchangeRepl    = "msexchangerepl"
)

// families maps lower-cased provider names to their family.
var families = map[string]string{
	"clussvc":                              FamilyCluster,
	"microsoft-windows-failoverclustering": FamilyCluster,
	"failoverclustering":                   FamilyCluster,
	"msexchangecluster":                    FamilyExchangeCluster,
	"msexchange cluster":                   FamilyExchangeCluster,
	"msexchangesa":                         FamilyExchangeSA,
	"ese":                                  FamilyESE,
	"esent":                                FamilyESE,
	"msexchangeis":                         FamilyExchangeIS,
	"msexchangesetup":                      FamilyExchangeSetup,
	"msexchangerepl":                       FamilyExchangeRepl,
}

// Family returns the provider family of a provider name, or "" when the
// catalogue does not know the provider.
func Family(provider string) string {
	return families[strings.ToLower(strings.TrimSpace(provider))]
}

// Entry is a catalogued event: what it means and how its inserts map to
// exlog's normalized fields.
type Entry struct {
	Family string
	ID     int
	// Name is the short, stable name stored in the event_name field.
	Name string
	// Summary says in one line what the event means, for listings.
	Summary string

	extract  func(a *args, e *parse.Event)
	describe func(d desc) string
}

type key struct {
	family string
	id     int
}

var catalogue = map[key]*Entry{}

// Lookup returns the catalogue entry for a provider name and a 16-bit
// event ID.
func Lookup(provider string, id int) (*Entry, bool) {
	f := Family(provider)
	if f == "" {
		return nil, false
	}
	ent, ok := catalogue[key{f, id}]
	return ent, ok
}

// Entries lists the catalogue, for documentation and tests.
func Entries() []*Entry {
	out := make([]*Entry, 0, len(catalogue))
	for _, ent := range catalogue {
		out = append(out, ent)
	}
	return out
}

func add(ents ...*Entry) {
	for _, ent := range ents {
		k := key{ent.Family, ent.ID}
		if _, dup := catalogue[k]; dup {
			panic(fmt.Sprintf("eventlog: catalogue entry %s/%d defined twice", ent.Family, ent.ID))
		}
		catalogue[k] = ent
	}
}

// apply sets the entry's fields on e from the record and returns the view
// describe reads.
func (ent *Entry) apply(r *Record, e *parse.Event) desc {
	e.SetField(parse.KeyEventName, ent.Name)
	e.SetField(parse.KeyProviderFamily, ent.Family)
	a := &args{r: r}
	if ent.extract != nil {
		ent.extract(a, e)
	}
	return desc{e: e, a: a}
}

// desc is what a description is written from: the normalized fields.
type desc struct {
	e *parse.Event
	a *args
}

// q quotes a field for a message, or says it is missing.
func (d desc) q(field string) string {
	v := d.e.Field(field)
	if v == "" {
		return "(not given)"
	}
	return "'" + oneLine(v) + "'"
}

// has reports whether a field is set.
func (d desc) has(field string) bool { return d.e.Field(field) != "" }

// code describes error_code/error_hex as " (error N / 0x...)", or "".
func (d desc) code() string {
	c, h := d.e.Field(parse.KeyErrorCode), d.e.Field(parse.KeyErrorHex)
	switch {
	case c != "" && h != "":
		return " (error " + c + " / " + h + ")"
	case c != "":
		return " (error " + c + ")"
	}
	return ""
}

// args gives tolerant access to a record's inserts.
type args struct {
	r *Record
}

// pos returns the i-th insert (1-based, as %1 in a message), or "".
func (a *args) pos(i int) string {
	if i < 1 || i > len(a.r.Inserts) {
		return ""
	}
	return strings.TrimSpace(a.r.Inserts[i-1].Value)
}

// named returns the first insert whose name is one of names.
func (a *args) named(names ...string) (string, bool) {
	for _, in := range a.r.Inserts {
		for _, n := range names {
			if in.Name != "" && strings.EqualFold(in.Name, n) {
				return strings.TrimSpace(in.Value), true
			}
		}
	}
	return "", false
}

// get prefers an insert named one of names; positions follow the message
// (%1 is the first insert), which holds for manifest events too because the
// message parameters index the data items in template order.
func (a *args) get(i int, names ...string) string {
	if v, ok := a.named(names...); ok {
		return v
	}
	return a.pos(i)
}

func (a *args) n() int { return len(a.r.Inserts) }

// nodeRE matches a plausible computer name: a NetBIOS or DNS host name.
var nodeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}(\.[A-Za-z0-9_-]{1,63})*$`)

// looksLikeNode reports whether s could be a node name rather than a
// number, a code or a sentence.
func looksLikeNode(s string) bool {
	s = strings.TrimPrefix(strings.TrimSpace(s), `\\`)
	if s == "" || !nodeRE.MatchString(s) {
		return false
	}
	// A host name's first label has a letter; "6.1" or "7601" are not
	// nodes.
	label, _, _ := strings.Cut(s, ".")
	return strings.IndexFunc(label, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }) >= 0
}

// firstNode returns the first insert from position from on that looks
// like a node name; used where the insert order is not known for certain.
func (a *args) firstNode(from int) string {
	for i := from; i <= a.n(); i++ {
		if v := a.pos(i); looksLikeNode(v) {
			return v
		}
	}
	return ""
}

var (
	hexCodeRE  = regexp.MustCompile(`(?i)\b0x([0-9a-f]{1,8})\b`)
	decCodeRE  = regexp.MustCompile(`^\(?(-?[0-9]{1,10})\)?$`)
	errorDecRE = regexp.MustCompile(`(?i)\berror(?: code)?\s*[:=]?\s*\(?(-?[0-9]{1,10})\b`)
	versionRE  = regexp.MustCompile(`\b([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,5}(?:\.[0-9]{1,5})?)\b`)
)

// parseCode reads an error code from one insert: a hex number anywhere in
// it (0x8007139f, "HRESULT:0x8007139f"), a bare decimal number, or the
// number after "error". It returns the decimal (signed 32-bit, so JET
// errors read -543 and HRESULTs read as Windows prints them) and hex forms.
func parseCode(s string) (dec, hx string, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "", false
	}
	if m := hexCodeRE.FindStringSubmatch(s); m != nil {
		u, err := strconv.ParseUint(m[1], 16, 32)
		if err == nil {
			return strconv.Itoa(int(int32(uint32(u)))), fmt.Sprintf("0x%08x", uint32(u)), true
		}
	}
	m := decCodeRE.FindStringSubmatch(s)
	if m == nil {
		m = errorDecRE.FindStringSubmatch(s)
	}
	if m != nil {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err == nil && n >= -1<<31 && n < 1<<32 {
			return strconv.FormatInt(int64(int32(uint32(n))), 10), fmt.Sprintf("0x%08x", uint32(n)), true
		}
	}
	return "", "", false
}

// setCode stores error_code and error_hex from the first of the given
// positions whose insert holds a code.
func setCode(a *args, e *parse.Event, positions ...int) bool {
	for _, p := range positions {
		if d, h, ok := parseCode(a.pos(p)); ok {
			e.SetField(parse.KeyErrorCode, d)
			e.SetField(parse.KeyErrorHex, h)
			return true
		}
	}
	return false
}

// setCodeAny scans all inserts from position from on for a code, for
// events whose code position is not known for certain.
func setCodeAny(a *args, e *parse.Event, from int) bool {
	for i := from; i <= a.n(); i++ {
		if setCode(a, e, i) {
			return true
		}
	}
	return false
}

func setNode(e *parse.Event, k, v string) {
	if v = strings.TrimSpace(v); v != "" {
		e.SetField(k, parse.ShortNode(v))
	}
}

func init() {
	addClusterEvents()
	addExchangeEvents()
}

// addClusterEvents catalogues the Windows cluster service events of the
// notes (cluster-logs-and-events.md section 2a). Insert positions follow the
// message texts quoted there (%1, %2...); the 2003 (ClusSvc) wording is
// only recalled in the notes, so every extractor tolerates fewer inserts.
func addClusterEvents() {
	group1 := func(a *args, e *parse.Event) {
		e.SetField(parse.KeyGroup, a.get(1, "GroupName", "ResourceGroup", "Group"))
	}
	add(
		&Entry{Family: FamilyCluster, ID: 1069, Name: "resource-failed",
			Summary: "A cluster resource failed; the failure policy may restart it or move its group.",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyAction, "resource-failed")
				e.SetField(parse.KeyResource, a.get(1, "ResourceName"))
				e.SetField(parse.KeyGroup, a.get(2, "ResourceGroup", "GroupName"))
				e.SetField(parse.KeyResourceType, a.get(3, "ResTypeName", "ResourceType", "ResTypeDll"))
				// 2016+ puts the code in %5 with its text in %4, or the
				// code alone in %4; older forms have no code at all.
				if v, ok := a.named("ErrorCode"); ok {
					if d, h, ok := parseCode(v); ok {
						e.SetField(parse.KeyErrorCode, d)
						e.SetField(parse.KeyErrorHex, h)
						return
					}
				}
				setCode(a, e, 5, 4)
			},
			describe: func(d desc) string {
				s := "Cluster resource " + d.q(parse.KeyResource)
				if d.has("resource_type") {
					s += " (type " + d.q(parse.KeyResourceType) + ")"
				}
				return s + " in group " + d.q(parse.KeyGroup) + " failed" + d.code()
			}},
		&Entry{Family: FamilyCluster, ID: 1205, Name: "group-failed",
			Summary: "The cluster could not bring a group fully online or offline; some resources may be failed.",
			extract: func(a *args, e *parse.Event) { e.SetField(parse.KeyAction, "group-failed"); group1(a, e) },
			describe: func(d desc) string {
				return "Cluster group " + d.q(parse.KeyGroup) + " did not come fully online or offline; resources may be failed"
			}},
		&Entry{Family: FamilyCluster, ID: 1254, Name: "failover-threshold-exceeded",
			Summary: "A group used up its failover attempts for the period and is left failed.",
			extract: func(a *args, e *parse.Event) { e.SetField(parse.KeyAction, "not-failing-over"); group1(a, e) },
			describe: func(d desc) string {
				return "Cluster group " + d.q(parse.KeyGroup) + " exceeded its failover threshold and is left failed"
			}},
		&Entry{Family: FamilyCluster, ID: 1135, Name: "node-removed",
			Summary: "A node left the active cluster membership (stopped or lost contact).",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyAction, "node-removed")
				n, ok := a.named("NodeName", "Node")
				if !ok {
					n = a.pos(1)
					if !looksLikeNode(n) {
						n = a.firstNode(1)
					}
				}
				setNode(e, parse.KeyTargetNode, n)
			},
			describe: func(d desc) string {
				return "Cluster node " + d.q(parse.KeyTargetNode) + " was removed from the active cluster membership"
			}},
		&Entry{Family: FamilyCluster, ID: 1177, Name: "quorum-lost",
			Summary: "The cluster service shut down because quorum was lost.",
			extract: func(a *args, e *parse.Event) { e.SetField(parse.KeyAction, "quorum-lost") },
			describe: func(d desc) string {
				return "Cluster service stopped on this node because the cluster lost quorum"
			}},
		&Entry{Family: FamilyCluster, ID: 1146, Name: "rhs-terminated",
			Summary: "The resource hosting subsystem (resource monitor) died and is restarted; its resources restart too.",
			extract: func(a *args, e *parse.Event) { e.SetField(parse.KeyAction, "rhs-terminated") },
			describe: func(d desc) string {
				return "Cluster resource hosting subsystem stopped and is being restarted with all the resources it hosted"
			}},
		&Entry{Family: FamilyCluster, ID: 1230, Name: "resource-deadlock",
			Summary: "A resource (or its DLL) hung or crashed past its time-out; the hosting process is recycled.",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyAction, "resource-deadlock")
				e.SetField(parse.KeyResource, a.get(1, "ResourceName"))
				e.SetField(parse.KeyResourceType, a.get(2, "ResTypeName", "ResourceType"))
				if dll := a.get(3, "ResTypeDll", "DllName"); dll != "" {
					e.SetField(parse.KeyComponent, dll)
				}
			},
			describe: func(d desc) string {
				s := "Cluster resource " + d.q(parse.KeyResource)
				if d.has("resource_type") {
					s += " (type " + d.q(parse.KeyResourceType) + ")"
				}
				if d.has("component") {
					s += ", DLL " + d.q(parse.KeyComponent) + ","
				}
				return s + " timed out or crashed; its hosting subsystem is restarted"
			}},
		&Entry{Family: FamilyCluster, ID: 1153, Name: "failover-attempt",
			Summary: "The cluster is failing a group over from one node to another.",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyAction, "failover-attempt")
				e.SetField(parse.KeyMoveType, "Failover")
				group1(a, e)
				setNode(e, parse.KeyFromNode, a.get(2, "SourceNode", "FromNode"))
				to := a.get(3, "TargetNode", "DestinationNode", "ToNode")
				setNode(e, parse.KeyToNode, to)
				setNode(e, parse.KeyTargetNode, to)
			},
			describe: func(d desc) string {
				return "Cluster is failing group " + d.q(parse.KeyGroup) + " over from node " + d.q(parse.KeyFromNode) + " to node " + d.q(parse.KeyToNode)
			}},
		&Entry{Family: FamilyCluster, ID: 1641, Name: "role-moved",
			Summary: "A group (clustered role) is moving to another node, planned or not.",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyAction, "role-moved")
				group1(a, e)
				// Two wordings: "from %2 to %3", or "to %2" with no source.
				var from, to string
				if v, ok := a.named("TargetNode", "DestinationNode", "ToNode"); ok {
					to = v
					from, _ = a.named("SourceNode", "FromNode")
				} else if a.n() >= 3 {
					from, to = a.pos(2), a.pos(3)
				} else {
					to = a.pos(2)
				}
				setNode(e, parse.KeyFromNode, from)
				setNode(e, parse.KeyToNode, to)
				setNode(e, parse.KeyTargetNode, to)
			},
			describe: func(d desc) string {
				if d.has("from_node") {
					return "Cluster group " + d.q(parse.KeyGroup) + " is moving from node " + d.q(parse.KeyFromNode) + " to node " + d.q(parse.KeyToNode)
				}
				return "Cluster group " + d.q(parse.KeyGroup) + " is moving to node " + d.q(parse.KeyToNode)
			}},
	)
	// Group online/offline progress (Operational channel on 2012+).
	for _, g := range []struct {
		id          int
		name, state string
		text        string
	}{
		{1200, "group-online-pending", "OnlinePending", "is being brought online"},
		{1201, "group-online", "Online", "was brought online"},
		// 1202 is not in the notes nor in the 2016+ provider message list;
		// kept with a neutral wording so its inserts are still named.
		{1202, "group-state-1202", "", "reported an online/offline state change (event 1202)"},
		{1203, "group-offline-pending", "OfflinePending", "is being taken offline"},
		{1204, "group-offline", "Offline", "was taken offline"},
	} {
		g := g
		add(&Entry{Family: FamilyCluster, ID: g.id, Name: g.name,
			Summary: "Cluster group " + g.text + ".",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyAction, "group-state")
				e.SetField(parse.KeyNewState, g.state)
				group1(a, e)
			},
			describe: func(d desc) string { return "Cluster group " + d.q(parse.KeyGroup) + " " + g.text }})
	}
	// 1546-1548: the notes give only the gist (nodes running incompatible or
	// different-but-compatible cluster/OS versions) and not the insert
	// order, so the node is the first insert that looks like a node name.
	for _, v := range []struct {
		id   int
		name string
		text string
	}{
		{1546, "version-incompatible", "runs a cluster service version incompatible with the other nodes"},
		{1547, "version-incompatible", "runs a cluster service version incompatible with the other nodes"},
		{1548, "version-different-compatible", "runs a different but compatible operating system version"},
	} {
		v := v
		add(&Entry{Family: FamilyCluster, ID: v.id, Name: v.name,
			Summary: "Nodes of the cluster run different versions (rolling upgrade in progress or stalled).",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyAction, "version-mismatch")
				n, ok := a.named("NodeName", "Node")
				if !ok {
					n = a.firstNode(1)
				}
				setNode(e, parse.KeyTargetNode, n)
			},
			describe: func(d desc) string {
				if d.has("target_node") {
					return "Cluster node " + d.q(parse.KeyTargetNode) + " " + v.text
				}
				return "A cluster node " + v.text
			}})
	}
}

// addExchangeEvents catalogues the Exchange and ESE events of the notes
// (cluster-logs-and-events.md 2b, setup-logs.md 4.1). Where the notes give
// only the message gist, inserts are matched by shape (a code, a version, a
// node name) and the comment says so.
func addExchangeEvents() {
	// MSExchangeCluster 1003/1019/1026 (2003 exres.dll, 2007 "MSExchange
	// Cluster"): "<resource>: failed to bring the resource online" and its
	// time-out variant. Insert order is not in the notes: the resource is
	// taken as the first insert, a code from any later one.
	for _, c := range []struct {
		id         int
		name, text string
	}{
		{1003, "exchange-resource-online-failed", "failed to come online"},
		{1019, "exchange-resource-online-timeout", "timed out coming online"},
		{1026, "exchange-resource-online-failed", "failed to come online (event 1026)"},
	} {
		c := c
		add(&Entry{Family: FamilyExchangeCluster, ID: c.id, Name: c.name,
			Summary: "An Exchange clustered resource " + c.text + ".",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyAction, "online-failed")
				e.SetField(parse.KeyComponent, "exres")
				r := a.pos(1)
				if _, _, isCode := parseCode(r); !isCode {
					e.SetField(parse.KeyResource, r)
				}
				setCodeAny(a, e, 1)
			},
			describe: func(d desc) string {
				return "Exchange cluster resource " + d.q(parse.KeyResource) + " " + c.text + d.code()
			}})
	}
	add(
		&Entry{Family: FamilyExchangeSA, ID: 1005, Name: "sa-unexpected-error",
			Summary: "The System Attendant hit an unexpected error.",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyComponent, "System Attendant")
				setCodeAny(a, e, 1)
			},
			describe: func(d desc) string { return "Exchange System Attendant reported an unexpected error" + d.code() }},
		&Entry{Family: FamilyExchangeSA, ID: 1031, Name: "sa-task-blocked",
			Summary:  "One of the System Attendant's tasks is blocked.",
			extract:  func(a *args, e *parse.Event) { e.SetField(parse.KeyComponent, "System Attendant") },
			describe: func(d desc) string { return "A task of the Exchange System Attendant is blocked" }},
		&Entry{Family: FamilyExchangeSA, ID: 9149, Name: "sa-start-failed",
			Summary: "The System Attendant could not start the Exchange server.",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyComponent, "System Attendant")
				if n := a.firstNode(1); n != "" {
					setNode(e, parse.KeyTargetNode, n)
				}
				setCodeAny(a, e, 1)
			},
			describe: func(d desc) string {
				return "Exchange System Attendant failed to start Exchange server " + d.q(parse.KeyTargetNode) + d.code()
			}},
		// MSExchangeIS 9518: "Error <hex> starting Storage Group <path>":
		// the code and the storage group are found by shape.
		&Entry{Family: FamilyExchangeIS, ID: 9518, Name: "storage-group-start-failed",
			Summary: "The information store could not start a storage group (ESE initialisation failed).",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyComponent, "Information Store")
				setCodeAny(a, e, 1)
				for i := 1; i <= a.n(); i++ {
					if v := a.pos(i); strings.Contains(v, "/") || strings.Contains(v, `\`) || strings.Contains(strings.ToLower(v), "storage group") {
						e.SetField(parse.KeyGroup, v)
						break
					}
				}
			},
			describe: func(d desc) string {
				return "Exchange information store could not start storage group " + d.q(parse.KeyGroup) + d.code()
			}},
		&Entry{Family: FamilyExchangeIS, ID: 1159, Name: "store-database-error",
			Summary: "The information store hit a database error.",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyComponent, "Information Store")
				setCodeAny(a, e, 1)
			},
			describe: func(d desc) string { return "Exchange information store database error" + d.code() }},
		// MSExchangeSetup 1000/1001: "Exchange Setup (build %1) ...". When
		// the first insert is not a build, it is taken as the setup
		// component the event is about.
		&Entry{Family: FamilyExchangeSetup, ID: 1000, Name: "setup-started",
			Summary: "Exchange Setup started.",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyAction, "setup-started")
				setVersionOrComponent(a, e)
			},
			describe: func(d desc) string { return "Exchange Setup " + setupWhat(d) + " started" }},
		&Entry{Family: FamilyExchangeSetup, ID: 1001, Name: "setup-succeeded",
			Summary: "Exchange Setup completed successfully.",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyAction, "setup-succeeded")
				setVersionOrComponent(a, e)
			},
			describe: func(d desc) string { return "Exchange Setup " + setupWhat(d) + " completed successfully" }},
		// MSExchangeSetup 1002: "Exchange Server component %1 failed. Error: %2".
		&Entry{Family: FamilyExchangeSetup, ID: 1002, Name: "setup-component-failed",
			Summary: "An Exchange Setup component failed.",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyAction, "setup-failed")
				e.SetField(parse.KeyComponent, a.pos(1))
				setCodeAny(a, e, 2)
			},
			describe: func(d desc) string {
				s := "Exchange Setup component " + d.q(parse.KeyComponent) + " failed" + d.code()
				if msg := d.a.pos(2); msg != "" {
					s += ": " + parse.Clip(oneLine(msg), 300, "…")
				}
				return s
			}},
		// MSExchangeRepl 107: "The New-ClusteredMailboxServer operation
		// failed for server <NAME>". Insert order unknown: the cmdlet is the
		// Verb-Noun insert, the server the first other insert shaped like a
		// node name.
		&Entry{Family: FamilyExchangeRepl, ID: 107, Name: "cms-operation-failed",
			Summary: "A clustered mailbox server operation (New/Recover-ClusteredMailboxServer...) failed.",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyAction, "cms-operation-failed")
				op := 0
				for i := 1; i <= a.n(); i++ {
					if cmdletRE.MatchString(a.pos(i)) {
						e.SetField(parse.KeyComponent, a.pos(i))
						op = i
						break
					}
				}
				for i := 1; i <= a.n(); i++ {
					if i != op && looksLikeNode(a.pos(i)) {
						setNode(e, parse.KeyTargetNode, a.pos(i))
						break
					}
				}
				setCodeAny(a, e, 1)
			},
			describe: func(d desc) string {
				return "Exchange clustered mailbox server operation " + d.q(parse.KeyComponent) + " failed for server " + d.q(parse.KeyTargetNode) + d.code()
			}},
	)
	// ESE 100/454/455. The notes quote the 2003 messages ("Information
	// Store (3536) The database engine 6.05.7638.0000 started", "recovery
	// failed with unexpected error -543", error -1811 for a missing log);
	// the first insert is the process, the version and codes are found by
	// shape because later ESE versions add instance-name inserts.
	add(
		&Entry{Family: FamilyESE, ID: 100, Name: "ese-engine-started",
			Summary: "The ESE database engine started; its version follows the Exchange build for Exchange's ESE.",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyComponent, a.pos(1))
				v := eseVersion(a)
				e.SetField(parse.KeyEngineVersion, v)
				// Windows' own ESENT (Active Directory, Search) reports the
				// Windows version; only Exchange's ESE version is an
				// Exchange build, which the build detectors read from
				// `version`.
				if !strings.EqualFold(strings.TrimSpace(a.r.Provider), "ESENT") {
					e.SetField(parse.KeyVersion, v)
				}
			},
			describe: func(d desc) string {
				return "ESE database engine " + d.q(parse.KeyEngineVersion) + " started for " + d.q(parse.KeyComponent)
			}},
		&Entry{Family: FamilyESE, ID: 454, Name: "ese-recovery-failed",
			Summary: "ESE database recovery or restore failed (often missing or mismatched log files).",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyAction, "recovery-failed")
				e.SetField(parse.KeyComponent, a.pos(1))
				setLastCode(a, e)
			},
			describe: func(d desc) string {
				return "ESE recovery/restore failed for " + d.q(parse.KeyComponent) + d.code()
			}},
		&Entry{Family: FamilyESE, ID: 455, Name: "ese-log-file-error",
			Summary: "ESE could not open a transaction log file (missing, inaccessible or mismatched).",
			extract: func(a *args, e *parse.Event) {
				e.SetField(parse.KeyAction, "log-file-error")
				e.SetField(parse.KeyComponent, a.pos(1))
				setLastCode(a, e)
			},
			describe: func(d desc) string {
				return "ESE could not open a transaction log for " + d.q(parse.KeyComponent) + d.code()
			}},
	)
}

var cmdletRE = regexp.MustCompile(`^[A-Z][a-z]+-[A-Za-z]+$`)

// setVersionOrComponent stores the build an MSExchangeSetup event names
// (the first version-shaped text in its inserts) or, without one, its
// first insert as the component.
func setVersionOrComponent(a *args, e *parse.Event) {
	for i := 1; i <= a.n(); i++ {
		if m := versionRE.FindString(a.pos(i)); m != "" {
			e.SetField(parse.KeyVersion, m)
			return
		}
	}
	e.SetField(parse.KeyComponent, a.pos(1))
}

func setupWhat(d desc) string {
	switch {
	case d.has("version"):
		return "build " + d.q(parse.KeyVersion)
	case d.has("component"):
		return "component " + d.q(parse.KeyComponent)
	}
	return "(build not given)"
}

// eseVersion finds the engine version of ESE 100: one dotted insert, or
// four numeric inserts in a row (major, minor, build, revision).
func eseVersion(a *args) string {
	for i := 2; i <= a.n(); i++ {
		if m := versionRE.FindString(a.pos(i)); m != "" {
			return m
		}
	}
	// The version parts are the last numeric inserts; the process ID, also
	// numeric, comes before them, so the search runs from the end.
	for i := a.n() - 3; i >= 2; i-- {
		parts := []string{a.pos(i), a.pos(i + 1), a.pos(i + 2), a.pos(i + 3)}
		ok := true
		for _, p := range parts {
			if p == "" || strings.Trim(p, "0123456789") != "" {
				ok = false
				break
			}
		}
		if ok {
			return strings.Join(parts, ".")
		}
	}
	return ""
}

// setLastCode takes the last insert that is a bare (usually negative) number,
// which is where ESE puts its error; the process ID comes earlier.
func setLastCode(a *args, e *parse.Event) {
	for i := a.n(); i >= 2; i-- {
		v := a.pos(i)
		if strings.HasPrefix(v, "-") || strings.HasPrefix(strings.ToLower(v), "0x") {
			if setCode(a, e, i) {
				return
			}
		}
	}
	for i := a.n(); i >= 3; i-- {
		if setCode(a, e, i) {
			return
		}
	}
}

// clusterFacts attaches the typed cluster facts of a decoded record: the
// moves, failures, state changes and node states its catalogue entry
// read (package parse/facts), and Exchange's version-mismatch text in an
// Exchange event's message or inserts.
func clusterFacts(e *parse.Event) {
	facts.Cluster(e)
	if len(facts.Of[facts.ResourceFailure](e)) == 0 && event5018(e) {
		// Error 5018 is the resource monitor failing an online call,
		// whichever event reports it.
		e.AddFact(facts.ResourceFailure{Kind: facts.FailOnline, Resource: e.Field(parse.KeyResource),
			Group: e.Field(parse.KeyGroup), Code: "5018", Hex: "0x139a"})
	}
	if !strings.Contains(strings.ToLower(e.Provider), "exchange") {
		return
	}
	if u, ok := facts.EVSUpgradeText(e.Message); ok && facts.EVSUpgradeOf(e) == nil {
		e.AddFact(u)
	}
	if server, ok := facts.ExchangeVersionMismatch(e.Message); ok {
		e.AddFact(facts.VersionMismatch{Server: server, Resource: e.Field(parse.KeyResource)})
		return
	}
	var keys []string
	for k := range e.Fields {
		if strings.HasPrefix(k, "data.") || k == parse.KeyRenderedMessage {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys) // map order must not pick the insert
	for _, k := range keys {
		if server, ok := facts.ExchangeVersionMismatch(e.Fields[k]); ok {
			e.AddFact(facts.VersionMismatch{Server: server, Resource: e.Field(parse.KeyResource)})
			return
		}
	}
}

// event5018 reports error 5018 in an event: its code fields, the message,
// the rendered message or an insert (a bare "5018" insert counts when its
// name says it is a code, or the event is a cluster or Exchange cluster
// event, whose numeric inserts are codes).
func event5018(e *parse.Event) bool {
	if facts.Is5018(e.Field(parse.KeyErrorCode)) || facts.Is5018(e.Field(parse.KeyErrorHex)) || facts.Has5018(e.Message) {
		return true
	}
	for k, v := range e.Fields {
		if !strings.HasPrefix(k, "data.") && k != parse.KeyRenderedMessage {
			continue
		}
		if facts.Has5018(v) {
			return true
		}
		if strings.TrimSpace(v) == "5018" {
			name := strings.ToLower(k)
			if strings.Contains(name, "error") || strings.Contains(name, "status") || strings.Contains(name, "code") {
				return true
			}
			switch Family(e.Provider) {
			case FamilyCluster, FamilyExchangeCluster:
				return true
			}
		}
	}
	return false
}
