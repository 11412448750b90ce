package facts

import (
	"regexp"
	"strings"

	"github.com/exlog/exlog/parse"
)

// EVSUpgrade is an Exchange 2003 virtual server upgrade ("Upgrade Exchange
// Virtual Server" run on the System Attendant resource in Cluster
// Administrator): asked, or done when the success message was written.
type EVSUpgrade struct {
	// Server is the virtual server the line names, "" when it names none.
	Server string `json:"server,omitempty"`
	Done   bool   `json:"done"`
}

// FactType names the fact.
func (EVSUpgrade) FactType() string { return "evs-upgrade" }

// reEVSNamed reads "virtual server EVS1" / "virtual server 'EVS1'".
var reEVSNamed = regexp.MustCompile(`(?i:virtual server)[ :]+['"<]?([A-Za-z0-9][A-Za-z0-9_.-]{0,62})['">]?`)

// ReadEVSUpgrade reads the System Attendant's wording of a virtual server
// upgrade, which setup progress logs, event logs and cluster logs quote
// alike; it returns nil for any other text. Format parsers call it so that
// the wording is read in one place.
func ReadEVSUpgrade(text string) *EVSUpgrade {
	if !strings.Contains(text, "irtual Server") && !strings.Contains(text, "irtual server") &&
		!strings.Contains(text, "IRTUAL SERVER") {
		return nil
	}
	low := strings.ToLower(text)
	u := &EVSUpgrade{}
	switch {
	case strings.Contains(low, "exchange virtual server has been upgraded successfully"):
		u.Done = true
	case strings.Contains(low, "upgrade exchange virtual server"):
	default:
		return nil
	}
	if m := reEVSNamed.FindStringSubmatch(text); m != nil {
		name := strings.TrimRight(m[1], ".")
		if !strings.EqualFold(name, "has") && !strings.EqualFold(name, "requested") {
			u.Server = name
		}
	}
	return u
}

// EVSUpgradeOf returns the EVS upgrade fact an event carries, or nil.
func EVSUpgradeOf(e *parse.Event) *EVSUpgrade {
	for _, f := range e.Facts {
		if u, ok := f.(*EVSUpgrade); ok {
			return u
		}
	}
	return nil
}
