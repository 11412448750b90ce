package bundle

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"sync/atomic"

	"github.com/exlog/exlog/parse"
)

// source gives random access to bytes of the bundle. Every open is
// independent, so Inputs stay usable after Walk returns and from several
// goroutines at once.
type source interface {
	openAt() (io.ReaderAt, io.Closer, error)
	size() int64
}

// fileSource is a regular file of a bundle directory (or the bundle file).
type fileSource struct {
	path string
	n    int64
}

func (s fileSource) openAt() (io.ReaderAt, io.Closer, error) {
	f, err := openRead(s.path)
	if err != nil {
		return nil, nil, err
	}
	return f, f, nil
}

func (s fileSource) size() int64 { return s.n }

// memSource is an archive that had to be read into memory, in chunks of
// chunkSize bytes: growing a single buffer would copy it and, for a while,
// hold twice its size.
type memSource struct {
	chunks [][]byte
	n      int64
}

const chunkSize = 1 << 20

// bytesSource is a memSource of b, without a copy.
func bytesSource(b []byte) memSource {
	n := int64(len(b))
	var chunks [][]byte
	for len(b) > 0 {
		k := min(len(b), chunkSize)
		chunks = append(chunks, b[:k:k])
		b = b[k:]
	}
	return memSource{chunks: chunks, n: n}
}

// readChunks reads r up to limit bytes into a memSource. The first chunk
// grows as bytes come, so a small archive takes little more than its size.
func readChunks(r io.Reader, limit int64) (memSource, int64, error) {
	var m memSource
	first, err := io.ReadAll(io.LimitReader(r, min(int64(chunkSize), limit)))
	if len(first) > 0 {
		m.chunks, m.n = append(m.chunks, first[:len(first):len(first)]), int64(len(first))
	}
	if err != nil || m.n < chunkSize {
		return m, m.n, err
	}
	for m.n < limit {
		c := make([]byte, min(int64(chunkSize), limit-m.n))
		k, err := io.ReadFull(r, c)
		if k > 0 {
			m.chunks = append(m.chunks, c[:k:k])
			m.n += int64(k)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return m, m.n, nil
		}
		if err != nil {
			return m, m.n, err
		}
	}
	return m, m.n, nil
}

// truncate keeps the first n bytes.
func (m memSource) truncate(n int64) memSource {
	var out memSource
	for _, c := range m.chunks {
		if out.n >= n {
			break
		}
		k := min(int64(len(c)), n-out.n)
		out.chunks = append(out.chunks, c[:k:k])
		out.n += k
	}
	return out
}

func (m memSource) openAt() (io.ReaderAt, io.Closer, error) { return m, noClose{}, nil }

func (m memSource) size() int64 { return m.n }

// ReadAt reads from the chunks; all but the last are chunkSize long.
func (m memSource) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	total := 0
	for len(p) > 0 {
		if off >= m.n {
			return total, io.EOF
		}
		c := m.chunks[off/chunkSize][off%chunkSize:]
		k := copy(p, c)
		p, off, total = p[k:], off+int64(k), total+k
	}
	return total, nil
}

// subSource is a stretch of another source: a stored zip entry or a tar
// entry, read in place without a copy.
type subSource struct {
	parent source
	off, n int64
}

func (s subSource) openAt() (io.ReaderAt, io.Closer, error) {
	ra, c, err := s.parent.openAt()
	if err != nil {
		return nil, nil, err
	}
	return io.NewSectionReader(ra, s.off, s.n), c, nil
}

func (s subSource) size() int64 { return s.n }

// openStream opens a source as a stream of exactly its declared size; a
// shorter read (a cut archive) ends in io.ErrUnexpectedEOF, not a quiet EOF.
func openStream(src source, path string) (io.ReadCloser, error) {
	ra, c, err := src.openAt()
	if err != nil {
		return nil, err
	}
	n := src.size()
	return readCloser{&exactReader{r: io.NewSectionReader(ra, 0, n), left: n, path: path}, c}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// exactReader reports a stream that ends before its declared size.
type exactReader struct {
	r    io.Reader
	left int64
	path string
}

func (e *exactReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		err = fmt.Errorf("%s: the archive ends %d bytes before this entry does (truncated?): %w", e.path, e.left, io.ErrUnexpectedEOF)
	}
	return n, err
}

// crcReader checks a zip entry's CRC-32 at its end, so damaged stored or
// deflated data is reported rather than parsed as if it were whole.
type crcReader struct {
	r    io.Reader
	h    hash.Hash32
	want uint32
	path string
}

func newCRCReader(r io.Reader, want uint32, path string) *crcReader {
	return &crcReader{r: r, h: crc32.NewIEEE(), want: want, path: path}
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF && c.h.Sum32() != c.want {
		err = fmt.Errorf("%s: CRC-32 is %08x, the archive says %08x: the entry's data is damaged", c.path, c.h.Sum32(), c.want)
	}
	return n, err
}

// budget is an allowance of decompressed bytes: the bundle-wide one
// (Options.MaxTotalBytes) or one archive file's (Options.MaxRatio times
// its size on disk).
type budget struct {
	used atomic.Int64
	max  int64
}

// fileBudget is the allowance of an archive file of size n on disk.
func fileBudget(opt *Options, n int64) *budget {
	allow := opt.RatioMinBytes
	if n > 0 && n <= (1<<62)/opt.MaxRatio {
		allow = max(allow, n*opt.MaxRatio)
	} else if n > 0 {
		allow = 1 << 62
	}
	return &budget{max: allow}
}

// knob names the option and environment variable that raise a bound, for
// the messages that report it.
func knob(field, env string) string { return "Options." + field + ", " + env }

// inflater wraps a decompressor and stops it when the entry, its archive
// file or the bundle has produced too much, or the entry's ratio of
// produced to consumed bytes says bomb. All are measured on bytes
// actually moved; an archive's declared sizes are not trusted. What came
// out before the stop has been delivered: the entry is read up to the
// bound.
type inflater struct {
	dec    io.Reader
	in     interface{ consumed() int64 }
	out    int64
	path   string
	opt    *Options
	budget *budget
	file   *budget // the enclosing archive file's allowance; may be nil
	failed error
}

func (f *inflater) refuse(format string, args ...any) error {
	f.failed = &EntryError{Path: f.path, Status: parse.StatusRejected,
		Reason: fmt.Sprintf(format, args...) + fmt.Sprintf("; the entry was read up to that point (%s), the rest is skipped", size(f.out))}
	return f.failed
}

func (f *inflater) Read(p []byte) (int, error) {
	if f.failed != nil {
		return 0, f.failed
	}
	// Never produce past the per-entry bound, so the bytes delivered are
	// exactly those within it.
	if left := f.opt.MaxEntryBytes - f.out; int64(len(p)) > left {
		if left <= 0 {
			// At the bound: one more byte tells an entry of exactly that
			// size from a longer one.
			var one [1]byte
			if _, err := io.ReadFull(f.dec, one[:]); err == io.EOF {
				return 0, io.EOF
			}
			return 0, f.refuse("decompresses to more than %s, the most one entry may (%s)",
				size(f.opt.MaxEntryBytes), knob("MaxEntryBytes", EnvMaxEntryBytes))
		}
		p = p[:left]
	}
	n, err := f.dec.Read(p)
	f.out += int64(n)
	if f.budget.used.Add(int64(n)) > f.budget.max {
		return n, f.refuse("more than %s decompressed from the bundle in total; refusing a possible archive bomb (%s)",
			size(f.budget.max), knob("MaxTotalBytes", EnvMaxTotalBytes))
	}
	if f.out > f.opt.RatioMinBytes && f.out > f.opt.MaxRatio*f.in.consumed() {
		return n, f.refuse("compression ratio above %d:1 after %s; refusing a possible archive bomb (%s)",
			f.opt.MaxRatio, size(f.opt.RatioMinBytes), knob("MaxRatio", EnvMaxRatio))
	}
	if f.file != nil && f.file.used.Add(int64(n)) > f.file.max {
		return n, f.refuse("more than %s decompressed out of its archive file, %d times its size on disk; refusing a possible archive bomb (%s)",
			size(f.file.max), f.opt.MaxRatio, knob("MaxRatio", EnvMaxRatio))
	}
	return n, err
}

// ctxReader makes a long read stop when the parse is cancelled, even
// inside a parser that does not look at its context.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

type noClose struct{}

func (noClose) Close() error { return nil }
