package detect

import (
	"strings"

	"github.com/exlog/exlog/parse"
	pfacts "github.com/exlog/exlog/parse/facts"
)

// This file is the one place where the upgrade story reads events. Setup
// runs (SetupRunOf), moves (the owner timeline), virtual-server upgrades
// (the build facts) and group state changes come from the parsers' typed
// facts (parse/facts). The System log's boot events, the cluster service's
// starts and stops, the setup launcher and the registry watermarks have no
// fact yet: they are read here from event IDs and fields, and move to
// facts when the parsers state them.

// Kinds of story source an event can be (storySourceOf).
const (
	srcNone = iota
	srcSetupRun
	srcBoot         // the system started (6005, 6009, Kernel-General 12)
	srcShutdown     // a clean shutdown or restart began (6006, 1074, Kernel-General 13)
	srcDirty        // the previous shutdown was unexpected (6008)
	srcSystemOther  // any other System log record kept to know what the log covers
	srcClusterStart // the cluster service started on the node
	srcClusterStop  // the cluster service stopped on the node
	srcGroupState   // a clustered group changed state
	srcWatermark    // a registry watermark of Exchange setup
)

// System-log providers whose records tell when a node booted and which the
// story keeps to know which span a node's System log covers. It runs on
// every event, so it compares without allocating.
func systemProvider(p string) string {
	switch {
	case strings.EqualFold(p, "EventLog"):
		return "eventlog"
	case strings.EqualFold(p, "Service Control Manager"):
		return "scm"
	case strings.EqualFold(p, "Microsoft-Windows-Kernel-General"):
		return "kernel"
	case strings.EqualFold(p, "USER32"):
		return "user32"
	}
	return ""
}

// storySourceOf says what an event is to the upgrade story. It runs on
// every event of a bundle, cheap tests first.
func storySourceOf(e *parse.Event) int {
	if len(e.Facts) > 0 {
		for _, sc := range pfacts.Of[pfacts.StateChange](e) {
			if sc.Object == pfacts.ObjGroup {
				return srcGroupState
			}
		}
	}
	switch e.Source {
	case parse.SourceSetupLog:
		if e.Kind == parse.KindSetupRun {
			return srcSetupRun
		}
		return srcNone
	case parse.SourceEVTX, parse.SourceEVT:
		switch systemProvider(e.Provider) {
		case "eventlog":
			switch e.EventID {
			case 6005, 6009:
				return srcBoot
			case 6006:
				return srcShutdown
			case 6008:
				return srcDirty
			}
			return srcSystemOther
		case "kernel":
			switch e.EventID {
			case 12:
				return srcBoot
			case 13:
				return srcShutdown
			}
			return srcSystemOther
		case "user32":
			if e.EventID == 1074 {
				return srcShutdown
			}
			return srcNone
		case "scm":
			// Only the cluster service's and Exchange's own services are
			// kept: a busy System log holds thousands of other 7036s.
			if e.EventID == 7036 || e.EventID == 7035 {
				svc, state := scmService(e)
				switch {
				case isClusterService(svc) && containsFold(state, "running"):
					return srcClusterStart
				case isClusterService(svc) && containsFold(state, "stopped"):
					return srcClusterStop
				case containsFold(svc, "exchange"):
					return srcSystemOther
				}
			}
		}
		return srcNone
	case parse.SourceClusterLog:
		switch e.Field(parse.KeyAction) {
		case "service-started":
			return srcClusterStart
		case "group-state":
			return srcGroupState
		}
		return srcNone
	case parse.SourceRegistry:
		switch strings.ToLower(e.Field(parse.KeyValueName)) {
		case "watermark", "action":
			if e.Field(parse.KeyDeleted) == "" && e.Field(parse.KeyExchangeRole) != "" {
				return srcWatermark
			}
		}
	}
	return srcNone
}

// storySelect picks the events the upgrade story reads beyond the facts.
func storySelect(e *parse.Event) bool { return storySourceOf(e) != srcNone }

// scmService returns the service and the state of a Service Control
// Manager 7036 record ("The Cluster Service service entered the running
// state."): its first two inserts in order, named (param1, param2 on
// 2008+) or numbered (a 2003 record). It allocates nothing.
func scmService(e *parse.Event) (svc, state string) {
	k1, k2 := "", ""
	for k := range e.Fields {
		if !strings.HasPrefix(k, "data.") || strings.EqualFold(k, "data.binary") {
			continue
		}
		switch {
		case k1 == "" || k < k1:
			k1, k2 = k, k1
		case k2 == "" || k < k2:
			k2 = k
		}
	}
	if k2 == "" {
		return "", ""
	}
	return e.Fields[k1], e.Fields[k2]
}

func isClusterService(svc string) bool {
	return strings.EqualFold(svc, "Cluster Service") || strings.EqualFold(svc, "ClusSvc")
}

// containsFold reports whether s contains the lower-case ASCII word sub,
// ignoring the case of s, without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// groupStateOf reads a clustered group's state change from the cluster
// facts (parse/facts.StateChange): the group, named as the owner timeline
// names it (a 2000/2003 GUID resolved), and whether it came online or went
// offline. The node logging it owns the group then.
func (b *storyBuilder) groupStateOf(e *parse.Event) (group string, online, offline bool) {
	for _, sc := range pfacts.Of[pfacts.StateChange](e) {
		if sc.Object != pfacts.ObjGroup {
			continue
		}
		switch strings.ToLower(sc.To) {
		case "online":
			online = true
		case "offline":
			offline = true
		default:
			continue
		}
		return b.f.Cluster.GroupName(sc.Name, sc.ID), online, offline
	}
	return "", false, false
}
