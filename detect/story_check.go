package detect

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/exlog/exlog/parse"
)

// checker compares one story with its procedure and records departures
// and the checks the bundle cannot decide.
type checker struct {
	b *storyBuilder
	s *Story
}

func (c *checker) run() {
	// The procedures with virtual servers are those of Exchange 2000/2003
	// and 2007; later generations are only compared at the end.
	if c.s.Generation == genEx2003 || c.s.Generation == genEx2007 {
		c.activeNode()
		c.virtualServerOrder()
		c.setupExe()
		c.parallel()
		c.movedToOlder()
	}
	c.unfinished()
	slices.SortStableFunc(c.s.Departures, func(a, b Departure) int {
		if x := a.Time.Compare(b.Time); x != 0 {
			return x
		}
		return strings.Compare(a.Check, b.Check)
	})
	slices.Sort(c.s.NotEvidenced)
	c.s.NotEvidenced = slices.Compact(c.s.NotEvidenced)
}

// depart records a departure at step i.
// i is -1 for a departure of the whole story (its end).
func (c *checker) depart(i int, d Departure) {
	st := &Step{}
	if i >= 0 {
		st = &c.s.Steps[i]
		if d.Node == "" {
			d.Node = st.Node
		}
		if d.Group == "" {
			d.Group = st.Group
		}
		d.Time, d.TimeQuality = st.Time, st.TimeQuality
	}
	d.Step = i
	if d.Owner == "" {
		d.Owner = StoryDetector
	}
	if d.Confidence == "" {
		d.Confidence = ConfidenceHigh
	}
	if d.TimeQuality == parse.TimeOfDayOnly && d.ConfidenceReason == "" {
		d.Confidence = ConfidenceMedium
		d.ConfidenceReason = "the times come from a log that writes only the time of day; the dates are assumed from file times"
	}
	d.Evidence = dedupeEvidence(append(slices.Clone(st.Evidence), d.Evidence...))
	if i >= 0 {
		st.Departures = append(st.Departures, d.Check)
	}
	c.s.Departures = append(c.s.Departures, d)
}

func (c *checker) notEvidenced(format string, args ...any) {
	c.s.NotEvidenced = append(c.s.NotEvidenced, fmt.Sprintf(format, args...))
}

func dedupeEvidence(evs []Evidence) []Evidence {
	seen := map[string]bool{}
	out := evs[:0:0]
	for _, e := range evs {
		k := e.DocID + "\x00" + e.Where() + "\x00" + e.Text
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out
}

// isServer reports whether g is one of the story's clustered servers.
func (c *checker) isServer(g string) bool { return slices.Contains(c.s.Servers, g) }

// activeNode: a node's binaries are upgraded only while it hosts no
// clustered server; the first node of all must be a passive one.
func (c *checker) activeNode() {
	flagged := map[string]bool{}
	first := true
	for i, st := range c.s.Steps {
		if st.Kind != StepBinaries || st.Time.IsZero() {
			continue
		}
		isFirst := first
		first = false
		if flagged[st.Node] || len(c.s.Servers) == 0 {
			continue
		}
		var hosted []string
		known, viaState := false, false
		for _, g := range c.s.Servers {
			o, how := c.b.ownerAt(g, st.Time)
			if o != "" {
				known = true
			}
			if o == st.Node {
				hosted = append(hosted, g)
				viaState = viaState || how == "online"
			}
		}
		if len(hosted) == 0 {
			if !known {
				c.notEvidenced("whether %s hosted a clustered server when its binaries were upgraded (%s): no move or online line before it",
					st.Node, st.When())
			}
			continue
		}
		flagged[st.Node] = true
		var passive []string
		for _, n := range c.s.Nodes {
			if n == st.Node {
				continue
			}
			hosts := false
			for _, g := range c.s.Servers {
				if o, _ := c.b.ownerAt(g, st.Time); o == n {
					hosts = true
				}
			}
			if !hosts {
				passive = append(passive, n)
			}
		}
		exp := "upgrade the binaries of a node that hosts no clustered server"
		if isFirst {
			exp = "upgrade a passive node first"
		}
		if len(passive) > 0 {
			exp += " (" + strings.Join(passive, ", ") + " hosted none then)"
		}
		exp += ", moving " + strings.Join(hosted, ", ") + " off " + st.Node + " before its setup runs"
		seen := fmt.Sprintf("%s ran on %s at %s while %s owned %s", stepText(st), st.Node, st.When(), st.Node, strings.Join(hosted, ", "))
		if isFirst {
			seen = "the active node was upgraded first: " + seen
		}
		d := Departure{DepartureHead: DepartureHead{Check: CheckActiveNode, Severity: Warning, Group: hosted[0], Expected: exp, Seen: seen},
			Why: "setup stops the Exchange services of the node it runs on, so the clustered server it hosts goes down " +
				"for the whole run instead of for one planned move, and it is left on a node whose binaries change under it"}
		if viaState {
			d.Confidence = ConfidenceMedium
			d.ConfidenceReason = "the owner comes from the cluster log's state line of the group on that node, not from a move"
		}
		d.Evidence = c.ownerEvidence(hosted[0], st.Time)
		c.depart(i, d)
	}
}

// ownerEvidence quotes the line that placed g on its owner before t.
func (c *checker) ownerEvidence(g string, t time.Time) []Evidence {
	var best Step
	found := false
	for _, st := range c.s.Steps {
		if st.Time.After(t) {
			break
		}
		if st.Group == g && (st.Kind == StepMove || st.Kind == StepOnline) {
			best, found = st, true
		}
	}
	if !found || len(best.Evidence) == 0 {
		return nil
	}
	return best.Evidence[:1]
}

// lastBinaries returns the index of the node's last binaries step that
// succeeded and ended at or before t, or -1.
func (c *checker) lastBinaries(node string, t time.Time) int {
	found := -1
	for i, st := range c.s.Steps {
		if st.Kind == StepBinaries && st.Node == node && st.Outcome == "succeeded" && !st.Time.IsZero() {
			end := st.End
			if end.IsZero() {
				end = st.Time
			}
			if !end.After(t) {
				found = i
			}
		}
	}
	return found
}

// virtualServerOrder checks each virtual-server upgrade against the
// node's binaries: upgraded before them, on an older build, or without a
// reboot in between.
func (c *checker) virtualServerOrder() {
	for i, st := range c.s.Steps {
		if st.Kind != StepVirtualServer || st.Time.IsZero() {
			continue
		}
		what := "Upgrade Exchange Virtual Server"
		if st.Mode == "upgradecms" {
			what = "setup /upgradeCMS"
		}
		prev := c.lastBinaries(st.Node, st.Time)
		if prev < 0 {
			// The node's binaries upgraded after it?
			later := -1
			for j, o := range c.s.Steps {
				if o.Kind == StepBinaries && o.Node == st.Node && o.Time.After(st.Time) && (o.To == "" || st.To == "" || !newer(st.To, o.To)) {
					later = j
					break
				}
			}
			if later >= 0 {
				o := c.s.Steps[later]
				c.depart(i, Departure{DepartureHead: DepartureHead{Check: CheckBeforeBinaries, Severity: Error,
					Expected: "upgrade " + st.Node + "'s binaries first (" + stepShort(o) + "), reboot, then " + what + " on it",
					Seen:     fmt.Sprintf("%s at %s, before %s's own binaries were upgraded at %s", stepText(st), st.When(), st.Node, o.When())},
					Why: "the clustered server is raised to a build its node does not run yet; its resources cannot come online " +
						"until the node's binaries match",
					Evidence: o.Evidence[:1]})
				continue
			}
			b, ok := c.nodeBuild(st.Node, st.Time)
			target := st.To
			if target == "" {
				target = c.s.To
			}
			switch {
			case !ok:
				c.notEvidenced("which build %s ran when %s ran on it (%s): no build evidence from %s", st.Node, what, st.When(), st.Node)
			case newer(target, b.Build):
				c.depart(i, Departure{DepartureHead: DepartureHead{Check: CheckOldBuild, Severity: Error,
					Expected: what + " only on a node already running " + target + " (setup.com /mode:upgrade there first, then reboot)",
					Seen: fmt.Sprintf("%s at %s while %s still ran %s (%s)", stepText(st), st.When(), st.Node, b.Build,
						orUnknown(b.Release))},
					Why: "the clustered server is upgraded from a node whose binaries are older than the build it is raised to; " +
						"setup fails or leaves the clustered server on a build no node can run",
					Evidence: []Evidence{b.Evidence}})
			}
			continue
		}
		bin := c.s.Steps[prev]
		end := bin.End
		if end.IsZero() {
			end = bin.Time
		}
		booted := false
		for _, o := range c.s.Steps {
			if o.Kind == StepBoot && o.Node == st.Node && o.Time.After(end) && !o.Time.After(st.Time) {
				booted = true
			}
		}
		if booted {
			continue
		}
		cov, ok := c.b.coverage[st.Node]
		if !ok || cov[0].After(end) || cov[1].Before(st.Time) {
			c.notEvidenced("a reboot of %s between its binaries (%s) and %s (%s): no System log records of %s (event log service, Service Control Manager) on both sides of that window",
				st.Node, When(end, bin.TimeQuality), what, st.When(), st.Node)
			continue
		}
		c.depart(i, Departure{DepartureHead: DepartureHead{Check: CheckNoReboot, Severity: Warning,
			Expected: "reboot " + st.Node + " after " + stepShort(bin) + ", then " + what,
			Seen: fmt.Sprintf("%s at %s with no boot of %s since its setup ended at %s", stepText(st), st.When(), st.Node,
				When(end, bin.TimeQuality))},
			Why: "files and services replaced by the service pack are only in use after the restart the procedure requires; " +
				"the virtual-server upgrade then runs against a half-updated node",
			Confidence: ConfidenceMedium,
			ConfidenceReason: "the reboot is missing from a System log that has records on both sides of the window; " +
				"a log cleared or rolled over in between would look the same",
			Evidence: bin.Evidence[:1]})
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "release unknown"
	}
	return s
}

// setupExe: Exchange 2007 clustered mailbox servers are upgraded with
// setup.com from a command prompt; the graphical setup.exe is not
// supported there.
func (c *checker) setupExe() {
	if c.s.Generation != genEx2007 {
		return
	}
	for i, st := range c.s.Steps {
		if (st.Kind != StepBinaries && st.Kind != StepVirtualServer) || st.Launcher != "setup.exe" {
			continue
		}
		cmd := "setup.com /mode:upgrade"
		if st.Kind == StepVirtualServer {
			cmd = "setup.com /upgradeCMS"
		}
		c.depart(i, Departure{DepartureHead: DepartureHead{Check: CheckSetupExe, Severity: Warning,
			Expected: "run " + cmd + " from a command prompt on " + st.Node + " (clustered mailbox servers are upgraded with setup.com only)",
			Seen:     fmt.Sprintf("%s at %s was started with the graphical setup.exe (ExSetupUI)", stepText(st), st.When())},
			Why:        "the graphical setup is not supported on clustered mailbox server nodes; it can leave the node or the clustered server half upgraded",
			Confidence: ConfidenceMedium,
			ConfidenceReason: "the launcher is read from setup's \"ExSetupUI was started\" line; no real Exchange 2007 log in the corpus " +
				"confirms that wording"})
	}
}

// parallel: one virtual-server upgrade at a time per cluster (KB 822582).
func (c *checker) parallel() {
	type span struct {
		i          int
		start, end time.Time
	}
	var spans []span
	for i, st := range c.s.Steps {
		if st.Kind != StepVirtualServer || st.Time.IsZero() {
			continue
		}
		end := st.End
		if end.IsZero() {
			end = st.Time
		}
		spans = append(spans, span{i, st.Time, end})
	}
	flagged := map[int]bool{}
	for x := range spans {
		for y := x + 1; y < len(spans); y++ {
			a, b := spans[x], spans[y]
			sa, sb := c.s.Steps[a.i], c.s.Steps[b.i]
			if sa.Group == sb.Group && sa.Group != "" {
				continue
			}
			if !(b.start.Before(a.end) && a.start.Before(b.end)) || flagged[b.i] {
				continue
			}
			flagged[b.i] = true
			c.depart(b.i, Departure{DepartureHead: DepartureHead{Check: CheckParallel, Severity: Error,
				Expected: "upgrade one virtual server at a time: let " + stepShort(sa) + " finish before the next starts",
				Seen: fmt.Sprintf("%s started at %s while %s (%s to %s) was still running", stepText(sb), sb.When(), stepText(sa),
					sa.When(), When(a.end, sa.TimeQuality))},
				Why: "the upgrade keeps its list of virtual servers in one process-wide variable that only one upgrade may " +
					"change at a time; parallel upgrades can hang setup (KB 822582)",
				Evidence: sa.Evidence[:1]})
		}
	}
}

// movedToOlder marks moves of an upgraded clustered server to a node on
// an older build. version-mismatch reports them; the story shows where.
func (c *checker) movedToOlder() {
	for i, st := range c.s.Steps {
		if st.Kind != StepMove || !c.isServer(st.Group) {
			continue
		}
		sb, ok := c.serverBuild(st.Group, st.Time)
		if !ok {
			continue
		}
		nb, ok := c.nodeBuild(st.To, st.Time)
		if !ok {
			c.notEvidenced("which build %s ran when the upgraded %s moved to it (%s)", st.To, st.Group, st.When())
			continue
		}
		if !newer(sb, nb.Build) {
			continue
		}
		c.depart(i, Departure{DepartureHead: DepartureHead{Check: CheckMovedToOlder, Owner: versionMismatchOwner, Severity: Error,
			Expected: "never move an upgraded clustered server to a node still on the older build; upgrade " + st.To + " first",
			Seen:     fmt.Sprintf("%s at %s: %s runs %s, %s still %s", st.Text, st.When(), st.Group, sb, st.To, nb.Build)},
			Why:      "the clustered server's resources cannot come online on older binaries",
			Evidence: []Evidence{nb.Evidence}})
	}
}

// serverBuild is the build a clustered server was raised to by t: the
// build facts, or the story's own virtual-server steps.
func (c *checker) serverBuild(g string, t time.Time) (string, bool) {
	if v := c.b.f.Versions; v != nil {
		if sb, ok := v.ServerBuildAt(g, t); ok {
			return sb.Build, true
		}
	}
	build := ""
	for _, st := range c.s.Steps {
		if st.Kind == StepVirtualServer && st.Group == g && st.Outcome == "succeeded" && !st.Time.After(t) && st.To != "" {
			build = st.To
		}
	}
	return build, build != ""
}

// unfinished marks nodes still behind the others when the bundle ends.
// version-mismatch reports them.
func (c *checker) unfinished() {
	type nb struct {
		node string
		b    BuildObs
	}
	var known []nb
	newest := ""
	for _, n := range c.s.Nodes {
		cur, ok := c.nodeBuild(n, time.Time{})
		if !ok {
			c.notEvidenced("the build %s ends on: no build evidence from %s after its last setup run", n, n)
			continue
		}
		known = append(known, nb{n, cur})
		if newest == "" || newer(cur.Build, newest) {
			newest = cur.Build
		}
	}
	var behind []string
	var ev []Evidence
	for _, k := range known {
		if newer(newest, k.b.Build) {
			behind = append(behind, k.node+" ("+k.b.Build+")")
			ev = append(ev, k.b.Evidence)
		}
	}
	if len(behind) == 0 {
		return
	}
	d := Departure{DepartureHead: DepartureHead{Check: CheckUnfinished, Owner: versionMismatchOwner, Severity: Warning,
		Expected: "upgrade every node to " + newest + " to finish the rolling upgrade",
		Seen:     "the bundle ends with " + strings.Join(behind, ", ") + " behind " + newest},
		Why: "an upgraded clustered server cannot fail over to the nodes left behind", Evidence: ev}
	for _, st := range c.s.Steps {
		if !st.Time.IsZero() {
			d.Time, d.TimeQuality = st.Time, st.TimeQuality
		}
	}
	c.depart(-1, d)
}

// nodeBuild is the node's build at t (zero t: at the end of the bundle)
// as the facts show it, unless the story has a setup step of the node's
// binaries after that observation: then the step's build, or unknown when
// the step's log does not name it, since the observation is stale.
func (c *checker) nodeBuild(node string, t time.Time) (BuildObs, bool) {
	nf := c.b.f.Node(node)
	var obs BuildObs
	ok := false
	if nf != nil {
		if t.IsZero() {
			obs, ok = nf.Current()
		} else {
			obs, ok = nf.BuildAt(t)
		}
	}
	end := t
	if end.IsZero() {
		end = c.b.f.End
		for _, st := range c.s.Steps {
			if st.End.After(end) {
				end = st.End
			}
			if st.Time.After(end) {
				end = st.Time
			}
		}
	}
	i := c.lastBinaries(node, end)
	if i < 0 {
		return obs, ok
	}
	st := c.s.Steps[i]
	stEnd := st.End
	if stEnd.IsZero() {
		stEnd = st.Time
	}
	if ok && (obs.Time.IsZero() || !obs.Time.Before(stEnd)) {
		return obs, true // observed after the step (or a registry value at collection)
	}
	if st.To == "" {
		return BuildObs{}, false
	}
	return BuildObs{Time: stEnd, Build: st.To, Kind: BuildSetupSucceeded, Evidence: st.Evidence[0]}, true
}
