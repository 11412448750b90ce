package index

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// Indexing options of each kind of field (see newMapping). A field name
// always has the same options: scorch keeps, when it merges segments,
// only the options every segment agrees on.
const (
	optKeyword   = bindex.IndexField
	optKeywordDV = bindex.IndexField | bindex.DocValues
	optText      = bindex.IndexField | bindex.IncludeTermVectors
	optStored    = bindex.StoreField
	optKeyStored = bindex.IndexField | bindex.DocValues | bindex.StoreField
)

// docBuilder turns events and findings into bleve documents without the
// mapping's reflection over a map: the fields, their options and
// analyzers are fixed, so building them directly is several times
// cheaper per event.
type docBuilder struct {
	text, exact, lower analysis.Analyzer
}

func newDocBuilder(m mapping.IndexMapping) *docBuilder {
	return &docBuilder{
		text:  m.AnalyzerNamed(standard.Name),
		exact: m.AnalyzerNamed(keyword.Name),
		lower: m.AnalyzerNamed(lowerKeyword),
	}
}

func (b *docBuilder) keyword(d *document.Document, name, value string, opts bindex.FieldIndexingOptions, a analysis.Analyzer) {
	if value == "" {
		return
	}
	d.AddField(document.NewTextFieldCustom(name, nil, []byte(value), opts, a))
}

func (b *docBuilder) number(d *document.Document, name string, v float64, opts bindex.FieldIndexingOptions) {
	for _, f := range newNumberFields(name, v, opts) {
		d.AddField(f)
	}
}

func (b *docBuilder) time(d *document.Document, t time.Time) {
	if t.IsZero() {
		return
	}
	if fs, ok := newTimeFields(t, optKeywordDV); ok { // else kept in the stored copy only
		for _, f := range fs {
			d.AddField(f)
		}
	}
}

// eventDoc builds the document of one event, whose stored copy is at ptr
// in the event file. The document ID is e.ID().
func (b *docBuilder) eventDoc(e *parse.Event, ptr []byte) *document.Document {
	d := document.NewDocument(e.ID())
	b.keyword(d, "type", TypeEvent, optKeyword, b.exact)
	b.time(d, e.Time)
	b.keyword(d, "time_quality", string(e.TimeQuality), optKeyword, b.exact)
	b.keyword(d, "node", e.Node, optKeywordDV, b.lower)
	b.keyword(d, "source", e.Source, optKeywordDV, b.exact)
	b.keyword(d, "kind", e.Kind, optKeyword, b.exact)
	b.keyword(d, "file", e.File, optKeyword, b.exact)
	b.keyword(d, "provider", e.Provider, optKeyword, b.lower)
	b.keyword(d, "level", e.Level, optKeywordDV, b.lower)
	if e.Line > 0 {
		b.number(d, "line", float64(e.Line), optKeywordDV)
	}
	if e.Record > 0 || e.Offset > 0 {
		b.keyword(d, "record", strconv.FormatUint(e.Record, 10), optKeyword, b.exact)
	}
	if e.EventID != 0 {
		b.number(d, "event_id", float64(e.EventID), optKeyword)
		b.keyword(d, "eid", strconv.Itoa(e.EventID), optKeywordDV, b.exact)
	}
	if e.Run > 0 {
		b.number(d, "run", float64(e.Run), optKeyword)
	}
	d.AddField(document.NewTextFieldCustom("message", nil, []byte(e.Message), optText, b.text))
	for k, v := range e.Fields {
		if v == "" {
			continue
		}
		if queriedFields[k] {
			b.keyword(d, "fields."+k, v, optKeyword, b.lower)
			continue
		}
		d.AddField(document.NewTextFieldCustom(extraField, nil, []byte(b.extraTerm(k, v)), optKeyword, b.exact))
	}
	d.AddField(document.NewTextFieldCustom(pointerField, nil, ptr, optStored, nil))
	return d
}

// extraTerm is the term that stands for Fields[name] == value: the name,
// a separator and the value lower-cased as the lower keyword analyzer
// does (fields.<name> has always matched in any case).
func (b *docBuilder) extraTerm(name, value string) string {
	return name + extraSep + b.lowerTerm(value)
}

func (b *docBuilder) lowerTerm(value string) string {
	ts := b.lower.Analyze([]byte(value))
	if len(ts) == 0 {
		return ""
	}
	return string(ts[0].Term)
}

// findingDoc builds the document of one stored finding.
func (b *docBuilder) findingDoc(id string, f *detect.Finding) (*document.Document, error) {
	body, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	d := document.NewDocument(id)
	b.keyword(d, "type", TypeFinding, optKeyword, b.exact)
	b.time(d, f.Start)
	b.keyword(d, "detector", f.Detector, optKeyStored, b.exact)
	b.keyword(d, "severity", f.Severity.String(), optKeywordDV, b.lower)
	b.keyword(d, "cause", f.Cause, optKeyStored, b.exact)
	for _, n := range f.Nodes {
		b.keyword(d, "nodes", n, optKeyword, b.lower)
	}
	for _, g := range f.Groups {
		b.keyword(d, "groups", g, optKeyword, b.lower)
	}
	d.AddField(document.NewTextFieldCustom("message", nil, []byte(f.Summary+"\n"+f.Explanation), optText, b.text))
	d.AddField(document.NewTextFieldCustom("summary", nil, []byte(f.Summary), optStored, nil))
	d.AddField(document.NewTextFieldCustom("json", nil, body, optStored, nil))
	return d, nil
}
