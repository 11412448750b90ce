// Package all lists the detectors exlog runs, in the order they run and
// are documented. Adding a detector means adding it here; nothing
// registers itself.
package all

import (
	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/error5018"
	"github.com/exlog/exlog/detect/failoverstorm"
	"github.com/exlog/exlog/detect/setupfailure"
	"github.com/exlog/exlog/detect/upgradecms"
	"github.com/exlog/exlog/detect/upgradeprocedure"
	"github.com/exlog/exlog/detect/versionmismatch"
)

// Detectors returns the detectors exlog runs.
func Detectors() []*detect.Detector {
	return []*detect.Detector{
		versionmismatch.Detector,
		error5018.Detector,
		failoverstorm.Detector,
		upgradecms.Detector,
		setupfailure.Detector,
		upgradeprocedure.Detector,
	}
}
