package detect

import (
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
)

func TestStorySourceOf(t *testing.T) {
	ev := func(src, provider string, id int, fields map[string]string, msg string) *parse.Event {
		return &parse.Event{Source: src, Provider: provider, EventID: id, Fields: fields, Message: msg,
			Time: time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC), TimeQuality: parse.TimeUTC, Node: "NODE1"}
	}
	cases := []struct {
		name string
		e    *parse.Event
		want int
	}{
		{"6005 boot", ev(parse.SourceEVT, "EventLog", 6005, nil, ""), srcBoot},
		{"6009 boot", ev(parse.SourceEVTX, "EventLog", 6009, nil, ""), srcBoot},
		{"6006 shutdown", ev(parse.SourceEVT, "EventLog", 6006, nil, ""), srcShutdown},
		{"6008 unexpected", ev(parse.SourceEVT, "EventLog", 6008, nil, ""), srcDirty},
		{"6013 uptime keeps coverage", ev(parse.SourceEVT, "EventLog", 6013, nil, ""), srcSystemOther},
		{"kernel 12", ev(parse.SourceEVTX, "Microsoft-Windows-Kernel-General", 12, nil, ""), srcBoot},
		{"user32 1074", ev(parse.SourceEVTX, "USER32", 1074, nil, ""), srcShutdown},
		{"7036 cluster running (2008 names)", ev(parse.SourceEVTX, "Service Control Manager", 7036,
			map[string]string{"data.param1": "Cluster Service", "data.param2": "running"}, ""), srcClusterStart},
		{"7036 clussvc stopped (2003 inserts)", ev(parse.SourceEVT, "Service Control Manager", 7036,
			map[string]string{"data.1": "ClusSvc", "data.2": "stopped"}, ""), srcClusterStop},
		{"7036 Exchange service", ev(parse.SourceEVT, "Service Control Manager", 7036,
			map[string]string{"data.1": "Microsoft Exchange Information Store", "data.2": "running"}, ""), srcSystemOther},
		{"7036 other service is not kept", ev(parse.SourceEVT, "Service Control Manager", 7036,
			map[string]string{"data.1": "Windows Update", "data.2": "running"}, ""), srcNone},
		{"ESE is not the System log", ev(parse.SourceEVT, "ESE", 100, nil, ""), srcNone},
		{"cluster log start", ev(parse.SourceClusterLog, "", 0, map[string]string{parse.KeyAction: "service-started"}, ""), srcClusterStart},
		{"cluster log group state", ev(parse.SourceClusterLog, "", 0, map[string]string{parse.KeyAction: "group-state"}, ""), srcGroupState},
		{"setup launcher line is the parser's", ev(parse.SourceSetupLog, "", 0, nil, "ExSetupUI was started with the following command: '/FromSetup'."), srcNone},
		{"setup other line", ev(parse.SourceSetupLog, "", 0, nil, "Setup is choosing the domain controller to use"), srcNone},
		{"registry watermark", ev(parse.SourceRegistry, "", 0, map[string]string{parse.KeyValueName: "Watermark", parse.KeyExchangeRole: "ClusteredMailboxServer"}, ""), srcWatermark},
		{"registry version is no watermark", ev(parse.SourceRegistry, "", 0, map[string]string{parse.KeyValueName: "ConfiguredVersion", parse.KeyExchangeRole: "MailboxRole"}, ""), srcNone},
	}
	for _, c := range cases {
		if got := storySourceOf(c.e); got != c.want {
			t.Errorf("%s: source %d, want %d", c.name, got, c.want)
		}
	}
}

// Overlapping virtual-server upgrades of two servers are one departure;
// the same server's upgrade seen twice, or upgrades one after the other,
// are none.
func TestParallelCheck(t *testing.T) {
	at := func(clock string) time.Time {
		tm, _ := time.Parse("15:04", clock)
		return tm.AddDate(2008, 0, 0)
	}
	step := func(group, node, from, to string) Step {
		return Step{StepHead: StepHead{Kind: StepVirtualServer, Group: group, Node: node, Time: at(from), End: at(to),
			TimeQuality: parse.TimeUTC, Outcome: "succeeded"}, Mode: "upgrade-evs", Evidence: []Evidence{{File: node + ".log", Line: 1}}}
	}
	for _, c := range []struct {
		name  string
		steps []Step
		want  int
	}{
		{"overlap", []Step{step("EVS1", "NODE2", "07:55", "07:58"), step("EVS2", "NODE4", "07:56", "07:59")}, 1},
		{"one after the other", []Step{step("EVS1", "NODE2", "07:55", "07:58"), step("EVS2", "NODE4", "07:58", "08:01")}, 0},
		{"same server twice", []Step{step("EVS1", "NODE2", "07:55", "07:58"), step("EVS1", "NODE2", "07:56", "07:57")}, 0},
		{"three at once", []Step{step("EVS1", "NODE2", "07:55", "07:58"), step("EVS2", "NODE4", "07:56", "07:59"),
			step("EVS3", "NODE5", "07:57", "08:00")}, 2},
	} {
		s := &Story{Steps: c.steps}
		(&checker{s: s}).parallel()
		if len(s.Departures) != c.want {
			t.Errorf("%s: %d departures, want %d: %+v", c.name, len(s.Departures), c.want, s.Departures)
		}
	}
}
