package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/exlog/exlog/cmd/internal/triage"
	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/builds"
)

// Format is an output form of a report.
type Format string

// The report formats.
const (
	Markdown Format = "md"
	HTML     Format = "html"
	JSON     Format = "json"
)

// ParseFormat reads a format name: md (or markdown), html or json.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "md", "markdown":
		return Markdown, nil
	case "html", "htm":
		return HTML, nil
	case "json":
		return JSON, nil
	}
	return "", fmt.Errorf("unknown report format %q (want md, html or json)", s)
}

// FormatOf picks the format from a file name's extension (.md, .html,
// .htm, .json).
func FormatOf(path string) (Format, error) {
	ext := strings.TrimPrefix(filepath.Ext(path), ".")
	if ext == "" {
		return "", fmt.Errorf("%s has no extension to tell the report format by; name it .md, .html or .json", path)
	}
	f, err := ParseFormat(ext)
	if err != nil {
		return "", fmt.Errorf("%s: the extension does not name a report format; use .md, .html or .json", path)
	}
	return f, nil
}

// Write renders r in format f.
func Write(w io.Writer, r *Report, f Format) error {
	switch f {
	case Markdown:
		return writeMarkdown(w, r)
	case HTML:
		return writeHTML(w, r)
	case JSON:
		return writeJSON(w, r)
	}
	return fmt.Errorf("unknown report format %q", f)
}

// Render returns r rendered in format f.
func Render(r *Report, f Format) ([]byte, error) {
	var b bytes.Buffer
	err := Write(&b, r, f)
	return b.Bytes(), err
}

func writeJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Helpers shared by the text formats.

const stamp = "2006-01-02 15:04:05"

// timeText prints a UTC time, or "" for the zero time.
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(stamp)
}

// spanText prints a time range; the end keeps only the clock when it is
// on the same day.
func spanText(a, b time.Time) string {
	if a.IsZero() {
		return "unknown"
	}
	a, b = a.UTC(), b.UTC()
	if b.IsZero() || b.Equal(a) {
		return a.Format(stamp)
	}
	end := b.Format(stamp)
	if a.Format("2006-01-02") == b.Format("2006-01-02") {
		end = b.Format("15:04:05")
	}
	return a.Format(stamp) + " to " + end
}

// durationText prints a duration rounded for people: 55m32s, 3h12m, 4d6h.
func durationText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
		return strings.TrimSuffix(d.String(), "0s")
	}
	days := int(d / (24 * time.Hour))
	hours := int((d % (24 * time.Hour)).Round(time.Hour) / time.Hour)
	if hours == 24 {
		days, hours = days+1, 0
	}
	return fmt.Sprintf("%dd%dh", days, hours)
}

// buildText prints a build with its release name.
func buildText(b *Build) string {
	if b == nil {
		return "unknown"
	}
	return builds.Describe(b.Build)
}

// statusText explains a node status.
func statusText(n NodeRow) string {
	switch n.Status {
	case NodeUpgraded:
		return "upgraded"
	case NodeUnchanged:
		return "setup succeeded, build unchanged"
	case NodeSucceeded:
		return "setup succeeded"
	case NodeFailed:
		if n.Target != nil {
			return "upgrade to " + builds.Describe(n.Target.Build) + " failed"
		}
		return "last setup run failed"
	case NodeIncomplete:
		if n.Target != nil {
			return "setup of " + builds.Describe(n.Target.Build) + " did not finish"
		}
		return "last setup run did not finish"
	case NodeNoRun:
		return "no setup run in the bundle"
	}
	return "no build known"
}

// kindText names a timeline entry kind for people.
func kindText(e triage.Entry) string {
	switch e.Kind {
	case triage.KindSetupRun:
		return "setup run"
	case triage.KindClusteredServer:
		if e.Mode == triage.ModeUpgradeEVS {
			return "virtual server upgrade"
		}
		return "clustered-server setup"
	case triage.KindGroupMove:
		return "group move"
	case triage.KindFailover:
		return "failover"
	case triage.KindNodeRemoved:
		return "node removed"
	case triage.KindQuorumLost:
		return "quorum lost"
	case triage.KindFinding:
		return e.Finding + " " + e.Severity.String()
	}
	return e.Kind
}

// entryNodes lists the lanes an entry is drawn on.
func entryNodes(e triage.Entry) []string {
	if e.Kind == triage.KindFinding {
		return e.Nodes
	}
	if e.Node == "" {
		return nil
	}
	return []string{e.Node}
}

// uncertain marks times that may be off by a server's UTC offset or date.
func uncertain(e triage.Entry) bool {
	return e.TimeQuality == "local-unknown-offset" || e.TimeQuality == "time-of-day-only"
}

// sevName is a severity name in capitals for the verdict and headings.
func sevName(s detect.Severity) string { return strings.ToUpper(s.String()) }

// detailKeys returns a finding's detail keys, sorted.
func detailKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// clusterNames lists the named clusters with their nodes.
func clusterNames(c *triage.ClusterSummary) string {
	parts := make([]string, 0, len(c.Names))
	for _, n := range c.Names {
		name := n.Name
		if name == "" {
			name = "unnamed"
		}
		parts = append(parts, name+" ("+strings.Join(n.Nodes, ", ")+")")
	}
	return strings.Join(parts, "; ")
}

// hasWindows reports whether any node's Windows version is known.
func hasWindows(nodes []NodeRow) bool {
	for _, n := range nodes {
		if n.Windows != "" {
			return true
		}
	}
	return false
}
