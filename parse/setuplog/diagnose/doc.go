// Package diagnose explains why an Exchange setup run failed, in the setup
// log's own wording: the checks of Microsoft's SetupLogReviewer (failed
// prerequisite rules, known errors such as installer-cache, schema import,
// disabled services, AD objects, virtual directories) and, failing those,
// the first error of the run. It lives with the setup-log parser because
// it reads that format's sentences; the setup-failure detector turns each
// Diagnosis into a finding.
//
// Judge reads one run: its summary event (with its parse/facts.SetupRun)
// and its records. Runs that succeeded, or ended without saying how, get
// no diagnosis.
package diagnose
