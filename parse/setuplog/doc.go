// Package setuplog reads Microsoft Exchange setup logs of every generation
// into parse.Events: the 2000/2003 "Exchange Server Setup Progress.log" and
// the ExchangeSetup.log written by 2007, 2010, 2013, 2016, 2019 and
// Subscription Edition.
//
// # Records and lines
//
// A record starts on a line with a timestamp prefix; every following line
// without one (stack traces, "Executing:" script bodies, indented
// "Error code 0X..." lines, blank lines) is a continuation and is joined to
// the record's Message with '\n'. Trailing blank continuation lines are kept
// out of the Message but still counted: the field "lines" (set only when a
// record spans more than one physical line) holds the number of physical
// lines, so the records' line counts add up to the file's line count.
// Lines before the first timestamped line become one event with no time and
// a report problem; leading blank lines are dropped, as they carry nothing.
//
// Which prefix starts a record is fixed per file by the first one seen:
// "[03/13/2021 05:01:28.0382] [0] " or "[8/3/2007 4:46:12 PM] [0] " for
// ExchangeSetup.log, "[13:43:33] " for the 2003 progress log. A 2013+
// fraction of four digits whose first digit is 0 is read as milliseconds
// (".0382" is 382 ms), because the first digit is 0 on every line seen.
// 2013+ dates are always month/day/year with the locale's separator; the
// 2007 locale short date is read as day/month/year only when some date in
// the file cannot be month-first.
//
// # Runs
//
// A banner "Starting Microsoft Exchange [Server ]<year|Subscription
// Edition> Setup" starts a run and "End of Setup" ends it; Event.Run is the
// 1-based run number. Records before the first banner belong to run 1 (a
// file cut at its start still yields one run), and the banner that follows
// them joins that run rather than opening a second one. A "****" separator
// line directly before a banner belongs to the banner's run. A 2003 log has
// no verified banner, so there a run ends at "Setup completed" and the next
// record opens a new one.
//
// After the last record of a run the parser emits one extra event with
// Kind "setup-run", Line set to the banner (or first record) and the run's
// facts as fields; see the field list on Parser.
//
// # Time
//
// A 2013+ run states "Local time zone: (UTC-06:00) ...". Records of the run
// that precede that line are held (at most maxTZWait records) until it
// appears; the stated offset is then applied so Time is UTC and TimeQuality
// is TimeLocalKnownOffset. The offset is the zone's standard offset: during
// daylight saving time the true offset is one hour more, so summer times are
// one hour later than real UTC. Runs without the line keep the wall time as
// if it were UTC (TimeLocalUnknownOffset).
//
// The 2003 log writes only [HH:MM:SS]. Its last record is dated with
// Input.ModTime's calendar date and earlier records are walked back one day
// for every midnight roll-over, which a first pass over the file counts: a
// roll-over is the clock going backwards by more than an hour (smaller steps
// back are clock adjustments). A run started on a later day at a later time
// of day cannot be told apart from a same-day run. Without a ModTime the
// events carry no time; the field time_of_day keeps the clock reading.
//
// # IGNORING markers
//
// A native frame "Function (x:\path\file.cxx:NNN)" with an "Error code
// 0X........ (n): text" is an error frame. "=== IGNORING PREVIOUS ERRORS ==="
// neutralises the unbroken chain of error frames directly before it: each
// of those events gets ignored=true and Level info, and the marker gets
// ignored_errors=N. The mode is taken from the first "mode = 'X'" frame.
// The setup version, user and parameters are not written by 2003 setup and
// stay empty.
//
// # Outcomes
//
// Every run gets an outcome, decided only on positive evidence, and the
// line that decided it (the SetupRun fact of package parse/facts, and the
// fields result and result_text; a succeeded run's result field is
// "success", the word of the report's JSON contract):
//
//   - 2007 and later: failed on "... setup operation didn't complete",
//     "Setup is stopping now ...", a "Failed [Rule:...]" or [REQUIRED]
//     prerequisite line, or an [ERROR] the run never recovers from; the
//     first of these names the failing task and cause. Succeeded only on
//     "... setup operation completed successfully" with "End of Setup"
//     after it, no later task and none of the failures. Incomplete when the
//     log stops before "End of Setup"; unknown otherwise. CurrentResult is
//     one task's result and decides nothing.
//   - 2000/2003: failed on an error frame in a component mode, "Setup
//     encountered an error" or "Setup failed", unless an IGNORING marker
//     neutralised it. Succeeded on "Completed <Action> of <Component>
//     component" (or "The Exchange Virtual Server has been upgraded
//     successfully") followed by "Setup completed". "Setup completed" alone
//     marks the end of every run, failed or not: unknown. Incomplete when
//     the log stops without it.
//
// The run summary also carries build claims (BuildClaim facts): the
// previous build setup backed up and a locally installed version that
// differs from both builds, true at the run's start; and the build the
// run installs, a claim only when the run succeeded, else an attempt with
// a note ("upgrade to X failed at T"). A 2003 run's build is what its
// lines state: an explicit 6.0/6.5 build next to the product name, or the
// service-pack level ("Exchange Server 2003 Service Pack 2 setup ...").
//
// Each run carries a content print (hashes of its first records with their
// time stamps), so that copies of a log are recognised as the same runs.
package setuplog
