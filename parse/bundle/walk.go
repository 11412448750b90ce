package bundle

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/exlog/exlog/parse"
)

// Walk visits every regular file of the bundle at root as a parse.Input,
// depth first, the entries of each directory and zip sorted by name and
// those of a tar in archive order. Entries that cannot or must not be read
// are visited too, with an Open that returns an *EntryError saying why.
//
// Inputs stay valid after visit returns. Those inside a compressed tar
// stream are cheapest to open during the visit call: afterwards Open has to
// read the stream again from its start up to the entry.
//
// Walk returns an error when root cannot be read at all, when ctx is done,
// or when visit returns one; problems with single entries are visited
// instead.
func Walk(ctx context.Context, root string, opt Options, visit func(*parse.Input) error) error {
	o := opt.withDefaults()
	w := &walker{ctx: ctx, opt: &o, budget: &budget{max: o.MaxTotalBytes}}
	return w.root(root, filepath.Base(root), false, func(it *item) error { return visit(it.in) })
}

// walker carries one bundle's limits and its shared decompression budget.
type walker struct {
	ctx    context.Context
	opt    *Options
	budget *budget
	// held is the memory taken by archives read into memory that are
	// being walked (Options.MaxNestedBytes).
	held int64
	// entries counts what has been visited (Options.MaxEntries); full is
	// set once that is reached.
	entries int64
	full    bool
}

// item is a visited file and, for an entry of a tar stream, the stream
// positioned at it.
type item struct {
	in   *parse.Input
	live *liveEntry
}

// blob is anything of a bundle that may be a file or an archive.
type blob struct {
	// path is the bundle path shown to users; node is the one the layout
	// rules read (without the root-name prefix or a duplicate's suffix).
	path, node string
	mod        time.Time
	size       int64 // -1 when unknown
	depth      int   // how many archives enclose it
	// src gives random access when the bytes exist somewhere as they are
	// (a file, a stored zip entry, a tar member, memory).
	src source
	// open gives a fresh stream of the bytes; always set.
	open func() (io.ReadCloser, error)
	// live is set for an entry of a forward-only tar stream.
	live *liveEntry
	// allow is the decompression allowance of the archive file on disk
	// that holds the blob (Options.MaxRatio).
	allow *budget
	// cut says why only the first part of an archive read into memory
	// is there (too large, or its stream broke off).
	cut string
	// bare is set on a bundle that is itself an archive: its entries are
	// named from the archive's root, so a zipped folder and the folder
	// give the same paths (and so the same document IDs and findings).
	bare bool
}

// child is the bundle path of an entry of archive b.
func (b *blob) child(name string) string {
	if b.bare {
		return name
	}
	return b.path + "!/" + name
}

// root walks one bundle. name is how the bundle's own name appears: the
// first path component for a single file or archive, and for a directory
// a prefix of every path when prefixDir is set (Parse with several roots).
func (w *walker) root(root, name string, prefixDir bool, visit func(*item) error) error {
	fi, err := os.Stat(root)
	if err != nil {
		return err
	}
	resolved, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	if resolved, err = filepath.Abs(resolved); err != nil {
		return err
	}
	if fi.IsDir() {
		prefix := ""
		if prefixDir {
			prefix = name + "/"
		}
		return w.dir(resolved, resolved, "", "", prefix, visit)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file or a directory", root)
	}
	fb := w.fileBlob(resolved, name, rootMark+name, fi)
	fb.bare = !prefixDir
	return w.blob(fb, visit)
}

func (w *walker) fileBlob(full, path, node string, fi fs.FileInfo) *blob {
	src := fileSource{path: full, n: fi.Size()}
	return &blob{path: path, node: node, mod: fi.ModTime(), size: fi.Size(), src: src, allow: fileBudget(w.opt, fi.Size()),
		open: func() (io.ReadCloser, error) { return openStream(src, path) }}
}

// dir walks a bundle directory. Symbolic links are never followed: one
// that resolves inside the bundle names a file or folder that is read
// under its own path anyway (which also rules out loops), and one that
// leads outside is reported.
func (w *walker) dir(realRoot, full, rel, nodePrefix, prefix string, visit func(*item) error) error {
	ents, err := os.ReadDir(full)
	if err != nil {
		shown := rel
		if shown == "" {
			shown = "."
		}
		if err := w.refuse(&blob{path: prefix + shown, node: shown, size: -1}, parse.StatusFailed, "",
			fmt.Sprintf("cannot list the directory (%v); its files are missing from the bundle", err), visit); err != nil {
			return err
		}
	}
	// The single folder at the top of a bundle directory is the bundle's
	// wrapper (CASE123/NODE1/...), never a server.
	wrapper := rel == "" && onlyFolder(ents)
	for _, e := range ents {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		childFull := filepath.Join(full, e.Name())
		childRel := e.Name()
		if rel != "" {
			childRel = rel + "/" + e.Name()
		}
		b := &blob{path: prefix + childRel, node: nodeRel(nodePrefix, childRel, e.Name()), size: -1}
		in := "directory " + prefix + rel
		if rel == "" {
			in = "the bundle directory"
		}
		if stop, err := w.countEntry(b, in, visit); stop {
			return err
		}
		t := e.Type()
		switch {
		case t&fs.ModeSymlink != 0:
			target, err := filepath.EvalSymlinks(childFull)
			if err != nil {
				err = w.refuse(b, parse.StatusRejected, "", fmt.Sprintf("symbolic link that cannot be resolved (%v); not followed", err), visit)
			} else if !inside(realRoot, target) {
				err = w.refuse(b, parse.StatusRejected, "", fmt.Sprintf("symbolic link to %s, outside the bundle; not followed", target), visit)
			}
			if err != nil {
				return err
			}
		case e.IsDir() && isIndexDir(childFull):
			if err := w.refuse(b, parse.StatusRejected, "", "an exlog index (exlog's own output); not read as input", visit); err != nil {
				return err
			}
		case e.IsDir():
			np := nodePrefix
			if wrapper {
				np = e.Name() + wrapMark + "/"
			}
			if err := w.dir(realRoot, childFull, childRel, np, prefix, visit); err != nil {
				return err
			}
		case t.IsRegular():
			fi, err := e.Info()
			if err != nil {
				if err := w.refuse(b, parse.StatusFailed, "", fmt.Sprintf("cannot stat: %v", err), visit); err != nil {
					return err
				}
				continue
			}
			if err := w.blob(w.fileBlob(childFull, b.path, b.node, fi), visit); err != nil {
				return err
			}
		default:
			if err := w.refuse(b, parse.StatusRejected, "", fmt.Sprintf("not a regular file (%v); not read", t), visit); err != nil {
				return err
			}
		}
	}
	return nil
}

// isIndexDir reports whether a folder is an index exlog built.
func isIndexDir(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, parse.IndexMarker))
	return err == nil
}

// onlyFolder reports whether a directory holds one folder and nothing
// else but hidden files and the folders archive tools leave (__MACOSX).
func onlyFolder(ents []fs.DirEntry) bool {
	folders := 0
	for _, e := range ents {
		n := e.Name()
		switch {
		case strings.HasPrefix(n, ".") || n == "__MACOSX" || strings.EqualFold(n, "desktop.ini") || strings.EqualFold(n, "thumbs.db"):
		case e.IsDir():
			folders++
		default:
			return false
		}
	}
	return folders == 1
}

// nodeRel is the layout path of a directory entry: below a wrapper folder,
// the wrapper is kept but marked so that the layout rules pass over it.
func nodeRel(nodePrefix, rel, name string) string {
	if nodePrefix == "" {
		return rel
	}
	// rel is wrapper/sub/.../name; the prefix replaces its first component.
	if i := strings.IndexByte(rel, '/'); i >= 0 {
		return nodePrefix + rel[i+1:]
	}
	return nodePrefix + name
}

func inside(root, target string) bool {
	rel, err := filepath.Rel(root, target)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// countEntry counts one more file or entry against Options.MaxEntries.
// Once that is reached, it reports b as not read, with the rest of the
// archive or directory it is in, and says to stop there.
func (w *walker) countEntry(b *blob, in string, visit func(*item) error) (stop bool, err error) {
	if w.entries < w.opt.MaxEntries {
		w.entries++
		return false, nil
	}
	return true, w.refuse(b, parse.StatusRejected, "", fmt.Sprintf(
		"the bundle has more than %d files and archive entries (%s); this one and the rest of %s are not read",
		w.opt.MaxEntries, knob("MaxEntries", EnvMaxEntries), in), visit)
}

// refuse visits an entry that is not offered for parsing, so that its
// Report says why.
func (w *walker) refuse(b *blob, status, format, reason string, visit func(*item) error) error {
	ee := &EntryError{Path: b.path, Status: status, Format: format, Reason: reason}
	return w.refuseErr(b, ee, visit)
}

func (w *walker) refuseErr(b *blob, ee *EntryError, visit func(*item) error) error {
	in := &parse.Input{Path: b.path, Node: NodeOf(b.node), ModTime: b.mod, Size: b.size,
		Open: func() (io.ReadCloser, error) { return nil, ee }}
	return visit(&item{in: in})
}

// fail visits b with the error that stopped reading it, keeping the
// status of an EntryError (a bomb limit is a rejection, not a failure).
func (w *walker) fail(b *blob, format, what string, err error, visit func(*item) error) error {
	var ee *EntryError
	if errors.As(err, &ee) {
		return w.refuseErr(b, &EntryError{Path: b.path, Status: ee.Status, Format: format, Reason: ee.Error()}, visit)
	}
	if cerr := w.ctx.Err(); cerr != nil {
		return cerr
	}
	return w.refuse(b, parse.StatusFailed, format, fmt.Sprintf("%s: %v", what, err), visit)
}

// Archive kinds, recognised by content.
const (
	kindFile = iota
	kindZip
	kindGzip
	kindTar
)

// headSize covers the ustar magic at offset 257.
const headSize = 512

func archiveKind(head []byte) int {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")),
		bytes.HasPrefix(head, []byte("PK\x07\x08PK\x03\x04")):
		return kindZip
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b, 0x08}):
		return kindGzip
	case tarHeader(head):
		return kindTar
	}
	return kindFile
}

// tarHeader reports a valid tar header block: its checksum must match,
// whether or not it carries the ustar magic (old V7 archives do not).
func tarHeader(h []byte) bool {
	if len(h) < 512 {
		return false
	}
	field := strings.TrimRight(strings.TrimSpace(string(h[148:156])), "\x00 ")
	want, err := strconv.ParseInt(field, 8, 64)
	if err != nil || h[0] == 0 {
		return false
	}
	var sum int64
	for i := 0; i < 512; i++ {
		if i >= 148 && i < 156 {
			sum += ' '
		} else {
			sum += int64(h[i])
		}
	}
	return sum == want
}

// blob decides by content whether b is an archive to descend into or a
// file to visit.
func (w *walker) blob(b *blob, visit func(*item) error) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	head, err := w.head(b)
	if err != nil {
		return w.fail(b, "", "cannot read", err, visit)
	}
	switch archiveKind(head) {
	case kindZip:
		return w.zip(b, visit)
	case kindGzip:
		return w.gzip(b, visit)
	case kindTar:
		return w.tar(b, visit)
	}
	in := &parse.Input{Path: b.path, Node: NodeOf(b.node), ModTime: b.mod, Size: b.size, Open: b.open}
	if b.live != nil {
		in.Open = b.live.open
	}
	return visit(&item{in: in, live: b.live})
}

// head reads the first bytes of b without consuming a live stream.
func (w *walker) head(b *blob) ([]byte, error) {
	if b.live != nil {
		return b.live.peek(headSize)
	}
	buf := make([]byte, headSize)
	if b.src != nil {
		ra, c, err := b.src.openAt()
		if err != nil {
			return nil, err
		}
		defer c.Close()
		n, err := ra.ReadAt(buf[:min(int64(headSize), b.src.size())], 0)
		if err == io.EOF {
			err = nil
		}
		return buf[:n], err
	}
	rc, err := b.open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	n, err := io.ReadFull(rc, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return buf[:n], err
}

// tooDeep refuses to open an archive that would put its entries more
// than MaxDepth archives deep.
func (w *walker) tooDeep(b *blob, format string, visit func(*item) error) (bool, error) {
	if b.depth < w.opt.MaxDepth {
		return false, nil
	}
	return true, w.refuse(b, parse.StatusRejected, format, fmt.Sprintf(
		"archive nested %d deep, more than the %d allowed (Options.MaxDepth); not opened", b.depth+1, w.opt.MaxDepth), visit)
}

// inMemory reads an archive that needs random access but only exists as
// a stream. Every archive held in memory at once, at all depths, shares
// Options.MaxNestedBytes; memory is taken as bytes arrive, never
// reserved from a size the enclosing archive declares. An archive that
// is larger than what is left, or whose stream breaks off, is kept up to
// that point with the reason in the returned blob's cut, so the entries
// before it can still be read. The caller must call done when it has
// walked the archive.
func (w *walker) inMemory(b *blob, format string) (mb *blob, done func(), err error) {
	limit := w.opt.MaxNestedBytes - w.held
	var rc io.ReadCloser
	if b.live != nil {
		rc, err = b.live.open()
	} else {
		rc, err = b.open()
	}
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	buf, n, err := readChunks(ctxReader{w.ctx, rc}, max(limit, 0)+1)
	cut := ""
	var ee *EntryError
	switch {
	case err != nil && w.ctx.Err() != nil:
		return nil, nil, w.ctx.Err()
	case err != nil && n == 0:
		return nil, nil, err
	case errors.As(err, &ee):
		cut = ee.Reason
	case err != nil:
		cut = (&DamageError{Path: b.path, Offset: n, Err: err}).Error()
	case n > limit:
		n = max(limit, 0)
		buf = buf.truncate(n)
		held := ""
		if w.held > 0 {
			held = fmt.Sprintf(", of which the archives around it hold %s", size(w.held))
		}
		cut = fmt.Sprintf("this %s has to be read into memory to be opened, and it is larger than the %s allowed (%s%s); only its first %s are read",
			format, size(w.opt.MaxNestedBytes), knob("MaxNestedBytes", EnvMaxNestedBytes), held, size(n))
	}
	if n == 0 && cut != "" {
		return nil, nil, &EntryError{Path: b.path, Status: parse.StatusRejected, Format: format, Reason: cut + "; not opened"}
	}
	w.held += n
	src := buf
	mb = &blob{path: b.path, node: b.node, mod: b.mod, size: n, depth: b.depth, src: src, allow: b.allow, bare: b.bare, cut: cut,
		open: func() (io.ReadCloser, error) { return openStream(src, b.path) }}
	return mb, func() { w.held -= n }, nil
}

// dedup gives the second and later entries of one archive with the same
// name a "#n" suffix, so every Report and event file name stays unique.
type dedup map[string]int

func (d dedup) path(p string) string {
	d[p]++
	if n := d[p]; n > 1 {
		return p + "#" + strconv.Itoa(n)
	}
	return p
}

// liveEntry is an entry of a forward-only tar stream while the walk is at
// it. The first Open gets the stream itself; later ones, or any after the
// walk has moved on, read the archive again up to the entry.
type liveEntry struct {
	mu      sync.Mutex
	br      *bufio.Reader
	taken   bool
	expired bool
	rescan  func() (io.ReadCloser, error)
}

var errMovedOn = errors.New("the walk has moved past this entry of a tar stream; open it again")

func (l *liveEntry) peek(n int) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, err := l.br.Peek(n)
	if err == io.EOF || err == bufio.ErrBufferFull {
		err = nil
	}
	return b, err
}

func (l *liveEntry) open() (io.ReadCloser, error) {
	l.mu.Lock()
	if l.taken || l.expired {
		l.mu.Unlock()
		return l.rescan()
	}
	l.taken = true
	l.mu.Unlock()
	return readCloser{liveReader{l}, noClose{}}, nil
}

func (l *liveEntry) expire() {
	l.mu.Lock()
	l.expired = true
	l.mu.Unlock()
}

type liveReader struct{ l *liveEntry }

func (r liveReader) Read(p []byte) (int, error) {
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	if r.l.expired {
		return 0, errMovedOn
	}
	return r.l.br.Read(p)
}
