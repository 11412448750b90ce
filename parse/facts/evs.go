package facts

import (
	"github.com/exlog/exlog/parse"
)

// ReadEVSUpgrade reads the System Attendant's wording of a virtual server
// upgrade, which setup progress logs, event logs and cluster logs quote
// alike; it returns nil for any other text. Format parsers call it so that
// the wording is read in one place.
func ReadEVSUpgrade(text string) *EVSUpgrade {
	u, ok := EVSUpgradeText(text)
	if !ok {
		return nil
	}
	return &u
}

// EVSUpgradeOf returns the EVS upgrade fact an event carries, or nil.
func EVSUpgradeOf(e *parse.Event) *EVSUpgrade {
	for _, f := range e.Facts {
		switch u := f.(type) {
		case *EVSUpgrade:
			return u
		case EVSUpgrade:
			return &u
		}
	}
	return nil
}
