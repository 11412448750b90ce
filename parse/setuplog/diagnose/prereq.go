package diagnose

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/exlog/exlog/parse"
)

// Prerequisite checks, after SetupLogReviewer's Test-PrerequisiteCheck:
// the same settings, rules and lines, with two differences. Every failed
// prerequisite is reported (SetupLogReviewer stops after the first group
// of hard failures), and a rule also counts as failed when setup lists it
// in a "Failed [Rule:...]" line, which happens with a False evaluation
// when another process trips the same rule later in the run.

var (
	reADValidation = regexp.MustCompile(`(?i)^\[ERROR\] Setup encountered a problem while validating the state of Active Directory: (.*?)\s*See the Exchange setup log for more information on this error`)
	reSchemaMaster = regexp.MustCompile(`(?i)Setup will attempt to use the Schema Master domain controller (\S+)`)
	reSchemaSite   = regexp.MustCompile(`(?i)on a computer in the domain (\w+) and site (.+?), and wait for replication to complete`)
	reUpdateReq    = regexp.MustCompile(`(?i)^(Schema|Organization Configuration|Domain Configuration) Update Required Status : '(\w+)'`)
	reOpenFiles    = regexp.MustCompile(`(?i)because the (.+?) \((\d+)\) has open files`)
)

// adContext is where setup ran, for the prerequisite findings: the facts
// an engineer needs to see whether the server, its site and the schema
// master line up.
type adContext struct {
	user, computer, domain, site string
	schemaMaster, smDomain       string
	smSite                       string
	evidence                     []hit
}

func adContextOf(r *Run) adContext {
	c := adContext{user: r.Field(parse.KeyUser), computer: r.Field(parse.KeyComputer)}
	if _, v := r.eval("Setting", "ComputerNameDnsFullyQualified"); v != "" && v != "<NULL>" {
		c.computer = v
	}
	c.domain = secondLabel(c.computer)
	if _, v := r.eval("Setting", "SiteName"); v != "<NULL>" {
		c.site = v
	}
	if h, ok := r.lastLine("Schema Master domain controller", reSchemaMaster); ok {
		c.schemaMaster = strings.TrimRight(h.m[1], ".")
		c.smDomain = secondLabel(c.schemaMaster)
		c.evidence = append(c.evidence, h)
		if h, ok := r.lastLine("and wait for replication to complete", reSchemaSite); ok {
			c.smSite = h.m[2]
		}
	}
	return c
}

// secondLabel is the label after the host name, the domain's short name as
// SetupLogReviewer reads it (ExSvr1.Child.Solo.local -> Child).
func secondLabel(fqdn string) string {
	parts := strings.Split(fqdn, ".")
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

func (c adContext) apply(d *Diagnosis) {
	d.set("user", c.user)
	d.set("computer", c.computer)
	d.set("computer_domain", c.domain)
	d.set("computer_site", c.site)
	d.set("schema_master", c.schemaMaster)
	d.set("schema_master_domain", c.smDomain)
	d.set("schema_master_site", c.smSite)
	if w := c.mismatch(); w != "" {
		d.set("location_warning", w)
	}
}

// mismatch says when the server is not where organization-level changes
// can be made: another domain or site than the schema master's.
func (c adContext) mismatch() string {
	var parts []string
	if c.schemaMaster != "" && c.smDomain != "" && !strings.EqualFold(c.smDomain, c.domain) {
		parts = append(parts, fmt.Sprintf("this server is in domain %q but the schema master %s is in domain %q", c.domain, c.schemaMaster, c.smDomain))
	}
	if c.smSite != "" && !strings.EqualFold(c.smSite, c.site) {
		parts = append(parts, fmt.Sprintf("this server is in AD site %q but the schema master's site is %q", c.site, c.smSite))
	}
	return strings.Join(parts, "; ")
}

// ruleFailed reports a prerequisite rule as failed, with the records that
// show it: the evaluation, setup's failed-rule line and its [REQUIRED]
// message.
func (r *Run) ruleFailed(name string) (recs []*parse.Event, msg string, ok bool) {
	ev, isTrue := r.evalIs("Rule", name, "True")
	fr, msg := r.failedRule(name)
	if !isTrue && fr == nil {
		return nil, "", false
	}
	return []*parse.Event{ev, fr, r.required(msg)}, msg, true
}

// withRule quotes a failed rule's records and keeps its help link.
func (r *Run) withRule(d *Diagnosis, recs []*parse.Event) {
	d.quote(recs...)
	for _, e := range recs {
		if e != nil && severity(e) == "REQUIRED" {
			d.set("help_url", r.helpURL(e))
		}
	}
}

// plainRules are the failed prerequisite rules whose explanation needs
// nothing more from the log than the rule's own records.
var plainRules = []struct{ rule, cause, title, explanation, remediation string }{
	{"RemoteRegException", "remote-registry", "setup could not open this computer's registry remotely",
		"Setup reads this server's registry through the remote registry interface, addressing the machine by its own DNS host name, and that call threw an exception.",
		"Make sure the Remote Registry service is running, that the server's fully qualified name resolves to its own address (DNS and hosts file), and that no policy or firewall rule blocks remote registry access to itself; then run setup again."},
	{"MSDTCStopped", "msdtc-stopped", "the MSDTC service is stopped",
		"The Distributed Transaction Coordinator (MSDTC) service was not running when the prerequisites were checked, and setup needs it.",
		"Set the Distributed Transaction Coordinator service to start automatically, start it, and run setup again."},
	{"IisUrlRewriteNotInstalled", "iis-url-rewrite-missing", "the IIS URL Rewrite module is not installed",
		"The IIS URL Rewrite module is a prerequisite of recent Exchange cumulative updates and it is missing on this server.",
		"Install the IIS URL Rewrite module (version 2.1, from Microsoft's IIS downloads) and run setup again."},
}

// prerequisites returns one Diagnosis per failed prerequisite, and apart
// from them the weak "not an organization admin" case that SetupLogReviewer
// reports when the Organization Management SID is missing: that one only
// explains a run when nothing more specific does.
func prerequisites(r *Run) (found []*Diagnosis, weak *Diagnosis) {
	ctx := adContextOf(r)

	if h, ok := r.lastRecord("ERROR", reADValidation); ok {
		inner := strings.TrimSpace(h.m[1])
		d := &Diagnosis{Cause: "ad-validation-failed", Title: "setup could not validate the state of Active Directory"}
		d.quoteHits(h)
		if recs, _, ok := r.ruleFailed("AdInitErrorRule"); ok {
			r.withRule(d, recs)
		}
		d.quoteHits(ctx.evidence...)
		d.set("ad_error", inner)
		d.Explanation = "Before touching anything, setup checks that Active Directory is ready for this version and that it can make any organization-level changes still missing. That check failed with: " + inner
		if w := ctx.mismatch(); w != "" {
			d.Explanation += " Here " + w + "."
		}
		d.Remediation = "Do what the quoted message asks. When organization objects are missing, an account in Enterprise Admins and Schema Admins must run setup /PrepareSchema and /PrepareAD (with the licence switch) on a computer in the same domain and AD site as the schema master; wait for AD replication to reach this server's site, then run setup here again."
		found = append(found, d)
	}

	var reboot *Diagnosis
	for _, rb := range []struct{ rule, source string }{
		{"PendingRebootWindowsComponents", "a Windows role or feature installation (Component Based Servicing)"},
		{"RebootPending", "file operations queued in the Session Manager (PendingFileRenameOperations)"},
	} {
		recs, _, ok := r.ruleFailed(rb.rule)
		if !ok {
			continue
		}
		if reboot == nil {
			reboot = &Diagnosis{Cause: "pending-reboot", Title: "a reboot is pending on the server",
				Refs: []string{refRebootPending}}
		}
		r.withRule(reboot, recs)
		reboot.Details = appendDetail(reboot.Details, "reboot_source", rb.source)
	}
	if reboot != nil {
		reboot.Explanation = "The prerequisite check found the server waiting for a restart, left by " + reboot.Details["reboot_source"] + ". Setup will not change a server whose files or components are half replaced."
		reboot.Remediation = "Restart the server and run setup again. If the check still fails after a restart, find the registry value that keeps the reboot pending (SetupAssist lists the known ones) and clear its cause."
		found = append(found, reboot)
	}

	if recs, msg, ok := r.ruleFailed("ProcessNeedsToBeClosedOnUpgrade"); ok {
		d := &Diagnosis{Cause: "powershell-sessions-open", Title: "processes hold Exchange files open"}
		r.withRule(d, recs)
		proc := ""
		if m := reOpenFiles.FindStringSubmatch(msg); m != nil {
			proc = m[1] + " (process ID " + m[2] + ")"
			d.set("process", proc)
		}
		d.Explanation = "An upgrade replaces the files in the Exchange installation folder, and setup found a running process that still has some of them open"
		if proc != "" {
			d.Explanation += ": " + proc
		}
		d.Explanation += ". Most often this is an Exchange Management Shell or another PowerShell session left open on the server."
		d.Remediation = "Close every Exchange Management Shell, PowerShell and management console window on the server (and end the process named in the evidence if it is still running), then start setup again from a fresh elevated prompt. Restarting the server first also clears them."
		found = append(found, d)
	}

	if recs, _, ok := r.ruleFailed("DomainControllerIsOutOfSite"); ok {
		d := &Diagnosis{Cause: "dc-out-of-site", Title: "the chosen domain controller is not in the server's AD site"}
		r.withRule(d, recs)
		dcEv, dc := r.eval("Setting", "DomainController")
		siteEv, dcSite := r.eval("Setting", "DomainControllerSiteName")
		d.quote(dcEv, siteEv)
		d.set("domain_controller", dc)
		d.set("domain_controller_site", dcSite)
		where := fmt.Sprintf("which is in site %q", dcSite)
		if dcSite == "" {
			where = "whose site setup could not determine"
		}
		d.Explanation = fmt.Sprintf("Setup must talk to a domain controller in the same Active Directory site as this server. It used %q, %s, while this server is in site %q.", dc, where, ctx.site)
		d.Remediation = "Check AD Sites and Services: the server's IP subnet must be mapped to its site, and that site needs a reachable writable domain controller and global catalog. Fix the site or subnet definitions (or name a local DC with /DomainController:<FQDN>), wait for replication, then run setup again."
		found = append(found, d)
	}

	for _, p := range plainRules {
		if recs, _, ok := r.ruleFailed(p.rule); ok {
			d := &Diagnosis{Cause: p.cause, Title: p.title, Explanation: p.explanation, Remediation: p.remediation}
			r.withRule(d, recs)
			found = append(found, d)
		}
	}

	if prepped, ok := r.evalIs("Setting", "LocalDomainIsPrepped", "False"); ok {
		if recs, _, ok := r.ruleFailed("DomainPrepRequired"); ok {
			d := &Diagnosis{Cause: "domain-not-prepared", Title: "the local domain is not prepared for this Exchange build"}
			d.quote(prepped)
			r.withRule(d, recs)
			d.Explanation = fmt.Sprintf("Setup found that the domain of this server (%s) has not been prepared for this build, so roles cannot be installed. The same result appears when the domain holds duplicate Microsoft Exchange System Objects containers.", orUnknown(ctx.domain))
			d.Remediation = "Run setup /PrepareDomain (or /PrepareAllDomains) with the licence switch as a Domain Admin of that domain, or an Enterprise Admin, and wait for replication. If the domain was prepared already, look for duplicate Microsoft Exchange System Objects containers (SetupAssist checks for them) and remove the stale one; then run setup again."
			d.Refs = []string{refSetupAssist}
			found = append(found, d)
		}
	}

	found = append(found, permissions(r, ctx)...)
	weak = orgAdminWithoutSID(r, ctx)

	for _, d := range found {
		ctx.apply(d)
	}
	if weak != nil {
		ctx.apply(weak)
	}
	return found, weak
}

// permissions covers the group memberships a run needs for the AD updates
// it must make.
func permissions(r *Run, ctx adContext) []*Diagnosis {
	type update struct {
		name string
		h    hit
	}
	// The last status line of each kind counts.
	last := map[string]hit{}
	for i := len(r.recs) - 1; i >= 0; i-- {
		e := r.recs[i]
		if !strings.Contains(e.Message, "Update Required Status") {
			continue
		}
		if m := reUpdateReq.FindStringSubmatch(firstLine(e)); m != nil {
			k := strings.ToLower(m[1])
			if _, seen := last[k]; !seen {
				last[k] = hit{rec: e, line: e.Line, text: firstLine(e), m: m}
			}
		}
	}
	var needed []update
	schemaNeeded := false
	for _, kind := range []string{"schema", "organization configuration", "domain configuration"} {
		if h, ok := last[kind]; ok && strings.EqualFold(h.m[2], "True") {
			needed = append(needed, update{kind, h})
			schemaNeeded = schemaNeeded || kind == "schema"
		}
	}
	var out []*Diagnosis
	user := orUnknown(ctx.user)

	if schemaNeeded {
		if ev, ok := r.evalIs("Setting", "SchemaAdmin", "False"); ok {
			d := &Diagnosis{Cause: "schema-admin-required", Title: "the schema must be updated and the user is not a Schema Admin"}
			d.quoteHits(needed[0].h)
			d.quote(ev)
			d.Explanation = fmt.Sprintf("This run has to extend the Active Directory schema, and the account running setup (%s) is not a member of Schema Admins.", user)
			d.Remediation = "Run setup /PrepareSchema with an account that is in both Schema Admins and Enterprise Admins (sign out and back in after adding the account to the groups, so its token carries them), wait for replication, then run setup again."
			out = append(out, d)
		}
	}

	if len(needed) > 0 {
		if ev, ok := r.evalIs("Setting", "EnterpriseAdmin", "False"); ok {
			d := &Diagnosis{Cause: "enterprise-admin-required", Title: "Active Directory must be updated and the user is not an Enterprise Admin"}
			var names []string
			for _, u := range needed {
				names = append(names, u.name)
				d.quoteHits(u.h)
			}
			d.quote(ev)
			if recs, _, ok := r.ruleFailed("GlobalUpdateRequired"); ok {
				r.withRule(d, recs)
			}
			if recs, _, ok := r.ruleFailed("SchemaUpdateRequired"); ok {
				r.withRule(d, recs)
			}
			d.set("updates_required", strings.Join(names, ", "))
			d.Explanation = fmt.Sprintf("This run has to update Active Directory (%s), which takes Enterprise Admins rights, and the account running setup (%s) is not a member of Enterprise Admins.", strings.Join(names, ", "), user)
			d.Remediation = "Have an Enterprise Admin (also in Schema Admins when the schema is involved) run setup /PrepareSchema and /PrepareAD (and /PrepareDomain or /PrepareAllDomains for other domains) with the licence switch, or run this setup with such an account. Sign out and back in after group changes, wait for replication, then run setup again."
			out = append(out, d)
		}
	}

	if ev, ok := r.evalIs("Setting", "ExOrgAdmin", "False"); ok {
		sidEv, sid := r.eval("Setting", "SidExOrgAdmins")
		if sid != "" && sid != "<NULL>" {
			if recs, _, ok := r.ruleFailed("DelegatedMailboxFirstInstall"); ok {
				d := &Diagnosis{Cause: "org-management-required", Title: "the user is not in Organization Management"}
				d.quote(ev, sidEv)
				r.withRule(d, recs)
				d.set("org_management_sid", sid)
				d.Explanation = fmt.Sprintf("Installing or upgrading this server's roles needs membership of the Organization Management role group, and the account running setup (%s) is not in the group (setup looked for SID %s).", user, sid)
				d.Remediation = "Add the account to Organization Management (or run setup with an account that is a member), sign out and back in so the token carries the group, and run setup again."
				return append(out, d)
			}
		}
	}
	return out
}

// orgAdminWithoutSID is the case where setup found the user is no
// organization admin and could not even read the Organization Management
// group's SID, which suggests the organization was never prepared.
func orgAdminWithoutSID(r *Run, ctx adContext) *Diagnosis {
	ev, ok := r.evalIs("Setting", "ExOrgAdmin", "False")
	if !ok {
		return nil
	}
	if _, sid := r.eval("Setting", "SidExOrgAdmins"); sid != "" && sid != "<NULL>" {
		return nil
	}
	d := &Diagnosis{Cause: "org-management-required", Title: "the user is not an Exchange organization admin and the organization looks unprepared"}
	d.quote(ev)
	d.Explanation = fmt.Sprintf("Setup found that the account running it (%s) is not an Exchange organization administrator, and it found no Organization Management group SID at all, so /PrepareAD has probably not been run (or has not replicated here).", orUnknown(ctx.user))
	d.Remediation = "Have an account in Enterprise Admins and Schema Admins run setup /PrepareSchema and /PrepareAD first, wait for replication, then run setup with an account in Organization Management."
	return d
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// appendDetail joins a second value of the same detail with "; ".
func appendDetail(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	if m[k] == "" {
		m[k] = v
	} else {
		m[k] += "; " + v
	}
	return m
}
