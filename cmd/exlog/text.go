package main

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/cmd/internal/render"
	"github.com/exlog/exlog/detect/all"
	"github.com/exlog/exlog/parse"
)

// shown makes text from a log safe to print on a terminal or in a table:
// control characters and escape sequences a log line carries must not
// move the cursor, recolour the screen or break a table's borders. JSON
// output does not go through it.
//
// It is the one place the terminal-escaping helper is called from; switch
// it to package termsafe when that is available.
func shown(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case isControl(r):
			b.WriteString(`\x` + strconv.FormatInt(int64(r)>>4&0xf, 16) + strconv.FormatInt(int64(r)&0xf, 16))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0)
}

// plural writes a count with its noun in the right number: "1 file",
// "2 files". many is the plural when it is not one + "s".
func plural(n int, one string, many ...string) string {
	if n == 1 {
		return "1 " + one
	}
	if len(many) > 0 {
		return strconv.Itoa(n) + " " + many[0]
	}
	return strconv.Itoa(n) + " " + one + "s"
}

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
