package clusterlog

import (
	"regexp"
	"strings"

	"github.com/exlog/exlog/parse"
)

// Windows 2000/2003 group wording beyond the documented shapes. No public
// 2003 log shows a [FM] move, owner, threshold or failed-group line (see
// the project's notes on real line shapes), so each reader below looks for
// the facts a line must state (a group, a node, a number) near loose key
// words rather than for a sentence, and tests feed it several wordings.

// knownLegacyTag reports the components whose lines have their own rules;
// the group wording is tried on every other line (untagged lines and
// components no public log shows).
func knownLegacyTag(comp string) bool {
	switch comp {
	case "FM", "RM", "NM", "NMJOIN", "EP", "INIT", "CP", "Qfs", "GUM", "DM", "API", "ClMsg", "ClNet",
		"JOIN", "CS", "RGP", "MM", "LM", "OM", "CPROXY":
		return true
	}
	return false
}

var (
	// An untagged resource-DLL prefix without angle brackets.
	reExRes = regexp.MustCompile(`^([A-Za-z][^:<>\[\]]{2,90}?)\s*:\s+(.*)$`)
	// "owned by node NODE2", "owner is now node 2", "owner set to NODE2",
	// "new owner: NODE2".
	reOwner = regexp.MustCompile(`(?i)\b(?:owned\s+by|owner\s+(?:is\s+)?(?:now\s+)?(?:changed\s+to|set\s+to|=|:|is)?|new\s+owner\s*(?:is|=|:)?)\s*(?:node\s+)?(?:'([^']+)'|<([^>]+)>|"([^"]+)"|([\w-]+))`)
	// The failover threshold wording: reached or exceeded, or the group
	// no longer failed over.
	reThresholdHit = regexp.MustCompile(`(?i)threshold\s+(?:\w+\s+){0,3}(?:reached|exceeded|exhausted|hit)|(?:reached|exceeded|exhausted|hit)\s+(?:\w+\s+){0,4}threshold|not\s+(?:be\s+)?fail(?:ing|ed)?\s?over|(?:will\s+not|won't|no\s+longer|cannot|can't)\s+(?:be\s+)?fail(?:ed)?\s?(?:over)?|no\s+(?:more|further)\s+fail\s?overs?`)
	reLeftFailed   = regexp.MustCompile(`(?i)\b(?:left|leav(?:e|ing))\s+(?:\w+\s+){0,3}(?:in\s+(?:the\s+|a\s+)?)?failed|\bremain(?:s|ing)?\s+(?:in\s+(?:the\s+|a\s+)?)?failed|\bfailed\s+state\b`)
	reFOCount      = regexp.MustCompile(`(?i)fail\s?over\s?count\s*(?:is|=|:)?\s*(\d+)|failed\s+over\s+(\d+)\s+times|(\d+)\s+fail\s?overs`)
	reFOThreshold  = regexp.MustCompile(`(?i)(?:fail\s?over\s?)?threshold(?:\s?setting)?\s*(?:of|is|=|:)?\s*\(?(\d+)`)
	reFOComputed   = regexp.MustCompile(`(?i)computed\s?(?:fail\s?over\s?)?threshold\s*(?:of|is|=|:)?\s*(\d+)`)
	// "state 2", "state = Failed", "is now in state 4", "Online -> Failed",
	// "state: OnlinePending --> Online".
	reStateArrow  = regexp.MustCompile(`(?i)\bstate\s*[=:]?\s*'?(-?\d+|[A-Za-z]+)'?\s*-+>\s*'?(-?\d+|[A-Za-z]+)`)
	reStateSingle = regexp.MustCompile(`(?i)(?:\b(?:now\s+in|enter(?:ed|s|ing)|new|to)\s+(?:the\s+)?state|\bstate\s*(?:is\s+now|is|=|:)|\bstate)\s*'?(-?\d+|[A-Z][A-Za-z]+)\b`)
)

// notNode and notGroup are words that loose patterns may take for a node
// or a group name.
var (
	notNode = map[string]bool{"the": true, "a": true, "an": true, "state": true, "online": true, "offline": true,
		"failed": true, "another": true, "node": true, "any": true, "be": true, "its": true, "it": true, "its'": true,
		"other": true, "preferred": true, "next": true, "best": true}
	notGroup = map[string]bool{"failover": true, "state": true, "is": true, "the": true, "has": true, "was": true,
		"to": true, "from": true, "owner": true, "of": true, "for": true, "move": true, "policy": true}
)

// adminWords reports words that say an administrator asked for a move
// (plain substring tests: a regexp alternation costs more on every move
// line than the whole rest of the line's reading).
func adminWords(msg string) bool {
	return containsFold(msg, "administrator") || containsFold(msg, "requested by") || containsFold(msg, "user request") ||
		containsFold(msg, "manual") || containsFold(msg, "move request")
}

// setNodeRef stores a node reference: a number is a node ID, a name is
// shortened.
func setNodeRef(ev *parse.Event, nameKey, idKey, v string) {
	if isNumber(v) {
		ev.SetField(idKey, v)
		return
	}
	ev.SetField(nameKey, node(v))
}

// legacyThreshold recognises the cluster saying it stops failing a group
// over: a threshold reached or exceeded, "not failing over", a group left
// failed. A group must be named.
func legacyThreshold(ev *parse.Event, msg string) bool {
	// Cheap gates first: a group, and a threshold or a negated failover.
	if !containsFold(msg, "group") {
		return false
	}
	if !containsFold(msg, "threshold") && (!containsFold(msg, "fail") || !(containsFold(msg, "not") ||
		containsFold(msg, "no longer") || containsFold(msg, "n't") || containsFold(msg, "no more") || containsFold(msg, "no further"))) {
		return false
	}
	hit := reThresholdHit.MatchString(msg)
	left := reLeftFailed.MatchString(msg)
	if !hit && !(left && containsFold(msg, "threshold")) {
		return false
	}
	g := reGroupName.FindStringSubmatch(msg)
	if g == nil || notGroup[strings.ToLower(first(g[1:]...))] {
		return false
	}
	setAction(ev, "not-failing-over")
	ev.SetField(parse.KeyGroup, first(g[1:]...))
	if m := reFOCount.FindStringSubmatch(msg); m != nil {
		ev.SetField(parse.KeyFailoverCount, first(m[1:]...))
	}
	if m := reFOComputed.FindStringSubmatch(msg); m != nil {
		ev.SetField(parse.KeyComputedThreshold, m[1])
	}
	if m := reFOThreshold.FindStringSubmatch(msg); m != nil {
		ev.SetField(parse.KeyFailoverThreshold, m[1])
	}
	if left {
		ev.SetField(parse.KeyNewState, "Failed")
	}
	return true
}

// legacyOwner recognises a line naming a group's new owner node.
func legacyOwner(ev *parse.Event, msg string) bool {
	if !containsFold(msg, "owne") || !containsFold(msg, "group") {
		return false
	}
	m := reOwner.FindStringSubmatch(msg)
	if m == nil {
		return false
	}
	to := first(m[1:]...)
	g := reGroupName.FindStringSubmatch(msg)
	if g == nil || notNode[strings.ToLower(to)] || notGroup[strings.ToLower(first(g[1:]...))] {
		return false
	}
	setAction(ev, "group-owner")
	ev.SetField(parse.KeyGroup, first(g[1:]...))
	setNodeRef(ev, parse.KeyToNode, parse.KeyToNodeID, to)
	return true
}

// moreStateShapes reads the state wordings beyond "old state N new state
// M" and "state from N to M": arrows, and a single new state.
func moreStateShapes(msg string) []string {
	if m := reStateArrow.FindStringSubmatch(msg); m != nil {
		return m
	}
	if m := reStateSingle.FindStringSubmatch(msg); m != nil && !notState[strings.ToLower(m[1])] {
		return []string{m[0], "", m[1]}
	}
	return nil
}

// notState are words after "state" that are not a state.
var notState = map[string]bool{"change": true, "changed": true, "of": true, "for": true, "is": true, "to": true,
	"from": true, "the": true, "notification": true, "changes": true}

// isCode reports a numeric state code.
func isCode(s string) bool {
	if strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	return isNumber(s)
}

// stateName names a state: a code through the object's table, a word as
// written with a capital first letter.
func stateName(names map[string]string, v string) string {
	if isCode(v) {
		return first(names[v], v)
	}
	if v == "" {
		return v
	}
	return strings.ToUpper(v[:1]) + v[1:]
}
