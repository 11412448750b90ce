package bundle

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/exlog/exlog/parse"
)

// gzip opens a gzip stream: a .tar.gz, whose entries then appear directly
// under it (x.tar.gz!/dir/file), or one compressed file (x.log.gz!/x.log),
// which may itself be an archive.
func (w *walker) gzip(b *blob, visit func(*item) error) error {
	if deep, err := w.tooDeep(b, "gzip", visit); deep {
		return err
	}
	if b.live != nil {
		mb, done, err := w.inMemory(b, "gzip")
		if err != nil {
			return w.fail(b, "gzip", "cannot read the archive", err, visit)
		}
		defer done()
		b = mb
	}
	outer := b
	open := func() (io.ReadCloser, error) {
		rc, _, err := w.gunzip(outer)
		return rc, err
	}
	rc, hdr, err := w.gunzip(b)
	if err != nil {
		return w.fail(b, "gzip", "not a readable gzip stream", err, visit)
	}
	head := make([]byte, headSize)
	n, err := io.ReadFull(rc, head)
	rc.Close()
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return w.fail(b, "gzip", "cannot decompress", err, visit)
	}
	inner := &blob{size: -1, depth: b.depth + 1, mod: b.mod, open: open, allow: b.allow}
	if !hdr.ModTime.IsZero() && hdr.ModTime.Unix() > 0 {
		inner.mod = hdr.ModTime
	}
	if tarHeader(head[:n]) {
		inner.path, inner.node, inner.depth, inner.bare, inner.cut = b.path, b.node, b.depth, b.bare, b.cut
		return w.tarStream(inner, visit)
	}
	name := memberName(hdr.Name, b.path)
	inner.path, inner.node = b.child(name), b.node+"!/"+name
	if err := w.blob(inner, visit); err != nil || b.cut == "" {
		return err
	}
	return w.refuse(b, parse.StatusPartial, "gzip", b.cut, visit)
}

// gunzip opens a fresh decompressed stream of b.
func (w *walker) gunzip(b *blob) (io.ReadCloser, gzip.Header, error) {
	rc, err := b.open()
	if err != nil {
		return nil, gzip.Header{}, err
	}
	in := &byteCounter{r: bufio.NewReaderSize(rc, 32<<10)}
	zr, err := gzip.NewReader(in)
	if err != nil {
		rc.Close()
		return nil, gzip.Header{}, err
	}
	r := &inflater{dec: zr, in: in, path: b.path, opt: w.opt, budget: w.budget, file: b.allow}
	return readCloser{r, closers{zr, rc}}, zr.Header, nil
}

// memberName names the file inside a gzip stream: the name stored in
// its header when that is a safe base name, else the archive's own name
// without its compression suffix.
func memberName(stored, archive string) string {
	if c, dir, unsafe := cleanName(decodeName(stored)); c != "" && !dir && unsafe == "" {
		return path.Base(c)
	}
	base := path.Base(strings.TrimSuffix(archive, "!"))
	lower := strings.ToLower(base)
	switch {
	case strings.HasSuffix(lower, ".tgz"):
		return base[:len(base)-4] + ".tar"
	case strings.HasSuffix(lower, ".gzip"):
		return base[:len(base)-5]
	case strings.HasSuffix(lower, ".gz"):
		return base[:len(base)-3]
	}
	return base
}

// tar opens a tar archive: in place when its bytes can be read at any
// offset, else as a stream.
func (w *walker) tar(b *blob, visit func(*item) error) error {
	if deep, err := w.tooDeep(b, "tar", visit); deep {
		return err
	}
	if b.src == nil && b.live != nil {
		mb, done, err := w.inMemory(b, "tar")
		if err != nil {
			return w.fail(b, "tar", "cannot read the archive", err, visit)
		}
		defer done()
		b = mb
	}
	if b.src == nil {
		return w.tarStream(b, visit)
	}
	ra, c, err := b.src.openAt()
	if err != nil {
		return w.fail(b, "tar", "cannot open the archive", err, visit)
	}
	defer c.Close()
	// tar.Reader reads exactly one header block at a time, so after Next
	// the section's offset is where the entry's data starts.
	sr := io.NewSectionReader(ra, 0, b.src.size())
	tr := tar.NewReader(sr)
	return w.tarEntries(b, tr, visit, func(idx int, hdr *tar.Header, child *blob) error {
		if sparse(hdr) {
			child.open = rescan(b.open, idx, hdr.Name, child.path)
		} else {
			off, _ := sr.Seek(0, io.SeekCurrent)
			src := subSource{parent: b.src, off: off, n: hdr.Size}
			cpath := child.path
			child.src = src
			child.open = func() (io.ReadCloser, error) { return openStream(src, cpath) }
		}
		return w.blob(child, visit)
	})
}

// tarStream walks a tar that only exists as a stream (inside gzip or a
// deflated zip entry). Each entry is offered while the stream is at it.
func (w *walker) tarStream(b *blob, visit func(*item) error) error {
	rc, err := b.open()
	if err != nil {
		return w.fail(b, "tar", "cannot open the archive", err, visit)
	}
	defer rc.Close()
	tr := tar.NewReader(ctxReader{w.ctx, rc})
	return w.tarEntries(b, tr, visit, func(idx int, hdr *tar.Header, child *blob) error {
		le := &liveEntry{br: bufio.NewReaderSize(tr, 64<<10), rescan: rescan(b.open, idx, hdr.Name, child.path)}
		child.live, child.open = le, le.rescan
		err := w.blob(child, visit)
		le.expire()
		return err
	})
}

// tarEntries is the loop both tar walks share: it reads the headers in
// order, reports damage and an archive with no usable entry, and hands
// each entry that becomes a blob to use, with its index and header, while
// tr is at the entry's data.
func (w *walker) tarEntries(b *blob, tr *tar.Reader, visit func(*item) error, use func(idx int, hdr *tar.Header, child *blob) error) error {
	seen := dedup{}
	for idx := 0; ; idx++ {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return w.emptyTar(b, seen, visit)
		}
		if err != nil {
			return w.tarDamage(b, idx, err, visit)
		}
		child, stop, err := w.tarEntry(b, hdr, seen, visit)
		if err != nil || stop {
			return err
		}
		if child == nil {
			continue
		}
		if err := use(idx, hdr, child); err != nil {
			return err
		}
	}
}

// rescan opens entry idx of a tar by reading the archive again from its
// start.
func rescan(open func() (io.ReadCloser, error), idx int, name, path string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		rc, err := open()
		if err != nil {
			return nil, err
		}
		tr := tar.NewReader(rc)
		for i := 0; i <= idx; i++ {
			hdr, err := tr.Next()
			if err == nil && i == idx && hdr.Name != name {
				err = errors.New("a different entry is at its place")
			}
			if err != nil {
				rc.Close()
				return nil, fmt.Errorf("%s: cannot find the entry again in its tar: %w", path, err)
			}
		}
		return readCloser{tr, rc}, nil
	}
}

func sparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// tarEntry makes the blob for a tar entry, or visits the reason it is not
// read and returns nil.
// stop says Options.MaxEntries is reached and the archive is not to be
// read further.
func (w *walker) tarEntry(arch *blob, hdr *tar.Header, seen dedup, visit func(*item) error) (child *blob, stop bool, err error) {
	raw := decodeName(hdr.Name)
	clean, dir, unsafe := cleanName(raw)
	child = &blob{mod: hdr.ModTime, size: hdr.Size, depth: arch.depth + 1, allow: arch.allow}
	if unsafe != "" {
		child.path, child.node = seen.path(arch.child(shownName(raw))), arch.node+"!/"+shownName(raw)
		return nil, false, w.refuse(child, parse.StatusRejected, "", unsafe, visit)
	}
	if clean == "" || hdr.Typeflag == tar.TypeDir || (dir && hdr.Size == 0) {
		return nil, false, nil
	}
	// A tar is read as a stream, so its entries cannot be surveyed first:
	// only a top folder named like the archive itself (CASE123.tar.gz
	// holding CASE123/) is known to be a wrapper.
	child.node = arch.node + "!/" + markWrapper(clean, stemWrapper(clean, arch.path))
	child.path = seen.path(arch.child(clean))
	if stop, err := w.countEntry(child, arch.path, visit); stop {
		return nil, true, err
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeCont, tar.TypeGNUSparse:
		return child, false, nil
	case tar.TypeSymlink:
		return nil, false, w.refuse(child, parse.StatusRejected, "", fmt.Sprintf("symbolic link to %q; not followed", shownName(hdr.Linkname)), visit)
	case tar.TypeLink:
		return nil, false, w.refuse(child, parse.StatusRejected, "", fmt.Sprintf("hard link to %q; its data is read under that name only", shownName(hdr.Linkname)), visit)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return nil, false, w.refuse(child, parse.StatusRejected, "", "device or pipe entry; not read", visit)
	}
	return nil, false, w.refuse(child, parse.StatusFailed, "", fmt.Sprintf("tar entry type %q is not read", hdr.Typeflag), visit)
}

// emptyTar reports a tar that held no files, which would otherwise
// leave no trace in the reports.
func (w *walker) emptyTar(b *blob, seen dedup, visit func(*item) error) error {
	switch {
	case b.cut != "":
		return w.refuse(b, parse.StatusPartial, "tar", b.cut, visit)
	case len(seen) > 0:
		return nil
	}
	return w.refuse(b, parse.StatusUnknown, "tar", "empty archive: no files in it", visit)
}

// tarDamage reports a tar that could not be followed to its end.
func (w *walker) tarDamage(b *blob, idx int, err error, visit func(*item) error) error {
	if cerr := w.ctx.Err(); cerr != nil {
		return cerr
	}
	var ee *EntryError
	if errors.As(err, &ee) {
		return w.refuseErr(b, &EntryError{Path: b.path, Status: ee.Status, Format: "tar", Reason: ee.Error()}, visit)
	}
	status := parse.StatusPartial
	if idx == 0 {
		status = parse.StatusFailed
	}
	reason := fmt.Sprintf("archive unreadable after %d entries (%v); the rest is not read", idx, err)
	if b.cut != "" {
		reason = b.cut + "; " + reason
	}
	return w.refuse(b, status, "tar", reason, visit)
}
