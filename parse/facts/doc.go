// Package facts holds the typed facts that format parsers derive from the
// wording of their own logs and that detectors read: a setup run and its
// outcome, a node's build claim, a cluster group's move or state change.
//
// A parser is the one place that knows its format's sentences; it attaches
// facts to the events it emits (parse.Event.AddFact). Detectors consume the
// facts and never match another format's message text. Every fact carries
// where it came from (the event it is attached to gives file and line).
package facts
