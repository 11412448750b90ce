package setuplog

import (
	"hash/fnv"
	"regexp"
	"strings"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

// printLen is how many records identify a run by content (SetupRun.Print):
// with their time stamps, that many records never repeat in another run.
const printLen = 16

// mark is one line that counts for the outcome.
type mark struct {
	line int
	text string
}

func (m mark) ok() bool { return m.line > 0 }

// outcomeState is what a run's records say about how it ended. Lines are
// physical line numbers, so "after" compares positions in the file.
type outcomeState struct {
	// 2007 and later
	failedRule       mark
	failedRuleName   string
	failedRuleMsg    string
	required         mark // first [REQUIRED] prerequisite line
	firstError       mark
	firstErrorTask   string
	lastError        int
	errRefTask       string
	stop             mark
	resultFail       mark // "setup operation didn't complete"
	resultOK         mark // last "setup operation completed successfully"
	end              mark // "End of Setup"
	lastTask         int  // last task start (component, cmdlet, script)
	component, cmdlt string
	last             mark // the run's last record

	// 2000/2003
	fail2003       mark   // first failure not ignored (set as events leave)
	failTask2003   string // "Install of Microsoft Exchange ..."
	failCause2003  string
	completed2003  mark // last "Completed <Action> of <Component> component" or EVS upgraded
	setupCompleted mark
	servicePack    string
	build2003      mark
	build2003V     string
	product2003    string

	print   []uint64
	records int
}

var (
	reFailedRule = regexp.MustCompile(`^Failed \[Rule:(\w+)\](?: \[Message:(.*?)\]?)?\s*$`)
	reBeginProc  = regexp.MustCompile(`^Beginning processing ([\w-]+)`)
	// 2003: "Completed Install of Microsoft Exchange Messaging and
	// Collaboration Services component" (the wording of the DomainPrep
	// excerpt in Microsoft's article on redirected containers).
	reCompleted2003 = regexp.MustCompile(`^Completed (\w+) of (.+?) component\b`)
	// 2003: "Setup encountered an error during <Component> of <Action>
	// component task."
	reEncountered = regexp.MustCompile(`Setup encountered an error during (.+?) of (\w+) component task`)
	// 2000/2003 statements of what setup installs: the product and
	// service-pack level ("Exchange Server 2003 Service Pack 2 setup ...")
	// and an explicit build next to the product name. Read tolerantly; a
	// line must name Exchange 2000/2003 and setup, install or upgrade.
	reProduct2003 = regexp.MustCompile(`(?i)\bExchange(?: Server)? (2000|2003)\b(?:[^\n]*?\b(?:Service Pack|SP) ?(\d)\b)?`)
	reBuild2003   = regexp.MustCompile(`(?i)\b(?:version|build)[ :]+(6\.[05]\.\d{4}(?:\.\d{1,4})?)\b|\(Build (\d{4}(?:\.\d{1,4})?)[:)]`)
	reSetupVerb   = regexp.MustCompile(`(?i)\b(?:setup|install|upgrad)`)
)

// recordHash hashes a record's time stamp and text, so copies of a log in
// another encoding or with other line endings hash alike.
func recordHash(stamp, thread, msg string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(stamp))
	h.Write([]byte{0})
	h.Write([]byte(thread))
	h.Write([]byte{0})
	h.Write([]byte(msg))
	return h.Sum64()
}

// track reads the outcome evidence of one record of a 2007+ run.
func (o *outcomeState) track(ev *parse.Event, t string, f recFacts) {
	line := ev.Line
	o.last = mark{line, t}
	switch f.severity {
	case "ERROR":
		o.lastError = line
		if !o.firstError.ok() {
			o.firstError = mark{line, t}
			o.firstErrorTask = o.task()
		}
		return
	case "ERROR-REFERENCE":
		if o.errRefTask == "" {
			o.errRefTask = ev.Fields[parse.KeyErrRefTask]
		}
		return
	case "REQUIRED":
		// Setup lists each prerequisite that stops it as [REQUIRED], next
		// to (or, in a log cut short, instead of) its Failed [Rule:] line.
		if !o.required.ok() {
			o.required = mark{line, t}
		}
		return
	}
	switch {
	case strings.HasPrefix(t, "Failed [Rule:"):
		if !o.failedRule.ok() {
			o.failedRule = mark{line, t}
			o.failedRuleName, o.failedRuleMsg, _ = FailedRule(t)
		}
	case strings.HasPrefix(t, "Processing component '"):
		o.lastTask = line
		o.component, o.cmdlt = ev.Fields[parse.KeyComponent], ""
	case strings.HasPrefix(t, "Beginning processing "):
		o.lastTask = line
		if m := reBeginProc.FindStringSubmatch(t); m != nil {
			o.cmdlt = m[1]
		}
	case strings.HasPrefix(t, "Executing:"):
		o.lastTask = line
	case strings.HasPrefix(t, stopText):
		if !o.stop.ok() {
			o.stop = mark{line, t}
		}
	case t == "End of Setup":
		o.end = mark{line, t}
	case strings.HasPrefix(t, "The ") && strings.Contains(t, "setup operation "):
		if m := reResult.FindStringSubmatch(t); m != nil {
			if m[1] == "completed successfully" {
				o.resultOK = mark{line, t}
			} else if !o.resultFail.ok() {
				o.resultFail = mark{line, t}
			}
		}
	}
}

// task names the task running now: the component and, inside it, the
// cmdlet.
func (o *outcomeState) task() string {
	switch {
	case o.component != "" && o.cmdlt != "":
		return o.component + " (" + o.cmdlt + ")"
	case o.component != "":
		return o.component
	}
	return o.cmdlt
}

// track2003 reads the statements of a 2000/2003 progress log record that
// do not depend on IGNORING markers.
func (o *outcomeState) track2003(ev *parse.Event, t string) {
	line := ev.Line
	o.last = mark{line, t}
	switch {
	case t == "Setup completed":
		o.setupCompleted = mark{line, t}
	case strings.HasPrefix(t, "Completed "):
		if reCompleted2003.MatchString(t) {
			o.completed2003 = mark{line, t}
		}
	case strings.Contains(strings.ToLower(t), evsUpgradedText):
		o.completed2003 = mark{line, t}
	}
	if ev.Fields[parse.KeyNativeFunction] != "" || ev.Fields[parse.KeyErrorCode] != "" {
		return // error frames name builds of other things
	}
	if !strings.Contains(t, "xchange") || !reSetupVerb.MatchString(t) {
		return
	}
	if m := reProduct2003.FindStringSubmatch(t); m != nil {
		if o.product2003 == "" {
			o.product2003 = m[1]
		}
		if m[2] != "" && o.servicePack == "" {
			o.servicePack = m[1] + " SP" + m[2]
			if !o.build2003.ok() {
				o.build2003 = mark{line, t}
			}
		}
	}
	if m := reBuild2003.FindStringSubmatch(t); m != nil && o.build2003V == "" {
		v := m[1]
		if v == "" && o.product2003 != "" {
			v = map[string]string{"2000": "6.0.", "2003": "6.5."}[o.product2003] + m[2]
		}
		if v != "" {
			o.build2003V = v
			o.build2003 = mark{line, t}
		}
	}
}

// evsUpgradedText is the success message of "Upgrade Exchange Virtual
// Server" run on an Exchange 2003 System Attendant resource.
const evsUpgradedText = "exchange virtual server has been upgraded successfully"

// failed2003 records the first 2003 failure that no IGNORING marker
// neutralised, as events leave the run.
func (o *outcomeState) failed2003(ev *parse.Event) {
	if o.fail2003.ok() {
		return
	}
	t := firstLine(ev.Message)
	o.fail2003 = mark{ev.Line, t}
	if m := reEncountered.FindStringSubmatch(ev.Message); m != nil {
		o.failTask2003 = m[2] + " of " + m[1]
	} else if fm := ev.Fields[parse.KeyFrameMode]; fm != "" {
		o.failTask2003 = fm + " (" + ev.Fields[parse.KeyNativeFunction] + ")"
	}
	if et := ev.Fields[parse.KeyErrorText]; et != "" {
		o.failCause2003 = ev.Fields[parse.KeyErrorCode] + " (" + ev.Fields[parse.KeyErrorCodeDec] + "): " + et
	} else {
		o.failCause2003 = t
	}
}

// decide applies the outcome model. file is the log's path for the
// evidence lines.
func (r *run) decide(file string) (facts.Outcome, facts.Line, string, *facts.Failure) {
	o := &r.out
	at := func(m mark) facts.Line { return facts.Line{Line: m.line, Text: m.text} }
	if r.gen2003 {
		switch {
		case o.fail2003.ok():
			f := &facts.Failure{Task: o.failTask2003, Cause: o.failCause2003, At: at(o.fail2003)}
			return facts.Failed, at(o.fail2003), "an error the log did not mark as ignored stopped a component", f
		case o.completed2003.ok() && o.setupCompleted.line > o.completed2003.line:
			return facts.Succeeded, at(o.completed2003), "a component completed and setup closed its log with no error left standing", nil
		case o.completed2003.ok():
			return facts.Incomplete, at(o.last), "a component completed, but the log stops before \"Setup completed\"", nil
		case o.setupCompleted.ok():
			return facts.Unknown, at(o.setupCompleted), "\"Setup completed\" marks the end of every run, failed or not, and no completed component is stated", nil
		case o.last.ok():
			return facts.Incomplete, at(o.last), "the log stops without \"Setup completed\"", nil
		}
		return facts.Unknown, facts.Line{}, "the run has no records", nil
	}

	// 2007 and later. The first failure piece of evidence names the cause.
	var first *facts.Failure
	if !o.failedRule.ok() && o.required.ok() {
		o.failedRule = o.required
		o.failedRuleMsg = strings.TrimSpace(strings.TrimPrefix(o.required.text, "[REQUIRED]"))
	}
	switch {
	case o.failedRule.ok() && (!o.firstError.ok() || o.failedRule.line < o.firstError.line):
		first = &facts.Failure{Task: "prerequisite check", Rule: o.failedRuleName, Cause: o.failedRuleMsg, At: at(o.failedRule)}
	case o.firstError.ok():
		task := o.firstErrorTask
		if o.errRefTask != "" {
			task = o.errRefTask
		}
		first = &facts.Failure{Task: task, Cause: strings.TrimSpace(strings.TrimPrefix(o.firstError.text, "[ERROR]")), At: at(o.firstError)}
	case o.stop.ok():
		first = &facts.Failure{Task: o.task(), Cause: o.stop.text, At: at(o.stop)}
	case o.resultFail.ok():
		first = &facts.Failure{Task: o.task(), Cause: o.resultFail.text, At: at(o.resultFail)}
	}
	recovered := o.resultOK.ok() && !o.failedRule.ok() && !o.stop.ok() && !o.resultFail.ok() &&
		o.firstError.ok() && o.lastError < o.resultOK.line
	switch {
	case recovered:
		return facts.Unknown, at(o.firstError), "the run says it completed successfully, but an [ERROR] precedes that statement", first
	case o.resultFail.ok():
		return facts.Failed, at(o.resultFail), "setup states that the operation did not complete", first
	case o.stop.ok():
		return facts.Failed, at(o.stop), "setup states that it is stopping because of critical errors", first
	case o.failedRule.ok():
		return facts.Failed, at(o.failedRule), "a prerequisite check failed", first
	case o.firstError.ok():
		return facts.Failed, at(o.firstError), "an [ERROR] that the run never recovered from", first
	case o.resultOK.ok() && o.end.line > o.resultOK.line && o.lastTask < o.resultOK.line:
		return facts.Succeeded, at(o.resultOK), "setup states that the operation completed successfully, with \"End of Setup\" after it and no error", nil
	case !o.end.ok() && o.last.ok():
		return facts.Incomplete, at(o.last), "the log stops before \"End of Setup\"", nil
	case o.resultOK.ok():
		return facts.Unknown, at(o.end), "a completion statement is followed by more tasks and no statement for them", nil
	case o.end.ok():
		return facts.Unknown, at(o.end), "\"End of Setup\" without a statement of how the operation ended", nil
	}
	return facts.Unknown, facts.Line{}, "the run has no records", nil
}

// FailedRule reads "Failed [Rule:Name] [Message:text]", the line setup
// writes for each prerequisite rule that stopped it; a message cut or
// continued on the next line still names the rule.
func FailedRule(line string) (rule, msg string, ok bool) {
	m := reFailedRule.FindStringSubmatch(line)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}
