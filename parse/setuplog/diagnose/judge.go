package diagnose

import (
	"strings"

	"github.com/exlog/exlog/parse/facts"
)

// CauseIDs lists the causes a finding of this detector can name, in the
// order they are checked. "interrupted" is reported with severity warning:
// a run without an end and without errors may have been killed, or may
// still have been running.
func CauseIDs() []string {
	return []string{
		"ad-validation-failed", "pending-reboot", "powershell-sessions-open", "dc-out-of-site",
		"remote-registry", "msdtc-stopped", "iis-url-rewrite-missing", "domain-not-prepared",
		"schema-admin-required", "enterprise-admin-required", "org-management-required",
		"ldifde-schema-import", "msi-installer-cache",
		"arbitration-upn-not-unique", "service-disabled", "endpoint-mapper-firewall",
		"ad-object-already-exists", "search-foundation", "missing-directory", "missing-homemdb",
		"mount-database-failed", "security-groups-ou-deleted", "servicecontrol-reverse",
		"virtual-directory", "run-from-bin", "domain-insufficient-access", "fips-access-denied",
		"multiple-eas-vdirs", "certificate-expired", "well-known-object-invalid",
		"hybrid-org-relationship", "wrong-group-type", "shared-config-dc",
		"first-error", "interrupted",
	}
}

// Judge returns what explains a run that did not succeed: the failed
// prerequisites and the first known error that matches, else the first
// error, else (for a run without an end) that it was interrupted.
func Judge(r *Run) []*Diagnosis {
	if o := r.Fact.Outcome; o == facts.Succeeded || o == facts.Unknown {
		return nil
	}
	var out []*Diagnosis
	var weak *Diagnosis
	if r.Generation() != "2000/2003" {
		out, weak = prerequisites(r)
		if d := knownError(r); d != nil {
			out = append(out, d)
		}
	}
	known := len(out) > 0 && out[len(out)-1].Known
	if len(out) == 0 && weak != nil {
		out = append(out, weak)
	}
	switch {
	case len(out) == 0:
		if d := firstError(r); d != nil {
			out = append(out, d)
		}
	case !known && !r.stoppedAtPrerequisites():
		// A prerequisite rule can evaluate True as a mere warning; when
		// setup went on and failed later, that later error is the news.
		if first := r.firstWith("ERROR"); first >= 0 && !reADValidation.MatchString(firstLine(r.recs[first])) {
			out = append(out, firstErrorRecord(r, first))
		}
	}
	if len(out) == 0 && r.Fact.Outcome == facts.Incomplete {
		out = append(out, interrupted(r))
	}
	return out
}

// stoppedAtPrerequisites reports whether setup itself listed failed
// prerequisites, which stops a run before it changes anything.
func (r *Run) stoppedAtPrerequisites() bool {
	for _, e := range r.recs {
		if severity(e) == "REQUIRED" || strings.HasPrefix(e.Message, "Failed [Rule:") {
			return true
		}
	}
	return false
}
