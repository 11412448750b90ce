// Package all lists the detectors exlog runs, in the order they run and
// are documented. Adding a detector means adding it here; nothing
// registers itself.
package all

import (
	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/setupfailure"
)

// Detectors returns the detectors exlog runs.
func Detectors() []*detect.Detector {
	return []*detect.Detector{
		setupfailure.Detector,
	}
}
