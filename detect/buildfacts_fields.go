package detect

import (
	"strings"
	"time"

	"github.com/exlog/exlog/parse"
	pfacts "github.com/exlog/exlog/parse/facts"
)

// claimsFromFields reads build claims from the structured fields of an
// event that carries no facts: events built by hand in tests and events
// of indexes written before parsers attached facts. It reads fields the
// parsers set, never message wording, and follows the parsers' rules: a
// setup run's target counts only when the run succeeded and laid down
// binaries.
//
// Deprecated: parsers attach facts (parse/facts.BuildClaim); this goes
// once every reader's tests attach them too.
func claimsFromFields(e *parse.Event) []*pfacts.BuildClaim {
	var out []*pfacts.BuildClaim
	add := func(build, kind string, t time.Time, mode string) *pfacts.BuildClaim {
		c := &pfacts.BuildClaim{Build: build, Kind: kind, Time: t, TimeQuality: e.TimeQuality, Mode: mode}
		out = append(out, c)
		return c
	}
	switch {
	case e.Kind == parse.KindSetupRun:
		mode := e.Field(parse.KeyMode)
		if p := e.Field(parse.KeyPreviousVersion); p != "" {
			add(p, pfacts.ClaimPrevious, e.Time, mode)
		}
		sv := e.Field(parse.KeySetupVersion)
		if iv := e.Field(parse.KeyInstalledVersion); iv != "" && BuildKey(iv) != "" && BuildKey(iv) != BuildKey(sv) &&
			BuildKey(iv) != BuildKey(e.Field(parse.KeyPreviousVersion)) {
			add(iv, pfacts.ClaimInstalled, e.Time, mode)
		}
		if sv == "" || noBinaryModes[strings.ToLower(mode)] || e.Field(parse.KeyParamUpgradeCMS) != "" {
			return out
		}
		end := e.Time
		if t, err := time.Parse(time.RFC3339Nano, e.Field(parse.KeyEnd)); err == nil {
			end = t
		}
		kind := pfacts.AttemptUnknown
		switch e.Field(parse.KeyResult) {
		case "success", string(pfacts.Succeeded):
			kind = pfacts.ClaimSetupSucceeded
		case string(pfacts.Failed):
			kind = pfacts.AttemptFailed
		case "no-end", string(pfacts.Incomplete):
			kind = pfacts.AttemptIncomplete
		}
		add(sv, kind, end, mode)
	case e.Source == parse.SourceRegistry:
		role := e.Field(parse.KeyExchangeRole)
		if e.Field(parse.KeyDeleted) != "" || role == "" || isCMSRole(role) {
			return nil
		}
		switch strings.ToLower(e.Field(parse.KeyValueName)) {
		case "configuredversion":
			add(e.Field(parse.KeyValue), pfacts.ClaimRegistry, time.Time{}, "")
		case "unpackedversion":
			add(e.Field(parse.KeyValue), pfacts.AttemptUnpacked, time.Time{}, "")
		}
	case (e.Source == parse.SourceEVTX || e.Source == parse.SourceEVT) && e.Field(parse.KeyVersion) != "":
		v := e.Field(parse.KeyVersion)
		switch {
		case e.Field(parse.KeyProviderFamily) == "ese":
			add(BuildKey(v), pfacts.ClaimRunning, e.Time, "")
		case e.Field(parse.KeyAction) == "setup-started":
			add(v, pfacts.AttemptStarted, e.Time, "")
		case e.Field(parse.KeyAction) == "setup-succeeded":
			add(v, pfacts.ClaimSetupEventSucceeded, e.Time, "")
		default:
			add(v, pfacts.ClaimRunning, e.Time, "")
		}
	}
	return out
}

// runFromFields reads the parts of a setup run the version facts need
// from a summary without its fact (see claimsFromFields).
func runFromFields(e *parse.Event) *pfacts.SetupRun {
	r := &pfacts.SetupRun{Mode: e.Field(parse.KeyMode), ToBuild: e.Field(parse.KeySetupVersion), Start: e.Time}
	if t, err := time.Parse(time.RFC3339Nano, e.Field(parse.KeyEnd)); err == nil {
		r.End = t
	}
	if v := e.Field(parse.KeyParamCMSName); v != "true" {
		r.CMSName = v
	}
	return r
}
