package bundle

import (
	"strconv"
	"strings"

	"github.com/exlog/exlog/parse"
)

// NodeOf returns the server that the bundle layout attributes the file at
// bundle path p to, in parse.ShortNode form, or "" when the layout says
// nothing. The rules, in order, are described in the package doc. A path
// component ending in "!" is an archive, or the wrapper folder at the top
// of a bundle or archive (wrapMark); neither names a server.
func NodeOf(p string) string {
	p, rooted := strings.CutPrefix(p, rootMark)
	comps := strings.Split(p, "/")
	file := strings.TrimSuffix(comps[len(comps)-1], "!")

	// Get-ClusterLog names each node's log after that node, and a hand
	// collection may gather every node's log on one server, so this file
	// name outranks the folder it was found in.
	if n, stem := prefixedName(file); n != "" && stem == "cluster" {
		return n
	}
	for i := len(comps) - 1; i >= 0; i-- {
		c := comps[i]
		archive := strings.HasSuffix(c, "!")
		c = strings.TrimSuffix(c, "!")
		if n := serverZipName(c, archive || i == len(comps)-1); n != "" {
			return n
		}
	}
	if n, _ := prefixedName(file); n != "" {
		return n
	}
	dirs := comps[:len(comps)-1]
	if rooted && len(dirs) > 0 {
		// The bundle's own archive names the case, never a server (its
		// collector form was read above).
		dirs = dirs[1:]
	}
	return serverFolder(dirs)
}

// serverZipName recognises ExchangeLogCollector's per-server archive,
// <SERVER>-<M><d>[-n].zip, and the folder Windows makes when one is
// extracted (the same name without .zip). isFile says c is an archive or a
// file, whose name must end in .zip.
func serverZipName(c string, isFile bool) string {
	lc := strings.ToLower(c)
	if strings.HasSuffix(lc, ".zip") {
		c = c[:len(c)-4]
	} else if isFile {
		return ""
	}
	parts := strings.Split(c, "-")
	if len(parts) < 2 {
		return ""
	}
	// Host names often end in digits (EX-MBX-01), so reading the last
	// part as the month and day is tried first, the copy counter second.
	last := parts[len(parts)-1]
	if monthDay(last) {
		if n := strings.Join(parts[:len(parts)-1], "-"); serverLike(n) {
			return parse.ShortNode(n)
		}
	}
	if len(parts) >= 3 && allDigits(last) && monthDay(parts[len(parts)-2]) {
		if n := strings.Join(parts[:len(parts)-2], "-"); serverLike(n) {
			return parse.ShortNode(n)
		}
	}
	return ""
}

// rootMark starts the layout path of a bundle that is one file or archive
// itself, whose name is the case's, not a server's.
const rootMark = "\x00"

// wrapMark ends a path component that is a bundle's or an archive's
// single top folder: the case folder of CASE123.zip holding CASE123/NODE1/.
const wrapMark = "!"

// wrapperFolder returns the folder that every entry of an archive sits in,
// or "" when the entries are not all in one top folder. An archive of
// one folder is how a case or a bundle is packed, so that folder names
// the case, not a server; a folder named like the archive (CASE123.zip
// holding CASE123/) is a wrapper too.
func wrapperFolder(names []string, archivePath string) string {
	top := ""
	for _, n := range names {
		i := strings.IndexByte(n, '/')
		if i <= 0 {
			return stemWrapperOf(names, archivePath)
		}
		f := n[:i]
		if f == "__MACOSX" {
			continue
		}
		if top == "" {
			top = f
		} else if f != top {
			return stemWrapperOf(names, archivePath)
		}
	}
	return top
}

func stemWrapperOf(names []string, archivePath string) string {
	for _, n := range names {
		if w := stemWrapper(n, archivePath); w != "" {
			return w
		}
	}
	return ""
}

// stemWrapper returns the first folder of name when it is named like the
// archive at archivePath (its base name without archive extensions).
func stemWrapper(name, archivePath string) string {
	i := strings.IndexByte(name, '/')
	if i <= 0 {
		return ""
	}
	base := archivePath[strings.LastIndexByte(archivePath, '/')+1:]
	base = strings.TrimSuffix(base, "!")
	for _, ext := range []string{".gz", ".tgz", ".tar", ".zip"} {
		base = strings.TrimSuffix(strings.ToLower(base), ext)
	}
	if base != "" && strings.EqualFold(name[:i], base) {
		return name[:i]
	}
	return ""
}

// markWrapper marks the top folder of name when it is the wrapper top.
func markWrapper(name, top string) string {
	if top != "" && strings.HasPrefix(name, top+"/") {
		return top + wrapMark + name[len(top):]
	}
	return name
}

func serverLike(n string) bool {
	return hostName(n, 63) && !collectorFolders[strings.ToLower(n)]
}

// monthDay reports whether s is a date in PowerShell's "Md" format: month
// then day, neither with a leading zero (321 is March 21, 1225 December 25).
func monthDay(s string) bool {
	if len(s) < 2 || len(s) > 4 || !allDigits(s) {
		return false
	}
	for i := 1; i <= 2 && i < len(s); i++ {
		m, d := s[:i], s[i:]
		if len(d) > 2 || m[0] == '0' || d[0] == '0' {
			continue
		}
		mv, _ := strconv.Atoi(m)
		dv, _ := strconv.Atoi(d)
		if mv >= 1 && mv <= 12 && dv >= 1 && dv <= 31 {
			return true
		}
	}
	return false
}

// collectorStems are the names ExchangeLogCollector writes after
// "<COMPUTERNAME>_" (Save-DataInfoToFile, Save-RegistryHive, Get-ClusterLog
// and friends), lower-cased and without extension. Names it prefixes with
// a DAG or database name instead (DatabaseAvailabilityGroup,
// MailboxDatabase, FailoverMetrics...) are deliberately absent.
var collectorStems = map[string]bool{
	"cluster": true, "cluster_hive": true, "exchange_registry_hive": true,
	"exchangeserver_registry_hive": true, "getcluster": true, "getclustergroup": true,
	"getclusternode": true, "getclusternetwork": true, "getclusternetworkinterface": true,
	"clusternodefileversions": true, "msinfo": true, "tls_registrysettings": true,
	"running_processes": true, "services_information": true, "vss_writers": true,
	"system32_drivers": true, "hotfixinfo": true, "ipconfiguration": true,
	"netstat_anob": true, "network_routes": true, "network_arp": true, "netstat_nato": true,
	"netstat_es": true, "ipsec_netsh_dynamic": true, "ipsec_netsh_static": true,
	"fltmc_filterdrivers": true, "fltmc_volumes": true, "fltmc_instances": true,
	"tasklist_modules": true, "gpresult": true, "volume": true, "disk": true, "partition": true,
	"exchangeserver": true, "healthreport": true, "servercomponentstate": true,
	"servermonitoringoverride": true, "serverhealth": true, "transportserver": true,
	"receiveconnectors": true, "instantqueueinfo": true, "clientaccessserver": true,
	"frontendtransportservice": true, "mailboxserver": true, "mailboxtransportservice": true,
	"gcm": true, "application": true, "system": true, "machine": true,
}

// prefixedName splits a collector file name <SERVER>_<stem>[.ext] and
// returns the server and the stem when the stem is one the collector
// writes. Registry exports also get a <name>_HowToRead.txt companion.
func prefixedName(file string) (node, stem string) {
	i := strings.IndexByte(file, '_')
	if i <= 0 {
		return "", ""
	}
	host, rest := file[:i], strings.ToLower(file[i+1:])
	if j := strings.LastIndexByte(rest, '.'); j > 0 {
		rest = rest[:j]
	}
	rest = strings.TrimSuffix(rest, "_howtoread")
	if !collectorStems[rest] || !hostName(host, 63) {
		return "", ""
	}
	return parse.ShortNode(host), rest
}

// collectorFolders are folder names that hold a bundle's servers or are
// made by the collector (or by hand for the same purpose) inside a server
// folder; they are passed over when looking for the server folder.
var collectorFolders = map[string]bool{
	"windows_event_logs": true, "general_server_info": true, "cluster_information": true,
	"exchange_server_data": true, "exchangesetuplogs": true, "ms_logs_collection": true,
	"logs": true, "log": true, "config": true, "webapppools": true, "mailboxdatabase": true,
	"mailboxdatabasecopystatus": true, "exchange_dag_temp": true, "setuplogs": true,
	"setup": true, "evtx": true, "evt": true, "eventlogs": true, "event_logs": true,
	"events": true, "clusterlogs": true, "cluster": true, "registry": true, "reg": true,
	"data": true, "bundle": true, "bundles": true, "collection": true, "collected": true,
	"export": true, "exports": true, "temp": true, "tmp": true, "files": true,
	"servers": true, "nodes": true, "output": true, "upload": true, "uploads": true,
	"case": true, "customer": true, "exchange": true, "exchangelogs": true,
	"exchange_logs": true, "logfiles": true, "windows": true, "system32": true, "winevt": true,
	"eventlog": true, "cluster_logs": true, "clusterlog": true, "diag": true,
	"diagnostics": true, "support": true, "evidence": true, "artifacts": true,
	"triage": true, "archive": true, "backup": true, "old": true, "new": true,
	"copy": true, "misc": true, "other": true, "all": true, "dump": true, "dumps": true,
	"report": true, "reports": true, "results": true, "incoming": true, "logcollector": true,
	"exsetup": true, "setup_logs": true, "exchangesetup": true, "install": true,
}

// serverFolder finds <SERVER> in <root>/[date or collector folders/]<SERVER>/...:
// archives and known folders are passed over, and the first other folder
// decides. It must look like a NetBIOS computer name (at most 15 letters,
// digits and hyphens, with a letter), which is what $env:COMPUTERNAME gives.
func serverFolder(dirs []string) string {
	for _, d := range dirs {
		if a, ok := strings.CutSuffix(d, "!"); ok {
			// A per-server archive inside the bundle (EXCH1.zip in a case
			// zip) names its server; the bundle's own archive is not in
			// the path, and a wrapper folder has no archive extension.
			// Archive names are often a case's or a customer's, so only
			// one with a digit, as server names nearly always have, counts.
			if stem := archiveStem(a); stem != "" && serverWord(stem) {
				return parse.ShortNode(stem)
			}
			continue
		}
		if dateFolder(d) || collectorFolders[strings.ToLower(d)] {
			continue
		}
		h, generic := hostOfFolder(d)
		if generic {
			continue
		}
		return h
	}
	return ""
}

// folderSuffixes are words people append to a server's name when they
// name its folder: MBX1-Logs, EXCH2_eventlogs.
var folderSuffixes = []string{"logs", "log", "eventlogs", "events", "evtx", "setuplogs", "setup", "files", "data", "collection", "export"}

// hostOfFolder reads a server name from a folder name: a NetBIOS name, the
// first label of a fully qualified name (exch1.contoso.com), or a name with
// a digit followed by a word such as "-logs" (MBX1-Logs). A "<word>-logs"
// folder without a digit is generic, like the collector's own folders: the
// server may be named below it. Anything else names no server.
func hostOfFolder(d string) (host string, generic bool) {
	for _, suf := range folderSuffixes {
		for _, sep := range []string{"-", "_", " "} {
			if base, ok := cutSuffixFold(d, sep+suf); ok {
				if serverWord(base) {
					return parse.ShortNode(base), false
				}
				return "", true
			}
		}
	}
	if hostName(d, 15) {
		if collectorFolders[strings.ToLower(d)] {
			return "", true
		}
		return parse.ShortNode(d), false
	}
	if labels := strings.Split(d, "."); len(labels) >= 3 && hostName(labels[0], 15) {
		for _, l := range labels[1:] {
			if !hostName(l, 63) {
				return "", false
			}
		}
		if last := labels[len(labels)-1]; allDigits(last) {
			return "", false // an IP address or a version, not a domain
		}
		return parse.ShortNode(labels[0]), false
	}
	return "", false
}

// archiveStem returns the name of an archive without its extension, or
// "" when c does not end in an archive extension.
func archiveStem(c string) string {
	lc := strings.ToLower(c)
	for _, ext := range []string{".tar.gz", ".zip", ".tgz", ".tar", ".gz"} {
		if strings.HasSuffix(lc, ext) && len(c) > len(ext) {
			return c[:len(c)-len(ext)]
		}
	}
	return ""
}

// serverWord reports whether what is left of "<name>-logs" looks like a
// server's name: host-like, not a generic word, and with a digit, as
// server names nearly always have ("My Collection" is no server).
func serverWord(s string) bool {
	return hostName(s, 15) && !collectorFolders[strings.ToLower(s)] && strings.ContainsAny(s, "0123456789")
}

func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) > len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s[:len(s)-len(suffix)], true
	}
	return "", false
}

// dateFolder reports a folder named by a date, such as the collector's
// yyyyMd (2024321) or a hand-made 2024-03-21.
func dateFolder(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '-' || c == '_' || c == '.':
		default:
			return false
		}
	}
	return digits >= 4
}

// hostName reports whether s can be a computer name: letters, digits and
// inner hyphens, at most max characters, with at least one letter.
func hostName(s string, max int) bool {
	if s == "" || len(s) > max || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isASCIILetter(c):
			letter = true
		case c >= '0' && c <= '9', c == '-':
		default:
			return false
		}
	}
	return letter
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
