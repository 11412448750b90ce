// Package index stores a bundle's events and findings in a bleve index
// and searches it.
//
// One index holds one bundle (default name <bundle>.exlog). It is built in a
// temporary directory beside its final place and renamed into place only
// when complete, so an interrupted run never leaves a half index that looks
// whole. Searches open indexes read-only, so they can run while another
// exlog process builds a new one.
package index

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	"github.com/blevesearch/bleve/v2/mapping"
)

// Document types stored in an index, in the "type" field.
const (
	TypeEvent   = "event"
	TypeFinding = "finding"
)

// lowerKeyword matches a whole value case-insensitively: users type node
// names and levels in any case ("node2" finds NODE2).
const lowerKeyword = "lowerkw"

// newMapping is the static mapping every exlog index uses. Unknown top-level
// fields are not indexed; the per-format "fields" map is indexed
// dynamically as case-insensitive keywords (fields.group:EVS1).
func newMapping() (mapping.IndexMapping, error) {
	im := bleve.NewIndexMapping()
	if err := im.AddCustomAnalyzer(lowerKeyword, map[string]any{
		"type":          custom.Name,
		"tokenizer":     single.Name,
		"token_filters": []string{lowercase.Name},
	}); err != nil {
		return nil, err
	}
	kw := func(analyzer string, docValues bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = analyzer
		f.Store = true
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = docValues
		return f
	}
	stored := func() *mapping.FieldMapping { // kept for display, not searched
		f := bleve.NewTextFieldMapping()
		f.Index = false
		f.Store = true
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = false
		return f
	}
	num := func(docValues bool) *mapping.FieldMapping {
		f := bleve.NewNumericFieldMapping()
		f.Store = true
		f.IncludeInAll = false
		f.DocValues = docValues
		return f
	}
	tm := bleve.NewDateTimeFieldMapping()
	tm.Store = true
	tm.IncludeInAll = false
	tm.DocValues = true

	msg := bleve.NewTextFieldMapping()
	msg.Analyzer = standard.Name
	msg.Store = true
	msg.IncludeInAll = false
	msg.IncludeTermVectors = true // phrases and highlighting
	msg.DocValues = false

	dm := bleve.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt("type", kw(keyword.Name, false))
	dm.AddFieldMappingsAt("time", tm)
	dm.AddFieldMappingsAt("time_quality", kw(keyword.Name, false))
	dm.AddFieldMappingsAt("node", kw(lowerKeyword, true))
	dm.AddFieldMappingsAt("source", kw(keyword.Name, true))
	dm.AddFieldMappingsAt("kind", kw(keyword.Name, false))
	dm.AddFieldMappingsAt("file", kw(keyword.Name, true))
	dm.AddFieldMappingsAt("line", num(true))
	dm.AddFieldMappingsAt("record", kw(keyword.Name, false)) // 64-bit: a keyword, not a float
	dm.AddFieldMappingsAt("offset", stored())
	dm.AddFieldMappingsAt("provider", kw(lowerKeyword, true))
	dm.AddFieldMappingsAt("event_id", num(true))
	dm.AddFieldMappingsAt("eid", kw(keyword.Name, true)) // keyword twin of event_id, for facets
	dm.AddFieldMappingsAt("level", kw(lowerKeyword, true))
	dm.AddFieldMappingsAt("run", num(false))
	dm.AddFieldMappingsAt("message", msg)
	// Findings.
	dm.AddFieldMappingsAt("detector", kw(keyword.Name, true))
	dm.AddFieldMappingsAt("severity", kw(lowerKeyword, true))
	dm.AddFieldMappingsAt("cause", kw(keyword.Name, true))
	dm.AddFieldMappingsAt("nodes", kw(lowerKeyword, false))
	dm.AddFieldMappingsAt("groups", kw(lowerKeyword, false))
	dm.AddFieldMappingsAt("json", stored())

	fields := bleve.NewDocumentMapping()
	fields.Dynamic = true
	fields.DefaultAnalyzer = lowerKeyword
	dm.AddSubDocumentMapping("fields", fields)
	dm.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())

	im.DefaultMapping = dm
	im.DefaultField = "message"
	im.IndexDynamic = true // only "fields" is dynamic
	im.StoreDynamic = true
	im.DocValuesDynamic = false
	return im, nil
}
