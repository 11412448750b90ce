// Package all lists the detectors exlog runs, in the order they run and
// are documented. Adding a detector means adding it here; nothing
// registers itself.
package all

import (
	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/error5018"
	"github.com/exlog/exlog/detect/failoverstorm"
	"github.com/exlog/exlog/detect/setupfailure"
)

// Detectors returns the detectors exlog runs.
func Detectors() []*detect.Detector {
	return []*detect.Detector{
		error5018.Detector,
		failoverstorm.Detector,
		setupfailure.Detector,
	}
}
