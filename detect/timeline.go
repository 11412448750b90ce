package detect

import (
	"slices"
	"strings"
	"time"

	"github.com/exlog/exlog/detect/builds"
	"github.com/exlog/exlog/parse"
	pfacts "github.com/exlog/exlog/parse/facts"
)

// Setup run results, as SetupRun.Result reports them. The words are the
// report's (JSON contract); the parser's outcomes are pfacts.Outcome.
const (
	RunSucceeded  = "success"
	RunFailed     = "failed"
	RunIncomplete = "incomplete" // the log stops mid-run
	RunUnknown    = "unknown"    // the run ended without saying how
)

// SetupRun is one run of Exchange setup on a node, read from the
// setup-run summary event the setup-log parser emits. Reports draw the
// upgrade timeline from these.
type SetupRun struct {
	Node string `json:"node"`
	// Start is when the run began; End when it ended or last wrote a
	// line. Both are zero when the log gave no usable time.
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// Mode is setup's mode or action switch (Upgrade, Install, upgradecms).
	Mode string `json:"mode,omitempty"`
	// From is the build the run found installed; To the build it installs
	// (empty where the log does not say, as in 2000/2003 progress logs).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Result is RunSucceeded, RunFailed, RunIncomplete or RunUnknown.
	Result string `json:"result"`
	// Outcome is the parser's outcome, Reason how it was decided and
	// Decider the line that decided it.
	Outcome pfacts.Outcome `json:"-"`
	Reason  string         `json:"-"`
	Decider *Evidence      `json:"-"`
	// CMS is the clustered mailbox server named on the command line
	// (/cmsName), if any.
	CMS string `json:"cms,omitempty"`
	// LastLine is the run's last line in its log; Evidence points at its
	// first.
	LastLine int `json:"last_line,omitempty"`
	// Launcher is "setup.exe" or "setup.com" where the log names the
	// program that ran setup; LauncherEvidence is that line.
	Launcher         string    `json:"-"`
	LauncherEvidence *Evidence `json:"-"`
	Evidence         Evidence  `json:"evidence"`
}

// Duration is End - Start, or 0 when either is unknown.
func (r SetupRun) Duration() time.Duration {
	if r.Start.IsZero() || r.End.IsZero() {
		return 0
	}
	return r.End.Sub(r.Start)
}

// ClusteredServerModes are the setup actions that work on a clustered
// server (an Exchange 2007 clustered mailbox server) rather than on the
// node's own binaries.
var ClusteredServerModes = []string{"upgradecms", "newcms", "recovercms", "removecms", "clearlocalcms"}

// IsClusteredServerMode reports whether a setup mode acts on a clustered
// server.
func IsClusteredServerMode(mode string) bool {
	return slices.Contains(ClusteredServerModes, strings.ToLower(mode))
}

// SetupRunOf reads a setup-run summary event; ok is false for any other
// event.
func SetupRunOf(e *parse.Event) (r SetupRun, ok bool) {
	sr := pfacts.SetupRunOf(e)
	if e.Kind != parse.KindSetupRun || sr == nil {
		return SetupRun{}, false
	}
	r = SetupRun{Node: parse.ShortNode(e.Node), Mode: sr.Mode, From: buildName(sr.FromBuild),
		To: buildName(sr.ToBuild), CMS: sr.CMSName, Evidence: EvidenceOf(e), LastLine: sr.LastLine,
		Outcome: sr.Outcome, Reason: sr.Reason}
	if r.To == "" && sr.ServicePack != "" {
		r.To = buildName(builds.BuildOfRelease("Exchange " + sr.ServicePack))
	}
	// Without a previous-version line, the locally installed version setup
	// reported is what the run found, when it differs from the new build.
	if inst := buildName(sr.Installed); r.From == "" && inst != "" && inst != r.To && !IsClusteredServerMode(r.Mode) {
		r.From = inst
	}
	switch sr.Outcome {
	case pfacts.Succeeded:
		r.Result = RunSucceeded
	case pfacts.Failed:
		r.Result = RunFailed
	case pfacts.Incomplete:
		r.Result = RunIncomplete
	default:
		r.Result = RunUnknown
	}
	if sr.Decider.Line > 0 {
		d := EvidenceOf(e)
		d.Line, d.Text = sr.Decider.Line, clipText(sr.Decider.Text)
		r.Decider = &d
	}
	if sr.Launcher != "" {
		l := lineEvidence(e, sr.LauncherLine.Line, sr.LauncherLine.Text)
		r.Launcher, r.LauncherEvidence = sr.Launcher, &l
	}
	if !sr.Start.IsZero() && sr.TimeQuality != parse.TimeNone {
		r.Start = sr.Start.UTC()
		if sr.End.After(r.Start) {
			r.End = sr.End.UTC()
		}
	}
	return r, true
}

// buildName normalises a build number the way build observations do
// (08.01.0240.006 -> 8.1.240.6).
func buildName(s string) string {
	if v, ok := builds.Parse(s); ok {
		return v.String()
	}
	return s
}

// DuplicateRuns returns the setup-run summaries that repeat another run
// read from a copy of its log: a .bak, the same file in two archives, or a
// copy cut short (its run's content print is a prefix of the other's). The
// two must be of the same node, or one of them of no known node (a loose
// copy whose folder names no server). Of each set of copies the run with
// the most records is kept, then the one in the first file by name; the
// others are returned.
func DuplicateRuns(events []*parse.Event) map[*parse.Event]bool {
	type item struct {
		e    *parse.Event
		r    *pfacts.SetupRun
		node string
	}
	var list []item
	for _, e := range events {
		if e.Kind != parse.KindSetupRun {
			continue
		}
		if r := pfacts.SetupRunOf(e); r != nil && len(r.Print) > 0 {
			list = append(list, item{e, r, parse.ShortNode(e.Node)})
		}
	}
	dup := map[*parse.Event]bool{}
	if len(list) < 2 {
		return dup
	}
	// Best first: most records, then file name, then line.
	slices.SortStableFunc(list, func(a, b item) int {
		if a.r.Records != b.r.Records {
			return b.r.Records - a.r.Records
		}
		if c := strings.Compare(a.e.File, b.e.File); c != 0 {
			return c
		}
		return a.e.Line - b.e.Line
	})
	for i, a := range list {
		if dup[a.e] {
			continue
		}
		for _, b := range list[i+1:] {
			sameNode := a.node == b.node || a.node == "" || b.node == ""
			if !dup[b.e] && sameNode && b.e.File != a.e.File && a.r.SameRunAs(b.r) {
				dup[b.e] = true
			}
		}
	}
	return dup
}
