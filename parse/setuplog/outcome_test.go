package setuplog

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
	"github.com/exlog/exlog/parse/parsetest"
)

func runFacts(t testing.TB, p parsed) []*facts.SetupRun {
	t.Helper()
	var out []*facts.SetupRun
	for _, e := range p.runs {
		sr := facts.SetupRunOf(e)
		if sr == nil {
			t.Fatalf("run summary at line %d carries no SetupRun fact", e.Line)
		}
		out = append(out, sr)
	}
	return out
}

// lineText returns physical line n (1-based) of data without its end.
func lineText(data []byte, n int) string {
	lines := bytes.Split(data, []byte("\n"))
	if n < 1 || n > len(lines) {
		return ""
	}
	return strings.TrimRight(string(lines[n-1]), "\r")
}

// TestCorpusOutcomes: every run of every real log has an outcome and a
// deciding line that is really in the file; every corpus run failed (the
// corpus holds no successful run), and the decider is the log's own
// statement where it made one.
func TestCorpusOutcomes(t *testing.T) {
	want := map[string][]string{ // file -> decider text prefix per run
		"e2013cu23-install-um-grammars-dir-missing.log":          {"Setup is stopping now"},
		"e2016cu23-install-servicecontrol-reverse.log":           {"Setup is stopping now"},
		"e2019cu14-install-no-suitable-dc.log":                   {"Setup is stopping now"},
		"e2019cu8-prepareschema-prereq-not-enterprise-admin.log": {"[ERROR] The mode 'prepareschema' is not a valid mode.", "The Exchange Server setup operation didn't complete."},
		"e2016cu18-upgrade-prereq-orgprep-reboot-remotereg.log":  {"The Exchange Server setup operation didn't complete."},
	}
	for _, f := range corpusFiles(t) {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data := parsetest.ReadFile(t, f)
			p := parseData(t, name, data, "", time.Time{})
			runs := runFacts(t, p)
			for i, r := range runs {
				if r.Outcome != facts.Failed {
					t.Errorf("run %d: outcome %s (%s), want failed", i+1, r.Outcome, r.Reason)
				}
				if r.Decider.Line < r.FirstLine || r.Decider.Line > r.LastLine {
					t.Errorf("run %d: decider line %d outside the run %d-%d", i+1, r.Decider.Line, r.FirstLine, r.LastLine)
				}
				if got := lineText(data, r.Decider.Line); !strings.HasSuffix(got, r.Decider.Text) || r.Decider.Text == "" {
					t.Errorf("run %d: decider %q is not line %d %q", i+1, r.Decider.Text, r.Decider.Line, got)
				}
				if r.FirstFailure == nil || r.FirstFailure.At.Line == 0 || r.FirstFailure.Cause == "" {
					t.Errorf("run %d: no first failure: %+v", i+1, r.FirstFailure)
				}
				if w := want[name]; i < len(w) && !strings.HasPrefix(r.Decider.Text, w[i]) {
					t.Errorf("run %d: decider %q, want %q", i+1, r.Decider.Text, w[i])
				}
				// A failed run never credits the node with its target.
				for _, c := range facts.BuildClaimsOf(p.runs[i]) {
					if c.Kind == facts.ClaimSetupSucceeded {
						t.Errorf("run %d: failed run claims %s", i+1, c.Build)
					}
				}
			}
		})
	}
}

// TestCorpusFailedRuleOrErrorNeverSucceeds: a run whose lines hold a failed
// rule, a [REQUIRED] prerequisite or an [ERROR] is never succeeded, counted
// on the raw bytes.
func TestCorpusFailedRuleOrErrorNeverSucceeds(t *testing.T) {
	files := append(corpusFiles(t), fixtureLogs(t)...)
	for _, f := range files {
		data := parsetest.ReadFile(t, f)
		p := parseData(t, filepath.Base(f), data, "", time.Time{})
		lines := strings.Split(string(data), "\n")
		for _, r := range runFacts(t, p) {
			bad := false
			for n := r.FirstLine; n <= r.LastLine && n <= len(lines); n++ {
				l := lines[n-1]
				if strings.Contains(l, "] Failed [Rule:") || strings.Contains(l, "] [ERROR] ") || strings.Contains(l, "] [REQUIRED] ") {
					bad = true
					break
				}
			}
			if bad && r.Outcome == facts.Succeeded {
				t.Errorf("%s run at line %d: succeeded despite a failed rule or [ERROR]", filepath.Base(f), r.FirstLine)
			}
		}
	}
}

func fixtureLogs(t testing.TB) []string {
	files, err := filepath.Glob("testdata/*.log")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixture logs: %v", err)
	}
	return files
}

// TestCutNeverSucceeds: for every log with a succeeded run, cutting the
// file before the line that ends that run ("End of Setup", "Setup
// completed") never yields a succeeded run there. Corpus logs, which hold
// no successful run, are cut too: no cut may make one succeed. Large
// files are cut at 40 evenly spaced lines.
func TestCutNeverSucceeds(t *testing.T) {
	files := append(fixtureLogs(t), corpusFiles(t)...)
	succeeded := 0
	for _, f := range files {
		data := parsetest.ReadFile(t, f)
		name := filepath.Base(f)
		if strings.Contains(name, "utf16") {
			continue // cutting UTF-16 at a byte offset of a UTF-8 line is meaningless
		}
		whole := parseData(t, name, data, "", time.Time{})
		ends := map[int]int{} // run first line -> line that ended it
		for _, r := range runFacts(t, whole) {
			if r.Outcome == facts.Succeeded {
				succeeded++
				ends[r.FirstLine] = r.LastLine
				// The run's closing line is the last with text.
				for n := r.LastLine; n > r.Decider.Line; n-- {
					l := strings.TrimSpace(lineText(data, n))
					if strings.HasSuffix(l, "End of Setup") || strings.HasSuffix(l, "Setup completed") {
						ends[r.FirstLine] = n
						break
					}
				}
			}
		}
		offsets := lineOffsets(data)
		step := 1
		if len(offsets) > 700 {
			step = len(offsets)/40 + 1
		}
		for cut := 1; cut < len(offsets); cut += step {
			p := parseData(t, name, data[:offsets[cut]], "", time.Time{})
			for _, r := range runFacts(t, p) {
				if r.Outcome != facts.Succeeded {
					continue
				}
				end, ok := ends[r.FirstLine]
				if !ok || cut < end {
					t.Errorf("%s cut after line %d: run at line %d succeeded (decider line %d)", name, cut, r.FirstLine, r.Decider.Line)
				}
			}
		}
	}
	if succeeded < 4 {
		t.Errorf("only %d succeeded runs in the logs; the property needs some", succeeded)
	}
}

// lineOffsets returns the byte offset just after each line: offsets[n] is
// the end of line n (offsets[0] = 0).
func lineOffsets(data []byte) []int {
	out := []int{0}
	for i, b := range data {
		if b == '\n' {
			out = append(out, i+1)
		}
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		out = append(out, len(data))
	}
	return out
}

// cutRun parses, as name on EXSVR1, the lines of the corpus log file
// before the first line containing s, followed by tail; it returns the
// parse, its first run's facts and the text parsed.
func cutRun(t *testing.T, file, s, tail, name string) (parsed, *facts.SetupRun, string) {
	t.Helper()
	data := parsetest.ReadFile(t, filepath.Join(filepath.Dir(corpusFiles(t)[0]), file))
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		t.Fatalf("%q not in %s", s, file)
	}
	log := string(data[:bytes.LastIndexByte(data[:i], '\n')+1]) + tail
	p := parseData(t, name, []byte(log), "EXSVR1", time.Time{})
	return p, runFacts(t, p)[0], log
}

// TestIssueShapes: the two shapes that were once reported as succeeded.
func TestIssueShapes(t *testing.T) {
	t.Run("fatal MSI 1603 without an end", func(t *testing.T) {
		// The real run up to its first [ERROR], an earlier CurrentResult 0
		// of one task, then the installer's fatal error and nothing more:
		// setup was killed or the log was collected there.
		p, r, log := cutRun(t, "e2013cu23-upgrade-msi-install-source-missing.log", "] [ERROR]",
			"[03/08/2021 17:14:40.0001] [0] CurrentResult launcherbase.maincore:90: 0\n"+
				"[03/08/2021 17:14:47.0931] [1] [ERROR] Installing product C:\\ExchangeSetup\\exchangeserver.msi failed. Fatal error during installation. Error code is 1603. Last error reported by the MSI package is 'Fatal error during installation. '.\n",
			"msi1603.log")
		if r.Outcome != facts.Failed || r.FirstFailure == nil || !strings.Contains(r.FirstFailure.Cause, "1603") {
			t.Fatalf("outcome %s (%s), first failure %+v", r.Outcome, r.Reason, r.FirstFailure)
		}
		if r.Decider.Line != strings.Count(log, "\n") {
			t.Errorf("decider line %d, want the [ERROR] on the last line %d", r.Decider.Line, strings.Count(log, "\n"))
		}
		for _, c := range facts.BuildClaimsOf(p.runs[0]) {
			if c.Build == "15.0.1497.2" && !c.IsAttempt() {
				t.Errorf("target build claimed: %+v", c)
			}
		}
		if p.runs[0].Field(parse.KeyResult) != "failed" {
			t.Errorf("result field %q", p.runs[0].Field(parse.KeyResult))
		}
	})
	t.Run("failed prerequisite with CurrentResult 0", func(t *testing.T) {
		p, r, _ := cutRun(t, "e2019cu10-install-prereq-domainprep-required.log", "The Exchange Server setup operation didn't complete",
			"[12/01/2022 00:49:52.0457] [0] CurrentResult setupbase.maincore:396: 0\n"+
				"[12/01/2022 00:49:52.0457] [0] End of Setup\n",
			"prereq.log")
		if r.Outcome != facts.Failed || r.FirstFailure == nil || r.FirstFailure.Rule != "DomainPrepRequired" {
			t.Fatalf("outcome %s (%s), first failure %+v", r.Outcome, r.Reason, r.FirstFailure)
		}
		if !strings.HasPrefix(r.Decider.Text, "Failed [Rule:DomainPrepRequired]") {
			t.Errorf("decider %q", r.Decider.Text)
		}
		for _, c := range facts.BuildClaimsOf(p.runs[0]) {
			if !c.IsAttempt() && c.Build == r.ToBuild {
				t.Errorf("target build claimed: %+v", c)
			}
		}
	})
}

// TestOutcomes2003 pins the 2003 model on the fixture: the first run
// failed (an error frame in Install mode that no IGNORING marker covers),
// the second succeeded ("Completed Install of ... component", then "Setup
// completed").
func TestOutcomes2003(t *testing.T) {
	p := parseFile(t, "testdata/ex2003-node1-progress.log", "NODE1", time.Date(2008, 3, 9, 1, 0, 0, 0, time.UTC))
	runs := runFacts(t, p)
	if len(runs) != 2 {
		t.Fatalf("%d runs", len(runs))
	}
	r := runs[0]
	if r.Outcome != facts.Failed || r.Decider.Line != 14 || r.FirstFailure == nil ||
		r.FirstFailure.Cause != "0X80072030 (8240): There is no such object on the server." {
		t.Errorf("run 1: %s line %d %+v", r.Outcome, r.Decider.Line, r.FirstFailure)
	}
	if r.FirstFailure != nil && r.FirstFailure.Task != "Install (CBaseAtom::ScSetup)" {
		t.Errorf("run 1 task %q", r.FirstFailure.Task)
	}
	if r := runs[1]; r.Outcome != facts.Succeeded || r.Decider.Line != 27 {
		t.Errorf("run 2: %s line %d (%s)", r.Outcome, r.Decider.Line, r.Reason)
	}
	// Neither run states a build or service pack: no claim.
	for _, e := range p.runs {
		if cs := facts.BuildClaimsOf(e); len(cs) != 0 {
			t.Errorf("run %d claims %+v", e.Run, cs)
		}
	}
}

// TestBuilds2003 reads what a progress log says it installs.
func TestBuilds2003(t *testing.T) {
	const log = "[09:40:03] Exchange Server 2003 Service Pack 2 setup started on NODE1\r\n" +
		"[09:40:03] Entering ScSetupMain\r\n" +
		"[10:05:07] Completed Upgrade of Microsoft Exchange Messaging and Collaboration Services component\r\n" +
		"[10:14:29] Setup completed\r\n" +
		"[11:00:00] Setup of Microsoft Exchange Server 2003, version 6.5.7653.33, is starting the upgrade\r\n" +
		"[11:00:01] Entering ScSetupMain\r\n" +
		"[11:00:02] mode = 'Upgrade' (61954) CBaseAtom::ScSetup (f:\\tisp2\\admin\\src\\udog\\setupbase\\basecomp\\baseatom.cxx:775) Error code 0XC0070005 (5): Access is denied.\r\n" +
		"[11:00:03] Setup completed\r\n"
	p := parseData(t, "Exchange Server Setup Progress.log", []byte(log), "NODE1", time.Date(2008, 3, 8, 12, 0, 0, 0, time.UTC))
	runs := runFacts(t, p)
	if len(runs) != 2 {
		t.Fatalf("%d runs", len(runs))
	}
	if r := runs[0]; r.Outcome != facts.Succeeded || r.ServicePack != "2003 SP2" || r.Product != "2003" {
		t.Errorf("run 1: %+v", r)
	}
	cs := facts.BuildClaimsOf(p.runs[0])
	if len(cs) != 1 || cs[0].Kind != facts.ClaimSetupSucceeded || cs[0].Release != "Exchange 2003 SP2" || cs[0].Stated.Line != 1 || cs[0].Evidence.Line != 3 {
		t.Errorf("run 1 claims %+v", cs)
	}
	if r := runs[1]; r.Outcome != facts.Failed || r.ToBuild != "6.5.7653.33" {
		t.Errorf("run 2: %+v", r)
	}
	cs = facts.BuildClaimsOf(p.runs[1])
	if len(cs) != 1 || cs[0].Kind != facts.AttemptFailed || cs[0].Build != "6.5.7653.33" ||
		cs[0].Note != "upgrade to 6.5.7653.33 failed at 2008-03-08T11:00:03Z" {
		t.Errorf("run 2 claims %+v", cs)
	}
}
