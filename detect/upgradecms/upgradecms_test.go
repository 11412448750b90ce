package upgradecms_test

import (
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/detecttest"
	"github.com/exlog/exlog/detect/upgradecms"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
	"github.com/exlog/exlog/parse/setuplog"
)

var ev = detecttest.Event

// setupRun is a setup-run summary; extra are field names and values.
func setupRun(node, start, end, mode, version, result string, extra ...string) *parse.Event {
	f := map[string]string{"mode": mode, "setup_version": version, "result": result, "end": end}
	for i := 0; i+1 < len(extra); i += 2 {
		f[extra[i]] = extra[i+1]
	}
	e := ev(node, parse.SourceSetupLog, start, "setup run", f)
	e.File = node + "/ExchangeSetup.log"
	e.Kind = "setup-run"
	// The fact the setup-log parser attaches, with the outcome words of
	// the old field ("success", "no-end").
	out := map[string]facts.Outcome{"success": facts.Succeeded, "failed": facts.Failed, "no-end": facts.Incomplete}[result]
	if out == "" {
		out = facts.Unknown
	}
	sr := &facts.SetupRun{Mode: mode, ToBuild: version, Outcome: out, Start: e.Time, TimeQuality: e.TimeQuality,
		UpgradeCMS: f["param.upgradecms"] != "" || strings.EqualFold(mode, "upgradecms"), ChangesBinaries: setuplog.ChangesBinaries(mode)}
	if v := f["param.cmsname"]; v != "true" {
		sr.CMSName = v
	}
	sr.ChangesBinaries = sr.ChangesBinaries && !sr.UpgradeCMS
	sr.End, _ = time.Parse(time.RFC3339, end)
	e.AddFact(sr)
	if out == facts.Succeeded && sr.ChangesBinaries && version != "" {
		e.AddFact(&facts.BuildClaim{Build: version, Kind: facts.ClaimSetupSucceeded, Time: sr.End, TimeQuality: e.TimeQuality, Mode: mode})
	}
	return e
}

// setupError is an [ERROR] record of node's setup log; it returns the
// record and its line for first_error_line.
func setupError(node, tm, text string) *parse.Event {
	e := ev(node, parse.SourceSetupLog, tm, "[ERROR] "+text, map[string]string{"severity": "ERROR"})
	e.File = node + "/ExchangeSetup.log"
	return e
}

func mark(node, role, name, value string) *parse.Event {
	key := `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Exchange\v8.0\` + role
	return ev(node, parse.SourceRegistry, "", key+`\`+name+" = "+value,
		map[string]string{"key": key, "value_name": name, "value": value, "exchange_role": role, "exchange_version_key": "v8.0"})
}

func clusterMember(node string) *parse.Event {
	return ev(node, parse.SourceClusterLog, "2009-09-15T12:00:00Z", "[FM] Group 'MBX-2' state change from 1 to 0",
		map[string]string{"action": "group-move", "group": "MBX-2", "to_node": node, "from_node": node})
}

func runDetector(t *testing.T, evs []*parse.Event) []detect.Finding {
	return detecttest.Detect(t, evs, upgradecms.Detector)
}

const diskErr = "Cluster Common Failure Exception: Failed to bring cluster resource Physical Disk (Disk S:) in cluster group MBX-2 online. The media is write protected."

func failedCMS(node, start, end string) []*parse.Event {
	t0, _ := time.Parse(time.RFC3339, start)
	e := setupError(node, t0.Add(20*time.Second).Format(time.RFC3339), diskErr)
	r := setupRun(node, start, end, "upgradecms", "8.2.176.2", "failed", "param.upgradecms", "true",
		"first_error_line", itoa(e.Line), "result_text", "The Microsoft Exchange Server setup operation didn't complete.")
	return []*parse.Event{e, r}
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func cat(parts ...[]*parse.Event) []*parse.Event {
	var out []*parse.Event
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func one(e ...*parse.Event) []*parse.Event { return e }

func TestUpgradeCMSWatermark(t *testing.T) {
	upC := setupRun("NODEC", "2009-09-15T14:00:00Z", "2009-09-15T14:44:00Z", "Upgrade", "8.2.176.2", "success", "previous_version", "8.1.240.6")
	upD := setupRun("NODED", "2009-09-15T13:00:00Z", "2009-09-15T13:41:00Z", "Upgrade", "8.2.176.2", "success", "previous_version", "8.1.240.6")
	members := one(clusterMember("NODEC"), clusterMember("NODED"))
	for _, c := range []struct {
		name   string
		evs    []*parse.Event
		causes string
		check  func(t *testing.T, fs []detect.Finding)
	}{
		{"failed /upgradeCMS on a read-only disk, watermark left",
			cat(members, one(upC, upD), failedCMS("NODEC", "2009-09-15T15:02:00Z", "2009-09-15T15:06:00Z"),
				one(mark("NODEC", "ClusteredMailboxServer", "Action", "BuildToBuildUpgrade"), mark("NODEC", "ClusteredMailboxServer", "Watermark", "5b0e93c4"))),
			"upgradecms-failed,cms-not-upgraded",
			func(t *testing.T, fs []detect.Finding) {
				f := fs[0]
				if f.Details["resource_type"] != "Physical Disk" || f.Details["action"] != "BuildToBuildUpgrade" || f.Details["watermark"] != "5b0e93c4" ||
					f.Details["attempts"] != "1" || !strings.Contains(f.Details["first_error"], "Physical Disk (Disk S:)") {
					t.Errorf("details %v", f.Details)
				}
				if !strings.Contains(f.Explanation, "standby cluster") || !strings.Contains(f.Remediation, "/upgradeCMS again") {
					t.Errorf("explanation/remediation: %s / %s", f.Explanation, f.Remediation)
				}
				if w := fs[1]; w.Severity != detect.Warning || w.Details["nodes_upgraded"] != "NODEC, NODED" || w.Details["binaries_build"] != "8.2.176.2" {
					t.Errorf("warning: %+v", w)
				}
			}},
		{"a later successful /upgradeCMS makes good the failure",
			cat(members, one(upC, upD), failedCMS("NODEC", "2009-09-15T15:02:00Z", "2009-09-15T15:06:00Z"),
				one(setupRun("NODED", "2009-09-16T09:00:00Z", "2009-09-16T09:20:00Z", "upgradecms", "8.2.176.2", "success", "param.upgradecms", "true"))),
			"", nil},
		{"generic failure: the first error is quoted, no standby text",
			cat(members, one(setupError("NODEC", "2009-09-15T15:02:30Z", "Access is denied."),
				setupRun("NODEC", "2009-09-15T15:02:00Z", "2009-09-15T15:03:00Z", "upgradecms", "8.2.176.2", "failed", "param.upgradecms", "true"))),
			"upgradecms-failed",
			func(t *testing.T, fs []detect.Finding) {
				if fs[0].Details["first_error"] != "Access is denied." || strings.Contains(fs[0].Explanation, "standby") {
					t.Errorf("%+v", fs[0])
				}
			}},
		{"CCR done right: second node upgraded after the CMS",
			cat(members, one(
				setupRun("NODED", "2008-01-19T07:10:00Z", "2008-01-19T07:48:00Z", "Upgrade", "8.1.240.6", "success"),
				setupRun("NODED", "2008-01-19T08:12:00Z", "2008-01-19T08:25:00Z", "", "8.1.240.6", "success", "param.upgradecms", "true"),
				setupRun("NODEC", "2008-01-19T09:00:00Z", "2008-01-19T09:40:00Z", "Upgrade", "8.1.240.6", "success"))),
			"", nil},
		{"binaries upgraded, CMS step never run",
			cat(members, one(upC)), "cms-not-upgraded",
			func(t *testing.T, fs []detect.Finding) {
				if fs[0].Details["cms_build"] != "" || fs[0].Nodes[0] != "NODEC" {
					t.Errorf("%+v", fs[0])
				}
			}},
		{"the CMS registry already at the new build",
			cat(members, one(upC, mark("NODEC", "ClusteredMailboxServer", "ConfiguredVersion", "8.2.0176.002"))), "", nil},
		{"a standalone Exchange 2007 server has no CMS",
			one(setupRun("HUB1", "2009-09-15T14:00:00Z", "2009-09-15T14:44:00Z", "Upgrade", "8.2.176.2", "success")), "", nil},
		{"role watermark in the registry",
			one(mark("NODEC", "MailboxRole", "Watermark", "fdfe6b1a"), mark("NODEC", "MailboxRole", "Action", "Install")),
			"watermark",
			func(t *testing.T, fs []detect.Finding) {
				if fs[0].Details["role"] != "MailboxRole" || fs[0].Details["action"] != "Install" || len(fs[0].Evidence) != 2 {
					t.Errorf("%+v", fs[0])
				}
			}},
		{"CMS watermark with no failed run in the bundle",
			one(mark("NODEC", "ClusteredMailboxServer", "Watermark", "5b0e93c4")),
			"watermark",
			func(t *testing.T, fs []detect.Finding) {
				if !strings.Contains(fs[0].Summary, "clustered mailbox server") || fs[0].Details["action"] != "" {
					t.Errorf("%+v", fs[0])
				}
			}},
		{"2013+ install watermark",
			one(setupRun("EX1", "2021-03-11T11:42:00Z", "2021-03-11T11:45:00Z", "Upgrade", "15.1.2106.2", "failed",
				"install_watermark", "True", "watermark", "MailboxRole=fdfe6b1a")),
			"install-watermark",
			func(t *testing.T, fs []detect.Finding) {
				if fs[0].Details["role"] != "MailboxRole" || fs[0].Details["watermark"] != "MailboxRole=fdfe6b1a" {
					t.Errorf("%+v", fs[0])
				}
			}},
		{"2013+ install watermark resumed by a later run",
			one(setupRun("EX1", "2021-03-11T11:42:00Z", "2021-03-11T11:45:00Z", "Upgrade", "15.1.2106.2", "failed", "install_watermark", "True"),
				setupRun("EX1", "2021-03-11T12:00:00Z", "2021-03-11T12:45:00Z", "Upgrade", "15.1.2106.2", "success")),
			"", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := runDetector(t, c.evs)
			var causes []string
			for _, f := range fs {
				causes = append(causes, f.Cause)
				if f.Explanation == "" || f.Remediation == "" || len(f.Evidence) == 0 {
					t.Errorf("%s lacks text or evidence", f.Cause)
				}
			}
			if strings.Join(causes, ",") != c.causes {
				for _, f := range fs {
					t.Logf("%s: %s", f.Cause, f.Summary)
				}
				t.Fatalf("causes %v, want %q", causes, c.causes)
			}
			if c.check != nil {
				c.check(t, fs)
			}
		})
	}
}

// TestScenarios checks the detector alone on the scenario bundles.
func TestScenarios(t *testing.T) {
	fs := runDetector(t, detecttest.Bundle(t, fixtures.Scenario("ex2007-scc-standby-upgradecms-failed")))
	if len(fs) != 2 {
		t.Fatalf("standby scenario: %d findings", len(fs))
	}
	f := fs[0]
	if f.Cause != "upgradecms-failed" || f.Nodes[0] != "NODEC" || f.Groups[0] != "MBX-2" || f.Details["first_error_line"] != "80" ||
		f.Details["resource"] != "Disk S:" || f.Details["resource_type"] != "Physical Disk" || f.Details["setup_version"] != "8.2.176.2" {
		t.Errorf("failed /upgradeCMS: %+v", f)
	}
	files := map[string]bool{}
	for _, e := range f.Evidence {
		files[e.File] = true
	}
	for _, want := range []string{"NODEC/ExchangeSetupLogs/ExchangeSetup.log", "NODEC_cluster.log", "NODEC/System.evtx",
		"NODEC/Application.evtx", "NODEC/NODEC_Exchange_Registry_Hive.reg"} {
		if !files[want] {
			t.Errorf("no evidence from %s", want)
		}
	}
	if w := fs[1]; w.Cause != "cms-not-upgraded" || w.Details["cms_build"] != "8.1.240.6" || w.Details["cluster"] != "STBYCLUS" {
		t.Errorf("CMS not upgraded: %+v", w)
	}
	for _, name := range []string{"healthy-ex2007-ccr-sp1", "healthy-rolling-upgrade-2003", "ex2003-rolling-upgrade-4node",
		"healthy-manual-moves", "healthy-single-restart", "ws2016-nodedown-pingpong"} {
		if fs := runDetector(t, detecttest.Bundle(t, fixtures.Scenario(name))); len(fs) != 0 {
			t.Errorf("%s: %d findings, first %s", name, len(fs), fs[0].Summary)
		}
	}
}

// TestCorpusSetupLogs: the 26 real setup logs evaluate InstallWatermark
// and Watermarks 109 times each (grep -c), always False or <NULL>, and
// none is a /upgradeCMS run: nothing to report.
func TestCorpusSetupLogs(t *testing.T) {
	evs := detecttest.Bundle(t, fixtures.Corpus(t, "setuplogs"))
	counts := map[string]int{}
	for _, e := range evs {
		if n := e.Field("eval_name"); n == "InstallWatermark" || n == "Watermarks" {
			counts[n]++
		}
	}
	if counts["InstallWatermark"] != 109 || counts["Watermarks"] != 109 {
		t.Errorf("watermark evaluations %v, want 109 each", counts)
	}
	if fs := runDetector(t, evs); len(fs) != 0 {
		t.Errorf("%d findings on the corpus, first %s", len(fs), fs[0].Summary)
	}
}
