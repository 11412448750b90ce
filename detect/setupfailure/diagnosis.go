package setupfailure

import (
	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// diagnosis is one cause found in a run, before it becomes a finding.
type diagnosis struct {
	cause       string
	title       string // a short phrase for the finding's summary
	explanation string
	remediation string
	evidence    []detect.Evidence
	details     map[string]string
	refs        []string
	severity    detect.Severity // zero means detect.Error
	known       bool            // set by the known-error checks
}

// quote adds a record as evidence, once.
func (d *diagnosis) quote(es ...*parse.Event) {
	for _, e := range es {
		if e != nil {
			d.add(detect.EvidenceOf(e))
		}
	}
}

// quoteHits adds matched lines as evidence, once.
func (d *diagnosis) quoteHits(hs ...hit) {
	for _, h := range hs {
		if h.rec != nil {
			d.add(h.evidence())
		}
	}
}

// maxEvidence bounds one finding's evidence: the first lines make the case,
// file and line lead to the rest.
const maxEvidence = 12

func (d *diagnosis) add(ev detect.Evidence) {
	if len(d.evidence) >= maxEvidence {
		return
	}
	for _, have := range d.evidence {
		if have.File == ev.File && have.Line == ev.Line {
			return
		}
	}
	d.evidence = append(d.evidence, ev)
}

// set records a cause-specific detail; empty values are left out.
func (d *diagnosis) set(k, v string) {
	if v == "" {
		return
	}
	if d.details == nil {
		d.details = map[string]string{}
	}
	d.details[k] = v
}
