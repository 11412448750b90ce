package index

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/exlog/exlog/parse"
)

// The events of an index live beside bleve's files, in one file of
// blocks compressed with DEFLATE, and each event's document stores only
// where its event is (block and offset). bleve compresses every stored
// value on its own, which gains little on a short log line, and copies
// stored values again at every segment merge: on the shared corpus the
// stored copies were 43% of the index (20 MB), while consecutive events
// of one log share most of their words and compress together several
// times better. A block is small enough that showing one hit
// decompresses at most 16 KiB (on a 1M-line cluster log, 32 KiB blocks
// made a page of 50 scattered hits cost 7.6 ms of decompression, 16 KiB
// ones read only up to the hit about 2 ms, for an event file 15% larger).
//
// File layout: the blocks, one after the other; then the table of block
// offsets (uvarint deltas); then the table's offset and the magic, 8
// bytes each. A block holds records, each a uvarint length and an
// event's stored form (encodeEvent).
const (
	eventsFile  = "events"
	eventsMagic = "exlogev1"
	blockSize   = 16 << 10
	// flate.BestSpeed: level 1 compresses log text about as well as the
	// default level here at a third of the CPU.
	blockLevel = flate.BestSpeed
	// blockCache is how many decompressed blocks a reader keeps: a page
	// of hits in time order comes from a few blocks of each file.
	blockCache = 64
)

var errBadStore = errors.New("the index's event file is damaged")

// storeWriter appends events to an index's event file. add is safe for
// concurrent use.
type storeWriter struct {
	mu     sync.Mutex
	f      *os.File
	w      *bufio.Writer
	zw     *flate.Writer
	zbuf   bytes.Buffer
	block  []byte
	off    uint64   // bytes written to the file
	starts []uint64 // file offset of each block written
	rec    []byte
	err    error
}

func newStoreWriter(dir string) (*storeWriter, error) {
	f, err := os.Create(filepath.Join(dir, eventsFile))
	if err != nil {
		return nil, err
	}
	zw, _ := flate.NewWriter(nil, blockLevel)
	return &storeWriter{f: f, w: bufio.NewWriterSize(f, 256<<10), zw: zw, block: make([]byte, 0, blockSize+4096)}, nil
}

// add appends e and returns where it is: the pointer a document stores.
func (s *storeWriter) add(e *parse.Event) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	s.rec = encodeEvent(s.rec[:0], e)
	ptr := binary.AppendUvarint(nil, uint64(len(s.starts)))
	ptr = binary.AppendUvarint(ptr, uint64(len(s.block)))
	s.block = binary.AppendUvarint(s.block, uint64(len(s.rec)))
	s.block = append(s.block, s.rec...)
	if len(s.block) >= blockSize {
		s.flushBlock()
	}
	return ptr, s.err
}

func (s *storeWriter) flushBlock() {
	if len(s.block) == 0 || s.err != nil {
		return
	}
	s.zbuf.Reset()
	s.zw.Reset(&s.zbuf)
	s.zw.Write(s.block)
	if err := s.zw.Close(); err != nil {
		s.err = err
		return
	}
	s.starts = append(s.starts, s.off)
	n, err := s.w.Write(s.zbuf.Bytes())
	s.off += uint64(n)
	if err != nil {
		s.err = fmt.Errorf("index: writing events: %w", err)
	}
	s.block = s.block[:0]
}

// close writes the last block and the table, and syncs the file.
func (s *storeWriter) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushBlock()
	if s.err == nil {
		table := make([]byte, 0, 4*len(s.starts)+16)
		table = binary.AppendUvarint(table, uint64(len(s.starts)))
		prev := uint64(0)
		for _, st := range s.starts {
			table = binary.AppendUvarint(table, st-prev)
			prev = st
		}
		table = binary.AppendUvarint(table, s.off) // where the blocks end
		table = binary.BigEndian.AppendUint64(table, s.off)
		table = append(table, eventsMagic...)
		if _, err := s.w.Write(table); err != nil {
			s.err = err
		} else if err := s.w.Flush(); err != nil {
			s.err = err
		} else if err := s.f.Sync(); err != nil {
			s.err = err
		}
		if s.err != nil {
			s.err = fmt.Errorf("index: writing events: %w", s.err)
		}
	}
	if err := s.f.Close(); err != nil && s.err == nil {
		s.err = fmt.Errorf("index: writing events: %w", err)
	}
	return s.err
}

// abort closes the file; the build directory goes with it.
func (s *storeWriter) abort() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f.Close()
}

// storeReader reads an index's event file.
type storeReader struct {
	f      *os.File
	starts []uint64 // one more than the blocks: the last is where they end

	mu    sync.Mutex
	cache map[uint64]cachedBlock
	order []uint64 // blocks in the cache, oldest first
}

func openStore(dir string) (*storeReader, error) {
	f, err := os.Open(filepath.Join(dir, eventsFile))
	if err != nil {
		return nil, err
	}
	r := &storeReader{f: f, cache: map[uint64]cachedBlock{}}
	if err := r.readTable(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return r, nil
}

func (r *storeReader) readTable() error {
	fi, err := r.f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	var tail [16]byte
	if size < 16 {
		return errBadStore
	}
	if _, err := r.f.ReadAt(tail[:], size-16); err != nil {
		return err
	}
	if string(tail[8:]) != eventsMagic {
		return errBadStore
	}
	at := binary.BigEndian.Uint64(tail[:8])
	if at > uint64(size-16) {
		return errBadStore
	}
	table := make([]byte, uint64(size-16)-at)
	if _, err := r.f.ReadAt(table, int64(at)); err != nil {
		return err
	}
	d := &evDecoder{b: table}
	n := d.uvarint()
	if d.err != nil || n > uint64(len(table)) {
		return errBadStore
	}
	r.starts = make([]uint64, 0, n+1)
	prev := uint64(0)
	for range n {
		prev += d.uvarint()
		r.starts = append(r.starts, prev)
	}
	r.starts = append(r.starts, d.uvarint())
	if d.err != nil || r.starts[n] != at {
		return errBadStore
	}
	for i := 1; i < len(r.starts); i++ {
		if r.starts[i] < r.starts[i-1] {
			return errBadStore
		}
	}
	return nil
}

func (r *storeReader) close() error { return r.f.Close() }

// blockAt returns block i decompressed at least up to need bytes (all
// of it for need < 0), from the cache when it holds that much: a hit
// needs only the block's start up to its own record.
func (r *storeReader) blockAt(i uint64, need int) ([]byte, error) {
	r.mu.Lock()
	c, ok := r.cache[i]
	r.mu.Unlock()
	if ok && (c.whole || need >= 0 && len(c.b) >= need) {
		return c.b, nil
	}
	b, whole, err := r.readBlock(i, need)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if _, ok := r.cache[i]; !ok {
		if len(r.order) == blockCache {
			delete(r.cache, r.order[0])
			r.order = r.order[1:]
		}
		r.order = append(r.order, i)
	}
	r.cache[i] = cachedBlock{b, whole}
	r.mu.Unlock()
	return b, nil
}

// cachedBlock is a block's start, or all of it.
type cachedBlock struct {
	b     []byte
	whole bool
}

// inflaters are reused: a new flate reader costs more than inflating a
// short prefix.
var inflaters sync.Pool

// readBlock decompresses block i up to need bytes (or whole when need < 0)
// and says whether it got the whole block.
func (r *storeReader) readBlock(i uint64, need int) ([]byte, bool, error) {
	if i+1 >= uint64(len(r.starts)) {
		return nil, false, errBadStore
	}
	sr := io.NewSectionReader(r.f, int64(r.starts[i]), int64(r.starts[i+1]-r.starts[i]))
	zr, _ := inflaters.Get().(io.ReadCloser)
	if zr == nil {
		zr = flate.NewReader(sr)
	} else if err := zr.(flate.Resetter).Reset(sr, nil); err != nil {
		return nil, false, errBadStore
	}
	defer inflaters.Put(zr)
	b := make([]byte, 0, blockSize+blockSize/2)
	for need < 0 || len(b) < need {
		if len(b) == cap(b) {
			if len(b) > maxBlock {
				return nil, false, errBadStore
			}
			b = append(b, 0)[:len(b)]
		}
		n, err := zr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, true, nil
		}
		if err != nil {
			return nil, false, errBadStore
		}
	}
	return b, false, nil
}

// maxBlock bounds a decompressed block: a block ends after the record
// that reaches blockSize, and a record is one event, whose message and
// values the parsers bound.
const maxBlock = 64 << 20

// event reads the event a document's pointer names.
func (r *storeReader) event(ptr []byte) (*parse.Event, error) {
	d := &evDecoder{b: ptr}
	blk, off := d.uvarint(), d.uvarint()
	if d.err != nil || len(d.b) != 0 {
		return nil, errBadStore
	}
	if off > maxBlock {
		return nil, errBadStore
	}
	// The record's length is a uvarint of at most 10 bytes: read that far
	// first, then to the record's end.
	b, err := r.blockAt(blk, int(off)+binary.MaxVarintLen64)
	if err != nil {
		return nil, err
	}
	if off >= uint64(len(b)) {
		return nil, errBadStore
	}
	n, k := binary.Uvarint(b[off:])
	if k <= 0 || n > maxBlock {
		return nil, errBadStore
	}
	end := int(off) + k + int(n)
	if end > len(b) {
		if b, err = r.blockAt(blk, end); err != nil {
			return nil, err
		}
		if end > len(b) {
			return nil, errBadStore
		}
	}
	return decodeEvent(b[int(off)+k : end])
}

// each calls fn with every event in file order, reading each block once.
func (r *storeReader) each(ctx context.Context, fn func(*parse.Event) error) error {
	for i := uint64(0); i+1 < uint64(len(r.starts)); i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, _, err := r.readBlock(i, -1)
		if err != nil {
			return err
		}
		d := &evDecoder{b: b}
		for len(d.b) > 0 {
			n := d.uvarint()
			if d.err != nil || n > uint64(len(d.b)) {
				return errBadStore
			}
			e, err := decodeEvent(d.b[:n])
			if err != nil {
				return err
			}
			d.b = d.b[n:]
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}
