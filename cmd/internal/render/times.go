package render

import (
	"strconv"
	"time"

	"github.com/exlog/exlog/cmd/internal/triage"
	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// QualityWords names a time quality in the few words every output puts
// after a time: "UTC", "UTC (from local)", "local, offset unknown",
// "date unknown", "invalid".
func QualityWords(q parse.TimeQuality) string {
	switch q {
	case parse.TimeUTC:
		return "UTC"
	case parse.TimeLocalKnownOffset:
		return "UTC (from local)"
	case parse.TimeLocalUnknownOffset:
		return "local, offset unknown"
	case parse.TimeOfDayOnly:
		return "date unknown"
	case parse.TimeInvalid:
		return "invalid"
	case parse.TimeNone:
		return "no time"
	}
	return "quality unknown"
}

// TimeLabel prints a time with how far it can be trusted. A date that was
// only assumed (from a file's modification time) is never printed as a
// fact: such a time reads "14:02:11, date unknown". layout formats the
// time when the date is known (e.g. "2006-01-02 15:04:05").
func TimeLabel(t time.Time, q parse.TimeQuality, layout string) string {
	if q == parse.TimeInvalid {
		return "invalid time"
	}
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	if q == "" || q == parse.TimeNone {
		// No quality recorded (an index written before exlog kept it).
		return t.Format(layout) + " (quality unknown)"
	}
	if !q.DateKnown() {
		return t.Format("15:04:05") + ", date unknown"
	}
	if q == parse.TimeLocalUnknownOffset {
		return t.Format(layout) + " local, offset unknown"
	}
	return t.Format(layout) + " " + QualityWords(q)
}

// EvidenceTime prints the time of a piece of evidence with its quality;
// fallback is the quality of its file, for evidence stored before exlog
// recorded the quality with it.
func EvidenceTime(ev detect.Evidence, fallback parse.TimeQuality) string {
	if ev.Time == "" {
		switch {
		case ev.Clock != "":
			// Only the time of day is known (detect leaves out the date
			// a file time suggested).
			return ev.Clock + ", date unknown"
		case ev.TimeQuality == parse.TimeInvalid:
			return "invalid time"
		}
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, ev.Time)
	if err != nil {
		return ev.Time
	}
	q := ev.TimeQuality
	if q == "" {
		q = fallback
	}
	layout := stamp
	if t.Nanosecond() != 0 {
		layout = stamp + ".000"
	}
	return TimeLabel(t, q, layout)
}

// FindingQuality is how far a finding's start can be trusted (see
// detect.Finding.StartQuality); findings of older indexes, which did not
// record it, are judged from their evidence here.
func FindingQuality(f detect.Finding) parse.TimeQuality {
	if f.TimeQuality != "" {
		return f.TimeQuality
	}
	return f.StartQuality()
}

// findingWhen prints when a finding happened, as far as its evidence's
// times allow.
func findingWhen(f detect.Finding) string {
	q := FindingQuality(f)
	if q != "" && !q.DateKnown() {
		s := f.Start.UTC().Format("15:04:05")
		if !f.End.IsZero() && !f.End.Equal(f.Start) {
			s += " to " + f.End.UTC().Format("15:04:05")
		}
		return s + ", date unknown"
	}
	words := "UTC"
	if q == parse.TimeLocalUnknownOffset || q == parse.TimeLocalKnownOffset {
		words = QualityWords(q)
	}
	return spanText(f.Start, f.End) + " " + words
}

// entryTime prints a timeline entry's time; a date only assumed is not
// printed.
func entryTime(e triage.Entry) string {
	if e.TimeQuality != "" && e.TimeQuality != parse.TimeNone && !e.TimeQuality.DateKnown() {
		return TimeLabel(e.Time, e.TimeQuality, stamp)
	}
	return timeText(e.Time)
}

// Plural writes a count with its noun in the right number: "1 file",
// "2 files"; many is the plural when it is not one + "s".
func Plural(n int, one string, many ...string) string {
	if n == 1 {
		return "1 " + one
	}
	if len(many) > 0 {
		return strconv.Itoa(n) + " " + many[0]
	}
	return strconv.Itoa(n) + " " + one + "s"
}

// ConfidenceText says how sure a finding is, in words, and why when it is
// less than sure: "medium: the move rests on Windows 2003 [FM] wording".
// Findings of older indexes carry no confidence and read as high.
func ConfidenceText(f detect.Finding) string {
	c := f.Confidence
	if c == "" {
		c = detect.ConfidenceHigh
	}
	if f.ConfidenceReason == "" {
		return c
	}
	return c + ": " + f.ConfidenceReason
}
