package facts

import (
	"time"

	"github.com/exlog/exlog/parse"
)

// Outcome is how a setup run ended, decided only on positive evidence.
type Outcome string

// The outcomes of a setup run. See the package setuplog documentation for
// the evidence each generation needs.
const (
	// Succeeded: the generation's own completion statement, with nothing
	// that contradicts it (no failed rule, no [ERROR], the log's end
	// after the last task).
	Succeeded Outcome = "succeeded"
	// Failed: a failure statement, a failed prerequisite rule, a fatal
	// error or a stop; FirstFailure names the first failing task.
	Failed Outcome = "failed"
	// Incomplete: the log stops mid-run (killed, rebooted, still running,
	// cut when collected).
	Incomplete Outcome = "incomplete"
	// Unknown: the run ended but nothing in it says how.
	Unknown Outcome = "unknown"
)

// Line is one line of a log, quoted as evidence. The file is the file of
// the event the fact is attached to.
type Line struct {
	Line int    `json:"line"`
	Text string `json:"text"`
}

// Failure is the first thing that failed in a run.
type Failure struct {
	// Task is the setup task or component that was running ("Install-
	// BridgeheadRole", "prerequisite check", "Install of Microsoft Exchange
	// Messaging and Collaboration Services").
	Task string `json:"task,omitempty"`
	// Rule is the prerequisite rule that failed, when that is the cause.
	Rule string `json:"rule,omitempty"`
	// Cause is the failure text as the log states it (the first error, a
	// failed rule's message).
	Cause string `json:"cause,omitempty"`
	// At is the line that shows it.
	At Line `json:"at"`
}

// SetupRun is one run of Exchange setup as its log tells it. The parser
// attaches it to the run's summary event (Kind "setup-run").
type SetupRun struct {
	// Generation is "2000/2003", "2007/2010" or "2013+".
	Generation string `json:"generation"`
	// Product is the product year the banner names ("2016", "Subscription
	// Edition"), or "2000"/"2003" when a progress log says it.
	Product string `json:"product,omitempty"`
	// Mode is /mode or the action switch (Upgrade, Install, preparead,
	// upgradecms); for 2003 the mode of the component frames.
	Mode string `json:"mode,omitempty"`
	// ChangesBinaries is true when the run lays down the node's own
	// Exchange binaries (install, upgrade, recover server), false for AD
	// preparation and clustered-server actions.
	ChangesBinaries bool `json:"changes_binaries"`
	// FromBuild is the build setup says was installed before the run
	// (its backup copy of the previous version); Installed is "the
	// locally installed version" as the log states it.
	FromBuild string `json:"from_build,omitempty"`
	Installed string `json:"installed,omitempty"`
	// ToBuild is the build setup installs ("Setup version"), or the build
	// a 2003 progress log states.
	ToBuild string `json:"to_build,omitempty"`
	// ServicePack is the service-pack level a 2000/2003 progress log says
	// it installs ("2003 SP2"), when it gives no build.
	ServicePack string  `json:"service_pack,omitempty"`
	Outcome     Outcome `json:"outcome"`
	// Decider is the line that decided the outcome; Reason says how in
	// one sentence.
	Decider      Line     `json:"decider"`
	Reason       string   `json:"reason"`
	FirstFailure *Failure `json:"first_failure,omitempty"`
	// Start and End bound the run; End is the last line written when the
	// run has no end. TimeQuality says how far they can be trusted.
	Start       time.Time         `json:"start,omitzero"`
	End         time.Time         `json:"end,omitzero"`
	TimeQuality parse.TimeQuality `json:"time_quality"`
	// Launcher is the program that ran setup where the log says so:
	// "setup.exe" (the graphical ExSetupUI) or "setup.com" (ExSetup, the
	// command line); LauncherLine is the line that says it.
	Launcher     string `json:"launcher,omitempty"`
	LauncherLine Line   `json:"launcher_line,omitzero"`
	// CMSName is /cmsName's value; UpgradeCMS is true for /upgradeCMS.
	CMSName    string `json:"cms_name,omitempty"`
	UpgradeCMS bool   `json:"upgrade_cms,omitempty"`
	// FirstLine and LastLine are the run's line span in its file.
	FirstLine int `json:"first_line"`
	LastLine  int `json:"last_line"`
	// Print identifies the run by content: hashes of its first records
	// (time stamp and text). A copy of the log (a .bak, the same file in
	// another archive, a copy cut short) has the same print or a prefix
	// of it; Records is how many records the run has.
	Print   []uint64 `json:"print,omitempty"`
	Records int      `json:"records"`
}

// FactType names the fact.
func (SetupRun) FactType() string { return parse.KindSetupRun }

// SameRunAs reports whether r and o are the same run read from two copies
// of a log: one's print is a prefix of the other's. Only runs with a
// print compare.
func (r *SetupRun) SameRunAs(o *SetupRun) bool {
	if len(r.Print) == 0 || len(o.Print) == 0 {
		return false
	}
	a, b := r.Print, o.Print
	if len(a) > len(b) {
		a, b = b, a
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Kinds of build claim, from the surest.
const (
	// ClaimSetupSucceeded: a run that lays down binaries succeeded with
	// this build.
	ClaimSetupSucceeded = "setup-succeeded"
	// ClaimSetupEventSucceeded: MSExchangeSetup 1001 "Exchange Setup
	// (build X) completed successfully".
	ClaimSetupEventSucceeded = "setup-event-succeeded"
	// ClaimPrevious: setup's backup copy of the previously installed
	// version, true at the run's start.
	ClaimPrevious = "previous"
	// ClaimInstalled: "The locally installed version is X" when it is not
	// the setup build, true at the run's start.
	ClaimInstalled = "installed"
	// ClaimRegistry: ConfiguredVersion of an Exchange role key.
	ClaimRegistry = "registry"
	// ClaimRunning: a running product states its version (ESE 100, a
	// service banner).
	ClaimRunning = "running"
	// ClaimBanner: a version banner of an Exchange service or display
	// string ("POP3 server version 6.5.7638.1").
	ClaimBanner = "banner"
)

// Kinds of attempt: a build that setup tried to lay down; not a claim that
// the node runs it.
const (
	AttemptFailed     = "setup-failed"
	AttemptIncomplete = "setup-incomplete"
	// AttemptUnknown: the run ended without saying how.
	AttemptUnknown = "setup-unknown"
	// AttemptStarted: MSExchangeSetup 1000 "Exchange Setup (build X) was
	// started".
	AttemptStarted = "setup-event-started"
	// AttemptUnpacked: UnpackedVersion of a role key: the files are on
	// disk, the role may not be configured with them.
	AttemptUnpacked = "unpacked"
)

// BuildClaim says which Exchange build a node ran (Kind is a Claim*
// constant) or tried to install (an Attempt* constant), with where the
// statement is and when it held.
type BuildClaim struct {
	Build string `json:"build"`
	Kind  string `json:"kind"`
	// Time is when the statement held (a run's start for the previous
	// build, its end for the target); zero for registry values.
	Time        time.Time         `json:"time,omitzero"`
	TimeQuality parse.TimeQuality `json:"time_quality"`
	// Mode is the setup mode for claims from setup runs.
	Mode string `json:"mode,omitempty"`
	// Release is the release the source names when it gives no build (a
	// 2003 progress log's "Service Pack 2"); readers resolve it.
	Release string `json:"release,omitempty"`
	// Evidence is the line or record that states it; Stated, when set, is
	// the line that names the build, where that is another line (a run's
	// "Setup version" line for a claim decided by its completion line).
	Evidence Line `json:"evidence"`
	Stated   Line `json:"stated,omitzero"`
	// Note says what an attempt means ("upgrade to 15.1.2106.2 failed at
	// 2021-03-11T12:06:23Z").
	Note string `json:"note,omitempty"`
}

// FactType names the fact.
func (BuildClaim) FactType() string { return "build-claim" }

// IsAttempt reports whether the claim is only an attempt.
func (c BuildClaim) IsAttempt() bool {
	switch c.Kind {
	case AttemptFailed, AttemptIncomplete, AttemptUnknown, AttemptStarted, AttemptUnpacked:
		return true
	}
	return false
}

// SetupRunOf returns the setup-run fact an event carries, or nil.
func SetupRunOf(e *parse.Event) *SetupRun {
	for _, f := range e.Facts {
		if r, ok := f.(*SetupRun); ok {
			return r
		}
	}
	return nil
}

// BuildClaimsOf returns the build claims an event carries.
func BuildClaimsOf(e *parse.Event) []*BuildClaim {
	var out []*BuildClaim
	for _, f := range e.Facts {
		if c, ok := f.(*BuildClaim); ok {
			out = append(out, c)
		}
	}
	return out
}
