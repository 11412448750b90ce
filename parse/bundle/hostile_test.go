package bundle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/bundle/hostile"
	"github.com/exlog/exlog/parse/setuplog"
)

// The hostile-bundle suite: each case is generated (nothing hostile is
// checked in), parsed with the real setup-log parser, and checked for
// what it cost inside this process (bytes allocated, peak heap, bytes
// decompressed: no wall-clock assertions), for the bundle being left as
// it was, and for every event that could be recovered being there.

// cost is what one hostile Parse spent.
type cost struct {
	alloc    uint64 // bytes allocated during the parse
	peakHeap uint64 // highest live heap seen, sampled every millisecond
	inflated int64  // bytes the decompressors produced
}

// hostileParse parses root with the setup-log parser and measures it.
func hostileParse(t *testing.T, root string, opt Options, parsers ...parse.Parser) (*result, cost) {
	t.Helper()
	var w *walker
	testHookWalker = func(x *walker) { w = x }
	defer func() { testHookWalker = nil }()
	before := snapshot(t, filepath.Dir(root)) + contentHash(t, filepath.Dir(root))

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, baseHeap := ms.TotalAlloc, ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
			}
		}
	}()

	var mu sync.Mutex
	res := &result{byPath: map[string]*parse.Report{}, events: map[string][]*parse.Event{}}
	if len(parsers) == 0 {
		parsers = []parse.Parser{setuplog.Parser{}}
	}
	reps, err := Parse(context.Background(), []string{root}, parsers, opt, func(ev *parse.Event) error {
		mu.Lock()
		res.events[ev.File] = append(res.events[ev.File], ev)
		mu.Unlock()
		return nil
	})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	runtime.ReadMemStats(&ms)
	c := cost{alloc: ms.TotalAlloc - base, inflated: w.budget.used.Load()}
	if p := peak.Load(); p > baseHeap {
		c.peakHeap = p - baseHeap
	}
	res.reports = reps
	for _, r := range reps {
		if _, dup := res.byPath[r.Path]; dup {
			t.Errorf("two reports for %s", r.Path)
		}
		res.byPath[r.Path] = r
	}
	if after := snapshot(t, filepath.Dir(root)) + contentHash(t, filepath.Dir(root)); after != before {
		t.Errorf("the bundle changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	t.Logf("%s: allocated %d MiB, peak heap +%d MiB, decompressed %d MiB", filepath.Base(root), c.alloc>>20, c.peakHeap>>20, c.inflated>>20)
	return res, c
}

// contentHash is a SHA-256 of every regular file's bytes under dir.
func contentHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		h.Write([]byte(p))
		h.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeCase writes one generated bundle into its own directory.
func writeCase(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bundle", name)
	writeFile(t, p, data)
	return p
}

// records counts the setup-log record events of a file's events.
func records(evs []*parse.Event) (n int, last string) {
	for _, e := range evs {
		if e.Kind == "" {
			n++
			last = e.Message
		}
	}
	return n, last
}

const logPath = "EXCH1/ExchangeSetupLogs/ExchangeSetup.log"

// A nested zip's declared size neither reserves memory (a 4 KB bundle
// declaring 900 MiB drove RSS to 946 MB) nor, when it is over the
// in-memory bound, costs the entry: the real bytes are what count.
func TestHostileDeclaredSize(t *testing.T) {
	for _, declared := range []uint64{900 << 20, 11 << 30, 1 << 62} {
		t.Run(strconv.FormatUint(declared, 10), func(t *testing.T) {
			root := writeCase(t, "declared.zip", hostile.DeclaredSize(declared, 2000))
			res, c := hostileParse(t, root, Options{})
			r := res.get(t, "EXCH1-321.zip!/"+logPath)
			if n, last := records(res.events[r.Path]); r.Status != parse.StatusOK || n != 2000 || last != "record 2000" {
				t.Errorf("%s, %d records (last %q), %s", r.Status, n, last, r.Error)
			}
			if c.alloc > 64<<20 {
				t.Errorf("allocated %d MiB for a %d-record log", c.alloc>>20, 2000)
			}
		})
	}
}

// A 42.zip-style nest costs a sniff per leaf when no parser takes its
// zeros; when one reads them whole, the archive file stops once it has
// given out MaxRatio times its size.
func TestHostileNest42(t *testing.T) {
	data := hostile.Nest42(3, 8, 256<<20) // 512 leaves, 128 GiB in all
	root := writeCase(t, "nest42.zip", data)
	allowance := max(int64(len(data))*DefaultMaxRatio, DefaultRatioMinBytes)
	for _, greedy := range []bool{false, true} {
		parsers := []parse.Parser{setuplog.Parser{}}
		if greedy {
			parsers = append(parsers, lineParser{"anything", ""})
		}
		res, c := hostileParse(t, root, Options{}, parsers...)
		// Each decompressor may overshoot by one read before it is stopped.
		if c.inflated > allowance+16<<20 || c.peakHeap > 256<<20 {
			t.Errorf("decompressed %d MiB (the archive's allowance is %d MiB), peak heap %d MiB", c.inflated>>20, allowance>>20, c.peakHeap>>20)
		}
		rejected, unknown := 0, 0
		for _, r := range res.reports {
			switch {
			case strings.Contains(r.Error, "(Options.MaxRatio, EXLOG_MAX_RATIO)"):
				rejected++
			case r.Status == parse.StatusUnknown:
				unknown++
			}
		}
		if rejected == 0 || len(res.reports) > 512 || !greedy && unknown+rejected != len(res.reports) {
			t.Errorf("greedy %v: %d reports, %d rejected for the ratio, %d unknown", greedy, len(res.reports), rejected, unknown)
		}
	}
}

// Zip entries that share their data (a "better zip bomb") are refused
// from their central-directory entries alone; the first is read as any
// entry is, within the ratio bound.
func TestHostileOverlap(t *testing.T) {
	root := writeCase(t, "overlap.zip", hostile.Overlap(300, 256<<20))
	// The first entry inflates to a zip-like 256 MiB that has to be held
	// in memory to be opened: it is held up to MaxNestedBytes, no more.
	res, c := hostileParse(t, root, Options{MaxNestedBytes: 32 << 20})
	overlapping := 0
	for _, r := range res.reports {
		if r.Status == parse.StatusRejected && strings.Contains(r.Error, `overlaps that of entry "0000.log"`) {
			overlapping++
		}
	}
	if overlapping != 299 {
		t.Errorf("%d entries refused as overlapping, want 299", overlapping)
	}
	if c.inflated > 64<<20 || c.peakHeap > 48<<20 {
		t.Errorf("decompressed %d MiB, peak heap %d MiB", c.inflated>>20, c.peakHeap>>20)
	}
}

// One huge log in a small zip is read up to MaxEntryBytes, its events
// up to there kept, then skipped with a report naming the bound.
func TestHostileBigEntry(t *testing.T) {
	root := writeCase(t, "big.zip", hostile.BigLog(256<<20))
	const budget = 8 << 20
	res, c := hostileParse(t, root, Options{MaxEntryBytes: budget})
	r := res.get(t, logPath)
	line := len("[12/19/2020 06:31:14.0001] [0] Waiting for the service to stop.\r\n")
	n, _ := records(res.events[r.Path])
	// The setup-log parser reads the file twice; the second pass emits.
	// A line cut by the bound is a record when its prefix came through.
	want := budget / line
	if budget%line >= len("[12/19/2020 06:31:14.0001] [0] ") {
		want++
	}
	if r.Status != parse.StatusRejected || !strings.Contains(r.Error, "decompresses to more than 8 MiB, the most one entry may (Options.MaxEntryBytes, EXLOG_MAX_ENTRY_BYTES)") ||
		n != want {
		t.Errorf("%s, %d records (want %d), %q", r.Status, n, want, r.Error)
	}
	if c.inflated > 3*budget+8<<20 {
		t.Errorf("decompressed %d MiB for a %d MiB entry budget", c.inflated>>20, budget>>20)
	}
}

// Entries that would leave the archive are refused, nothing is written
// anywhere (hostileParse compares the directory), the good log is read.
func TestHostileSlip(t *testing.T) {
	log := hostile.SetupLog(50)
	root := writeCase(t, "slip.zip", hostile.Slip(log))
	res, _ := hostileParse(t, root, Options{})
	if n, _ := records(res.events[logPath]); n != 50 {
		t.Errorf("good log: %d records", n)
	}
	refused := 0
	for _, r := range res.reports {
		if r.Status == parse.StatusRejected && (strings.Contains(r.Error, "'..' component") || strings.Contains(r.Error, "absolute path") || strings.Contains(r.Error, "drive letter")) {
			refused++
		}
	}
	if refused != 5 {
		t.Errorf("%d unsafe names refused, want 5", refused)
	}
}

// Symbolic links, hard links and pipes in archives are never followed.
func TestHostileLinks(t *testing.T) {
	log := hostile.SetupLog(50)
	z, tr := hostile.Links(log)
	for name, data := range map[string][]byte{"links.zip": z, "links.tar": tr} {
		root := writeCase(t, name, data)
		res, _ := hostileParse(t, root, Options{})
		if n, _ := records(res.events[logPath]); n != 50 {
			t.Errorf("%s: good log: %d records", name, n)
		}
		r := res.get(t, "EXCH1/passwd")
		if r.Status != parse.StatusRejected || !strings.Contains(r.Error, "symbolic link") || len(res.events["EXCH1/passwd"]) != 0 {
			t.Errorf("%s: link: %s %q", name, r.Status, r.Error)
		}
	}
}

// Nesting deeper than MaxDepth (what a zip quine amounts to) stops there
// with one report; raising the bound reads the log at the bottom.
func TestHostileDeep(t *testing.T) {
	log := hostile.SetupLog(20)
	root := writeCase(t, "deep.zip", hostile.Deep(40, log))
	res, _ := hostileParse(t, root, Options{})
	if len(res.reports) != 1 || res.reports[0].Status != parse.StatusRejected || !strings.Contains(res.reports[0].Error, "more than the 8 allowed (Options.MaxDepth") {
		t.Errorf("reports %+v", res.reports)
	}
	res, _ = hostileParse(t, root, Options{MaxDepth: 40})
	if len(res.reports) != 1 || res.reports[0].Events != 21 {
		t.Errorf("with MaxDepth 40: %+v", res.reports[0])
	}
}

// Entries with impossible or extreme times are read like any other.
func TestHostileTimeBomb(t *testing.T) {
	log := hostile.SetupLog(20)
	z, tgz := hostile.TimeBomb(log)
	for name, data := range map[string][]byte{"times.zip": z, "times.tgz": tgz} {
		root := writeCase(t, name, data)
		res, _ := hostileParse(t, root, Options{})
		if len(res.reports) != 3 {
			t.Errorf("%s: %d reports", name, len(res.reports))
		}
		for _, r := range res.reports {
			if r.Status != parse.StatusOK || r.Events != 21 {
				t.Errorf("%s: %s %s %d %s", name, r.Path, r.Status, r.Events, r.Error)
			}
		}
	}
}

// MaxEntries stops a walk with one report per archive cut off.
func TestHostileManyEntries(t *testing.T) {
	root := writeCase(t, "many.zip", hostile.Many(3000))
	res, _ := hostileParse(t, root, Options{MaxEntries: 1000})
	ok, cut := 0, 0
	for _, r := range res.reports {
		switch {
		case r.Status == parse.StatusOK && r.Events == 4:
			ok++
		case r.Path == "many.zip" && r.Status == parse.StatusPartial && strings.Contains(r.Error, "it lists 3000 entries, more than the 1000 that may still be read (Options.MaxEntries, EXLOG_MAX_ENTRIES)"):
			cut++
		default:
			t.Errorf("%s: %s %q", r.Path, r.Status, r.Error)
		}
	}
	if ok != 1000 || cut != 1 {
		t.Errorf("%d read, %d reports of the cut", ok, cut)
	}
	// In a directory, the entry where the walk stops is reported.
	dir := filepath.Join(t.TempDir(), "bundle")
	for i := range 30 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("s%02d.log", i)), hostile.SetupLog(3))
	}
	res, _ = hostileParse(t, dir, Options{MaxEntries: 20})
	if r := res.get(t, "s20.log"); len(res.reports) != 21 || r.Status != parse.StatusRejected || !strings.Contains(r.Error, "this one and the rest of the bundle directory are not read") {
		t.Errorf("%d reports; s20.log: %s %q", len(res.reports), r.Status, r.Error)
	}
	// An archive whose directory lists more entries than may be read is
	// not loaded whole: its local headers are followed up to the bound.
	res, c := hostileParse(t, root, Options{MaxEntries: 10})
	if len(res.reports) != 11 || c.alloc > 16<<20 {
		t.Errorf("%d reports, %d MiB allocated", len(res.reports), c.alloc>>20)
	}
}

// A stream that fails its CRC keeps every event; one cut short keeps the
// events of every line begun before the cut; both say where.
func TestHostileDamagedStreams(t *testing.T) {
	log := hostile.SetupLog(2000)
	t.Run("crc", func(t *testing.T) {
		root := writeCase(t, "crc.zip", hostile.BadCRC(log))
		res, _ := hostileParse(t, root, Options{})
		r := res.get(t, logPath)
		n, last := records(res.events[r.Path])
		want := "damaged at byte " + strconv.Itoa(len(log)) + ": CRC-32 is"
		if r.Status != parse.StatusPartial || !strings.HasPrefix(r.Error, want) || n != 2000 || last != "record 2000" {
			t.Errorf("%s, %d records (last %q), %q; want partial, 2000, %q", r.Status, n, last, r.Error, want)
		}
	})
	// Damage before the first byte: "failed" with where and why, not
	// "empty file".
	t.Run("cut at once", func(t *testing.T) {
		z, _ := hostile.Cut(log, 0)
		root := writeCase(t, "cut0.zip", z)
		res, _ := hostileParse(t, root, Options{})
		r := res.get(t, logPath)
		if r.Status != parse.StatusFailed || r.Error != "cannot read: damaged at byte 0: the compressed data ends early (truncated?)" {
			t.Errorf("%s %q", r.Status, r.Error)
		}
	})
	z, tgz := hostile.Cut(log, 0.6)
	for name, data := range map[string][]byte{"cut.zip": z, "cut.tgz": tgz} {
		t.Run(name, func(t *testing.T) {
			root := writeCase(t, name, data)
			res, _ := hostileParse(t, root, Options{})
			r := res.get(t, logPath)
			var at int
			if _, rest, ok := strings.Cut(r.Error, "damaged at byte "); ok {
				at, _ = strconv.Atoi(rest[:strings.IndexByte(rest, ':')])
			}
			// Every line begun before the cut is a record.
			// Every line begun before the cut is a record, unless too
			// little of the last one came through to show its prefix.
			begun := bytes.Count(log[:max(at-1, 0)], []byte("\n")) + 1
			n, _ := records(res.events[r.Path])
			if r.Status != parse.StatusPartial || at == 0 || n != begun && n != begun-1 || n < 100 {
				t.Errorf("%s, %d records, %d lines begun before byte %d, %q", r.Status, n, begun, at, r.Error)
			}
		})
	}
}

func TestMain(m *testing.M) {
	// The hostile cases measure defaults; variables from the caller's
	// environment must not change them.
	for _, e := range []string{EnvWorkers, EnvMaxEntryBytes, EnvMaxTotalBytes, EnvMaxRatio, EnvRatioMinBytes, EnvMaxNestedBytes, EnvMaxDepth, EnvMaxEntries, EnvMaxBufferedBytes} {
		os.Unsetenv(e)
	}
	os.Exit(m.Run())
}
