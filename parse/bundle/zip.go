package bundle

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"time"

	"github.com/exlog/exlog/parse"
)

// zent is one zip entry, from the central directory or, for a damaged
// archive, from its local header.
type zent struct {
	name         string
	method       uint16
	flags        uint16
	csize, usize int64
	crc          uint32
	hasCRC       bool
	mod          time.Time
	off          int64 // where the entry's data starts
	offErr       error
	symlink      bool
	cut          bool   // recovered from a scan that ran out inside its data
	overlap      string // the entry whose bytes this one's overlap, if any
}

// zip walks a zip archive. Stored entries are read in place through a
// section of the archive; deflated ones are inflated on every Open.
func (w *walker) zip(b *blob, visit func(*item) error) error {
	if deep, err := w.tooDeep(b, "zip", visit); deep {
		return err
	}
	if b.src == nil {
		mb, done, err := w.inMemory(b, "zip")
		if err != nil {
			return w.fail(b, "zip", "cannot read the archive", err, visit)
		}
		defer done()
		b = mb
	}
	ra, c, err := b.src.openAt()
	if err != nil {
		return w.fail(b, "zip", "cannot open the archive", err, visit)
	}
	defer c.Close()
	var ents []zent
	if count, ok := zipCount(ra, b.src.size()); ok && count > w.opt.MaxEntries-w.entries {
		// archive/zip would hold the whole central directory in memory;
		// one that lists more entries than may still be visited is read
		// from its local headers instead, up to the bound.
		err = fmt.Errorf("it lists %d entries, more than the %d that may still be read (%s)", count, max(w.opt.MaxEntries-w.entries, 0), knob("MaxEntries", EnvMaxEntries))
	} else {
		ents, err = listZip(ra, b.src.size())
	}
	damaged := err != nil
	switch {
	case err != nil:
		var stop string
		ents, stop = w.scanLocal(ra, b.src.size(), b, max(w.opt.MaxEntries-w.entries, 0))
		status := parse.StatusPartial
		if len(ents) == 0 {
			status = parse.StatusFailed
		}
		reason := fmt.Sprintf("central directory unreadable (%v); %d entries recovered from their local headers", err, len(ents))
		if stop != "" {
			reason += "; " + stop
		}
		if b.cut != "" {
			reason = b.cut + "; " + reason
		}
		if err := w.refuse(b, status, "zip", reason, visit); err != nil {
			return err
		}
	case b.cut != "":
		damaged = true
		if err := w.refuse(b, parse.StatusPartial, "zip", b.cut, visit); err != nil {
			return err
		}
	}
	overlaps(ents)
	type named struct {
		zent
		clean, unsafe string
		dir           bool
	}
	list := make([]named, 0, len(ents))
	for _, e := range ents {
		n := named{zent: e}
		n.name = decodeName(e.name)
		n.clean, n.dir, n.unsafe = cleanName(n.name)
		if n.dir && n.unsafe == "" {
			continue
		}
		list = append(list, n)
	}
	if len(list) == 0 && !damaged {
		return w.refuse(b, parse.StatusUnknown, "zip", "empty archive: no files in it", visit)
	}
	sort.SliceStable(list, func(i, j int) bool {
		return sortKey(list[i].clean, list[i].name) < sortKey(list[j].clean, list[j].name)
	})
	cleans := make([]string, len(list))
	for i, e := range list {
		cleans[i] = e.clean
	}
	top := wrapperFolder(cleans, b.path)
	seen := dedup{}
	for _, e := range list {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		child := &blob{mod: e.mod, size: e.usize, depth: b.depth + 1, allow: b.allow}
		if e.unsafe != "" {
			child.path = b.child(shownName(e.name))
			child.node = b.node + "!/" + shownName(e.name)
			if err := w.refuse(child, parse.StatusRejected, "", e.unsafe, visit); err != nil {
				return err
			}
			continue
		}
		child.node = b.node + "!/" + markWrapper(e.clean, top)
		child.path = seen.path(b.child(e.clean))
		if stop, err := w.countEntry(child, b.path, visit); stop {
			return err
		}
		if err := w.zipEntry(b, child, e.zent, visit); err != nil {
			return err
		}
	}
	return nil
}

func sortKey(clean, raw string) string {
	if clean != "" {
		return clean
	}
	return raw
}

func listZip(ra io.ReaderAt, n int64) ([]zent, error) {
	zr, err := zip.NewReader(ra, n)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, err
	}
	ents := make([]zent, 0, len(zr.File))
	for _, f := range zr.File {
		e := zent{name: f.Name, method: f.Method, flags: f.Flags, csize: int64(f.CompressedSize64),
			usize: int64(f.UncompressedSize64), crc: f.CRC32, hasCRC: true, mod: f.Modified,
			symlink: f.Mode()&fs.ModeSymlink != 0}
		e.off, e.offErr = f.DataOffset()
		ents = append(ents, e)
	}
	return ents, nil
}

func (w *walker) zipEntry(arch, child *blob, e zent, visit func(*item) error) error {
	switch {
	case e.overlap != "":
		return w.refuse(child, parse.StatusRejected, "", fmt.Sprintf(
			"its data overlaps that of entry %q; refusing a possible zip bomb (overlapping entries are never written by zip tools)", shownName(e.overlap)), visit)
	case e.offErr != nil:
		return w.refuse(child, parse.StatusFailed, "", fmt.Sprintf("local header unreadable: %v", e.offErr), visit)
	case e.flags&1 != 0:
		return w.refuse(child, parse.StatusFailed, "", "entry is encrypted; exlog cannot read it", visit)
	case e.symlink:
		return w.refuse(child, parse.StatusRejected, "", "symbolic link entry; not followed", visit)
	}
	src := subSource{parent: arch.src, off: e.off, n: e.csize}
	path := child.path
	switch e.method {
	case zip.Store:
		child.src = src
		child.size = e.csize
		child.open = func() (io.ReadCloser, error) {
			rc, err := openStream(src, path)
			switch {
			case err != nil:
				return nil, err
			case e.cut:
				// Without its descriptor, nothing says how much is missing,
				// only that the data ran to the end of the archive.
				cutErr := fmt.Errorf("%s: the archive ends inside this entry (truncated?): %w", path, io.ErrUnexpectedEOF)
				return readCloser{io.MultiReader(rc, errReader{cutErr}), rc}, nil
			case e.hasCRC:
				return readCloser{newCRCReader(rc, e.crc, path), rc}, nil
			}
			return rc, nil
		}
	case zip.Deflate:
		child.open = func() (io.ReadCloser, error) {
			rc, err := openStream(src, path)
			if err != nil {
				return nil, err
			}
			// The inflater reads bytes one at a time from a ByteReader, so
			// the count is what it consumed, not what a buffer read ahead:
			// with 1000:1 data a 32 KiB read-ahead would hide 32 MiB.
			in := &byteCounter{r: bufio.NewReaderSize(rc, 32<<10)}
			fr := flate.NewReader(in)
			var r io.Reader = &inflater{dec: fr, in: in, path: path, opt: w.opt, budget: w.budget, file: arch.allow}
			if e.hasCRC {
				r = newCRCReader(r, e.crc, path)
			}
			return readCloser{r, closers{fr, rc}}, nil
		}
	default:
		return w.refuse(child, parse.StatusFailed, "", fmt.Sprintf("compression method %d (%s) is not supported; not read", e.method, methodName(e.method)), visit)
	}
	return w.blob(child, visit)
}

type closers []io.Closer

func (cs closers) Close() error {
	var first error
	for _, c := range cs {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func methodName(m uint16) string {
	switch m {
	case 9:
		return "Deflate64"
	case 12:
		return "bzip2"
	case 14:
		return "LZMA"
	case 93:
		return "Zstandard"
	case 95:
		return "XZ"
	case 98:
		return "PPMd"
	case 99:
		return "AES encryption"
	}
	return "unknown"
}

// Zip record signatures.
const (
	sigLocal      = 0x04034b50
	sigCentral    = 0x02014b50
	sigEnd        = 0x06054b50
	sigEnd64      = 0x06064b50
	sigDescriptor = 0x08074b50
)

// maxScanEntries bounds the local-header scan of a damaged archive.
const maxScanEntries = 1 << 20

// scanLocal recovers the entries of a zip whose central directory is
// missing or broken (an upload cut short, say) by following the local
// headers from the start. It stops at the first thing it cannot follow
// and says what that was.
func (w *walker) scanLocal(ra io.ReaderAt, n int64, b *blob, limit int64) (ents []zent, stop string) {
	path := b.path
	var off int64
	limit = min(limit, maxScanEntries)
	for off+30 <= n && int64(len(ents)) < limit {
		if w.ctx.Err() != nil {
			return ents, "scan cancelled"
		}
		var h [30]byte
		if _, err := ra.ReadAt(h[:], off); err != nil {
			return ents, fmt.Sprintf("cannot read at offset %d: %v", off, err)
		}
		switch binary.LittleEndian.Uint32(h[0:]) {
		case sigLocal:
		case sigCentral, sigEnd, sigEnd64:
			return ents, ""
		default:
			return ents, fmt.Sprintf("no local header at offset %d; the rest of the archive is not read", off)
		}
		e := zent{
			flags:  binary.LittleEndian.Uint16(h[6:]),
			method: binary.LittleEndian.Uint16(h[8:]),
			mod:    dosTime(binary.LittleEndian.Uint16(h[12:]), binary.LittleEndian.Uint16(h[10:])),
			crc:    binary.LittleEndian.Uint32(h[14:]),
			csize:  int64(binary.LittleEndian.Uint32(h[18:])),
			usize:  int64(binary.LittleEndian.Uint32(h[22:])),
		}
		nameLen, extraLen := int64(binary.LittleEndian.Uint16(h[26:])), int64(binary.LittleEndian.Uint16(h[28:]))
		name := make([]byte, nameLen+extraLen)
		if _, err := ra.ReadAt(name, off+30); err != nil {
			return ents, fmt.Sprintf("archive ends inside the header at offset %d", off)
		}
		e.name = string(name[:nameLen])
		zip64Sizes(&e, name[nameLen:])
		e.off = off + 30 + nameLen + extraLen
		next := e.off + e.csize
		if e.flags&8 == 0 {
			e.hasCRC = true
		} else {
			// Sizes and CRC follow the data. Deflate marks its own end;
			// stored data is found by the descriptor that follows it.
			switch e.method {
			case zip.Deflate:
				clen, err := w.deflateLen(ra, e.off, n, path+"!/"+decodeName(e.name), b.allow)
				if err != nil {
					e.csize = n - e.off
					ents = append(ents, e)
					return ents, fmt.Sprintf("entry %q at offset %d is cut short (%v)", shownName(e.name), off, err)
				}
				e.csize = clen
				next = e.off + clen + readDescriptor(ra, e.off+clen, n, &e)
			case zip.Store:
				clen, dlen, ok := storedLen(ra, e.off, n, &e)
				if !ok {
					e.csize, e.hasCRC, e.cut = n-e.off, false, true
					ents = append(ents, e)
					return ents, fmt.Sprintf("entry %q at offset %d is cut short (no data descriptor after it)", shownName(e.name), off)
				}
				e.csize = clen
				next = e.off + clen + dlen
			default:
				return ents, fmt.Sprintf("entry %q at offset %d gives its size only after its data, which cannot be found without the central directory", shownName(e.name), off)
			}
		}
		ents = append(ents, e)
		if next > n {
			return ents, fmt.Sprintf("the archive ends inside entry %q", shownName(e.name))
		}
		off = next
	}
	if off < n && int64(len(ents)) < limit {
		return ents, fmt.Sprintf("%d bytes left at offset %d do not form a header", n-off, off)
	}
	return ents, ""
}

// storedLen finds the end of stored data whose size is only given after
// it: the first descriptor signature whose size field matches the
// distance from the data's start. It returns the data and descriptor
// lengths.
func storedLen(ra io.ReaderAt, off, n int64, e *zent) (clen, dlen int64, ok bool) {
	const chunk = 64 << 10
	buf := make([]byte, chunk+24)
	for at := off; at < n; at += chunk {
		m, _ := ra.ReadAt(buf, at)
		b := buf[:m]
		for i := 0; i+16 <= len(b); i++ {
			if binary.LittleEndian.Uint32(b[i:]) != sigDescriptor {
				continue
			}
			dist := at + int64(i) - off
			if int64(binary.LittleEndian.Uint32(b[i+8:])) == dist {
				e.crc, e.hasCRC = binary.LittleEndian.Uint32(b[i+4:]), true
				e.usize = int64(binary.LittleEndian.Uint32(b[i+12:]))
				return dist, 16, true
			}
			if i+24 <= len(b) && int64(binary.LittleEndian.Uint64(b[i+8:])) == dist {
				e.crc, e.hasCRC = binary.LittleEndian.Uint32(b[i+4:]), true
				e.usize = int64(binary.LittleEndian.Uint64(b[i+16:]))
				return dist, 24, true
			}
		}
		if m < len(buf) {
			break
		}
	}
	return 0, 0, false
}

// zip64Sizes takes 64-bit sizes from the zip64 extra field when the
// 32-bit ones say to look there.
func zip64Sizes(e *zent, extra []byte) {
	for len(extra) >= 4 {
		id, sz := binary.LittleEndian.Uint16(extra), int(binary.LittleEndian.Uint16(extra[2:]))
		extra = extra[4:]
		if sz > len(extra) {
			return
		}
		if id == 0x0001 {
			f := extra[:sz]
			if e.usize == 0xffffffff && len(f) >= 8 {
				e.usize, f = int64(binary.LittleEndian.Uint64(f)), f[8:]
			}
			if e.csize == 0xffffffff && len(f) >= 8 {
				e.csize = int64(binary.LittleEndian.Uint64(f))
			}
			return
		}
		extra = extra[sz:]
	}
}

// deflateLen finds where a deflate stream ends by inflating it (into the
// budget, like any other read), counting the bytes consumed exactly: the
// inflater is given a ByteReader, so it reads nothing past its end.
func (w *walker) deflateLen(ra io.ReaderAt, off, n int64, path string, allow *budget) (int64, error) {
	bc := &byteCounter{r: bufio.NewReader(io.NewSectionReader(ra, off, n-off))}
	fr := flate.NewReader(bc)
	defer fr.Close()
	f := &inflater{dec: fr, in: bc, path: path, opt: w.opt, budget: w.budget, file: allow}
	buf := make([]byte, 64<<10)
	for {
		_, err := f.Read(buf)
		if err == io.EOF {
			return bc.n, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// byteCounter counts the compressed bytes a decompressor consumes; as a
// ByteReader it keeps flate from reading past the stream's end.
type byteCounter struct {
	r *bufio.Reader
	n int64
}

func (c *byteCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *byteCounter) consumed() int64 { return c.n }

func (c *byteCounter) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// readDescriptor reads the data descriptor after an entry and returns its
// length. Its signature is optional and its sizes are 4 or 8 bytes, so the
// reading that is followed by another record wins.
func readDescriptor(ra io.ReaderAt, at, n int64, e *zent) int64 {
	var d [28]byte
	m, _ := ra.ReadAt(d[:], at)
	b := d[:m]
	skip := int64(0)
	if len(b) >= 4 && binary.LittleEndian.Uint32(b) == sigDescriptor {
		skip = 4
	}
	record := func(i int64) bool {
		if i+4 > int64(len(b)) {
			return at+i >= n
		}
		switch binary.LittleEndian.Uint32(b[i:]) {
		case sigLocal, sigCentral, sigEnd, sigEnd64:
			return true
		}
		return false
	}
	if skip+12 <= int64(len(b)) && record(skip+12) {
		e.crc, e.hasCRC = binary.LittleEndian.Uint32(b[skip:]), true
		e.usize = int64(binary.LittleEndian.Uint32(b[skip+8:]))
		return skip + 12
	}
	if skip+20 <= int64(len(b)) && record(skip+20) {
		e.crc, e.hasCRC = binary.LittleEndian.Uint32(b[skip:]), true
		e.usize = int64(binary.LittleEndian.Uint64(b[skip+12:]))
		return skip + 20
	}
	return skip + 12
}

// dosTime converts an MS-DOS date and time, which carry no zone.
func dosTime(date, t uint16) time.Time {
	return time.Date(int(date>>9)+1980, time.Month(date>>5&0xf), int(date&0x1f),
		int(t>>11), int(t>>5&0x3f), int(t&0x1f)*2, 0, time.UTC)
}

// overlaps marks the entries whose data starts inside an earlier
// entry's. Zip tools never write such
// archives; zip bombs do, to have many entries share one highly
// compressed stream. The first entry at an offset is kept.
func overlaps(ents []zent) {
	idx := make([]int, 0, len(ents))
	for i, e := range ents {
		if e.offErr == nil {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return ents[idx[a]].off < ents[idx[b]].off })
	end, owner := int64(-1), ""
	for _, i := range idx {
		e := &ents[i]
		if e.off < end {
			e.overlap = owner
			continue
		}
		end, owner = e.off+max(e.csize, 0), e.name
	}
}

// zipCount reads the number of entries the end-of-central-directory
// record declares, without reading the directory; ok is false when the
// record cannot be found.
func zipCount(ra io.ReaderAt, n int64) (count int64, ok bool) {
	const eocdLen, maxComment = 22, 65535
	start := max(n-eocdLen-maxComment, 0)
	buf := make([]byte, n-start)
	if _, err := ra.ReadAt(buf, start); err != nil && err != io.EOF {
		return 0, false
	}
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) != sigEnd {
			continue
		}
		count = int64(binary.LittleEndian.Uint16(buf[i+10:]))
		if count != 0xffff {
			return count, true
		}
		// Zip64: the locator just before the record points at the
		// zip64 end record, which holds the 64-bit count.
		if i < 20 || binary.LittleEndian.Uint32(buf[i-20:]) != 0x07064b50 {
			return count, true
		}
		at := int64(binary.LittleEndian.Uint64(buf[i-20+8:]))
		var rec [56]byte
		if at < 0 || at > n-56 {
			return count, true
		}
		if _, err := ra.ReadAt(rec[:], at); err != nil || binary.LittleEndian.Uint32(rec[:]) != sigEnd64 {
			return count, true
		}
		c64 := binary.LittleEndian.Uint64(rec[32:])
		if c64 > 1<<62 {
			c64 = 1 << 62
		}
		return int64(c64), true
	}
	return 0, false
}
