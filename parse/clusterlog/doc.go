// Package clusterlog reads Windows cluster debug logs (cluster.log) into
// parse.Events: the Windows 2000/2003 server-cluster log that ClusSvc writes
// continuously, and the Windows Server 2008 to 2022 text log produced by
// `cluster log /g` or Get-ClusterLog, including the 2016+ header sections and
// the event-channel lines merged into it ([System], [Operational],
// [Verbose]).
//
// # Records
//
// A record starts at a line with a `pid.tid::timestamp` header (optionally
// preceded by an analyst's line-number column and a channel prefix) or at a
// 2016+ section header such as `[=== Cluster ===]`. Every other line
// belongs to the record before it: multi-line event texts and section tables
// are kept whole, blank lines inside them included, so no physical line is
// dropped. Event.Line is the record's first physical line and the field
// `lines` gives the span in physical lines when it is more than one. Text
// that comes before the first header of a file is kept as an untimed event
// with `no_header` = "true" and reported as a problem. Very long records are
// split into pieces of at most 2000 lines or 256 KiB; each later piece
// repeats the header values and carries `continues_line`, the Line of the
// first piece.
//
// # Time and node
//
// Cluster logs are written in UTC (GMT) unless a 2016+ header says the log
// was generated in local time; then the header's stated offset ("UTC =
// localtime + time zone offset; ... is N minutes") is added and the time
// quality is parse.TimeLocalKnownOffset, or parse.TimeLocalUnknownOffset
// when no offset is stated. The offset is the one in force when the log was
// generated, so records from the other side of a daylight-saving change are
// off by that hour. NT4-style stamps that carry only the day of the
// month take year and month from the file's modification time
// (parse.TimeOfDayOnly). The node is the header's `Current node: name (X)`,
// else Input.Node.
//
// # Fields
//
// Every record: `component` ([RCM], [FM], ... without brackets), `pid`,
// `tid` (hex as written), `channel` (System, Operational, Verbose), and
// `orig_line` (the analyst's line-number column). Section records have
// `section`; the Cluster section also `build_number`, `current_node`,
// `utc_offset_minutes` and `local_time` ("true"/"false") when stated.
// Resource-DLL lines (`<Type> <Name>: text`, also after [RES]) give
// `resource_type` and `resource`.
//
// Lines the detectors care about get `action` and the values it needs:
//
//	group-move         RCM "move of group G from A(1) to B(2) of type MoveType::T", or a 2003
//	                   [FM] move/failover line naming a group and a target: group, from_node,
//	                   to_node, from_node_id, to_node_id, move_type, failover_count,
//	                   last_failover_time, targeted
//	move-requested     RcmApi::MoveGroup / RcmGroup::Move: group, to_node_id, move_type
//	failover-attempt   operational 1153: group, from_node, to_node
//	role-moved         operational 1641: group, from_node (when written), to_node
//	group-state        operational 1674, RcmGroup state change, 2003 group state codes:
//	                   group, old_state, new_state (state_code, old_state_code on 2003)
//	resource-state     TransitionToState(X) A-->B, "Res X: A -> B", operational 1637, RHS
//	                   "has come online/offline", 2003 resource state codes: resource,
//	                   group (1637), old_state, new_state, state_detail, state_code
//	group-online, group-offline, online-attempt, offline-attempt   operational 1201, 1204, 1200, 1203
//	group-failed       system 1205: group
//	resource-failed    system 1069: resource, group, resource_type
//	online-failed      "[RHS] Online for resource X failed", "OnlineThread: Error N bringing
//	                   resource online", 2003 resource lines reporting a failed online: resource
//	handle-failure     rcm::RcmResource::HandleFailure: resource
//	failure-notification  HandleMonitorReply: FAILURENOTIFICATION: resource (other replies only
//	                   set monitor_reply)
//	health-check-failed   IsAlive/LooksAlive failures: resource when known
//	resource-terminate "[RHS] Terminating resource X (state is S)": resource, state
//	deadlock           RhsCall::DeadlockMonitor (call), system 1230 (resource)
//	not-failing-over   "Not failing over group G, failoverCount N, failoverThresholdSetting S,
//	                   computedFailoverThreshold M" and system 1254: group, failover_count,
//	                   failover_threshold, computed_threshold
//	quorum-lost        [QUORUM] Lost quorum, "Quorum lost because", witness-epoch loss,
//	                   system 1177, 2003 quorum arbitration failures: node_id when written
//	quorum-at-risk     [QUORUM] One off quorum: node_id
//	quorum-regained    [RCM] regained quorum
//	quorum-arbitrated  2003 [FM] Successfully arbitrated quorum resource
//	node-down          [RCM] Handling downed nodes, [RGP] Node Disconnected, view change with
//	                   downers, 2000/2003 [NM] node failed advice, [EP] Nodes down event:
//	                   node_id or nodes (ids as written), status, state_code
//	node-up            view change with joiners, [NODE] join stage 'Join Succeeded', 2003
//	                   "node X is up": node_id, nodes, node_name
//	node-joining       2000/2003 [NMJOIN] join request: node_id
//	node-joined        operational "This node has successfully joined": cluster
//	node-removed       system 1135: node_name
//	node-quarantined   system quarantine lines: node_name
//	node-shutdown      [CORE] Graceful shutdown reported by node: node_name, reason
//	join-failed        system 1652: node_name
//	heartbeat-lost     [NETWORK] Missed N% of the heart beats, [IM] missed heartbeats, NetFT
//	                   operational text: node_name, node_id, missed_percent
//	connection-lost    [NETWORK] Lost connection, [IM] endpoint unreachable, operational UDP
//	                   connection lost, 2000/2003 [NM] Communication was lost: node_name,
//	                   local_endpoint, remote_endpoint, interface, network
//	network-down, network-partitioned, interface-failed   system 1130, 1129, 1127: network, node_name
//	rhs-terminated     system 1146, 2003 [FM] Resource monitor terminated!
//	service-terminated [RHS] Cluster service has terminated
//	service-stopped    operational 1063
//	service-started    2000/2003 "Cluster service started"
//	service-crash      system 1556: status
//	config-stale       system 5398
//	witness-failed     system 1564: resource
//	cluster-formed     2000/2003 [INIT] Successfully formed a cluster
//	log-begin, log-end "---+ LOG BEGIN +---" markers
//	section            2016+ section header: section
//
// `status` (decimal) and `status_hex` (0x..., 32-bit) come from the first
// "status N", "status is 'N'", "error N", "error code was 'N'", "Error ID: N"
// or "HRESULT 0x..." on any line.
//
// Event-channel lines carry no event ID in the text. Where the wording
// belongs to one FailoverClustering event (1062, 1063, 1069 (1635 on the
// Operational channel), 1127, 1129, 1130, 1135, 1146, 1153, 1177, 1200,
// 1201, 1203, 1204, 1205, 1230, 1254, 1556, 1564, 1637, 1641, 1650, 1652,
// 1672, 1674, 1675, 5398) Event.EventID and `event_id` are set and
// `event_id_inferred` = "true" says the number came from the wording, so
// detectors keyed on event IDs see these lines as they see EVTX records.
//
// # Facts
//
// Every classified record also carries typed facts (package parse/facts)
// built from its action and fields: GroupMove, StateChange,
// ResourceFailure, NodeState, QuorumLoss, FailoverPolicy, NameMap,
// VersionMismatch and EVSUpgrade. The detectors read these, never the
// message. For them the parser does more on 2000/2003 logs:
//
//   - names: "Name for Group <guid> is 'EVS1'" (and looser variants), "Group
//     <guid> contains Resource <guid>" and node lines ("node 2 (NODE2)",
//     "NodeId 2 NodeName NODE2") give NameMap facts; later records of the
//     same log get the name in group/resource/to_node and keep the GUID in
//     group_id/resource_id. A line saying which node is local names the
//     log's node (Event.NodeFrom content).
//   - group wording on [FM] lines, untagged lines and unknown components:
//     moves and failovers ("failing over", "failed over", "failover of
//     group", "moving group ... to node 2"), group-owner lines ("owned by
//     node", "owner set to node 2"), numeric and named states ("old state=129
//     new state=4", "state 129 -> 4", "state change from 0 to 2", "is now in
//     state 2"), failover thresholds reached or exceeded (not-failing-over
//     with failover_count, failover_threshold and new_state Failed when the
//     group is left failed), and Exchange resource lines without angle
//     brackets ("Exchange System Attendant - (EVS1): ...").
//   - wrapped records: a record with continuation lines whose first line
//     said nothing (or, on 2000/2003, a move or threshold line) is
//     classified again on its joined text.
//   - a record carrying status 5018 is an online failure whatever its
//     other words.
//
// Level comes from the line's level word (INFO, WARN, ERR, DBG, CRIT) and
// is empty on 2000 lines that have none. Provider is "ClusSvc" for
// 2000/2003 logs and "FailoverClustering" for 2008+ logs, told apart by
// the padded level column, the channel prefix, section headers and the
// component names.
package clusterlog
