package detect

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	pfacts "github.com/exlog/exlog/parse/facts"
	"github.com/exlog/exlog/parse/formats"
	"github.com/exlog/exlog/parse/parsetest"
)

// parseAll parses bundle paths and returns their events sorted, failing on
// files no parser read.
func parseAll(t *testing.T, paths ...string) []*parse.Event {
	t.Helper()
	evs, reports := parsetest.Bundle(t, formats.All(), paths...)
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

// claimEvent is an event carrying one build claim, as a parser attaches
// it; the parsers' own tests check that they read these from their logs.
func claimEvent(node, src, tm string, c *pfacts.BuildClaim) *parse.Event {
	e := evt1(node, src, "", 0, tm, "line", nil)
	c.Time, c.TimeQuality = e.Time, e.TimeQuality
	e.AddFact(c)
	return e
}

func TestBuildsOfSources(t *testing.T) {
	for _, c := range []struct {
		name string
		e    *parse.Event
		want string
	}{
		{"ESE engine version", claimEvent("N1", parse.SourceEVT, "2007-06-12T06:55:02Z",
			&pfacts.BuildClaim{Build: "6.5.7226", Kind: pfacts.ClaimRunning}), "event 6.5.7226"},
		{"MSExchangeSetup 1000", claimEvent("N1", parse.SourceEVTX, "2008-01-19T07:10:04Z",
			&pfacts.BuildClaim{Build: "8.1.240.6", Kind: pfacts.AttemptStarted}), "setup-event-started 8.1.240.6"},
		{"MSExchangeSetup 1001", claimEvent("N1", parse.SourceEVTX, "2008-01-19T07:48:19Z",
			&pfacts.BuildClaim{Build: "8.1.240.6", Kind: pfacts.ClaimSetupEventSucceeded}), "setup-event-succeeded 8.1.240.6"},
		{"role ConfiguredVersion", claimEvent("N1", parse.SourceRegistry, "",
			&pfacts.BuildClaim{Build: "8.1.0240.006", Kind: pfacts.ClaimRegistry}), "registry 8.1.240.6"},
		{"role UnpackedVersion", claimEvent("N1", parse.SourceRegistry, "",
			&pfacts.BuildClaim{Build: "8.2.0176.002", Kind: pfacts.AttemptUnpacked}), "unpacked 8.2.176.2"},
		{"POP3 banner", claimEvent("N1", parse.SourceEVT, "2007-06-12T07:00:00Z",
			&pfacts.BuildClaim{Build: "6.5.7638.1", Kind: pfacts.ClaimBanner}), "banner 6.5.7638.1"},
		{"banner of a build no release has", claimEvent("N1", parse.SourceEVT, "2007-06-12T07:00:00Z",
			&pfacts.BuildClaim{Build: "6.5.1.1", Kind: pfacts.ClaimBanner}), ""},
		{"2003 service pack named, not its build", claimEvent("N1", parse.SourceSetupLog, "2008-03-08T10:14:29Z",
			&pfacts.BuildClaim{Release: "Exchange 2003 SP2", Kind: pfacts.ClaimSetupSucceeded}), "setup-succeeded 6.5.7638.2"},
		{"not a build", claimEvent("N1", parse.SourceEVT, "2007-06-12T07:00:00Z",
			&pfacts.BuildClaim{Build: "soon", Kind: pfacts.ClaimRunning}), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := kinds(buildsOf(c.e)); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// run is a setup-run summary with its facts, as the setup-log parser
// writes them: outcome, builds and the claims the outcome allows.
func run(node, start, end, mode string, outcome pfacts.Outcome, from, to string) *parse.Event {
	e := evt1(node, parse.SourceSetupLog, "ExchangeSetup", 0, start, "run", nil)
	e.Kind = parse.KindSetupRun
	e.File = node + "/ExchangeSetup.log"
	sr := &pfacts.SetupRun{Mode: mode, FromBuild: from, ToBuild: to, Outcome: outcome, Start: at(start), End: at(end),
		TimeQuality: parse.TimeUTC, ChangesBinaries: true, Decider: pfacts.Line{Line: 9, Text: "decided"}}
	e.AddFact(sr)
	if from != "" {
		e.AddFact(&pfacts.BuildClaim{Build: from, Kind: pfacts.ClaimPrevious, Time: sr.Start, TimeQuality: parse.TimeUTC, Mode: mode})
	}
	kind := map[pfacts.Outcome]string{pfacts.Succeeded: pfacts.ClaimSetupSucceeded, pfacts.Failed: pfacts.AttemptFailed,
		pfacts.Incomplete: pfacts.AttemptIncomplete}[outcome]
	e.AddFact(&pfacts.BuildClaim{Build: to, Kind: kind, Time: sr.End, TimeQuality: parse.TimeUTC, Mode: mode,
		Note: "upgrade to " + to + " " + string(outcome)})
	return e
}

func TestDuplicateRunsCountOnce(t *testing.T) {
	a := run("N1", "2008-03-08T08:20:00Z", "2008-03-08T08:55:00Z", "Upgrade", pfacts.Succeeded, "6.5.7226.6", "6.5.7638.2")
	b := run("N1", "2008-03-08T08:20:00Z", "2008-03-08T08:55:00Z", "Upgrade", pfacts.Incomplete, "6.5.7226.6", "6.5.7638.2")
	b.File = "N1/ExchangeSetup.log.bak"
	pfacts.SetupRunOf(a).Print, pfacts.SetupRunOf(a).Records = []uint64{1, 2, 3}, 30
	pfacts.SetupRunOf(b).Print, pfacts.SetupRunOf(b).Records = []uint64{1, 2}, 12 // a copy cut short
	loose := run("", "2008-03-08T08:20:00Z", "2008-03-08T08:55:00Z", "Upgrade", pfacts.Succeeded, "6.5.7226.6", "6.5.7638.2")
	loose.File = "loose/ExchangeSetup.log" // a copy whose folder names no server
	pfacts.SetupRunOf(loose).Print, pfacts.SetupRunOf(loose).Records = []uint64{1, 2, 3}, 30
	other := run("N2", "2008-03-08T08:20:00Z", "2008-03-08T08:55:00Z", "Upgrade", pfacts.Succeeded, "6.5.7226.6", "6.5.7638.2")
	pfacts.SetupRunOf(other).Print, pfacts.SetupRunOf(other).Records = []uint64{1, 2, 3}, 30 // another server
	dup := DuplicateRuns([]*parse.Event{b, a, loose, other})
	if !dup[b] || dup[a] || !dup[loose] || dup[other] {
		t.Fatalf("duplicates %v", dup)
	}
	n := DeriveFacts([]*parse.Event{a, b}).Node("N1")
	if got := kinds(n.Builds); got != "previous 6.5.7226.6, setup-succeeded 6.5.7638.2" {
		t.Errorf("observations: %s", got)
	}
}

func TestFailedUpgradeKeepsPreviousBuild(t *testing.T) {
	e := run("N1", "2021-03-11T11:42:38Z", "2021-03-11T12:06:23Z", "Upgrade", pfacts.Failed, "15.1.1713.5", "15.1.2106.2")
	n := DeriveFacts([]*parse.Event{e}).Node("N1")
	cur, ok := n.Current()
	if !ok || cur.Build != "15.1.1713.5" {
		t.Fatalf("current %+v", cur)
	}
	if at := n.Attempts(); len(at) != 1 || at[0].Note != "upgrade to 15.1.2106.2 failed" || at[0].Installed() {
		t.Errorf("attempts %+v", at)
	}
	if b, _ := n.BuildAt(at("2021-03-11T13:00:00Z")); b.Build != "15.1.1713.5" {
		t.Errorf("BuildAt after the failed run = %s", b.Build)
	}
}

func TestBuildAt(t *testing.T) {
	ese := func(tm, v string) *parse.Event {
		return claimEvent("N1", parse.SourceEVT, tm, &pfacts.BuildClaim{Build: v, Kind: pfacts.ClaimRunning})
	}
	up := run("N1", "2008-03-08T08:20:00Z", "2008-03-08T08:55:00Z", "Upgrade", pfacts.Succeeded, "6.5.7226.6", "6.5.7638.2")
	evs := []*parse.Event{ese("2008-03-08T06:40:00Z", "6.5.7226"), up, ese("2008-03-08T09:11:00Z", "6.5.7638")}
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
	f := DeriveFacts(parseAll(t, fixtures.Scenario("ex2003-rolling-upgrade-4node")))
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

	f = DeriveFacts(parseAll(t, fixtures.Scenario("healthy-ex2007-ccr-sp1")))
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

	f = DeriveFacts(parseAll(t, fixtures.Scenario("ws2016-nodedown-pingpong")))
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

// TestConflictingClaims: a registry export naming another build than the
// latest setup run is kept and reported as a conflict, not resolved.
func TestConflictingClaims(t *testing.T) {
	up := run("N1", "2008-03-08T08:20:00Z", "2008-03-08T08:55:00Z", "Upgrade", pfacts.Succeeded, "8.0.685.24", "8.1.240.6")
	reg := claimEvent("N1", parse.SourceRegistry, "", &pfacts.BuildClaim{Build: "8.0.685.24", Kind: pfacts.ClaimRegistry})
	evs := []*parse.Event{up, reg}
	SortEvents(evs)
	n := DeriveFacts(evs).Node("N1")
	cur, _ := n.Current()
	c := n.Conflicts()
	if len(c) != 1 || c[0].Kind != BuildSetupSucceeded && c[0].Kind != BuildRegistry {
		t.Fatalf("current %s %s, conflicts %s", cur.Kind, cur.Build, kinds(c))
	}
	if got := kinds(n.Claims()); got != "previous 8.0.685.24, setup-succeeded 8.1.240.6, registry 8.0.685.24" {
		t.Errorf("claims %s", got)
	}
	// Agreeing claims are no conflict.
	reg2 := claimEvent("N1", parse.SourceRegistry, "", &pfacts.BuildClaim{Build: "8.1.0240.006", Kind: pfacts.ClaimRegistry})
	if c := DeriveFacts([]*parse.Event{up, reg2}).Node("N1").Conflicts(); len(c) != 0 {
		t.Errorf("conflicts %s", kinds(c))
	}
}
