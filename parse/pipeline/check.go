package pipeline

import (
	"time"

	"github.com/exlog/exlog/parse"
)

// Earliest is the first moment exlog believes: no Exchange cluster logged
// anything before 1990, so an older time is a damaged record or a zeroed
// clock, not history.
var Earliest = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)

// Checker marks impossible times invalid instead of letting one record
// stop a bundle (JSON and the index cannot even represent years past
// 9999).
type Checker struct {
	// Latest is the last believable moment, normally the analysis time
	// plus a day of clock skew.
	Latest time.Time
}

// Check sets the time quality of e to parse.TimeInvalid, keeps the
// written time in Fields[parse.KeyTimeRaw] and zeroes Time when the time
// cannot be true. An event without a time gets the quality none.
func (c Checker) Check(e *parse.Event) {
	if e.Time.IsZero() {
		if e.TimeQuality == "" || e.TimeQuality.DateKnown() || e.TimeQuality == parse.TimeOfDayOnly {
			e.TimeQuality = parse.TimeNone
		}
		return
	}
	if !e.Time.Before(Earliest) && (c.Latest.IsZero() || !e.Time.After(c.Latest)) {
		return
	}
	if e.Field(parse.KeyTimeRaw) == "" {
		e.SetField(parse.KeyTimeRaw, e.Time.Format(time.RFC3339Nano))
	}
	e.Time = time.Time{}
	e.TimeQuality = parse.TimeInvalid
}
