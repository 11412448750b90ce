// Package formats lists the parsers exlog knows, in the order their Sniff
// is tried: binary formats with magic numbers first, then text formats from
// the most specific to the most tolerant. Adding a format means adding it
// here; nothing registers itself.
package formats

import (
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/clusterlog"
	"github.com/exlog/exlog/parse/evt"
	"github.com/exlog/exlog/parse/evtx"
	"github.com/exlog/exlog/parse/inventory"
	"github.com/exlog/exlog/parse/regexport"
	"github.com/exlog/exlog/parse/setuplog"
)

// All returns every parser, in sniffing order.
func All() []parse.Parser {
	return []parse.Parser{
		&evtx.Parser{},
		evt.Parser{},
		regexport.Parser{},
		setuplog.Parser{},
		clusterlog.Parser{},
		inventory.Parser{},
	}
}

// Lookup returns the parser of the named format, or nil.
func Lookup(name string) parse.Parser {
	for _, p := range All() {
		if p.Name() == name {
			return p
		}
	}
	return nil
}
