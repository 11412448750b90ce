package bundle

import "runtime"

// Options bound what one bundle may cost in time, memory and nesting. The
// zero value means the defaults documented on each field; a zero or
// negative field also means its default.
type Options struct {
	// Workers is how many files are parsed at once (default
	// runtime.GOMAXPROCS(0)).
	Workers int

	// MaxTotalBytes bounds the bytes that all decompressors together may
	// produce while the bundle is read (default 256 GiB). Bytes stored
	// uncompressed are not counted: they already exist on disk.
	MaxTotalBytes int64

	// MaxRatio bounds one entry's compression ratio, measured on the bytes
	// actually read, not on the sizes an archive declares (default 1000,
	// for 1000:1).
	MaxRatio int64

	// RatioMinBytes is how much an entry must have produced before
	// MaxRatio applies (default 64 MiB), so that small, very repetitive
	// logs are not mistaken for bombs.
	RatioMinBytes int64

	// MaxNestedBytes bounds an archive that has to be read into memory
	// because a zip needs random access and its bytes only exist as a
	// stream: a deflated zip inside a zip, or any archive inside a tar or
	// gzip stream (default 1 GiB).
	MaxNestedBytes int64

	// MaxDepth bounds how many archives may enclose a file (default 8).
	MaxDepth int

	// MaxBufferedBytes bounds the memory Parse spends to hand entries of a
	// compressed tar stream to parallel workers (default 256 MiB). Entries
	// larger than half of it are parsed as they stream past instead.
	MaxBufferedBytes int64
}

// The defaults of Options.
const (
	DefaultMaxTotalBytes    int64 = 256 << 30
	DefaultMaxRatio         int64 = 1000
	DefaultRatioMinBytes    int64 = 64 << 20
	DefaultMaxNestedBytes   int64 = 1 << 30
	DefaultMaxDepth               = 8
	DefaultMaxBufferedBytes int64 = 256 << 20
)

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.MaxTotalBytes <= 0 {
		o.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if o.MaxRatio <= 0 {
		o.MaxRatio = DefaultMaxRatio
	}
	if o.RatioMinBytes <= 0 {
		o.RatioMinBytes = DefaultRatioMinBytes
	}
	if o.MaxNestedBytes <= 0 {
		o.MaxNestedBytes = DefaultMaxNestedBytes
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxBufferedBytes <= 0 {
		o.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	return o
}
