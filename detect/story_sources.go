package detect

import (
	"slices"
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
	srcLauncher     // a setup log names the program that ran setup
	srcWatermark    // a registry watermark of Exchange setup
)

// System-log providers whose records tell when a node booted and which the
// story keeps to know which span a node's System log covers.
func systemProvider(p string) string {
	switch strings.ToLower(p) {
	case "eventlog":
		return "eventlog"
	case "service control manager":
		return "scm"
	case "microsoft-windows-kernel-general":
		return "kernel"
	case "user32":
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
		if strings.Contains(e.Message, " was started with the following command") {
			return srcLauncher
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
				case isClusterService(svc) && strings.Contains(state, "running"):
					return srcClusterStart
				case isClusterService(svc) && strings.Contains(state, "stopped"):
					return srcClusterStop
				case strings.Contains(svc, "exchange"):
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
// state."), lower case: its first two inserts in order, named (param1,
// param2 on 2008+) or numbered (a 2003 record).
func scmService(e *parse.Event) (svc, state string) {
	var keys []string
	for k := range e.Fields {
		if strings.HasPrefix(k, "data.") && !strings.EqualFold(k, "data.binary") {
			keys = append(keys, k)
		}
	}
	if len(keys) < 2 {
		return "", ""
	}
	slices.Sort(keys) // map order must not pick the insert
	return strings.ToLower(e.Fields[keys[0]]), strings.ToLower(e.Fields[keys[1]])
}

func isClusterService(svc string) bool {
	return svc == "cluster service" || svc == "clussvc"
}

// launcherOf reads which program started setup from "<program> was
// started with the following command: ...": ExSetupUI is the graphical
// setup that setup.exe starts, ExSetup the command-line setup.com runs.
// It returns "setup.exe", "setup.com" or "".
func launcherOf(e *parse.Event) string {
	msg := e.Message
	i := strings.Index(msg, " was started with the following command")
	if i < 0 {
		return ""
	}
	head := strings.TrimSpace(msg[:i])
	if j := strings.LastIndexAny(head, " ]"); j >= 0 {
		head = head[j+1:]
	}
	switch strings.ToLower(head) {
	case "exsetupui":
		return "setup.exe"
	case "exsetup":
		return "setup.com"
	}
	return ""
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
