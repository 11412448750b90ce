package setuplog

import (
	"bytes"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

func corpusFiles(t testing.TB) []string {
	files := fixtures.CorpusGlob(t, "setuplogs", "*.log")
	if len(files) != 26 {
		t.Fatalf("%d corpus logs, want 26", len(files))
	}
	return files
}

// TestCorpusInvariants checks every real log against counts taken from the
// bytes without the parser.
func TestCorpusInvariants(t *testing.T) {
	for _, f := range corpusFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data := parsetest.ReadFile(t, f)
			if !(Parser{}).Sniff(data[:min(len(data), parse.SniffSize)]) {
				t.Error("Sniff rejects it")
			}
			p := parseData(t, filepath.Base(f), data, "", time.Time{})
			if p.err != nil || len(p.rep.Problems) != 0 {
				t.Fatalf("err %v, problems %+v", p.err, p.rep.Problems)
			}
			// [ERROR] records against a plain count of lines holding "] [ERROR]".
			wantErrors := 0
			for _, line := range bytes.Split(data, []byte("\n")) {
				if bytes.Contains(line, []byte("] [ERROR]")) {
					wantErrors++
				}
			}
			gotErrors, runErrors := 0, 0
			for _, e := range p.events {
				if e.Kind == "" && e.Field("severity") == "ERROR" {
					gotErrors++
				}
			}
			for _, r := range p.runs {
				n, _ := strconv.Atoi(r.Field("errors"))
				runErrors += n
			}
			if gotErrors != wantErrors || runErrors != wantErrors {
				t.Errorf("[ERROR] records %d, runs count %d, lines with \"] [ERROR]\" %d", gotErrors, runErrors, wantErrors)
			}
			// Records plus continuation lines make up every physical line.
			wantRecords := 0
			for _, line := range bytes.Split(data, []byte("\n")) {
				if len(line) > 0 && line[0] == '[' && len(line) > 2 && line[1] >= '0' && line[1] <= '9' {
					wantRecords++
				}
			}
			records, lines := lineSum(p.events)
			if records != wantRecords || lines != physicalLines(string(data)) {
				t.Errorf("%d records spanning %d lines; the file has %d record lines and %d lines",
					records, lines, wantRecords, physicalLines(string(data)))
			}
			if len(p.runs) == 0 {
				t.Fatal("no run")
			}
			for _, r := range p.runs {
				if r.Field("setup_version") == "" || r.Field("result") == "" || r.Field("generation") != "2013+" ||
					r.TimeQuality != parse.TimeLocalKnownOffset || r.Node == "" {
					t.Errorf("run %d: version %q result %q generation %q quality %s node %q", r.Run,
						r.Field("setup_version"), r.Field("result"), r.Field("generation"), r.TimeQuality, r.Node)
				}
			}
		})
	}
}

// TestCorpusValues asserts facts read from the files with grep.
func TestCorpusValues(t *testing.T) {
	dir := fixtures.Corpus(t, "setuplogs")
	cases := []struct {
		file    string
		node    string
		runs    []runWant
		records []recWant
	}{
		{
			file: "e2016cu18-upgrade-fips-access-denied.log", node: "EXSVR1",
			runs: []runWant{{line: 2, time: "2021-03-11T17:42:38.222Z", quality: parse.TimeLocalKnownOffset, fields: map[string]string{
				"product": "2016", "setup_version": "15.1.2106.2", "previous_version": "15.1.1713.5",
				"installed_version": "15.1.2106.2", "mode": "Upgrade", "installation_mode": "BuildToBuildUpgrade",
				"tz_offset": "-06:00", "user": `SOLO\Han`, "dc": "DC2.Solo.local", "computer": "ExSvr1.Solo.local",
				"result": "failed", "current_result": "1", "errors": "4", "first_error_line": "107",
				"last_line": "164", "end_seen": "true", "end": "2021-03-11T18:06:23.02Z",
				"command_line": `/IAcceptExchangeServerLicenseTerms /Mode:Upgrade /sourcedir:G:"`}}},
			records: []recWant{
				{line: 1, run: 1, time: "2021-03-11T17:42:38.206Z"},
				{line: 117, run: 1, level: parse.LevelError, fields: map[string]string{"severity": "ERROR", "lines": "34"}},
				{line: 152, run: 1, level: parse.LevelInfo, fields: map[string]string{"severity": "ERROR-REFERENCE",
					"errref_id":        "BridgeheadComponent___9FAA17C4-73D7-4E6D-9012-6274971434D5",
					"errref_task":      "BridgeheadComponent",
					"errref_component": `EXCHANGE14:\Current\Release\Shared\Datacenter\Setup`}},
			},
		},
		{
			file: "e2019cu8-prepareschema-prereq-not-enterprise-admin.log", node: "SOLO-E19A",
			runs: []runWant{
				{line: 2, time: "2020-12-19T12:47:15.315Z", quality: parse.TimeLocalKnownOffset, fields: map[string]string{
					"mode": "prepareschema", "params": "", "result": "failed", "current_result": "1",
					"result_text": "[ERROR] The mode 'prepareschema' is not a valid mode.", "errors": "1", "first_error_line": "9", "last_line": "18"}},
				{line: 20, time: "2020-12-19T12:47:34.547Z", quality: parse.TimeLocalKnownOffset, fields: map[string]string{
					"mode": "prepareschema", "param.prepareschema": "true", "setup_version": "15.2.792.3",
					"result": "failed", "errors": "6", "last_line": "873"}},
			},
			records: []recWant{{line: 18, run: 1}, {line: 19, run: 2}},
		},
		{
			// CurrentResult is 0 but setup stopped on critical errors.
			file: "e2016cu23-install-servicecontrol-reverse.log", node: "EXSVR1",
			runs: []runWant{{line: 2, quality: parse.TimeLocalKnownOffset, fields: map[string]string{
				"setup_version": "15.1.2507.6", "mode": "Install", "current_result": "0", "result": "failed",
				"result_text": "Setup is stopping now because of one or more critical errors.", "tz_offset": "-05:00"}}},
		},
		{
			// The log stops before End of Setup.
			file: "e2013cu23-install-um-grammars-dir-missing.log", node: "EXSVR1",
			runs: []runWant{{line: 2, quality: parse.TimeLocalKnownOffset, fields: map[string]string{
				"setup_version": "15.0.1497.2", "previous_version": "15.0.1293.2", "mode": "Install",
				"installation_mode": "BuildToBuildUpgrade", "end_seen": "false", "result": "failed", "last_line": "141"}}},
		},
		{
			file: "e2016cu19-upgrade-run-from-bin.log", node: "EXSVR1",
			runs: []runWant{{line: 2, quality: parse.TimeLocalKnownOffset, fields: map[string]string{
				"setup_version": "15.1.2176.9", "installed_version": "15.1.2176.2", "previous_version": "", "result": "failed"}}},
		},
		{
			file: "e2013cu23-upgrade-prereq-dc-out-of-site.log", node: "EXSVR1",
			records: []recWant{{line: 468, run: 1, fields: map[string]string{
				"eval_kind": "Setting", "eval_name": "OpenProcesses", "eval_has_exception": "true",
				"eval_parent": "<NULL>", "lines": "29"}}},
		},
		{
			// Native frames and an IGNORING marker inside a 2016 PrepareAD.
			file: "e2016cu17-preparead-wrong-group-type.log", node: "SOLO-E16A",
			records: []recWant{
				{line: 866, run: 1, level: parse.LevelInfo, fields: map[string]string{"ignored": "true", "error_code": "0XC0070424",
					"native_function": "CService::ScQueryServiceConfig"}},
				{line: 868, run: 1, level: parse.LevelInfo, fields: map[string]string{"ignored": "true", "native_function": "ScGetClusterSvcDir"}},
				{line: 870, run: 1, fields: map[string]string{"ignored_errors": "2", "native_function": "CFileManager::ScAutoDetectDirectoryLocations"}},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			p := parseFile(t, filepath.Join(dir, c.file), "", time.Time{})
			if p.err != nil {
				t.Fatal(p.err)
			}
			if c.runs != nil && len(p.runs) != len(c.runs) {
				t.Fatalf("%d runs, want %d", len(p.runs), len(c.runs))
			}
			for i, r := range p.runs {
				if i < len(c.runs) && r.Node != c.node {
					t.Errorf("run %d: node %s, want %s", i+1, r.Node, c.node)
				}
			}
			p.check(t, c.runs, c.records)
		})
	}
}

// BenchmarkParseCorpus parses all 26 real logs per iteration.
func BenchmarkParseCorpus(b *testing.B) {
	var all [][]byte
	var size int64
	for _, f := range corpusFiles(b) {
		data := parsetest.ReadFile(b, f)
		all = append(all, data)
		size += int64(len(data))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range all {
			if p := parseData(b, "x.log", data, "", time.Time{}); p.err != nil {
				b.Fatal(p.err)
			}
		}
	}
}
