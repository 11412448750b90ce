// Package upgradecms flags Exchange setup actions left unfinished on
// clustered mailbox servers and role installations: the watermarks setup
// writes while it works and clears when it finishes, failed /upgradeCMS
// runs, and nodes whose binaries were upgraded while their clustered
// mailbox server was not.
//
// Exchange 2007 setup marks its progress with Watermark and Action values
// under HKLM\SOFTWARE\Microsoft\Exchange\v8.0\<Role> (2010:
// ExchangeServer\v14, 2013+: v15); under ...\v8.0\ClusteredMailboxServer
// they belong to a clustered mailbox server operation (/newCMS,
// /upgradeCMS, /recoverCMS). A service pack reaches a clustered mailbox
// server in two steps: setup.com /mode:upgrade on each node (the
// binaries), then setup.com /upgradeCMS once (the clustered server
// itself), which needs every resource of the clustered server online.
//
// Findings (Cause): "upgradecms-failed" (error), "watermark" (error, a
// registry watermark no failed run explains), "install-watermark" (error,
// 2013+ setup logs), "cms-not-upgraded" (warning). Details name node,
// role, action, watermark, cms, setup_version, first_error and
// first_error_line, attempts, resource and resource_type where known.
package upgradecms

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/builds"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/facts"
)

// References behind the checks.
const (
	refWatermarks  = "Exchange Team blog, 2007-05-21: How does Exchange 2007 setup know to resume a failed setup? (watermarks)"
	refExBPACMS    = "ExBPA rule: Possible CMS Setup Failure (Action/Watermark under v8.0\\ClusteredMailboxServer)"
	refStandby     = "Exchange 2007 standby SCC clusters: /upgradeCMS needs every clustered mailbox server resource online"
	refUpgradeCMS  = "Exchange 2007 clustered mailbox server upgrade: setup.com /mode:upgrade on each node, then setup.com /upgradeCMS"
	refSetupAssist = "CSS-Exchange SetupAssist: Test-InstallWatermark"
)

// Detector is the upgradecms-watermark detector.
var Detector = &detect.Detector{
	ID:    "upgradecms-watermark",
	Title: "Unfinished clustered mailbox server upgrade or setup watermark",
	Doc: "Finds Exchange setup work left half done: Watermark/Action values in a registry export under an " +
		"Exchange role key or ClusteredMailboxServer, a setup /upgradeCMS run that failed with no later " +
		"successful one (quoting its first error, and explaining the standby-cluster case where a Physical " +
		"Disk or Network Name resource cannot come online), 2013+ setup logs that found an install watermark, " +
		"and cluster nodes whose Exchange 2007 binaries were upgraded while their clustered mailbox server " +
		"never was.",
	Looks: "setup-run summaries and their [ERROR] and watermark lines, registry Watermark/Action/ConfiguredVersion " +
		"values of Exchange role keys, MSExchangeSetup 1002, MSExchangeRepl 107, cluster resource failures",
	References: []string{refWatermarks, refExBPACMS, refUpgradeCMS, refStandby},
	Select:     selectEvent,
	Run:        run,
}

func isWatermarkValue(e *parse.Event) bool {
	if e.Source != parse.SourceRegistry || e.Field(parse.KeyExchangeRole) == "" || e.Field(parse.KeyDeleted) != "" {
		return false
	}
	switch strings.ToLower(e.Field(parse.KeyValueName)) {
	case "watermark", "action":
		return true
	}
	return false
}

func selectEvent(e *parse.Event) bool {
	switch e.Source {
	case parse.SourceSetupLog:
		if e.Kind == parse.KindSetupRun || e.Field(parse.KeySeverity) == "ERROR" {
			return true
		}
		switch e.Field(parse.KeyEvalName) {
		case "InstallWatermark":
			return strings.EqualFold(e.Field(parse.KeyEvalValue), "True")
		case "Watermarks":
			v := e.Field(parse.KeyEvalValue)
			return v != "" && v != "<NULL>"
		}
		return false
	case parse.SourceRegistry:
		return isWatermarkValue(e)
	}
	switch e.Field(parse.KeyAction) {
	case "setup-failed", "cms-operation-failed", "resource-failed", "online-failed", "group-failed":
		return true
	}
	return false
}

// bundle is what one pass collects.
type bundle struct {
	f        *detect.Facts
	runs     []*parse.Event            // setup-run summaries, time order
	records  map[string][]*parse.Event // file -> selected setup-log records
	marks    []*parse.Event            // registry Watermark/Action values
	failures []*parse.Event            // setup, CMS and resource failures
	cluster  map[string]string         // node -> cluster
}

func run(p *detect.Pass) error {
	b := &bundle{f: p.Facts, records: map[string][]*parse.Event{}, cluster: map[string]string{}}
	for c, nodes := range p.Facts.ClusterNodes() {
		for _, n := range nodes {
			b.cluster[n] = c
		}
	}
	copies := detect.DuplicateRuns(p.Events)
	for _, e := range p.Events {
		switch {
		case copies[e]:
			// A copy of a run read from another file counts once.
		case e.Kind == parse.KindSetupRun:
			b.runs = append(b.runs, e)
		case e.Source == parse.SourceSetupLog:
			b.records[e.File] = append(b.records[e.File], e)
		case e.Source == parse.SourceRegistry:
			b.marks = append(b.marks, e)
		default:
			b.failures = append(b.failures, e)
		}
	}
	used := map[*parse.Event]bool{}
	for _, fd := range b.failedUpgradeCMS(used) {
		p.Report(fd)
	}
	for _, fd := range b.installWatermarks(used) {
		p.Report(fd)
	}
	for _, fd := range b.registryWatermarks(used) {
		p.Report(fd)
	}
	for _, fd := range b.cmsNotUpgraded() {
		p.Report(fd)
	}
	return nil
}

func node(e *parse.Event) string { return parse.ShortNode(e.Node) }

// runEnd is when a run ended, or its start.
func runEnd(e *parse.Event) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, e.Field(parse.KeyEnd)); err == nil {
		return t.UTC()
	}
	return e.Time
}

// sameCluster reports whether two nodes belong to one cluster as far as
// the bundle says; nodes the bundle places in no cluster match any.
func (b *bundle) sameCluster(a, c string) bool {
	ca, oka := b.cluster[a]
	cc, okc := b.cluster[c]
	return !oka || !okc || ca == cc
}

// laterCMSUpgrade returns a successful /upgradeCMS run in the same cluster
// after t, if any.
func (b *bundle) laterCMSUpgrade(n string, t time.Time) *parse.Event {
	for _, r := range b.runs {
		if detect.IsUpgradeCMS(r) && detect.RunSucceededEvent(r) && r.Time.After(t) && b.sameCluster(n, node(r)) {
			return r
		}
	}
	return nil
}

// record returns the selected setup-log record of file at line, or nil.
func (b *bundle) record(file string, line int) *parse.Event {
	for _, e := range b.records[file] {
		if e.Line == line {
			return e
		}
	}
	return nil
}

// firstError returns the run's first [ERROR] record.
func (b *bundle) firstError(r *parse.Event) *parse.Event {
	if n, err := strconv.Atoi(r.Field(parse.KeyFirstErrorLine)); err == nil {
		if e := b.record(r.File, n); e != nil {
			return e
		}
	}
	for _, e := range b.records[r.File] {
		if e.Run == r.Run && e.Field(parse.KeySeverity) == "ERROR" {
			return e
		}
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// cmsName names the clustered mailbox server of a run on node n at t.
func (b *bundle) cmsName(r *parse.Event) string {
	if v := r.Field(parse.KeyParamCMSName); v != "" && v != "true" {
		return v
	}
	n := node(r)
	for _, g := range b.f.Hosting(n, r.Time) {
		if b.f.Cluster.IsExchangeGroup(g) || len(b.f.Versions.Servers[g]) > 0 {
			return g
		}
	}
	return b.onlyCMS(n)
}

// onlyCMS returns the one Exchange group of the node's cluster, or "".
func (b *bundle) onlyCMS(n string) string {
	var found []string
	for _, g := range b.f.Groups() {
		if b.f.Cluster.IsExchangeGroup(g) || len(b.f.Versions.Servers[g]) > 0 {
			found = append(found, g)
		}
	}
	for s, list := range b.f.Versions.Servers {
		if s == "" || slices.Contains(found, s) {
			continue
		}
		for _, sb := range list {
			if b.sameCluster(n, sb.Node) {
				found = append(found, s)
				break
			}
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return ""
}

// failedUpgradeCMS reports each node's failed /upgradeCMS attempts that no
// later successful run in the cluster made good.
func (b *bundle) failedUpgradeCMS(used map[*parse.Event]bool) []detect.Finding {
	byNode := map[string][]*parse.Event{}
	var order []string
	for _, r := range b.runs {
		if !detect.IsUpgradeCMS(r) || detect.RunSucceededEvent(r) {
			continue
		}
		n := node(r)
		if b.laterCMSUpgrade(n, r.Time) != nil {
			continue
		}
		if _, ok := byNode[n]; !ok {
			order = append(order, n)
		}
		byNode[n] = append(byNode[n], r)
	}
	var out []detect.Finding
	for _, n := range order {
		out = append(out, b.failedFinding(n, byNode[n], used))
	}
	return out
}

func (b *bundle) failedFinding(n string, runs []*parse.Event, used map[*parse.Event]bool) detect.Finding {
	first, last := runs[0], runs[len(runs)-1]
	start, end := first.Time, runEnd(last)
	cms := b.cmsName(last)
	d := map[string]string{"node": n, "attempts": strconv.Itoa(len(runs)), "file": last.File,
		"run": strconv.Itoa(last.Run), "result": last.Field(parse.KeyResult)}
	if cms != "" {
		d["cms"] = cms
	}
	if v := last.Field(parse.KeySetupVersion); v != "" {
		d["setup_version"] = v
		if r := builds.ReleaseName(v); r != "" {
			d["setup_release"] = r
		}
	}
	var ev []detect.Evidence
	for _, r := range runs {
		ev = append(ev, detect.EvidenceOf(r))
	}
	var texts []string
	errRec := b.firstError(last)
	errText := ""
	if errRec != nil {
		errText = strings.TrimSpace(strings.TrimPrefix(firstLine(errRec.Message), "[ERROR]"))
		d["first_error"] = parse.Clip(errText, 500, "…")
		d["first_error_line"] = strconv.Itoa(errRec.Line)
		ev = append(ev, detect.EvidenceOf(errRec))
		texts = append(texts, errRec.Message)
	} else if t := last.Field(parse.KeyResultText); t != "" {
		texts = append(texts, t)
	}
	// What the node logged while the run worked: setup component and CMS
	// operation failures, resources that failed to come online.
	from, to := start.Add(-time.Minute), end.Add(5*time.Minute)
	kind, resName := "", ""
	var resLines int
	for _, e := range b.failures {
		if node(e) != n || e.Time.Before(from) || e.Time.After(to) {
			continue
		}
		ev = append(ev, detect.EvidenceOf(e))
		switch e.Field(parse.KeyAction) {
		case "setup-failed", "cms-operation-failed":
			texts = append(texts, e.Message)
		default:
			resLines++
			if k := facts.ResourceKind(e.Field(parse.KeyResourceType), e.Field(parse.KeyResource), e.Message); k != "" && kind == "" {
				kind, resName = k, e.Field(parse.KeyResource)
			}
		}
	}
	if kind == "" {
		for _, t := range texts {
			if k := facts.ResourceKind("", "", t); k != "" {
				kind = k
				break
			}
		}
	}
	if kind != "" {
		d["resource_type"] = kind
	}
	if resName != "" {
		d["resource"] = resName
	}
	// Registry watermarks of the clustered mailbox server on this node are
	// what this failure left behind.
	var marks []string
	for _, e := range b.marks {
		if node(e) == n && strings.EqualFold(e.Field(parse.KeyExchangeRole), "ClusteredMailboxServer") {
			used[e] = true
			ev = append(ev, detect.EvidenceOf(e))
			marks = append(marks, e.Field(parse.KeyValueName)+"="+e.Field(parse.KeyValue))
			d[strings.ToLower(e.Field(parse.KeyValueName))] = e.Field(parse.KeyValue)
		}
	}
	what := "the clustered mailbox server"
	if cms != "" {
		what = "clustered mailbox server " + cms
	}
	var s strings.Builder
	fmt.Fprintf(&s, "setup /upgradeCMS ran on %s %s and did not complete (%s", n, attemptsText(len(runs)), last.Field(parse.KeyResult))
	if t := last.Field(parse.KeyResultText); t != "" {
		s.WriteString(": \"" + parse.Clip(t, 200, "…") + "\"")
	}
	s.WriteString("), and no later /upgradeCMS in the bundle succeeded. ")
	if errText != "" {
		s.WriteString("Its first error was: \"" + parse.Clip(errText, 600, "…") + "\". ")
	}
	if resLines > 0 {
		fmt.Fprintf(&s, "While it ran, %s logged %d cluster resource failure(s)", n, resLines)
		if resName != "" {
			fmt.Fprintf(&s, ", among them %s resource '%s'", kind, resName)
		}
		s.WriteString(". ")
	}
	if len(marks) > 0 {
		fmt.Fprintf(&s, "The node's registry still holds the setup watermark under ClusteredMailboxServer (%s), so setup considers the operation unfinished. ", strings.Join(marks, ", "))
	}
	rem := ""
	if kind != "" {
		fmt.Fprintf(&s, "/upgradeCMS only succeeds (setup reports success and clears the watermark) when it can bring every resource of %s online. "+
			"A %s resource that cannot come online stops it: this is what happens on a standby cluster, whose "+
			"replicated disks are read-only and whose network name would duplicate the primary's on the network. "+
			"Until the upgrade completes, %s stays on its old build while the nodes' binaries are new, and it "+
			"cannot start on them.", what, kind, what)
		rem = fmt.Sprintf("Make every resource of %s able to come online first: on a standby cluster, take the primary "+
			"cluster's clustered mailbox server offline or isolate the standby cluster from it (storage read-write, "+
			"no duplicate network name), or recover the server there with setup /recoverCMS. Then run setup.com "+
			"/upgradeCMS again on the node that owns it and confirm that it reports success and that the Watermark "+
			"and Action values under ...\\Exchange\\v8.0\\ClusteredMailboxServer are gone. Do not delete the "+
			"watermark by hand to get past the error.", what)
	} else {
		fmt.Fprintf(&s, "Until /upgradeCMS completes, %s keeps its old build while the nodes' binaries are new, so it "+
			"will not start on them; setup resumes from its watermark when the same action is run again.", what)
		rem = fmt.Sprintf("Fix what the first error names, then run setup.com /upgradeCMS again on the node that owns "+
			"%s with its resources able to come online, and check that it reports success and clears the Watermark "+
			"and Action values under ...\\Exchange\\v8.0\\ClusteredMailboxServer.", what)
	}
	summary := fmt.Sprintf("setup /upgradeCMS failed on %s", n)
	if cms != "" {
		summary += " for " + cms
	}
	switch {
	case kind != "" && resName != "":
		summary += fmt.Sprintf(": %s resource %s could not come online", kind, resName)
	case kind != "":
		summary += fmt.Sprintf(": a %s resource could not come online", kind)
	case errText != "":
		summary += ": " + parse.Clip(errText, 160, "…")
	}
	refs := []string{refUpgradeCMS, refExBPACMS}
	if kind != "" {
		refs = append(refs, refStandby)
	}
	groups := []string{}
	if cms != "" {
		groups = append(groups, cms)
	}
	return detect.Finding{
		Severity: detect.Error, Cause: "upgradecms-failed",
		Nodes: []string{n}, Groups: groups, Start: start, End: end,
		Summary: summary, Explanation: s.String(), Remediation: rem,
		References: refs, Evidence: detect.DedupeEvidence(ev), Details: d,
	}
}

func attemptsText(n int) string {
	if n == 1 {
		return "once"
	}
	return strconv.Itoa(n) + " times"
}

// installWatermarks reports 2013+ setup runs that found a watermark of an
// earlier, unfinished run and did not get past it.
func (b *bundle) installWatermarks(used map[*parse.Event]bool) []detect.Finding {
	latest := map[string]*parse.Event{}
	var order []string
	for _, r := range b.runs {
		if !strings.EqualFold(r.Field(parse.KeyInstallWatermark), "True") && r.Field(parse.KeyWatermark) == "" {
			continue
		}
		if detect.RunSucceededEvent(r) || b.laterSuccess(r) {
			continue
		}
		n := node(r)
		if _, ok := latest[n]; !ok {
			order = append(order, n)
		}
		latest[n] = r
	}
	var out []detect.Finding
	for _, n := range order {
		r := latest[n]
		var roles, marks []string
		for _, wm := range strings.Split(r.Field(parse.KeyWatermark), ";") {
			wm = strings.TrimSpace(wm)
			if wm == "" {
				continue
			}
			marks = append(marks, wm)
			if role, _, ok := strings.Cut(wm, "="); ok && !slices.Contains(roles, role) {
				roles = append(roles, role)
			}
		}
		ev := []detect.Evidence{detect.EvidenceOf(r)}
		for _, e := range b.records[r.File] {
			if e.Run == r.Run && e.Field(parse.KeyEvalName) != "" {
				ev = append(ev, detect.EvidenceOf(e))
			}
		}
		for _, e := range b.marks {
			if node(e) == n && slices.ContainsFunc(roles, func(role string) bool { return strings.EqualFold(role, e.Field(parse.KeyExchangeRole)) }) {
				used[e] = true
				ev = append(ev, detect.EvidenceOf(e))
			}
		}
		d := map[string]string{"node": n, "file": r.File, "run": strconv.Itoa(r.Run), "result": r.Field(parse.KeyResult)}
		roleText := "a role the log does not name"
		if len(roles) > 0 {
			roleText = strings.Join(roles, ", ")
			d["role"] = roleText
		}
		if len(marks) > 0 {
			d["watermark"] = strings.Join(marks, "; ")
		}
		if v := r.Field(parse.KeyInstallWatermark); v != "" {
			d["install_watermark"] = v
		}
		if v := r.Field(parse.KeySetupVersion); v != "" {
			d["setup_version"] = v
		}
		expl := fmt.Sprintf("Setup run %d on %s (%s) found the watermark of an earlier setup that stopped part way "+
			"(%s), and no later run on the node completed. Setup records each finished task of a role as a "+
			"watermark and removes it when the role is done; a watermark left behind means %s is only partly "+
			"installed or upgraded, and setup will only continue the interrupted action.",
			r.Run, n, r.Field(parse.KeyMode), watermarkText(r, marks), roleText)
		rem := "Run setup again in the same mode as the run that failed (from the GUI if unattended setup refuses), " +
			"so it resumes from the watermark and finishes; fix whatever stopped that earlier run first. Do not delete " +
			"the Watermark and Action values from the registry to get past the check."
		out = append(out, detect.Finding{
			Severity: detect.Error, Cause: "install-watermark",
			Nodes: []string{n}, Groups: []string{}, Start: r.Time, End: runEnd(r),
			Summary:     fmt.Sprintf("setup on %s stopped on a watermark left by an unfinished setup of %s", n, roleText),
			Explanation: expl, Remediation: rem, References: []string{refWatermarks, refSetupAssist},
			Evidence: detect.DedupeEvidence(ev), Details: d,
		})
	}
	return out
}

func watermarkText(r *parse.Event, marks []string) string {
	var parts []string
	if strings.EqualFold(r.Field(parse.KeyInstallWatermark), "True") {
		parts = append(parts, "rule InstallWatermark evaluated True")
	}
	if len(marks) > 0 {
		parts = append(parts, "Watermarks "+strings.Join(marks, "; "))
	}
	return strings.Join(parts, "; ")
}

// laterSuccess reports a later successful run on the same node that lays
// down binaries (AD preparation runs do not resume a role's setup).
func (b *bundle) laterSuccess(r *parse.Event) bool {
	n := node(r)
	for _, o := range b.runs {
		if o == r || node(o) != n || !o.Time.After(r.Time) || !detect.RunSucceededEvent(o) {
			continue
		}
		if !strings.HasPrefix(strings.ToLower(o.Field(parse.KeyMode)), "prepare") {
			return true
		}
	}
	return false
}

// registryWatermarks reports each role key holding Watermark or Action
// values that no failed run above already explains.
func (b *bundle) registryWatermarks(used map[*parse.Event]bool) []detect.Finding {
	type key struct{ node, file, key string }
	groups := map[key][]*parse.Event{}
	var order []key
	for _, e := range b.marks {
		if used[e] {
			continue
		}
		k := key{node(e), e.File, e.Field(parse.KeyKey)}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], e)
	}
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].node != order[j].node {
			return order[i].node < order[j].node
		}
		return order[i].key < order[j].key
	})
	var out []detect.Finding
	for _, k := range order {
		evs := groups[k]
		role, ver := evs[0].Field(parse.KeyExchangeRole), evs[0].Field(parse.KeyExchangeVersionKey)
		action, mark := "", ""
		var ev []detect.Evidence
		for _, e := range evs {
			ev = append(ev, detect.EvidenceOf(e))
			switch strings.ToLower(e.Field(parse.KeyValueName)) {
			case "action":
				action = e.Field(parse.KeyValue)
			case "watermark":
				mark = e.Field(parse.KeyValue)
			}
		}
		d := map[string]string{"node": k.node, "role": role, "key": k.key, "version_key": ver}
		if action != "" {
			d["action"] = action
		}
		if mark != "" {
			d["watermark"] = mark
		}
		actionText := "an action the export does not name"
		if action != "" {
			actionText = "action " + action
		}
		var expl, rem, summary string
		refs := []string{refWatermarks}
		if strings.EqualFold(role, "ClusteredMailboxServer") {
			summary = fmt.Sprintf("unfinished clustered mailbox server setup on %s: watermark left under %s\\ClusteredMailboxServer (%s)", k.node, ver, actionText)
			expl = fmt.Sprintf("%s's registry export has %s under %s. Setup writes these while it creates, upgrades or "+
				"recovers a clustered mailbox server (%s) and removes them when it finishes, so the operation either "+
				"failed on this node or was still running when the export was taken. A clustered mailbox server whose "+
				"setup failed on one node can look healthy from the other nodes.", k.node, valuesText(action, mark), k.key, actionText)
			rem = "Find the setup run that left it (ExchangeSetup.log on " + k.node + ") and run the same operation " +
				"again (for an upgrade, setup.com /upgradeCMS) so it completes and clears the values. Do not delete the " +
				"values by hand to get past it."
			refs = append(refs, refExBPACMS)
		} else {
			summary = fmt.Sprintf("unfinished Exchange setup of %s on %s: watermark left under %s (%s)", role, k.node, ver, actionText)
			expl = fmt.Sprintf("%s's registry export has %s under %s. Setup records its progress through the %s role "+
				"there and clears the values when the role is done; left behind, they mean the %s stopped part way "+
				"and the role is only partly configured.", k.node, valuesText(action, mark), k.key, role, actionText)
			rem = "Run setup again with the same action on " + k.node + " so it resumes from the watermark and " +
				"finishes (setup refuses other actions until then); fix what stopped the earlier run first."
		}
		out = append(out, detect.Finding{
			Severity: detect.Error, Cause: "watermark",
			Nodes: []string{k.node}, Groups: []string{},
			Summary: summary, Explanation: expl, Remediation: rem, References: refs,
			Evidence: detect.DedupeEvidence(ev), Details: d,
		})
	}
	return out
}

func valuesText(action, mark string) string {
	var parts []string
	if action != "" {
		parts = append(parts, fmt.Sprintf("Action=%q", action))
	}
	if mark != "" {
		parts = append(parts, fmt.Sprintf("Watermark=%q", mark))
	}
	return strings.Join(parts, " and ")
}

// cmsNotUpgraded reports, per cluster, the nodes whose Exchange 2007
// binaries were upgraded to a build their clustered mailbox server never
// reached.
func (b *bundle) cmsNotUpgraded() []detect.Finding {
	type up struct {
		run   *parse.Event
		build string
	}
	latest := map[string]up{}
	for _, r := range b.runs {
		if !detect.RunSucceededEvent(r) || !binaryUpgrade(r) {
			continue
		}
		v, ok := builds.Parse(r.Field(parse.KeySetupVersion))
		if !ok || v[0] != 8 || !b.cmsNode(node(r)) {
			continue
		}
		latest[node(r)] = up{r, r.Field(parse.KeySetupVersion)}
	}
	byCluster := map[string][]string{}
	for n := range latest {
		c := b.cluster[n]
		byCluster[c] = append(byCluster[c], n)
	}
	clusters := slices.Sorted(maps.Keys(byCluster))
	var out []detect.Finding
	for _, c := range clusters {
		nodes := byCluster[c]
		sort.Strings(nodes)
		cmsBuild, cmsEv, cms := b.cmsBuild(nodes[0])
		var behind []string
		var ev []detect.Evidence
		var start, end time.Time
		newest := ""
		for _, n := range nodes {
			u := latest[n]
			if cmsBuild != "" {
				if cmp, ok := detect.CompareBuilds(cmsBuild, u.build); ok && cmp >= 0 {
					continue
				}
			}
			behind = append(behind, n)
			ev = append(ev, detect.EvidenceOf(u.run))
			t := runEnd(u.run)
			if start.IsZero() || t.Before(start) {
				start = t
			}
			if t.After(end) {
				end = t
			}
			if newest == "" || older(newest, u.build) {
				newest = u.build
			}
		}
		if len(behind) == 0 {
			continue
		}
		ev = append(ev, cmsEv...)
		for _, r := range b.runs {
			if detect.IsUpgradeCMS(r) && !detect.RunSucceededEvent(r) && slices.Contains(nodes, node(r)) {
				ev = append(ev, detect.EvidenceOf(r))
				if t := runEnd(r); t.After(end) {
					end = t
				}
			}
		}
		what := "their clustered mailbox server"
		if cms != "" {
			what = "clustered mailbox server " + cms
		}
		d := map[string]string{"nodes_upgraded": strings.Join(behind, ", "), "binaries_build": newest}
		if c != "" {
			d["cluster"] = c
		}
		if cms != "" {
			d["cms"] = cms
		}
		state := "the bundle shows no successful /upgradeCMS for it"
		if cmsBuild != "" {
			d["cms_build"] = cmsBuild
			state = "it is still configured for " + builds.Describe(cmsBuild)
		}
		summary := fmt.Sprintf("Exchange binaries on %s were upgraded to %s but %s was not upgraded with /upgradeCMS",
			strings.Join(behind, ", "), builds.Describe(newest), what)
		expl := fmt.Sprintf("setup /mode:upgrade completed on %s (binaries %s), but %s was not upgraded after them: %s. The clustered mailbox server "+
			"is upgraded separately, by setup.com /upgradeCMS on the node that owns it, after its nodes' binaries. Until "+
			"that is done the server's configuration is older than the binaries of the nodes that have to run it, and "+
			"Exchange will not start it there.", strings.Join(behind, ", "), builds.Describe(newest), what, state)
		rem := "Stop the clustered mailbox server, make sure it is owned by an upgraded node and that all its resources " +
			"can come online, then run setup.com /upgradeCMS on that node; upgrade any remaining node with setup.com " +
			"/mode:upgrade afterwards. If /upgradeCMS cannot run any more, look for a failed earlier attempt and its " +
			"watermark under ...\\Exchange\\v8.0\\ClusteredMailboxServer before trying again."
		groups := []string{}
		if cms != "" {
			groups = append(groups, cms)
		}
		out = append(out, detect.Finding{
			Severity: detect.Warning, Cause: "cms-not-upgraded",
			Nodes: behind, Groups: groups, Start: start, End: end,
			Summary: summary, Explanation: expl, Remediation: rem,
			References: []string{refUpgradeCMS, refStandby},
			Evidence:   detect.DedupeEvidence(ev), Details: d,
		})
	}
	return out
}

func older(a, b string) bool {
	c, ok := detect.CompareBuilds(a, b)
	return ok && c < 0
}

// binaryUpgrade reports a setup run that upgraded the node's binaries.
func binaryUpgrade(r *parse.Event) bool {
	return strings.EqualFold(r.Field(parse.KeyMode), "upgrade") || strings.EqualFold(r.Field(parse.KeyInstallationMode), "BuildToBuildUpgrade")
}

// cmsNode reports whether a node carries (or belongs to a cluster with)
// an Exchange 2007 clustered mailbox server: a cluster node, a node with
// a ClusteredMailboxServer registry key, or one that ran a CMS action.
func (b *bundle) cmsNode(n string) bool {
	if _, ok := b.cluster[n]; ok {
		return true
	}
	for _, list := range b.f.Versions.Servers {
		for _, sb := range list {
			if sb.Node == n {
				return true
			}
		}
	}
	for _, r := range b.runs {
		if node(r) == n && detect.IsUpgradeCMS(r) {
			return true
		}
	}
	for _, e := range b.marks {
		if node(e) == n && strings.EqualFold(e.Field(parse.KeyExchangeRole), "ClusteredMailboxServer") {
			return true
		}
	}
	return false
}

// cmsBuild returns the newest build the cluster's clustered mailbox
// server is known to have (successful /upgradeCMS, or ConfiguredVersion
// under ClusteredMailboxServer), its evidence and the server's name.
func (b *bundle) cmsBuild(n string) (string, []detect.Evidence, string) {
	best, name := "", ""
	var ev []detect.Evidence
	servers := make([]string, 0, len(b.f.Versions.Servers))
	for s := range b.f.Versions.Servers {
		servers = append(servers, s)
	}
	sort.Strings(servers)
	for _, s := range servers {
		for _, sb := range b.f.Versions.Servers[s] {
			if sb.Kind == detect.ServerEVSUpgraded || sb.Build == "" || !b.sameCluster(n, sb.Node) {
				continue
			}
			if s != "" && name == "" {
				name = s
			}
			if best == "" || older(best, sb.Build) {
				best = sb.Build
				ev = sb.Evidence
			}
		}
	}
	if name == "" {
		name = b.onlyCMS(n)
	}
	return best, ev, name
}
