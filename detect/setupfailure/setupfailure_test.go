package setupfailure

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

func causesOf(fs []detect.Finding) []string {
	var cs []string
	for _, f := range fs {
		cs = append(cs, f.Cause)
	}
	slices.Sort(cs)
	return cs
}

func evidenceLines(f detect.Finding) []int {
	var ls []int
	for _, e := range f.Evidence {
		ls = append(ls, e.Line)
	}
	return ls
}

// byCause returns the finding with the cause, failing the test without it.
func byCause(t *testing.T, fs []detect.Finding, cause string) detect.Finding {
	t.Helper()
	for _, f := range fs {
		if f.Cause == cause {
			return f
		}
	}
	t.Fatalf("no %s finding among %v", cause, causesOf(fs))
	return detect.Finding{}
}

// TestCorpus runs every real log of the corpus and checks the causes
// against the scenario the file name and SOURCES.md give. Evidence lines
// and details were read from the files with grep.
func TestCorpus(t *testing.T) {
	dir := fixtures.Corpus(t, "setuplogs")
	tests := []struct {
		file     string
		causes   []string
		cause    string            // the finding the checks below look at
		details  map[string]string // must be present with these values
		evidence []int             // lines that must be quoted
		noDetail []string          // details that must be absent
	}{
		{file: "e2013cu23-install-um-grammars-dir-missing.log", causes: []string{"missing-directory"},
			details:  map[string]string{"path": `C:\Program Files\Microsoft\Exchange Server\V15\UnifiedMessaging\grammars`, "installed_version": "15.0.1293.2", "mode": "Install"},
			evidence: []int{124, 138}, noDetail: []string{"same_build"}},
		{file: "e2013cu23-preparead-arbitration-upn-not-unique.log", causes: []string{"arbitration-upn-not-unique"},
			evidence: []int{83, 133}, details: map[string]string{"arbitration_mailbox": "SystemMailbox{e0dc1c29-89c3-4034-b678-e6c29d823ed9}"}},
		{file: "e2013cu23-preparead-pf-hierarchy-already-exists.log", causes: []string{"ad-object-already-exists"},
			evidence: []int{88}, details: map[string]string{"domain_controller": "DC2.Solo.local",
				"object": "CN=Folder Hierarchies,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=SoloORG,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=Solo,DC=local"}},
		{file: "e2013cu23-upgrade-missing-homemdb.log", causes: []string{"missing-homemdb"}, evidence: []int{78, 185},
			details: map[string]string{"installed_version": "15.0.1365.1", "setup_version": "15.0.1497.2", "setup_release": "Exchange 2013 CU23"}},
		{file: "e2013cu23-upgrade-mount-database-failed.log", causes: []string{"mount-database-failed"}, evidence: []int{211},
			details: map[string]string{"database": "ExSvr1 - DB1"}},
		{file: "e2013cu23-upgrade-msi-install-source-missing.log", causes: []string{"msi-installer-cache"}, evidence: []int{97},
			details: map[string]string{"installer_build": "15.0.1367.3", "package": `D:\cu23\Setup\ServerRoles\UnifiedMessaging\MSSpeech_SR_TEL.zh-CN.msi`}},
		{file: "e2013cu23-upgrade-msi-remove-source-missing.log", causes: []string{"msi-installer-cache"}, evidence: []int{104},
			details: map[string]string{"installer_build": "15.0.995.29", "installed_release": "Exchange 2013 CU6", "product_code": "8466eaed-7024-4aee-9d13-f3a55b98d114"}},
		{file: "e2013cu23-upgrade-prereq-dc-out-of-site.log", causes: []string{"dc-out-of-site"}, evidence: []int{206, 212, 538, 539},
			details: map[string]string{"domain_controller": "DC2.Solo.local", "computer_site": "NorthAmerica",
				"help_url": "http://technet.microsoft.com/library(EXCHG.150)/ms.exch.setupreadiness.DomainControllerIsOutOfSite.aspx"},
			noDetail: []string{"domain_controller_site"}},
		{file: "e2016cu17-preparead-security-groups-ou-deleted.log", causes: []string{"security-groups-ou-deleted"}, evidence: []int{4122, 4123}},
		{file: "e2016cu17-preparead-wrong-group-type.log", causes: []string{"wrong-group-type"},
			details: map[string]string{"group": "CN=Exchange Servers,OU=Test,DC=Solo,DC=local", "required_type": "Universal, SecurityEnabled",
				"guid": "6c01d2a7-f083-4503-8132-789eeb127b84"}},
		{file: "e2016cu18-preparead-prereq-child-domain.log",
			causes: []string{"ad-validation-failed", "enterprise-admin-required", "pending-reboot"}, cause: "ad-validation-failed",
			evidence: []int{25, 27, 597, 606},
			details: map[string]string{"user": `CHILD\Han`, "computer_domain": "Child", "schema_master": "Solo-DC1.Solo.net",
				"schema_master_domain": "Solo", "computer_site": "Default-First-Site-Name"}},
		{file: "e2016cu18-upgrade-fips-access-denied.log", causes: []string{"fips-access-denied"}, evidence: []int{107},
			details: map[string]string{"error_reference": "BridgeheadComponent___9FAA17C4-73D7-4E6D-9012-6274971434D5", "installed_version": "15.1.1713.5"}},
		{file: "e2016cu18-upgrade-msi-langpack-nullref.log", causes: []string{"msi-installer-cache"}, evidence: []int{85, 86},
			details: map[string]string{"installer_build": "15.1.1913.5", "package": `N:\en\ServerLanguagePack.msi`}},
		{file: "e2016cu18-upgrade-prereq-orgprep-reboot-remotereg.log",
			causes: []string{"ad-validation-failed", "iis-url-rewrite-missing", "msdtc-stopped", "pending-reboot", "powershell-sessions-open", "remote-registry"},
			cause:  "powershell-sessions-open", details: map[string]string{"process": "powershell (process ID 19404)", "schema_master": "SchemaMaster.Solo.local",
				"computer_domain": "Skywalker", "schema_master_site": "NY4"}},
		{file: "e2016cu18-upgrade-search-foundation-failure.log", causes: []string{"search-foundation"}, evidence: []int{347}},
		{file: "e2016cu18-upgrade-service-disabled.log", causes: []string{"service-disabled"}, evidence: []int{120},
			details: map[string]string{"service": "MSExchangeServiceHost", "installed_version": "15.1.2106.2", "setup_version": "15.1.2106.2"}},
		{file: "e2016cu18-upgrade-vdir-appcmd-exit-50.log", causes: []string{"virtual-directory"}, evidence: []int{95},
			details: map[string]string{"exit_code": "50"}},
		{file: "e2016cu18-upgrade-vdir-owa-not-found.log", causes: []string{"virtual-directory"}, evidence: []int{76},
			details: map[string]string{"virtual_directory": `ExSvr1\OWA (Exchange Back End)`}},
		{file: "e2016cu19-prepareschema-ldifde-8245.log", causes: []string{"ldifde-schema-import"}, evidence: []int{1649},
			details: map[string]string{"ldifde_error": "8245", "ldf_file": `C:\Windows\Temp\ExchangeSetup\Setup\Data\PostExchange2003_schema80.ldf`,
				"ldif_err": `C:\Users\Han\AppData\Local\Temp\ldif.err`, "mode": "prepareschema"}},
		{file: "e2016cu19-upgrade-orgprep-insuff-access-rights.log", causes: []string{"domain-insufficient-access"}, evidence: []int{13645, 13647, 13714},
			details: map[string]string{"object": "CN=Microsoft Exchange System Objects,DC=Solo,DC=local", "domain_controller": "Solo-DC1.Solo.local"}},
		{file: "e2016cu19-upgrade-run-from-bin.log", causes: []string{"run-from-bin"}, evidence: []int{84, 93},
			details: map[string]string{"setup_version": "15.1.2176.9", "installed_version": "15.1.2176.2", "setup_release": "Exchange 2016 CU19 Mar21SU"}},
		{file: "e2016cu23-install-servicecontrol-reverse.log", causes: []string{"servicecontrol-reverse"}, evidence: []int{75, 80, 95},
			noDetail: []string{"same_build"}},
		{file: "e2019cu10-install-prereq-domainprep-required.log", causes: []string{"domain-not-prepared"}, evidence: []int{432, 434, 531, 532}},
		{file: "e2019cu14-install-no-suitable-dc.log", causes: []string{"shared-config-dc"}, evidence: []int{517, 573, 574}},
		{file: "e2019cu8-prepareschema-prereq-not-enterprise-admin.log", causes: []string{"enterprise-admin-required", "first-error"},
			details:  map[string]string{"run": "2", "updates_required": "schema, organization configuration, domain configuration"},
			evidence: []int{66, 403, 804}},
		{file: "e2019cu8-upgrade-prereq-not-org-management.log", causes: []string{"org-management-required", "powershell-sessions-open"},
			cause: "org-management-required", evidence: []int{693, 698, 923, 1775},
			details: map[string]string{"org_management_sid": "S-1-5-21-2947011988-2654620456-2749465584-1105", "user": `SOLO\Han`}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			fs := detectFile(t, filepath.Join(dir, tt.file))
			if got := causesOf(fs); !slices.Equal(got, tt.causes) {
				t.Fatalf("causes = %v, want %v", got, tt.causes)
			}
			for _, f := range fs {
				if f.Detector != "setup-failure" || f.Severity != detect.Error {
					t.Errorf("%s: detector %q severity %v", f.Cause, f.Detector, f.Severity)
				}
				if f.Explanation == "" || f.Remediation == "" || len(f.Evidence) == 0 || f.Summary == "" {
					t.Errorf("%s: finding lacks explanation, remediation, evidence or summary", f.Cause)
				}
				if f.Details["file"] != tt.file || f.Details["setup_version"] == "" || f.Details["run_start"] == "" {
					t.Errorf("%s: run context missing from details: %v", f.Cause, f.Details)
				}
				for _, ev := range f.Evidence {
					if ev.File != tt.file || ev.Line <= 0 || ev.Text == "" || ev.DocID == "" {
						t.Errorf("%s: bad evidence %+v", f.Cause, ev)
					}
				}
			}
			cause := tt.cause
			if cause == "" {
				cause = tt.causes[0]
			}
			f := byCause(t, fs, cause)
			for k, want := range tt.details {
				if got := f.Details[k]; got != want {
					t.Errorf("details[%s] = %q, want %q", k, got, want)
				}
			}
			for _, k := range tt.noDetail {
				if v, ok := f.Details[k]; ok {
					t.Errorf("details[%s] = %q, want none", k, v)
				}
			}
			lines := evidenceLines(f)
			for _, l := range tt.evidence {
				if !slices.Contains(lines, l) {
					t.Errorf("evidence lines %v lack line %d", lines, l)
				}
			}
		})
	}
	all, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range all {
		if !seen[filepath.Base(f)] {
			t.Errorf("corpus file %s has no expectation", filepath.Base(f))
		}
	}
	if len(all) != 26 {
		t.Errorf("corpus has %d logs, the table expects 26", len(all))
	}
}

// TestSameBuild checks the warning on both corpus files where setup ran
// the installed build in upgrade mode, and its absence elsewhere.
func TestSameBuild(t *testing.T) {
	dir := fixtures.Corpus(t, "setuplogs")
	for _, tt := range []struct {
		file string
		want bool
	}{
		{"e2016cu19-upgrade-run-from-bin.log", true},            // 15.1.2176.9 over 15.1.2176.2
		{"e2016cu18-upgrade-service-disabled.log", true},        // 15.1.2106.2 over itself
		{"e2016cu23-install-servicecontrol-reverse.log", false}, // same build, but /mode:Install
		{"e2016cu18-upgrade-fips-access-denied.log", false},     // 15.1.2106.2 over 15.1.1713.5
	} {
		fs := detectFile(t, filepath.Join(dir, tt.file))
		if len(fs) == 0 {
			t.Fatalf("%s: no finding", tt.file)
		}
		got := fs[0].Details["same_build"]
		if (got != "") != tt.want {
			t.Errorf("%s: same_build = %q, want present=%v", tt.file, got, tt.want)
		}
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b := parsetest.ReadFile(t, filepath.Join("testdata", name))
	return b
}

// modTime is the file time the fixtures are given, for the 2003 log's date.
var modTime = time.Date(2009, 6, 3, 7, 30, 0, 0, time.UTC)

func TestExchange2003(t *testing.T) {
	fs := findingsOf(t, parseBytes(t, "EVSNODE2/Exchange Server Setup Progress.log", readFixture(t, "ex2003-failed-progress.log"), modTime))
	if got := causesOf(fs); !slices.Equal(got, []string{"first-error"}) {
		t.Fatalf("causes = %v", got)
	}
	f := fs[0]
	// Lines 5 (ignored by the marker on line 7) and 11 (property-cache
	// miss) are routine; the failure chain is lines 16, 18 and 20.
	if got := evidenceLines(f); !slices.Equal(got, []int{16, 18, 20}) {
		t.Errorf("evidence lines = %v, want [16 18 20]", got)
	}
	for k, want := range map[string]string{
		"error_code": "0X80072030", "error_code_dec": "8240", "native_function": "ScLocateAdminGroupContainer",
		"generation": "2000/2003", "mode": "Install", "first_error_line": "16",
		// A time of day is all the log states: the details say no date.
		"run_start": "23:57:41, date unknown", "run_end": "00:00:07, date unknown",
	} {
		if got := f.Details[k]; got != want {
			t.Errorf("details[%s] = %q, want %q", k, got, want)
		}
	}
	// The log crosses midnight once and ends on the file's date: the
	// assumed dates still order the run.
	if want := time.Date(2009, 6, 2, 23, 57, 41, 0, time.UTC); !f.Start.Equal(want) || f.TimeQuality != parse.TimeOfDayOnly {
		t.Errorf("start %v (%s), want %v assumed from the file's date", f.Start, f.TimeQuality, want)
	}
	if !strings.Contains(f.Explanation, "0X80072030 (8240)") {
		t.Errorf("explanation does not name the error code: %s", f.Explanation)
	}
}

func TestExchange2007(t *testing.T) {
	fs := findingsOf(t, parseBytes(t, "NODE2/ExchangeSetupLogs/ExchangeSetup.log", readFixture(t, "ex2007-sp1-upgrade-failed.log"), modTime))
	if got := causesOf(fs); !slices.Equal(got, []string{"first-error"}) {
		t.Fatalf("causes = %v", got)
	}
	f := fs[0]
	// Run 1 succeeded; run 2 (from line 13) is judged. Line 32 is a
	// property-cache frame and stays out; line 34 is the cluster error.
	if got := evidenceLines(f); !slices.Equal(got, []int{30, 34, 36, 40, 41}) {
		t.Errorf("evidence lines = %v", got)
	}
	for k, want := range map[string]string{
		"run": "2", "generation": "2007/2010", "setup_version": "8.1.240.6", "setup_release": "Exchange 2007 SP1",
		"installed_version": "8.0.685.24", "installed_release": "Exchange 2007 RTM", "mode": "Upgrade",
		"error_code": "0X8007139F", "error_code_dec": "5023", "component": "Mailbox Service Control (Last)",
		"first_error_line": "36",
	} {
		if got := f.Details[k]; got != want {
			t.Errorf("details[%s] = %q, want %q", k, got, want)
		}
	}
	if _, ok := f.Details["same_build"]; ok {
		t.Error("same_build set for an upgrade to another build")
	}
}

func TestSuccessfulRunHasNoFinding(t *testing.T) {
	fs := findingsOf(t, parseBytes(t, "AMS-EX02/ExchangeSetup.log", readFixture(t, "ex2016-cu23-upgrade-success.log"), modTime))
	if len(fs) != 0 {
		t.Fatalf("successful run gave %d findings: %v", len(fs), causesOf(fs))
	}
}

// TestInterrupted cuts the successful run before its end: no error, no
// end, so the run was stopped or still running.
func TestInterrupted(t *testing.T) {
	data := readFixture(t, "ex2016-cu23-upgrade-success.log")
	lines := strings.SplitAfter(string(data), "\n")
	cut := strings.Join(lines[:36], "") // through line 36, the [WARNING]
	fs := findingsOf(t, parseBytes(t, "AMS-EX02/ExchangeSetup.log", []byte(cut), modTime))
	if got := causesOf(fs); !slices.Equal(got, []string{"interrupted"}) {
		t.Fatalf("causes = %v", got)
	}
	if fs[0].Severity != detect.Warning {
		t.Errorf("severity = %v, want warning", fs[0].Severity)
	}
	if got := evidenceLines(fs[0]); !slices.Equal(got, []int{36}) {
		t.Errorf("evidence lines = %v, want [36]", got)
	}
}

// TestEveryRunJudged: both runs of the file failed and both are reported,
// the short last one too (it once was passed over for the run before).
func TestEveryRunJudged(t *testing.T) {
	data := string(readFixture(t, "ex2019-failed-then-short-run.log"))
	fs := findingsOf(t, parseBytes(t, "NYC-MBX3/ExchangeSetup.log", []byte(data), modTime))
	if got := causesOf(fs); !slices.Equal(got, []string{"first-error", "first-error"}) {
		t.Fatalf("causes = %v", got)
	}
	var f, short detect.Finding
	for _, x := range fs {
		switch x.Details["run"] {
		case "1":
			f = x
		case "2":
			short = x
		}
	}
	if got := evidenceLines(f); !slices.Contains(got, 20) || !slices.Contains(got, 30) {
		t.Errorf("evidence lines = %v, want the first error (20) and its reference (30)", got)
	}
	if f.Details["component"] != "Mailbox Transport Role" || f.Details["error_reference"] != "BridgeheadComponent___2b1c7e04d3f54b0f9a6d1f3e8c0a5b77" {
		t.Errorf("details = %v", f.Details)
	}
	if short.Details["first_error_line"] != "44" || short.Severity != detect.Error || !strings.HasPrefix(short.Details["decided_by"], "line 44: ") {
		t.Errorf("short run: %v %v", short.Severity, short.Details)
	}
}

// TestWatermarkLeftToOtherDetector: a run stopped only by an install
// watermark is the upgradecms-watermark detector's; this one stays quiet.
func TestWatermarkLeftToOtherDetector(t *testing.T) {
	log := `[02/01/2024 09:00:00.0001] [0] **********************************************
[02/01/2024 09:00:00.0001] [0] Starting Microsoft Exchange Server 2019 Setup
[02/01/2024 09:00:00.0001] [0] **********************************************
[02/01/2024 09:00:00.0002] [0] Setup version: 15.2.1544.4.
[02/01/2024 09:00:01.0003] [0] Command Line Parameter Name='mode', Value='Upgrade'.
[02/01/2024 09:00:05.0000] [1] Evaluated [Rule:InstallWatermark] [HasException:False] [Value:"True"] [ParentValue:"<NULL>"] [Thread:5] [Duration:00:00:00]
[02/01/2024 09:00:06.0000] [1] Failed [Rule:InstallWatermark] [Message:An earlier setup left this server half installed.]
[02/01/2024 09:00:06.0001] [1] [REQUIRED] An earlier setup left this server half installed.
[02/01/2024 09:00:06.0001] [1] Help URL: http://technet.microsoft.com/library(EXCHG.150)/ms.exch.setupreadiness.InstallWatermark.aspx
[02/01/2024 09:00:07.0000] [0] The Exchange Server setup operation didn't complete.  More details can be found in ExchangeSetup.log located in the <SystemDrive>:\ExchangeSetupLogs folder.
[02/01/2024 09:00:07.0001] [0] End of Setup
`
	fs := findingsOf(t, parseBytes(t, "EX1/ExchangeSetup.log", []byte(log), modTime))
	if len(fs) != 0 {
		t.Fatalf("watermark-only run gave %v", causesOf(fs))
	}
	// Any other [REQUIRED] failure is still reported.
	other := strings.Replace(log, "ms.exch.setupreadiness.InstallWatermark.aspx", "ms.exch.setupreadiness.ForestLevelNotWin2003Native.aspx", 1)
	fs = findingsOf(t, parseBytes(t, "EX1/ExchangeSetup.log", []byte(other), modTime))
	if got := causesOf(fs); !slices.Equal(got, []string{"first-error"}) || evidenceLines(fs[0])[0] != 8 {
		t.Fatalf("causes = %v", got)
	}
}

func TestCauseIDsAreUnique(t *testing.T) {
	ids := CauseIDs()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("duplicate cause %s", id)
		}
		seen[id] = true
	}
	if len(ids) != 35 {
		t.Errorf("%d causes, want the 33 of the issue plus first-error and interrupted", len(ids))
	}
}

// TestPrerequisiteWarningAndLaterError: a prerequisite rule that evaluated
// True without stopping setup is reported, and so is the error that did
// stop it later.
func TestPrerequisiteWarningAndLaterError(t *testing.T) {
	data := string(readFixture(t, "ex2019-failed-then-short-run.log"))
	data = strings.Replace(data, `[Rule:RebootPending] [HasException:False] [Value:"False"]`, `[Rule:RebootPending] [HasException:False] [Value:"True"]`, 1)
	fs := findingsOf(t, parseBytes(t, "NYC-MBX3/ExchangeSetup.log", []byte(data), modTime))
	if got := causesOf(fs); !slices.Equal(got, []string{"first-error", "first-error", "pending-reboot"}) {
		t.Fatalf("causes = %v", got)
	}
	if got := evidenceLines(byCause(t, fs, "pending-reboot")); !slices.Equal(got, []int{17}) {
		t.Errorf("pending-reboot evidence = %v, want [17]", got)
	}
	if got := byCause(t, fs, "first-error").Details["first_error_line"]; got != "20" && got != "44" {
		t.Errorf("first_error_line = %q, want 20", got)
	}
}

// TestSharedFixtures runs the setup logs the project ships for bundle
// tests (fixtures/setuplogs): each one's last run succeeds. The 2003 log's
// first run failed and the second, its retry, succeeded: the failure is
// reported as a warning that says so.
func TestSharedFixtures(t *testing.T) {
	for _, tt := range []struct {
		name string
		mod  time.Time
		want []string
	}{
		{"ex2003-node1-progress.log", time.Date(2006, 3, 15, 0, 53, 10, 0, time.UTC), []string{"first-error"}},
		{"ex2007-sp1-upgrade-success.log", modTime, nil},
		{"ex2013-success.log", modTime, nil},
	} {
		data := parsetest.ReadFile(t, filepath.Join(fixtures.Dir(), "setuplogs", tt.name))
		fs := findingsOf(t, parseBytes(t, "NODE1/"+tt.name, data, tt.mod))
		if got := causesOf(fs); !slices.Equal(got, tt.want) {
			t.Errorf("%s: findings %v, want %v", tt.name, got, tt.want)
			continue
		}
		if len(fs) == 1 {
			f := fs[0]
			if f.Severity != detect.Warning || f.Details["run"] != "1" || f.Details["retried"] != "NODE1/"+tt.name+":18" ||
				!strings.Contains(f.Summary, "failed at 00:00:05, date unknown, succeeded on retry at 00:37:40, date unknown") {
				t.Errorf("%s: %v %q %v", tt.name, f.Severity, f.Summary, f.Details)
			}
		}
	}
}
