package evtx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goevtx "github.com/0xrawsec/golang-evtx/evtx"
	utilslog "github.com/0xrawsec/golang-utils/log"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

func fixtureLog(name string) string { return filepath.Join(fixtures.Dir(), "eventlogs", name) }

func byRecord(evs []*parse.Event, id uint64) *parse.Event {
	for _, e := range evs {
		if e.Record == id {
			return e
		}
	}
	return nil
}

// TestValues checks single records field by field. The expected values
// were read with evtxexport -f xml (and, for the forwarded Exchange record
// libevtx cannot read, from SOURCES.md and golang-evtx's own map).
func TestValues(t *testing.T) {
	cases := []struct {
		file   string
		record uint64
		want   map[string]string
		id     int
		prov   string
		level  string
		time   string
	}{
		// A classic source (no provider GUID): golang-evtx's map loses the
		// name; qualifiers and the audit-failure keyword are kept.
		{"app-mssql-33205-bruteforce-classic.evtx", 70545, map[string]string{
			"qualifiers": "16384", "computer": "mssql01.offsec.lan", "channel": "Application", "task": "4",
			"keywords": "0x0090000000000000", "audit": "failure"},
			33205, "MSSQL$RADAR", parse.LevelInfo, "2020-08-01T21:17:27.1115826Z"},
		// An empty insertion string in third position: golang-evtx drops
		// it, exlog keeps the positions (data.3 empty, data.4 = "1").
		{"app-esent-ntdsutil-ifm-325-327.evtx", 1969, map[string]string{
			"data.1": "NTDS", "data.2": "3392", "data.3": "", "data.4": "1", "data.8": "1 0", "inserts_uncertain": ""},
			326, "ESENT", parse.LevelInfo, "2019-11-26T23:55:00Z"},
		// SizeT value, which golang-evtx leaves as "Unknown value".
		{"security-size-t-values.evtx", 2, map[string]string{"data.ProcessId": "0x4"},
			4624, "Microsoft-Windows-Security-Auditing", parse.LevelInfo, ""},
		// A BOOL holding 2: true for Windows, false for golang-evtx.
		{"large-grouppolicy-irregular-bool-values.evtx", 141, map[string]string{"data.IsMachine": "true"},
			0, "Microsoft-Windows-GroupPolicy", "", ""},
		// UserData flattened; the SID of the Security element.
		{"system-netlogon-5805-log-cleared-104.evtx", 63220, map[string]string{
			"user.LogFileCleared.SubjectUserName": "a-jbrown", "user.LogFileCleared.Channel": "System",
			"user_sid": "S-1-5-21-308926384-506822093-3341789130-1106"},
			104, "Microsoft-Windows-Eventlog", parse.LevelInfo, "2020-09-15T19:28:31.4536476Z"},
		// A classic Exchange record forwarded through WEC: one <Data> per
		// insert, some of them empty (libevtx and python-evtx fail here).
		{"exchange-mgmt-cmdletlogs-wec-forwarded.evtx", 3229, map[string]string{
			"channel": "MSExchange Management", "computer": "WEC.ave.local", "data.1": "Set-Mailbox",
			"data.3": "ave.local/Users/Administrateur", "data.18": "False"},
			1, "MSExchange CmdletLogs", parse.LevelInfo, "2021-11-19T16:52:33.8337335Z"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			evs, _, err := parseAll(t, &Parser{}, fileInput(corpusPath(t, c.file)))
			if err != nil {
				t.Fatal(err)
			}
			e := byRecord(evs, c.record)
			if e == nil {
				t.Fatalf("record %d not read", c.record)
			}
			parsetest.CheckFields(t, e, c.want)
			if c.id != 0 && e.EventID != c.id {
				t.Errorf("event ID %d, want %d", e.EventID, c.id)
			}
			if e.Provider != c.prov {
				t.Errorf("provider %q, want %q", e.Provider, c.prov)
			}
			if c.level != "" && e.Level != c.level {
				t.Errorf("level %q, want %q", e.Level, c.level)
			}
			if c.time != "" && e.Time.Format("2006-01-02T15:04:05.9999999Z") != c.time {
				t.Errorf("time %s, want %s", e.Time.Format(time.RFC3339Nano), c.time)
			}
			if e.TimeQuality != parse.TimeUTC || e.Source != parse.SourceEVTX {
				t.Errorf("time quality %s, source %s", e.TimeQuality, e.Source)
			}
		})
	}
}

// TestCatalogueEndToEnd reads the project's 2008 sample logs (written by
// fixtures/evtxwriter from the notes' message texts) and checks the fields
// detectors rely on.
func TestCatalogueEndToEnd(t *testing.T) {
	evs, rep, err := parseAll(t, &Parser{}, fileInput(fixtureLog("node1-operational-2008.evtx")))
	if err != nil || rep.Status != parse.StatusOK || len(evs) != 4 {
		t.Fatalf("%d events, status %s, err %v", len(evs), rep.Status, err)
	}
	moved := evs[1]
	want := map[string]string{"action": "role-moved", "group": "CMS1", "from_node": "NODE1", "to_node": "NODE2",
		"provider_family": "failover-clustering", "channel": "Microsoft-Windows-FailoverClustering/Operational"}
	parsetest.CheckFields(t, moved, want)
	if moved.EventID != 1641 || moved.Node != "NODE1" {
		t.Errorf("1641: id %d node %s", moved.EventID, moved.Node)
	}
	evs, _, _ = parseAll(t, &Parser{}, fileInput(fixtureLog("node1-system-2008.evtx")))
	var ids []int
	for _, e := range evs {
		ids = append(ids, e.EventID)
	}
	if got := fmt.Sprint(ids); got != "[1069 1205 1069 1069 1205 1254 1135 1177]" {
		t.Errorf("event IDs %s", got)
	}
	if e := evs[6]; e.Field("target_node") != "NODE2" || e.Level != parse.LevelCritical {
		t.Errorf("1135: target %q level %s", e.Field("target_node"), e.Level)
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Output order must not depend on how many workers decode chunks.
func TestDeterministicOrder(t *testing.T) {
	for _, f := range []string{"system-vss-dirty-chunkcount-gap.evtx", "corrupt-bad-chunk-magic-dirty.evtx"} {
		path := corpusPath(t, f)
		var outs []string
		for _, w := range []int{1, 2, 5} {
			evs, rep, err := parseAll(t, &Parser{Workers: w}, fileInput(path))
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, jsonOf(evs)+jsonOf(rep.Problems))
		}
		if outs[0] != outs[1] || outs[0] != outs[2] {
			t.Errorf("%s: output differs between 1, 2 and 5 workers", f)
		}
	}
}

func TestEmitErrorAndCancel(t *testing.T) {
	path := fixtureLog("node1-system-2008.evtx")
	if rep := parsetest.CheckEmitError(t, &Parser{}, fileInput(path), 3); rep.Events != 2 {
		t.Errorf("report counts %d events; want the 2 emitted before the error", rep.Events)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := (&Parser{}).Parse(ctx, fileInput(path), &parse.Report{}, func(*parse.Event) error {
		n++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("err %v after %d emits; want context.Canceled after 1", err, n)
	}
}

// Cutting the project's own sample at various points: never a panic, every
// complete record still read, and the cut reported.
func TestTruncated(t *testing.T) {
	b := parsetest.ReadFile(t, fixtureLog("node1-system-2008.evtx"))
	full, _, _ := parseAll(t, &Parser{}, parsetest.Bytes("full.evtx", b))
	cases := []struct {
		cut     int
		records int
		status  string
		errs    bool
	}{
		{0, 0, parse.StatusFailed, true}, // not even a signature
		{100, 0, parse.StatusFailed, true},
		{4096, 0, parse.StatusPartial, false},                     // header only, though it counts one chunk
		{4096 + 300, 0, parse.StatusPartial, false},               // inside the chunk header
		{int(full[3].Offset) + 40, 3, parse.StatusPartial, false}, // the 4th record is cut
		{len(b), 8, parse.StatusOK, false},
	}
	for _, c := range cases {
		evs, rep, err := parseAll(t, &Parser{}, parsetest.Bytes("cut.evtx", b[:c.cut]))
		if (err != nil) != c.errs {
			t.Errorf("cut at %d: err %v", c.cut, err)
		}
		chain := 0
		for _, e := range evs {
			if e.Field("recovered") == "" {
				chain++
			}
		}
		if chain != c.records || rep.Status != c.status {
			t.Errorf("cut at %d: %d intact records, status %s (%+v); want %d, %s", c.cut, chain, rep.Status, rep.Problems, c.records, c.status)
		}
	}
}

func TestSniff(t *testing.T) {
	p := &Parser{}
	if !p.Sniff([]byte("ElfFile\x00\x00")) || p.Sniff([]byte("ElfChnk\x00")) || p.Sniff([]byte("0\x00\x00\x00LfLe")) {
		t.Error("Sniff")
	}
	if _, _, err := parseAll(t, p, parsetest.Bytes("x", []byte("not an evtx file at all"))); !errors.Is(err, parse.ErrNotFormat) {
		t.Errorf("err = %v, want ErrNotFormat", err)
	}
}

// The library's own log lines must not reach the standard logger's
// writer; everything else written to the standard logger must.
func TestLibraryLogFiltered(t *testing.T) {
	oldW, oldF, oldP := log.Writer(), log.Flags(), log.Prefix()
	defer func() { log.SetOutput(oldW); log.SetFlags(oldF); log.SetPrefix(oldP) }()
	for _, flags := range []int{log.LstdFlags, log.LstdFlags | log.Lmicroseconds | log.Lshortfile, 0, log.LUTC | log.Llongfile | log.Lmsgprefix} {
		var buf bytes.Buffer
		log.SetOutput(&libLogFilter{next: &buf})
		log.SetFlags(flags)
		log.SetPrefix("app: ")
		utilslog.DontPanicf("%s: parsing %T", "EOF", 1)
		utilslog.Critical("boom")
		log.Print("a line of the program ERROR - kept")
		log.Print("kept too")
		out := buf.String()
		if strings.Contains(out, "PANIC") || strings.Contains(out, "boom") || !strings.Contains(out, "ERROR - kept") || !strings.Contains(out, "kept too") {
			t.Errorf("flags %#x: output %q", flags, out)
		}
	}
}

// The fuzz tests rely on telling a panic in exlog's code from one in
// golang-evtx.
func TestPanicOrigin(t *testing.T) {
	origin := func(f func()) (own bool) {
		defer func() {
			own = panicInOwnCode()
			recover()
		}()
		f()
		return
	}
	var m map[string]int
	if !origin(func() { m["x"] = 1 }) {
		t.Error("a panic in this package was attributed to the library")
	}
	if origin(func() { goevtx.ToJSON(make(chan int)) }) {
		t.Error("a panic in golang-evtx was attributed to exlog")
	}
}

// TestReaderBudget shows the guards against runaway parsing sit far above
// what real records need: every corpus record parses with the stack depth
// checked every 16 reads against a limit twenty times lower than the
// production one, and needs far fewer reads than the budget.
func TestReaderBudget(t *testing.T) {
	files := []string{"app-mssql-33205-bruteforce-classic.evtx", "security-size-t-values.evtx",
		"exchange-mgmt-cmdletlogs-wec-forwarded.evtx", "system-netlogon-5805-log-cleared-104.evtx"}
	want := map[string]int{}
	for _, f := range files {
		evs, _, err := parseAll(t, &Parser{}, fileInput(corpusPath(t, f)))
		if err != nil {
			t.Fatal(err)
		}
		want[f] = len(evs)
	}
	defer func(l, e int) { stackLimit, depthEvery = l, e }(stackLimit, depthEvery)
	stackLimit, depthEvery = maxStackFrames/20, 15
	mostOps.Store(0)
	trackOps = true
	defer func() { trackOps = false }()
	for _, f := range files {
		evs, rep, _ := parseAll(t, &Parser{}, fileInput(corpusPath(t, f)))
		if len(evs) != want[f] {
			t.Errorf("%s: %d records with a %d-frame stack limit, %d without (%+v)", f, len(evs), stackLimit, want[f], rep.Problems)
		}
	}
	if m := mostOps.Load(); m == 0 || m > maxReaderOps/16 {
		t.Errorf("the most reads a record needed is %d; the budget is %d", m, maxReaderOps)
	} else {
		t.Logf("the most reads a corpus record needed: %d (budget %d)", m, maxReaderOps)
	}
}
