package diagnose

import (
	"github.com/exlog/exlog/parse"
)

// Diagnosis is one cause found in a run, in the setup log's own terms; the
// setup-failure detector turns it into a finding.
type Diagnosis struct {
	// Cause is one of CauseIDs; Title a short phrase for a summary.
	Cause       string
	Title       string
	Explanation string
	Remediation string
	// Quotes are the lines that show the cause, at most maxEvidence.
	Quotes []Quote
	// Details are cause-specific values (help_url, process, ldf_file ...).
	Details map[string]string
	// Refs are references beyond SetupLogReviewer.
	Refs []string
	// Warning is set for causes that may not be failures (a run that
	// stops without an end or error); the others are errors.
	Warning bool
	// Known is set by the known-error checks.
	Known bool
}

// Quote is one line of a run: a record, or one physical line of it (a
// stack trace line), quoted alone.
type Quote struct {
	Rec *parse.Event
	// Line and Text are the physical line and its text when the quote is
	// a continuation line of Rec; Line is Rec.Line otherwise and Text "".
	Line int
	Text string
}

// quote adds a record as evidence, once.
func (d *Diagnosis) quote(es ...*parse.Event) {
	for _, e := range es {
		if e != nil {
			d.add(Quote{Rec: e, Line: e.Line})
		}
	}
}

// quoteHits adds matched lines as evidence, once.
func (d *Diagnosis) quoteHits(hs ...hit) {
	for _, h := range hs {
		if h.rec != nil {
			d.add(h.quote())
		}
	}
}

// maxEvidence bounds one finding's evidence: the first lines make the case,
// file and line lead to the rest.
const maxEvidence = 12

func (d *Diagnosis) add(q Quote) {
	if len(d.Quotes) >= maxEvidence {
		return
	}
	for _, have := range d.Quotes {
		if have.Rec.File == q.Rec.File && have.Line == q.Line {
			return
		}
	}
	d.Quotes = append(d.Quotes, q)
}

// set records a cause-specific detail; empty values are left out.
func (d *Diagnosis) set(k, v string) {
	if v == "" {
		return
	}
	if d.Details == nil {
		d.Details = map[string]string{}
	}
	d.Details[k] = v
}
