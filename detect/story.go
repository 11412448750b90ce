package detect

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/exlog/exlog/detect/builds"
	"github.com/exlog/exlog/parse"
)

// The upgrade story: one rolling upgrade per cluster, rebuilt from the
// bundle as a list of steps (setup runs, reboots, cluster service starts,
// moves and state changes of the clustered servers, the virtual-server
// upgrades, watermarks), checked against the documented procedure of the
// Exchange generation found:
//
//   - Exchange 2000/2003 (KB 867624, Windows IT Pro "Exchange 2003
//     Clusters: Rolling Upgrades"): upgrade a node that hosts no EVS,
//     reboot, take the EVS offline, move it to the upgraded node, run
//     "Upgrade Exchange Virtual Server" there, bring it online, then the
//     other nodes; never an upgraded EVS on an older node; one EVS upgrade
//     at a time.
//   - Exchange 2007 CCR/SCC: the passive node first with setup.com
//     /mode:upgrade (never setup.exe), reboot, move and stop the clustered
//     mailbox server, setup.com /upgradeCMS on the upgraded node, then the
//     other node.
//
// A check the bundle cannot decide (no log from the node, no owner known)
// is listed as not evidenced, never as a departure.

// Kinds of story step.
const (
	StepBinaries      = "binaries"       // setup laid down (or tried to) the node's binaries
	StepVirtualServer = "virtual-server" // Upgrade Exchange Virtual Server, /upgradeCMS
	StepCMSAction     = "cms-action"     // /recoverCMS, /clearLocalCMS, /newCMS, /removeCMS
	StepSetup         = "setup"          // other setup runs (/PrepareAD ...)
	StepBoot          = "boot"
	StepShutdown      = "shutdown"
	StepClusterStart  = "cluster-start"
	StepClusterStop   = "cluster-stop"
	StepMove          = "move"
	StepOnline        = "online"
	StepOffline       = "offline"
	StepWatermark     = "watermark"
)

// Checks of the procedure (Departure.Check, the findings' Cause).
const (
	CheckActiveNode      = "active-node-upgraded"
	CheckBeforeBinaries  = "virtual-server-before-binaries"
	CheckNoReboot        = "no-reboot"
	CheckSetupExe        = "setup-exe"
	CheckOldBuild        = "upgradecms-old-build"
	CheckParallel        = "parallel-upgrades"
	CheckMovedToOlder    = "moved-to-older-node"  // reported by version-mismatch
	CheckUnfinished      = "builds-differ-at-end" // reported by version-mismatch
	StoryDetector        = "upgrade-procedure"
	versionMismatchOwner = "version-mismatch"
)

// StepHead is what a step says, without its evidence and setup details;
// the case model shows it as it is.
type StepHead struct {
	Time time.Time `json:"time,omitzero"`
	// End is set for steps that last (setup runs).
	End         time.Time         `json:"end,omitzero"`
	TimeQuality parse.TimeQuality `json:"time_quality,omitempty"`
	Node        string            `json:"node"`
	Kind        string            `json:"kind"`
	// Group is the clustered server a step is about.
	Group string `json:"group,omitempty"`
	// From and To are builds for setup steps, nodes for moves.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Outcome of a setup step: succeeded, failed, incomplete, unknown.
	Outcome string `json:"outcome,omitempty"`
	Text    string `json:"text"`
	// Departures lists the checks that depart from the procedure at this
	// step.
	Departures []string `json:"departures,omitempty"`
}

// Step is one thing that happened during an upgrade, on one node.
type Step struct {
	StepHead
	// Mode is a setup run's mode; Launcher "setup.com" or "setup.exe"
	// where the log says which program ran setup.
	Mode     string     `json:"mode,omitempty"`
	Launcher string     `json:"launcher,omitempty"`
	Evidence []Evidence `json:"evidence"`
}

// DepartureHead is what a departure says, without why it matters and
// its evidence; the case model shows it as it is.
type DepartureHead struct {
	Check string `json:"check"`
	// Owner is the detector that reports it as a finding.
	Owner    string    `json:"owner"`
	Severity Severity  `json:"severity"`
	Node     string    `json:"node,omitempty"`
	Group    string    `json:"group,omitempty"`
	Time     time.Time `json:"time,omitzero"`
	// TimeQuality is the quality of Time.
	TimeQuality parse.TimeQuality `json:"time_quality,omitempty"`
	// Expected is the documented step, Seen the step the bundle shows.
	Expected string `json:"expected"`
	Seen     string `json:"seen"`
}

// Departure is one place where the upgrade left the documented path.
type Departure struct {
	DepartureHead
	// Why says what the departure risks.
	Why              string     `json:"why"`
	Confidence       string     `json:"confidence"`
	ConfidenceReason string     `json:"confidence_reason,omitempty"`
	Step             int        `json:"step"`
	Evidence         []Evidence `json:"evidence"`
}

// StoryHead is what a story says about the upgrade as a whole; the case
// model shows it as it is, beside its own view of the steps.
type StoryHead struct {
	// Cluster is the cluster's name where the bundle says it.
	Cluster string `json:"cluster,omitempty"`
	// Generation is "Exchange 2000/2003", "Exchange 2007" or the release
	// line of the target build; Procedure names the procedure checked.
	Generation string   `json:"generation"`
	Procedure  string   `json:"procedure"`
	Nodes      []string `json:"nodes"`
	Servers    []string `json:"servers,omitempty"`
	// From and To are the builds the upgrade left and reached.
	From      string `json:"from,omitempty"`
	To        string `json:"to"`
	ToRelease string `json:"to_release,omitempty"`
}

// Story is one cluster's upgrade.
type Story struct {
	StoryHead
	Steps      []Step      `json:"steps"`
	Departures []Departure `json:"departures"`
	// NotEvidenced lists the checks the bundle cannot decide, and why.
	NotEvidenced []string `json:"not_evidenced,omitempty"`
	// Notes say how the story placed steps whose date the bundle does
	// not state.
	Notes []string `json:"notes,omitempty"`
}

// When writes a step's time for text.
func (s Step) When() string { return When(s.Time, s.TimeQuality) }

// storyBuilder gathers the steps of every node before they are split by
// cluster.
type storyBuilder struct {
	f        *Facts
	steps    []Step
	runLines map[string][][3]int     // file -> {first line, last line, index in steps}
	coverage map[string][2]time.Time // node -> first, last System log record
	online   map[string][]ownerMark  // lower-case group -> nodes it came online on
	last     map[string]int          // kind and node -> index of the latest boot or service step
}

type ownerMark struct {
	t    time.Time
	node string
}

// buildStories rebuilds the upgrade of every cluster in the bundle; a
// cluster whose bundle shows no upgrade gets no story.
func buildStories(events []*parse.Event, f *Facts) []*Story {
	b := &storyBuilder{f: f, runLines: map[string][][3]int{}, coverage: map[string][2]time.Time{}, online: map[string][]ownerMark{},
		last: map[string]int{}}
	for _, e := range events {
		b.add(e)
	}
	b.addServerUpgrades()
	b.addMoves()
	clusters := f.ClusterNodes()
	names := make([]string, 0, len(clusters))
	for c := range clusters {
		names = append(names, c)
	}
	slices.Sort(names)
	var out []*Story
	for _, c := range names {
		if s := b.story(c, clusters[c]); s != nil {
			out = append(out, s)
		}
	}
	return out
}

func (b *storyBuilder) add(e *parse.Event) {
	src := storySourceOf(e)
	if src == srcNone {
		return
	}
	node := parse.ShortNode(e.Node)
	if node == "" {
		return
	}
	timed := !e.Time.IsZero() && e.TimeQuality != parse.TimeNone
	switch src {
	case srcSetupRun:
		r, ok := SetupRunOf(e)
		if !ok {
			return
		}
		b.addRun(e, r)
		return
	case srcWatermark:
		b.steps = append(b.steps, Step{StepHead: StepHead{Node: node, Kind: StepWatermark,
			Text: fmt.Sprintf("setup left %s=%s under %s", e.Field(parse.KeyValueName), e.Field(parse.KeyValue), e.Field(parse.KeyExchangeRole))},
			Evidence: []Evidence{EvidenceOf(e)}})
		return
	}
	if !timed {
		return
	}
	if (e.Source == parse.SourceEVTX || e.Source == parse.SourceEVT) && systemProvider(e.Provider) != "" {
		c, ok := b.coverage[node]
		if !ok || e.Time.Before(c[0]) {
			c[0] = e.Time
		}
		if e.Time.After(c[1]) {
			c[1] = e.Time
		}
		b.coverage[node] = c
	}
	if src == srcSystemOther {
		return // kept only for the coverage above
	}
	st := Step{StepHead: StepHead{Time: e.Time, TimeQuality: e.TimeQuality, Node: node}, Evidence: []Evidence{EvidenceOf(e)}}
	switch src {
	case srcBoot, srcDirty:
		st.Kind, st.Text = StepBoot, node+" started (boot)"
	case srcShutdown:
		st.Kind, st.Text = StepShutdown, node+" shut down or restarted"
	case srcClusterStart:
		st.Kind, st.Text = StepClusterStart, "cluster service started on "+node
	case srcClusterStop:
		st.Kind, st.Text = StepClusterStop, "cluster service stopped on "+node
	}
	if src == srcDirty {
		st.Text = node + " started after an unexpected shutdown"
	}
	if st.Kind != "" {
		// The records of one boot (6009, 6005, 6008) or of one start of
		// the cluster service (its log, 7036) are one step.
		k := st.Kind + "\x00" + node
		if i, ok := b.last[k]; ok {
			if p := &b.steps[i]; e.Time.Sub(p.Time).Abs() <= 2*time.Minute {
				p.Evidence = append(p.Evidence, st.Evidence...)
				if src == srcDirty {
					p.Text = st.Text
				}
				return
			}
		}
		b.last[k] = len(b.steps)
		b.steps = append(b.steps, st)
		return
	}
	switch src {
	case srcGroupState:
		g, on, off := b.groupStateOf(e)
		if g == "" || coreGroup(g) || (!on && !off) {
			return
		}
		st.Group = g
		if on {
			st.Kind, st.Text = StepOnline, g+" came online on "+node
			b.online[strings.ToLower(g)] = append(b.online[strings.ToLower(g)], ownerMark{e.Time, node})
		} else {
			st.Kind, st.Text = StepOffline, g+" went offline on "+node
		}
	default:
		return
	}
	b.steps = append(b.steps, st)
}

// outcomeWord maps a setup run's result to the story's word.
func outcomeWord(r SetupRun) string {
	switch r.Result {
	case RunSucceeded:
		return "succeeded"
	case RunFailed:
		return "failed"
	case RunIncomplete:
		return "incomplete"
	}
	return "unknown"
}

func (b *storyBuilder) addRun(e *parse.Event, r SetupRun) {
	mode := strings.ToLower(r.Mode)
	if IsUpgradeCMS(e) {
		mode = "upgradecms"
	}
	st := Step{StepHead: StepHead{Time: r.Start, End: r.End, TimeQuality: e.TimeQuality, Node: r.Node, From: r.From, To: r.To,
		Outcome: outcomeWord(r)}, Mode: r.Mode, Launcher: r.Launcher, Evidence: []Evidence{r.Evidence}}
	if r.LauncherEvidence != nil {
		st.Evidence = append(st.Evidence, *r.LauncherEvidence)
	}
	if r.Start.IsZero() {
		st.TimeQuality = parse.TimeNone
	}
	switch {
	case mode == "upgradecms":
		st.Kind, st.Mode, st.Group = StepVirtualServer, "upgradecms", r.CMS
		st.From = ""
	case IsClusteredServerMode(mode):
		st.Kind, st.Group, st.From = StepCMSAction, r.CMS, ""
	case noBinaryModes[mode]:
		st.Kind = StepSetup
	default:
		st.Kind = StepBinaries
	}
	b.runLines[r.Evidence.File] = append(b.runLines[r.Evidence.File], [3]int{r.Evidence.Line, max(r.LastLine, r.Evidence.Line), len(b.steps)})
	b.steps = append(b.steps, st)
}

// runAt returns the index of the setup-run step whose lines hold a line
// of a file, or -1.
func (b *storyBuilder) runAt(file string, line int) int {
	for _, r := range b.runLines[file] {
		if r[0] <= line && line <= r[1] {
			return r[2]
		}
	}
	return -1
}

// addServerUpgrades adds the 2000/2003 virtual-server upgrades and names
// the clustered server of each /upgradeCMS run, from the build facts.
func (b *storyBuilder) addServerUpgrades() {
	v := b.f.Versions
	if v == nil {
		return
	}
	names := make([]string, 0, len(v.Servers))
	for n := range v.Servers {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		for _, sb := range v.Servers[n] {
			if len(sb.Evidence) == 0 {
				continue
			}
			ev := sb.Evidence[0]
			switch sb.Kind {
			case ServerCMSUpgraded:
				if i := b.runAt(ev.File, ev.Line); i >= 0 && b.steps[i].Group == "" {
					b.steps[i].Group = sb.Server
				}
			case ServerEVSUpgraded:
				if i := b.runAt(ev.File, ev.Line); i >= 0 {
					st := &b.steps[i]
					st.Kind, st.Mode, st.Group, st.From = StepVirtualServer, "upgrade-evs", sb.Server, ""
					if sb.Build != "" {
						st.To = sb.Build
					}
					st.Evidence = append(st.Evidence, sb.Evidence...)
					continue
				}
				if sb.Time.IsZero() {
					continue
				}
				b.steps = append(b.steps, Step{StepHead: StepHead{Time: sb.Time, TimeQuality: ev.TimeQuality, Node: sb.Node, Kind: StepVirtualServer,
					Group: sb.Server, To: sb.Build, Outcome: "succeeded"}, Mode: "upgrade-evs", Evidence: sb.Evidence})
			}
		}
	}
}

// addMoves adds the moves of the clustered servers from the owner
// timeline.
func (b *storyBuilder) addMoves() {
	for _, g := range b.f.Groups() {
		if coreGroup(g) {
			continue
		}
		for _, oc := range b.f.Owners[g] {
			b.steps = append(b.steps, Step{StepHead: StepHead{Time: oc.Time, TimeQuality: oc.Evidence.TimeQuality, Node: oc.To,
				Kind: StepMove, Group: g, From: oc.From, To: oc.To, Text: oc.Text()}, Evidence: oc.AllEvidence()})
		}
	}
}

// stepText writes the one-line text of a setup step, with its outcome.
func stepText(s Step) string { return stepShort(s) + " " + s.Outcome }

// stepShort names a setup step without its outcome.
func stepShort(s Step) string {
	var w strings.Builder
	switch s.Kind {
	case StepVirtualServer:
		if s.Mode == "upgrade-evs" {
			w.WriteString("Upgrade Exchange Virtual Server")
		} else {
			w.WriteString("setup /upgradeCMS")
		}
		if s.Group != "" {
			w.WriteString(" " + s.Group)
		}
		w.WriteString(" on " + s.Node)
		if s.To != "" {
			w.WriteString(" to " + s.To)
		}
	case StepCMSAction:
		w.WriteString("setup /" + s.Mode)
		if s.Group != "" {
			w.WriteString(" " + s.Group)
		}
		w.WriteString(" on " + s.Node)
	default:
		w.WriteString("setup")
		if s.Mode != "" {
			w.WriteString(" /mode:" + strings.ToLower(s.Mode))
		}
		w.WriteString(" on " + s.Node)
		switch {
		case s.From != "" && s.To != "" && s.From != s.To:
			w.WriteString(" " + s.From + " -> " + s.To)
		case s.To != "":
			w.WriteString(" to " + s.To)
		}
	}
	if s.Launcher != "" {
		w.WriteString(" (" + s.Launcher + ")")
	}
	return w.String()
}

// newer reports whether build a is newer than build b (major.minor.build).
func newer(a, b string) bool {
	c, ok := CompareBuilds(a, b)
	return ok && c > 0
}

// story builds one cluster's story, or nil when the bundle shows no
// upgrade there.
func (b *storyBuilder) story(cluster string, nodes []string) *Story {
	in := map[string]bool{}
	for _, n := range nodes {
		in[n] = true
	}
	s := &Story{StoryHead: StoryHead{Cluster: cluster, Nodes: slices.Clone(nodes)}, Departures: []Departure{}}
	for _, st := range b.steps {
		if !in[st.Node] {
			continue
		}
		if st.Text == "" {
			st.Text = stepText(st)
		}
		s.Steps = append(s.Steps, st)
	}
	b.anchor(s)
	upgrade := false
	for _, st := range s.Steps {
		if st.Kind == StepVirtualServer || (st.Kind == StepBinaries && (st.To == "" || st.From == "" || newer(st.To, st.From))) {
			upgrade = true
		}
	}
	if !upgrade {
		return nil
	}
	// The target is the newest build the story shows: a setup run that
	// laid down binaries, a /upgradeCMS run's setup build (2000/2003
	// virtual-server upgrades take theirs from the node, so they add
	// nothing), or a node's build at the end (2000/2003 progress logs may
	// not state the build they install).
	for _, st := range s.Steps {
		if ((st.Kind == StepBinaries && st.Outcome == "succeeded") || (st.Kind == StepVirtualServer && st.Mode == "upgradecms")) &&
			BuildKey(st.To) != "" && (s.To == "" || newer(st.To, s.To)) {
			s.To = st.To
		}
	}
	for _, n := range nodes {
		if nf := b.f.Node(n); nf != nil {
			if cur, ok := nf.Current(); ok && (s.To == "" || newer(cur.Build, s.To)) {
				s.To = cur.Build
			}
		}
	}
	for _, st := range s.Steps {
		if st.Kind == StepBinaries && st.From != "" && (s.From == "" || newer(s.From, st.From)) && newer(s.To, st.From) {
			s.From = st.From
		}
	}
	s.ToRelease = builds.ReleaseName(s.To)
	s.Generation, s.Procedure = procedureOf(s.To)
	if s.Generation == "" {
		// No build is known; the virtual-server steps still name the
		// generation: only 2000/2003 has "Upgrade Exchange Virtual
		// Server", only 2007 /upgradeCMS.
		for _, st := range s.Steps {
			switch {
			case st.Kind != StepVirtualServer:
			case st.Mode == "upgrade-evs":
				s.Generation, s.Procedure = procedureOf("6.5.0")
			case st.Mode == "upgradecms":
				s.Generation, s.Procedure = procedureOf("8.0.0")
			}
		}
	}
	if s.Generation == "" {
		s.Generation = "Exchange (no build known)"
	}
	servers := map[string]bool{}
	groups := b.f.Groups()
	for k := range b.online {
		if g, ok := b.f.Cluster.Spelling(k); ok {
			groups = append(groups, g)
		}
	}
	for _, g := range groups {
		if !coreGroup(g) && b.f.Cluster.IsExchangeGroup(g) {
			for _, oc := range b.f.Owners[g] {
				if in[oc.To] {
					servers[g] = true
				}
			}
			for _, o := range b.online[strings.ToLower(g)] {
				if in[o.node] {
					servers[g] = true
				}
			}
		}
	}
	for _, st := range s.Steps {
		if st.Group != "" && (st.Kind == StepVirtualServer || st.Kind == StepCMSAction) {
			servers[st.Group] = true
		}
	}
	for g := range servers {
		s.Servers = append(s.Servers, g)
	}
	slices.Sort(s.Servers)
	sortSteps(s.Steps)
	// A /upgradeCMS run without /cmsName worked on the clustered server
	// its node owned then, or on the cluster's only one.
	for i := range s.Steps {
		st := &s.Steps[i]
		if (st.Kind != StepVirtualServer && st.Kind != StepCMSAction) || st.Group != "" {
			continue
		}
		for _, g := range s.Servers {
			if o, _ := b.ownerAt(g, st.Time); o == st.Node && !st.Time.IsZero() {
				st.Group = g
			}
		}
		if st.Group == "" && len(s.Servers) == 1 {
			st.Group = s.Servers[0]
		}
		if st.Group != "" {
			st.Text = stepText(*st)
		}
	}
	c := &checker{b: b, s: s}
	c.run()
	return s
}

// Generations whose clustered-server procedure the story checks.
const (
	genEx2003 = "Exchange 2000/2003"
	genEx2007 = "Exchange 2007"
)

// procedureOf names the generation and procedure of a target build.
func procedureOf(build string) (gen, proc string) {
	v, ok := builds.Parse(build)
	switch {
	case ok && v[0] == 6:
		return genEx2003, "Exchange 2003 cluster rolling upgrade (KB 867624): passive node first, reboot, " +
			"move the EVS to it, Upgrade Exchange Virtual Server, one EVS at a time, then the other nodes"
	case ok && v[0] == 8:
		return genEx2007, "Exchange 2007 CCR/SCC service pack: passive node first with setup.com /mode:upgrade, " +
			"reboot, move and stop the clustered mailbox server, setup.com /upgradeCMS on the upgraded node, then the other node"
	case ok:
		// Exchange 2010 and later have no virtual servers: the story is
		// shown, and only the builds at the end are compared.
		gen := builds.ReleaseName(build)
		if f := strings.Fields(gen); len(f) >= 2 {
			gen = f[0] + " " + f[1]
		}
		return gen, "rolling upgrade: one node at a time (no clustered-server procedure applies to this generation)"
	}
	return "", "rolling upgrade: one node at a time, clustered servers never on an older node"
}

func stepRank(k string) int {
	return slices.Index([]string{StepShutdown, StepClusterStop, StepBoot, StepClusterStart, StepBinaries, StepSetup,
		StepOffline, StepMove, StepVirtualServer, StepCMSAction, StepOnline, StepWatermark}, k)
}

// sortSteps orders steps by time (untimed last), then kind, node and
// evidence.
func sortSteps(ss []Step) {
	slices.SortStableFunc(ss, func(a, b Step) int {
		if c := TimeOrder(a.Time, b.Time); c != 0 {
			return c
		}
		if c := stepRank(a.Kind) - stepRank(b.Kind); c != 0 {
			return c
		}
		if c := strings.Compare(a.Node, b.Node); c != 0 {
			return c
		}
		if len(a.Evidence) > 0 && len(b.Evidence) > 0 {
			return strings.Compare(a.Evidence[0].Where(), b.Evidence[0].Where())
		}
		return 0
	})
}

// ownerWindow bounds how long before a step the line that placed a group
// on its owner may be: a cluster log of another year says nothing about
// who owned the group at the step.
const ownerWindow = 7 * 24 * time.Hour

// ownerAt returns the node that owned a group at t: the latest move onto
// a node or the latest line showing it come online on a node, whichever
// is later, within ownerWindow; "" when the bundle does not say. how says
// which.
func (b *storyBuilder) ownerAt(g string, t time.Time) (owner, how string) {
	o, since := b.f.ownerAt(g, t)
	if o != "" {
		how = "move"
	}
	for _, m := range b.online[strings.ToLower(g)] {
		if m.t.After(t) {
			break
		}
		if !m.t.Before(since) {
			o, since, how = m.node, m.t, "online"
		}
	}
	if o != "" && t.Sub(since) > ownerWindow {
		return "", ""
	}
	return o, how
}

// buildAt is the node's build at t as the facts show it, "" when unknown.
func (b *storyBuilder) buildAt(node string, t time.Time) (BuildObs, bool) {
	n := b.f.Node(node)
	if n == nil {
		return BuildObs{}, false
	}
	return n.BuildAt(t)
}

// anchor places the steps of logs that write only a time of day. Their
// date is assumed from the file's time, which a copy, an archive or a
// collection tool may have changed; when that date puts a log's steps
// outside the span of the story's dated steps (by more than a day), the
// log's steps are moved to the one day its node's dated logs cover (else
// the cluster's), keeping their clock. When no single day fits, their time
// is left unknown: the checks that need it are then not evidenced. The
// steps keep their time quality, so no text states such a date.
func (b *storyBuilder) anchor(s *Story) {
	var lo, hi time.Time
	days := map[string]map[string]bool{} // node -> dated days ("" for all)
	for _, st := range s.Steps {
		if st.Time.IsZero() || !st.TimeQuality.DateKnown() {
			continue
		}
		if lo.IsZero() || st.Time.Before(lo) {
			lo = st.Time
		}
		if st.Time.After(hi) {
			hi = st.Time
		}
		for _, k := range []string{st.Node, ""} {
			if days[k] == nil {
				days[k] = map[string]bool{}
			}
			days[k][st.Time.UTC().Format("2006-01-02")] = true
		}
	}
	if lo.IsZero() {
		return
	}
	type fix struct {
		shift time.Duration
		ok    bool
	}
	fixes := map[string]fix{}
	for i := range s.Steps {
		st := &s.Steps[i]
		if st.TimeQuality != parse.TimeOfDayOnly || st.Time.IsZero() || len(st.Evidence) == 0 {
			continue
		}
		file := st.Evidence[0].File
		fx, seen := fixes[file]
		if !seen {
			fx = fix{ok: true}
			if st.Time.Before(lo.Add(-24*time.Hour)) || st.Time.After(hi.Add(24*time.Hour)) {
				cands := days[st.Node]
				if len(cands) == 0 {
					cands = days[""]
				}
				if len(cands) == 1 {
					for d := range cands {
						day, _ := time.Parse("2006-01-02", d)
						t := st.Time.UTC()
						clock := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
							time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
						fx.shift = day.Add(clock).Sub(t)
					}
					s.Notes = append(s.Notes, fmt.Sprintf("%s writes only times of day and its file time dates it outside the rest of "+
						"the bundle; its steps are placed on the day %s's other logs cover", file, st.Node))
				} else {
					fx.ok = false
					s.Notes = append(s.Notes, fmt.Sprintf("%s writes only times of day and its file time dates it outside the rest of "+
						"the bundle; its steps are left undated", file))
				}
			}
			fixes[file] = fx
		}
		if !fx.ok {
			st.Time, st.End = time.Time{}, time.Time{}
			continue
		}
		st.Time = st.Time.Add(fx.shift)
		if !st.End.IsZero() {
			st.End = st.End.Add(fx.shift)
		}
	}
	slices.Sort(s.Notes)
}
