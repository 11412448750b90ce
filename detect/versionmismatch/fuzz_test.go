package versionmismatch_test

import (
	"testing"

	"github.com/exlog/exlog/detect/detecttest"
	"github.com/exlog/exlog/detect/upgradecms"
	"github.com/exlog/exlog/detect/versionmismatch"
	"github.com/exlog/exlog/parse"
)

// FuzzDetectors feeds both build detectors, and the build facts under
// them, events whose texts and values come from the fuzzer: builds that
// are not builds, names with odd characters, messages that almost match.
// Nothing may panic, and every finding must carry evidence.
func FuzzDetectors(f *testing.F) {
	f.Add("Version of Exchange on this machine does not match the version of Exchange server NODE4.", "6.05.7638.0000", "8.1.0240.006", "EVS1", "NODE4")
	f.Add("The Exchange Virtual Server has been upgraded successfully.", "08.01.0240.005", "BuildToBuildUpgrade", "E2K7CCR", "node2.contoso.com")
	f.Add("Upgrade Exchange Virtual Server (EVS1) requested", "15.1.2106.2", "5b0e93c4", "Disk S:", "")
	f.Add("Microsoft Exchange Server 2003 POP3 server version 6.5.7638.1 starting", "Version 6.5 (Build 7638.2: Service Pack 2)", "", "Cluster Group", "N1")
	f.Add("does not match the version of exchange server", ".", "8.2", "(", "\\\\")
	f.Fuzz(func(t *testing.T, msg, version, value, group, node string) {
		tm := "2009-09-15T15:02:00Z"
		evs := []*parse.Event{
			ev(node, parse.SourceClusterLog, tm, msg, map[string]string{"action": "group-move", "group": group, "to_node": node, "from_node": "N1", "resource": msg}),
			ev(node, parse.SourceEVT, "2009-09-15T15:03:00Z", msg, map[string]string{"version": version, "provider_family": "ese", "data.1": msg, "action": "resource-failed", "group": group}),
			ev(node, parse.SourceSetupLog, "2009-09-15T15:04:00Z", msg, map[string]string{"severity": "ERROR", "eval_name": "Watermarks", "eval_value": value}),
			setupRun(node, "2009-09-15T14:00:00Z", "2009-09-15T14:44:00Z", "Upgrade", version, value, "success", "param.upgradecms", value,
				"installed_version", value, "install_watermark", "True", "watermark", group+"="+value, "param.cmsname", group, "first_error_line", value),
			setupRun(node, "2009-09-15T15:00:00Z", "", "upgradecms", value, version, "failed", "param.upgradecms", "true", "first_error_line", "3"),
			regValue(node, `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Exchange\v8.0\`+group, "Watermark", value, "exchange_role", group, "exchange_version_key", "v8.0"),
			regValue(node, `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Exchange\v8.0\ClusteredMailboxServer`, "ConfiguredVersion", version, "exchange_role", "ClusteredMailboxServer"),
		}
		evs[1].Provider = "MSExchangeCluster"
		evs = append(evs, hiveNode(node, group, value, node, 6, 0, len(value), msg)...)
		for _, fd := range detecttest.Detect(t, evs, versionmismatch.Detector, upgradecms.Detector) {
			if len(fd.Evidence) == 0 {
				t.Errorf("%s finding without evidence: %s", fd.Cause, fd.Summary)
			}
		}
	})
}
