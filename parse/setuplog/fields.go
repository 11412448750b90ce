package setuplog

import (
	"regexp"
	"strings"

	"github.com/exlog/exlog/parse"
)

var (
	reParam   = regexp.MustCompile(`^Command Line Parameter Name='([^']*)', Value='(.*)'\.?\s*$`)
	reComp    = regexp.MustCompile(`^Processing component '([^']+)'`)
	reErrRef  = regexp.MustCompile(`^\[ERROR-REFERENCE\] Id=(\S+)(?: Component=(.*?))?\s*$`)
	reErrCode = regexp.MustCompile(`Error code (0[Xx][0-9A-Fa-f]{8}) \((-?\d+)\):? ?([^\n]*)`)
	// A native exsetdata frame: "Function (x:\path\file.cxx:NNN)", the
	// source possibly on the next physical line, an error code possibly
	// after it on the same line.
	reFrame = regexp.MustCompile(`^(.*?) ?\(([A-Za-z]:\\[^()\n]*?\.(?:cxx|cpp|hxx|c|h)):(\d+)\)(.*)$`)
	reMode  = regexp.MustCompile(`^mode = '([^']*)' \((\d+)\) ?(.*)$`)
	reIdent = regexp.MustCompile(`^[\w:~]+$`)
)

// The severity tags written after the thread. RECOMENDED is misspelt by
// Exchange itself.
var severities = []string{"ERROR-REFERENCE", "ERROR", "WARNING", "REQUIRED", "RECOMENDED", "RECOMMENDED"}

const ignoringMarker = "=== IGNORING PREVIOUS ERRORS ==="

// benignCode is the property-cache miss that fills thousands of frames in
// every 2016 PrepareAD; it is noise, not a problem.
const benignCode = "0X8000500D"

// recFacts is what the record-level reading learnt that the run and the
// IGNORING logic need.
type recFacts struct {
	severity  string
	errFrame  bool   // a native frame carrying an error code
	marker    bool   // "=== IGNORING PREVIOUS ERRORS ==="
	frameMode string // mode = 'X' of a native frame
	evalKind  string
	evalName  string
	evalValue string
	evalPar   string
}

// describe sets the per-record fields and Level of ev from the record's
// first-line text and its joined message.
func describe(ev *parse.Event, text, msg string, second string) recFacts {
	var f recFacts
	ev.Level = parse.LevelInfo
	t := strings.TrimLeft(text, " ")

	if strings.HasPrefix(t, "[") {
		for _, s := range severities {
			if strings.HasPrefix(t[1:], s) && strings.HasPrefix(t[1+len(s):], "]") {
				f.severity = s
				break
			}
		}
	}
	switch f.severity {
	case "ERROR", "REQUIRED":
		ev.Level = parse.LevelError
	case "WARNING":
		ev.Level = parse.LevelWarning
	case "ERROR-REFERENCE":
		if m := reErrRef.FindStringSubmatch(t); m != nil {
			ev.SetField(parse.KeyErrRefID, m[1])
			ev.SetField(parse.KeyErrRefComponent, m[2])
			if i := strings.Index(m[1], "___"); i > 0 {
				ev.SetField(parse.KeyErrRefTask, m[1][:i])
			}
		}
	}
	ev.SetField(parse.KeySeverity, f.severity)

	switch {
	case strings.HasPrefix(t, "Evaluated ["):
		f.evalKind, f.evalName, f.evalValue, f.evalPar = parseEval(msg)
		if f.evalKind != "" {
			ev.SetField(parse.KeyEvalKind, f.evalKind)
			ev.SetField(parse.KeyEvalName, f.evalName)
			ev.SetField(parse.KeyEvalValue, f.evalValue)
			ev.SetField(parse.KeyEvalParent, f.evalPar)
			if strings.Contains(t, "[HasException:True]") {
				ev.SetField(parse.KeyEvalHasException, "true")
			}
		}
	case strings.HasPrefix(t, "Command Line Parameter "):
		if m := reParam.FindStringSubmatch(t); m != nil {
			ev.SetField(parse.KeyParamName, m[1])
			ev.SetField(parse.KeyParamValue, m[2])
		}
	case strings.HasPrefix(t, "Processing component '"):
		if m := reComp.FindStringSubmatch(t); m != nil {
			ev.SetField(parse.KeyComponent, m[1])
		}
	}

	// Native frames: cheap test first, they are rare outside 2003 logs.
	head := t
	if strings.HasPrefix(strings.TrimSpace(second), "(") && !strings.Contains(t, ":\\") {
		head = t + " " + strings.TrimSpace(second)
	}
	if hasSourceRef(head) {
		if m := reFrame.FindStringSubmatch(head); m != nil {
			fn := strings.TrimSpace(m[1])
			if strings.HasPrefix(fn, ignoringMarker) {
				f.marker = true
				fn = strings.TrimSpace(strings.TrimPrefix(fn, ignoringMarker))
			}
			if mm := reMode.FindStringSubmatch(fn); mm != nil {
				f.frameMode = mm[1]
				ev.SetField(parse.KeyFrameMode, mm[1])
				fn = mm[3]
			}
			// "Setup encountered an error during X. CBaseComponent::ScSetup":
			// the function is the identifier after the sentence.
			if i := strings.LastIndex(fn, ". "); i >= 0 && reIdent.MatchString(fn[i+2:]) {
				fn = fn[i+2:]
			}
			ev.SetField(parse.KeyNativeFunction, fn)
			ev.SetField(parse.KeyNativeSource, m[2]+":"+m[3])
		}
	}
	if strings.HasPrefix(t, ignoringMarker) {
		f.marker = true
	}
	if strings.Contains(msg, "Error code 0") {
		if m := reErrCode.FindStringSubmatch(msg); m != nil {
			code := strings.ToUpper(m[1][:1]) + "X" + strings.ToUpper(m[1][2:])
			ev.SetField(parse.KeyErrorCode, code)
			ev.SetField(parse.KeyErrorCodeDec, m[2])
			ev.SetField(parse.KeyErrorText, strings.TrimSpace(m[3]))
			if ev.Fields[parse.KeyNativeFunction] != "" && !f.marker {
				f.errFrame = true
				if ev.Level == parse.LevelInfo && code != benignCode {
					ev.Level = parse.LevelWarning
				}
			}
		}
	}
	return f
}

// hasSourceRef is the cheap test for a native frame's "file.cxx:NNN".
func hasSourceRef(s string) bool {
	for _, ext := range []string{".cxx:", ".cpp:", ".hxx:", ".c:", ".h:"} {
		if strings.Contains(s, ext) {
			return true
		}
	}
	return false
}

// parseEval reads "Evaluated [Setting:Name] [HasException:X] [Value:V]
// [ParentValue:P] ..." from the joined message. A value with an exception
// is unquoted and spans lines up to "] [ParentValue:".
func parseEval(msg string) (kind, name, value, parent string) {
	i := strings.Index(msg, "Evaluated [")
	if i < 0 {
		return
	}
	rest := msg[i+len("Evaluated ["):]
	j := strings.IndexByte(rest, ':')
	k := strings.IndexByte(rest, ']')
	if j <= 0 || k <= j {
		return
	}
	kind, name = rest[:j], rest[j+1:k]
	if kind != "Setting" && kind != "Rule" {
		return "", "", "", ""
	}
	rest = rest[k+1:]
	v := strings.Index(rest, "[Value:")
	if v < 0 {
		return
	}
	rest = rest[v+len("[Value:"):]
	p := strings.Index(rest, "] [ParentValue:")
	if p < 0 {
		// Cut before the end of the value: keep what is there.
		return kind, name, unquote(strings.TrimSpace(rest)), ""
	}
	value = unquote(strings.TrimSpace(rest[:p]))
	rest = rest[p+len("] [ParentValue:"):]
	if strings.HasPrefix(rest, `"`) {
		if q := strings.Index(rest[1:], `"]`); q >= 0 {
			parent = rest[1 : 1+q]
		}
	} else if q := strings.IndexByte(rest, ']'); q >= 0 {
		parent = rest[:q]
	}
	return kind, name, value, parent
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}
