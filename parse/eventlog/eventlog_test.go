package eventlog

import (
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

func ins(vals ...string) []Insert {
	out := make([]Insert, len(vals))
	for i, v := range vals {
		out[i] = Insert{Value: v}
	}
	return out
}

// The catalogue cases are written by hand from the message texts in the
// research notes (cluster-logs-and-events.md section 2, setup-logs.md 4.1);
// the corpus holds no cluster or Exchange events.
func TestCatalogue(t *testing.T) {
	cases := []struct {
		name    string
		rec     Record
		fields  map[string]string
		message string // a part the message must contain
	}{
		{
			name: "1069 2016+ form with code in %5",
			rec: Record{Provider: "Microsoft-Windows-FailoverClustering", EventID: 1069,
				Inserts: []Insert{{"ResourceName", "Exchange Information Store Instance (EVS1)"}, {"ResourceGroup", "EVS1"},
					{"ResTypeDll", "Microsoft Exchange Information Store"}, {"", "The cluster resource could not be brought online by the resource monitor."}, {"", "5018"}}},
			fields: map[string]string{"action": "resource-failed", "resource": "Exchange Information Store Instance (EVS1)",
				"group": "EVS1", "resource_type": "Microsoft Exchange Information Store", "error_code": "5018", "error_hex": "0x0000139a",
				"event_name": "resource-failed", "provider_family": FamilyCluster},
			message: "Cluster resource 'Exchange Information Store Instance (EVS1)' (type 'Microsoft Exchange Information Store') in group 'EVS1' failed (error 5018 / 0x0000139a)",
		},
		{
			name: "1069 2003 ClusSvc form, two inserts",
			rec:  Record{Provider: "ClusSvc", EventID: 0xC000042D, Inserts: ins("EVS1 System Attendant", "EVS1")},
			fields: map[string]string{"resource": "EVS1 System Attendant", "group": "EVS1", "provider_family": FamilyCluster,
				"error_code": "", "resource_type": ""},
			message: "in group 'EVS1' failed",
		},
		{
			name:    "1135 node removed, named insert",
			rec:     Record{Provider: "Microsoft-Windows-FailoverClustering", EventID: 1135, Inserts: []Insert{{"NodeName", "node2.contoso.com"}}},
			fields:  map[string]string{"action": "node-removed", "target_node": "NODE2"},
			message: "Cluster node 'NODE2' was removed",
		},
		{
			name:   "1135 2003 unnamed",
			rec:    Record{Provider: "ClusSvc", EventID: 1135, Inserts: ins("NODE1")},
			fields: map[string]string{"target_node": "NODE1"},
		},
		{
			name: "1153 failover attempt",
			rec:  Record{Provider: "Microsoft-Windows-FailoverClustering", EventID: 1153, Inserts: ins("DAG1-CMS", "ex-node1", "ex-node2")},
			fields: map[string]string{"action": "failover-attempt", "move_type": "Failover", "group": "DAG1-CMS",
				"from_node": "EX-NODE1", "to_node": "EX-NODE2", "target_node": "EX-NODE2"},
			message: "failing group 'DAG1-CMS' over from node 'EX-NODE1' to node 'EX-NODE2'",
		},
		{
			name:   "1641 from/to",
			rec:    Record{Provider: "Microsoft-Windows-FailoverClustering", EventID: 1641, Inserts: ins("ag1023", "ze-2016-v1", "ze-2016-v2")},
			fields: map[string]string{"action": "role-moved", "group": "ag1023", "from_node": "ZE-2016-V1", "to_node": "ZE-2016-V2"},
		},
		{
			name:    "1641 destination only",
			rec:     Record{Provider: "Microsoft-Windows-FailoverClustering", EventID: 1641, Inserts: ins("ag1023", "ze-2016-v2")},
			fields:  map[string]string{"group": "ag1023", "from_node": "", "to_node": "ZE-2016-V2"},
			message: "is moving to node 'ZE-2016-V2'",
		},
		{
			name:   "1201 group online",
			rec:    Record{Provider: "Microsoft-Windows-FailoverClustering", EventID: 1201, Inserts: []Insert{{"GroupName", "Cluster Group"}}},
			fields: map[string]string{"action": "group-state", "new_state": "Online", "group": "Cluster Group"},
		},
		{
			name:   "1205 and 1254",
			rec:    Record{Provider: "Microsoft-Windows-FailoverClustering", EventID: 1254, Inserts: ins("EVS2")},
			fields: map[string]string{"action": "not-failing-over", "group": "EVS2", "event_name": "failover-threshold-exceeded"},
		},
		{
			name: "1230 deadlock names the DLL",
			rec:  Record{Provider: "Microsoft-Windows-FailoverClustering", EventID: 1230, Inserts: ins("SA (EVS1)", "Microsoft Exchange System Attendant", "exres.dll")},
			fields: map[string]string{"resource": "SA (EVS1)", "resource_type": "Microsoft Exchange System Attendant",
				"component": "exres.dll"},
		},
		{
			name:   "1177 quorum lost has no inserts",
			rec:    Record{Provider: "Microsoft-Windows-FailoverClustering", EventID: 1177},
			fields: map[string]string{"action": "quorum-lost"},
		},
		{
			name:   "1548 node found by shape",
			rec:    Record{Provider: "Microsoft-Windows-FailoverClustering", EventID: 1548, Inserts: ins("6.1", "NODE3", "7601")},
			fields: map[string]string{"action": "version-mismatch", "target_node": "NODE3"},
		},
		{
			name: "MSExchange Cluster 1019 (2007 spelling)",
			rec:  Record{Provider: "MSExchange Cluster", EventID: 1019, Inserts: ins("Exchange System Attendant", "0x8007139a")},
			fields: map[string]string{"provider_family": FamilyExchangeCluster, "resource": "Exchange System Attendant",
				"error_hex": "0x8007139a", "error_code": "-2147019878"},
		},
		{
			name:    "MSExchangeSetup 1001 build",
			rec:     Record{Provider: "MSExchangeSetup", EventID: 1001, Inserts: ins("8.1.240.6")},
			fields:  map[string]string{"version": "8.1.240.6", "action": "setup-succeeded"},
			message: "Exchange Setup build '8.1.240.6' completed successfully",
		},
		{
			name:    "MSExchangeSetup 1000 naming a component, not a build",
			rec:     Record{Provider: "MSExchangeSetup", EventID: 1000, Inserts: ins("Mailbox Role")},
			fields:  map[string]string{"version": "", "component": "Mailbox Role"},
			message: "Exchange Setup component 'Mailbox Role' started",
		},
		{
			name: "MSExchangeSetup 1002 HRESULT in the error text",
			rec: Record{Provider: "MSExchangeSetup", EventID: 1002, Inserts: ins("Mailbox Role",
				"Failed to bring cluster resource Network name (CMS1) online. (Exception from HRESULT:0x8007139f)")},
			fields: map[string]string{"component": "Mailbox Role", "error_hex": "0x8007139f", "error_code": "-2147019873"},
		},
		{
			name: "ESE 100 version in four inserts (2003 form)",
			rec:  Record{Provider: "ESE", EventID: 100, Inserts: ins("Information Store", "3536", "", "6", "05", "7638", "0000")},
			fields: map[string]string{"component": "Information Store", "engine_version": "6.05.7638.0000",
				"version": "6.05.7638.0000"},
		},
		{
			name:   "ESE 100 version in one insert",
			rec:    Record{Provider: "ESE", EventID: 100, Inserts: ins("MSExchangeIS", "4212", "", "08.01.0240.005")},
			fields: map[string]string{"engine_version": "08.01.0240.005", "version": "08.01.0240.005"},
		},
		{
			name:   "ESENT 100 is Windows' engine, not an Exchange build",
			rec:    Record{Provider: "ESENT", EventID: 100, Inserts: ins("svchost", "1234", "SRUJet: ", "10", "00", "14393", "0000")},
			fields: map[string]string{"engine_version": "10.00.14393.0000", "version": ""},
		},
		{
			name:   "ESE 454 error -543",
			rec:    Record{Provider: "ESE", EventID: 454, Inserts: ins("Information Store", "2188", "First Storage Group: ", "-543")},
			fields: map[string]string{"component": "Information Store", "error_code": "-543", "error_hex": "0xfffffde1"},
		},
		{
			name: "MSExchangeRepl 107 finds cmdlet and server by shape",
			rec: Record{Provider: "MSExchangeRepl", EventID: 107, Inserts: ins("New-ClusteredMailboxServer", "CMS1",
				"The group or resource is not in the correct state to perform the requested operation. (Exception from HRESULT:0x8007139f)")},
			fields: map[string]string{"component": "New-ClusteredMailboxServer", "target_node": "CMS1", "error_hex": "0x8007139f"},
		},
		{
			name:   "MSExchangeIS 9518 storage group and code",
			rec:    Record{Provider: "MSExchangeIS", EventID: 9518, Inserts: ins("0xfffffddc", "First Storage Group")},
			fields: map[string]string{"error_hex": "0xfffffddc", "error_code": "-548", "group": "First Storage Group"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := ToEvent(&c.rec, &parse.Input{Path: "x.evtx"}, parse.SourceEVTX)
			parsetest.CheckFields(t, e, c.fields)
			if c.message != "" && !strings.Contains(e.Message, c.message) {
				t.Errorf("message %q does not contain %q", e.Message, c.message)
			}
		})
	}
}

func TestToEventCommonFields(t *testing.T) {
	tm := time.Date(2009, 3, 1, 10, 0, 0, 500, time.FixedZone("x", 3600))
	r := Record{
		Provider: "ClusSvc", EventID: 0xC000042D, Qualifiers: 0xC000, HasQualifiers: true,
		Level: parse.LevelError, Time: tm, RecordID: 77, Offset: 4660,
		Channel: "System", Computer: "node1.contoso.com", Task: "4", UserSID: "S-1-5-18",
		Inserts: []Insert{{"", "a"}, {"", ""}, {"", "c"}, {"Named", "n"}, {"Named", "n2"}},
		User:    []Insert{{"Root.Item", "u"}},
		Binary:  make([]byte, MaxBinary+10),
	}
	e := ToEvent(&r, &parse.Input{Path: "b.zip!/SysEvent.Evt", Node: "BUNDLENODE"}, parse.SourceEVT)
	if e.EventID != 1069 || e.Provider != "ClusSvc" || e.Node != "NODE1" || e.Record != 77 || e.Offset != 4660 {
		t.Errorf("event = id %d provider %q node %q record %d offset %d", e.EventID, e.Provider, e.Node, e.Record, e.Offset)
	}
	if !e.Time.Equal(tm) || e.Time.Location() != time.UTC || e.TimeQuality != parse.TimeUTC {
		t.Errorf("time %v (%v)", e.Time, e.TimeQuality)
	}
	want := map[string]string{
		"data.1": "a", "data.2": "", "data.3": "c", "data.Named": "n", "data.Named.2": "n2", "user.Root.Item": "u",
		"qualifiers": "49152", "channel": "System", "user_sid": "S-1-5-18", "binary_bytes": "1034",
	}
	parsetest.CheckFields(t, e, want)
	if got := len(e.Field("binary")); got != 2*MaxBinary {
		t.Errorf("binary is %d hex digits, want %d", got, 2*MaxBinary)
	}
	// Without a computer name the bundle's node is used.
	r.Computer = ""
	if e := ToEvent(&r, &parse.Input{Node: "BUNDLENODE"}, parse.SourceEVT); e.Node != "BUNDLENODE" {
		t.Errorf("node %q, want the input's", e.Node)
	}
}

func TestGenericMessage(t *testing.T) {
	r := Record{Provider: "Service Control Manager", EventID: 7036,
		Inserts: []Insert{{"param1", "Cluster Service"}, {"param2", "stopped"}, {"", "multi\r\nline"}}}
	e := ToEvent(&r, nil, parse.SourceEVTX)
	want := "Service Control Manager event 7036: param1=Cluster Service; param2=stopped; multi line"
	if e.Message != want {
		t.Errorf("message %q, want %q", e.Message, want)
	}
	r.Rendered = "The Cluster Service service entered the stopped state."
	if e := ToEvent(&r, nil, parse.SourceEVTX); e.Message != "Service Control Manager event 7036: "+r.Rendered {
		t.Errorf("message %q does not use the rendered text", e.Message)
	}
}

func TestLevels(t *testing.T) {
	evtx := []struct {
		level      int
		kw         uint64
		norm, audt string
	}{
		{1, 0, parse.LevelCritical, ""}, {2, 0, parse.LevelError, ""}, {3, 0, parse.LevelWarning, ""},
		{4, 0, parse.LevelInfo, ""}, {5, 0, parse.LevelVerbose, ""}, {0, 0x0080000000000000, parse.LevelInfo, ""},
		{0, 0x0090000000000000, parse.LevelInfo, "failure"}, {0, 0x8020000000000000, parse.LevelInfo, "success"},
		{16, 0, parse.LevelDebug, ""},
	}
	for _, c := range evtx {
		if n, a := LevelFromEVTX(c.level, c.kw); n != c.norm || a != c.audt {
			t.Errorf("LevelFromEVTX(%d, %#x) = %s, %q; want %s, %q", c.level, c.kw, n, a, c.norm, c.audt)
		}
	}
	evt := []struct {
		typ        uint16
		norm, audt string
	}{
		{EVTError, parse.LevelError, ""}, {EVTWarning, parse.LevelWarning, ""}, {EVTInformation, parse.LevelInfo, ""},
		{EVTSuccess, parse.LevelInfo, ""}, {EVTAuditSuccess, parse.LevelInfo, "success"}, {EVTAuditFailure, parse.LevelInfo, "failure"},
	}
	for _, c := range evt {
		if n, a := LevelFromEVTType(c.typ); n != c.norm || a != c.audt {
			t.Errorf("LevelFromEVTType(%d) = %s, %q; want %s, %q", c.typ, n, a, c.norm, c.audt)
		}
	}
}

func TestParseCode(t *testing.T) {
	cases := []struct{ in, dec, hx string }{
		{"5018", "5018", "0x0000139a"},
		{"0x8007139f", "-2147019873", "0x8007139f"},
		{"Exception from HRESULT:0x8007139F)", "-2147019873", "0x8007139f"},
		{"-1811", "-1811", "0xfffff8ed"},
		{"(1722)", "1722", "0x000006ba"},
		{"Error: 1460 timeout", "1460", "0x000005b4"},
		{"no code here", "", ""},
	}
	for _, c := range cases {
		d, h, _ := parseCode(c.in)
		if d != c.dec || h != c.hx {
			t.Errorf("parseCode(%q) = %q, %q; want %q, %q", c.in, d, h, c.dec, c.hx)
		}
	}
}

func TestFamilies(t *testing.T) {
	for _, p := range []string{"ClusSvc", "Microsoft-Windows-FailoverClustering"} {
		if _, ok := Lookup(p, 1069); !ok {
			t.Errorf("%s 1069 not catalogued", p)
		}
	}
	if _, ok := Lookup("Service Control Manager", 7036); ok {
		t.Error("SCM 7036 should not be catalogued")
	}
	// Every catalogued event has a name, a summary, and a description
	// even when its record has no inserts at all.
	provider := map[string]string{}
	for p, f := range families {
		provider[f] = p
	}
	for _, ent := range Entries() {
		if ent.Name == "" || ent.Summary == "" {
			t.Errorf("%s/%d lacks a name or summary", ent.Family, ent.ID)
		}
		e := ToEvent(&Record{Provider: provider[ent.Family], EventID: uint32(ent.ID)}, nil, parse.SourceEVTX)
		if e.Field("event_name") != ent.Name || e.Message == "" {
			t.Errorf("%s/%d: event_name %q, message %q", ent.Family, ent.ID, e.Field("event_name"), e.Message)
		}
	}
}

func TestFormatSID(t *testing.T) {
	// S-1-5-21-308926384-506822093-3341789130-1106 (the netlogon corpus
	// record's user), encoded by hand.
	b := []byte{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0}
	for _, v := range []uint32{308926384, 506822093, 3341789130, 1106} {
		b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
	if got := FormatSID(b); got != "S-1-5-21-308926384-506822093-3341789130-1106" {
		t.Errorf("FormatSID = %q", got)
	}
	if got := FormatSID([]byte{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}); got != "S-1-5-18" {
		t.Errorf("FormatSID = %q", got)
	}
	if got := FormatSID([]byte{1, 9, 0}); got != "" {
		t.Errorf("FormatSID of 3 bytes = %q", got)
	}
}
