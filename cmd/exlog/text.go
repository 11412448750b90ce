package main

import (
	"slices"
	"strings"
	"time"

	"github.com/exlog/exlog/cmd/internal/render"
	"github.com/exlog/exlog/cmd/internal/termsafe"
	"github.com/exlog/exlog/detect/all"
	"github.com/exlog/exlog/parse"
)

// shown makes text from a log safe to print on a terminal or in a table:
// control characters and escape sequences a log line carries must not
// move the cursor, recolour the screen or break a table's borders; invalid
// UTF-8 shows as \xNN. Line breaks and tabs stay, since the tables wrap and
// align on them. JSON output does not go through it.
func shown(s string) string {
	if termsafe.Safe(s) {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = termsafe.Line(l)
	}
	return strings.Join(lines, "\n")
}

// plural is render.Plural: the text views and the reports count alike.
var plural = render.Plural

// pluralWord is the noun alone: "piece" for 1, "pieces" otherwise.
func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// messageText is the message of an event as a person reads it (see
// render.MessageText); it also returns the bytes dropped from the front,
// so that highlight spans can follow.
func messageText(msg string) (string, int) { return render.MessageText(msg) }

// displayMessage is messageText without the offset.
func displayMessage(msg string) string {
	s, _ := messageText(msg)
	return s
}

// timeCell prints an event's time with its quality, for tables.
func timeCell(t time.Time, q parse.TimeQuality) string {
	layout := "2006-01-02 15:04:05"
	if t.Nanosecond() != 0 {
		layout += ".000"
	}
	return render.TimeLabel(t, q, layout)
}

// The values --level and --source take.
var (
	levelNames  = []string{parse.LevelCritical, parse.LevelError, parse.LevelWarning, parse.LevelInfo, parse.LevelVerbose, parse.LevelDebug}
	sourceNames = []string{parse.SourceSetupLog, parse.SourceEVTX, parse.SourceEVT, parse.SourceClusterLog, parse.SourceRegistry, parse.SourceInventory}
)

// detectorIDs lists the IDs of the detectors built in.
func detectorIDs() []string {
	var ids []string
	for _, d := range all.Detectors() {
		ids = append(ids, d.ID)
	}
	return ids
}

// checkValues makes a value a flag does not know a usage error that lists
// the ones it does. Wildcards pass: they may match.
func checkValues(flag string, values, valid []string) error {
	for _, v := range values {
		if strings.ContainsAny(v, "*?") || slices.Contains(valid, strings.ToLower(v)) {
			continue
		}
		return usageErr("%s: no such value %q; choose from %s", flag, v, strings.Join(valid, ", "))
	}
	return nil
}

// checkFormat makes an unknown --format a usage error listing the valid
// ones.
func checkFormat(value string, valid ...string) error {
	if slices.Contains(valid, value) {
		return nil
	}
	return usageErr("--format: no format %q; choose from %s", value, strings.Join(valid, ", "))
}
