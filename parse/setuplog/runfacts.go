package setuplog

import (
	"strings"
	"time"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

// noBinaryModes are the setup actions that prepare Active Directory or act
// on a clustered mailbox server (or, in 2000/2003, prepare the forest or
// domain): they leave the node's own binaries as they were, so their
// setup build says nothing about the node's build.
var noBinaryModes = map[string]bool{
	"prepareschema": true, "preparead": true, "preparealldomains": true, "preparedomain": true,
	"prepareallhybrid": true, "preparelegacyexchangepermissions": true,
	"upgradecms": true, "recovercms": true, "clearlocalcms": true, "newcms": true, "removecms": true,
	"forestprep": true, "domainprep": true,
	"uninstall": true, "remove": true,
}

// ChangesBinaries reports whether a setup mode lays down the node's own
// Exchange binaries.
func ChangesBinaries(mode string) bool { return !noBinaryModes[strings.ToLower(mode)] }

// param returns a command-line parameter's value (lower-cased name).
func (r *run) param(name string) (string, bool) {
	for _, p := range r.params {
		if p[0] == name {
			return p[1], true
		}
	}
	return "", false
}

// attachFacts adds the run's SetupRun fact and the build claims it
// supports to its summary event.
func (r *run) attachFacts(ev *parse.Event, gen, mode string, outcome facts.Outcome, decider facts.Line, reason string, first *facts.Failure) {
	sr := &facts.SetupRun{
		Generation: gen, Product: r.product, Mode: mode, ChangesBinaries: ChangesBinaries(mode),
		FromBuild: r.previousVersion, Installed: r.installedVersion, ToBuild: r.setupVersion,
		Outcome: outcome, Decider: decider, Reason: reason, FirstFailure: first,
		TimeQuality: ev.TimeQuality, FirstLine: r.line, LastLine: r.lastLine,
		Print: r.out.print, Records: r.out.records,
	}
	if r.gen2003 {
		sr.Product = r.out.product2003
		sr.ServicePack = r.out.servicePack
		sr.ToBuild = r.out.build2003V
	}
	if r.launcher != "" {
		sr.Launcher, sr.LauncherLine = r.launcher, facts.Line{Line: r.launcherMark.line, Text: r.launcherMark.text}
	}
	if v, ok := r.param("cmsname"); ok && v != "" {
		sr.CMSName = v
	}
	_, ucms := r.param("upgradecms")
	sr.UpgradeCMS = ucms || strings.EqualFold(mode, "upgradecms")
	if sr.UpgradeCMS {
		sr.ChangesBinaries = false
	}
	var end time.Time
	if r.hasStart && ev.TimeQuality != parse.TimeNone {
		sr.Start = r.utc(r.startWall)
		switch {
		case r.hasEnd:
			end = r.utc(r.endWall)
		case r.hasLast:
			end = r.utc(r.lastWall)
		}
		sr.End = end
	}
	ev.AddFact(sr)

	claim := func(build, kind string, t time.Time, at facts.Line) *facts.BuildClaim {
		c := &facts.BuildClaim{Build: build, Kind: kind, Time: t, TimeQuality: ev.TimeQuality, Mode: mode, Evidence: at}
		if t.IsZero() {
			c.TimeQuality = parse.TimeNone
		}
		ev.AddFact(c)
		return c
	}
	line := func(m mark) facts.Line { return facts.Line{Line: m.line, Text: m.text} }
	if r.previousVersion != "" {
		claim(r.previousVersion, facts.ClaimPrevious, sr.Start, line(r.previousMark))
	}
	// "The locally installed version" is what the node ran when it differs
	// from both the build setup installs and the backup copy: once setup
	// has laid down the new files it names the new build.
	if iv := r.installedVersion; iv != "" && buildKey(iv) != buildKey(r.setupVersion) && buildKey(iv) != buildKey(r.previousVersion) {
		claim(iv, facts.ClaimInstalled, sr.Start, line(r.installedMark))
	}
	// The target of a run that leaves the binaries alone (/PrepareAD,
	// /upgradeCMS) is kept with its mode: readers show it as that
	// action's build, never as the node's.
	target := sr.ToBuild
	if target == "" && sr.ServicePack == "" {
		return
	}
	at := decider
	if r.gen2003 && r.out.build2003.ok() {
		at = line(r.out.build2003)
	} else if r.setupVersionMark.ok() {
		at = line(r.setupVersionMark)
	}
	what := target
	if what == "" {
		what = "Exchange " + sr.ServicePack
	}
	var c *facts.BuildClaim
	switch outcome {
	case facts.Succeeded:
		c = claim(target, facts.ClaimSetupSucceeded, end, decider)
	case facts.Failed:
		c = claim(target, facts.AttemptFailed, end, decider)
		c.Note = verb(mode, what) + " failed" + atTime(end)
	case facts.Incomplete:
		c = claim(target, facts.AttemptIncomplete, end, decider)
		c.Note = verb(mode, what) + " is incomplete" + atTime(end) + ": the log stops mid-run"
	default:
		c = claim(target, facts.AttemptUnknown, end, decider)
		c.Note = verb(mode, what) + atTime(end) + ": the log does not say how it ended"
	}
	if sr.ServicePack != "" && target == "" {
		c.Release = "Exchange " + sr.ServicePack
	}
	c.Stated = at
}

// verb names what a run did: "upgrade to X", "install of X", "setup /preparead
// with X".
func verb(mode, build string) string {
	switch m := strings.ToLower(mode); {
	case m == "install":
		return "install of " + build
	case m == "":
		return "setup of " + build
	case !ChangesBinaries(m):
		return "setup /" + m + " with " + build
	}
	return "upgrade to " + build
}

func atTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return " at " + t.UTC().Format(time.RFC3339)
}

// buildKey reduces a build to its first three parts for comparison.
func buildKey(s string) string {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) < 3 {
		return s
	}
	for i := range 3 {
		parts[i] = strings.TrimLeft(parts[i], "0")
	}
	return strings.Join(parts[:3], ".")
}
