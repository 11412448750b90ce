package eventlog

import (
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

func TestVersionFacts(t *testing.T) {
	at := time.Date(2007, 6, 12, 7, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		rec  Record
		want string // kind build, "" for none
	}{
		{"ESE 100 of Exchange keeps major.minor.build", Record{Provider: "ESE", EventID: 100,
			Inserts: []Insert{{Value: "Information Store"}, {Value: "3536"}, {Value: "6.05.7226.0000"}}}, "running 6.5.7226"},
		{"ESENT is Windows' own engine", Record{Provider: "ESENT", EventID: 100,
			Inserts: []Insert{{Value: "lsass"}, {Value: "600"}, {Value: "6.01.7601.0000"}}}, ""},
		{"MSExchangeSetup 1000 is an attempt", Record{Provider: "MSExchangeSetup", EventID: 1000,
			Inserts: []Insert{{Value: "8.1.240.6"}}}, "setup-event-started 8.1.240.6"},
		{"MSExchangeSetup 1001", Record{Provider: "MSExchangeSetup", EventID: 1001,
			Inserts: []Insert{{Value: "8.1.240.6"}}}, "setup-event-succeeded 8.1.240.6"},
		{"POP3 banner", Record{Provider: "POP3Svc", EventID: 1000,
			Inserts: []Insert{{Value: "Microsoft Exchange Server 2003 POP3 server version 6.5.7638.1 (node1.contoso.com) starting."}}}, "banner 6.5.7638.1"},
		{"display form", Record{Provider: "MSExchangeSA", EventID: 9999,
			Inserts: []Insert{{Value: "Exchange server EVS1 reports Version 6.5 (Build 7638.2: Service Pack 2)"}}}, "banner 6.5.7638.2"},
		{"Windows display form is not Exchange", Record{Provider: "EventLog", EventID: 6009,
			Inserts: []Insert{{Value: "Microsoft (R) Windows (R)"}, {Value: "Version 6.0 (Build 6002: Service Pack 2)"}}}, ""},
		{"Windows version beside Exchange words", Record{Provider: "MSExchangeIS", EventID: 9999,
			Inserts: []Insert{{Value: "Exchange store on Version 6.1 (Build 7601: Service Pack 1)"}}}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.rec
			r.Time = at
			e := ToEvent(&r, &parse.Input{Path: "app.evtx", Node: "N1"}, parse.SourceEVTX)
			got := ""
			for _, cl := range facts.BuildClaimsOf(e) {
				got = cl.Kind + " " + cl.Build
				if !cl.Time.Equal(at) || cl.TimeQuality != parse.TimeUTC || cl.Evidence.Text == "" {
					t.Errorf("claim %+v", cl)
				}
			}
			if got != c.want {
				t.Errorf("got %q, want %q (message %q)", got, c.want, e.Message)
			}
		})
	}
}

func TestEVSUpgradeFact(t *testing.T) {
	r := Record{Provider: "MSExchangeSA", EventID: 9998, Time: time.Date(2007, 6, 12, 9, 6, 41, 0, time.UTC),
		Inserts: []Insert{{Value: "The Exchange Virtual Server has been upgraded successfully."}}}
	e := ToEvent(&r, &parse.Input{Path: "app.evtx"}, parse.SourceEVTX)
	if u := facts.EVSUpgradeOf(e); u == nil || !u.Done {
		t.Errorf("EVS upgrade fact %+v (message %q)", u, e.Message)
	}
}
