// Package upgradeprocedure checks each cluster's rolling upgrade, as the
// upgrade story rebuilds it (detect/story.go), against the documented
// procedure of its Exchange generation, and reports every departure it
// owns as one finding naming the step expected and the step seen, with
// the evidence of both.
//
// Ownership of departures between detectors, so that none is reported
// twice: an upgraded EVS or CMS moved to a node on an older build, and
// nodes left on different builds when the bundle ends, are
// version-mismatch's findings (the story marks them and names that
// detector); failed /upgradeCMS runs, watermarks and a clustered mailbox
// server never upgraded are upgradecms-watermark's; two EVSs on one node
// of a cluster of more than two nodes (error 5018) is error-5018's. This
// detector reports the rest: the active node upgraded, a virtual server
// upgraded before its node's binaries or on a node without the new build,
// no reboot between the binaries and the virtual-server upgrade,
// setup.exe where setup.com is required, and several virtual servers
// upgraded at once. A check the bundle cannot decide (no System log from
// the node, no owner known) is listed in the story as not evidenced and
// never reported.
//
// Finding details: check, expected_step, seen_step, generation, cluster,
// target_build.
package upgradeprocedure

import (
	"strings"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// References behind the checks.
var references = []string{
	"KB 867624: How to install Exchange Server 2003 Service Pack 1 in a clustered Exchange environment",
	"Windows IT Pro: Exchange 2003 Clusters: Rolling Upgrades (InstantDoc 46335)",
	"KB 822582: Setup stops responding when you upgrade multiple Exchange virtual servers at the same time",
	"Redmond Magazine 2008-01-28: upgrading Exchange 2007 CCR to SP1 (setup.com /mode:upgrade, then /upgradeCMS)",
}

// Detector is the upgrade-procedure detector.
var Detector = &detect.Detector{
	ID:    detect.StoryDetector,
	Title: "Rolling upgrade departs from the documented procedure",
	Doc: "Rebuilds each cluster's rolling upgrade (setup runs with outcome and builds, reboots, cluster service starts, " +
		"moves and state changes of the clustered servers, Upgrade Exchange Virtual Server and /upgradeCMS) and compares it " +
		"with the documented procedure of Exchange 2003 or 2007: the active node upgraded, a virtual server upgraded before " +
		"its node's binaries or on a node without the new build, no reboot before the virtual-server upgrade, setup.exe on a " +
		"clustered mailbox server, several virtual servers upgraded at once. Steps the bundle cannot show are not evidenced, " +
		"never violated.",
	Looks: "setup-run summaries and setup launcher lines, System log 6005/6006/6008/6009 and Service Control Manager 7036, " +
		"cluster service starts and group state lines of cluster logs, the owner timeline, clustered-server build facts",
	References: references,
	// The story is built with the shared facts; the detector reads no
	// events of its own.
	Select: func(*parse.Event) bool { return false },
	Run:    run,
}

func run(p *detect.Pass) error {
	for _, s := range p.Facts.Stories {
		for _, d := range s.Departures {
			if d.Owner != detect.StoryDetector {
				continue
			}
			p.Report(finding(s, d))
		}
	}
	return nil
}

func finding(s *detect.Story, d detect.Departure) detect.Finding {
	var b strings.Builder
	b.WriteString("Expected (" + s.Generation + " procedure): " + d.Expected + ". Seen: " + d.Seen + ". ")
	b.WriteString("This matters because " + d.Why + ".")
	// What the bundle cannot show about the same node qualifies the
	// finding; the story lists the rest.
	var open []string
	for _, n := range s.NotEvidenced {
		if d.Node != "" && strings.Contains(n, d.Node) {
			open = append(open, n)
		}
	}
	if len(open) > 0 {
		b.WriteString(" Not evidenced by this bundle: " + strings.Join(open, "; ") + ".")
	}
	f := detect.Finding{
		Severity: d.Severity, Cause: d.Check,
		Nodes: nonEmpty(d.Node), Groups: nonEmpty(d.Group),
		Start:       d.Time,
		Summary:     summary(d),
		Explanation: b.String(),
		Remediation: remediation(d),
		Evidence:    d.Evidence,
		Details: map[string]string{"check": d.Check, "expected_step": d.Expected, "seen_step": d.Seen,
			"generation": s.Generation, "target_build": s.To},
		Confidence: d.Confidence, ConfidenceReason: d.ConfidenceReason,
	}
	if s.Cluster != "" {
		f.Details["cluster"] = s.Cluster
	}
	return f
}

func nonEmpty(s string) []string {
	if s == "" {
		return []string{}
	}
	return []string{s}
}

func summary(d detect.Departure) string {
	switch d.Check {
	case detect.CheckActiveNode:
		return d.Node + "'s binaries were upgraded while it hosted " + d.Group + "; the procedure upgrades a passive node"
	case detect.CheckBeforeBinaries:
		return d.Group + " was upgraded on " + d.Node + " before the node's own binaries"
	case detect.CheckOldBuild:
		return "/upgradeCMS ran on " + d.Node + ", which did not run the new build"
	case detect.CheckNoReboot:
		return d.Node + " was not rebooted between its binary upgrade and the upgrade of " + orServer(d.Group)
	case detect.CheckSetupExe:
		return "setup.exe was used on clustered mailbox server node " + d.Node + " where setup.com is required"
	case detect.CheckParallel:
		return orServer(d.Group) + " was upgraded while another virtual server's upgrade was still running"
	}
	return d.Seen
}

func orServer(g string) string {
	if g == "" {
		return "the virtual server"
	}
	return g
}

func remediation(d detect.Departure) string {
	switch d.Check {
	case detect.CheckActiveNode:
		return "For the remaining nodes, move every clustered server off a node before running setup there. Check that " +
			d.Group + " came back online on a node running the new build and that its databases mounted."
	case detect.CheckBeforeBinaries, detect.CheckOldBuild:
		return "Run setup.com /mode:upgrade on " + d.Node + " and reboot it, then rerun the virtual-server upgrade there; " +
			"keep the clustered server off nodes on the older build until then."
	case detect.CheckNoReboot:
		return "Reboot " + d.Node + " and check the Application log for errors of the services the service pack replaced; " +
			"if the clustered server does not start cleanly, rerun its upgrade after the reboot."
	case detect.CheckSetupExe:
		return "Rerun the step with setup.com from a command prompt on " + d.Node + " and check ExchangeSetup.log for a " +
			"completed run and no watermark left in the registry."
	case detect.CheckParallel:
		return "Check that each virtual server's upgrade completed (\"The Exchange Virtual Server has been upgraded " +
			"successfully\"); rerun any that did not, one at a time."
	}
	return ""
}
