package detect

import (
	"strings"
	"time"

	"github.com/exlog/exlog/detect/builds"
	"github.com/exlog/exlog/parse"
)

func obs(e *parse.Event, t time.Time, build, kind string) BuildObs {
	v, ok := builds.Parse(build)
	if ok {
		build = v.String()
	}
	return BuildObs{Time: t, Build: build, Release: builds.ReleaseName(build), Kind: kind, Evidence: EvidenceOf(e)}
}

// buildsOf reads the build observations an event carries.
func buildsOf(e *parse.Event) []BuildObs {
	var out []BuildObs
	switch {
	case e.Kind == "setup-run":
		start := e.Time
		end := start
		if t, err := time.Parse(time.RFC3339Nano, e.Field("end")); err == nil {
			end = t
		}
		mode := e.Field("mode")
		if p := e.Field("previous_version"); p != "" {
			b := obs(e, start, p, "previous")
			b.Mode = mode
			out = append(out, b)
		}
		if v := e.Field("setup_version"); v != "" {
			kind := "setup-started"
			switch e.Field("result") {
			case "success":
				kind = "setup-succeeded"
			case "failed":
				kind = "setup-failed"
			}
			b := obs(e, end, v, kind)
			b.Mode = mode
			out = append(out, b)
		}
	case e.Source == parse.SourceRegistry && strings.EqualFold(e.Field("value_name"), "ConfiguredVersion"):
		if _, ok := builds.Parse(e.Field("value")); ok {
			out = append(out, obs(e, e.Time, e.Field("value"), "registry"))
		}
	case (e.Source == parse.SourceEVTX || e.Source == parse.SourceEVT) && e.Field("version") != "":
		if _, ok := builds.Parse(e.Field("version")); ok {
			out = append(out, obs(e, e.Time, e.Field("version"), "event"))
		}
	}
	return out
}
