package setuplog

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

var (
	reBanner   = regexp.MustCompile(`^Starting Microsoft Exchange (?:Server )?(\d{4}|Subscription Edition) Setup\s*$`)
	reTZ       = regexp.MustCompile(`^Local time zone: (\(((?:UTC|GMT)(?:([+-])(\d{1,2}):(\d{2}))?)\).*?)\.?\s*$`)
	reSetupV   = regexp.MustCompile(`^Setup version: (\d+(?:\.\d+){1,3})\.?\s*$`)
	reUser     = regexp.MustCompile(`^Logged on user: (.+?)\.?\s*$`)
	reCmdLine  = regexp.MustCompile(`(?:RuntimeAssembly|ExSetupUI|ExSetup) was started with the following command: '(.*)'\.?\s*$`)
	reBackup   = regexp.MustCompile(`^The backup copy of the previously installed version is '([\d.]+)'`)
	reLocal    = regexp.MustCompile(`^The locally installed version is (\d+(?:\.\d+)+?)\.?\s*$`)
	reInstMode = regexp.MustCompile(`^The installation mode is set to: '([^']*)'`)
	reRoles    = regexp.MustCompile(`^The following roles (have been unpacked|are installed):\s*(.*?)\s*$`)
	reDC       = regexp.MustCompile(`^Setup will use the domain controller '([^']+)'`)
	reResult   = regexp.MustCompile(`^The (?:Microsoft )?Exchange Server setup operation (completed successfully|didn't complete|did not complete)`)
	reCurRes   = regexp.MustCompile(`^CurrentResult [^:]*:\d+: (\S+)\s*$`)
	reCmdMode  = regexp.MustCompile(`(?i)(?:^|\s)[/-](?:mode|m):"?([A-Za-z]+)`)
	reCmdFlag  = regexp.MustCompile(`(?:^|\s)[/-]([A-Za-z]+)`)
)

// bannerMatch matches a run banner, checking the literal start first.
func bannerMatch(t string) []string {
	if !strings.HasPrefix(t, "Starting Microsoft Exchange ") {
		return nil
	}
	return reBanner.FindStringSubmatch(t)
}

const stopText = "Setup is stopping now because of one or more critical errors"

// Action switches that stand for the mode when /mode is absent
// (setup /PrepareAD, setup.com /upgradeCMS ...), in the order tried.
var actionSwitches = []string{
	"prepareschema", "preparead", "preparealldomains", "preparedomain",
	"upgradecms", "recovercms", "clearlocalcms", "newcms", "removecms",
	"recoverserver", "prepareallhybrid", "preparelegacyexchangepermissions",
}

// maxListed bounds the watermarks and parameters a summary lists; the
// records themselves keep every value.
const maxListed = 100

// failure reports a 2003 record that means the run failed, unless an
// IGNORING marker later neutralises it.
func failure(ev *parse.Event, text string, f recFacts) bool {
	t := strings.TrimSpace(text)
	return (f.errFrame && f.frameMode != "") || strings.Contains(ev.Message, "Setup encountered an error") ||
		strings.HasPrefix(t, "Setup failed")
}

// item is an event waiting for its run's time zone to be known.
type item struct {
	ev       *parse.Event
	wall     time.Time
	hasWall  bool
	errFrame bool
	fraction bool
	failure  bool   // 2003 failure candidate
	stamp    string // time stamp and thread as written, for the run's print
	thread   string
}

// run is the state of one setup run while its records stream past.
type run struct {
	n         int
	gen2003   bool
	hasBanner bool
	ended     bool // End of Setup / Setup completed seen
	product   string

	line      int // banner line, else first record line
	startWall time.Time
	hasStart  bool
	endWall   time.Time
	hasEnd    bool
	lastWall  time.Time
	hasLast   bool
	lastLine  int
	fraction  bool // a record had a fraction of a second (2010 and later)

	tzDecided bool
	tzKnown   bool
	offset    time.Duration
	tz        string
	tzOffset  string

	setupVersion, previousVersion, installedVersion string
	modeParam, installationMode, cmdLine            string
	// launcher is setup.exe or setup.com, as the launch line says.
	launcher                                      string
	launcherMark                                  mark
	rolesInstalled, rolesUnpacked, user, dc       string
	computer                                      string
	params                                        [][2]string
	currentResult                                 string
	errors, firstErrorLine, errorFrames           int
	firstFrameLine                                int
	watermarks                                    []string
	installWatermark                              string
	frameMode                                     string
	out                                           outcomeState
	previousMark, installedMark, setupVersionMark mark

	pending []item
	// chain is the index in pending where the unbroken run of error frames
	// before the current record starts, or -1: those events wait in case an
	// IGNORING marker follows.
	chain int
	// chainDropped counts chain frames already emitted because the chain
	// outgrew maxChain.
	chainDropped int
}

func newRun(n int, gen2003 bool) *run {
	return &run{n: n, gen2003: gen2003, chain: -1, tzDecided: gen2003}
}

// absorb updates the run from one record's first-line text and facts.
func (r *run) absorb(ev *parse.Event, text string, f recFacts, it item) {
	t := strings.TrimSpace(text)
	if r.line == 0 {
		r.line = ev.Line
	}
	if !r.hasStart && it.hasWall {
		r.startWall, r.hasStart = it.wall, true
	}
	if it.hasWall {
		r.lastWall, r.hasLast = it.wall, true
	}
	if it.fraction {
		r.fraction = true
	}
	if m := bannerMatch(t); m != nil && !r.hasBanner {
		r.hasBanner = true
		r.product = m[1]
		r.line = ev.Line
		r.startWall, r.hasStart = it.wall, it.hasWall
	}
	switch {
	case t == "End of Setup":
		r.ended = true
		if it.hasWall {
			r.endWall, r.hasEnd = it.wall, true
		}
	case r.gen2003 && t == "Setup completed":
		r.ended = true
		if it.hasWall {
			r.endWall, r.hasEnd = it.wall, true
		}
	}
	if f.severity == "ERROR" {
		r.errors++
		if r.firstErrorLine == 0 {
			r.firstErrorLine = ev.Line
		}
	}
	if f.frameMode != "" && r.frameMode == "" {
		r.frameMode = f.frameMode
	}
	if r.gen2003 {
		r.out.track2003(ev, t)
		return
	}
	r.out.track(ev, t, f)
	switch f.evalName {
	case "ComputerNameDnsFullyQualified":
		if r.computer == "" && f.evalKind == "Setting" {
			r.computer = f.evalValue
		}
	case "Watermarks":
		if f.evalValue != "" && f.evalValue != "<NULL>" && len(r.watermarks) < maxListed {
			r.watermarks = append(r.watermarks, f.evalPar+"="+f.evalValue)
		}
	case "InstallWatermark":
		if r.installWatermark != "True" {
			r.installWatermark = f.evalValue
		}
	}
	if f.evalKind != "" {
		return
	}
	if name := ev.Fields[parse.KeyParamName]; name != "" {
		if len(r.params) < maxListed {
			r.params = append(r.params, [2]string{strings.ToLower(name), ev.Fields[parse.KeyParamValue]})
		}
		if strings.EqualFold(name, "mode") && r.modeParam == "" {
			r.modeParam = ev.Fields[parse.KeyParamValue]
		}
		return
	}
	// Literal prefixes pick the one pattern worth trying: running every
	// pattern on every record costs most of the parse.
	switch {
	case strings.HasPrefix(t, "Local time zone: "):
		if m := reTZ.FindStringSubmatch(t); m != nil && r.tz == "" {
			r.zone(m)
		}
	case strings.HasPrefix(t, "Setup version: "):
		if m := reSetupV.FindStringSubmatch(t); m != nil {
			r.setupVersion = m[1]
			r.setupVersionMark = mark{ev.Line, t}
		}
	case strings.HasPrefix(t, "Logged on user: "):
		if m := reUser.FindStringSubmatch(t); m != nil && r.user == "" {
			r.user = m[1]
		}
	case strings.HasPrefix(t, "CurrentResult "):
		if m := reCurRes.FindStringSubmatch(t); m != nil {
			r.currentResult = m[1]
		}
	case strings.HasPrefix(t, "Setup will use the domain controller '"):
		if m := reDC.FindStringSubmatch(t); m != nil && r.dc == "" {
			r.dc = m[1]
		}
	case strings.HasPrefix(t, "The "):
		r.absorbThe(t, ev.Line)
	case strings.Contains(t, " was started with the following command: "):
		if m := reCmdLine.FindStringSubmatch(t); m != nil && r.cmdLine == "" {
			r.cmdLine = m[1]
		}
		if l := launcherOf(t); l != "" && r.launcher == "" {
			r.launcher, r.launcherMark = l, mark{ev.Line, t}
		}
	}
}

// launcherOf reads which program started setup from "<program> was
// started with the following command: ...": ExSetupUI is the graphical
// setup that setup.exe starts, ExSetup the command line that setup.com
// runs. It returns "setup.exe", "setup.com" or "".
func launcherOf(t string) string {
	i := strings.Index(t, " was started with the following command")
	if i < 0 {
		return ""
	}
	head := strings.TrimSpace(t[:i])
	if j := strings.LastIndexAny(head, " ]"); j >= 0 {
		head = head[j+1:]
	}
	switch strings.ToLower(head) {
	case "exsetupui":
		return "setup.exe"
	case "exsetup":
		return "setup.com"
	}
	return ""
}

// absorbThe reads the run facts that start with "The ".
func (r *run) absorbThe(t string, line int) {
	if m := reBackup.FindStringSubmatch(t); m != nil {
		r.previousVersion = m[1]
		r.previousMark = mark{line, t}
	} else if m := reLocal.FindStringSubmatch(t); m != nil {
		r.installedVersion = m[1]
		r.installedMark = mark{line, t}
	} else if m := reInstMode.FindStringSubmatch(t); m != nil {
		r.installationMode = m[1]
	} else if m := reRoles.FindStringSubmatch(t); m != nil {
		if m[1] == "are installed" {
			r.rolesInstalled = m[2]
		} else {
			r.rolesUnpacked = m[2]
		}
	}
}

// zone takes the "Local time zone" line apart.
func (r *run) zone(m []string) {
	r.tz = m[1]
	off := time.Duration(0)
	if m[3] != "" {
		h, _ := strconv.Atoi(m[4])
		mi, _ := strconv.Atoi(m[5])
		off = time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute
		if m[3] == "-" {
			off = -off
		}
	}
	r.tzOffset = formatOffset(off)
	// A zone line after the run's records were already sent without an
	// offset is reported but not applied, so one run never mixes two
	// time bases.
	if !r.tzDecided {
		r.offset = off
		r.tzKnown = true
	}
}

func formatOffset(d time.Duration) string {
	sign := '+'
	if d < 0 {
		sign, d = '-', -d
	}
	return fmt.Sprintf("%c%02d:%02d", sign, int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// utc converts a wall time of this run to the stored time.
func (r *run) utc(wall time.Time) time.Time {
	if r.tzKnown {
		return wall.Add(-r.offset)
	}
	return wall
}

func (r *run) quality() parse.TimeQuality {
	switch {
	case r.gen2003:
		return parse.TimeOfDayOnly
	case r.tzKnown:
		return parse.TimeLocalKnownOffset
	}
	return parse.TimeLocalUnknownOffset
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (r *run) generation() string {
	switch {
	case r.gen2003:
		return "2000/2003"
	case r.product == "2007" || r.product == "2010":
		return "2007/2010"
	case r.product != "":
		return "2013+"
	}
	major, _, _ := strings.Cut(r.setupVersion, ".")
	switch major {
	case "6":
		return "2000/2003"
	case "8", "14":
		return "2007/2010"
	case "15":
		return "2013+"
	}
	// A run cut before its banner: the timestamp style is the last clue.
	// 2010 also writes fractions, so this may call a cut 2010 run 2013+.
	if r.fraction {
		return "2013+"
	}
	if r.hasStart {
		return "2007/2010"
	}
	return ""
}

// mode is /mode's value, else the first action switch given. Setup logs
// no parameter lines when it rejects the command line, so the command line
// itself is the last resort.
func (r *run) mode() string {
	if r.gen2003 {
		return r.frameMode
	}
	if r.modeParam != "" {
		return r.modeParam
	}
	for _, a := range actionSwitches {
		for _, p := range r.params {
			if p[0] == a {
				return p[0]
			}
		}
	}
	if m := reCmdMode.FindStringSubmatch(r.cmdLine); m != nil {
		return m[1]
	}
	for _, m := range reCmdFlag.FindAllStringSubmatch(r.cmdLine, -1) {
		for _, a := range actionSwitches {
			if strings.EqualFold(m[1], a) {
				return a
			}
		}
	}
	return ""
}

// summary builds the setup-run event.
func (r *run) summary(node, file string) *parse.Event {
	ev := &parse.Event{
		TimeQuality: r.quality(),
		Node:        node,
		Source:      parse.SourceSetupLog,
		Kind:        parse.KindSetupRun,
		File:        file,
		Line:        r.line,
		Provider:    provider,
		Run:         r.n,
	}
	if !r.hasStart {
		ev.TimeQuality = parse.TimeNone
	}
	gen := r.generation()
	outcome, decider, reason, firstFail := r.decide(file)
	// The field keeps the word of the report's JSON contract for a run
	// that succeeded ("success"); the fact carries the outcome itself.
	res, resText := string(outcome), decider.Text
	if outcome == facts.Succeeded {
		res = "success"
	}
	mode := r.mode()
	roles := r.rolesInstalled
	if roles == "" {
		roles = r.rolesUnpacked
	}
	ev.SetField(parse.KeyGeneration, gen)
	ev.SetField(parse.KeyProduct, r.product)
	ev.SetField(parse.KeySetupVersion, r.setupVersion)
	ev.SetField(parse.KeyPreviousVersion, r.previousVersion)
	ev.SetField(parse.KeyInstalledVersion, r.installedVersion)
	ev.SetField(parse.KeyMode, mode)
	ev.SetField(parse.KeyInstallationMode, r.installationMode)
	var ps []string
	for _, p := range r.params {
		ps = append(ps, p[0]+"="+p[1])
		if _, dup := ev.Fields[parse.KeyParamPrefix+p[0]]; !dup {
			// Switches without a value are recorded as present.
			v := p[1]
			if v == "" {
				v = "true"
			}
			ev.SetField(parse.KeyParamPrefix+p[0], v)
		}
	}
	ev.SetField(parse.KeyParams, strings.Join(ps, "; "))
	ev.SetField(parse.KeyCommandLine, r.cmdLine)
	ev.SetField(parse.KeyRoles, roles)
	ev.SetField(parse.KeyUser, r.user)
	ev.SetField(parse.KeyDC, r.dc)
	ev.SetField(parse.KeyComputer, r.computer)
	ev.SetField(parse.KeyTZ, r.tz)
	ev.SetField(parse.KeyTZOffset, r.tzOffset)
	ev.SetField(parse.KeyResult, res)
	ev.SetField(parse.KeyResultText, resText)
	ev.SetField(parse.KeyCurrentResult, r.currentResult)
	ev.SetField(parse.KeyEndSeen, strconv.FormatBool(r.ended))
	var dur time.Duration
	if r.hasStart {
		ev.Time = r.utc(r.startWall)
		ev.SetField(parse.KeyStart, ev.Time.Format(time.RFC3339Nano))
		end, ok := r.endWall, r.hasEnd
		if !ok {
			end, ok = r.lastWall, r.hasLast
		}
		if ok {
			ev.SetField(parse.KeyEnd, r.utc(end).Format(time.RFC3339Nano))
			dur = end.Sub(r.startWall)
			ev.SetField(parse.KeyDuration, dur.Round(time.Millisecond).String())
		}
	}
	ev.SetField(parse.KeyErrors, strconv.Itoa(r.errors))
	ev.SetField(parse.KeyErrorFrames, strconv.Itoa(r.errorFrames))
	first := r.firstErrorLine
	if first == 0 && r.gen2003 {
		first = r.firstFrameLine
	}
	if first > 0 {
		ev.SetField(parse.KeyFirstErrorLine, strconv.Itoa(first))
	}
	ev.SetField(parse.KeyWatermark, strings.Join(r.watermarks, "; "))
	ev.SetField(parse.KeyInstallWatermark, r.installWatermark)
	ev.SetField(parse.KeyLastLine, strconv.Itoa(r.lastLine))

	switch outcome {
	case facts.Succeeded:
		ev.Level = parse.LevelInfo
	case facts.Failed:
		ev.Level = parse.LevelError
	default:
		ev.Level = parse.LevelWarning
	}
	ev.Message = r.describe(gen, mode, outcome, dur)
	r.attachFacts(ev, gen, mode, outcome, decider, reason, firstFail)
	return ev
}

// describe writes the one-line summary a support engineer reads first.
func (r *run) describe(gen, mode string, res facts.Outcome, dur time.Duration) string {
	var b strings.Builder
	name := "Exchange"
	if r.product != "" {
		name += " " + r.product
	} else if gen != "" {
		name += " " + gen
	}
	fmt.Fprintf(&b, "%s setup run %d", name, r.n)
	var what []string
	if mode != "" {
		what = append(what, "mode "+mode)
	}
	switch {
	case r.previousVersion != "" && r.setupVersion != "":
		what = append(what, r.previousVersion+" -> "+r.setupVersion)
	case r.installedVersion != "" && r.setupVersion != "" && r.installedVersion != r.setupVersion:
		what = append(what, "installed "+r.installedVersion+", setup "+r.setupVersion)
	case r.setupVersion != "":
		what = append(what, "build "+r.setupVersion)
	}
	if len(what) > 0 {
		b.WriteString(" (" + strings.Join(what, ", ") + ")")
	}
	switch res {
	case facts.Succeeded:
		b.WriteString(" succeeded")
	case facts.Failed:
		b.WriteString(" failed")
	case facts.Incomplete:
		b.WriteString(" is incomplete: the log stops mid-run")
	default:
		b.WriteString(" ended without a clear result")
	}
	if dur >= time.Second {
		fmt.Fprintf(&b, " after %s", dur.Round(time.Second))
	}
	if r.errors > 0 {
		fmt.Fprintf(&b, "; %d [ERROR] records, the first at line %d", r.errors, r.firstErrorLine)
	} else if r.errorFrames > 0 {
		fmt.Fprintf(&b, "; %d error frames not ignored", r.errorFrames)
	}
	return b.String()
}
