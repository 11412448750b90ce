package clusterlog

//go:generate go run gen_fixtures.go

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

type result struct {
	events []*parse.Event
	rep    *parse.Report
	err    error
}

// at returns the event whose record starts at physical line n.
func (r result) at(t *testing.T, n int) *parse.Event {
	t.Helper()
	for _, e := range r.events {
		if e.Line == n {
			return e
		}
	}
	t.Fatalf("no event starts at line %d", n)
	return nil
}

func (r result) count(action string) int {
	n := 0
	for _, e := range r.events {
		if e.Field("action") == action {
			n++
		}
	}
	return n
}

func parseData(t testing.TB, name string, data []byte, in parse.Input) result {
	t.Helper()
	b := parsetest.Bytes(name, data)
	in.Path, in.Size, in.Open = b.Path, b.Size, b.Open
	var res result
	res.events, res.rep, res.err = parsetest.Collect(Parser{}, &in)
	return res
}

func parseFile(t testing.TB, path string, in parse.Input) result {
	return parseData(t, filepath.Base(path), parsetest.ReadFile(t, path), in)
}

// value reads an event property or field by name for table checks.
func value(e *parse.Event, key string) string {
	switch key {
	case "time":
		if e.Time.IsZero() {
			return ""
		}
		return e.Time.UTC().Format("2006-01-02T15:04:05.000Z")
	case "quality":
		return string(e.TimeQuality)
	case "level":
		return e.Level
	case "provider":
		return e.Provider
	case "node":
		return e.Node
	case "EventID":
		return strconv.Itoa(e.EventID)
	}
	return e.Field(key)
}

// nonBlank counts the physical lines with visible text.
func nonBlank(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n
}

// checkAccounting asserts that the events' messages hold exactly the
// file's non-blank lines, and that Line and `lines` locate each record.
func checkAccounting(t *testing.T, res result, wantNonBlank int) {
	t.Helper()
	got := 0
	prevEnd := 0
	for _, e := range res.events {
		got += nonBlank(e.Message)
		span := strings.Count(e.Message, "\n") + 1
		want := ""
		if span > 1 {
			want = strconv.Itoa(span)
		}
		if e.Field("lines") != want {
			t.Errorf("line %d: lines=%q, message spans %d lines", e.Line, e.Field("lines"), span)
		}
		if e.Line <= prevEnd {
			t.Errorf("line %d: record overlaps the previous one ending at %d", e.Line, prevEnd)
		}
		prevEnd = e.Line + span - 1
		if e.Source != parse.SourceClusterLog {
			t.Errorf("line %d: source %q", e.Line, e.Source)
		}
	}
	if got != wantNonBlank {
		t.Errorf("events hold %d non-blank lines, file has %d", got, wantNonBlank)
	}
	if res.rep.Events != len(res.events) {
		t.Errorf("report counts %d events, %d emitted", res.rep.Events, len(res.events))
	}
}

type check struct {
	line int
	key  string
	want string
}

func TestFixtures(t *testing.T) {
	fx := filepath.Join(fixtures.Dir(), "clusterlogs")
	nt4Mod := time.Date(2000, 1, 20, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		path     string
		in       parse.Input
		events   int
		nonBlank int // grep -c '[^[:space:]]' (UTF-16: on the .txt twin)
		problems int
		checks   []check
	}{
		{
			path: filepath.Join(fx, "node1-2003-cluster.log"), in: parse.Input{Node: "BUNDLE1"},
			events: 27, nonBlank: 28,
			checks: []check{
				{1, "action", "service-started"}, {1, "provider", ProviderLegacy}, {1, "node", "BUNDLE1"},
				{1, "time", "2006-11-14T08:00:01.203Z"}, {1, "quality", "utc"}, {1, "level", "info"},
				{6, "action", "node-joining"}, {6, "node_id", "2"},
				{8, "action", "group-move"}, {8, "group", "EVS1"}, {8, "from_node", "NODE1"}, {8, "to_node", "NODE2"}, {8, "move_type", ""},
				{9, "action", "group-state"}, {9, "old_state", "Online"}, {9, "new_state", "Offline"}, {9, "state_code", "1"},
				{10, "action", "resource-state"}, {10, "resource", "Exchange Information Store Instance - (EVS1)"},
				{10, "new_state", "OfflinePending"}, {10, "state_code", "130"}, {10, "old_state_code", "2"},
				{15, "action", "health-check-failed"}, {15, "resource_type", "Microsoft Exchange Information Store"},
				{15, "status", "1722"}, {15, "level", "error"},
				{16, "component", "RM"}, {16, "new_state", "Failed"}, {16, "state_code", "4"},
				{19, "action", "online-failed"}, {19, "status", "5018"}, {19, "status_hex", "0x139a"}, {19, "lines", "2"},
				{21, "new_state", "Failed"}, {21, "state_code", "2"},
				{22, "action", "group-move"}, {22, "move_type", "Failover"}, {22, "from_node", "NODE1"}, {22, "to_node", "NODE2"},
				{23, "action", "connection-lost"}, {23, "node_name", "NODE2"}, {23, "network", "Public(1)"},
				{24, "action", "node-down"}, {24, "node_id", "2"}, {24, "status", "1726"}, {24, "new_state", "Down"},
				{25, "action", "node-down"}, {25, "component", "EP"},
				{26, "to_node", "NODE1"}, {28, "resource", "Disk Q:"}, {28, "resource_type", "Physical Disk"},
			},
		},
		{
			path: filepath.Join(fx, "node1-2016-cluster.log"), in: parse.Input{Node: "BUNDLE1"},
			events: 40, nonBlank: 58,
			checks: []check{
				{1, "section", "Cluster"}, {1, "current_node", "NODE1"}, {1, "utc_offset_minutes", "300"},
				{1, "local_time", "false"}, {1, "build_number", "14393"}, {1, "lines", "6"}, {1, "quality", "none"},
				{7, "section", "Resources"}, {7, "lines", "5"},
				{22, "action", "node-removed"}, {22, "node_name", "NODE2"}, {22, "EventID", "1135"}, {22, "lines", "3"},
				{22, "channel", "System"}, {22, "node", "NODE1"}, {22, "provider", ProviderModern}, {22, "level", "debug"},
				{25, "action", "resource-failed"}, {25, "resource", "Cluster Name"}, {25, "group", "Cluster Group"},
				{25, "resource_type", "Network Name"}, {25, "status", "5076"}, {25, "EventID", "1069"},
				{28, "action", "quorum-lost"}, {28, "EventID", "1177"},
				{31, "action", "failover-attempt"}, {31, "group", "Cluster Group"}, {31, "from_node", "NODE2"}, {31, "to_node", "NODE1"},
				{31, "channel", "Operational"}, {31, "time", "2024-03-01T10:20:14.530Z"},
				{37, "action", "move-requested"}, {37, "move_type", "Manual"}, {37, "to_node_id", "2"},
				{41, "action", "group-move"}, {41, "move_type", "Manual"}, {41, "failover_count", "0"}, {41, "targeted", "true"},
				{46, "action", "group-move"}, {46, "group", "Cluster Group"}, {46, "from_node", "NODE2"}, {46, "to_node", "NODE1"},
				{46, "move_type", "NodeDown"}, {46, "failover_count", "1"}, {46, "from_node_id", "2"}, {46, "to_node_id", "1"},
				{46, "last_failover_time", "2024/03/01-10:00:01.249"},
				{44, "action", "node-down"}, {44, "nodes", "2"}, {45, "action", "node-down"},
				{42, "action", "heartbeat-lost"}, {42, "missed_percent", "40"}, {42, "node_name", "NODE2"},
				{50, "action", "online-failed"}, {50, "resource", "Cluster Name"}, {50, "level", "error"},
				{51, "action", "failure-notification"}, {52, "action", "handle-failure"}, {52, "resource", "Cluster Name"},
				{53, "new_state", "ProcessingFailure"}, {53, "state_detail", "StateUnknown"},
				{54, "action", "not-failing-over"}, {54, "failover_count", "2"}, {54, "failover_threshold", "4294967295"},
				{54, "computed_threshold", "1"},
				{55, "action", "quorum-at-risk"}, {56, "action", "quorum-lost"}, {56, "node_id", "1"},
				{57, "action", "quorum-lost"}, {57, "status", "5925"}, {57, "status_hex", "0x1725"},
				{59, "action", "node-up"}, {59, "node_id", "3"}, {60, "action", "quorum-regained"},
			},
		},
		{
			path: "testdata/w2000.log", in: parse.Input{Node: "ex2kn1.contoso.com"}, events: 12, nonBlank: 12,
			checks: []check{
				{1, "level", ""}, {1, "provider", ProviderLegacy}, {1, "pid", "378"}, {1, "tid", "32c"}, {1, "node", "EX2KN1"},
				{7, "resource", "Disk R:"}, {8, "action", "node-down"}, {8, "status", "64"}, {8, "state_code", "1"},
				{10, "action", "group-move"}, {10, "group", "Exchange Virtual Server"}, {10, "to_node", "EX2KN1"},
				{11, "action", "health-check-failed"}, {11, "resource", "Exchange System Attendant - (EXVS1)"},
				{12, "action", "rhs-terminated"},
			},
		},
		{
			path: "testdata/nt4.log", in: parse.Input{ModTime: nt4Mod}, events: 3, nonBlank: 3,
			checks: []check{
				{1, "time", "2000-01-13T14:43:53.703Z"}, {1, "quality", "time-of-day-only"}, {1, "pid", ""}, {1, "tid", "0ab"},
				{2, "action", "quorum-lost"}, {2, "status", "170"},
				{3, "time", "2000-01-14T09:02:11.250Z"}, {3, "action", "node-down"}, {3, "node_id", "2"},
			},
		},
		{
			path: "testdata/w2008r2.log", events: 15, nonBlank: 15,
			checks: []check{
				{1, "action", "move-requested"}, {1, "group", "EXCMS1"}, {1, "to_node_id", "2"}, {1, "provider", ProviderModern},
				{2, "move_type", "Manual"}, {3, "group", "EXCMS1"},
				{4, "resource", "Exchange Information Store Instance (EXCMS1)"}, {4, "new_state", "OfflineCallIssued"},
				{5, "action", "group-state"}, {5, "old_state", "Pending"}, {5, "new_state", "Online"},
				{6, "action", "online-failed"}, {6, "status", "1053"}, {6, "resource_type", "Generic Service"},
				{9, "action", "handle-failure"}, {9, "resource", "Exchange System Attendant (EXCMS1)"},
				{10, "resource", "Exchange System Attendant (EXCMS1)"}, {10, "old_state", "OnlinePending"},
				{11, "action", ""}, {11, "monitor_reply", "OFFLINERESOURCE"},
				{12, "action", "deadlock"}, {12, "call", "ONLINERESOURCE"},
				{13, "action", "not-failing-over"}, {13, "failover_threshold", "1"},
				{14, "status", "21"}, {14, "level", "warning"}, {15, "component", "NM"},
			},
		},
		{
			path: "testdata/w2012r2-analyst.log", events: 6, nonBlank: 9, problems: 1,
			checks: []check{
				{1, "no_header", "true"}, {1, "quality", "none"},
				{3, "orig_line", "88"}, {3, "group", "DAG2"}, {3, "move_type", "Manual"}, {3, "to_node_id", ""},
				{4, "action", "group-move"}, {4, "to_node", "EXN2"}, {4, "orig_line", "89"},
				{5, "action", "quorum-lost"}, {5, "orig_line", "104"},
				{8, "lines", "4"}, {8, "resource", "File Share Witness"},
				{12, "move_type", "Failover"}, {12, "failover_count", "4"}, {12, "time", "2015-05-12T03:41:09.000Z"},
			},
		},
		{
			path: "testdata/w2016-local.log", in: parse.Input{Node: "FROMBUNDLE"}, events: 6, nonBlank: 10,
			checks: []check{
				{1, "utc_offset_minutes", "-60"}, {1, "local_time", "true"}, {1, "current_node", "exmbx02.contoso.local"},
				{7, "node", "EXMBX02"}, {7, "action", "role-moved"}, {7, "from_node", ""}, {7, "to_node", "EXMBX01"},
				{7, "time", "2019-07-15T10:30:00.500Z"}, {7, "quality", "local-known-offset"},
				{9, "time", "2019-07-15T10:30:00.000Z"}, {9, "quality", "local-known-offset"},
				{10, "time", "2019-07-14T23:15:30.250Z"},
			},
		},
		{
			path: "testdata/w2022-local-nooffset.log", in: parse.Input{Node: "EXS01"}, events: 4, nonBlank: 6,
			checks: []check{
				{1, "local_time", "true"}, {1, "utc_offset_minutes", ""}, {1, "build_number", "20348"},
				{5, "action", "log-begin"}, {5, "node", "EXS01"},
				{6, "time", "2023-01-09T08:05:12.345Z"}, {6, "quality", "local-unknown-offset"}, {6, "move_type", "Drain"},
			},
		},
		{
			path: "testdata/w2019-utf16.log", events: 7, nonBlank: 13,
			checks: []check{
				{1, "current_node", "EXMBX03"}, {1, "utc_offset_minutes", "0"}, {1, "build_number", "17763"},
				{7, "action", "node-quarantined"}, {7, "EventID", "1672"}, {7, "node_name", "EXMBX01"}, {7, "lines", "4"},
				{7, "node", "EXMBX03"}, {7, "time", "2021-11-02T16:44:01.020Z"},
				{12, "action", "heartbeat-lost"}, {13, "action", "node-down"}, {13, "node_id", "1"},
				{14, "action", "node-shutdown"}, {14, "node_name", "EXMBX02"}, {14, "reason", "ServiceShutdown"},
			},
		},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			res := parseFile(t, c.path, c.in)
			if res.err != nil {
				t.Fatalf("Parse: %v", res.err)
			}
			if len(res.events) != c.events {
				t.Errorf("%d events, want %d", len(res.events), c.events)
			}
			if len(res.rep.Problems) != c.problems {
				t.Errorf("problems %v, want %d", res.rep.Problems, c.problems)
			}
			checkAccounting(t, res, c.nonBlank)
			for _, ck := range c.checks {
				if got := value(res.at(t, ck.line), ck.key); got != ck.want {
					t.Errorf("line %d %s = %q, want %q", ck.line, ck.key, got, ck.want)
				}
			}
		})
	}
}

// The UTF-16 fixture must stay the generated twin of its UTF-8 source.
func TestUTF16FixtureMatchesSource(t *testing.T) {
	src := parsetest.ReadFile(t, "testdata/w2019-utf16.txt")
	f, err := os.Open("testdata/w2019-utf16.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	for l := parse.NewLines(f); l.Next(); {
		got = append(got, l.Text())
	}
	want := strings.Split(strings.TrimSuffix(string(src), "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("testdata/w2019-utf16.log is stale; run go generate")
	}
	if !strings.Contains(string(src), "Zürich") {
		t.Fatal("source lost its non-ASCII text")
	}
}

func TestNT4DatesFromModTime(t *testing.T) {
	cases := []struct {
		mod  time.Time
		line int
		want string
	}{
		{time.Date(2000, 1, 20, 0, 0, 0, 0, time.UTC), 1, "2000-01-13T14:43:53.703Z"},
		// Day 13 is after the file's day 10: the previous month.
		{time.Date(2000, 3, 10, 0, 0, 0, 0, time.UTC), 1, "2000-02-13T14:43:53.703Z"},
		{time.Date(2000, 1, 5, 0, 0, 0, 0, time.UTC), 3, "1999-12-14T09:02:11.250Z"},
	}
	for _, c := range cases {
		res := parseFile(t, "testdata/nt4.log", parse.Input{ModTime: c.mod})
		if got := value(res.at(t, c.line), "time"); got != c.want {
			t.Errorf("mod %s line %d: %s, want %s", c.mod.Format("2006-01-02"), c.line, got, c.want)
		}
	}
	res := parseFile(t, "testdata/nt4.log", parse.Input{})
	if e := res.at(t, 1); !e.Time.IsZero() || e.TimeQuality != parse.TimeNone {
		t.Errorf("no mod time: got %v %s", e.Time, e.TimeQuality)
	}
	if len(res.rep.Problems) != 1 {
		t.Errorf("problems %v, want one about undated NT4 stamps", res.rep.Problems)
	}
}

func TestSniff(t *testing.T) {
	yes := []string{
		"testdata/w2000.log", "testdata/nt4.log", "testdata/w2008r2.log", "testdata/w2012r2-analyst.log",
		"testdata/w2016-local.log", "testdata/w2019-utf16.log", "testdata/w2022-local-nooffset.log",
		filepath.Join(fixtures.Dir(), "clusterlogs", "node1-2003-cluster.log"),
		filepath.Join(fixtures.Dir(), "clusterlogs", "node1-2016-cluster.log"),
	}
	for _, p := range yes {
		data := parsetest.ReadFile(t, p)
		if len(data) > parse.SniffSize {
			data = data[:parse.SniffSize]
		}
		if !(Parser{}).Sniff(data) {
			t.Errorf("Sniff(%s) = false", p)
		}
	}
	no := map[string]string{
		"empty":        "",
		"setup log":    "[12:00:01] Entering Setup\r\n[12:00:02] Setup version 6.5.7638.1\r\n",
		"exchange2007": "[8/3/2007 4:46:12 PM] [0] Starting Microsoft Exchange 2007 Setup\r\n",
		"reg export":   "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft]\r\n",
		"evtx":         "ElfFile\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
		"prose":        "Cluster Log Information\n\nThe cluster failed over at 10:00.\n",
		"time only":    "21:17:42.347 INFO  [RCM] regained quorum\n",
		"bad stamp":    "00000a10.00000b18::2024-03-01 10:00:01.233 INFO  [RCM] x\n",
	}
	for name, s := range no {
		if (Parser{}).Sniff([]byte(s)) {
			t.Errorf("Sniff(%s) = true", name)
		}
	}
}

func TestScanHead(t *testing.T) {
	cases := []struct {
		line                                   string
		ok                                     bool
		listed, channel, pid, tid, level, rest string
		padded                                 bool
	}{
		{"00000a10.00000b18::2024/03/01-10:00:01.233 INFO  [RCM] x", true, "", "", "00000a10", "00000b18", "INFO", "[RCM] x", true},
		{"000006a8.00000fa0::2005/04/27-09:54:13.085 INFO [CP] y", true, "", "", "000006a8", "00000fa0", "INFO", "[CP] y", false},
		{"378.32c::1999/06/09-18:00:18.874 Cluster service started", true, "", "", "378", "32c", "", "Cluster service started", false},
		{"   411 [Operational] 0000084c.00000f90::2017/10/23-20:16:33.784 INFO  The", true, "411", "Operational", "0000084c", "00000f90", "INFO", "The", true},
		{"[Verbose] 000008c8.00000c80::2017/10/23-21:53:54.600 ERR   [QUORUM] z  ", true, "", "Verbose", "000008c8", "00000c80", "ERR", "[QUORUM] z", true},
		{"0ab::13-14:43:53.703 Physical Disk <Disk Z:>: x", true, "", "", "", "0ab", "", "Physical Disk <Disk Z:>: x", false},
		{"00000a10.00000b18::2024/03/01-10:00:01.233 ERRATIC text", true, "", "", "00000a10", "00000b18", "", "ERRATIC text", false},
		{"00000a10.00000b18::2024/03/01-10:00:01.233", true, "", "", "00000a10", "00000b18", "", "", false},
		{"   172 Based on the failure policies", false, "", "", "", "", "", "", false},
		{"123456789.1::2024/03/01-10:00:01.233 INFO  x", false, "", "", "", "", "", "", false},
		{"00000a10.00000b18::2024/03/01-10:00:01.23 INFO x", false, "", "", "", "", "", "", false},
		{"00000a10.00000b18::2024/03/01-10:00:01.233x INFO", false, "", "", "", "", "", "", false},
		{"[=== Cluster ===]", false, "", "", "", "", "", "", false},
		{"[System]00000a10.00000b18::2024/03/01-10:00:01.233 INFO x", false, "", "", "", "", "", "", false},
		{"", false, "", "", "", "", "", "", false},
	}
	for _, c := range cases {
		h, ok := scanHead(c.line)
		if ok != c.ok {
			t.Errorf("%q: ok=%v", c.line, ok)
			continue
		}
		if !ok {
			continue
		}
		if h.listed != c.listed || h.channel != c.channel || h.pid != c.pid || h.tid != c.tid ||
			h.level != c.level || h.rest != c.rest || h.padded != c.padded {
			t.Errorf("%q: got %+v", c.line, h)
		}
	}
}

func TestSetStatus(t *testing.T) {
	cases := []struct{ in, dec, hex string }{
		{"5018", "5018", "0x139a"},
		{"0x8007139f", "2147947423", "0x8007139f"},
		{"0X139A", "5018", "0x139a"},
		{"-1", "-1", "0xffffffff"},
		{"99999999999", "", ""}, // beyond 32 bits: not a status
	}
	for _, c := range cases {
		ev := &parse.Event{}
		setStatus(ev, c.in)
		if ev.Field("status") != c.dec || ev.Field("status_hex") != c.hex {
			t.Errorf("setStatus(%q) = %q %q, want %q %q", c.in, ev.Field("status"), ev.Field("status_hex"), c.dec, c.hex)
		}
	}
}

// A damaged file: binary junk between records, an impossible date and a
// last line cut in the middle of its header. Nothing may be lost.
func TestDamagedFile(t *testing.T) {
	src := parsetest.ReadFile(t, "testdata/w2008r2.log")
	lines := strings.Split(strings.TrimSuffix(string(src), "\r\n"), "\r\n")
	junk := "\x00\x01\xff\xfe\x80garbage\x00\x00\x9d"
	bad := "00000b3c.00000c10::2010/13/45-14:00:00.120 INFO  [RCM] Res X: Online -> Failed( StateUnknown )"
	var out []string
	out = append(out, lines[:6]...)
	out = append(out, junk, junk)
	out = append(out, lines[6:10]...)
	out = append(out, bad)
	out = append(out, lines[10:]...)
	out = append(out, "00000b3c.00000c10::2010/06/02-15:3")
	data := []byte(strings.Join(out, "\r\n"))

	res := parseData(t, "damaged.log", data, parse.Input{})
	if res.err != nil {
		t.Fatalf("Parse: %v", res.err)
	}
	checkAccounting(t, res, len(out))
	if len(res.events) != 16 {
		t.Errorf("%d events, want 16 (15 records + the bad-date one)", len(res.events))
	}
	if e := res.at(t, 6); e.Field("lines") != "3" || !strings.Contains(e.Message, "garbage") {
		t.Errorf("junk lines not joined to line 6: lines=%q", e.Field("lines"))
	}
	e := res.at(t, 13)
	if !e.Time.IsZero() || e.TimeQuality != parse.TimeNone || e.Field("new_state") != "Failed" {
		t.Errorf("bad-date record: %v %s %v", e.Time, e.TimeQuality, e.Fields)
	}
	if len(res.rep.Problems) != 1 || !strings.Contains(res.rep.Problems[0].Reason, "not a real date") {
		t.Errorf("problems %v", res.rep.Problems)
	}
	if last := res.events[len(res.events)-1]; !strings.HasSuffix(last.Message, "2010/06/02-15:3") {
		t.Errorf("cut last line not kept: %q", last.Message)
	}
}

func TestLongRecordIsSplit(t *testing.T) {
	var b strings.Builder
	b.WriteString("00000a10.00000b2c::2024/03/01-10:20:14.512 ERR   [RCM] a very long record\n")
	const extra = maxRecordLines + 500
	for i := 0; i < extra; i++ {
		b.WriteString("continuation ")
		b.WriteString(strconv.Itoa(i))
		b.WriteByte('\n')
	}
	b.WriteString("00000a10.00000b2c::2024/03/01-10:20:15.000 INFO  [RCM] next\n")
	res := parseData(t, "long.log", []byte(b.String()), parse.Input{})
	if res.err != nil {
		t.Fatal(res.err)
	}
	checkAccounting(t, res, extra+2)
	if len(res.events) != 3 {
		t.Fatalf("%d events, want 3", len(res.events))
	}
	first, second := res.events[0], res.events[1]
	if first.Field("lines") != strconv.Itoa(maxRecordLines) || second.Line != maxRecordLines+1 {
		t.Errorf("split at lines=%s, next piece at line %d", first.Field("lines"), second.Line)
	}
	if second.Field("continues_line") != "1" || !second.Time.Equal(first.Time) ||
		second.Level != parse.LevelError || second.Field("component") != "RCM" {
		t.Errorf("second piece lost the header values: %+v", second)
	}

	// The byte bound splits a section table of wide rows.
	b.Reset()
	b.WriteString("[=== Resources ===]\n")
	row := strings.Repeat("x", 1000)
	for i := 0; i < 600; i++ {
		b.WriteString(row)
		b.WriteByte('\n')
	}
	res = parseData(t, "wide.log", []byte(b.String()), parse.Input{})
	checkAccounting(t, res, 601)
	if len(res.events) != 3 {
		t.Fatalf("%d events, want 3", len(res.events))
	}
	for _, e := range res.events {
		if len(e.Message) > maxRecordBytes {
			t.Errorf("line %d: %d bytes", e.Line, len(e.Message))
		}
		if e.Field("section") != "Resources" {
			t.Errorf("line %d: section %q", e.Line, e.Field("section"))
		}
	}
}

// A Cluster section long enough to be split still states the header facts
// that come after the split.
func TestHeaderFactsAfterSplit(t *testing.T) {
	var b strings.Builder
	b.WriteString("[=== Cluster ===]\n")
	for i := 0; i < maxRecordLines+10; i++ {
		b.WriteString("filler line\n")
	}
	b.WriteString("Current node: name (late.contoso.com) id (4)\n")
	b.WriteString("The logs were generated using local time\n")
	b.WriteString("[=== Cluster Logs ===]\n")
	b.WriteString("00000a10.00000b18::2024/03/01-10:00:01.233 INFO  [RCM] x\n")
	res := parseData(t, "split.log", []byte(b.String()), parse.Input{Node: "BUNDLE"})
	checkAccounting(t, res, maxRecordLines+15)
	last := res.events[len(res.events)-1]
	if last.Node != "LATE" || last.TimeQuality != parse.TimeLocalUnknownOffset {
		t.Errorf("node %q quality %s", last.Node, last.TimeQuality)
	}
	if piece := res.at(t, maxRecordLines+1); piece.Field("current_node") != "late.contoso.com" || piece.Field("continues_line") != "1" {
		t.Errorf("second piece fields %v", piece.Fields)
	}
}

func TestNotAClusterLog(t *testing.T) {
	res := parseData(t, "prose.txt", []byte("just some text\nwith lines\n"), parse.Input{})
	if !errors.Is(res.err, parse.ErrNotFormat) || len(res.events) != 0 {
		t.Errorf("err %v, %d events", res.err, len(res.events))
	}
	// Hundreds of kilobytes without a header stop early, still emitting nothing.
	big := strings.Repeat(strings.Repeat("y", 99)+"\n", 5000)
	res = parseData(t, "big.txt", []byte(big), parse.Input{})
	if !errors.Is(res.err, parse.ErrNotFormat) || len(res.events) != 0 {
		t.Errorf("big: err %v, %d events", res.err, len(res.events))
	}
}

func TestEmitErrorIsReturned(t *testing.T) {
	parsetest.CheckEmitError(t, Parser{}, parsetest.Bytes("x", parsetest.ReadFile(t, "testdata/w2008r2.log")), 3)
}

func TestContextCancel(t *testing.T) {
	data := []byte(strings.Repeat("00000a10.00000b2c::2024/03/01-10:20:14.512 INFO  [RCM] x\n", 10000))
	parsetest.CheckCancel(t, Parser{}, parsetest.Bytes("x", data), 9999)
}

func TestOverlongLineIsReported(t *testing.T) {
	data := "00000a10.00000b2c::2024/03/01-10:20:14.512 INFO  [RCM] " + strings.Repeat("z", parse.MaxLineBytes+10) +
		"\n00000a10.00000b2c::2024/03/01-10:20:15.000 INFO  [RCM] after\n"
	res := parseData(t, "wide.log", []byte(data), parse.Input{})
	if res.err != nil || len(res.events) != 2 {
		t.Fatalf("err %v, %d events", res.err, len(res.events))
	}
	if len(res.rep.Problems) != 1 || !strings.Contains(res.rep.Problems[0].Reason, "cut") {
		t.Errorf("problems %v", res.rep.Problems)
	}
}

func TestName(t *testing.T) {
	var p parse.Parser = Parser{}
	if p.Name() != parse.SourceClusterLog {
		t.Errorf("Name() = %q", p.Name())
	}
}

func TestStatusFromText(t *testing.T) {
	cases := []struct{ msg, want string }{
		{"Quorum lost because failed to update witness epoch after node failure (status = 5925)", "5925"},
		{"Received advice that node 2 has failed with error 5 state 1.", "5"},
		{"SCSI, error reserving disk, error 1.", "1"},
		{"will be shut down. The error code was '5050'.", "5050"},
		{"Error ID: 5018 (0000139a)", "5018"},
		{"failed (HRESULT:0x8007139f)", "2147947423"},
		{"Health check failed (status is '0x13d4').", "5076"},
		{"QfsRegSaveKey C:\\x.tmp, status 1018", "1018"},
		{"errors 5 and statusbar 7", ""},
		{"error 12345678901 is too long", ""},
		{"no code here", ""},
	}
	for _, c := range cases {
		ev := &parse.Event{}
		setStatusFrom(ev, c.msg)
		if got := ev.Field("status"); got != c.want {
			t.Errorf("%q: status %q, want %q", c.msg, got, c.want)
		}
	}
}

func TestResourcePrefix(t *testing.T) {
	cases := []struct{ in, typ, name, rest string }{
		{"Physical Disk <Disks Z: Y: X:>: SCSI, error", "Physical Disk", "Disks Z: Y: X:", "SCSI, error"},
		{"SQL Server Availability Group <ag1023>: [hadrag] Lease", "SQL Server Availability Group", "ag1023", "[hadrag] Lease"},
		{"Network Name: Agent: Closing", "", "", ""},
		{"<x>: no type", "", "", ""},
		{"Generic Service <a <b>: nested", "", "", ""},
		{"File Share <user1$> no colon", "", "", ""},
	}
	for _, c := range cases {
		typ, name, n := resourcePrefix(c.in)
		rest := ""
		if n > 0 {
			rest = c.in[n:]
		}
		if typ != c.typ || name != c.name || rest != c.rest {
			t.Errorf("%q: %q %q %q", c.in, typ, name, rest)
		}
	}
}

// Event texts not present in the fixtures or the corpus, one line each.
func TestChannelTexts(t *testing.T) {
	const stamp = "00000a10.00000b18::2024/03/01-10:00:01.233 "
	cases := []struct {
		line, action string
		id           int
		field, want  string
	}{
		{"[System] " + stamp + "ERR   Clustered role 'EVS1' has exceeded its failover threshold.  It has exhausted it all.", "not-failing-over", 1254, "group", "EVS1"},
		{"[System] " + stamp + "ERR   Clustered service or application 'CMS1' has exceeded its failover threshold.", "not-failing-over", 1254, "group", "CMS1"},
		{"[System] " + stamp + "ERR   The cluster service encountered an unexpected problem and will be shut down. The error code was '5050'.", "service-crash", 1556, "status", "5050"},
		{"[System] " + stamp + "ERR   A component on the server did not respond in a timely fashion. This caused the cluster resource 'DB1' (resource type 'x') to time out.", "deadlock", 1230, "resource", "DB1"},
		{"[System] " + stamp + "ERR   File share witness resource 'FSW' failed to arbitrate for the file share '\\\\fs\\w'.", "witness-failed", 1564, "resource", "FSW"},
		{"[System] " + stamp + "ERR   Cluster network interface 'N1 - MAPI' for cluster node 'N1' on network 'MAPI' failed.", "interface-failed", 1127, "network", "MAPI"},
		{"[System] " + stamp + "ERR   Cluster network 'Replication' is partitioned. Some nodes cannot talk.", "network-partitioned", 1129, "network", "Replication"},
		{"[System] " + stamp + "ERR   Cluster network 'MAPI' is down. None of the nodes can talk.", "network-down", 1130, "network", "MAPI"},
		{"[System] " + stamp + "ERR   Cluster resource 'IP1' in clustered role 'G1' failed.", "resource-failed", 1069, "group", "G1"},
		{"[Operational] " + stamp + "INFO  Cluster resource 'IP1' in clustered role 'G1' failed.", "resource-failed", 1635, "resource", "IP1"},
		{"[Operational] " + stamp + "INFO  The Cluster service is attempting to bring the clustered role 'G1' offline.", "offline-attempt", 1203, "group", "G1"},
		{"[Operational] " + stamp + "INFO  The Cluster service successfully brought the clustered role 'G1' offline.", "group-offline", 1204, "group", "G1"},
		{"[Operational] " + stamp + "INFO  The Cluster service was successfully stopped.", "service-stopped", 1063, "channel", "Operational"},
		{"[Operational] " + stamp + "INFO  Microsoft Failover Cluster Virtual Adapter (NetFT) has missed more than 40 percent of consecutive heartbeats.", "heartbeat-lost", 1650, "missed_percent", "40"},
		{stamp + "INFO  [RCM] rcm::RcmGroup::UpdateStateIfChanged: (G1, Online --> Pending)", "group-state", 0, "new_state", "Pending"},
		{stamp + "INFO  [RHS] Resource IP1 has come offline. RHS is about to report status.", "resource-state", 0, "new_state", "Offline"},
		{stamp + "INFO  [IM] got event: Remote endpoint 10.0.0.2:~3343~ unreachable from 10.0.0.1:~3343~", "connection-lost", 0, "local_endpoint", "10.0.0.1:~3343~"},
		{stamp + "INFO  [CORE] Node 1: New View is <ViewChanged joiners=(2) downers=() newView=2(1 2)/>", "node-up", 0, "nodes", "2"},
		{stamp + "INFO  ---+ LOG END +---", "log-end", 0, "component", ""},
		{stamp + "WARN  [QUORUM] Quorum witness has better epoch than local node, this node must have been on the losing side of arbitration", "quorum-lost", 0, "component", "QUORUM"},
	}
	for _, c := range cases {
		res := parseData(t, "one.log", []byte(c.line+"\r\n"), parse.Input{})
		if res.err != nil || len(res.events) != 1 {
			t.Fatalf("%q: err %v, %d events", c.line, res.err, len(res.events))
		}
		e := res.events[0]
		if e.Field("action") != c.action || e.EventID != c.id || e.Field(c.field) != c.want {
			t.Errorf("%q:\n action %q id %d %s=%q, want %q %d %q", c.line, e.Field("action"), e.EventID, c.field, e.Field(c.field), c.action, c.id, c.want)
		}
		if c.id != 0 && (e.Field("event_id") != strconv.Itoa(c.id) || e.Field("event_id_inferred") != "true") {
			t.Errorf("%q: event_id fields %v", c.line, e.Fields)
		}
	}
}
