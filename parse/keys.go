package parse

// The field keys of Event.Fields. This file is the contract between the
// parsers that set fields and the index, detectors and reports that read
// them: every key that crosses a package boundary is declared here once,
// with what it holds. keys_test.go fails when non-test code passes a string
// literal as a key, and when the README's field table and this list differ.
//
// Values are strings; numbers are written in decimal unless the key says
// hex, times in RFC 3339.
const (
	// Any source

	// KeyTimeRaw holds the time a record stated when it could not be true (time quality invalid), as written or as decoded.
	KeyTimeRaw = "time_raw"

	// Setup logs (parse/setuplog): records

	// KeyThread (setup log) holds the thread or process tag of a 2007+ line, e.g. "0" in "[0]".
	KeyThread = "thread"
	// KeyTimeOfDay (setup log) holds the time of day as written by a 2000/2003 progress log, whose lines carry no date.
	KeyTimeOfDay = "time_of_day"
	// KeySeverity (setup log) holds the line's own severity word (ERROR, WARNING, INFO).
	KeySeverity = "severity"
	// KeyFrameMode (setup log) holds 2000/2003 progress-log frame mode ("Mode:" inside an Entering/Leaving frame).
	KeyFrameMode = "frame_mode"
	// KeyParamName (setup log) holds the name of a setup parameter or setting line.
	KeyParamName = "param_name"
	// KeyParamValue (setup log) holds the value of that parameter or setting.
	KeyParamValue = "param_value"
	// KeyErrRefID (setup log) holds the error reference ID of a 2003 ErrorReference line.
	KeyErrRefID = "errref_id"
	// KeyErrRefComponent (setup log) holds the component named by a 2003 ErrorReference line.
	KeyErrRefComponent = "errref_component"
	// KeyErrRefTask (setup log) holds the task named by a 2003 ErrorReference line.
	KeyErrRefTask = "errref_task"
	// KeyEvalKind (setup log) holds kind of a 2013+ Evaluated/Failed rule line (Rule, Setting, ...).
	KeyEvalKind = "eval_kind"
	// KeyEvalName (setup log) holds the rule or setting name of an Evaluated line.
	KeyEvalName = "eval_name"
	// KeyEvalValue (setup log) holds the value an Evaluated line reports for its rule or setting.
	KeyEvalValue = "eval_value"
	// KeyEvalParent (setup log) holds the parent rule or setting of an Evaluated line.
	KeyEvalParent = "eval_parent"
	// KeyEvalHasException (setup log) holds "true" when an Evaluated line carries an exception.
	KeyEvalHasException = "eval_has_exception"
	// KeyNativeFunction (setup log) holds the native function named in a 2003 error line.
	KeyNativeFunction = "native_function"
	// KeyNativeSource (setup log) holds "file:line" of the native source in a 2003 error line.
	KeyNativeSource = "native_source"
	// KeyErrorCode holds error code as a number in decimal or 0x-hex as written (setup lines, event inserts).
	KeyErrorCode = "error_code"
	// KeyErrorCodeDec (setup log) holds the error code in decimal where the line gives both forms.
	KeyErrorCodeDec = "error_code_dec"
	// KeyErrorText (setup log) holds the error text of a 2003 error line.
	KeyErrorText = "error_text"
	// KeyIgnored (setup log) holds "true" for an error line the log itself says was ignored.
	KeyIgnored = "ignored"
	// KeyIgnoredErrors (setup log) holds how many errors of the run the log said it ignored.
	KeyIgnoredErrors = "ignored_errors"

	// Setup logs (parse/setuplog): setup-run summaries

	// KeyGeneration (setup run) holds the log generation ("2003", "2007", "2013").
	KeyGeneration = "generation"
	// KeyProduct (setup run) holds the product line the log names.
	KeyProduct = "product"
	// KeySetupVersion (setup run) holds the build that setup installs or upgrades to.
	KeySetupVersion = "setup_version"
	// KeyInstalledVersion (setup run) holds the build the log says was installed before the run.
	KeyInstalledVersion = "installed_version"
	// KeyPreviousVersion (setup run) holds the build a 2007+ log says it upgrades from.
	KeyPreviousVersion = "previous_version"
	// KeyInstallationMode (setup run) holds the install mode the log states (Install, Upgrade, Uninstall, ...).
	KeyInstallationMode = "installation_mode"
	// KeyMode (setup run) holds the mode from the command line (/mode:upgrade, /upgradeCMS ...), lower case.
	KeyMode = "mode"
	// KeyParams (setup run) holds the command-line parameters, "name=value; ...".
	KeyParams = "params"
	// KeyCommandLine (setup run) holds the command line as written.
	KeyCommandLine = "command_line"
	// KeyRoles (setup run) holds the server roles the run covers.
	KeyRoles = "roles"
	// KeyUser (setup run) holds the account that ran setup.
	KeyUser = "user"
	// KeyDC (setup run) holds the domain controller setup used.
	KeyDC = "dc"
	// KeyComputer (setup run or event) holds the computer name the source states.
	KeyComputer = "computer"
	// KeyTZ (setup run) holds the time zone name a 2013+ log states.
	KeyTZ = "tz"
	// KeyTZOffset (setup run) holds the UTC offset a 2013+ log states, e.g. "+01:00".
	KeyTZOffset = "tz_offset"
	// KeyResult (setup run) holds the outcome: success (a succeeded run), failed, incomplete or unknown.
	KeyResult = "result"
	// KeyResultText (setup run) holds the line that decided the outcome, as written.
	KeyResultText = "result_text"
	// KeyCurrentResult (setup run) holds the last CurrentResult value of the run (one task's result, not the run's).
	KeyCurrentResult = "current_result"
	// KeyStart (setup run) holds start time, RFC 3339.
	KeyStart = "start"
	// KeyEnd (setup run) holds end time, RFC 3339.
	KeyEnd = "end"
	// KeyDuration (setup run) holds end minus start.
	KeyDuration = "duration"
	// KeyEndSeen (setup run) holds "true" when the log's own closing line was seen.
	KeyEndSeen = "end_seen"
	// KeyErrors (setup run) holds number of error lines.
	KeyErrors = "errors"
	// KeyErrorFrames (setup run) holds number of 2003 error frames.
	KeyErrorFrames = "error_frames"
	// KeyFirstErrorLine (setup run) holds the line number of the first error of the run.
	KeyFirstErrorLine = "first_error_line"
	// KeyLastLine (setup run) holds the last line number of the run.
	KeyLastLine = "last_line"
	// KeyWatermark holds setup run or registry: Exchange setup watermarks left behind, "; "-joined.
	KeyWatermark = "watermark"
	// KeyInstallWatermark (setup run) holds the watermark of the install step that setup resumed.
	KeyInstallWatermark = "install_watermark"

	// Event logs (parse/evtx, parse/evt, parse/eventlog)

	// KeyChannel (event log) holds the channel or log name (Application, System, ...).
	KeyChannel = "channel"
	// KeyTask (event log) holds the task (category) number.
	KeyTask = "task"
	// KeyKeywords (event log) holds the keywords mask.
	KeyKeywords = "keywords"
	// KeyAudit (event log) holds "success" or "failure" for audit events.
	KeyAudit = "audit"
	// KeyUserSID (event log) holds the user SID of the record.
	KeyUserSID = "user_sid"
	// KeyQualifiers (event log) holds the qualifiers (high 16 bits) of a classic event ID.
	KeyQualifiers = "qualifiers"
	// KeyBinary (event log) holds the binary data of the record, upper-case hex.
	KeyBinary = "binary"
	// KeyBinaryBytes (event log) holds the length of that binary data.
	KeyBinaryBytes = "binary_bytes"
	// KeyRecovered (event log) holds why a damaged record was recovered and how.
	KeyRecovered = "recovered"
	// KeyRenderedMessage (event log) holds the message rendered by the writer (forwarded events).
	KeyRenderedMessage = "rendered_message"
	// KeyInsertsUncertain (event log) holds "true" when the insert positions of the message are not verified.
	KeyInsertsUncertain = "inserts_uncertain"
	// KeyInsertsUncertainReason (event log) holds why the insert positions are not verified.
	KeyInsertsUncertainReason = "inserts_uncertain_reason"
	// KeyEventIDFull (EVT) holds the whole 32-bit event ID as 0x-hex.
	KeyEventIDFull = "event_id_full"
	// KeyTimeWritten (EVT) holds the time the record was written, RFC 3339.
	KeyTimeWritten = "time_written"
	// KeyEventName (event catalogue) holds the short name of a known event (e.g. resource-failed).
	KeyEventName = "event_name"
	// KeyProviderFamily (event catalogue) holds the family of the provider (cluster, exchange, ese, setup).
	KeyProviderFamily = "provider_family"
	// KeyEngineVersion (event catalogue) holds the ESE engine version an ESE event names.
	KeyEngineVersion = "engine_version"
	// KeyVersion holds a build named by an event or line, as written (e.g. 08.01.0240.006).
	KeyVersion = "version"
	// KeyTargetNode (event catalogue) holds the node an event is about (the target of a move, the removed node).
	KeyTargetNode = "target_node"
	// KeyErrorHex holds an error code as 0x-hex.
	KeyErrorHex = "error_hex"

	// Cluster logs (parse/clusterlog)

	// KeyComponent (cluster log) holds the component tag ([FM], [RCM], [RES] ...); event log: the component an event names.
	KeyComponent = "component"
	// KeySection (cluster log) holds the 2016+ section the line belongs to ([=== Cluster ===], ...).
	KeySection = "section"
	// KeyPID (cluster log) holds the process ID of the line prefix, hex as written.
	KeyPID = "pid"
	// KeyTID (cluster log) holds the thread ID of the line prefix, hex as written.
	KeyTID = "tid"
	// KeyOrigLine (cluster log) holds the line number the file's own analyst numbering gives.
	KeyOrigLine = "orig_line"
	// KeyNoHeader (cluster log) holds "true" when the file has no header and the first line is a record.
	KeyNoHeader = "no_header"
	// KeyLines (cluster log) holds how many physical lines a wrapped record spans.
	KeyLines = "lines"
	// KeyContinuesLine (cluster log) holds the line a continuation record continues.
	KeyContinuesLine = "continues_line"
	// KeyCurrentNode (cluster log) holds the node the header says the log was written on.
	KeyCurrentNode = "current_node"
	// KeyBuildNumber (cluster log) holds the Windows build the header states.
	KeyBuildNumber = "build_number"
	// KeyUTCOffsetMinutes (cluster log) holds the header's "UTC = localtime + offset" in minutes.
	KeyUTCOffsetMinutes = "utc_offset_minutes"
	// KeyLocalTime (cluster log) holds "true" when the header says times are local.
	KeyLocalTime = "local_time"
	// KeyCall (cluster log) holds the API call a line names.
	KeyCall = "call"
	// KeyAction holds the kind of a cluster fact: resource-failed, group-moved, node-down, state-change, ...
	KeyAction = "action"
	// KeyGroup holds cluster group (resource group) name; in older logs a GUID.
	KeyGroup = "group"
	// KeyGroupID (cluster log) holds the GUID a 2000/2003 log named the group by, lower case, when group holds its name.
	KeyGroupID = "group_id"
	// KeyResourceID (cluster log) holds the GUID a 2000/2003 log named the resource by, lower case.
	KeyResourceID = "resource_id"
	// KeyResource holds cluster resource name.
	KeyResource = "resource"
	// KeyResourceType holds cluster resource type (e.g. "Microsoft Exchange System Attendant").
	KeyResourceType = "resource_type"
	// KeyState holds the state a cluster object is in, as named.
	KeyState = "state"
	// KeyStateCode holds the numeric state a cluster object entered.
	KeyStateCode = "state_code"
	// KeyStateDetail holds extra detail of a state change.
	KeyStateDetail = "state_detail"
	// KeyOldState holds the state a cluster object left, as named.
	KeyOldState = "old_state"
	// KeyOldStateCode holds the numeric state a cluster object left.
	KeyOldStateCode = "old_state_code"
	// KeyNewState holds the state a cluster object entered, as named.
	KeyNewState = "new_state"
	// KeyFromNode holds the node a group moved from.
	KeyFromNode = "from_node"
	// KeyToNode holds the node a group moved to.
	KeyToNode = "to_node"
	// KeyFromNodeID holds the cluster node ID a group moved from.
	KeyFromNodeID = "from_node_id"
	// KeyToNodeID holds the cluster node ID a group moved to.
	KeyToNodeID = "to_node_id"
	// KeyNodeID holds a cluster node ID.
	KeyNodeID = "node_id"
	// KeyNodeName holds a cluster node name.
	KeyNodeName = "node_name"
	// KeyNodes holds a list of nodes as written (membership, preferred owners).
	KeyNodes = "nodes"
	// KeyMoveType (the kind of a move) holds Failover, Manual, Failback, ...
	KeyMoveType = "move_type"
	// KeyTargeted (cluster log) holds whether a move was targeted (RCM "targeted=").
	KeyTargeted = "targeted"
	// KeyFailoverCount (cluster log) holds the failover count RCM reports for a group.
	KeyFailoverCount = "failover_count"
	// KeyLastFailoverTime (cluster log) holds the last failover time RCM reports for a group.
	KeyLastFailoverTime = "last_failover_time"
	// KeyFailoverThreshold (cluster log) holds the failover threshold of a group.
	KeyFailoverThreshold = "failover_threshold"
	// KeyComputedThreshold (cluster log) holds the threshold RCM computed for a group.
	KeyComputedThreshold = "computed_threshold"
	// KeyReason holds a reason a cluster line gives (for a move, a node down, a state change).
	KeyReason = "reason"
	// KeyStatus holds a status code in decimal.
	KeyStatus = "status"
	// KeyStatusHex holds a status code as 0x-hex.
	KeyStatusHex = "status_hex"
	// KeyJoinStage (cluster log) holds the join stage of a node join line.
	KeyJoinStage = "join_stage"
	// KeyMissedPercent (cluster log) holds the share of heartbeats missed.
	KeyMissedPercent = "missed_percent"
	// KeyLocalEndpoint (cluster log) holds the local endpoint of a network line.
	KeyLocalEndpoint = "local_endpoint"
	// KeyRemoteEndpoint (cluster log) holds the remote endpoint of a network line.
	KeyRemoteEndpoint = "remote_endpoint"
	// KeyInterface holds cluster network interface name.
	KeyInterface = "interface"
	// KeyNetwork holds cluster network name.
	KeyNetwork = "network"
	// KeyMonitorReply (cluster log) holds the resource monitor's reply to a request.
	KeyMonitorReply = "monitor_reply"
	// KeyCluster holds cluster name.
	KeyCluster = "cluster"
	// KeyEventID holds the event ID a cluster log line maps to (decimal).
	KeyEventID = "event_id"
	// KeyEventIDInferred holds "true" when event_id was inferred from the wording, not written.
	KeyEventIDInferred = "event_id_inferred"

	// Registry exports (parse/regexport)

	// KeyKey (registry) holds the key path of a value.
	KeyKey = "key"
	// KeyValueName (registry) holds the value name ("(Default)" for the default value).
	KeyValueName = "value_name"
	// KeyValueType (registry) holds the value type (REG_SZ, REG_DWORD, ...).
	KeyValueType = "value_type"
	// KeyValue (registry) holds the value as text.
	KeyValue = "value"
	// KeyValueHex (registry) holds the value's raw bytes as hex, for binary types.
	KeyValueHex = "value_hex"
	// KeyDeleted (registry) holds "true" for a deleted key or value line.
	KeyDeleted = "deleted"
	// KeyExchangeRole (registry) holds the Exchange role key a value belongs to.
	KeyExchangeRole = "exchange_role"
	// KeyExchangeVersionKey (registry) holds the Exchange version key (v8.0, v14, v15).
	KeyExchangeVersionKey = "exchange_version_key"
	// KeyClusterNodeID (registry) holds the cluster node ID of a value under the cluster hive.
	KeyClusterNodeID = "cluster_node_id"
	// KeyClusterNode (registry) holds the cluster node name of that ID.
	KeyClusterNode = "cluster_node"
	// KeyClusterGroup (registry) holds the cluster group name of a value under the cluster hive.
	KeyClusterGroup = "cluster_group"
	// KeyClusterGroupID (registry) holds the cluster group ID (GUID).
	KeyClusterGroupID = "cluster_group_id"
	// KeyClusterResource (registry) holds the cluster resource name.
	KeyClusterResource = "cluster_resource"
	// KeyClusterResourceID (registry) holds the cluster resource ID (GUID).
	KeyClusterResourceID = "cluster_resource_id"
	// KeyClusterResourceType (registry) holds the cluster resource type.
	KeyClusterResourceType = "cluster_resource_type"

	// Inventories (parse/inventory)

	// KeyInventory (inventory) holds what a row lists (node, group, resource, network, interface, cluster, parameter).
	KeyInventory = "inventory"
	// KeyName (inventory) holds the name column of a row.
	KeyName = "name"
	// KeyDescription (inventory) holds the description column of a row.
	KeyDescription = "description"
	// KeyOwnerNode (inventory) holds the owner node of a group or resource.
	KeyOwnerNode = "owner_node"
	// KeyNode (inventory) holds a node column.
	KeyNode = "node"
	// KeyTruncated (inventory) holds the fields whose text PowerShell cut short with "...".
	KeyTruncated = "truncated"
	// KeyMajorVersion (inventory) holds the Windows major version column of Get-ClusterNode.
	KeyMajorVersion = "major_version"
	// KeyMinorVersion (inventory) holds the Windows minor version column of Get-ClusterNode.
	KeyMinorVersion = "minor_version"
	// KeyCSDVersion (inventory) holds the service-pack (CSD) column of Get-ClusterNode.
	KeyCSDVersion = "csd_version"
)

// Setup parameters are stored per name under KeyParamPrefix + lower-case
// name, e.g. "param.cmsname" for /CMSName:.
const (
	// KeyParamPrefix starts the key of every setup command-line parameter.
	KeyParamPrefix = "param."
	// KeyParamCMSName is the /CMSName parameter of a setup run.
	KeyParamCMSName = KeyParamPrefix + "cmsname"
	// KeyParamUpgradeCMS is the /upgradeCMS switch of a setup run.
	KeyParamUpgradeCMS = KeyParamPrefix + "upgradecms"
)

// Kinds of derived events (Event.Kind): events a parser writes from what
// many records say, rather than read from one record.
const (
	// KindSetupRun is the summary of one setup run, at the run's first line.
	KindSetupRun = "setup-run"
)
