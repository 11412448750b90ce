package eventlog

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

// Version banners of Exchange services and display strings; the
// surrounding text must name Exchange, so that a Windows "Version 6.0
// (Build 6002: Service Pack 2)" is never read as an Exchange build.
var (
	reDisplayBuild = regexp.MustCompile(`Version (\d{1,2})\.(\d{1,2}) \(Build (\d{1,5})(?:\.(\d{1,5}))?(?:: [^)]{0,60})?\)`)
	reServerBanner = regexp.MustCompile(`(?i)Exchange[\w ]{0,40}? server version (\d{1,2}\.\d{1,2}\.\d{1,5}(?:\.\d{1,5})?)\b`)
)

// addVersionFacts attaches an Exchange virtual server upgrade the event
// reports, and the build claims it states about the
// Exchange build its computer runs: ESE 100 of Exchange's own ESE (the
// engine version follows the Exchange build), MSExchangeSetup 1001 (setup
// of a build completed) and 1000 (only started: an attempt), and version
// banners of Exchange services.
func addVersionFacts(e *parse.Event) {
	if u := facts.ReadEVSUpgrade(e.Message); u != nil {
		e.AddFact(u)
	}
	at := facts.Line{Text: firstLineOf(e.Message)}
	claim := func(build, kind string) {
		e.AddFact(&facts.BuildClaim{Build: build, Kind: kind, Time: e.Time, TimeQuality: e.TimeQuality, Evidence: at})
	}
	if v := e.Field(parse.KeyVersion); v != "" {
		switch {
		case e.Field(parse.KeyProviderFamily) == FamilyESE:
			// ESE's revision is its own ("6.05.7638.0000" runs on
			// 6.5.7638.2): only major.minor.build name the Exchange build.
			if k := threeParts(v); k != "" {
				claim(k, facts.ClaimRunning)
			}
		case e.Field(parse.KeyAction) == "setup-started":
			claim(v, facts.AttemptStarted)
		case e.Field(parse.KeyAction) == "setup-succeeded":
			claim(v, facts.ClaimSetupEventSucceeded)
		default:
			claim(v, facts.ClaimRunning)
		}
		return
	}
	if v := bannerBuild(e.Message); v != "" {
		claim(v, facts.ClaimBanner)
	}
}

// bannerBuild returns the Exchange build a version banner names, or "".
// The display form ("Version 6.5 (Build 7638.2: Service Pack 2)") is read
// for Exchange 2000/2003 only; later serial numbers encode the build
// differently (31531 for 1531). Readers check the build against the
// release table.
func bannerBuild(msg string) string {
	if len(msg) > 4096 {
		msg = msg[:4096]
	}
	if !strings.Contains(msg, "ersion") || !strings.Contains(msg, "Exchange") {
		return ""
	}
	var v string
	if m := reServerBanner.FindStringSubmatch(msg); m != nil {
		v = m[1]
	} else if m := reDisplayBuild.FindStringSubmatch(msg); m != nil && m[1] == "6" && (m[2] == "0" || m[2] == "5") {
		// 6.0 is Exchange 2000 and 6.5 Exchange 2003; Windows writes the
		// same form for itself (6.1 is Windows 7 / 2008 R2).
		v = m[1] + "." + m[2] + "." + m[3]
		if m[4] != "" {
			v += "." + m[4]
		}
	}
	if v == "" {
		return ""
	}
	major, _, _ := strings.Cut(v, ".")
	switch major {
	case "6", "8", "14", "15":
		return v
	}
	return ""
}

// threeParts reduces "06.05.7638.0000" to "6.5.7638", or "" when v is not
// a dotted build.
func threeParts(v string) string {
	parts := strings.Split(v, ".")
	if len(parts) < 3 {
		return ""
	}
	out := make([]string, 3)
	for i := range 3 {
		n, err := strconv.Atoi(parts[i])
		if err != nil || n < 0 {
			return ""
		}
		out[i] = strconv.Itoa(n)
	}
	return strings.Join(out, ".")
}

func firstLineOf(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
