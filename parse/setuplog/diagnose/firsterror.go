package diagnose

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

// benignCode is the property-cache miss that fills thousands of native
// frames in a healthy run; it never explains a failure.
const benignCode = "0X8000500D"

// Bounds of the quoted context of a first error.
const (
	maxFollowing = 6 // [ERROR] and [ERROR-REFERENCE] records after the first
	maxFrames    = 5 // native error frames on either side of the anchor
)

// errorFrame reports whether e is a native frame with an error code that
// counts: not the property-cache noise and not neutralised by an
// "=== IGNORING PREVIOUS ERRORS ===" marker.
func errorFrame(e *parse.Event) bool {
	return e.Field(parse.KeyNativeFunction) != "" && e.Field(parse.KeyErrorCode) != "" &&
		e.Field(parse.KeyErrorCode) != benignCode && e.Field(parse.KeyIgnored) != "true"
}

// firstError is the fallback: no known cause matched, so the finding quotes
// where the run went wrong.
func firstError(r *Run) *Diagnosis {
	if first := r.firstWith("ERROR"); first >= 0 {
		return firstErrorRecord(r, first)
	}
	if d := firstRequired(r); d != nil {
		return d
	}
	if d := firstFrames(r); d != nil {
		return d
	}
	if r.Fact.Outcome == facts.Failed {
		if fr, _ := r.failedRule("InstallWatermark"); fr != nil || strings.EqualFold(r.Field(parse.KeyInstallWatermark), "True") {
			return nil // the upgradecms-watermark detector explains it
		}
		d := &Diagnosis{Cause: "first-error", Title: "setup failed without logging an error line"}
		d.quote(r.resultRecord())
		d.Explanation = "The run ended as failed (" + r.Field(parse.KeyResultText) + ") but wrote no [ERROR] line, no failed prerequisite and no native error code that could say why."
		d.Remediation = "Read the last lines of the run in the log and the Application event log around the same time (MSExchangeSetup events), fix what they show, then run setup again in the same mode."
		return d
	}
	return nil
}

func firstErrorRecord(r *Run, first int) *Diagnosis {
	e := r.recs[first]
	text := strings.TrimSpace(strings.TrimPrefix(firstLine(e), "[ERROR]"))
	d := &Diagnosis{Cause: "first-error", Title: "setup stopped on an error no known pattern explains",
		Refs: []string{refSetupAssist}}
	comp := ""
	for i := first - 1; i >= 0; i-- {
		if c := r.recs[i].Field(parse.KeyComponent); c != "" {
			comp = c
			d.quote(r.recs[i])
			break
		}
	}
	d.quote(e)
	following := 0
	var stop *parse.Event
	for _, next := range r.recs[first+1:] {
		if strings.HasPrefix(next.Message, "Setup is stopping now") {
			stop = next
			break
		}
		if s := severity(next); (s == "ERROR" || s == "ERROR-REFERENCE") && following < maxFollowing {
			d.quote(next)
			following++
			if ref := next.Field(parse.KeyErrRefID); ref != "" {
				d.set("error_reference", ref)
			}
		}
	}
	d.quote(stop)
	var frame *parse.Event
	if r.Generation() != "2013+" {
		// Older builds often log the native error code only in a frame
		// next to the [ERROR] line.
		for _, f := range nearbyFrames(r, first) {
			d.quote(f)
			if frame == nil || f.Line < e.Line {
				frame = f
			}
		}
	}
	d.set("error_text", parse.Clip(text, 500, " …"))
	d.set("component", comp)
	d.Explanation = "None of the known setup failures matches this run. The first error it logged is: " + parse.Clip(text, 500, " …")
	if comp != "" {
		d.Explanation += " It happened while setup was processing the component '" + comp + "'."
	}
	if frame != nil {
		code, dec := frame.Field(parse.KeyErrorCode), frame.Field(parse.KeyErrorCodeDec)
		d.set("error_code", code)
		d.set("error_code_dec", dec)
		d.set("native_function", frame.Field(parse.KeyNativeFunction))
		d.Explanation += fmt.Sprintf(" The native frame %s near it reports error code %s (%s): %s.", orUnknown(frame.Field(parse.KeyNativeFunction)), code, dec, strings.TrimSuffix(frame.Field(parse.KeyErrorText), "."))
	}
	if n, _ := strconv.Atoi(r.Field(parse.KeyErrors)); n > 1 {
		d.Explanation += fmt.Sprintf(" The run logged %d [ERROR] lines in all; the later ones usually repeat or follow from the first.", n)
	}
	d.Remediation = fmt.Sprintf("Read the first error with the lines before and after it (line %d of %s): the exception text and the task that ran name the cause. Fix it, run SetupAssist.ps1 from CSS-Exchange to rule out the usual blockers, then run setup again in the same mode so it resumes where it stopped.", e.Line, e.File)
	if r.Generation() != "2013+" {
		d.Remediation = fmt.Sprintf("Read the first error with the lines around it (line %d of %s) and the native error codes quoted with it; fix what they name, then run setup again in the same mode so it resumes where it stopped.", e.Line, e.File)
		d.Refs = nil
	}
	return d
}

// firstRequired covers runs stopped by a prerequisite rule that has no
// check of its own. A watermark rule belongs to another detector.
func firstRequired(r *Run) *Diagnosis {
	for _, e := range r.recs {
		if severity(e) != "REQUIRED" {
			continue
		}
		url := r.helpURL(e)
		if strings.Contains(strings.ToLower(url), "installwatermark") {
			continue
		}
		text := strings.TrimSpace(strings.TrimPrefix(firstLine(e), "[REQUIRED]"))
		d := &Diagnosis{Cause: "first-error", Title: "a prerequisite without a known remedy failed"}
		d.quote(e)
		d.set("error_text", parse.Clip(text, 500, " …"))
		d.set("help_url", url)
		d.Explanation = "The prerequisite check stopped setup with: " + parse.Clip(text, 500, " …")
		d.Remediation = "Meet the prerequisite the message names (the help link in the log names the rule), then run setup again."
		return d
	}
	return nil
}

// firstFrames explains a failed run by its native error frames, which is
// all a 2000/2003 progress log has.
func firstFrames(r *Run) *Diagnosis {
	anchor := -1
	if r.Generation() == "2000/2003" && r.Fact.Outcome == facts.Failed {
		want := strings.TrimSpace(r.Field(parse.KeyResultText))
		for i, e := range r.recs {
			if e.Field(parse.KeyIgnored) != "true" && strings.TrimSpace(firstLine(e)) == want {
				anchor = i
				break
			}
		}
	}
	if anchor < 0 {
		for i, e := range r.recs {
			if errorFrame(e) {
				anchor = i
				break
			}
		}
	}
	if anchor < 0 {
		return nil
	}
	frames := nearbyFrames(r, anchor)
	root := r.recs[anchor]
	if len(frames) > 0 && errorFrame(frames[0]) {
		root = frames[0]
	}
	d := &Diagnosis{Cause: "first-error", Title: "setup failed with a native error code"}
	d.quote(r.recs[anchor])
	for _, f := range frames {
		d.quote(f)
	}
	code, dec, msg := root.Field(parse.KeyErrorCode), root.Field(parse.KeyErrorCodeDec), root.Field(parse.KeyErrorText)
	fn := root.Field(parse.KeyNativeFunction)
	d.set("error_code", code)
	d.set("error_code_dec", dec)
	d.set("error_text", msg)
	d.set("native_function", fn)
	what := strings.TrimSpace(firstLine(r.recs[anchor]))
	d.Explanation = "The run failed at: " + parse.Clip(what, 400, " …") + "."
	if code != "" {
		d.Explanation += fmt.Sprintf(" The first error frame of that chain is %s, with error code %s (%s): %s.", orUnknown(fn), code, dec, strings.TrimSuffix(msg, "."))
	}
	d.Explanation += " Frames marked as ignored by '=== IGNORING PREVIOUS ERRORS ===' and property-cache misses (0X8000500D) are routine and were left out."
	d.Remediation = fmt.Sprintf("Look up the error code (its low 16 bits, %s, are usually the Win32 or LDAP error) and the function that reported it, fix that condition (often a missing or unreadable Active Directory object, rights of the setup account, or a service), then run setup again in the same mode.", orUnknown(dec))
	return d
}

// nearbyFrames returns the counting error frames closest to recs[at]: up to
// maxFrames before it and maxFrames after it, in file order.
func nearbyFrames(r *Run, at int) []*parse.Event {
	var before, after []*parse.Event
	for i := at - 1; i >= 0 && len(before) < maxFrames; i-- {
		if errorFrame(r.recs[i]) {
			before = append(before, r.recs[i])
		}
	}
	for i := at + 1; i < len(r.recs) && len(after) < maxFrames; i++ {
		if errorFrame(r.recs[i]) {
			after = append(after, r.recs[i])
		}
	}
	out := make([]*parse.Event, 0, len(before)+len(after))
	for i := len(before) - 1; i >= 0; i-- {
		out = append(out, before[i])
	}
	return append(out, after...)
}

// resultRecord finds the line the parser took the run's result from.
func (r *Run) resultRecord() *parse.Event {
	want := strings.TrimSpace(r.Field(parse.KeyResultText))
	if want == "" {
		return nil
	}
	cur := strings.HasPrefix(want, "CurrentResult ")
	for i := len(r.recs) - 1; i >= 0; i-- {
		t := strings.TrimSpace(firstLine(r.recs[i]))
		if t == want || (cur && strings.HasPrefix(t, "CurrentResult ")) {
			return r.recs[i]
		}
	}
	return nil
}

// interrupted explains a run that stops without an end and without any
// error: setup was killed, the server restarted, or the log was taken while
// setup still ran.
func interrupted(r *Run) *Diagnosis {
	d := &Diagnosis{Cause: "interrupted", Title: "the run stops without an end or an error", Warning: true}
	if len(r.recs) > 0 {
		d.quote(r.recs[len(r.recs)-1])
	}
	d.Explanation = fmt.Sprintf("The run has no \"End of Setup\" and logged no error; its last line is %s. Setup was stopped (process ended, server restarted, session closed) or was still running when the logs were collected.", r.Field(parse.KeyLastLine))
	d.Remediation = "Check whether setup is still running on the server. If not, look at the System and Application logs around the last logged time for a restart or crash, then run setup again in the same mode so it resumes from where it stopped."
	return d
}
