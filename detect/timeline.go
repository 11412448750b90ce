package detect

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/detect/builds"
	"github.com/exlog/exlog/parse"
)

// Setup run results, as SetupRun.Result reports them.
const (
	RunSucceeded  = "success"
	RunFailed     = "failed"
	RunIncomplete = "incomplete" // no end, or an end without a clear result
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
	// Result is RunSucceeded, RunFailed or RunIncomplete.
	Result string `json:"result"`
	// CMS is the clustered mailbox server named on the command line
	// (/cmsName), if any.
	CMS string `json:"cms,omitempty"`
	// LastLine is the run's last line in its log; Evidence points at its
	// first.
	LastLine int      `json:"last_line,omitempty"`
	Evidence Evidence `json:"evidence"`
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
	if e.Kind != parse.KindSetupRun {
		return SetupRun{}, false
	}
	r = SetupRun{Node: parse.ShortNode(e.Node), Mode: e.Field(parse.KeyMode), From: buildName(e.Field(parse.KeyPreviousVersion)),
		To: buildName(e.Field(parse.KeySetupVersion)), CMS: e.Field(parse.KeyParamCMSName), Evidence: EvidenceOf(e)}
	if r.CMS == "true" { // /cmsName given without a value
		r.CMS = ""
	}
	// Without a previous-version line, the locally installed version setup
	// reported is what the run found, when it differs from the new build.
	if inst := buildName(e.Field(parse.KeyInstalledVersion)); r.From == "" && inst != "" && inst != r.To && !IsClusteredServerMode(r.Mode) {
		r.From = inst
	}
	r.LastLine, _ = strconv.Atoi(e.Field(parse.KeyLastLine))
	switch e.Field(parse.KeyResult) {
	case "success":
		r.Result = RunSucceeded
	case "failed":
		r.Result = RunFailed
	default:
		r.Result = RunIncomplete
	}
	if !e.Time.IsZero() && e.TimeQuality != parse.TimeNone {
		r.Start = e.Time.UTC()
		if t, err := time.Parse(time.RFC3339Nano, e.Field(parse.KeyEnd)); err == nil && t.After(r.Start) {
			r.End = t.UTC()
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
