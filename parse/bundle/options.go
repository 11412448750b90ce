package bundle

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/exlog/exlog/parse"
)

// Options bound what one bundle may cost in time, memory and nesting. A
// zero or negative field takes its value from the environment variable
// named on it when that is set (see FromEnv), else the default documented
// on it. What passes a bound is read up to the bound and then skipped,
// with a report naming the entry and the bound.
type Options struct {
	// Workers is how many files are parsed at once (default
	// runtime.GOMAXPROCS(0); EXLOG_WORKERS).
	Workers int

	// MaxEntryBytes bounds the bytes one compressed entry may decompress
	// to (default 4 GiB; EXLOG_MAX_ENTRY_BYTES). Entries stored
	// uncompressed, and plain files, are not bound: they exist on disk.
	MaxEntryBytes int64

	// MaxTotalBytes bounds the bytes that all decompressors together may
	// produce while the bundle is read (default 256 GiB;
	// EXLOG_MAX_TOTAL_BYTES). Bytes stored uncompressed are not counted.
	MaxTotalBytes int64

	// MaxRatio bounds compression ratios, measured on the bytes actually
	// read, never on sizes an archive declares (default 200, for 200:1;
	// EXLOG_MAX_RATIO). It applies to each entry once RatioMinBytes have
	// come out of it, and to each archive file of the bundle as a whole:
	// everything decompressed out of it, at any depth and on every read,
	// may come to MaxRatio times its size on disk (and at least
	// RatioMinBytes). The second bound is what stops nests of small
	// bombs (42.zip), each of which stays below the first. Text logs
	// compress about 10:1, highly repetitive ones rarely past 100:1;
	// deflate cannot pass about 1030:1, which only runs of one byte reach.
	MaxRatio int64

	// RatioMinBytes is how much an entry must have produced before
	// MaxRatio applies to it, and the least every archive file may
	// decompress to (default 64 MiB; EXLOG_RATIO_MIN_BYTES), so that
	// small, very repetitive logs are not mistaken for bombs.
	RatioMinBytes int64

	// MaxNestedBytes bounds the memory held by archives that have to be
	// read into memory because a zip needs random access and its bytes
	// only exist as a stream: a deflated zip inside a zip, or any archive
	// inside a tar or gzip stream (default 1 GiB; EXLOG_MAX_NESTED_BYTES).
	// It covers every such archive open at once, at all depths. Memory is
	// taken as bytes arrive, never reserved from a declared size.
	MaxNestedBytes int64

	// MaxDepth bounds how many archives may enclose a file (default 8;
	// EXLOG_MAX_DEPTH).
	MaxDepth int

	// MaxEntries bounds how many files and archive entries one Walk or
	// Parse visits (default 1,000,000; EXLOG_MAX_ENTRIES). Each archive
	// or directory whose entries are cut off by it gets one report.
	MaxEntries int64

	// MaxBufferedBytes bounds the memory Parse spends to hand entries of a
	// compressed tar stream to parallel workers (default 256 MiB;
	// EXLOG_MAX_BUFFERED_BYTES). Entries larger than half of it are
	// parsed as they stream past instead.
	MaxBufferedBytes int64
}

// The defaults of Options.
const (
	DefaultMaxEntryBytes    int64 = 4 << 30
	DefaultMaxTotalBytes    int64 = 256 << 30
	DefaultMaxRatio         int64 = 200
	DefaultRatioMinBytes    int64 = 64 << 20
	DefaultMaxNestedBytes   int64 = 1 << 30
	DefaultMaxDepth               = 8
	DefaultMaxEntries       int64 = 1_000_000
	DefaultMaxBufferedBytes int64 = 256 << 20
)

// Environment variables that set the Options fields left at zero.
const (
	EnvWorkers          = "EXLOG_WORKERS"
	EnvMaxEntryBytes    = "EXLOG_MAX_ENTRY_BYTES"
	EnvMaxTotalBytes    = "EXLOG_MAX_TOTAL_BYTES"
	EnvMaxRatio         = "EXLOG_MAX_RATIO"
	EnvRatioMinBytes    = "EXLOG_RATIO_MIN_BYTES"
	EnvMaxNestedBytes   = "EXLOG_MAX_NESTED_BYTES"
	EnvMaxDepth         = "EXLOG_MAX_DEPTH"
	EnvMaxEntries       = "EXLOG_MAX_ENTRIES"
	EnvMaxBufferedBytes = "EXLOG_MAX_BUFFERED_BYTES"
)

// lookupEnv is os.LookupEnv; tests replace it.
var lookupEnv = os.LookupEnv

// FromEnv fills the fields of o that are zero from the EXLOG_* variables
// (this is the one place exlog reads them) and returns the result with
// one error per variable that is set but unreadable; such a variable is
// ignored. Sizes are whole numbers of bytes, optionally with a KiB, MiB,
// GiB or TiB suffix (K, M, G, T and KB, MB, GB, TB mean the same).
func (o Options) FromEnv() (Options, []error) {
	var errs []error
	get := func(name string, f func(int64), isSize bool) {
		s, ok := lookupEnv(name)
		if !ok || strings.TrimSpace(s) == "" {
			return
		}
		v, err := ParseSize(s)
		if err == nil && !isSize && strings.IndexFunc(strings.TrimSpace(s), func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			err = fmt.Errorf("not a whole number")
		}
		if err != nil || v <= 0 {
			if err == nil {
				err = fmt.Errorf("must be above zero")
			}
			errs = append(errs, fmt.Errorf("%s=%q ignored: %v", name, s, err))
			return
		}
		f(v)
	}
	set64 := func(p *int64) func(int64) {
		return func(v int64) {
			if *p <= 0 {
				*p = v
			}
		}
	}
	setInt := func(p *int) func(int64) {
		return func(v int64) {
			if *p <= 0 {
				*p = int(min(v, 1<<30))
			}
		}
	}
	get(EnvWorkers, setInt(&o.Workers), false)
	get(EnvMaxEntryBytes, set64(&o.MaxEntryBytes), true)
	get(EnvMaxTotalBytes, set64(&o.MaxTotalBytes), true)
	get(EnvMaxRatio, set64(&o.MaxRatio), false)
	get(EnvRatioMinBytes, set64(&o.RatioMinBytes), true)
	get(EnvMaxNestedBytes, set64(&o.MaxNestedBytes), true)
	get(EnvMaxDepth, setInt(&o.MaxDepth), false)
	get(EnvMaxEntries, set64(&o.MaxEntries), false)
	get(EnvMaxBufferedBytes, set64(&o.MaxBufferedBytes), true)
	return o, errs
}

// ParseSize reads a byte count such as 4294967296, 512MiB, 4G or 1.5GiB;
// see parse.ParseSize.
func ParseSize(s string) (int64, error) { return parse.ParseSize(s) }

func (o Options) withDefaults() Options {
	o, _ = o.FromEnv()
	orDefault(&o.Workers, runtime.GOMAXPROCS(0))
	orDefault(&o.MaxEntryBytes, DefaultMaxEntryBytes)
	orDefault(&o.MaxTotalBytes, DefaultMaxTotalBytes)
	orDefault(&o.MaxRatio, DefaultMaxRatio)
	orDefault(&o.RatioMinBytes, DefaultRatioMinBytes)
	orDefault(&o.MaxNestedBytes, DefaultMaxNestedBytes)
	orDefault(&o.MaxDepth, DefaultMaxDepth)
	orDefault(&o.MaxEntries, DefaultMaxEntries)
	orDefault(&o.MaxBufferedBytes, DefaultMaxBufferedBytes)
	return o
}

// orDefault puts def in a limit left at zero or below (unset).
func orDefault[T int | int64](limit *T, def T) {
	if *limit <= 0 {
		*limit = def
	}
}
