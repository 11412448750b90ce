package detect

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/detect/builds"
	"github.com/exlog/exlog/parse"
	pfacts "github.com/exlog/exlog/parse/facts"
)

// Kinds of build observation (BuildObs.Kind). Only some say that the build
// was in place on the node (see BuildObs.Installed).
const (
	// BuildSetupSucceeded: a setup run that lays down binaries (install,
	// upgrade) completed with this build, or MSExchangeSetup 1001 said so.
	BuildSetupSucceeded = "setup-succeeded"
	// BuildSetupFailed: a run of this build did not complete.
	BuildSetupFailed = "setup-failed"
	// BuildSetupIncomplete: a run of this build whose log stops mid-run.
	BuildSetupIncomplete = "setup-incomplete"
	// BuildSetupUnknown: a run of this build that ended without saying
	// how.
	BuildSetupUnknown = "setup-unknown"
	// BuildSetupStarted is the former name of BuildSetupIncomplete.
	//
	// Deprecated: use BuildSetupIncomplete.
	BuildSetupStarted = BuildSetupIncomplete
	// BuildPrevious: the build a run upgraded from, as of the run's start.
	BuildPrevious = "previous"
	// BuildInstalled: setup's "locally installed version" when it differs
	// from the setup build, i.e. what the node ran before setup changed it.
	BuildInstalled = "installed"
	// BuildRegistry: ConfiguredVersion of a role key.
	BuildRegistry = "registry"
	// BuildUnpacked: UnpackedVersion of a role key; the binaries are on
	// disk but the role may not be configured with them.
	BuildUnpacked = "unpacked"
	// BuildEvent: an event naming the build the node ran, such as ESE 100
	// ("The database engine 6.05.7226.0000 started").
	BuildEvent = "event"
	// BuildBanner: a version banner of an Exchange service or display
	// string ("POP3 server version 6.5.7638.1", "Version 6.5 (Build
	// 7638.2: Service Pack 2)").
	BuildBanner = "banner"
	// BuildSetupEventStarted and BuildSetupEventSucceeded: MSExchangeSetup
	// 1000 ("Exchange Setup (build X) was started") and 1001 ("...
	// completed successfully"). They are kept apart from the setup-run
	// kinds because one run logs both events and a summary.
	BuildSetupEventStarted   = "setup-event-started"
	BuildSetupEventSucceeded = "setup-event-succeeded"
)

// Installed reports whether the observation says the build was in place
// (as opposed to an attempt, binaries not yet configured, or a setup run
// such as /PrepareAD or /upgradeCMS that does not change the node's
// binaries).
func (b BuildObs) Installed() bool {
	switch b.Kind {
	case BuildSetupFailed, BuildSetupIncomplete, BuildSetupUnknown, BuildUnpacked, BuildSetupEventStarted:
		return false
	case BuildSetupSucceeded:
		return !noBinaryModes[strings.ToLower(b.Mode)]
	}
	return true
}

// timed reports whether the observation has a time; registry exports have
// none.
func (b BuildObs) timed() bool { return !b.Time.IsZero() }

// Current returns the node's latest build known to be installed, or
// ok=false. Observations without a time (registry exports) count as the
// latest, since a bundle is collected after the logs it holds were
// written.
func (n *Node) Current() (BuildObs, bool) {
	for i := len(n.Builds) - 1; i >= 0; i-- {
		if n.Builds[i].Installed() && n.Builds[i].Kind != BuildPrevious {
			return n.Builds[i], true
		}
	}
	for i := len(n.Builds) - 1; i >= 0; i-- {
		if n.Builds[i].Kind == BuildPrevious {
			return n.Builds[i], true
		}
	}
	return BuildObs{}, false
}

// Attempts returns the node's setup runs that tried to lay down a build
// (not /PrepareAD, /upgradeCMS and the like) and did not succeed (failed, incomplete, or ended without saying how),
// in time order. Each carries its Note ("upgrade to X failed at T"); the
// node's build stays the one it had before.
func (n *Node) Attempts() []BuildObs {
	var out []BuildObs
	for _, b := range n.Builds {
		switch b.Kind {
		case BuildSetupFailed, BuildSetupIncomplete, BuildSetupUnknown:
			if !noBinaryModes[strings.ToLower(b.Mode)] {
				out = append(out, b)
			}
		}
	}
	return out
}

// Claims returns the node's observations that say a build was in place,
// each with its evidence and time; conflicting claims are all kept.
func (n *Node) Claims() []BuildObs {
	var out []BuildObs
	for _, b := range n.Builds {
		if b.Installed() {
			out = append(out, b)
		}
	}
	return out
}

// Conflicts returns the node's claims that disagree with the build
// Current picks without a later setup run to explain the change: an
// untimed claim (a registry export, which holds at collection) naming
// another build than the latest timed one, or two claims at the same time
// naming different builds. Readers show them beside the current build;
// none of them is dropped.
func (n *Node) Conflicts() []BuildObs {
	cur, ok := n.Current()
	if !ok {
		return nil
	}
	var out []BuildObs
	for _, b := range n.Claims() {
		if b.Kind == BuildPrevious || BuildKey(b.Build) == BuildKey(cur.Build) {
			continue
		}
		// Untimed claims hold at collection, as the current one does.
		if !b.timed() || !cur.timed() || b.Time.Equal(cur.Time) {
			out = append(out, b)
		}
	}
	return out
}

// BuildAt returns the build the node ran at time t as far as timed
// observations show: the latest one at or before t that says what was in
// place (a build seen running, a completed setup, the build a setup run
// started from), else the first such observation after t that no setup
// activity precedes. ok is false when there is neither.
func (n *Node) BuildAt(t time.Time) (BuildObs, bool) {
	var best BuildObs
	found := false
	for _, b := range n.Builds {
		if b.timed() && !b.Time.After(t) && b.Installed() {
			best, found = b, true
		}
	}
	if found {
		return best, true
	}
	if after := n.BuildsAfter(t); len(after) > 0 {
		return after[0], true
	}
	return BuildObs{}, false
}

// BuildsAfter returns the node's timed observations after t that say what
// ran before any new setup activity: builds seen running, and the build a
// setup run started from. The list stops at the first setup run's outcome,
// since the build may change there.
func (n *Node) BuildsAfter(t time.Time) []BuildObs {
	var out []BuildObs
	for _, b := range n.Builds {
		if !b.timed() || !b.Time.After(t) {
			continue
		}
		switch b.Kind {
		case BuildPrevious, BuildInstalled:
			return append(out, b) // the state as the run found it
		case BuildSetupIncomplete, BuildSetupUnknown, BuildSetupFailed, BuildSetupSucceeded, BuildUnpacked,
			BuildSetupEventStarted, BuildSetupEventSucceeded:
			if noBinaryModes[strings.ToLower(b.Mode)] {
				continue // /upgradeCMS and the like leave the binaries alone
			}
			return out
		}
		if b.Installed() {
			out = append(out, b)
		}
	}
	return out
}

// BuildKey reduces a build to major.minor.build, the part every source
// agrees on: ESE writes "08.01.0240.005" for the build setup calls
// 8.1.240.6. It returns "" for text that is not a build.
func BuildKey(s string) string {
	v, ok := builds.Parse(s)
	if !ok || v[2] < 0 {
		return ""
	}
	return strconv.Itoa(v[0]) + "." + strconv.Itoa(v[1]) + "." + strconv.Itoa(v[2])
}

// CompareBuilds orders two builds on major.minor.build; ok is false when
// either is not a build.
func CompareBuilds(a, b string) (cmp int, ok bool) {
	va, oka := builds.Parse(a)
	vb, okb := builds.Parse(b)
	if !oka || !okb {
		return 0, false
	}
	for i := range 3 {
		if va[i] != vb[i] {
			if va[i] < vb[i] {
				return -1, true
			}
			return 1, true
		}
	}
	return 0, true
}

func obs(e *parse.Event, t time.Time, build, kind string) BuildObs {
	v, ok := builds.Parse(build)
	if ok {
		build = v.String()
	}
	return BuildObs{Time: t, Build: build, Release: builds.ReleaseName(build), Kind: kind, Evidence: EvidenceOf(e)}
}

// Setup modes that prepare Active Directory or act on a clustered mailbox
// server: they do not change the binaries of the node they run on, so
// their setup build says nothing about the node's build.
var noBinaryModes = map[string]bool{
	"prepareschema": true, "preparead": true, "preparealldomains": true, "preparedomain": true,
	"prepareallhybrid": true, "preparelegacyexchangepermissions": true,
	"upgradecms": true, "recovercms": true, "clearlocalcms": true, "newcms": true, "removecms": true,
}

// IsUpgradeCMS reports whether a setup-run summary is a /upgradeCMS run.
func IsUpgradeCMS(e *parse.Event) bool {
	if r := pfacts.SetupRunOf(e); r != nil {
		return r.UpgradeCMS
	}
	// A summary without its fact (see claimsFromFields).
	return e.Kind == parse.KindSetupRun && (e.Field(parse.KeyParamUpgradeCMS) != "" || strings.EqualFold(e.Field(parse.KeyMode), "upgradecms"))
}

// RunSucceededEvent reports whether a setup-run summary's run succeeded.
func RunSucceededEvent(e *parse.Event) bool {
	if r := pfacts.SetupRunOf(e); r != nil {
		return r.Outcome == pfacts.Succeeded
	}
	return e.Kind == parse.KindSetupRun && e.Field(parse.KeyResult) == "success"
}

// buildsOf reads the build observations an event carries about its node:
// the build claims its parser attached (package parse/facts). Claims from
// setup runs of modes that leave the binaries alone are never attached;
// a 2003 service-pack level is named through the release table; banner
// builds the table does not know are dropped, as the old readers did.
func buildsOf(e *parse.Event) []BuildObs {
	var out []BuildObs
	claims := pfacts.BuildClaimsOf(e)
	if len(e.Facts) == 0 {
		claims = claimsFromFields(e)
	}
	for _, c := range claims {
		build := c.Build
		if build == "" && c.Release != "" {
			build = builds.BuildOfRelease(c.Release)
		}
		if BuildKey(build) == "" {
			continue
		}
		kind := claimKinds[c.Kind]
		if kind == "" {
			continue
		}
		if kind == BuildBanner {
			if _, m := builds.Lookup(build); m == builds.NoMatch {
				continue
			}
		}
		b := obs(e, c.Time, build, kind)
		b.Mode = c.Mode
		b.Note = c.Note
		b.TimeQuality = c.TimeQuality
		if c.Time.IsZero() {
			b.TimeQuality = parse.TimeNone
		}
		if c.Evidence.Line > 0 || c.Evidence.Text != "" {
			b.Evidence = lineEvidence(e, c.Evidence.Line, c.Evidence.Text)
		}
		if c.Stated.Line > 0 {
			st := lineEvidence(e, c.Stated.Line, c.Stated.Text)
			b.Stated = &st
		}
		out = append(out, b)
	}
	return out
}

// claimKinds maps the parsers' claim kinds to BuildObs kinds.
var claimKinds = map[string]string{
	pfacts.ClaimSetupSucceeded:      BuildSetupSucceeded,
	pfacts.ClaimSetupEventSucceeded: BuildSetupEventSucceeded,
	pfacts.ClaimPrevious:            BuildPrevious,
	pfacts.ClaimInstalled:           BuildInstalled,
	pfacts.ClaimRegistry:            BuildRegistry,
	pfacts.ClaimRunning:             BuildEvent,
	pfacts.ClaimBanner:              BuildBanner,
	pfacts.AttemptFailed:            BuildSetupFailed,
	pfacts.AttemptIncomplete:        BuildSetupIncomplete,
	pfacts.AttemptUnknown:           BuildSetupUnknown,
	pfacts.AttemptStarted:           BuildSetupEventStarted,
	pfacts.AttemptUnpacked:          BuildUnpacked,
}

// lineEvidence quotes one line of an event's file; the document ID is
// that line's record, as the parser numbered it. The event's time is not
// that line's, so another line is quoted without a time.
func lineEvidence(e *parse.Event, line int, text string) Evidence {
	ev := EvidenceOf(e)
	if line > 0 && line != e.Line {
		ev.Line = line
		ev.DocID = (&parse.Event{File: e.File, Line: line}).ID()
		ev.Time, ev.Clock = "", ""
	}
	if text != "" {
		ev.Text = clipText(text)
	}
	return ev
}

func isCMSRole(role string) bool { return strings.EqualFold(role, "ClusteredMailboxServer") }

// clipText bounds a quoted line as EvidenceOf does.
func clipText(s string) string {
	return EvidenceOf(&parse.Event{Message: s}).Text
}

// evsText says whether an event reports an EVS upgrade: asked (the menu
// command ran) or done (the success message). Setup-log and event-log
// parsers attach the fact (parse/facts.EVSUpgrade); cluster-log lines are
// read with the same shared reader until that parser attaches it too.
func evsText(e *parse.Event) (asked, done bool) {
	u := evsUpgradeOf(e)
	if u == nil {
		return false, false
	}
	return !u.Done, u.Done
}

func evsUpgradeOf(e *parse.Event) *pfacts.EVSUpgrade {
	if u := pfacts.EVSUpgradeOf(e); u != nil {
		return u
	}
	// Cluster-log lines, and events built without facts (tests, older
	// indexes), are read with the parsers' shared reader.
	switch e.Source {
	case parse.SourceClusterLog:
	case parse.SourceSetupLog, parse.SourceEVTX, parse.SourceEVT:
		if len(e.Facts) > 0 || e.Kind != "" {
			return nil
		}
	default:
		return nil
	}
	return pfacts.ReadEVSUpgrade(e.Message)
}

// versionSelect picks the events the version facts read beyond those
// DeriveFacts already keeps; it is called for every event of a bundle, so
// it tests cheap things first.
func versionSelect(e *parse.Event) bool {
	switch e.Source {
	case parse.SourceRegistry:
		vn := e.Field(parse.KeyValueName)
		if e.Field(parse.KeyClusterNodeID) != "" {
			switch strings.ToLower(vn) {
			case "buildnumber", "majorversion", "minorversion", "csdversion", "nodename":
				return true
			}
		}
		return strings.EqualFold(vn, "ClusterName")
	case parse.SourceInventory:
		return e.Field(parse.KeyBuildNumber) != "" || e.Field(parse.KeyCluster) != ""
	case parse.SourceClusterLog:
		if e.Field(parse.KeyBuildNumber) != "" || e.Field(parse.KeyCluster) != "" {
			return true
		}
	case parse.SourceEVTX, parse.SourceEVT:
		if e.Field(parse.KeyCluster) != "" && e.Field(parse.KeyAction) == "node-joined" {
			return true
		}
	}
	if asked, done := evsText(e); asked || done {
		return true
	}
	return len(e.Facts) > 0 && len(pfacts.BuildClaimsOf(e)) > 0
}

// Kinds of ServerBuild.
const (
	// ServerEVSUpgraded: "The Exchange Virtual Server has been upgraded
	// successfully" on the node that ran the upgrade.
	ServerEVSUpgraded = "evs-upgraded"
	// ServerCMSUpgraded: a /upgradeCMS setup run completed successfully.
	ServerCMSUpgraded = "cms-upgraded"
	// ServerCMSRegistry: ConfiguredVersion under ...\v8.0\
	// ClusteredMailboxServer in a node's registry export.
	ServerCMSRegistry = "cms-registry"
)

// ServerBuild is one observation of a clustered server's own build: the
// build its configuration was raised to, which nodes must run to host it.
type ServerBuild struct {
	// Time is when the upgrade completed; zero for registry values.
	Time time.Time `json:"time,omitzero"`
	// Server is the clustered server's group; "" when the bundle does not
	// say which one.
	Server string `json:"server"`
	// Node is where the upgrade ran or whose registry holds the value.
	Node    string `json:"node"`
	Build   string `json:"build,omitempty"`
	Release string `json:"release,omitempty"`
	Kind    string `json:"kind"`
	// Evidence holds the lines that show the upgrade (the success line
	// first, then the request), then the observation the build was read
	// from when that is another record.
	Evidence []Evidence `json:"evidence"`
}

func (s ServerBuild) timed() bool { return !s.Time.IsZero() }

// WindowsBuild is one observation of a cluster node's Windows version.
type WindowsBuild struct {
	Node string `json:"node"`
	// Major, Minor and Build are -1 when the source does not give them.
	Major int `json:"major"`
	Minor int `json:"minor"`
	Build int `json:"build"`
	// CSD is the service pack ("Service Pack 2"); HasCSD says the source
	// gave the value, even empty.
	CSD    string `json:"csd,omitempty"`
	HasCSD bool   `json:"has_csd,omitempty"`
	// Source is "cluster hive", "inventory" or "cluster log".
	Source   string     `json:"source"`
	Evidence []Evidence `json:"evidence"`
}

// String prints the version: "6.0.6002 Service Pack 2", "build 14393".
func (w WindowsBuild) String() string {
	s := "build " + strconv.Itoa(w.Build)
	if w.Major >= 0 && w.Minor >= 0 {
		s = strconv.Itoa(w.Major) + "." + strconv.Itoa(w.Minor) + "." + strconv.Itoa(w.Build)
	}
	if w.CSD != "" {
		s += " " + w.CSD
	}
	return s
}

// SameAs reports whether two observations name the same Windows build,
// comparing only what both give.
func (w WindowsBuild) SameAs(o WindowsBuild) bool {
	if w.Build != o.Build {
		return false
	}
	if w.Major >= 0 && o.Major >= 0 && (w.Major != o.Major || w.Minor != o.Minor) {
		return false
	}
	if w.HasCSD && o.HasCSD && !strings.EqualFold(strings.TrimSpace(w.CSD), strings.TrimSpace(o.CSD)) {
		return false
	}
	return true
}

// VersionFacts are the build facts beyond each node's Exchange build.
type VersionFacts struct {
	// Servers holds, by group name, each clustered server's own build
	// observations in time order (untimed ones last). The key "" holds
	// observations whose server the bundle does not name.
	Servers map[string][]ServerBuild
	// Windows holds each cluster node's Windows version observations.
	Windows map[string][]WindowsBuild
	// ClusterOf maps a node to the name of its cluster where the bundle
	// says it (cluster hive, inventories, join events).
	ClusterOf map[string]string

	hive        map[hiveKey]*hiveNode
	hiveOrder   []hiveKey
	fileCluster map[string]string
	evs         []*parse.Event
	cmsRuns     []*parse.Event
	cmsReg      []*parse.Event
}

type hiveKey struct{ file, id string }

type hiveNode struct {
	name                string
	major, minor, build int
	csd                 string
	hasCSD              bool
	ev                  []Evidence
}

func newVersionFacts() *VersionFacts {
	return &VersionFacts{
		Servers:     map[string][]ServerBuild{},
		Windows:     map[string][]WindowsBuild{},
		ClusterOf:   map[string]string{},
		hive:        map[hiveKey]*hiveNode{},
		fileCluster: map[string]string{},
	}
}

func (v *VersionFacts) setCluster(node, cluster string) {
	node, cluster = parse.ShortNode(node), strings.TrimSpace(cluster)
	if node == "" || cluster == "" {
		return
	}
	if _, ok := v.ClusterOf[node]; !ok {
		v.ClusterOf[node] = strings.ToUpper(cluster)
	}
}

// addVersionEvent feeds one event into the version facts; DeriveFacts calls
// it for every selected event in time order.
func (f *Facts) addVersionEvent(e *parse.Event) {
	v := f.Versions
	switch e.Source {
	case parse.SourceRegistry:
		v.addRegistry(e)
		return
	case parse.SourceInventory:
		if c := e.Field(parse.KeyCluster); c != "" {
			v.setCluster(e.Field(parse.KeyNode), c)
		}
		if e.Field(parse.KeyInventory) == "node" && e.Field(parse.KeyBuildNumber) != "" {
			w := WindowsBuild{Node: parse.ShortNode(e.Field(parse.KeyNode)), Major: atoi(e.Field(parse.KeyMajorVersion)),
				Minor: atoi(e.Field(parse.KeyMinorVersion)), Build: atoi(e.Field(parse.KeyBuildNumber)), Source: "inventory",
				Evidence: []Evidence{EvidenceOf(e)}}
			if csd, ok := e.Fields[parse.KeyCSDVersion]; ok {
				w.CSD, w.HasCSD = csd, true
			}
			v.addWindows(w)
		}
		return
	case parse.SourceClusterLog:
		if b := e.Field(parse.KeyBuildNumber); b != "" {
			n := e.Field(parse.KeyCurrentNode)
			if n == "" {
				n = e.Node
			}
			v.addWindows(WindowsBuild{Node: parse.ShortNode(n), Major: -1, Minor: -1, Build: atoi(b),
				Source: "cluster log", Evidence: []Evidence{EvidenceOf(e)}})
		}
	}
	if c := e.Field(parse.KeyCluster); c != "" && e.Field(parse.KeyAction) == "node-joined" {
		v.setCluster(e.Node, c)
	}
	if IsUpgradeCMS(e) && RunSucceededEvent(e) && e.Node != "" {
		v.cmsRuns = append(v.cmsRuns, e)
	}
	if asked, done := evsText(e); asked || done {
		v.evs = append(v.evs, e)
	}
}

func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return -1
	}
	return n
}

func (v *VersionFacts) addRegistry(e *parse.Event) {
	vn := strings.ToLower(e.Field(parse.KeyValueName))
	if e.Field(parse.KeyDeleted) != "" {
		return
	}
	if vn == "clustername" {
		// The hive's root key: HKLM\Cluster, or a loaded hive's root.
		if k := e.Field(parse.KeyKey); strings.Count(strings.Trim(k, `\`), `\`) <= 1 {
			v.fileCluster[e.File] = e.Field(parse.KeyValue)
			v.setCluster(e.Node, e.Field(parse.KeyValue))
		}
		return
	}
	if vn == "configuredversion" && isCMSRole(e.Field(parse.KeyExchangeRole)) {
		v.cmsReg = append(v.cmsReg, e)
		return
	}
	id := e.Field(parse.KeyClusterNodeID)
	if id == "" {
		return
	}
	k := hiveKey{e.File, id}
	h := v.hive[k]
	if h == nil {
		h = &hiveNode{major: -1, minor: -1, build: -1}
		v.hive[k] = h
		v.hiveOrder = append(v.hiveOrder, k)
	}
	if n := e.Field(parse.KeyClusterNode); n != "" {
		h.name = n
	}
	switch vn {
	case "nodename":
		h.name = parse.ShortNode(e.Field(parse.KeyValue))
		return
	case "buildnumber":
		h.build = atoi(e.Field(parse.KeyValue))
	case "majorversion":
		h.major = atoi(e.Field(parse.KeyValue))
	case "minorversion":
		h.minor = atoi(e.Field(parse.KeyValue))
	case "csdversion":
		h.csd, h.hasCSD = e.Field(parse.KeyValue), true
	default:
		return
	}
	h.ev = append(h.ev, EvidenceOf(e))
}

// addWindows adds an observation, merging it into an identical one from
// another source or file (each node's export of the cluster hive lists
// every node).
func (v *VersionFacts) addWindows(w WindowsBuild) {
	if w.Node == "" || w.Build < 0 {
		return
	}
	list := v.Windows[w.Node]
	for i := range list {
		o := &list[i]
		if o.Build == w.Build && o.Major == w.Major && o.Minor == w.Minor && o.CSD == w.CSD && o.HasCSD == w.HasCSD {
			o.Evidence = append(o.Evidence, w.Evidence...)
			if !strings.Contains(o.Source, w.Source) {
				o.Source += ", " + w.Source
			}
			return
		}
	}
	v.Windows[w.Node] = append(list, w)
}

// finishVersions resolves what needs the whole bundle: the cluster hive's
// node values, and the clustered servers' builds, which need the owner
// timeline and the nodes' build timelines.
func (f *Facts) finishVersions() {
	v := f.Versions
	for _, k := range v.hiveOrder {
		h := v.hive[k]
		if h.name != "" {
			v.addWindows(WindowsBuild{Node: parse.ShortNode(h.name), Major: h.major, Minor: h.minor, Build: h.build,
				CSD: h.csd, HasCSD: h.hasCSD, Source: "cluster hive", Evidence: h.ev})
			v.setCluster(h.name, v.fileCluster[k.file])
		}
	}
	v.hive, v.hiveOrder = nil, nil
	for _, e := range v.cmsRuns {
		r := pfacts.SetupRunOf(e)
		if r == nil {
			r = runFromFields(e)
		}
		end := r.End
		if end.IsZero() {
			end = e.Time
		}
		sb := ServerBuild{Time: end, Node: parse.ShortNode(e.Node), Kind: ServerCMSUpgraded, Evidence: []Evidence{EvidenceOf(e)}}
		sb.Server = r.CMSName
		if sb.Server == "" {
			sb.Server = f.exchangeGroupOn(sb.Node, end)
		}
		sb.Build = r.ToBuild
		if sb.Build == "" {
			if n := f.Node(sb.Node); n != nil {
				if b, ok := n.BuildAt(end); ok {
					sb.Build = b.Build
					sb.Evidence = append(sb.Evidence, b.Evidence)
				}
			}
		}
		v.addServer(f, sb)
	}
	for _, e := range v.cmsReg {
		sb := ServerBuild{Node: parse.ShortNode(e.Node), Build: e.Field(parse.KeyValue),
			Kind: ServerCMSRegistry, Evidence: []Evidence{EvidenceOf(e)}}
		sb.Server = f.onlyExchangeGroup()
		v.addServer(f, sb)
	}
	f.resolveEVS()
	v.evs, v.cmsRuns, v.cmsReg = nil, nil, nil
	for s, list := range v.Servers {
		sort.SliceStable(list, func(i, j int) bool {
			a, b := list[i], list[j]
			if a.timed() != b.timed() {
				return a.timed()
			}
			return a.Time.Before(b.Time)
		})
		v.Servers[s] = list
	}
}

func (v *VersionFacts) addServer(f *Facts, sb ServerBuild) {
	if p, ok := builds.Parse(sb.Build); ok {
		sb.Build = p.String()
		sb.Release = builds.ReleaseName(sb.Build)
	}
	if sb.Server != "" && f.Cluster != nil {
		sb.Server = f.Cluster.groupName(sb.Server)
	}
	v.Servers[sb.Server] = append(v.Servers[sb.Server], sb)
}

// evsWindow bounds how long before the success message the "Upgrade
// Exchange Virtual Server" request line may be to belong to it.
const evsWindow = 30 * time.Minute

// resolveEVS turns the virtual-server upgrade lines into server builds:
// which virtual server (named in the line, or the one Exchange group the
// node hosted then) and which build (the node's binaries at that time,
// which the upgrade requires to be the new ones).
func (f *Facts) resolveEVS() {
	v := f.Versions
	var asked []*parse.Event
	for _, e := range v.evs {
		a, done := evsText(e)
		if a && !done {
			asked = append(asked, e)
			continue
		}
		node := parse.ShortNode(e.Node)
		untimed := e.Time.IsZero()
		sb := ServerBuild{Time: e.Time, Node: node, Kind: ServerEVSUpgraded,
			Evidence: []Evidence{EvidenceOf(e)}}
		sb.Server = f.evsName(e)
		for i := len(asked) - 1; i >= 0; i-- {
			r := asked[i]
			if parse.ShortNode(r.Node) == node && !r.Time.After(e.Time) && e.Time.Sub(r.Time) <= evsWindow {
				if sb.Server == "" {
					sb.Server = f.evsName(r)
				}
				sb.Evidence = append(sb.Evidence, EvidenceOf(r))
				asked = slices.Delete(asked, i, i+1)
				break
			}
		}
		if sb.Server == "" && !untimed {
			sb.Server = f.exchangeGroupOn(node, e.Time)
		}
		if n := f.Node(node); n != nil && !untimed {
			// The upgrade needs the node's new binaries, so a build seen
			// just after it (the store starting) counts as much as one
			// seen before.
			b, ok := n.BuildAt(e.Time)
			if after := n.BuildsAfter(e.Time); len(after) > 0 {
				if c, cok := CompareBuilds(after[0].Build, b.Build); !ok || (cok && c > 0) {
					b, ok = after[0], true
				}
			}
			if ok {
				sb.Build = b.Build
				sb.Evidence = append(sb.Evidence, b.Evidence)
			}
		} else if n != nil {
			if b, ok := n.Current(); ok {
				sb.Build = b.Build
				sb.Evidence = append(sb.Evidence, b.Evidence)
			}
		}
		v.addServer(f, sb)
	}
}

func (f *Facts) evsName(e *parse.Event) string {
	if g := e.Field(parse.KeyGroup); g != "" {
		return g
	}
	if r := e.Field(parse.KeyResource); r != "" {
		if g := f.Cluster.GroupOf(r); g != "" {
			return g
		}
		if s, ok := pfacts.ResourceServer(r); ok {
			return s
		}
	}
	if u := evsUpgradeOf(e); u != nil && u.Server != "" {
		if _, known := f.Cluster.canon[strings.ToLower(u.Server)]; known {
			return u.Server
		}
	}
	return ""
}

// coreGroup reports the cluster's own groups, which never hold Exchange.
func coreGroup(g string) bool {
	switch strings.ToLower(g) {
	case "cluster group", "available storage":
		return true
	}
	return false
}

// exchangeGroupOn returns the one Exchange group node hosted at t, or "".
func (f *Facts) exchangeGroupOn(node string, t time.Time) string {
	var ex, other []string
	for _, g := range f.Hosting(node, t) {
		switch {
		case coreGroup(g):
		case f.Cluster.IsExchangeGroup(g):
			ex = append(ex, g)
		default:
			other = append(other, g)
		}
	}
	switch {
	case len(ex) == 1:
		return ex[0]
	case len(ex) == 0 && len(other) == 1:
		return other[0]
	}
	return ""
}

// onlyExchangeGroup returns the bundle's single Exchange group, or "".
func (f *Facts) onlyExchangeGroup() string {
	var found string
	for _, g := range f.Groups() {
		if f.Cluster.IsExchangeGroup(g) {
			if found != "" {
				return ""
			}
			found = g
		}
	}
	return found
}

// ServerBuildAt returns the latest timed build observation of a clustered
// server at or before t.
func (v *VersionFacts) ServerBuildAt(server string, t time.Time) (ServerBuild, bool) {
	var best ServerBuild
	found := false
	for _, s := range v.Servers[server] {
		if s.timed() && !s.Time.After(t) && s.Build != "" {
			best, found = s, true
		}
	}
	return best, found
}

// ClusterNodes groups the bundle's cluster nodes by cluster: nodes the
// bundle names a cluster for go under that name (upper-cased); the others
// join the only named cluster when there is exactly one, else the group
// "". Non-cluster servers (no cluster log, event, hive entry or
// inventory) are left out.
func (f *Facts) ClusterNodes() map[string][]string {
	v := f.Versions
	all := map[string]bool{}
	if f.Cluster != nil {
		for _, n := range f.Cluster.Nodes {
			all[n] = true
		}
	}
	for n := range v.ClusterOf {
		all[n] = true
	}
	for n := range v.Windows {
		all[n] = true
	}
	names := map[string]bool{}
	for _, c := range v.ClusterOf {
		names[c] = true
	}
	only := ""
	if len(names) == 1 {
		for c := range names {
			only = c
		}
	}
	out := map[string][]string{}
	for n := range all {
		if n == "" {
			continue
		}
		c, ok := v.ClusterOf[n]
		if !ok {
			c = only
		}
		out[c] = append(out[c], n)
	}
	for c := range out {
		slices.Sort(out[c])
	}
	return out
}
