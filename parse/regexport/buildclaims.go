package regexport

import (
	"strings"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

// addBuildClaim attaches the build a role key's ConfiguredVersion (the
// role is configured with that build) or UnpackedVersion (its files are
// on disk, perhaps not configured) states. The ClusteredMailboxServer key
// holds the clustered server's own version, not the node's, and gets no
// claim. Registry exports carry no time.
func addBuildClaim(ev *parse.Event, name, role, value string) {
	if role == "" || strings.EqualFold(role, "ClusteredMailboxServer") || strings.TrimSpace(value) == "" {
		return
	}
	kind := ""
	switch strings.ToLower(name) {
	case "configuredversion":
		kind = facts.ClaimRegistry
	case "unpackedversion":
		kind = facts.AttemptUnpacked
	default:
		return
	}
	ev.AddFact(&facts.BuildClaim{Build: strings.TrimSpace(value), Kind: kind, TimeQuality: parse.TimeNone,
		Evidence: facts.Line{Line: ev.Line, Text: ev.Message}})
}
