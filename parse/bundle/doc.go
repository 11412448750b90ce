// Package bundle reads support bundles collected from Exchange servers and
// drives the format parsers over them.
//
// A bundle is a directory, a .zip (usually holding per-server zips that
// hold more zips), a .tar, .tar.gz or .tgz, or a single file. Archives are
// recognised by content (zip local header, gzip magic, a valid tar header
// block), wherever they sit, and read as streams: nothing is extracted,
// nothing in the bundle is written or created, and files are opened
// read-only (on Linux without updating access times, when the caller owns
// them). Files inside archives get paths such as
// outer.zip!/inner.zip!/dir/file.log.
//
// A zip needs random access to its central directory. A stored zip inside
// a zip is read in place through a section of the outer one; a deflated
// one, or any archive inside a tar or gzip stream, is read into memory, in
// 1 MiB pieces as its bytes arrive, within Options.MaxNestedBytes for all
// such archives at once; one larger than that is read up to it and its
// entries found there are recovered. A zip whose central directory is
// lost (a cut upload) is recovered from its local headers as far as they
// go.
//
// Defences: entry names with '..' components, absolute paths or drive
// letters are refused (backslash separators, which Windows tools write,
// are accepted); symbolic links out of a bundle directory are refused, and
// those within it are skipped because their targets are read under their
// own names; links in archives are never followed; zip entries whose data
// overlaps an earlier entry's are refused. Sizes that archives declare are
// never trusted: archive bombs are stopped by bounds on the bytes actually
// decompressed, per entry (Options.MaxEntryBytes), per archive file of the
// bundle (Options.MaxRatio times its size on disk) and for the whole
// bundle (Options.MaxTotalBytes), by a per-entry compression ratio bound,
// a nesting bound and an entry count bound. What passes a bound is read up
// to it and then skipped; every refusal is reported, never silent. A read
// that breaks off (bad CRC, cut archive) keeps what came before it and is
// reported as "damaged at byte N: reason". Each bound has a default and an
// EXLOG_* environment variable; see Options.
//
// # Node attribution
//
// Each file is attributed to a server (parse.ShortNode form) from its
// bundle path, for use when its content does not say; see NodeOf. The
// first rule that matches wins:
//
//  1. A file named <SERVER>_cluster.log: Get-ClusterLog names each node's
//     log after that node, so this outranks the folder the log is in.
//  2. An ExchangeLogCollector server archive, <SERVER>-<M><d>[-n].zip
//     (EXCH1-321.zip, EXCH1-1225-2.zip), or the folder Windows makes when
//     extracting one (EXCH1-321/). The innermost such component wins.
//     <M><d> is a month and day without leading zeros.
//  3. A collector file name <SERVER>_<stem>[.ext], where stem is one the
//     collector writes after $env:COMPUTERNAME: Exchange_Registry_Hive,
//     Cluster_Hive, GetClusterNode, msinfo, HealthReport, GCM and so on.
//     Names the collector prefixes with a DAG or database name instead are
//     not used.
//  4. A server folder: the first folder of the path that is neither an
//     archive, nor a date folder (2024321, 2024-03-21), nor a known
//     collector or grouping folder (Windows_Event_Logs,
//     General_Server_Info, Cluster_Information, Exchange_Server_Data,
//     ExchangeSetupLogs, MS_Logs_Collection, Logs, setuplogs, evtx...).
//     It counts only when it looks like a computer name (at most 15
//     letters, digits and hyphens, with a letter); otherwise the file has
//     no node.
//
// # Parsing
//
// Parse walks the bundles and parses files on several workers. Each file
// is offered to the parsers in order; the first whose Sniff accepts its
// first parse.SniffSize bytes parses it. Events get the file's node and
// path when the parser left them empty. A parser panic, an unreadable
// file or a refused entry costs only that file; its parse.Report says
// what happened.
package bundle
