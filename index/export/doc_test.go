package export

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/all"
	"github.com/exlog/exlog/detect/detecttest"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/formats"
	"github.com/exlog/exlog/parse/parsetest"
	"github.com/exlog/exlog/parse/pipeline"
)

// readBundle parses a bundle and runs the detectors, as exlog export does.
func readBundle(t testing.TB, path string) ([]*parse.Event, []detect.Finding) {
	t.Helper()
	evs, _ := parsetest.Pipeline(t, pipeline.Options{Parsers: formats.All()}, path)
	return evs, detecttest.Detect(t, evs, all.Detectors()...)
}

// asMap is the document's nested JSON decoded generically.
func asMap(t testing.TB, d *Document) map[string]any {
	t.Helper()
	b, err := appendJSON(nil, d)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// at follows a dotted path through nested maps.
func at(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

func allFormats(t testing.TB) string {
	return filepath.Join(fixtures.Dir(), "bundles", "all-formats.zip")
}

func TestEventDocsOfEveryFormat(t *testing.T) {
	evs, _ := readBundle(t, allFormats(t))
	src := Source{Case: "00123", Bundle: "all-formats"}
	ids := map[string]bool{}
	seen := map[string]bool{}
	for _, ev := range evs {
		d := EventDoc(src, ev)
		if ids[d.ID] {
			t.Fatalf("duplicate ID %s (%s)", d.ID, ev.File)
		}
		ids[d.ID] = true
		if d.Event.ID != d.ID || !strings.HasSuffix(d.ID, "-"+ev.ID()) {
			t.Fatalf("ID %q / event.id %q does not end in the parse ID %q", d.ID, d.Event.ID, ev.ID())
		}
		m := asMap(t, d)
		if at(m, "exlog.bundle") != "all-formats" || at(m, "exlog.case") != "00123" || at(m, "exlog.source") != ev.Source ||
			(ev.NodeFrom != "" && at(m, "exlog.node_from") != ev.NodeFrom) {
			t.Fatalf("exlog identity fields wrong: %v", m["exlog"])
		}
		if at(m, "message") != ev.Message || at(m, "host.name") != ev.Node || at(m, "log.file.path") != ev.File {
			t.Fatalf("%s: message/host/file not carried over: %v", ev.ID(), m)
		}
		if ev.TimeQuality == parse.TimeNone {
			if _, ok := m["@timestamp"]; ok {
				t.Fatalf("%s: an event without a time got @timestamp %v", ev.ID(), m["@timestamp"])
			}
		} else if ts, _ := m["@timestamp"].(string); ts != ev.Time.UTC().Format(time.RFC3339Nano) {
			t.Fatalf("%s: @timestamp %q, want %s", ev.ID(), ts, ev.Time)
		}
		seen[ev.Source] = true
		if ev.NodeFrom != "" {
			seen["node_from"] = true
		}
		switch ev.Source {
		case parse.SourceEVTX:
			if ev.Record == 1 && strings.HasSuffix(ev.File, "Application.evtx") {
				// The first record of the fixture's Application.evtx.
				want := map[string]any{
					"event.code": "1000", "event.provider": "MSExchangeSetup", "log.level": "info",
					"winlog.channel": "Application", "winlog.computer_name": "NODE1.contoso.com",
					"winlog.record_id": "1", "winlog.event_id": "1000", "log.offset": 4608.0,
					"exlog.fields.component": "Clustered Mailbox Server",
					"exlog.fields.channel":   nil, "exlog.fields.computer": nil, "exlog.line": nil,
					"@timestamp": "2009-06-14T21:55:00Z", "exlog.time_quality": "utc",
				}
				for k, v := range want {
					if got := at(m, k); got != v {
						t.Errorf("evtx record 1: %s = %v, want %v", k, got, v)
					}
				}
				seen["evtx record 1"] = true
			}
		case parse.SourceSetupLog, parse.SourceClusterLog:
			if at(m, "exlog.line") != float64(ev.Line) || at(m, "log.offset") != nil || m["winlog"] != nil {
				t.Fatalf("%s: a text line should have exlog.line %d and no offset or winlog: %v", ev.ID(), ev.Line, m)
			}
			if ev.Run > 0 && at(m, "exlog.run") != float64(ev.Run) {
				t.Fatalf("%s: run %v, want %d", ev.ID(), at(m, "exlog.run"), ev.Run)
			}
		case parse.SourceEVT:
			if at(m, "winlog.record_id") == nil || at(m, "log.offset") == nil {
				t.Fatalf("%s: an EVT record needs winlog.record_id and log.offset: %v", ev.ID(), m)
			}
		}
		for k, v := range ev.Fields {
			inWinlog := (ev.Source == parse.SourceEVTX || ev.Source == parse.SourceEVT) && (k == fieldChannel || k == fieldComputer)
			if !inWinlog && d.Exlog.Fields[k] != v {
				t.Fatalf("%s: field %s = %q lost (exlog.fields has %q)", ev.ID(), k, v, d.Exlog.Fields[k])
			}
		}
	}
	for _, s := range []string{"evtx", "evt", "setuplog", "clusterlog", "reg", "inventory", "evtx record 1", "node_from"} {
		if !seen[s] {
			t.Errorf("the fixture bundle gave no %s event", s)
		}
	}

	// The IDs depend on the case and bundle, and only on them.
	other := EventDoc(Source{Case: "00124", Bundle: "all-formats"}, evs[0])
	same := EventDoc(Source{Case: "00123", Bundle: "all-formats"}, evs[0])
	if other.ID == same.ID || !ids[same.ID] {
		t.Errorf("IDs: case 00124 gave %s, case 00123 gave %s", other.ID, same.ID)
	}
}

func TestImplausibleTimeStaysOutOfTimestamp(t *testing.T) {
	// A damaged EVT record's year, as seen in the shared corpus.
	ev := &parse.Event{Time: time.Date(30828, 9, 14, 2, 48, 5, 0, time.UTC), TimeQuality: parse.TimeUTC,
		Source: parse.SourceEVT, File: "x.evt", Record: 7, Offset: 400, Message: "damaged"}
	m := asMap(t, EventDoc(Source{Bundle: "b"}, ev))
	if _, ok := m["@timestamp"]; ok {
		t.Errorf("@timestamp %v for year 30828", m["@timestamp"])
	}
	if got := at(m, "exlog.time_original"); got != "30828-09-14T02:48:05Z" {
		t.Errorf("exlog.time_original = %v", got)
	}
}

func TestFindingDocs(t *testing.T) {
	dir := fixtures.Scenario("ex2003-rolling-upgrade-4node")
	evs, fs := readBundle(t, dir)
	if len(fs) == 0 {
		t.Fatal("the scenario gave no findings")
	}
	src := Source{Bundle: "ex2003-rolling-upgrade-4node"}
	events := map[string]*Document{}
	for _, ev := range evs {
		d := EventDoc(src, ev)
		events[d.ID] = d
	}
	docs := FindingDocs(src, fs)
	_, fs2 := readBundle(t, dir)
	again := FindingDocs(src, fs2)
	if len(again) != len(docs) {
		t.Fatalf("second run: %d findings, first %d", len(again), len(docs))
	}
	ids := map[string]bool{}
	var mismatch *Document
	for i, d := range docs {
		if ids[d.ID] || events[d.ID] != nil {
			t.Fatalf("finding ID %s is not unique", d.ID)
		}
		ids[d.ID] = true
		if again[i].ID != d.ID {
			t.Errorf("finding %d: ID %s, then %s on a second run", i, d.ID, again[i].ID)
		}
		if d.Event.Kind != "alert" || d.Rule.ID != fs[i].Detector || d.Message != fs[i].Summary || d.Log.Level != fs[i].Severity.String() {
			t.Errorf("finding %d shaped wrong: %+v", i, d)
		}
		if len(d.Exlog.Finding.Evidence) != len(fs[i].Evidence) {
			t.Fatalf("finding %d: %d evidence, want %d", i, len(d.Exlog.Finding.Evidence), len(fs[i].Evidence))
		}
		if d.Exlog.TimeQuality != string(fs[i].TimeQuality) || d.Exlog.Finding.Confidence != fs[i].Confidence || d.Exlog.Finding.ConfidenceReason != fs[i].ConfidenceReason {
			t.Errorf("finding %d: time quality %q, confidence %q (%q); want %q, %q (%q)", i, d.Exlog.TimeQuality,
				d.Exlog.Finding.Confidence, d.Exlog.Finding.ConfidenceReason, fs[i].TimeQuality, fs[i].Confidence, fs[i].ConfidenceReason)
		}
		for j, e := range d.Exlog.Finding.Evidence {
			if want := fs[i].Evidence[j]; e.TimeQuality != string(want.TimeQuality) || e.Clock != want.Clock || e.Time != want.Time || e.Text != want.Text {
				t.Errorf("finding %d evidence %d: %+v, want %+v", i, j, e, want)
			}
			ev := events[e.EventID]
			if ev == nil {
				t.Errorf("finding %s: evidence %s names no exported event", d.ID, e.EventID)
				continue
			}
			if ev.Log.File.Path != e.File {
				t.Errorf("evidence %s: file %s, the event's %s", e.EventID, e.File, ev.Log.File.Path)
			}
		}
		if d.Rule.ID == "version-mismatch" && d.Exlog.Finding.Cause == "moved-to-older-node" {
			mismatch = d
		}
	}
	if mismatch == nil {
		t.Fatal("no version-mismatch finding (moved-to-older-node), which the scenario's golden file lists")
	}
	m := asMap(t, mismatch)
	for k, v := range map[string]any{
		"host.name": "NODE4", "event.kind": "alert", "event.dataset": "exlog.findings", "log.level": "error",
		"@timestamp": "2007-06-12T09:20:02.13Z", "event.end": "2007-06-12T09:20:26Z", "event.severity": 3.0,
		"exlog.finding.details.server": "EVS1",
	} {
		if got := at(m, k); got != v {
			t.Errorf("version-mismatch finding: %s = %v, want %v", k, got, v)
		}
	}
}

func TestFit(t *testing.T) {
	long := strings.Repeat("CN=Ä,", 100000) // 2- and 1-byte characters, 700 kB
	ev := &parse.Event{Time: time.Date(2021, 3, 8, 10, 33, 36, 0, time.UTC), TimeQuality: parse.TimeUTC,
		Source: parse.SourceSetupLog, File: "ExchangeSetup.log", Line: 9, Message: long}
	ev.SetField("dump", strings.Repeat(`"\`, 50000)) // escapes to twice its size
	ev.SetField("small", "kept")
	d := EventDoc(Source{Bundle: "b"}, ev)
	if Fit(d, 0) || Fit(d, 10<<20) {
		t.Fatal("Fit cut a document within the limit")
	}
	const limit = 64 << 10
	if !Fit(d, limit) {
		t.Fatal("Fit did not cut a 800 kB document")
	}
	b, _ := appendJSON(nil, d)
	if len(b) > limit {
		t.Errorf("%d bytes after Fit(%d)", len(b), limit)
	}
	if d.Exlog.Truncated["message"] != len(long) || d.Exlog.Truncated["exlog.fields.dump"] != 100000 {
		t.Errorf("truncated %v", d.Exlog.Truncated)
	}
	msg := strings.TrimSuffix(d.Message, " …")
	if !strings.HasPrefix(long, msg) || !utf8.ValidString(d.Message) || len(msg) < limit/8 {
		t.Errorf("message cut badly: %d bytes, valid UTF-8 %v", len(msg), utf8.ValidString(d.Message))
	}
	if d.Exlog.Fields["small"] != "kept" || ev.Message != long || len(ev.Fields["dump"]) != 100000 {
		t.Error("Fit changed what it should not have: a small field or the parsed event")
	}
}
