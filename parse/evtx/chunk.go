package evtx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goevtx "github.com/0xrawsec/golang-evtx/evtx"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/eventlog"
)

// Layout constants of the EVTX format.
const (
	headerBlock     = 4096    // file header block; chunks follow it
	chunkSize       = 0x10000 // every chunk is 64 KiB
	chunkDataStart  = 512     // chunk header + string and template tables
	recordHeader    = 24      // signature, size, record ID, written time
	minRecordSize   = recordHeader + 4 + 4
	flagDirty       = 0x1
	flagNoChecksums = 0x4
)

var (
	chunkMagic  = []byte("ElfChnk\x00")
	recordMagic = []byte{0x2a, 0x2a, 0x00, 0x00}
)

// chunkHeader is the part of a chunk header exlog reads.
type chunkHeader struct {
	firstNum, lastNum uint64 // record numbers in the log
	lastRecOff        int
	freeOff           int
	dataCRC, hdrCRC   uint32
}

func readChunkHeader(d []byte) chunkHeader {
	return chunkHeader{
		firstNum:   binary.LittleEndian.Uint64(d[8:]),
		lastNum:    binary.LittleEndian.Uint64(d[16:]),
		lastRecOff: int(binary.LittleEndian.Uint32(d[44:])),
		freeOff:    int(binary.LittleEndian.Uint32(d[48:])),
		dataCRC:    binary.LittleEndian.Uint32(d[52:]),
		hdrCRC:     binary.LittleEndian.Uint32(d[124:]),
	}
}

// chunkJob is one 64 KiB slot read from the file.
type chunkJob struct {
	seq  int   // position among the jobs, for ordering results
	slot int   // slot number in the file (chunk number)
	off  int64 // file offset of the slot
	data []byte
	buf  *[]byte // pooled buffer behind data, returned after decoding
}

// chunkResult is what a slot decoded into.
type chunkResult struct {
	seq      int
	events   []*parse.Event // records of the record chain, in order
	slack    []*parse.Event // records carved from the unused end of the chunk
	problems []parse.Problem
	skipped  int
	// span of the chain's records, to recognise slack copies of them.
	span recordSpan
}

// recordSpan is the range of record IDs and times a chunk's chain holds.
type recordSpan struct {
	ok                 bool
	firstID, lastID    uint64
	firstTime, endTime time.Time
}

func (s *recordSpan) add(id uint64, t time.Time) {
	if !s.ok {
		*s = recordSpan{ok: true, firstID: id, lastID: id, firstTime: t, endTime: t}
		return
	}
	s.firstID = min(s.firstID, id)
	s.lastID = max(s.lastID, id)
	if t.Before(s.firstTime) {
		s.firstTime = t
	}
	if t.After(s.endTime) {
		s.endTime = t
	}
}

func (s *recordSpan) covers(id uint64, t time.Time) bool {
	return s.ok && id >= s.firstID && id <= s.lastID && !t.Before(s.firstTime) && !t.After(s.endTime)
}

// chunkDecoder decodes the records of one chunk.
type chunkDecoder struct {
	job       chunkJob
	in        *parse.Input
	checksum  bool
	res       chunkResult
	c         goevtx.Chunk
	failed    failRun
	templates map[planKey]*template
	// partial counts records read with values missing or uncertain.
	partial      int
	partialFirst string
}

func (d *chunkDecoder) where() string {
	return fmt.Sprintf("chunk %d (offset 0x%x)", d.job.slot, d.job.off)
}

func (d *chunkDecoder) problem(format string, args ...any) {
	d.res.problems = append(d.res.problems, parse.Problem{Where: d.where(), Reason: fmt.Sprintf(format, args...)})
}

// decodeChunk reads every record it can find in one slot. It never
// panics: a failure of the EVTX library inside one record costs that
// record, a failure outside records costs the rest of the chunk, and both
// are reported.
func decodeChunk(job chunkJob, in *parse.Input, checksum bool) (res chunkResult) {
	d := &chunkDecoder{job: job, in: in, checksum: checksum}
	d.res.seq = job.seq
	defer func() {
		if p := recover(); p != nil {
			rethrowIfOwn(p)
			d.problem("decoder failure outside a record (%v); the rest of the chunk was skipped", p)
			d.res.skipped++
		}
		res = d.res
	}()
	d.run()
	return
}

func (d *chunkDecoder) run() {
	data := d.job.data
	d.c = goevtx.NewChunk()
	d.c.Data = data
	d.c.Offset = d.job.off

	if len(data) < chunkDataStart {
		d.problem("file ends %d bytes into this chunk, before its records start; nothing read", len(data))
		d.res.skipped++
		return
	}
	if !bytes.Equal(data[:8], chunkMagic) {
		// A damaged header does not make the records unreadable: they
		// only need the chunk's own bytes. Carve the whole slot.
		found, n := d.carve(chunkDataStart, len(data), "scan", false)
		d.problem("bad chunk signature %q: %d record(s) found by scanning the chunk, %d decoded (the others need chunk data that is damaged, such as their templates)",
			printable(data[:8]), found, n)
		if found > n {
			d.res.skipped += found - n
		}
		return
	}
	h := readChunkHeader(data)
	end := h.freeOff
	freeOK := end >= chunkDataStart && end <= chunkSize
	if !freeOK {
		d.problem("chunk header gives an impossible free-space offset %d; records read until the chain ends", h.freeOff)
		end = len(data)
	}
	cut := false
	if end > len(data) {
		cut = true
		end = len(data)
	}
	if d.checksum && freeOK && !cut {
		sum := crc32.NewIEEE()
		sum.Write(data[:120])
		sum.Write(data[128:chunkDataStart])
		if sum.Sum32() != h.hdrCRC {
			d.problem("chunk header checksum mismatch; header values may be wrong")
		}
		if crc32.ChecksumIEEE(data[chunkDataStart:end]) != h.dataCRC {
			d.problem("record data checksum mismatch; records were read but some may be damaged")
		}
	}

	defer func() {
		if d.partial > 0 {
			d.problem("%d record(s) read with some values missing or uncertain (flagged inserts_uncertain); the first, %s", d.partial, d.partialFirst)
		}
	}()
	chainEnd := d.walk(chunkDataStart, end, cut)
	if !freeOK {
		end = chainEnd
	}
	if end < len(data) {
		d.slack(end, len(data))
	}
	if !cut && h.lastNum >= h.firstNum && h.lastNum-h.firstNum < chunkSize {
		want := int(h.lastNum - h.firstNum + 1)
		if got := d.countChain(); got < want && len(d.res.problems) == 0 {
			d.problem("chunk header lists %d records, %d were found", want, got)
		}
	}
}

func (d *chunkDecoder) countChain() int {
	n := 0
	for _, e := range d.res.events {
		if e.Field(parse.KeyRecovered) == "" {
			n++
		}
	}
	return n
}

// walk follows the record chain from off to end. Where a record header is
// unreadable it scans forward for the next plausible record (counted as
// recovered). It returns where the chain stopped.
func (d *chunkDecoder) walk(off, end int, cut bool) int {
	data := d.job.data
	how := ""
	for off+recordHeader <= end {
		size, ok := recordAt(data, off, len(data), false)
		if !ok {
			if cut && bytes.Equal(data[off:off+4], recordMagic) {
				d.truncated(off)
				return end
			}
			if allZero(data[off:end]) {
				return off
			}
			d.flushFailures()
			next := findRecord(data, off+1, end)
			if next < 0 {
				d.problem("no readable record in chunk bytes 0x%x-0x%x; skipped", off, end)
				d.res.skipped++
				return end
			}
			d.problem("unreadable record data at chunk bytes 0x%x-0x%x skipped; reading resumed at the next record found", off, next)
			d.res.skipped++
			off = next
			how = "resync"
			continue
		}
		if off+size > end && !cut {
			// A record running past the free-space offset: the header
			// is stale (live or dirty file). Read it anyway.
			end = min(off+size, len(data))
		}
		if ev := d.record(off, size, how, false); ev != nil {
			d.res.events = append(d.res.events, ev)
		}
		off += size
	}
	d.flushFailures()
	return off
}

// truncated handles a record the end of the file cuts: it is decoded from
// the bytes there are, the rest read as zeros, and flagged.
func (d *chunkDecoder) truncated(off int) {
	d.flushFailures()
	data := d.job.data
	size := int(binary.LittleEndian.Uint32(data[off+4:]))
	have := len(data) - off
	if size < minRecordSize || off+size > chunkSize || have < recordHeader+8 {
		d.problem("file ends inside the record at chunk offset 0x%x; it and any later records of the chunk are lost", off)
		d.res.skipped++
		return
	}
	padded := make([]byte, off+size)
	copy(padded, data)
	saved := d.job.data
	d.job.data = padded
	d.c.Data = padded
	ev := d.record(off, size, "truncated", true)
	d.job.data, d.c.Data = saved, saved
	if ev == nil {
		d.problem("file ends inside the record at chunk offset 0x%x (%d of its %d bytes present); it could not be decoded and any later records of the chunk are lost", off, have, size)
		d.res.skipped++
		return
	}
	ev.SetField(parse.KeyInsertsUncertain, "true")
	ev.SetField(parse.KeyInsertsUncertainReason, fmt.Sprintf("the file ends inside this record: %d of its %d bytes are present, values near its end may be missing", have, size))
	d.res.events = append(d.res.events, ev)
	d.problem("file ends inside the record at chunk offset 0x%x (%d of its %d bytes present): it was decoded from what is there and flagged; any later records of the chunk are lost", off, have, size)
	d.res.skipped++
}

// slack carves records from the unused end of a chunk: remains of older
// records that earlier contents of the chunk held.
func (d *chunkDecoder) slack(from, to int) {
	if allZero(d.job.data[from:to]) {
		return
	}
	d.carve(from, to, "slack", true)
}

// carve scans [from, to) for records and decodes every plausible one. It
// returns how many record headers it found and how many it decoded.
func (d *chunkDecoder) carve(from, to int, how string, toSlack bool) (found, decoded int) {
	data := d.job.data
	for off := findRecord(data, from, to); off >= 0; off = findRecord(data, off+1, to) {
		found++
		size, _ := recordAt(data, off, to, true)
		ev := d.record(off, size, how, true)
		if ev == nil {
			continue
		}
		decoded++
		if toSlack {
			d.res.slack = append(d.res.slack, ev)
		} else {
			d.res.events = append(d.res.events, ev)
		}
		off += size - 1
	}
	return found, decoded
}

// recordAt checks the record header at off and returns the record size.
// strict also requires the size copy at the record's end and the binary
// XML fragment token, which is how a record is told from chance bytes when
// scanning.
func recordAt(data []byte, off, limit int, strict bool) (int, bool) {
	if off < 0 || off+minRecordSize > limit || !bytes.Equal(data[off:off+4], recordMagic) {
		return 0, false
	}
	size := int(binary.LittleEndian.Uint32(data[off+4:]))
	if size < minRecordSize || size > chunkSize-chunkDataStart || off+size > limit {
		return 0, false
	}
	if strict {
		if int(binary.LittleEndian.Uint32(data[off+size-4:])) != size || data[off+recordHeader] != 0x0f {
			return 0, false
		}
	}
	return size, true
}

// findRecord returns the offset of the next plausible record in [from, to).
func findRecord(data []byte, from, to int) int {
	for from < to {
		i := bytes.Index(data[from:to], recordMagic)
		if i < 0 {
			return -1
		}
		p := from + i
		if _, ok := recordAt(data, p, to, true); ok {
			return p
		}
		from = p + 1
	}
	return -1
}

// failRun is a run of consecutive chain records that could not be
// decoded, reported as one problem.
type failRun struct {
	n               int
	firstOff        int
	firstID, lastID uint64
	err             error
}

func (d *chunkDecoder) fail(off int, id uint64, err error) {
	d.res.skipped++
	f := &d.failed
	if f.n == 0 {
		*f = failRun{firstOff: off, firstID: id, err: err}
	}
	f.n++
	f.lastID = id
}

func (d *chunkDecoder) flushFailures() {
	f := d.failed
	if f.n == 0 {
		return
	}
	d.failed = failRun{}
	if f.n == 1 {
		d.problem("record at chunk offset 0x%x (record ID %d) could not be decoded: %v; skipped", f.firstOff, f.firstID, f.err)
		return
	}
	d.problem("%d consecutive records from chunk offset 0x%x (record IDs %d-%d) could not be decoded, the first because: %v; skipped",
		f.n, f.firstOff, f.firstID, f.lastID, f.err)
}

// errNoSystem marks a record whose XML has no <System> part.
var errNoSystem = errors.New("record has no System element")

// record decodes one record into an event. carved records must prove
// themselves (their XML record ID must equal the header's); a failure is
// reported for chain records and silently dropped for carved candidates,
// which are often partly overwritten.
func (d *chunkDecoder) record(off, size int, how string, carved bool) *parse.Event {
	rec, err := d.decode(off, size, carved)
	if err == nil && carved {
		// A carved record must prove itself: its XML record ID equals the
		// header's and it names its provider, channel and computer.
		// Partly overwritten remains fail one of these.
		switch {
		case rec.RecordID != binary.LittleEndian.Uint64(d.job.data[off+8:]):
			err = errors.New("record ID in the XML differs from the record header")
		case rec.Provider == "" || rec.Channel == "" || rec.Computer == "":
			err = errors.New("record lacks its provider, channel or computer")
		case rec.Uncertain != "" && how != "truncated":
			err = errors.New("record decoded with errors")
		}
	}
	if err != nil {
		if !carved {
			d.fail(off, binary.LittleEndian.Uint64(d.job.data[off+8:]), err)
		}
		return nil
	}
	if !carved {
		d.flushFailures()
	}
	rec.Recovered = how
	if rec.Uncertain != "" {
		if d.partial == 0 {
			d.partialFirst = fmt.Sprintf("record ID %d: %s", rec.RecordID, rec.Uncertain)
		}
		d.partial++
	}
	ev := eventlog.ToEvent(&rec, d.in, parse.SourceEVTX)
	if how == "" || how == "resync" || how == "truncated" {
		d.res.span.add(rec.RecordID, rec.Time)
	}
	return ev
}

// decode renders one record (see render.go), turning any panic into an
// error.
func (d *chunkDecoder) decode(off, size int, carved bool) (rec eventlog.Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			rethrowIfOwn(p)
			err = fmt.Errorf("EVTX library failure: %v", p)
		}
	}()
	data := d.job.data
	headerID := binary.LittleEndian.Uint64(data[off+8:])
	written := filetime(binary.LittleEndian.Uint64(data[off+16:]))

	// The view ends with the record: names and templates a record uses
	// are defined where they are first used, at or before it, so nothing
	// later in the chunk is needed, and damage cannot pull in what follows.
	view := data[:off+size]
	if d.templates == nil {
		d.templates = map[planKey]*template{}
	}
	r := renderer{data: view, templates: d.templates}
	nodes, err := r.tree(off+recordHeader, 0)
	if err == errNotInstance {
		// Not a template instance (rare: a fragment of plain elements):
		// let golang-evtx parse the whole record.
		nodes, err = d.libraryRecord(&r, view, off)
	}
	if err != nil {
		return rec, err
	}
	// The instance names its template by the first four bytes of the
	// template's GUID (true of every record in the corpus). A mismatch
	// means the template at that offset is not the one the record was
	// written with: always so for old records carved from slack whose
	// template was overwritten.
	if r.mismatch && carved {
		return rec, errors.New("the record's template was overwritten")
	}
	ev := findEvent(nodes)
	if ev == nil || !toRecord(ev, &rec) {
		return rec, errNoSystem
	}
	if rec.RecordID == 0 {
		rec.RecordID = headerID
	}
	if rec.Time.IsZero() {
		rec.Time = written
	}
	rec.Offset = d.job.off + int64(off)
	var why []string
	if r.mismatch {
		why = append(why, "the template the record refers to is not the one it was written with; values may be mislabelled")
	}
	why = append(why, r.uncertain...)
	if r.truncatedNesting {
		why = append(why, "nesting deeper than exlog reads was cut")
	}
	rec.Uncertain = strings.Join(why, "; ")
	return rec, nil
}

// libraryRecord renders a record golang-evtx parses whole.
func (d *chunkDecoder) libraryRecord(r *renderer, view []byte, off int) ([]*xnode, error) {
	rd := newGuardedReader(view)
	if _, err := rd.Reader.Seek(int64(off+recordHeader), io.SeekStart); err != nil {
		return nil, err
	}
	elt, perr := goevtx.Parse(rd, &d.c, false)
	rd.done()
	frag, ok := elt.(*goevtx.Fragment)
	if !ok {
		if perr != nil {
			return nil, perr
		}
		return nil, errors.New("record does not start with a binary XML fragment")
	}
	if perr != nil && perr != io.EOF {
		r.uncertain = append(r.uncertain, "the record decoded with an error ("+perr.Error()+"); some values may be missing")
	}
	return r.embedded(frag, 0).kids, nil
}

// guardedReader is the reader golang-evtx parses a record from. Its
// parser follows template references without noticing cycles, so a
// crafted record can make it recurse until the Go stack limit, which is a
// fatal error no recover() catches. Every read and seek is counted; past a
// budget far above what any real record needs, or once the call stack is
// deeper than any real record makes it, the reader panics (a recoverable
// panic, inside the library's call chain) and the record is given up.
//
// golang-evtx also formats a full stack trace (debug.Stack) for every
// element it fails to parse, whatever the log level, which deep in a
// template cycle costs milliseconds each: so the reader also bounds the
// time one record may take (recordTime), checked every few operations.
type guardedReader struct {
	*bytes.Reader
	ops   int
	start time.Time
}

func newGuardedReader(b []byte) *guardedReader {
	return &guardedReader{Reader: bytes.NewReader(b), start: time.Now()}
}

// runaway is the panic value of a guardedReader that stopped the library.
type runaway string

const (
	// maxReaderOps bounds reads and seeks per record, far above what real
	// records need (TestReaderBudget).
	maxReaderOps = 1 << 20
	// maxStackFrames bounds the call depth while parsing a record, far
	// above what real records reach (TestReaderBudget).
	maxStackFrames = 1000
)

var (
	// readerBudget, stackLimit and depthEvery (a mask: check when
	// ops&depthEvery == 0) are variables so that tests can tighten them.
	readerBudget = maxReaderOps
	// recordTime bounds the time golang-evtx may spend on one record or
	// template. Real ones take microseconds; the bound is generous so that
	// a loaded machine never costs a real record, and it is a last resort
	// behind the read and stack bounds.
	recordTime = 2 * time.Second
	stackLimit = maxStackFrames
	depthEvery = 1023
	// mostOps is the largest number of reader operations a record needed
	// so far in this process, for TestReaderBudget.
	mostOps  atomic.Int64
	trackOps bool
)

func (g *guardedReader) tick() {
	g.ops++
	if g.ops > readerBudget {
		panic(runaway(fmt.Sprintf("record needs more than %d reads; parsing given up", readerBudget)))
	}
	if g.ops&63 == 0 && time.Since(g.start) > recordTime {
		panic(runaway(fmt.Sprintf("record takes more than %v to decode (its binary XML keeps failing); parsing given up", recordTime)))
	}
	if g.ops&depthEvery == 0 && tooDeep() {
		panic(runaway("record nests templates without end (a reference cycle); parsing given up"))
	}
}

// done records the reader's operation count when trackOps is set. It is
// off otherwise: a record-breaking count takes a branch that no later run
// repeats, which the fuzzer would see as coverage it cannot reproduce and
// spend its minimisation time on.
func (g *guardedReader) done() {
	if !trackOps {
		return
	}
	for {
		m := mostOps.Load()
		if int64(g.ops) <= m || mostOps.CompareAndSwap(m, int64(g.ops)) {
			return
		}
	}
}

var framePool = sync.Pool{New: func() any { return new([maxStackFrames + 1]uintptr) }}

// tooDeep reports whether the call stack is deeper than maxStackFrames.
func tooDeep() bool {
	pcs := framePool.Get().(*[maxStackFrames + 1]uintptr)
	n := runtime.Callers(0, pcs[:stackLimit+1])
	framePool.Put(pcs)
	return n > stackLimit
}

// Read, ReadByte and Seek count the operation, then do it.
func (g *guardedReader) Read(p []byte) (int, error) {
	g.tick()
	return g.Reader.Read(p)
}

func (g *guardedReader) ReadByte() (byte, error) {
	g.tick()
	return g.Reader.ReadByte()
}

func (g *guardedReader) Seek(off int64, whence int) (int64, error) {
	g.tick()
	return g.Reader.Seek(off, whence)
}

// rethrowOwn makes the recovery above re-panic when the panic started in
// exlog's own code rather than in golang-evtx. The fuzz tests set it, so
// that recovery meant for the library cannot hide exlog's own bugs.
var rethrowOwn bool

func rethrowIfOwn(p any) {
	if _, stop := p.(runaway); stop {
		return
	}
	if rethrowOwn && panicInOwnCode() {
		panic(p)
	}
}

// panicInOwnCode reports whether the innermost non-runtime frame of the
// panicking goroutine's stack belongs to this module.
func panicInOwnCode() bool {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(0, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	seenPanic := false
	for {
		f, more := frames.Next()
		if f.Function == "runtime.gopanic" {
			seenPanic = true
		} else if seenPanic && !strings.HasPrefix(f.Function, "runtime.") {
			return strings.HasPrefix(f.Function, "github.com/exlog/exlog/")
		}
		if !more {
			return false
		}
	}
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func printable(b []byte) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '.'
		}
		return r
	}, string(b))
}
