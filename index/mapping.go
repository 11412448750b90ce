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

// Index fields that are not event attributes.
const (
	// pointerField holds where an event's stored copy is in the index's
	// event file (evstore.go).
	pointerField = "at"
	// extraField indexes every entry of an event's Fields map as one
	// keyword term name + extraSep + lower-cased value. One field for all
	// names instead of one dynamic field per name: the bundle's hundreds
	// of format-specific names would otherwise each cost a dictionary,
	// postings and norms in every segment. Queries on fields.<name> are
	// rewritten to it (search_query.go).
	extraField = "f"
	extraSep   = "\x1f"
)

// queriedFields are the entries of an event's Fields map that get a field
// of their own, fields.<name>, as every entry had before the index was
// slimmed: the names people search and facet by (cluster groups,
// resources, moves, setup runs, event channels). Other entries are
// searchable through extraField.
var queriedFields = map[string]bool{
	"group": true, "resource": true, "resource_type": true, "from_node": true, "to_node": true,
	"move_type": true, "component": true, "action": true, "old_state": true, "new_state": true,
	"setup_version": true, "mode": true, "error_code": true, "channel": true, "computer": true,
}

// newMapping describes the fields of an exlog index to bleve's query side:
// which analyzer a field:value clause goes through. Documents are built
// directly (docs.go), so the mapping does not decide what is indexed;
// both follow the same per-field choices:
//
//   - keywords (type, node, source, file, provider, level, eid, kind,
//     record, time_quality, f) are one term each; node, provider and level
//     are lower-cased so users may type them in any case;
//   - doc values only where searches sort (time, line) or facet often
//     (node, source, level, eid); other facets still work, bleve then
//     reads the terms instead;
//   - message is analysed text with term vectors (phrases, highlighting);
//   - numbers (line, event_id, run) and time are numeric for ranges;
//   - nothing is stored but where the event is in the event file ("at",
//     evstore.go), and for findings their JSON, detector, cause and
//     summary.
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
		f.Store = false
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
		f.Store = false
		f.IncludeInAll = false
		f.DocValues = docValues
		return f
	}
	tm := bleve.NewDateTimeFieldMapping()
	tm.Store = false
	tm.IncludeInAll = false
	tm.DocValues = true

	msg := bleve.NewTextFieldMapping()
	msg.Analyzer = standard.Name
	msg.Store = false
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
	dm.AddFieldMappingsAt("file", kw(keyword.Name, false))
	dm.AddFieldMappingsAt("line", num(true))
	dm.AddFieldMappingsAt("record", kw(keyword.Name, false)) // 64-bit: a keyword, not a float
	dm.AddFieldMappingsAt("provider", kw(lowerKeyword, false))
	dm.AddFieldMappingsAt("event_id", num(false))
	dm.AddFieldMappingsAt("eid", kw(keyword.Name, true)) // keyword twin of event_id, for facets
	dm.AddFieldMappingsAt("level", kw(lowerKeyword, true))
	dm.AddFieldMappingsAt("run", num(false))
	dm.AddFieldMappingsAt("message", msg)
	dm.AddFieldMappingsAt(extraField, kw(keyword.Name, false))
	dm.AddFieldMappingsAt(pointerField, stored())
	// Findings.
	dm.AddFieldMappingsAt("detector", kw(keyword.Name, true))
	dm.AddFieldMappingsAt("severity", kw(lowerKeyword, true))
	dm.AddFieldMappingsAt("cause", kw(keyword.Name, true))
	dm.AddFieldMappingsAt("nodes", kw(lowerKeyword, false))
	dm.AddFieldMappingsAt("groups", kw(lowerKeyword, false))
	dm.AddFieldMappingsAt("json", stored())
	dm.AddFieldMappingsAt("summary", stored())
	fields := bleve.NewDocumentStaticMapping()
	fields.DefaultAnalyzer = lowerKeyword
	for name := range queriedFields {
		fields.AddFieldMappingsAt(name, kw(lowerKeyword, false))
	}
	dm.AddSubDocumentMapping("fields", fields)
	dm.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())

	im.DefaultMapping = dm
	im.DefaultField = "message"
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	return im, nil
}
