package render

import "regexp"

// clusterPrefix is the head of a cluster log line that the parser keeps in
// the message: "00000a3c.00001b4c::2024/06/11-09:31:02.123 ERR   ", with the
// channel of a 2016+ merged line ("[System] ") in front and, in files an
// analyst numbered, the line number before that. Time, level, process and
// line are shown apart, so display drops them and keeps the channel.
var clusterPrefix = regexp.MustCompile(`^\s*(\d+\s+)?(\[[A-Za-z]+\]\s+)?[0-9a-fA-F]{1,8}\.[0-9a-fA-F]{1,8}::\d{4}/\d\d/\d\d-\d\d:\d\d:\d\d(\.\d+)?(\s+(INFO|WARN|ERR|ERROR|DBG|CRIT)\b)?\s*`)

// MessageText is the message of an event as a person reads it: the
// cluster log prefix (pid.tid::stamp level) removed. It returns the
// number of bytes that text after the prefix moved to the left, so that
// highlight spans can follow.
func MessageText(msg string) (string, int) {
	loc := clusterPrefix.FindStringSubmatchIndex(msg)
	if loc == nil {
		return msg, 0
	}
	if loc[4] >= 0 {
		// Keep the channel: it says which event log a merged line came
		// from.
		channel := msg[loc[4]:loc[5]]
		return channel + msg[loc[1]:], loc[1] - len(channel)
	}
	return msg[loc[1]:], loc[1]
}
