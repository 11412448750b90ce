package diagnose

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/exlog/exlog/parse"
)

// Known errors, after SetupLogReviewer's checks 2 to 9, in its order: the
// first that matches explains the run. Patterns are case-insensitive, as
// PowerShell's Select-String is, and apply to one physical line at a time.

// References behind the checks (CSS-Exchange documentation).
const (
	RefSetupLogReviewer = "https://microsoft.github.io/CSS-Exchange/Setup/SetupLogReviewer/"
	refSetupAssist      = "https://microsoft.github.io/CSS-Exchange/Setup/SetupAssist/"
	refRebootPending    = "https://microsoft.github.io/CSS-Exchange/Setup/SetupAssist/RebootPending/"
	refFixInstaller     = "https://microsoft.github.io/CSS-Exchange/Setup/FixInstallerCache/"
)

var (
	reLdifde = regexp.MustCompile(`(?i)^\[ERROR\] There was an error while running 'ldifde\.exe' to import the schema file '(.*)'\. The error code is: (\d+)\. More details can be found in the error file: '(.*)'`)

	reMsiRemove    = regexp.MustCompile(`(?i)(?:Couldn't|Unable to) remove product with code (\S+)\. (?:The installation source for this product is not available|Fatal error during installation)`)
	reMsiNoSource  = regexp.MustCompile(`(?i)\[ERROR\] Installing product (.+) failed\. The installation source for this product is not available`)
	reMsiFatal     = regexp.MustCompile(`(?i)\[ERROR\] Installing product (.+\.msi) failed\. Fatal error during installation\. Error code is 1603\.`)
	reMsiNewPkg    = regexp.MustCompile(`(?i)Installing a new product\. Package: (.+\.msi)\. Property values`)
	reMsiNullRef   = regexp.MustCompile(`(?i)\[ERROR\] Object reference not set to an instance of an object\.`)
	reArbitration  = regexp.MustCompile(`(?i)ADConstraintViolationException.+UPN value provided for addition/modification is not unique forest-wide`)
	reArbName      = regexp.MustCompile(`(?i)\$arbMbxname = "([^"]+)"`)
	reSvcDisabled  = regexp.MustCompile(`(?i)Win32Exception: The service cannot be started, either because it is disabled or because it has no enabled devices associated with it`)
	reSvcName      = regexp.MustCompile(`(?i)Cannot start service (\S+) on computer`)
	reEndpoint     = regexp.MustCompile(`(?i)COMException \(0x800706D9\): There are no more endpoints available from the endpoint mapper`)
	reExists       = regexp.MustCompile(`(?i)Active Directory operation failed on (.+?)\. The object '(.+)' already exists\.`)
	reSearchFsis   = regexp.MustCompile(`(?i)was run: "System\.Exception: Failure configuring SearchFoundation through InstallConfig\.ps1 - Old nodes belonging to the system 'Fsis', already exist`)
	reSearch       = regexp.MustCompile(`(?i)was run: "System\.Exception: Failure configuring SearchFoundation through InstallConfig\.ps1(.*)`)
	reMissingDir   = regexp.MustCompile(`(?i)ItemNotFoundException: Cannot find path '(.+)' because it does not exist`)
	reHomeMdb      = regexp.MustCompile(`(?i)\[ERROR\] Database is mandatory on UserMailbox`)
	reMountDB      = regexp.MustCompile(`(?i)was run: "System\.InvalidOperationException: Failed to mount database "([^"]+)"`)
	reNullRef      = regexp.MustCompile(`(?i)System\.NullReferenceException: Object reference not set to an instance of an object\.`)
	reEWPGroup     = regexp.MustCompile(`(?i)Microsoft\.Exchange\.Management\.Tasks\.InitializeExchangeUniversalGroups\.CreateOrMoveEWPGroup\(ADGroup ewp, ADOrganizationalUnit usgContainer\)`)
	reReverse      = regexp.MustCompile(`(?i)System\.Management\.Automation\.MethodInvocationException: Exception calling "Reverse" with "1" argument`)
	reServiceCtl   = regexp.MustCompile(`(?i)ServiceControl\.ps1`)
	reVdirExists   = regexp.MustCompile(`(?i)\[ERROR\] The virtual directory '(.+?)' already exists under`)
	reVdirNotFound = regexp.MustCompile(`(?i)\[ERROR\] The operation couldn't be performed because object '(.+(?:Default Web Site|Exchange Back End)\))' couldn't be found on`)
	reProcExit     = regexp.MustCompile(`(?i)\[ERROR\] Process execution failed with exit code (\d+)`)
	reAppCmd       = regexp.MustCompile(`(?i)System32\\inetsrv\\appcmd\.exe`)
	reFromBin      = regexp.MustCompile(`(?i)The term '(.+\\V15\\Bin\\ManageScheduledTask\.ps1)' is not recognized`)
	reInsuffRights = regexp.MustCompile(`(?i)SecErr: DSID-.+ problem 4003 \(INSUFF_ACCESS_RIGHTS\)`)
	reReadObject   = regexp.MustCompile(`(?i)^Used domain controller (.+) to read object (.+)\.$`)
	reAccessPath   = regexp.MustCompile(`(?i)Access to the path is denied\.`)
	reMultiEAS     = regexp.MustCompile(`(?i)Cannot convert 'System\.Object\[\]' to the type 'Microsoft\.Exchange\.Configuration\.Tasks\.VirtualDirectoryIdParameter'`)
	reCertExpired  = regexp.MustCompile(`(?i)^\[ERROR\] The certificate is expired\.`)
	reCertInfo     = regexp.MustCompile(`(?i)Installing certificate signed by '(.*)' for site '(.*)'\.  Certificate is valid from (\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} \w\w) until (\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} \w\w)`)
	reWKOInvalid   = regexp.MustCompile(`(?i)^\[ERROR\] The well-known object entry (.+) on the otherWellKnownObjects attribute in the container object (.+) points to an invalid DN or a deleted object`)
	reHybridEval   = regexp.MustCompile(`(?i)Evaluated \[Setting:IsHybridObjectFoundOnPremises\]`)
	reTargetURI    = regexp.MustCompile(`(?i)Searching for (.+) as the TargetApplicationUri`)
	reWrongGroup   = regexp.MustCompile(`(?i)The well-known object entry with the GUID "(.+)", which is on the "(.+)" container object's otherWellKnownObjects attribute, refers to a group "(.+)" of the wrong group type\. Either delete the well-known object entry, or promote the target object to "(.+)"\.`)
	reSharedCfg    = regexp.MustCompile(`(?i)^\[ERROR\] Unable to set shared config DC`)
	reSharedInner  = regexp.MustCompile(`(?i)^An error ocurred while setting shared config DC\. Error: (.+)`)
	reSharedExc    = regexp.MustCompile(`(?i)^An exception ocurred while setting shared config DC\. Exception: (.+)`)
)

// The ERROR-REFERENCE ids SetupLogReviewer tests by value.
const (
	idDomainPermissions = "DomainGlobalConfig___27a706ffe123425f9ee60cb02b930e81"
	idFipsConfig        = "BridgeheadComponent___9FAA17C4-73D7-4E6D-9012-6274971434D5"
	idCafeEAS           = "CafeComponent___e1130a139a734d90b6c5eec88868fbe9"
	idSharedConfigDC    = "AllADRolesCommonServiceControl___ee47ab1c06fb47919398e2e95ed99c6c"
)

// topologyMissing is the inner error of a shared-config-DC failure when the
// AD Topology service is not running; the misspelling is the product's.
const topologyMissing = "Topology Provider coundn't find the Microsoft Exchange Active Directory Topology service on end point 'TopologyClientTcpEndpoint (localhost)'."

// knownError runs the known-error checks in order and returns the first
// Diagnosis, or nil.
func knownError(r *Run) *Diagnosis {
	for _, check := range []func(*Run) *Diagnosis{
		ldifdeImport, msiCache, byErrorReference, expiredCertificate,
		wellKnownObjectInvalid, hybridOrgRelationship, wrongGroupType, sharedConfigDC,
	} {
		if d := check(r); d != nil {
			d.Known = true
			return d
		}
	}
	return nil
}

func ldifdeImport(r *Run) *Diagnosis {
	h, ok := r.lastRecord("ERROR", reLdifde)
	if !ok {
		return nil
	}
	file, code, errFile := h.m[1], h.m[2], h.m[3]
	d := &Diagnosis{Cause: "ldifde-schema-import", Title: "the schema import with ldifde.exe failed"}
	d.quoteHits(h)
	d.set("ldf_file", file)
	d.set("ldifde_error", code)
	d.set("ldif_err", errFile)
	d.Explanation = fmt.Sprintf("Setup extends the Active Directory schema by importing LDF files with ldifde.exe. The import of %s stopped with ldifde error %s; ldifde wrote the entry it failed on and the directory's answer to %s.", file, code, errFile)
	d.Remediation = fmt.Sprintf("Open %s on the computer that ran setup and find the entry that failed and the LDAP error it got; the entry itself is in %s (when the temporary copy is gone, the same file is under Setup\\Data on the installation media). Fix that cause (rights of the account on the schema, the schema master being reachable, a conflicting attribute or class), then run setup /PrepareSchema again.", errFile, file)
	return d
}

// firstErrorContext is SetupLogReviewer's view around the first [ERROR] of
// the run: before records ahead of it, and the records through physical
// line "to" (or after lines past it when to is 0).
func (r *Run) firstErrorContext(before, to, after int) (int, []*parse.Event) {
	first := r.firstWith("ERROR")
	if first < 0 {
		return -1, nil
	}
	last := to
	if to <= 0 {
		last = r.recs[first].Line + after
	}
	from := max(first-before, 0)
	if last < r.recs[first].Line {
		last = r.recs[first].Line
	}
	return first, r.recordsUpTo(from, last)
}

func msiCache(r *Run) *Diagnosis {
	_, ctx := r.firstErrorContext(2, 0, 200)
	if ctx == nil {
		return nil
	}
	d := &Diagnosis{Cause: "msi-installer-cache", Title: "Windows Installer could not find the packages of the installed build",
		Refs: []string{refFixInstaller}}
	installed := orUnknown(r.Installed())
	d.set("installer_build", r.Installed())
	fix := fmt.Sprintf("Restore the missing packages of build %s into the Windows Installer cache with FixInstallerCache.ps1 from CSS-Exchange (it copies them from another server of that build or from that build's media), then run setup again.", installed)
	if h, ok := find(ctx, reMsiRemove); ok {
		d.quoteHits(h)
		d.set("product_code", h.m[1])
		d.Explanation = fmt.Sprintf("Removing the installed product %s needs its original package, and Windows Installer could not find it: the installer cache (C:\\Windows\\Installer) of this server has lost files of the installed build %s.", h.m[1], installed)
		d.Remediation = fix
		return d
	}
	for _, re := range []*regexp.Regexp{reMsiNoSource, reMsiFatal} {
		if h, ok := find(ctx, re); ok {
			d.quoteHits(h)
			d.set("package", h.m[1])
			d.Explanation = fmt.Sprintf("Windows Installer failed on %s because the packages or patches of the installed build %s it needs to update that product are missing from the installer cache (C:\\Windows\\Installer).", h.m[1], installed)
			d.Remediation = fix
			return d
		}
	}
	if pkg, ok := find(ctx, reMsiNewPkg); ok {
		if h, ok := find(ctx, reMsiNullRef); ok {
			d.quoteHits(pkg, h)
			d.set("package", pkg.m[1])
			d.Explanation = fmt.Sprintf("Setup failed with a null object reference right after starting to install %s, the way it fails when Windows Installer's cached packages of the installed build %s are missing.", pkg.m[1], installed)
			d.Remediation = fix
			return d
		}
	}
	return nil
}

// byErrorReference runs the checks that read the span from the first
// [ERROR] to the run's last [ERROR-REFERENCE], then those keyed on that
// reference's id.
func byErrorReference(r *Run) *Diagnosis {
	ref := r.lastWith("ERROR-REFERENCE")
	if ref < 0 {
		return nil
	}
	refEv := r.recs[ref]
	first, ctx := r.firstErrorContext(0, refEv.Line, 0)
	if ctx == nil {
		return nil
	}
	for _, check := range []func([]*parse.Event) *Diagnosis{
		arbitrationUPN, serviceDisabled, endpointMapper, objectAlreadyExists, searchFoundation,
		missingDirectory, missingHomeMdb, mountDatabase, securityGroupsOUDeleted,
		serviceControlReverse, virtualDirectory, runFromBin,
	} {
		if d := check(ctx); d != nil {
			d.quote(refEv)
			d.set("error_reference", refEv.Field(parse.KeyErrRefID))
			return d
		}
	}
	id := refEv.Field(parse.KeyErrRefID)
	var d *Diagnosis
	switch {
	case strings.EqualFold(id, idDomainPermissions):
		d = domainPermissions(r, first, ctx)
	case strings.EqualFold(id, idFipsConfig):
		d = fipsAccessDenied(ctx)
	case strings.EqualFold(id, idCafeEAS):
		d = multipleEASVdirs(ctx)
	}
	if d != nil {
		d.quote(refEv)
		d.set("error_reference", id)
	}
	return d
}

func arbitrationUPN(ctx []*parse.Event) *Diagnosis {
	h, ok := find(ctx, reArbitration)
	if !ok {
		return nil
	}
	d := &Diagnosis{Cause: "arbitration-upn-not-unique", Title: "an arbitration mailbox account's UPN is already used in the forest"}
	d.quoteHits(h)
	name := ""
	if n, ok := find(ctx, reArbName); ok {
		name = n.m[1]
		d.set("arbitration_mailbox", name)
	}
	d.Explanation = "While preparing the organization, setup creates the user accounts of its system (arbitration) mailboxes, and Active Directory refused one because its user principal name is already taken by another object in the forest"
	if name != "" {
		d.Explanation += " (account " + name + ")"
	}
	d.Explanation += ". This is a known problem when such accounts exist from an earlier attempt or another organization."
	d.Remediation = "Find the object that holds the same userPrincipalName (search the forest's global catalog for it) and resolve the clash, usually a leftover copy of the system mailbox account; do not delete the organization's existing arbitration mailboxes, Exchange needs them. Then run setup /PrepareAD again."
	return d
}

func serviceDisabled(ctx []*parse.Event) *Diagnosis {
	h, ok := find(ctx, reSvcDisabled)
	if !ok {
		return nil
	}
	d := &Diagnosis{Cause: "service-disabled", Title: "a service setup must start is disabled"}
	d.quoteHits(h)
	svc := ""
	if s, ok := find(ctx, reSvcName); ok {
		svc = s.m[1]
		d.set("service", svc)
	}
	d.Explanation = "Setup tried to start a service and Windows refused because the service, or one it depends on, is disabled"
	if svc != "" {
		d.Explanation += " (" + svc + ")"
	}
	d.Explanation += ". Setup disables Exchange services while it replaces files and sets them back at the end, so a run that failed earlier, or a hardening tool, can leave them disabled."
	d.Remediation = "Set the Exchange services back to automatic start (for example Get-Service MSExchange* | Set-Service -StartupType Automatic) and enable the services they depend on, then run setup again. Watch them while setup runs: if something disables them again, repeat until setup passes this step."
	return d
}

func endpointMapper(ctx []*parse.Event) *Diagnosis {
	h, ok := find(ctx, reEndpoint)
	if !ok {
		return nil
	}
	d := &Diagnosis{Cause: "endpoint-mapper-firewall", Title: "the Windows Firewall service is not running"}
	d.quoteHits(h)
	d.Explanation = "Setup adds Windows Firewall rules for Exchange, and the call failed with 0x800706D9 (no more endpoints available from the endpoint mapper): the Windows Firewall service was not running to take them."
	d.Remediation = "Start the Windows Defender Firewall service (MpsSvc) and set it to automatic; the firewall profiles may stay off, but the service must run. Then run setup again."
	return d
}

func objectAlreadyExists(ctx []*parse.Event) *Diagnosis {
	h, ok := find(ctx, reExists)
	if !ok {
		return nil
	}
	dc, dn := h.m[1], h.m[2]
	d := &Diagnosis{Cause: "ad-object-already-exists", Title: "setup could not create an AD object that it finds already exists"}
	d.quoteHits(h)
	d.set("domain_controller", dc)
	d.set("object", dn)
	if strings.HasPrefix(strings.ToLower(dn), "cn=folder hierarchies,cn=exchange administrative group") {
		d.Explanation = fmt.Sprintf("Setup tried to create %s on %s and was told it exists already. The container is there, but the public folder tree object (class msExchPFTree) that belongs in it is missing, the known cause of this error.", dn, dc)
		d.Remediation = fmt.Sprintf("With ADSI Edit, in the configuration partition, create below %s a new object of class msExchPFTree with any common name (for example PF) and set its msExchPFTreeType attribute to 1. Wait for AD replication, then run setup again.", dn)
		return d
	}
	d.Explanation = fmt.Sprintf("Setup tried to create %s on %s and was told it exists already, although setup had not found it: the account running setup most likely cannot read the existing object.", dn, dc)
	d.Remediation = fmt.Sprintf("Check the permissions on %s and its parent: inheritance must be enabled and no deny entry may hide the object from the setup account. Correct them, wait for replication, then run setup again.", dn)
	return d
}

func searchFoundation(ctx []*parse.Event) *Diagnosis {
	if h, ok := find(ctx, reSearchFsis); ok {
		d := &Diagnosis{Cause: "search-foundation", Title: "Search Foundation nodes from an earlier configuration are still there"}
		d.quoteHits(h)
		d.set("variant", "old-fsis-nodes")
		d.Explanation = "Setup configures the Search Foundation (the content indexing engine) with InstallConfig.ps1, and it refused because nodes of an earlier configuration ('Fsis') still exist."
		d.Remediation = "Stop the Microsoft Exchange Search and Search Host Controller services (they must not be disabled), delete the folders under V15\\Bin\\Search\\Ceres\\HostController\\Data\\Nodes\\Fsis, uninstall the Search Foundation from V15\\Bin\\Search\\Ceres\\Installer with InstallConfig.ps1 -action U and the HostController\\Data folder as data folder, then run setup again."
		return d
	}
	h, ok := find(ctx, reSearch)
	if !ok {
		return nil
	}
	d := &Diagnosis{Cause: "search-foundation", Title: "configuring the Search Foundation failed"}
	d.quoteHits(h)
	d.set("search_error", strings.Trim(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(h.m[1]), "-")), `".`))
	d.Explanation = "Setup configures the Search Foundation (the content indexing engine) with InstallConfig.ps1, and that step failed; the usual reason is that its host controller or node processes (noderunner.exe) could not start or answer in time."
	d.Remediation = "Make sure the Microsoft Exchange Search and Search Host Controller services are enabled and start, and that the four noderunner.exe processes stay up (look at the Application log if they do not). If it still fails, stop both services, delete the folders under V15\\Bin\\Search\\Ceres\\HostController\\Data\\Nodes\\Fsis, run InstallConfig.ps1 -action U and then -action I from V15\\Bin\\Search\\Ceres\\Installer with the HostController\\Data folder as data folder, and run setup again."
	return d
}

func missingDirectory(ctx []*parse.Event) *Diagnosis {
	h, ok := find(ctx, reMissingDir)
	if !ok {
		return nil
	}
	d := &Diagnosis{Cause: "missing-directory", Title: "a folder setup expects is missing"}
	d.quoteHits(h)
	d.set("path", h.m[1])
	d.Explanation = fmt.Sprintf("A setup task needs the folder %s, and it does not exist (it was deleted, or an earlier step that creates it was skipped).", h.m[1])
	d.Remediation = fmt.Sprintf("Create the folder %s (empty is enough) and run setup again.", h.m[1])
	return d
}

func missingHomeMdb(ctx []*parse.Event) *Diagnosis {
	h, ok := find(ctx, reHomeMdb)
	if !ok {
		return nil
	}
	d := &Diagnosis{Cause: "missing-homemdb", Title: "a system mailbox has no mailbox database",
		Refs: []string{refSetupAssist}}
	d.quoteHits(h)
	d.Explanation = "Setup updates the organization's system and arbitration mailboxes, and at least one of them has no mailbox database (its homeMDB is empty), usually because the database that held it was removed."
	d.Remediation = "Find the arbitration and system mailboxes without a database (SetupAssist reports them; Get-Mailbox -Arbitration shows an empty Database) and give each a valid mailbox database (move it, or set homeMDB to an existing database), wait for replication, then run setup again."
	return d
}

func mountDatabase(ctx []*parse.Event) *Diagnosis {
	h, ok := find(ctx, reMountDB)
	if !ok {
		return nil
	}
	d := &Diagnosis{Cause: "mount-database-failed", Title: "a mailbox database could not be mounted"}
	d.quoteHits(h)
	d.set("database", h.m[1])
	d.Explanation = fmt.Sprintf("Near the end of the upgrade setup mounts the server's databases, and mounting %q failed.", h.m[1])
	d.Remediation = fmt.Sprintf("Find out why %q does not mount (Application log, database state, disk space, the Information Store service), get it mounted by hand, then run setup again.", h.m[1])
	return d
}

// securityGroupsOUDeleted needs the null reference and the group-creation
// frame on consecutive lines, as the stack trace writes them.
func securityGroupsOUDeleted(ctx []*parse.Event) *Diagnosis {
	nulls := findAll(ctx, reNullRef)
	if len(nulls) == 0 {
		return nil
	}
	for _, frame := range findAll(ctx, reEWPGroup) {
		for _, n := range nulls {
			if n.line+1 == frame.line {
				d := &Diagnosis{Cause: "security-groups-ou-deleted", Title: "the Microsoft Exchange Security Groups OU was deleted"}
				d.quoteHits(n, frame)
				d.Explanation = "Preparing the domain failed with a null reference while setup created or moved the Exchange Windows Permissions group into its organizational unit: the OU 'Microsoft Exchange Security Groups' at the root of the domain no longer exists."
				d.Remediation = "Recreate the organizational unit 'Microsoft Exchange Security Groups' at the root of the domain (or restore it and its groups from the AD Recycle Bin), wait for replication, then run setup /PrepareAD again."
				return d
			}
		}
	}
	return nil
}

func serviceControlReverse(ctx []*parse.Event) *Diagnosis {
	h, ok := find(ctx, reReverse)
	if !ok {
		return nil
	}
	sc, ok := find(ctx, reServiceCtl)
	if !ok {
		return nil
	}
	d := &Diagnosis{Cause: "servicecontrol-reverse", Title: "ServiceControl.ps1 failed with no services to stop"}
	d.quoteHits(sc, h)
	d.Explanation = "Before copying files setup stops the Exchange services with ServiceControl.ps1 from the installed build. When that script finds no services to stop, its list is null and the call to Reverse on it throws; this is a known defect of the script."
	d.Remediation = "Edit ServiceControl.ps1 in the Exchange Bin folder: in the StopServices function, right after $services is filled from Get-ServiceToControl, add a line that returns $true when $services is $null. Save the file and run setup again."
	return d
}

func virtualDirectory(ctx []*parse.Event) *Diagnosis {
	d := &Diagnosis{Cause: "virtual-directory", Title: "configuring an IIS virtual directory failed",
		Refs: []string{refSetupAssist}}
	d.Remediation = "Run SetupAssist on the server and fix the virtual directory problems it reports (a missing, duplicate or damaged virtual directory in Default Web Site or Exchange Back End, or an IIS configuration appcmd cannot change), then run setup again."
	if h, ok := find(ctx, reVdirExists); ok {
		d.quoteHits(h)
		d.set("virtual_directory", h.m[1])
		d.Explanation = fmt.Sprintf("Setup wanted to create the virtual directory %s and found one of that name already there.", h.m[1])
		return d
	}
	if h, ok := find(ctx, reVdirNotFound); ok {
		d.quoteHits(h)
		d.set("virtual_directory", h.m[1])
		d.Explanation = fmt.Sprintf("Setup wanted to update the virtual directory %s and could not find it in Active Directory.", h.m[1])
		return d
	}
	if h, ok := find(ctx, reProcExit); ok {
		if a, ok := find(ctx, reAppCmd); ok {
			d.quoteHits(h, a)
			d.set("exit_code", h.m[1])
			d.Explanation = fmt.Sprintf("Setup configures IIS with appcmd.exe, and appcmd exited with code %s.", h.m[1])
			return d
		}
	}
	return nil
}

func runFromBin(ctx []*parse.Event) *Diagnosis {
	h, ok := find(ctx, reFromBin)
	if !ok {
		return nil
	}
	d := &Diagnosis{Cause: "run-from-bin", Title: "setup was started from the Exchange Bin folder"}
	d.quoteHits(h)
	d.set("script", h.m[1])
	d.Explanation = fmt.Sprintf("A setup task could not find %s: the setup that ran is the copy in the installed Exchange Bin folder, not the one on the new build's media. From PowerShell, typing setup.exe without a path can start that installed copy.", h.m[1])
	d.Remediation = "Mount the media of the build to install, change to its root folder and start setup as .\\setup.exe (with the path), not through the Bin folder or the PATH; then run the upgrade again."
	return d
}

func domainPermissions(r *Run, first int, ctx []*parse.Event) *Diagnosis {
	h, ok := find(ctx, reInsuffRights)
	if !ok || first < 1 {
		return nil
	}
	prev := r.recs[first-1]
	m := reReadObject.FindStringSubmatch(firstLine(prev))
	if m == nil {
		return nil
	}
	dc, dn := m[1], m[2]
	user := orUnknown(r.Field(parse.KeyUser))
	d := &Diagnosis{Cause: "domain-insufficient-access", Title: "setup may not change the permissions of a domain object"}
	d.quote(prev)
	d.quoteHits(h)
	d.set("object", dn)
	d.set("domain_controller", dc)
	d.set("user", r.Field(parse.KeyUser))
	d.Explanation = fmt.Sprintf("While preparing the domain, setup writes permission entries on %s (read from %s), and Active Directory answered INSUFF_ACCESS_RIGHTS (problem 4003): the account %s may not change that object's permissions.", dn, dc, user)
	d.Remediation = fmt.Sprintf("Look at the permissions of %s: remove any deny entry that applies to %s, and make sure the account has the right to modify permissions (Enterprise Admins and the domain's built-in Administrators have it by default). If the cause stays unclear, grant %s full control of the object for the time of setup. Then run setup again.", dn, user, user)
	return d
}

func fipsAccessDenied(ctx []*parse.Event) *Diagnosis {
	h, ok := find(ctx, reAccessPath)
	if !ok {
		return nil
	}
	d := &Diagnosis{Cause: "fips-access-denied", Title: "upgrading the FIP-FS configuration was denied access"}
	d.quoteHits(h)
	d.Explanation = "The transport part of the upgrade rewrites the anti-malware engine configuration, V15\\FIP-FS\\Data\\Configuration.xml, and Windows denied access to the path."
	d.Remediation = "Check the permissions and attributes of the V15\\FIP-FS\\Data folder and Configuration.xml (and whether antivirus or another process locks them); Process Monitor shows which access is denied and to whom. Fix it and run setup again."
	return d
}

func multipleEASVdirs(ctx []*parse.Event) *Diagnosis {
	h, ok := find(ctx, reMultiEAS)
	if !ok {
		return nil
	}
	d := &Diagnosis{Cause: "multiple-eas-vdirs", Title: "the server has more than one ActiveSync virtual directory"}
	d.quoteHits(h)
	d.Explanation = "Setup expects one Exchange ActiveSync virtual directory per server and received a list instead, so the server has an additional, custom one."
	d.Remediation = "Remove the additional custom ActiveSync virtual directory, so that Get-ActiveSyncVirtualDirectory -Server <this server> returns a single entry, then run setup again."
	return d
}

func expiredCertificate(r *Run) *Diagnosis {
	h, ok := r.lastRecord("ERROR", reCertExpired)
	if !ok {
		return nil
	}
	d := &Diagnosis{Cause: "certificate-expired", Title: "a certificate setup uses has expired"}
	d.quoteHits(h)
	subject, until := "", ""
	if info, ok := r.lastLine("Installing certificate signed by", reCertInfo); ok {
		d.quoteHits(info)
		subject, until = info.m[2], info.m[4]
		d.set("certificate", subject)
		d.set("issuer", info.m[1])
		d.set("valid_until", until)
	}
	d.Explanation = "Setup reported that a certificate it installs or binds has expired"
	if subject != "" {
		d.Explanation += fmt.Sprintf(" (%s, valid until %s)", subject, until)
	}
	d.Explanation += "."
	d.Remediation = "Replace the expired certificate with a valid one (renew it and assign its services), remove the expired one, restart the server and run setup again."
	return d
}

func wellKnownObjectInvalid(r *Run) *Diagnosis {
	h, ok := r.lastRecord("ERROR", reWKOInvalid)
	if !ok {
		return nil
	}
	d := &Diagnosis{Cause: "well-known-object-invalid", Title: "an otherWellKnownObjects entry points to a deleted object",
		Refs: []string{refSetupAssist}}
	d.quoteHits(h)
	d.set("entry", h.m[1])
	d.set("container", h.m[2])
	d.Explanation = fmt.Sprintf("The container %s lists well-known objects in its otherWellKnownObjects attribute, and entry %s points to a distinguished name that is invalid or to an object that was deleted.", h.m[2], h.m[1])
	d.Remediation = "Restore the deleted objects (for example from the AD Recycle Bin) or correct the broken entries; SetupAssist finds them and says which. Wait for replication, then run setup again."
	return d
}

func hybridOrgRelationship(r *Run) *Diagnosis {
	rule, ok := r.evalIs("Rule", "DidOnPremisesSettingCreatedAnException", "True")
	if !ok {
		return nil
	}
	evals := findAll(r.recs, reHybridEval)
	if len(evals) == 0 {
		return nil
	}
	at := evals[len(evals)-1].line
	var around []*parse.Event
	for _, e := range r.recs {
		if e.Line >= at-20 && e.Line <= at+20 {
			around = append(around, e)
		}
	}
	uris := findAll(around, reTargetURI)
	if len(uris) != 1 {
		return nil
	}
	uri := uris[0].m[1]
	d := &Diagnosis{Cause: "hybrid-org-relationship", Title: "an organization relationship has no application URI"}
	d.quote(rule)
	d.quoteHits(evals[len(evals)-1], uris[0])
	d.set("target_application_uri", uri)
	d.Explanation = fmt.Sprintf("Setup's hybrid check threw while looking for %s as the TargetApplicationUri of the organization relationships: one of them has no application URI.", uri)
	d.Remediation = fmt.Sprintf("Find the organization relationship whose TargetApplicationUri is empty (Get-OrganizationRelationship | fl Name,TargetApplicationUri) and set it to %s with Set-OrganizationRelationship, then run setup again.", uri)
	return d
}

func wrongGroupType(r *Run) *Diagnosis {
	h, ok := r.lastLine("of the wrong group type", reWrongGroup)
	if !ok {
		return nil
	}
	guid, container, group, want := h.m[1], h.m[2], h.m[3], h.m[4]
	d := &Diagnosis{Cause: "wrong-group-type", Title: "a well-known Exchange group has the wrong group type"}
	d.quoteHits(h)
	d.set("guid", guid)
	d.set("container", container)
	d.set("group", group)
	d.set("required_type", want)
	d.Explanation = fmt.Sprintf("The otherWellKnownObjects entry %s on %s names the group %s, and that group is not of the type Exchange needs (%s).", guid, container, group, want)
	d.Remediation = fmt.Sprintf("Change %s to a %s group. If it already has that type, check whether it is mail-enabled: it must not be, so disable mail on it. Wait for replication, then run setup again.", group, want)
	return d
}

func sharedConfigDC(r *Run) *Diagnosis {
	h, ok := r.lastRecord("ERROR", reSharedCfg)
	if !ok {
		return nil
	}
	ref := r.lastWith("ERROR-REFERENCE")
	if ref < 0 || !strings.EqualFold(r.recs[ref].Field(parse.KeyErrRefID), idSharedConfigDC) {
		return nil
	}
	d := &Diagnosis{Cause: "shared-config-dc", Title: "setup could not set the shared configuration domain controller"}
	d.quoteHits(h)
	d.quote(r.recs[ref])
	inner := ""
	if e, ok := r.lastRecord("", reSharedInner); ok {
		inner = strings.TrimSpace(e.m[1])
		d.quoteHits(e)
	} else if e, ok := r.lastRecord("", reSharedExc); ok {
		inner = strings.TrimSpace(e.m[1])
		d.quoteHits(e)
	}
	d.set("inner_error", inner)
	keepRunning := " The service often stops again after the first failure, so keep it running for the whole of setup."
	switch {
	case inner == topologyMissing:
		d.Explanation = "Setup asks the Microsoft Exchange Active Directory Topology service (MSExchangeADTopology) for the domain controller to use, and the service was not running."
		d.Remediation = "Start the Microsoft Exchange Active Directory Topology service before setup and make sure it stays running during the whole run, after the file copy too (setup may stop or disable it). If it stops again, read the Application log: it usually could not find a suitable domain controller, and that must be fixed first. Then run setup again."
	case inner != "":
		d.Explanation = "Setup asks the Microsoft Exchange Active Directory Topology service for the domain controller to use; the service answered, with this error: " + inner
		d.Remediation = "Read the inner error and the Application log entries of MSExchangeADTopology to see why no usable domain controller was found (DNS, site membership, DC or GC reachability, permissions) and fix that." + keepRunning + " Then run setup again."
	default:
		d.Explanation = "Setup could not set the shared configuration domain controller through the Microsoft Exchange Active Directory Topology service, and the log gives no inner error."
		d.Remediation = "Start the Microsoft Exchange Active Directory Topology service and look for its errors in the Application log; fix them." + keepRunning + " Then run setup again."
	}
	return d
}
