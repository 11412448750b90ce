package index

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/exlog/exlog/parse"
)

// A Spool keeps the events of the findings pass on disk, in the index's
// build directory, so that the index pass reads them back instead of
// parsing the bundle a second time: decoding a spooled event costs a
// fraction of parsing it again (EVTX above all), and memory stays flat
// whatever the bundle's size. The file goes with the build directory:
// Close and Abort of the Writer remove it, and so does the clean-up of a
// killed run's leftovers.
//
// A record is its length, the event's NodeFrom (which the index pass
// needs to settle nodes as a re-parse would), then the event's stored
// form (encodeEvent).
type Spool struct {
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer
	buf  []byte
	n    int
	err  error
	done bool
	// removed: the file is closed and gone (remove runs once).
	removed bool
}

// Spool starts a spool inside the Writer's build directory.
func (w *Writer) Spool() (*Spool, error) {
	f, err := os.CreateTemp(w.tmp, "spool-*.tmp")
	if err != nil {
		return nil, destError(w.final, err)
	}
	sp := &Spool{f: f, w: bufio.NewWriterSize(f, 1<<20)}
	w.mu.Lock()
	w.spools = append(w.spools, sp)
	w.mu.Unlock()
	return sp, nil
}

// Add writes one event. It is safe for concurrent use. It never fails
// the pass that feeds it: the findings must not wait on the index's disk.
// A write error (a full disk) stops the spool, and Err reports it, so
// that the index pass parses the bundle again instead.
func (s *Spool) Add(e *parse.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil
	}
	if s.done {
		s.err = errors.New("index: spool: Add after Replay")
		return nil
	}
	rec := encodeEvent(appendString(s.buf[:0], e.NodeFrom), e)
	s.buf = rec
	var n [binary.MaxVarintLen64]byte
	if _, err := s.w.Write(n[:binary.PutUvarint(n[:], uint64(len(rec)))]); err != nil {
		s.fail(err)
		return nil
	}
	if _, err := s.w.Write(rec); err != nil {
		s.fail(err)
		return nil
	}
	s.n++
	return nil
}

// fail stops the spool after a write error and frees its disk space.
func (s *Spool) fail(err error) {
	s.err = fmt.Errorf("index: spool: %w", err)
	s.remove()
}

// Err is the error that stopped the spool, or nil while every event
// added so far can be replayed.
func (s *Spool) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Len is the number of events added.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Replay hands every spooled event, in the order added, to fn, then
// removes the file. It stops at fn's first error or when ctx ends.
func (s *Spool) Replay(ctx context.Context, fn func(*parse.Event) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.remove()
	if s.err != nil {
		return s.err
	}
	s.done = true
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("index: spool: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("index: spool: %w", err)
	}
	r := bufio.NewReaderSize(s.f, 1<<20)
	var rec []byte
	for i := 0; i < s.n; i++ {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		size, err := binary.ReadUvarint(r)
		if err != nil {
			return fmt.Errorf("index: spool: record %d: %w", i, err)
		}
		if size > uint64(len(rec)) {
			rec = make([]byte, size)
		}
		if _, err := io.ReadFull(r, rec[:size]); err != nil {
			return fmt.Errorf("index: spool: record %d: %w", i, err)
		}
		e, err := decodeSpooled(rec[:size])
		if err != nil {
			return fmt.Errorf("index: spool: record %d: %w", i, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// decodeSpooled splits a record into its NodeFrom and the stored event.
func decodeSpooled(rec []byte) (*parse.Event, error) {
	d := &evDecoder{b: rec}
	from := d.str()
	if d.err != nil {
		return nil, d.err
	}
	e, err := decodeEvent(d.b)
	if err != nil {
		return nil, err
	}
	e.NodeFrom = from
	return e, nil
}

func (s *Spool) remove() {
	if s.removed {
		return
	}
	s.removed = true
	s.f.Close()
	os.Remove(s.f.Name())
}

// Discard removes the spool without reading it.
func (s *Spool) Discard() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	s.remove()
}
