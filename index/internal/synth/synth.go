// Package synth generates the events of a large synthetic bundle for
// benchmarks: Exchange cluster nodes with System and Application event
// logs, cluster logs and setup logs over a month, shaped and weighted like
// real ones (service state changes are common, failovers rare).
//
// The output is deterministic for a Config, so a benchmark can compare an
// index and a text export built in different runs. Events come file by
// file, each file in its own order, as a bundle parser emits them; across
// files they are not in time order.
package synth

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"time"

	"github.com/exlog/exlog/parse"
)

// Config sizes a synthetic bundle. Zero fields take the defaults.
type Config struct {
	Events int           // total events (default 1,000,000)
	Nodes  int           // cluster nodes EXCH01.. (default 12)
	Start  time.Time     // default 2024-06-01T00:00:00Z
	Span   time.Duration // default 30 days
	Seed   uint64
}

func (c *Config) defaults() {
	if c.Events <= 0 {
		c.Events = 1_000_000
	}
	if c.Nodes <= 0 {
		c.Nodes = 12
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Span <= 0 {
		c.Span = 30 * 24 * time.Hour
	}
}

// Node returns the name of node i (1-based).
func Node(i int) string { return fmt.Sprintf("EXCH%02d", i) }

// template makes one kind of event; weight is relative within its file.
type template struct {
	weight   int
	provider string
	id       int
	level    string
	text     func(r *rand.Rand, node string) string
}

var services = []string{"Windows Update", "Cluster Service", "Microsoft Exchange Information Store", "Background Intelligent Transfer Service",
	"WinHTTP Web Proxy Auto-Discovery Service", "Microsoft Exchange Replication Service", "Windows Modules Installer", "Application Experience"}
var groups = []string{"EVS1", "EVS2", "EVS3", "EVS4", "Cluster Group", "Available Storage"}
var resources = []string{"Exchange Information Store Instance (%s)", "Network Name (%s)", "IP Address 10.0.4.%d", "Physical Disk R:", "Exchange System Attendant Instance (%s)"}
var dbs = []string{"Mailbox Database 0102", "Mailbox Database 0415", "SG1\\Mailbox Store", "SG2\\Public Folders"}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func resource(r *rand.Rand) string {
	g := pick(r, groups[:4])
	switch f := pick(r, resources); f {
	case "IP Address 10.0.4.%d":
		return fmt.Sprintf(f, 10+r.IntN(200))
	case "Physical Disk R:":
		return f
	default:
		return fmt.Sprintf(f, g)
	}
}

func hex32(r *rand.Rand) string {
	return pick(r, []string{"0x8007139f", "0x80070005", "0x8007138c", "0x80004005", "0x8007045d", "0x80071398"})
}

var system = []template{
	{550, "Service Control Manager", 7036, parse.LevelInfo, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("The %s service entered the %s state.", pick(r, services), pick(r, []string{"running", "stopped"}))
	}},
	{80, "Service Control Manager", 7040, parse.LevelInfo, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("The start type of the %s service was changed from demand start to auto start.", pick(r, services))
	}},
	{15, "Microsoft-Windows-FailoverClustering", 1069, parse.LevelError, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("Cluster resource '%s' in clustered service or application '%s' failed.", resource(r), pick(r, groups[:4]))
	}},
	{10, "Microsoft-Windows-FailoverClustering", 1205, parse.LevelError, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("The Cluster service failed to bring clustered service or application '%s' completely online or offline. One or more resources may be in a failed state.", pick(r, groups[:4]))
	}},
	{10, "Microsoft-Windows-FailoverClustering", 1135, parse.LevelCritical, func(r *rand.Rand, node string) string {
		return fmt.Sprintf("Cluster node '%s' was removed from the active failover cluster membership. The Cluster service on this node may have stopped.", node)
	}},
	{3, "Microsoft-Windows-FailoverClustering", 1177, parse.LevelCritical, func(r *rand.Rand, _ string) string {
		return "The Cluster service is shutting down because quorum was lost. This could be due to the loss of network connectivity between some or all nodes in the cluster."
	}},
	{100, "Microsoft-Windows-DistributedCOM", 10016, parse.LevelWarning, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("The application-specific permission settings do not grant Local Activation permission for the COM Server application with CLSID {%08X-8A1D-4F3B-9E2C-%012X} to the user NT AUTHORITY\\NETWORK SERVICE.", r.Uint32(), r.Uint64()&0xffffffffffff)
	}},
	{60, "EventLog", 6013, parse.LevelInfo, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("The system uptime is %d seconds.", 3600+r.IntN(9_000_000))
	}},
	{20, "NETLOGON", 5719, parse.LevelError, func(r *rand.Rand, _ string) string {
		return "This computer was not able to set up a secure session with a domain controller in domain CONTOSO due to the following: There are currently no logon servers available to service the logon request."
	}},
	{10, "storport", 129, parse.LevelWarning, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("Reset to device, \\Device\\RaidPort%d, was issued.", r.IntN(4))
	}},
}

var application = []template{
	{250, "MSExchange ADAccess", 2080, parse.LevelInfo, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("Process MSEXCHANGEADTOPOLOGYSERVICE.EXE (PID=%d). Exchange Active Directory Provider has discovered the following servers: DC%d.contoso.com CDG 1 7 7 1 0 1 1 7 1.", 1000+r.IntN(9000), 1+r.IntN(4))
	}},
	{80, "MSExchange ADAccess", 2915, parse.LevelWarning, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("Process STORE.EXE (PID=%d). The LDAP call to DC%d.contoso.com took %d seconds, more than the warning threshold.", 1000+r.IntN(9000), 1+r.IntN(4), 10+r.IntN(90))
	}},
	{20, "MSExchangeIS", 9523, parse.LevelError, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("The Microsoft Exchange Information Store database '%s' could not be mounted because of error %s. Check the event log for related events.", pick(r, dbs), hex32(r))
	}},
	{30, "MSExchangeRepl", 2090, parse.LevelWarning, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("The replication of storage group '%s' is suspended. Copy queue length %d, replay queue length %d.", pick(r, dbs), r.IntN(500), r.IntN(500))
	}},
	{20, "MSExchangeRepl", 4113, parse.LevelError, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("Database redundancy health check failed for database '%s'. There are no healthy copies (error %s).", pick(r, dbs), hex32(r))
	}},
	{20, "Application Error", 1000, parse.LevelError, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("Faulting application name: %s, version: 8.3.83.6, faulting module name: ntdll.dll, exception code: 0xc0000005, fault offset: 0x%08x.", pick(r, []string{"store.exe", "MSExchangeRepl.exe", "w3wp.exe"}), r.Uint32())
	}},
	{200, "ESE", 326, parse.LevelInfo, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("Information Store (%d) %s: The database engine attached a database (%d, D:\\DB\\%d.edb). (Time=%d seconds)", 1000+r.IntN(9000), pick(r, dbs), 1+r.IntN(4), r.IntN(99), r.IntN(5))
	}},
	{150, "ESE", 8, parse.LevelInfo, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("Information Store (%d) The database engine (8.03.0083.006) started a new instance (%d).", 1000+r.IntN(9000), r.IntN(8))
	}},
	{10, "MSExchange Common", 4999, parse.LevelError, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("Watson report about to be sent for process id: %d, with parameters: E12, c-RTL-AMD64, 08.03.0083.006, MSExchangeTransport, M.E.Data.Storage, M.E.D.S.StoreSession.Connect, System.NullReferenceException.", 1000+r.IntN(9000))
	}},
}

var clusterLines = []template{
	{300, "", 0, parse.LevelInfo, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("[RCM] rcm::RcmGroup::UpdateStateIfChanged: (%s, %s --> %s)", pick(r, groups), pick(r, []string{"Pending", "Online", "Offline"}), pick(r, []string{"Online", "Pending", "OfflinePending"}))
	}},
	{200, "", 0, parse.LevelInfo, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("[RCM] TransitionToState(%s) %s-->%s.", resource(r), pick(r, []string{"OnlinePending", "Offline"}), pick(r, []string{"Online", "WaitingToComeOnline"}))
	}},
	{150, "", 0, parse.LevelInfo, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("[GUM] Node %d: Processing RequestLock %d:%d", 1+r.IntN(4), 1+r.IntN(4), r.IntN(100000))
	}},
	{150, "", 0, parse.LevelInfo, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("[NM] Received request from client address 10.0.4.%d on interface %d.", 10+r.IntN(200), r.IntN(4))
	}},
	{15, "", 0, parse.LevelError, func(r *rand.Rand, node string) string {
		return fmt.Sprintf("[RCM] Group %s could not be brought online on node %s (error %s).", pick(r, groups[:4]), node, hex32(r))
	}},
	{10, "", 0, parse.LevelError, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("[RES] Network Name <%s>: Unable to update password for computer account on DC%d.contoso.com, status %s.", pick(r, groups[:4]), 1+r.IntN(4), hex32(r))
	}},
	{20, "", 0, parse.LevelWarning, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("[RHS] Resource %s IsAlive has indicated failure.", resource(r))
	}},
}

var setupLines = []template{
	{400, "", 0, parse.LevelInfo, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("[1] Evaluated [Setting:Mailbox role installed] [HasException:False] [Value:\"%v\"] [ParentValue:\"<NULL>\"] [Thread:%d]", r.IntN(2) == 0, r.IntN(40))
	}},
	{300, "", 0, parse.LevelInfo, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("[1] Executing: install-MailboxServer -DomainController 'DC%d.contoso.com' -updatesdir 'C:\\Updates' -Name '%s'", 1+r.IntN(4), pick(r, groups[:4]))
	}},
	{200, "", 0, parse.LevelInfo, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("[2] Processing object \"CN=%s,CN=Servers,CN=Exchange Administrative Group,CN=Administrative Groups,CN=Contoso,CN=Microsoft Exchange\".", pick(r, groups[:4]))
	}},
	{10, "", 0, parse.LevelError, func(r *rand.Rand, _ string) string {
		return fmt.Sprintf("[2] [ERROR] The operation couldn't be performed because object '%s' couldn't be found on 'DC%d.contoso.com'.", pick(r, groups[:4]), 1+r.IntN(4))
	}},
}

type fileShape struct {
	name   string
	source string
	share  int // percent of all events
	tmpls  []template
	binary bool
}

var files = []fileShape{
	{"System.evtx", parse.SourceEVTX, 35, system, true},
	{"Application.evtx", parse.SourceEVTX, 30, application, true},
	{"cluster.log", parse.SourceClusterLog, 25, clusterLines, false},
	{"ExchangeSetupLogs/ExchangeSetup.log", parse.SourceSetupLog, 10, setupLines, false},
}

// Events yields the events of the bundle, file by file.
func Events(c Config) iter.Seq[*parse.Event] {
	c.defaults()
	return func(yield func(*parse.Event) bool) {
		r := rand.New(rand.NewPCG(c.Seed, 0x65786c6f67))
		emitted := 0
		for fi, f := range files {
			total := 0
			for _, t := range f.tmpls {
				total += t.weight
			}
			for n := 1; n <= c.Nodes; n++ {
				node := Node(n)
				count := c.Events * f.share / 100 / c.Nodes
				if fi == len(files)-1 && n == c.Nodes {
					count = c.Events - emitted // the rounding remainder
				}
				emitted += count
				gap := c.Span / time.Duration(max(count, 1))
				t := c.Start.Add(time.Duration(r.Int64N(int64(gap) + 1))).Truncate(time.Millisecond)
				record := uint64(100000 + r.IntN(50000))
				offset := int64(4096)
				run := 1
				for i := 1; i <= count; i++ {
					w := r.IntN(total)
					var tm template
					for _, tm = range f.tmpls {
						if w < tm.weight {
							break
						}
						w -= tm.weight
					}
					e := &parse.Event{
						Time: t, TimeQuality: parse.TimeUTC, Node: node, Source: f.source,
						File: "CASE-BENCH/" + node + "/" + f.name, Provider: tm.provider, EventID: tm.id, Level: tm.level,
						Message: tm.text(r, node),
					}
					if f.binary {
						e.Record, e.Offset = record, offset
						record++
						offset += int64(200 + len(e.Message)*2)
						e.SetField(parse.KeyChannel, f.name[:len(f.name)-len(".evtx")])
					} else {
						e.Line = i
					}
					if f.source == parse.SourceSetupLog {
						e.TimeQuality = parse.TimeLocalKnownOffset
						if i%500 == 0 {
							run++
						}
						e.Run = run
						e.SetField(parse.KeyVersion, "08.03.0083.006")
						e.Message = t.Format("[01/02/2006 15:04:05.0000] ") + e.Message
					}
					if !yield(e) {
						return
					}
					t = t.Add(time.Duration(r.Int64N(2*int64(gap)) + 1)).Truncate(time.Millisecond)
				}
			}
		}
	}
}
