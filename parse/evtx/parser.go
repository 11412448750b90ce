// Package evtx reads Windows XML event logs (.evtx, Vista/2008 and later)
// into normalized events, using github.com/0xrawsec/golang-evtx for the
// binary XML templates and guarding the user against its known faults:
//
//   - its channel iterators panic inside their own goroutines on damaged
//     input, which kills the process: exlog drives chunks and records
//     itself, with recover() around every chunk and every record, and a
//     guarded reader that stops the template-reference cycles on which
//     golang-evtx would recurse until a fatal stack overflow;
//   - it trusts the header's chunk count and refuses truncated files:
//     exlog walks every 64 KiB slot after the 4 KiB header up to the end
//     of the stream;
//   - it loses the provider name of classic sources, drops empty insertion
//     strings, decodes SizeT and most arrays as "Unknown value" and reads
//     BOOLs other than 1 as false: golang-evtx parses the template
//     definitions (once per chunk), exlog decodes the substitution values
//     from the record bytes and renders the element tree itself (see
//     render.go), and marks an event inserts_uncertain where a value could
//     not be read;
//   - it logs through the standard logger: see stdlog.go.
//
// The file is read as a stream (no Seek): the header, then one slot after
// the other, handed to a bounded pool of workers; events come out in file
// order (chunk by chunk, each chunk's records in record order), whatever
// the worker scheduling. A wrapped log therefore starts at the slot that
// happens to come first, not at its oldest record. Records carved from
// unused chunk space come last, flagged recovered=slack, unless they repeat
// a record already read. golang-evtx's process-global carving mode is not
// used: exlog carves on its own, per chunk.
package evtx

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/exlog/exlog/parse"
)

// Parser reads EVTX files. The zero value is ready to use.
type Parser struct {
	// Workers is how many chunks are decoded at once; 0 means GOMAXPROCS.
	Workers int
}

// Name implements parse.Parser.
func (*Parser) Name() string { return parse.SourceEVTX }

var fileMagic = []byte("ElfFile\x00")

// Sniff implements parse.Parser: an EVTX file starts with "ElfFile\0".
func (*Parser) Sniff(head []byte) bool { return bytes.HasPrefix(head, fileMagic) }

// fileHeader is the part of the file header exlog reads.
type fileHeader struct {
	chunkCount int
	flags      uint32
	major      uint16
	minor      uint16
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// Parse implements parse.Parser.
func (p *Parser) Parse(ctx context.Context, in *parse.Input, rep *parse.Report, emit func(*parse.Event) error) error {
	quietLibraryLog()
	rc, err := in.Open()
	if err != nil {
		return err
	}
	defer rc.Close()

	head := make([]byte, headerBlock)
	n, err := io.ReadFull(rc, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return err
	}
	if n < len(fileMagic) || !bytes.Equal(head[:len(fileMagic)], fileMagic) {
		return parse.ErrNotFormat
	}
	if n < 128 {
		rep.AddProblem("file header", "file is only %d bytes long, shorter than the EVTX file header; nothing to read", n)
		rep.Skipped++
		return fmt.Errorf("truncated EVTX file (%d bytes)", n)
	}
	h := fileHeader{
		major:      binary.LittleEndian.Uint16(head[38:]),
		minor:      binary.LittleEndian.Uint16(head[36:]),
		chunkCount: int(binary.LittleEndian.Uint16(head[42:])),
		flags:      binary.LittleEndian.Uint32(head[120:]),
	}
	if n < headerBlock {
		rep.AddProblem("file header", "file ends %d bytes into the 4096-byte header block; it holds no chunks", n)
		rep.Skipped++
		return nil
	}
	return p.chunks(ctx, in, rep, emit, rc, h)
}

// chunks runs the read -> decode -> ordered emit pipeline over the slots.
func (p *Parser) chunks(ctx context.Context, in *parse.Input, rep *parse.Report, emit func(*parse.Event) error, r io.Reader, h fileHeader) error {
	workers := p.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// inFlight bounds memory: a slot is only read once a token is free, and
	// a token is given back when its result has been emitted.
	inFlight := make(chan struct{}, 2*workers+2)
	jobs := make(chan chunkJob)
	results := make(chan chunkResult, 2*workers+2)
	done := make(chan struct{})
	checksum := h.flags&flagNoChecksums == 0

	var readErr error
	var used, slots int
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				res := decodeChunk(j, in, checksum)
				bufPool.Put(j.buf)
				select {
				case results <- res:
				case <-done:
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		off := int64(headerBlock)
		seq := 0
		for slot := 0; ; slot++ {
			select {
			case inFlight <- struct{}{}:
			case <-done:
				return
			}
			if ctx.Err() != nil {
				<-inFlight
				return
			}
			buf := bufPool.Get().(*[]byte)
			n, err := io.ReadFull(r, *buf)
			if n > 0 {
				slots++
			}
			if n > 0 && !allZero((*buf)[:n]) {
				used++
				j := chunkJob{seq: seq, slot: slot, off: off, data: (*buf)[:n], buf: buf}
				seq++
				select {
				case jobs <- j:
				case <-done:
					bufPool.Put(buf)
					return
				}
			} else {
				// An unused (all-zero) slot holds nothing to decode.
				bufPool.Put(buf)
				<-inFlight
			}
			off += int64(n)
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF {
					readErr = err
				}
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	err := p.emitOrdered(ctx, rep, emit, results, inFlight)
	close(done)
	// Drain so that the workers and the reader finish before returning.
	for range results {
	}
	if err != nil {
		return err
	}
	if readErr != nil {
		return readErr
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if h.chunkCount > slots {
		// More chunks than the header counts is common (dirty files) and
		// all are read; fewer slots than it counts means the file is cut.
		rep.AddProblem("file header", "header counts %d chunks but the file has room for only %d; the file is truncated", h.chunkCount, slots)
	}
	return nil
}

// emitOrdered emits chunk results in slot order as they complete, then the
// slack records that do not repeat a record already emitted.
func (p *Parser) emitOrdered(ctx context.Context, rep *parse.Report, emit func(*parse.Event) error, results <-chan chunkResult, inFlight <-chan struct{}) error {
	pending := map[int]chunkResult{}
	next := 0
	var spans []recordSpan
	var slack []*parse.Event
	for res := range results {
		pending[res.seq] = res
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-inFlight
			for _, pr := range r.problems {
				rep.AddProblem(pr.Where, "%s", pr.Reason)
			}
			rep.Skipped += r.skipped
			if r.span.ok {
				spans = append(spans, r.span)
			}
			slack = append(slack, r.slack...)
			for _, ev := range r.events {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := emit(ev); err != nil {
					return err
				}
				rep.Events++
				if ev.Field(parse.KeyRecovered) != "" {
					rep.Recovered++
				}
			}
		}
	}
	for _, ev := range slack {
		dup := false
		for i := range spans {
			if spans[i].covers(ev.Record, ev.Time) {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		if err := emit(ev); err != nil {
			return err
		}
		rep.Events++
		rep.Recovered++
	}
	return nil
}
