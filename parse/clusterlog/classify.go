package clusterlog

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/exlog/exlog/parse"
)

// Cluster header facts.
var (
	reCurrentNode   = regexp.MustCompile(`^Current node: name \((.+)\) id \((-?\d+)\)`)
	reBuild         = regexp.MustCompile(`^Build Number\s+(\d+)`)
	reOffsetMinutes = regexp.MustCompile(`\bis\s+(-?\d+)\s+minutes`)
	reOffsetHours   = regexp.MustCompile(`,\s*or\s+(-?\d+(?:\.\d+)?)\s+hours`)
)

// The resource type of a [RES] line that names no resource, such as
// "Network Name: Agent: Closing".
var reResType = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9 ._-]{0,79}?):\s`)

// 2008+ diagnostic lines.
var (
	reRCMMove   = regexp.MustCompile(`move of group (.+?) from (\S*?)\((-?\d+)\) to (\S*?)\((-?\d+)\) of type MoveType::(\w+)`)
	reAPIMove   = regexp.MustCompile(`RcmApi::MoveGroup: \((?:Group:)?(.+?)(?:, (-?\d+)\)| Dest:(-?\d+)(?:.*?MoveType:MoveType::(\w+))?)`)
	reGroupMove = regexp.MustCompile(`RcmGroup::Move: (?:\((.+?), (-?\d+)(?:, MoveType::(\w+))?\)|Bringing group '([^']+)' offline)`)
	reTransit   = regexp.MustCompile(`TransitionToState\((.+?)\) (\w+)-->(\w+)`)
	reResState  = regexp.MustCompile(`^Res (.+?): (\w+) -> (\w+)(?:\(\s*(\w+)\s*\))?`)
	reGrpUpdate = regexp.MustCompile(`RcmGroup::UpdateStateIfChanged: \((.+?), (\w+) --> (\w+)\)`)
	reHandleF   = regexp.MustCompile(`RcmResource::HandleFailure(?:: \((.+)\))?`)
	reMonReply  = regexp.MustCompile(`HandleMonitorReply: (\w+) for (?:resource )?'([^']+)'`)
	reDowned    = regexp.MustCompile(`Handling downed nodes \(([^)]*)\)`)
	reNotFail   = regexp.MustCompile(`Not failing over group (.+?), failoverCount (\d+), failoverThresholdSetting ([^,\s]+),? computedFailoverThreshold (\d+)`)
	reOnlFail   = regexp.MustCompile(`Online for resource (.+?) failed`)
	reOnlThread = regexp.MustCompile(`OnlineThread: Error (-?\d+) bringing resource online`)
	reTerminate = regexp.MustCompile(`Terminating resource (.+?) \(state is (\w+)\)`)
	reHasCome   = regexp.MustCompile(`Resource (.+?) has come (online|offline)`)
	reDeadlock  = regexp.MustCompile(`DeadlockMonitor: Call (\w+)`)
	reLostQ     = regexp.MustCompile(`Node (\d+): Lost quorum`)
	reOneOff    = regexp.MustCompile(`Node (\d+): One off quorum`)
	reDisconn   = regexp.MustCompile(`Node Disconnected (\d+)`)
	reDowners   = regexp.MustCompile(`downers=\(([^)]*)\)`)
	reJoiners   = regexp.MustCompile(`joiners=\(([^)]*)\)`)
	reGraceful  = regexp.MustCompile(`Graceful shutdown reported by node ([^\s,]+),? reason ServiceStopReason::(\w+)`)
	reMissedPct = regexp.MustCompile(`Missed (\d+)% of the heart ?beats with node '([^']+)'(?: \((\d+)\))?`)
	reLostConn  = regexp.MustCompile(`Lost connection to node ([^\s,]+)`)
	reIMMissed  = regexp.MustCompile(`has missed (\S+) consecutive heartbeats`)
	reUnreach   = regexp.MustCompile(`Remote endpoint (\S+) unreachable from (\S+)`)
	reNewJoin   = regexp.MustCompile(`Node (\d+): New join with n(\d+): stage: '([^']+)'`)
	reLogMark   = regexp.MustCompile(`---\+ LOG (BEGIN|END) \+---`)
)

// Event-channel texts (2012+ wording; 2008 R2 "service or application" too).
var (
	re1153  = regexp.MustCompile(`(?i:attempting to fail ?over the clustered (?:role|service or application)) '([^']+)' from node '([^']+)' to node '([^']+)'`)
	re1641  = regexp.MustCompile(`Clustered role '([^']+)' is moving (?:from cluster node '([^']+)' )?to cluster node '([^']+)'`)
	re1674  = regexp.MustCompile(`Group '([^']+)' has transitioned from state '(\w+)' to state '(\w+)'`)
	re1637  = regexp.MustCompile(`Cluster resource '([^']+)' in clustered role '([^']+)' has transitioned from state (\w+) to state (\w+)`)
	re1135  = regexp.MustCompile(`Cluster node '([^']+)' was removed from the active failover cluster membership`)
	re1205  = regexp.MustCompile(`failed to bring clustered role '([^']+)' completely online or offline`)
	re1069  = regexp.MustCompile(`Cluster resource '([^']+)'(?: of type '([^']+)')? in clustered role '([^']+)' failed`)
	re1254  = regexp.MustCompile(`Clustered (?:role|service or application) '([^']+)' has exceeded its failover threshold`)
	reQuar  = regexp.MustCompile(`Cluster node '([^']+)' has been quarantined`)
	re1652  = regexp.MustCompile(`Cluster node '([^']+)' failed to join the cluster`)
	re1062  = regexp.MustCompile(`This node has successfully joined the failover cluster '([^']+)'`)
	reUDP   = regexp.MustCompile(`lost the UDP connection from local endpoint (\S+) connected to remote endpoint (\S+?)\.?$`)
	reNetFT = regexp.MustCompile(`has missed more than (\d+) percent of consecutive heartbeats`)
	re1201  = regexp.MustCompile(`successfully brought the clustered role '([^']+)' (online|offline)`)
	re1200  = regexp.MustCompile(`attempting to bring the clustered role '([^']+)' (online|offline)`)
	re1556  = regexp.MustCompile(`encountered an unexpected problem and will be shut down\. The error code was '(-?\d+)'`)
	re1230  = regexp.MustCompile(`did not respond in a timely fashion\. This caused the cluster resource '([^']+)'`)
	re1564  = regexp.MustCompile(`File share witness resource '([^']+)' failed to arbitrate`)
	re113x  = regexp.MustCompile(`Cluster network '([^']+)' is (partitioned|down)`)
	re1127  = regexp.MustCompile(`Cluster network interface '([^']+)' for cluster node '([^']+)' on network '([^']+)' failed`)
)

// 2000/2003 lines. Only the [NM]/[EP]/[INIT] shapes are documented; the
// [FM]/[RM] move and state patterns are deliberately loose.
var (
	reAdvice    = regexp.MustCompile(`Received advice that node (\d+) has failed with error (-?\d+) state (-?\d+)`)
	reCommLost  = regexp.MustCompile(`Communication was lost with interface (\S+)(?: \(node: ([^,]+), network: (.+)\))?`)
	reJoinReq   = regexp.MustCompile(`Processing request by node (\d+) to begin joining`)
	reNodeUpDn  = regexp.MustCompile(`(?i)\bnode\s+['<"]?([\w.-]+?)['>"]?(?:\s*\(\s*(?:id\s*)?\d{1,3}\s*\))?\s+(?:is now|is|has gone|has come|went|has)\s+(up|down|online|offline|failed|left)\b`)
	reMoveWord  = regexp.MustCompile(`(?i)\bmov(?:e|ing|ed)\b|movegroup|fail(?:ed|ing|s)?\s?over`)
	reFailWord  = regexp.MustCompile(`(?i)fail(?:ed|ing|s)?\s?over`)
	reGroupName = regexp.MustCompile(`(?i)\bgroup(?:\s+name)?\s*[=:]?\s*(?:'([^']+)'|<([^>]+)>|"([^"]+)"|([^\s'"<>,.:;]+))`)
	reToNode    = regexp.MustCompile(`(?i)\bto\s+(?:node\s+)?(?:'([^']+)'|<([^>]+)>|"([^"]+)"|([\w-]+))`)
	reFromNode  = regexp.MustCompile(`(?i)\bfrom\s+(?:node\s+)?(?:'([^']+)'|<([^>]+)>|"([^"]+)"|([\w-]+))`)
	reResName   = regexp.MustCompile(`(?i)\bresource(?:\s+name)?\s*[=:]?\s*(?:'([^']+)'|<([^>]+)>|"([^"]+)"|([^\s'"<>,]+))`)
	reOldNew    = regexp.MustCompile(`(?i)\bold\s*state\s*[=:]?\s*'?(-?\d+|[A-Za-z]+)'?[,;\s]+new\s*state\s*[=:]?\s*'?(-?\d+|[A-Za-z]+)`)
	reFromTo    = regexp.MustCompile(`(?i)\bstate\s+(?:changed?\s+|transition\s+)?from\s+'?(-?\d+|[A-Za-z]+)'?\s+to\s+'?(-?\d+|[A-Za-z]+)`)
	rePosting   = regexp.MustCompile(`(?i)Posting state (-?\d+) notification for resource <([^>]+)>`)
	reResEvent  = regexp.MustCompile(`(?i)\bresource (\S+) (online|offline|failed) event`)
	reQuorumBad = regexp.MustCompile(`(?i)lost quorum|quorum (?:was )?lost|quorum\w*\s.*\bfail|fail\w*\s.*\bquorum|arbitrat\w*\s.*\bfail`)
	reAlive     = regexp.MustCompile(`(?i)\b(?:is|looks)alive\b.*\bfail|\bfail\w*\b.*\b(?:is|looks)alive\b`)
	reOnlineBad = regexp.MustCompile(`(?i)\bonline\b.*\bfail|\bfail\w*\b.*\bonline\b`)
)

// Components only the 2008+ cluster service writes, and those only the
// 2000/2003 one writes. Shared names ([NM], [GUM], [CS]...) decide nothing.
var (
	modernComponents = map[string]bool{
		"RCM": true, "RHS": true, "RES": true, "QUORUM": true, "NETFT": true, "NETFTAPI": true,
		"NETWORK": true, "NODE": true, "CORE": true, "IM": true, "CHM": true, "MRR": true,
		"GEM": true, "JPM": true, "SM": true, "DCM": true, "ACCEPT": true, "CONNECT": true,
		"CHANNEL": true, "SV": true, "hadrag": true,
	}
	legacyComponents = map[string]bool{
		"FM": true, "EP": true, "CP": true, "INIT": true, "ClMsg": true, "ClNet": true,
		"NMJOIN": true, "Qfs": true, "CPROXY": true, "LM": true, "OM": true, "MM": true,
		"RM": true, "API": true, "JOIN": true,
	}
)

// State codes the 2000/2003 cluster log prints (KB 286052).
var (
	groupStates = map[string]string{"-1": "Unknown", "0": "Online", "1": "Offline", "2": "Failed", "3": "PartialOnline"}
	nodeStates  = map[string]string{"-1": "Unknown", "0": "Up", "1": "Down", "2": "Paused", "3": "Joining"}
	resStates   = map[string]string{
		"-1": "Unknown", "0": "Inherited", "1": "Initializing", "2": "Online", "3": "Offline",
		"4": "Failed", "128": "Pending", "129": "OnlinePending", "130": "OfflinePending",
	}
)

// splitComponent takes the [COMP] tag and a resource-DLL prefix off a
// record's text and records them. It returns the remaining message.
func splitComponent(ev *parse.Event, rest string) (comp, msg string) {
	msg = rest
	if c, n := componentTag(msg); n > 0 {
		comp = c
		msg = msg[n:]
		ev.SetField(parse.KeyComponent, comp)
	}
	if comp == "" || comp == "RES" {
		if typ, name, n := resourcePrefix(msg); n > 0 {
			ev.SetField(parse.KeyResourceType, typ)
			ev.SetField(parse.KeyResource, name)
			return comp, msg[n:]
		}
		if comp == "RES" {
			if m := reResType.FindStringSubmatch(msg); m != nil {
				ev.SetField(parse.KeyResourceType, strings.TrimSpace(m[1]))
			}
		}
	}
	return comp, msg
}

// eraOf says which log generation one record points to, and whether it
// proves it: a channel prefix, the padded level column or a 2008+-only
// component prove 2008+; an NT4 stamp or a 2000/2003-only component prove
// the older log. A level word followed by one blank only hints at it.
func eraOf(h *head, comp string) (era int, sure bool) {
	switch {
	case h.channel != "" || h.padded || modernComponents[comp]:
		return eraModern, true
	case h.dayOnly || legacyComponents[comp]:
		return eraLegacy, true
	}
	return eraLegacy, false
}

func setAction(ev *parse.Event, a string) { ev.SetField(parse.KeyAction, a) }

func inferID(ev *parse.Event, id int) {
	ev.EventID = id
	ev.SetField(parse.KeyEventID, strconv.Itoa(id))
	ev.SetField(parse.KeyEventIDInferred, "true")
}

// node normalises a node name as written in a log line.
func node(s string) string { return parse.ShortNode(s) }

// first returns the first non-empty string.
func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// classify sets action and the structured fields of one record from its
// first line's message (after component and resource prefix).
func classify(ev *parse.Event, comp, msg string, legacy bool) {
	switch {
	case comp == "" && !legacy && classifyChannelText(ev, ev.Field(parse.KeyChannel), msg):
	case legacy && classifyLegacy(ev, comp, msg):
	default:
		classifyModern(ev, comp, msg)
	}
	if ev.Field(parse.KeyStatus) == "" {
		setStatusFrom(ev, msg)
	}
}

// classifyChannelText handles the event texts Get-ClusterLog merges from the
// System and Operational channels.
func classifyChannelText(ev *parse.Event, channel, msg string) bool {
	switch {
	case strings.Contains(msg, "clustered role"), strings.Contains(msg, "clustered service or application"):
		if m := re1153.FindStringSubmatch(msg); m != nil {
			setAction(ev, "failover-attempt")
			ev.SetField(parse.KeyGroup, m[1])
			ev.SetField(parse.KeyFromNode, node(m[2]))
			ev.SetField(parse.KeyToNode, node(m[3]))
			inferID(ev, 1153)
			return true
		}
		if m := re1205.FindStringSubmatch(msg); m != nil {
			setAction(ev, "group-failed")
			ev.SetField(parse.KeyGroup, m[1])
			inferID(ev, 1205)
			return true
		}
		if m := re1201.FindStringSubmatch(msg); m != nil {
			if m[2] == "online" {
				setAction(ev, "group-online")
				inferID(ev, 1201)
			} else {
				setAction(ev, "group-offline")
				inferID(ev, 1204)
			}
			ev.SetField(parse.KeyGroup, m[1])
			return true
		}
		if m := re1200.FindStringSubmatch(msg); m != nil {
			if m[2] == "online" {
				setAction(ev, "online-attempt")
				inferID(ev, 1200)
			} else {
				setAction(ev, "offline-attempt")
				inferID(ev, 1203)
			}
			ev.SetField(parse.KeyGroup, m[1])
			return true
		}
		if m := re1637.FindStringSubmatch(msg); m != nil {
			setAction(ev, "resource-state")
			ev.SetField(parse.KeyResource, m[1])
			ev.SetField(parse.KeyGroup, m[2])
			ev.SetField(parse.KeyOldState, m[3])
			ev.SetField(parse.KeyNewState, m[4])
			inferID(ev, 1637)
			return true
		}
		if m := re1069.FindStringSubmatch(msg); m != nil {
			setAction(ev, "resource-failed")
			ev.SetField(parse.KeyResource, m[1])
			ev.SetField(parse.KeyResourceType, m[2])
			ev.SetField(parse.KeyGroup, m[3])
			if channel == "Operational" {
				inferID(ev, 1635) // the same wording, logged to Operational
			} else {
				inferID(ev, 1069)
			}
			return true
		}
	case strings.HasPrefix(msg, "Clustered role '"), strings.HasPrefix(msg, "Clustered service or application '"):
		if m := re1641.FindStringSubmatch(msg); m != nil {
			setAction(ev, "role-moved")
			ev.SetField(parse.KeyGroup, m[1])
			ev.SetField(parse.KeyFromNode, node(m[2]))
			ev.SetField(parse.KeyToNode, node(m[3]))
			inferID(ev, 1641)
			return true
		}
		if m := re1254.FindStringSubmatch(msg); m != nil {
			setAction(ev, "not-failing-over")
			ev.SetField(parse.KeyGroup, m[1])
			inferID(ev, 1254)
			return true
		}
	case strings.HasPrefix(msg, "Group '"):
		if m := re1674.FindStringSubmatch(msg); m != nil {
			setAction(ev, "group-state")
			ev.SetField(parse.KeyGroup, m[1])
			ev.SetField(parse.KeyOldState, m[2])
			ev.SetField(parse.KeyNewState, m[3])
			inferID(ev, 1674)
			return true
		}
	case strings.HasPrefix(msg, "Cluster node '"):
		if m := re1135.FindStringSubmatch(msg); m != nil {
			setAction(ev, "node-removed")
			ev.SetField(parse.KeyNodeName, node(m[1]))
			inferID(ev, 1135)
			return true
		}
		if m := reQuar.FindStringSubmatch(msg); m != nil {
			setAction(ev, "node-quarantined")
			ev.SetField(parse.KeyNodeName, node(m[1]))
			if strings.HasPrefix(msg[len(m[0]):], " by ") {
				inferID(ev, 1675) // quarantined by the other nodes, cannot join
			} else {
				inferID(ev, 1672)
			}
			return true
		}
		if m := re1652.FindStringSubmatch(msg); m != nil {
			setAction(ev, "join-failed")
			ev.SetField(parse.KeyNodeName, node(m[1]))
			inferID(ev, 1652)
			return true
		}
	case strings.Contains(msg, "shutting down because quorum was lost"):
		setAction(ev, "quorum-lost")
		inferID(ev, 1177)
		return true
	case strings.Contains(msg, "Resource Hosting Subsystem (RHS) process was terminated"),
		strings.Contains(msg, "resource host subsystem (RHS) stopped unexpectedly"):
		setAction(ev, "rhs-terminated")
		inferID(ev, 1146)
		return true
	case strings.HasPrefix(msg, "Cluster failed to start. The latest copy of cluster configuration data"):
		setAction(ev, "config-stale")
		inferID(ev, 5398)
		return true
	case strings.HasPrefix(msg, "This node has successfully joined"):
		if m := re1062.FindStringSubmatch(msg); m != nil {
			setAction(ev, "node-joined")
			ev.SetField(parse.KeyCluster, m[1])
			inferID(ev, 1062)
			return true
		}
	case strings.HasPrefix(msg, "The Cluster service was successfully stopped"):
		setAction(ev, "service-stopped")
		inferID(ev, 1063)
		return true
	case strings.Contains(msg, "consecutive heartbeats"):
		if m := reNetFT.FindStringSubmatch(msg); m != nil {
			setAction(ev, "heartbeat-lost")
			ev.SetField(parse.KeyMissedPercent, m[1])
			inferID(ev, 1650)
			return true
		}
	case strings.Contains(msg, "lost the UDP connection"):
		if m := reUDP.FindStringSubmatch(msg); m != nil {
			setAction(ev, "connection-lost")
			ev.SetField(parse.KeyLocalEndpoint, m[1])
			ev.SetField(parse.KeyRemoteEndpoint, m[2])
			inferID(ev, 1650)
			return true
		}
	case strings.Contains(msg, "unexpected problem and will be shut down"):
		if m := re1556.FindStringSubmatch(msg); m != nil {
			setAction(ev, "service-crash")
			setStatus(ev, m[1])
			inferID(ev, 1556)
			return true
		}
	case strings.Contains(msg, "did not respond in a timely fashion"):
		if m := re1230.FindStringSubmatch(msg); m != nil {
			setAction(ev, "deadlock")
			ev.SetField(parse.KeyResource, m[1])
			inferID(ev, 1230)
			return true
		}
	case strings.HasPrefix(msg, "File share witness resource"):
		if m := re1564.FindStringSubmatch(msg); m != nil {
			setAction(ev, "witness-failed")
			ev.SetField(parse.KeyResource, m[1])
			inferID(ev, 1564)
			return true
		}
	case strings.HasPrefix(msg, "Cluster network interface '"):
		if m := re1127.FindStringSubmatch(msg); m != nil {
			setAction(ev, "interface-failed")
			ev.SetField(parse.KeyInterface, m[1])
			ev.SetField(parse.KeyNodeName, node(m[2]))
			ev.SetField(parse.KeyNetwork, m[3])
			inferID(ev, 1127)
			return true
		}
	case strings.HasPrefix(msg, "Cluster network '"):
		if m := re113x.FindStringSubmatch(msg); m != nil {
			ev.SetField(parse.KeyNetwork, m[1])
			if m[2] == "down" {
				setAction(ev, "network-down")
				inferID(ev, 1130)
			} else {
				setAction(ev, "network-partitioned")
				inferID(ev, 1129)
			}
			return true
		}
	}
	return false
}

// classifyModern handles 2008+ diagnostic lines, keyed by component first
// so that most lines cost one map-free switch and a few substring tests.
func classifyModern(ev *parse.Event, comp, msg string) {
	switch comp {
	case "RCM":
		switch {
		case strings.Contains(msg, "move of group "):
			if m := reRCMMove.FindStringSubmatch(msg); m != nil {
				setAction(ev, "group-move")
				ev.SetField(parse.KeyGroup, m[1])
				ev.SetField(parse.KeyFromNode, node(m[2]))
				ev.SetField(parse.KeyFromNodeID, m[3])
				ev.SetField(parse.KeyToNode, node(m[4]))
				ev.SetField(parse.KeyToNodeID, m[5])
				ev.SetField(parse.KeyMoveType, m[6])
				tail := msg[strings.Index(msg, m[0])+len(m[0]):]
				ev.SetField(parse.KeyFailoverCount, keyValue(tail, "failoverCount="))
				ev.SetField(parse.KeyLastFailoverTime, keyValue(tail, "lastFailoverTime="))
				ev.SetField(parse.KeyTargeted, keyValue(tail, "targeted="))
				return
			}
		case strings.Contains(msg, "RcmApi::MoveGroup"):
			if m := reAPIMove.FindStringSubmatch(msg); m != nil {
				setAction(ev, "move-requested")
				ev.SetField(parse.KeyGroup, m[1])
				if dest := first(m[2], m[3]); dest != "-1" {
					ev.SetField(parse.KeyToNodeID, dest)
				}
				ev.SetField(parse.KeyMoveType, m[4])
				return
			}
		case strings.Contains(msg, "RcmGroup::Move:"):
			if m := reGroupMove.FindStringSubmatch(msg); m != nil {
				setAction(ev, "move-requested")
				ev.SetField(parse.KeyGroup, first(m[1], m[4]))
				if m[2] != "-1" {
					ev.SetField(parse.KeyToNodeID, m[2])
				}
				ev.SetField(parse.KeyMoveType, m[3])
				return
			}
		case strings.Contains(msg, "TransitionToState("):
			if m := reTransit.FindStringSubmatch(msg); m != nil {
				setAction(ev, "resource-state")
				ev.SetField(parse.KeyResource, m[1])
				ev.SetField(parse.KeyOldState, m[2])
				ev.SetField(parse.KeyNewState, m[3])
				return
			}
		case strings.HasPrefix(msg, "Res "):
			if m := reResState.FindStringSubmatch(msg); m != nil {
				setAction(ev, "resource-state")
				ev.SetField(parse.KeyResource, m[1])
				ev.SetField(parse.KeyOldState, m[2])
				ev.SetField(parse.KeyNewState, m[3])
				ev.SetField(parse.KeyStateDetail, m[4])
				return
			}
		case strings.Contains(msg, "UpdateStateIfChanged"):
			if m := reGrpUpdate.FindStringSubmatch(msg); m != nil {
				setAction(ev, "group-state")
				ev.SetField(parse.KeyGroup, m[1])
				ev.SetField(parse.KeyOldState, m[2])
				ev.SetField(parse.KeyNewState, m[3])
				return
			}
		case strings.Contains(msg, "RcmResource::HandleFailure"):
			m := reHandleF.FindStringSubmatch(msg)
			setAction(ev, "handle-failure")
			if m != nil {
				ev.SetField(parse.KeyResource, strings.TrimSpace(m[1]))
			}
			return
		case strings.Contains(msg, "HandleMonitorReply:"):
			if m := reMonReply.FindStringSubmatch(msg); m != nil {
				ev.SetField(parse.KeyMonitorReply, m[1])
				ev.SetField(parse.KeyResource, m[2])
				if m[1] == "FAILURENOTIFICATION" {
					setAction(ev, "failure-notification")
				}
				return
			}
		case strings.Contains(msg, "Handling downed nodes"):
			if m := reDowned.FindStringSubmatch(msg); m != nil {
				setAction(ev, "node-down")
				ev.SetField(parse.KeyNodes, strings.TrimSpace(m[1]))
				return
			}
		case strings.Contains(msg, "regained quorum"):
			setAction(ev, "quorum-regained")
			return
		}
	case "RHS":
		switch {
		case strings.HasPrefix(msg, "Online for resource "):
			if m := reOnlFail.FindStringSubmatch(msg); m != nil {
				setAction(ev, "online-failed")
				ev.SetField(parse.KeyResource, m[1])
				return
			}
		case strings.HasPrefix(msg, "Terminating resource "):
			if m := reTerminate.FindStringSubmatch(msg); m != nil {
				setAction(ev, "resource-terminate")
				ev.SetField(parse.KeyResource, m[1])
				ev.SetField(parse.KeyState, m[2])
				return
			}
		case strings.Contains(msg, "has come o"):
			if m := reHasCome.FindStringSubmatch(msg); m != nil {
				setAction(ev, "resource-state")
				ev.SetField(parse.KeyResource, m[1])
				if m[2] == "online" {
					ev.SetField(parse.KeyNewState, "Online")
				} else {
					ev.SetField(parse.KeyNewState, "Offline")
				}
				return
			}
		case strings.Contains(msg, "DeadlockMonitor"):
			if m := reDeadlock.FindStringSubmatch(msg); m != nil {
				setAction(ev, "deadlock")
				ev.SetField(parse.KeyCall, m[1])
				return
			}
		case strings.HasPrefix(msg, "Cluster service has terminated"):
			setAction(ev, "service-terminated")
			return
		}
	case "QUORUM":
		if m := reLostQ.FindStringSubmatch(msg); m != nil {
			setAction(ev, "quorum-lost")
			ev.SetField(parse.KeyNodeID, m[1])
			return
		}
		if m := reOneOff.FindStringSubmatch(msg); m != nil {
			setAction(ev, "quorum-at-risk")
			ev.SetField(parse.KeyNodeID, m[1])
			return
		}
	case "RGP":
		if m := reDisconn.FindStringSubmatch(msg); m != nil {
			setAction(ev, "node-down")
			ev.SetField(parse.KeyNodeID, m[1])
			return
		}
	case "CORE":
		if strings.Contains(msg, "ViewChanged") {
			if m := reDowners.FindStringSubmatch(msg); m != nil && strings.TrimSpace(m[1]) != "" {
				setAction(ev, "node-down")
				ev.SetField(parse.KeyNodes, strings.TrimSpace(m[1]))
				return
			}
			if m := reJoiners.FindStringSubmatch(msg); m != nil && strings.TrimSpace(m[1]) != "" {
				setAction(ev, "node-up")
				ev.SetField(parse.KeyNodes, strings.TrimSpace(m[1]))
				return
			}
		}
		if m := reGraceful.FindStringSubmatch(msg); m != nil {
			setAction(ev, "node-shutdown")
			ev.SetField(parse.KeyNodeName, node(m[1]))
			ev.SetField(parse.KeyReason, m[2])
			return
		}
	case "NETWORK":
		if m := reMissedPct.FindStringSubmatch(msg); m != nil {
			setAction(ev, "heartbeat-lost")
			ev.SetField(parse.KeyMissedPercent, m[1])
			ev.SetField(parse.KeyNodeName, node(m[2]))
			ev.SetField(parse.KeyNodeID, m[3])
			return
		}
		if m := reLostConn.FindStringSubmatch(msg); m != nil {
			setAction(ev, "connection-lost")
			ev.SetField(parse.KeyNodeName, node(m[1]))
			return
		}
	case "IM":
		if m := reIMMissed.FindStringSubmatch(msg); m != nil {
			setAction(ev, "heartbeat-lost")
			return
		}
		if m := reUnreach.FindStringSubmatch(msg); m != nil {
			setAction(ev, "connection-lost")
			ev.SetField(parse.KeyRemoteEndpoint, m[1])
			ev.SetField(parse.KeyLocalEndpoint, m[2])
			return
		}
	case "NODE":
		if m := reNewJoin.FindStringSubmatch(msg); m != nil {
			ev.SetField(parse.KeyNodeID, m[2])
			ev.SetField(parse.KeyJoinStage, m[3])
			if m[3] == "Join Succeeded" {
				setAction(ev, "node-up")
			}
			return
		}
	}
	switch {
	case strings.Contains(msg, "Not failing over group"):
		if m := reNotFail.FindStringSubmatch(msg); m != nil {
			setAction(ev, "not-failing-over")
			ev.SetField(parse.KeyGroup, m[1])
			ev.SetField(parse.KeyFailoverCount, m[2])
			ev.SetField(parse.KeyFailoverThreshold, m[3])
			ev.SetField(parse.KeyComputedThreshold, m[4])
		}
	case strings.Contains(msg, "OnlineThread: Error"):
		if m := reOnlThread.FindStringSubmatch(msg); m != nil {
			setAction(ev, "online-failed")
			setStatus(ev, m[1])
		}
	case strings.Contains(msg, "Lost quorum"), strings.Contains(msg, "Quorum lost because"),
		strings.Contains(msg, "Quorum witness has better epoch"):
		setAction(ev, "quorum-lost")
	case strings.Contains(msg, "---+ LOG "):
		if m := reLogMark.FindStringSubmatch(msg); m != nil {
			setAction(ev, "log-"+strings.ToLower(m[1]))
		}
	}
}

// classifyLegacy handles 2000/2003 lines. It reports false when nothing
// matched so that the shared 2008+ rules get a try.
func classifyLegacy(ev *parse.Event, comp, msg string) bool {
	switch comp {
	case "NM":
		if m := reAdvice.FindStringSubmatch(msg); m != nil {
			setAction(ev, "node-down")
			ev.SetField(parse.KeyNodeID, m[1])
			setStatus(ev, m[2])
			stateCode(ev, nodeStates, "", m[3])
			return true
		}
		if m := reCommLost.FindStringSubmatch(msg); m != nil {
			setAction(ev, "connection-lost")
			ev.SetField(parse.KeyInterface, m[1])
			ev.SetField(parse.KeyNodeName, node(m[2]))
			ev.SetField(parse.KeyNetwork, m[3])
			return true
		}
	case "NMJOIN":
		if m := reJoinReq.FindStringSubmatch(msg); m != nil {
			setAction(ev, "node-joining")
			ev.SetField(parse.KeyNodeID, m[1])
			return true
		}
	case "EP":
		if strings.Contains(msg, "Nodes down event") {
			setAction(ev, "node-down")
			return true
		}
	case "INIT":
		if strings.Contains(msg, "Successfully formed a cluster") {
			setAction(ev, "cluster-formed")
			return true
		}
	case "FM":
		if strings.Contains(msg, "Resource monitor terminated") {
			setAction(ev, "rhs-terminated")
			return true
		}
		if strings.Contains(msg, "Successfully arbitrated quorum") {
			setAction(ev, "quorum-arbitrated")
			return true
		}
		if legacyThreshold(ev, msg) || legacyOwner(ev, msg) || legacyMove(ev, msg) || legacyState(ev, msg) {
			return true
		}
	case "RM":
		if legacyState(ev, msg) {
			return true
		}
	case "", "CS":
		if strings.HasPrefix(msg, "Cluster service started") {
			setAction(ev, "service-started")
			return true
		}
	}
	if comp == "" && ev.Field(parse.KeyResource) == "" {
		// An untagged Exchange resource-DLL line written without the
		// angle brackets: "Exchange System Attendant - (EVS1): ...".
		if m := reExRes.FindStringSubmatch(msg); m != nil && containsFold(m[1], "exchange") {
			ev.SetField(parse.KeyResource, strings.TrimSpace(m[1]))
			msg = m[2]
		}
	}
	if !knownLegacyTag(comp) {
		// Untagged lines and components no public log shows: the group
		// wording is tried on them as on [FM] lines.
		if legacyThreshold(ev, msg) || legacyOwner(ev, msg) || legacyMove(ev, msg) || legacyState(ev, msg) {
			return true
		}
	}
	if comp == "NM" || comp == "EP" || comp == "RGP" || comp == "JOIN" || !knownLegacyTag(comp) {
		if m := reNodeUpDn.FindStringSubmatch(msg); m != nil {
			legacyNodeUpDown(ev, m)
			return true
		}
	}
	if comp == "FM" || comp == "MM" || comp == "NM" || comp == "INIT" || comp == "CS" || comp == "Qfs" {
		if containsFold(msg, "quorum") && reQuorumBad.MatchString(msg) {
			setAction(ev, "quorum-lost")
			return true
		}
	}
	resourceLine := comp == "RM" || comp == "FM" || ev.Field(parse.KeyResource) != "" || !knownLegacyTag(comp)
	if !resourceLine || !containsFold(msg, "fail") {
		return false
	}
	if containsFold(msg, "alive") && reAlive.MatchString(msg) {
		setAction(ev, "health-check-failed")
		legacyResource(ev, msg)
		return true
	}
	if containsFold(msg, "online") && reOnlineBad.MatchString(msg) {
		setAction(ev, "online-failed")
		legacyResource(ev, msg)
		return true
	}
	return false
}

// legacyNodeUpDown records a tolerant 2000/2003 "node X is up/down" line.
func legacyNodeUpDown(ev *parse.Event, m []string) {
	if isNumber(m[1]) {
		ev.SetField(parse.KeyNodeID, m[1])
	} else {
		ev.SetField(parse.KeyNodeName, node(m[1]))
		if id := reNodeNameID.FindStringSubmatch(m[0]); id != nil {
			ev.SetField(parse.KeyNodeID, id[2])
		}
	}
	if up := strings.ToLower(m[2]); up == "up" || up == "online" {
		setAction(ev, "node-up")
	} else {
		setAction(ev, "node-down")
	}
}

// legacyMove recognises a 2003 [FM] line about moving or failing over a
// group that names the group and the target node.
func legacyMove(ev *parse.Event, msg string) bool {
	if !containsFold(msg, "mov") && !containsFold(msg, "fail") || !containsFold(msg, "group") || !containsFold(msg, "to") ||
		!reMoveWord.MatchString(msg) {
		return false
	}
	g := reGroupName.FindStringSubmatch(msg)
	to := reToNode.FindStringSubmatch(msg)
	if g == nil || to == nil || notNode[strings.ToLower(first(to[1:]...))] || notGroup[strings.ToLower(first(g[1:]...))] {
		return false
	}
	setAction(ev, "group-move")
	ev.SetField(parse.KeyGroup, first(g[1:]...))
	setNodeRef(ev, parse.KeyToNode, parse.KeyToNodeID, first(to[1:]...))
	if from := reFromNode.FindStringSubmatch(msg); from != nil && !notNode[strings.ToLower(first(from[1:]...))] {
		setNodeRef(ev, parse.KeyFromNode, parse.KeyFromNodeID, first(from[1:]...))
	}
	switch {
	case adminWords(msg):
		ev.SetField(parse.KeyReason, "administrator request")
	case reFailWord.MatchString(msg):
		ev.SetField(parse.KeyMoveType, "Failover")
	}
	return true
}

// legacyState recognises 2003 state-code transitions in [FM]/[RM] lines;
// whether the codes are group or resource states follows the line's words.
func legacyState(ev *parse.Event, msg string) bool {
	hasState := containsFold(msg, "state")
	if hasState && containsFold(msg, "posting state") {
		if m := rePosting.FindStringSubmatch(msg); m != nil {
			setAction(ev, "resource-state")
			ev.SetField(parse.KeyResource, m[2])
			stateCode(ev, resStates, "", m[1])
			return true
		}
	}
	if containsFold(msg, " event") {
		if m := reResEvent.FindStringSubmatch(msg); m != nil {
			setAction(ev, "resource-state")
			ev.SetField(parse.KeyResource, m[1])
			ev.SetField(parse.KeyNewState, strings.ToUpper(m[2][:1])+m[2][1:])
			return true
		}
	}
	if !hasState {
		return false
	}
	var m []string
	if containsFold(msg, "old state") {
		m = reOldNew.FindStringSubmatch(msg)
	}
	if m == nil && containsFold(msg, " from ") {
		m = reFromTo.FindStringSubmatch(msg)
	}
	if m == nil {
		m = moreStateShapes(msg)
	}
	if m == nil {
		return false
	}
	lower := strings.ToLower(msg)
	if strings.Contains(lower, "resource") || !strings.Contains(lower, "group") {
		setAction(ev, "resource-state")
		legacyResource(ev, msg)
		stateCode(ev, resStates, m[1], m[2])
	} else {
		setAction(ev, "group-state")
		if g := reGroupName.FindStringSubmatch(msg); g != nil {
			ev.SetField(parse.KeyGroup, first(g[1:]...))
		}
		stateCode(ev, groupStates, m[1], m[2])
	}
	return true
}

// legacyResource fills resource from a 2003 line unless the resource-DLL
// prefix already did.
func legacyResource(ev *parse.Event, msg string) {
	if ev.Field(parse.KeyResource) != "" {
		return
	}
	if m := reResName.FindStringSubmatch(msg); m != nil {
		ev.SetField(parse.KeyResource, first(m[1:]...))
	}
}

// stateCode records 2000/2003 numeric states with their names.
func stateCode(ev *parse.Event, names map[string]string, oldCode, newCode string) {
	if oldCode != "" {
		if isCode(oldCode) {
			ev.SetField(parse.KeyOldStateCode, oldCode)
		}
		ev.SetField(parse.KeyOldState, stateName(names, oldCode))
	}
	if isCode(newCode) {
		ev.SetField(parse.KeyStateCode, newCode)
	}
	ev.SetField(parse.KeyNewState, stateName(names, newCode))
}

// statusWords introduce a status code, longest first so that "error code
// was 5" is not read as "error" followed by a word.
var statusWords = [...]string{"error code was", "error code", "error id", "error", "status is", "status", "hresult"}

// setStatusFrom looks for the first status or error code in a line:
// one of statusWords (any case, whole word), then optional '=' or ':' and
// quote, then a decimal or 0x-hex number.
func setStatusFrom(ev *parse.Event, msg string) {
	for i := 0; i < len(msg); i++ {
		if c := msg[i] | 0x20; c != 'e' && c != 's' && c != 'h' {
			continue
		}
		if i > 0 && isWordByte(msg[i-1]) {
			continue
		}
		for _, w := range statusWords {
			if !hasPrefixFold(msg[i:], w) {
				continue
			}
			j := i + len(w)
			if j < len(msg) && isWordByte(msg[j]) {
				continue
			}
			if v := statusValue(msg[j:]); v != "" {
				setStatus(ev, v)
				return
			}
		}
	}
}

func isWordByte(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' }

// statusValue reads `\s*[=:]?\s*'?(0x[0-9a-f]{1,8}|-?\d{1,10})\b`.
func statusValue(s string) string {
	i := skipSpace(s, 0)
	if i < len(s) && (s[i] == '=' || s[i] == ':') {
		i = skipSpace(s, i+1)
	}
	if i < len(s) && s[i] == '\'' {
		i++
	}
	start := i
	if i+2 < len(s) && s[i] == '0' && (s[i+1]|0x20) == 'x' {
		j := i + 2
		for j < len(s) && isHex(s[j]) {
			j++
		}
		if n := j - i - 2; n >= 1 && n <= 8 && (j == len(s) || !isWordByte(s[j])) {
			return s[start:j]
		}
		return ""
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if n := j - i; n >= 1 && n <= 10 && (j == len(s) || !isWordByte(s[j])) {
		return s[start:j]
	}
	return ""
}

// resourcePrefix reads a resource-DLL prefix "<Type> <Name>: ": a type of
// up to 80 letters, digits, blanks and ._()- starting with a letter, the
// name in angle brackets, then a colon. n is the bytes taken, 0 if none.
func resourcePrefix(s string) (typ, name string, n int) {
	lt := strings.IndexByte(s, '<')
	if lt < 1 || lt > 81 || !isLetter(s[0]) {
		return "", "", 0
	}
	for i := 0; i < lt; i++ {
		c := s[i]
		if !isLetter(c) && !isDigit(c) && !strings.ContainsRune(" ._()-", rune(c)) {
			return "", "", 0
		}
	}
	gt := strings.IndexByte(s[lt+1:], '>')
	if gt < 1 {
		return "", "", 0
	}
	name = s[lt+1 : lt+1+gt]
	end := lt + 1 + gt + 1
	if strings.IndexByte(name, '<') >= 0 || end >= len(s) || s[end] != ':' {
		return "", "", 0
	}
	typ = strings.TrimSpace(s[:lt])
	if typ == "" {
		return "", "", 0
	}
	return typ, name, skipSpace(s, end+1)
}

// setStatus stores a status code as decimal and as 32-bit hex.
func setStatus(ev *parse.Event, v string) {
	var u uint32
	if strings.HasPrefix(v, "0x") || strings.HasPrefix(v, "0X") {
		n, err := strconv.ParseUint(v[2:], 16, 32)
		if err != nil {
			return
		}
		u = uint32(n)
		ev.SetField(parse.KeyStatus, strconv.FormatUint(n, 10))
	} else {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < -1<<31 || n > 1<<32-1 {
			return
		}
		u = uint32(n)
		ev.SetField(parse.KeyStatus, strconv.FormatInt(n, 10))
	}
	ev.SetField(parse.KeyStatusHex, "0x"+strconv.FormatUint(uint64(u), 16))
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// componentTag reads a leading "[NAME]" tag (a letter, then up to 31
// letters, digits, '_' or blanks) and the blanks after it. n is how many
// bytes it took, 0 when there is no tag.
func componentTag(s string) (name string, n int) {
	if len(s) < 3 || s[0] != '[' || !isLetter(s[1]) {
		return "", 0
	}
	for i := 2; i < len(s) && i <= 33; i++ {
		c := s[i]
		switch {
		case c == ']':
			return s[1:i], skipSpace(s, i+1)
		case isLetter(c) || isDigit(c) || c == '_' || c == ' ':
		default:
			return "", 0
		}
	}
	return "", 0
}

// keyValue returns the value after key in s, up to a blank or comma.
func keyValue(s, key string) string {
	i := strings.Index(s, key)
	if i < 0 {
		return ""
	}
	v := s[i+len(key):]
	if j := strings.IndexAny(v, " ,\t"); j >= 0 {
		v = v[:j]
	}
	return v
}

// containsFold reports whether s contains the lower-case ASCII word sub,
// ignoring case; a cheap gate before case-insensitive regexps.
func containsFold(s, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if s[i]|0x20 == sub[0] && strings.EqualFold(s[i:i+n], sub) {
			return true
		}
	}
	return false
}
