package detect

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/bundle"
	"github.com/exlog/exlog/parse/evt"
	"github.com/exlog/exlog/parse/formats"
)

// parsers is every format parser, with the legacy EVT reader added when
// the shared list does not have it yet.
func parsers() []parse.Parser {
	ps := formats.All()
	if formats.Lookup(parse.SourceEVT) == nil {
		ps = append(ps, evt.Parser{})
	}
	return ps
}

// parseAll parses bundle paths and returns their events sorted, failing on
// files no parser read.
func parseAll(t *testing.T, paths ...string) []*parse.Event {
	t.Helper()
	var evs []*parse.Event
	var mu sync.Mutex // parse workers emit concurrently
	reports, err := bundle.Parse(context.Background(), paths, parsers(), bundle.Options{}, func(e *parse.Event) error {
		mu.Lock()
		evs = append(evs, e)
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reports {
		if r.Status != parse.StatusOK && r.Status != parse.StatusPartial && !strings.HasSuffix(r.Path, ".md") {
			t.Errorf("%s: %s %s", r.Path, r.Status, r.Error)
		}
	}
	SortEvents(evs)
	return evs
}

func kinds(bs []BuildObs) string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Kind+" "+b.Build)
	}
	return strings.Join(out, ", ")
}

// TestBuildsOfCorpusSetupRuns reads real setup logs: what each run says
// about the node's build. Expected values were read from the logs with
// grep ("Setup version", "previously installed version", "locally
// installed version", the mode parameter).
func TestBuildsOfCorpusSetupRuns(t *testing.T) {
	dir := fixtures.Corpus(t, "setuplogs")
	for _, c := range []struct {
		file, node string
		obs        string // kinds and builds of the run, in time order
		current    string // Current build and kind
	}{
		// /PrepareAD from CU17 media on a CU8 server: the local build is
		// what the node runs; the setup build is not installed.
		{"e2016cu17-preparead-wrong-group-type.log", "SOLO-E16A",
			"installed 15.1.1531.3, setup-failed 15.1.2044.4", "installed 15.1.1531.3"},
		// A failed upgrade: the build it started from is still the node's.
		{"e2016cu18-upgrade-fips-access-denied.log", "EXSVR1",
			"previous 15.1.1713.5, setup-failed 15.1.2106.2", "previous 15.1.1713.5"},
		// Prerequisites failed before anything changed: the local build
		// equals the previous one and adds nothing.
		{"e2013cu23-upgrade-prereq-dc-out-of-site.log", "EXSVR1",
			"previous 15.0.1395.4, setup-failed 15.0.1497.2", "previous 15.0.1395.4"},
	} {
		t.Run(c.file, func(t *testing.T) {
			f := DeriveFacts(parseAll(t, filepath.Join(dir, c.file)))
			n := f.Node(c.node)
			if n == nil {
				t.Fatalf("no node %s in %+v", c.node, f.Nodes)
			}
			if got := kinds(n.Builds); got != c.obs {
				t.Errorf("observations: %s, want %s", got, c.obs)
			}
			cur, ok := n.Current()
			if got := cur.Kind + " " + cur.Build; !ok || got != c.current {
				t.Errorf("current: %s (%v), want %s", got, ok, c.current)
			}
		})
	}
}

// TestNoExchangeBuildsInWindowsLogs runs the build timeline over the real
// EVTX corpus, which holds no Exchange event at all: no banner or version
// there may be taken for an Exchange build.
func TestNoExchangeBuildsInWindowsLogs(t *testing.T) {
	dir := fixtures.Corpus(t, "evtx")
	evs := parseAll(t, dir)
	if len(evs) < 10000 {
		t.Fatalf("only %d events parsed from the corpus", len(evs))
	}
	for _, e := range evs {
		if bs := buildsOf(e); len(bs) > 0 {
			t.Errorf("%s record %d (%s %d) gave builds %s: %s", e.File, e.Record, e.Provider, e.EventID, kinds(bs), e.Message)
		}
	}
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func evt1(node, src, provider string, id int, t string, msg string, fields map[string]string) *parse.Event {
	e := &parse.Event{Node: node, Source: src, Provider: provider, EventID: id, File: node + "/" + src, Message: msg, Fields: fields}
	if t != "" {
		e.Time, e.TimeQuality = at(t), parse.TimeUTC
	} else {
		e.TimeQuality = parse.TimeNone
	}
	return e
}

func TestBuildsOfSources(t *testing.T) {
	for _, c := range []struct {
		name string
		e    *parse.Event
		want string
	}{
		{"ESE engine version keeps major.minor.build",
			evt1("N1", parse.SourceEVT, "ESE", 100, "2007-06-12T06:55:02Z", "ESE database engine '6.05.7226.0000' started",
				map[string]string{"version": "6.05.7226.0000", "provider_family": "ese"}), "event 6.5.7226"},
		{"MSExchangeSetup 1000", evt1("N1", parse.SourceEVTX, "MSExchangeSetup", 1000, "2008-01-19T07:10:04Z", "",
			map[string]string{"version": "8.1.240.6", "action": "setup-started"}), "setup-event-started 8.1.240.6"},
		{"MSExchangeSetup 1001", evt1("N1", parse.SourceEVTX, "MSExchangeSetup", 1001, "2008-01-19T07:48:19Z", "",
			map[string]string{"version": "8.1.240.6", "action": "setup-succeeded"}), "setup-event-succeeded 8.1.240.6"},
		{"role ConfiguredVersion", evt1("N1", parse.SourceRegistry, "", 0, "", "",
			map[string]string{"value_name": "ConfiguredVersion", "value": "8.1.0240.006", "exchange_role": "MailboxRole"}), "registry 8.1.240.6"},
		{"role UnpackedVersion", evt1("N1", parse.SourceRegistry, "", 0, "", "",
			map[string]string{"value_name": "UnpackedVersion", "value": "8.2.0176.002", "exchange_role": "MailboxRole"}), "unpacked 8.2.176.2"},
		{"CMS ConfiguredVersion is the clustered server's", evt1("N1", parse.SourceRegistry, "", 0, "", "",
			map[string]string{"value_name": "ConfiguredVersion", "value": "8.1.0240.006", "exchange_role": "ClusteredMailboxServer"}), ""},
		{"POP3 banner", evt1("N1", parse.SourceEVT, "POP3Svc", 1000, "2007-06-12T07:00:00Z",
			"POP3Svc event 1000: Microsoft Exchange Server 2003 POP3 server version 6.5.7638.1 (node1.contoso.com) starting.", nil), "banner 6.5.7638.1"},
		{"display form", evt1("N1", parse.SourceEVTX, "MSExchangeSA", 9999, "2007-06-12T07:00:00Z",
			"MSExchangeSA event 9999: Exchange server EVS1 reports Version 6.5 (Build 7638.2: Service Pack 2)", nil), "banner 6.5.7638.2"},
		{"Windows display form is not Exchange", evt1("N1", parse.SourceEVTX, "EventLog", 6009, "2009-09-15T07:00:00Z",
			"EventLog event 6009: Microsoft (R) Windows (R) Version 6.0 (Build 6002: Service Pack 2) Multiprocessor Free.", nil), ""},
		{"Windows version with Exchange words is not an Exchange build", evt1("N1", parse.SourceEVTX, "MSExchangeIS", 9999, "2009-09-15T07:00:00Z",
			"Exchange store on Version 6.1 (Build 7601: Service Pack 1)", nil), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := kinds(buildsOf(c.e)); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func run(node, start, end, mode, result string, fields map[string]string) *parse.Event {
	e := evt1(node, parse.SourceSetupLog, "ExchangeSetup", 0, start, "run", map[string]string{"mode": mode, "result": result, "end": end})
	e.Kind = "setup-run"
	e.File = node + "/ExchangeSetup.log"
	for k, v := range fields {
		e.Fields[k] = v
	}
	return e
}

func TestSetupRunsThatLeaveBinariesAlone(t *testing.T) {
	prep := run("N1", "2020-12-23T08:28:02Z", "2020-12-23T08:28:58Z", "preparead", "success",
		map[string]string{"setup_version": "15.1.2044.4", "installed_version": "15.1.1531.3"})
	cms := run("N1", "2020-12-24T08:00:00Z", "2020-12-24T08:10:00Z", "", "success",
		map[string]string{"setup_version": "8.1.240.6", "param.upgradecms": "true"})
	n := DeriveFacts([]*parse.Event{prep, cms}).Node("N1")
	if got := kinds(n.Builds); got != "installed 15.1.1531.3, setup-succeeded 15.1.2044.4, setup-succeeded 8.1.240.6" {
		t.Fatalf("observations: %s", got)
	}
	for _, b := range n.Builds[1:] {
		if b.Installed() {
			t.Errorf("%s %s (mode %s) counted as installed", b.Kind, b.Build, b.Mode)
		}
	}
	if cur, _ := n.Current(); cur.Build != "15.1.1531.3" {
		t.Errorf("current = %s", cur.Build)
	}
}

func TestBuildAt(t *testing.T) {
	ese := func(tm, v string) *parse.Event {
		return evt1("N1", parse.SourceEVT, "ESE", 100, tm, "", map[string]string{"version": v, "provider_family": "ese"})
	}
	up := run("N1", "2008-03-08T08:20:00Z", "2008-03-08T08:55:00Z", "Upgrade", "success",
		map[string]string{"setup_version": "6.5.7638.2", "previous_version": "6.5.7226.6"})
	evs := []*parse.Event{ese("2008-03-08T06:40:00Z", "6.05.7226.0000"), up, ese("2008-03-08T09:11:00Z", "6.05.7638.0000")}
	SortEvents(evs)
	n := DeriveFacts(evs).Node("N1")
	for _, c := range []struct{ at, want string }{
		{"2008-03-08T06:00:00Z", "event 6.5.7226"},      // before anything: the first later sighting
		{"2008-03-08T08:30:00Z", "previous 6.5.7226.6"}, // during the run
		{"2008-03-08T09:00:00Z", "setup-succeeded 6.5.7638.2"},
	} {
		b, ok := n.BuildAt(at(c.at))
		if got := b.Kind + " " + b.Build; !ok || got != c.want {
			t.Errorf("BuildAt(%s) = %s (%v), want %s", c.at, got, ok, c.want)
		}
	}
	// After 06:40 the next setup activity is the run at 08:20: only what
	// the run started from is known to have run until then.
	if got := kinds(n.BuildsAfter(at("2008-03-08T07:00:00Z"))); got != "previous 6.5.7226.6" {
		t.Errorf("BuildsAfter(07:00) = %s", got)
	}
	if got := kinds(n.BuildsAfter(at("2008-03-08T09:00:00Z"))); got != "event 6.5.7638" {
		t.Errorf("BuildsAfter(09:00) = %s", got)
	}
}

func TestCompareBuilds(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
		ok   bool
	}{
		{"08.01.0240.005", "8.1.240.6", 0, true}, // ESE's revision is not Exchange's
		{"6.5.7226.6", "6.5.7638.2", -1, true},
		{"15.1.2106.2", "15.0.1497.2", 1, true},
		{"8.1", "8.1.240.6", 0, false},
		{"unknown", "8.1.240.6", 0, false},
	} {
		got, ok := CompareBuilds(c.a, c.b)
		if got != c.want || ok != c.ok {
			t.Errorf("CompareBuilds(%s, %s) = %d, %v", c.a, c.b, got, ok)
		}
	}
}

// TestScenarioVersionFacts reads the committed scenario bundles: the
// clustered servers' builds, the Windows builds and cluster names.
func TestScenarioVersionFacts(t *testing.T) {
	root := filepath.Join(fixtures.Dir(), "scenarios")
	f := DeriveFacts(parseAll(t, filepath.Join(root, "ex2003-rolling-upgrade-4node")))
	evs := f.Versions.Servers["EVS1"]
	if len(evs) != 1 || evs[0].Kind != ServerEVSUpgraded || evs[0].Node != "NODE2" || evs[0].Build != "6.5.7638" ||
		!evs[0].Time.Equal(at("2007-06-12T09:06:41Z")) {
		t.Errorf("EVS1 builds: %+v", evs)
	}
	if evs := f.Versions.Servers["EVS2"]; len(evs) != 1 || evs[0].Node != "NODE1" || evs[0].Build != "6.5.7638" {
		t.Errorf("EVS2 builds: %+v", evs)
	}
	for _, n := range []string{"NODE1", "NODE2", "NODE3", "NODE4"} {
		ws := f.Versions.Windows[n]
		if len(ws) != 1 || ws[0].String() != "5.2.3790 Service Pack 2" || ws[0].Source != "cluster hive" {
			t.Errorf("%s Windows: %+v", n, ws)
		}
		if f.Versions.ClusterOf[n] != "EXCLUS1" {
			t.Errorf("%s cluster %q", n, f.Versions.ClusterOf[n])
		}
	}

	f = DeriveFacts(parseAll(t, filepath.Join(root, "healthy-ex2007-ccr-sp1")))
	list := f.Versions.Servers["E2K7CCR"]
	if len(list) != 3 || list[0].Kind != ServerCMSUpgraded || list[0].Node != "NODE2" || list[0].Build != "8.1.240.6" ||
		!list[0].Time.Equal(at("2008-01-19T08:25:03Z")) || list[1].Kind != ServerCMSRegistry || list[2].Kind != ServerCMSRegistry {
		t.Errorf("E2K7CCR builds: %+v", list)
	}
	if n := f.Node("NODE1"); n != nil {
		if b, ok := n.BuildAt(at("2008-01-19T10:05:09Z")); !ok || b.Build != "8.1.240.6" || !b.Time.Equal(at("2008-01-19T09:40:51Z")) {
			t.Errorf("NODE1 at the move back: %+v", b)
		}
	}

	f = DeriveFacts(parseAll(t, filepath.Join(root, "ws2016-nodedown-pingpong")))
	for _, n := range []string{"NODE1", "NODE2", "NODE3"} {
		ws := f.Versions.Windows[n]
		if len(ws) == 0 {
			t.Errorf("%s: no Windows build", n)
			continue
		}
		for _, w := range ws {
			if w.Build != 14393 {
				t.Errorf("%s: %+v", n, w)
			}
		}
	}
}
