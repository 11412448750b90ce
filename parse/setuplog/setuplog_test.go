package setuplog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
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

// parsed is everything one Parse call produced.
type parsed struct {
	events []*parse.Event // records and summaries in emit order
	runs   []*parse.Event // the setup-run summaries
	rep    *parse.Report
	err    error
}

// record returns the record event that starts at line.
func (p parsed) record(t *testing.T, line int) *parse.Event {
	t.Helper()
	for _, e := range p.events {
		if e.Kind == "" && e.Line == line {
			return e
		}
	}
	t.Fatalf("no record starts at line %d", line)
	return nil
}

func parseData(t testing.TB, path string, data []byte, node string, mod time.Time) parsed {
	t.Helper()
	in := parsetest.Bytes(path, data)
	in.Node, in.ModTime = node, mod
	var p parsed
	p.events, p.rep, p.err = parsetest.Collect(Parser{}, in)
	for _, e := range p.events {
		if e.Kind == "setup-run" {
			p.runs = append(p.runs, e)
		}
	}
	return p
}

func parseFile(t testing.TB, path, node string, mod time.Time) parsed {
	return parseData(t, filepath.Base(path), parsetest.ReadFile(t, path), node, mod)
}

// checkFields compares the listed fields; "" means the field must be absent.
func checkFields(t *testing.T, what string, e *parse.Event, want map[string]string) {
	t.Helper()
	for k, v := range want {
		got, ok := e.Fields[k]
		if v == "" && ok {
			t.Errorf("%s: field %s = %q, want it absent", what, k, got)
		} else if got != v {
			t.Errorf("%s: field %s = %q, want %q", what, k, got, v)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// physicalLines counts lines the way a text editor does: a final line
// without a newline counts too.
func physicalLines(text string) int {
	n := strings.Count(text, "\n")
	if text != "" && !strings.HasSuffix(text, "\n") {
		n++
	}
	return n
}

// lineSum adds up the physical lines the record events say they span.
func lineSum(events []*parse.Event) (records, lines int) {
	for _, e := range events {
		if e.Kind != "" {
			continue
		}
		records++
		n := 1
		if v := e.Fields["lines"]; v != "" {
			n, _ = strconv.Atoi(v)
		}
		lines += n
	}
	return records, lines
}

type runWant struct {
	line    int
	time    string // RFC 3339, "" for no time
	quality parse.TimeQuality
	fields  map[string]string
}

type recWant struct {
	line    int
	run     int
	time    string
	level   string
	message string // prefix of Message
	fields  map[string]string
}

// check compares the setup-run summaries, in order, and the records at
// the lines the wants name with the wants.
func (p parsed) check(t *testing.T, runs []runWant, records []recWant) {
	t.Helper()
	for i, w := range runs {
		r := p.runs[i]
		what := "run " + strconv.Itoa(i+1)
		if r.Run != i+1 || r.Line != w.line || r.TimeQuality != w.quality {
			t.Errorf("%s: run %d line %d quality %s, want line %d quality %s", what, r.Run, r.Line, r.TimeQuality, w.line, w.quality)
		}
		if w.time != "" && !r.Time.Equal(mustTime(t, w.time)) {
			t.Errorf("%s: time %s, want %s", what, r.Time.Format(time.RFC3339Nano), w.time)
		}
		checkFields(t, what, r, w.fields)
	}
	for _, w := range records {
		e := p.record(t, w.line)
		what := "line " + strconv.Itoa(w.line)
		if e.Run != w.run {
			t.Errorf("%s: run %d, want %d", what, e.Run, w.run)
		}
		if w.time != "" && !e.Time.Equal(mustTime(t, w.time)) {
			t.Errorf("%s: time %s, want %s", what, e.Time.Format(time.RFC3339Nano), w.time)
		}
		if w.level != "" && e.Level != w.level {
			t.Errorf("%s: level %s, want %s", what, e.Level, w.level)
		}
		if !strings.HasPrefix(e.Message, w.message) {
			t.Errorf("%s: message %q, want it to start with %q", what, e.Message, w.message)
		}
		checkFields(t, what, e, w.fields)
	}
}

func TestFixtures(t *testing.T) {
	mod2003 := time.Date(2006, 3, 15, 0, 53, 10, 0, time.UTC)
	cases := []struct {
		file    string
		node    string // Input.Node
		mod     time.Time
		events  int
		wantN   string // node on every event
		runs    []runWant
		records []recWant
	}{
		{
			file: "ex2003-node1-progress.log", node: "NODE1", mod: mod2003, events: 23, wantN: "NODE1",
			runs: []runWant{
				{line: 1, time: "2006-03-14T23:51:02Z", quality: parse.TimeOfDayOnly, fields: map[string]string{
					"generation": "2000/2003", "mode": "Install", "result": "failed",
					"result_text": `mode = 'Install' (61953) CBaseAtom::ScSetup (f:\tisp2\admin\src\udog\setupbase\basecomp\baseatom.cxx:775) Error code 0X80072030 (8240): There is no such object on the server.`,
					"start":       "2006-03-14T23:51:02Z", "end": "2006-03-15T00:00:05Z", "duration": "9m3s",
					"errors": "0", "error_frames": "3", "first_error_line": "12", "last_line": "17", "end_seen": "true",
					"setup_version": "", "product": "", "tz": ""}},
				{line: 18, time: "2006-03-15T00:37:40Z", quality: parse.TimeOfDayOnly, fields: map[string]string{
					"generation": "2000/2003", "mode": "", "result": "success", "result_text": "Completed Install of Microsoft Exchange Messaging and Collaboration Services component",
					"duration": "14m50s", "error_frames": "0", "first_error_line": "", "last_line": "28"}},
			},
			records: []recWant{
				{line: 1, run: 1, time: "2006-03-14T23:51:02Z", level: parse.LevelInfo, message: "Entering ScSetupMain"},
				{line: 3, run: 1, level: parse.LevelInfo, message: " CService::ScQueryState", fields: map[string]string{
					"native_function": "CService::ScQueryState", "native_source": `f:\tisp2\admin\src\libs\exsetup\service.cxx:694`,
					"error_code": "0XC0070424", "error_code_dec": "1060", "ignored": "true", "lines": "2", "thread": ""}},
				{line: 5, run: 1, level: parse.LevelInfo, fields: map[string]string{"ignored": "true", "native_function": "CService::ScIsStartedOrStopped"}},
				{line: 7, run: 1, level: parse.LevelInfo, fields: map[string]string{
					"native_function": "CServiceManager::ScHaltService", "native_source": `f:\tisp2\admin\src\udog\setupbase\tools\svcmgr.cxx:518`,
					"ignored_errors": "2", "lines": "3", "error_code": "", "ignored": ""}},
				{line: 11, run: 1, time: "2006-03-14T23:59:57Z"},
				{line: 12, run: 1, time: "2006-03-15T00:00:02Z", level: parse.LevelWarning, fields: map[string]string{
					"native_function": "CDsObject::ScReadProperty", "error_code": "0X80072030", "error_code_dec": "8240",
					"error_text": "There is no such object on the server.", "lines": "2", "ignored": ""}},
				{line: 14, run: 1, level: parse.LevelWarning, fields: map[string]string{
					"frame_mode": "Install", "native_function": "CBaseAtom::ScSetup", "error_code": "0X80072030", "lines": ""}},
				{line: 15, run: 1, level: parse.LevelWarning, fields: map[string]string{"native_function": "CBaseComponent::ScSetup"}},
				{line: 20, run: 2, level: parse.LevelInfo, fields: map[string]string{"ignored": "true"}},
				{line: 22, run: 2, fields: map[string]string{"ignored_errors": "1", "native_function": "CFileManager::ScAutoDetectDirectoryLocations"}},
				{line: 28, run: 2, time: "2006-03-15T00:52:30Z", message: "Setup completed"},
			},
		},
		{
			file: "ex2007-ccr-upgradecms.log", node: "OTHER", events: 69, wantN: "EXCCR-N2",
			runs: []runWant{
				{line: 2, time: "2008-03-15T23:48:31Z", quality: parse.TimeLocalUnknownOffset, fields: map[string]string{
					"generation": "2007/2010", "product": "2007", "setup_version": "8.1.240.6",
					"previous_version": "8.0.685.24", "installed_version": "8.0.685.24", "mode": "upgrade",
					"installation_mode": "BuildToBuildUpgrade", "params": `mode=upgrade; sourcedir=D:\E2K7SP1`,
					"param.mode": "upgrade", "param.sourcedir": `D:\E2K7SP1`,
					"command_line": `/mode:upgrade /sourcedir:D:\E2K7SP1`, "roles": "MailboxRole AdminToolsRole",
					"user": `CONTOSO\exadmin`, "dc": "CON-DC02.contoso.com", "computer": "",
					"result": "success", "result_text": "The Microsoft Exchange Server setup operation completed successfully.",
					"start": "2008-03-15T23:48:31Z", "end": "2008-03-16T00:16:05Z", "duration": "27m34s",
					"errors": "0", "first_error_line": "", "last_line": "47", "tz": "", "tz_offset": ""}},
				{line: 49, time: "2008-03-16T00:41:07Z", quality: parse.TimeLocalUnknownOffset, fields: map[string]string{
					"mode": "upgradecms", "param.upgradecms": "true", "params": "upgradecms=", "command_line": "/upgradeCMS",
					"previous_version": "", "installed_version": "8.1.240.6", "result": "failed",
					"result_text": "The Microsoft Exchange Server setup operation did not complete. Visit http://support.microsoft.com and enter the Error ID to find more information.",
					"errors":      "2", "first_error_line": "64", "last_line": "74", "duration": "1m56s", "end_seen": "true"}},
			},
			records: []recWant{
				{line: 1, run: 1, time: "2008-03-15T23:48:31Z", fields: map[string]string{"thread": "0"}},
				{line: 6, run: 1, fields: map[string]string{"param_name": "mode", "param_value": "upgrade"}},
				{line: 28, run: 1, message: "Executing: \n          . \"$RoleInstallPath", fields: map[string]string{"lines": "4"}},
				{line: 27, run: 1, fields: map[string]string{"component": "Mailbox Service Control"}},
				{line: 39, run: 1, level: parse.LevelWarning, fields: map[string]string{"severity": "WARNING", "thread": "2"}},
				{line: 40, run: 1, time: "2008-03-16T00:00:03Z"},
				{line: 42, run: 1, time: "2008-03-16T00:12:30Z"},
				{line: 47, run: 1},
				{line: 48, run: 2},
				{line: 64, run: 2, level: parse.LevelError, fields: map[string]string{"severity": "ERROR"}},
				{line: 66, run: 2, level: parse.LevelInfo, fields: map[string]string{"lines": "3"}},
			},
		},
		{
			file: "ex2013-success.log", node: "", events: 71, wantN: "EX16-N1",
			runs: []runWant{
				{line: 2, time: "2022-04-26T18:02:11.534Z", quality: parse.TimeLocalKnownOffset, fields: map[string]string{
					"generation": "2013+", "product": "2016", "setup_version": "15.1.2507.6",
					"previous_version": "15.1.2375.7", "installed_version": "15.1.2375.7", "mode": "Upgrade",
					"installation_mode": "BuildToBuildUpgrade",
					"params":            `mode=Upgrade; iacceptexchangeserverlicenseterms_diagnosticdataoff=; sourcedir=E:\`,
					"param.iacceptexchangeserverlicenseterms_diagnosticdataoff": "true",
					"computer": "EX16-N1.fabrikam.local", "dc": "FAB-DC01.fabrikam.local", "user": `FABRIKAM\exadmin`,
					"tz": "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "tz_offset": "+01:00",
					"result": "success", "result_text": "The Exchange Server setup operation completed successfully.",
					"current_result": "0", "start": "2022-04-26T18:02:11.534Z", "end": "2022-04-26T19:11:48.024Z",
					"duration": "1h9m36.49s", "errors": "0", "error_frames": "0", "watermark": "", "install_watermark": "False",
					"last_line": "75"}},
			},
			records: []recWant{
				// Held until line 4 stated the zone, then converted.
				{line: 1, run: 1, time: "2022-04-26T18:02:11.518Z"},
				{line: 17, run: 1, message: "File copy complete.  Setup will now collect additional information needed for installation.", fields: map[string]string{"lines": "2"}},
				{line: 43, run: 1, fields: map[string]string{"eval_kind": "Setting", "eval_name": "ComputerNameDnsFullyQualified",
					"eval_value": "EX16-N1.fabrikam.local", "eval_parent": "<NULL>", "eval_has_exception": ""}},
				{line: 44, run: 1, fields: map[string]string{"eval_name": "Watermarks", "eval_value": "<NULL>", "eval_parent": "MailboxRole"}},
				{line: 59, run: 1, level: parse.LevelInfo, fields: map[string]string{"error_code": "0X8000500D", "error_code_dec": "20493",
					"native_function": "Status code check", "lines": "2"}},
				{line: 64, run: 1, level: parse.LevelWarning, time: "2022-04-26T18:41:52.664Z"},
			},
		},
		{
			file: "ex2019-cut-watermark.log", node: "", events: 25, wantN: "NW-EX19B",
			runs: []runWant{
				{line: 1, time: "2022-11-14T16:58:40.311Z", quality: parse.TimeLocalUnknownOffset, fields: map[string]string{
					"generation": "2013+", "product": "", "result": "failed",
					"result_text": "Setup is stopping now because of one or more critical errors.", "current_result": "1",
					"last_line": "8", "end_seen": "true"}},
				{line: 10, time: "2022-11-14T17:13:07.997Z", quality: parse.TimeLocalUnknownOffset, fields: map[string]string{
					"product": "2019", "setup_version": "15.2.1118.7", "previous_version": "15.2.986.5",
					"watermark": "MailboxRole=fd4c8a1e", "install_watermark": "True", "result": "failed",
					"end_seen": "false", "last_line": "27", "end": "2022-11-14T17:13:21.002Z", "tz": ""}},
			},
			records: []recWant{
				{line: 1, run: 1, message: "   at Microsoft.Exchange.Configuration.Tasks.Task.ProcessRecord()\n", fields: map[string]string{"lines": "2"}},
				{line: 9, run: 2},
				{line: 22, run: 2, fields: map[string]string{"eval_name": "OpenProcesses", "eval_has_exception": "true", "lines": "4",
					"eval_value":  "Microsoft.Exchange.Configuration.MonadDataProvider.MonadDataAdapterInvocationException: Access is denied ---> System.ComponentModel.Win32Exception: Access is denied\n   at Microsoft.Exchange.Management.Tasks.GetProcessModule.CreateProcessSnapshot()",
					"eval_parent": "<NULL>"}},
				{line: 26, run: 2, level: parse.LevelError, fields: map[string]string{"severity": "REQUIRED"}},
			},
		},
		{
			file: "ex2007-de-cp1252.log", node: "", events: 18, wantN: "MB-EX01",
			runs: []runWant{
				{line: 2, time: "2008-03-16T09:12:44Z", quality: parse.TimeLocalUnknownOffset, fields: map[string]string{
					"user": `MUELLERBAU\jürgen.weiß`, "param.sourcedir": `D:\Installationsmedien\Exchange 2007 Größe`,
					"param.roles": "Mailbox,ClientAccess,HubTransport", "result": "success", "duration": "18m18s"}},
			},
			records: []recWant{
				{line: 13, run: 1, message: "Processing component 'Mailbox File Copy' (Dateien werden kopiert: Größe 1,2 GB.)."},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			p := parseFile(t, filepath.Join("testdata", c.file), c.node, c.mod)
			if p.err != nil {
				t.Fatal(p.err)
			}
			if len(p.events) != c.events || p.rep.Events != c.events {
				t.Errorf("%d events emitted, report says %d, want %d", len(p.events), p.rep.Events, c.events)
			}
			for _, e := range p.events {
				if e.Node != c.wantN || e.Source != parse.SourceSetupLog || e.Provider != "ExchangeSetup" || e.Run < 1 {
					t.Fatalf("line %d: node %q source %q provider %q run %d", e.Line, e.Node, e.Source, e.Provider, e.Run)
				}
			}
			if len(p.runs) != len(c.runs) {
				t.Fatalf("%d runs, want %d", len(p.runs), len(c.runs))
			}
			p.check(t, c.runs, c.records)
			// Every physical line is one record's first line or a continuation.
			data, _ := os.ReadFile(filepath.Join("testdata", c.file))
			text := parse.DecodeHead(data)
			if _, sum := lineSum(p.events); sum != physicalLines(text) {
				t.Errorf("records span %d lines, the file has %d", sum, physicalLines(text))
			}
		})
	}
}

// The shared fixtures for bundle tests must stay the files tested here.
func TestSharedFixturesMatch(t *testing.T) {
	for _, name := range []string{"ex2003-node1-progress.log", "ex2007-sp1-upgrade-success.log", "ex2013-success.log"} {
		a := parsetest.ReadFile(t, filepath.Join("testdata", name))
		b := parsetest.ReadFile(t, filepath.Join(fixtures.Dir(), "setuplogs", name))
		if !bytes.Equal(a, b) {
			t.Errorf("fixtures/setuplogs/%s differs from parse/setuplog/testdata/%s", name, name)
		}
		if !bytes.Contains(a, []byte("\r\n")) {
			t.Errorf("%s lost its CRLF line endings", name)
		}
	}
	// The upgradeCMS fixture starts with the whole successful upgrade run.
	ok, _ := os.ReadFile(filepath.Join("testdata", "ex2007-sp1-upgrade-success.log"))
	ccr, _ := os.ReadFile(filepath.Join("testdata", "ex2007-ccr-upgradecms.log"))
	if !bytes.HasPrefix(ccr, ok) {
		t.Error("ex2007-ccr-upgradecms.log does not start with ex2007-sp1-upgrade-success.log")
	}
}

// A UTF-16LE copy must read exactly like the UTF-8 original.
func TestUTF16MatchesUTF8(t *testing.T) {
	a := parseFile(t, "testdata/ex2013-success.log", "", time.Time{})
	b := parseFile(t, "testdata/ex2013-success-utf16le.log", "", time.Time{})
	if a.err != nil || b.err != nil {
		t.Fatal(a.err, b.err)
	}
	if len(a.events) != len(b.events) {
		t.Fatalf("%d events vs %d", len(a.events), len(b.events))
	}
	for i := range a.events {
		x, y := *a.events[i], *b.events[i]
		x.File, y.File = "", ""
		jx, _ := json.Marshal(x)
		jy, _ := json.Marshal(y)
		if !bytes.Equal(jx, jy) {
			t.Fatalf("event %d differs:\n%s\n%s", i, jx, jy)
		}
	}
}

func Test2003WithoutFileTime(t *testing.T) {
	p := parseFile(t, "testdata/ex2003-node1-progress.log", "NODE1", time.Time{})
	if p.err != nil {
		t.Fatal(p.err)
	}
	e := p.record(t, 12)
	if !e.Time.IsZero() || e.TimeQuality != parse.TimeNone || e.Field("time_of_day") != "00:00:02" {
		t.Errorf("line 12: time %v quality %s time_of_day %q", e.Time, e.TimeQuality, e.Field("time_of_day"))
	}
	if len(p.rep.Problems) != 1 || !strings.Contains(p.rep.Problems[0].Reason, "no file time") {
		t.Errorf("problems %+v", p.rep.Problems)
	}
	if r := p.runs[0]; r.TimeQuality != parse.TimeNone || r.Field("start") != "" || r.Field("result") != "failed" {
		t.Errorf("run 1: quality %s start %q result %q", r.TimeQuality, r.Field("start"), r.Field("result"))
	}
}

func TestSniff(t *testing.T) {
	yes := map[string][]byte{}
	for _, name := range []string{"ex2003-node1-progress.log", "ex2007-ccr-upgradecms.log", "ex2007-de-cp1252.log",
		"ex2013-success.log", "ex2013-success-utf16le.log", "ex2019-cut-watermark.log"} {
		data := parsetest.ReadFile(t, filepath.Join("testdata", name))
		yes[name] = data
	}
	yes["one 2003 line"] = []byte("[09:15:00] Setup completed\r\n")
	yes["blank lines first"] = []byte("\r\n\r\n[04/26/2022 19:02:11.0518] [0] x\r\n")
	no := map[string][]byte{
		"cluster log":  []byte("00000a2c.00000e94::2021/03/11-17:42:38.206 INFO  [RCM] rcm::RcmGroup::Move: (Cluster Group)\n00000a2c.00000e94::2021/03/11-17:42:38.206 INFO  [RCM] x\n"),
		"reg export":   []byte("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Exchange\\v8.0]\r\n"),
		"evtx":         append([]byte("ElfFile\x00"), make([]byte, 120)...),
		"inventory":    []byte("Name      State   Id\r\n----      -----   --\r\nNODE1     Up      1\r\n"),
		"bracketed":    []byte("[INFO] 2021-03-11 started\n[INFO] done\n"),
		"2003 alone":   []byte("[09:15:00] one\nsome text\nmore text\n"),
		"empty":        nil,
		"date no time": []byte("[03/13/2021] [0] text\n"),
	}
	for name, data := range yes {
		if len(data) > parse.SniffSize {
			data = data[:parse.SniffSize]
		}
		if !(Parser{}).Sniff(data) {
			t.Errorf("%s: not recognised", name)
		}
	}
	for name, data := range no {
		if (Parser{}).Sniff(data) {
			t.Errorf("%s: wrongly claimed", name)
		}
	}
}

func TestTimeZoneHolding(t *testing.T) {
	var b strings.Builder
	// A zone line within the first records is applied to the run's
	// earlier records too.
	b.WriteString("[05/02/2023 10:00:00.0001] [0] Starting Microsoft Exchange Server 2019 Setup\n")
	b.WriteString("[05/02/2023 10:00:00.0002] [0] Local time zone: (UTC) Coordinated Universal Time.\n")
	b.WriteString("[05/02/2023 10:00:00.0003] [0] End of Setup\n")
	// A zone line that comes after maxTZWait records is not applied.
	b.WriteString("[05/02/2023 11:00:00.0000] [0] Starting Microsoft Exchange Server 2019 Setup\n")
	for i := 0; i < maxTZWait+5; i++ {
		b.WriteString("[05/02/2023 11:00:01.0000] [1] filler\n")
	}
	b.WriteString("[05/02/2023 11:00:02.0000] [0] Local time zone: (UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi.\n")
	// A zone with an offset moves the times.
	b.WriteString("[05/02/2023 12:00:00.0000] [0] Starting Microsoft Exchange Server 2019 Setup\n")
	b.WriteString("[05/02/2023 12:00:00.0000] [0] Local time zone: (UTC-03:30) Newfoundland.\n")
	p := parseData(t, "tz.log", []byte(b.String()), "N", time.Time{})
	if p.err != nil || len(p.runs) != 3 {
		t.Fatalf("err %v, %d runs", p.err, len(p.runs))
	}
	checkFields(t, "run 1", p.runs[0], map[string]string{"tz_offset": "+00:00", "tz": "(UTC) Coordinated Universal Time"})
	if r := p.runs[0]; r.TimeQuality != parse.TimeLocalKnownOffset || !r.Time.Equal(mustTime(t, "2023-05-02T10:00:00.001Z")) {
		t.Errorf("run 1: %s %s", r.TimeQuality, r.Time)
	}
	checkFields(t, "run 2", p.runs[1], map[string]string{"tz_offset": "+05:30"})
	if r := p.runs[1]; r.TimeQuality != parse.TimeLocalUnknownOffset || !r.Time.Equal(mustTime(t, "2023-05-02T11:00:00Z")) {
		t.Errorf("run 2: %s %s", r.TimeQuality, r.Time)
	}
	if r := p.runs[2]; r.TimeQuality != parse.TimeLocalKnownOffset || !r.Time.Equal(mustTime(t, "2023-05-02T15:30:00Z")) {
		t.Errorf("run 3: %s %s", r.TimeQuality, r.Time)
	}
	if e := p.record(t, 1); e.TimeQuality != parse.TimeLocalKnownOffset {
		t.Errorf("line 1 quality %s", e.TimeQuality)
	}
}

func TestDamagedInput(t *testing.T) {
	t.Run("bad date kept without time", func(t *testing.T) {
		p := parseData(t, "x.log", []byte("[13/45/2021 10:00:00.0001] [0] odd\n[03/13/2021 10:00:01.0001] [0] fine\n"), "N", time.Time{})
		if p.err != nil || len(p.events) != 3 {
			t.Fatalf("err %v, %d events", p.err, len(p.events))
		}
		if e := p.record(t, 1); e.TimeQuality != parse.TimeNone || e.Message != "odd" {
			t.Errorf("line 1: %s %q", e.TimeQuality, e.Message)
		}
		if len(p.rep.Problems) != 1 || p.rep.Problems[0].Where != "line 1" {
			t.Errorf("problems %+v", p.rep.Problems)
		}
	})
	t.Run("not a setup log", func(t *testing.T) {
		p := parseData(t, "x.bin", []byte("\x00\x01garbage\nno records here\n"), "N", time.Time{})
		if !errors.Is(p.err, parse.ErrNotFormat) || len(p.events) != 0 {
			t.Errorf("err %v, %d events", p.err, len(p.events))
		}
	})
	t.Run("cut mid record", func(t *testing.T) {
		data, _ := os.ReadFile("testdata/ex2013-success.log")
		cut := data[:bytes.Index(data, []byte("ScSetupAtom"))+5]
		p := parseData(t, "cut.log", cut, "N", time.Time{})
		if p.err != nil || len(p.runs) != 1 || p.runs[0].Field("result") != "incomplete" {
			t.Fatalf("err %v runs %d", p.err, len(p.runs))
		}
		if _, sum := lineSum(p.events); sum != physicalLines(string(cut)) {
			t.Errorf("records span %d lines, the text has %d", sum, physicalLines(string(cut)))
		}
	})
	t.Run("overlong line", func(t *testing.T) {
		long := "[03/13/2021 10:00:00.0001] [0] " + strings.Repeat("x", parse.MaxLineBytes+10) + "\n[03/13/2021 10:00:01.0001] [0] next\n"
		p := parseData(t, "long.log", []byte(long), "N", time.Time{})
		if p.err != nil || len(p.events) != 3 || len(p.rep.Problems) != 1 || p.rep.Problems[0].Where != "line 1" {
			t.Errorf("err %v events %d problems %+v", p.err, len(p.events), p.rep.Problems)
		}
	})
	t.Run("emit error returned unchanged", func(t *testing.T) {
		parsetest.CheckEmitError(t, Parser{}, parsetest.Bytes("x", parsetest.ReadFile(t, "testdata/ex2013-success.log")), 5)
	})
	t.Run("open fails", func(t *testing.T) {
		bad := errors.New("gone")
		in := &parse.Input{Path: "x", Open: func() (io.ReadCloser, error) { return nil, bad }}
		if err := (Parser{}).Parse(context.Background(), in, &parse.Report{}, func(*parse.Event) error { return nil }); !errors.Is(err, bad) {
			t.Errorf("err %v", err)
		}
	})
}

func TestNameAndInterface(t *testing.T) {
	var p parse.Parser = Parser{}
	if p.Name() != parse.SourceSetupLog {
		t.Errorf("name %q", p.Name())
	}
}

func TestContinuationJoining(t *testing.T) {
	text := "[05/02/2023 10:00:00.0001] [1] Executing: \r\n\t$a = 1\r\n\r\n\t$b = 2  \r\n\r\n\r\n[05/02/2023 10:00:00.0002] [1] next\r\n"
	p := parseData(t, "join.log", []byte(text), "N", time.Time{})
	if p.err != nil {
		t.Fatal(p.err)
	}
	e := p.record(t, 1)
	// Blank lines inside the text stay; trailing ones are counted only.
	if want := "Executing: \n\t$a = 1\n\n\t$b = 2"; e.Message != want || e.Field("lines") != "6" {
		t.Errorf("message %q lines %q, want %q and 6", e.Message, e.Field("lines"), want)
	}
	if e := p.record(t, 7); e.Message != "next" || e.Field("lines") != "" {
		t.Errorf("line 7: %q lines %q", e.Message, e.Field("lines"))
	}
}
