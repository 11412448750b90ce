// Package evt reads legacy Windows event logs (.evt, Windows NT 4 to 2003)
// into normalized events.
//
// An EVT file is a ring buffer: a 48-byte header, event records
// (EVENTLOGRECORD) from the oldest to the newest, possibly wrapping from
// the end of the file back to just after the header, and an end-of-file
// record. When the log was not closed cleanly the header is marked dirty and
// its offsets are stale; the end-of-file record then tells where the records
// are. Records found outside the live part of the ring (overwritten or
// freed space) are recovered by scanning for their signature and flagged
// recovered=slack.
//
// The format needs random access (the ring wraps), so the file is read into
// memory, up to MaxFileSize.
//
// Besides the fields of package eventlog, events carry event_id_full (the
// 32-bit identifier with its severity and customer bits, 0x%08x) and, when
// it differs from the creation time, time_written. Records do not name
// their log; channel is set only for the standard file names (SysEvent.Evt
// is System, AppEvent.Evt Application...).
package evt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/eventlog"
)

// MaxFileSize bounds how much of an EVT file is read into memory. Windows
// capped these logs far below this.
const MaxFileSize = 1 << 30

const (
	headerSize    = 0x30
	eofSize       = 0x28
	recordFixed   = 56 // fixed part of EVENTLOGRECORD, before the source name
	minRecordSize = recordFixed + 4 + 4
	flagDirty     = 0x1
	flagWrapped   = 0x2
)

var (
	signature = []byte("LfLe")
	eofMagic  = []byte{0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0x33, 0x33, 0x33, 0x33, 0x44, 0x44, 0x44, 0x44}
)

// Parser reads EVT files. The zero value is ready to use.
type Parser struct{}

// Name implements parse.Parser.
func (Parser) Name() string { return parse.SourceEVT }

// Sniff implements parse.Parser: the header's size field (48) followed by
// the "LfLe" signature.
func (Parser) Sniff(head []byte) bool {
	return len(head) >= 8 && binary.LittleEndian.Uint32(head) == headerSize && bytes.Equal(head[4:8], signature)
}

// logNames maps the standard EVT file names to the log they hold: the
// records do not name their log, the file name is the only hint.
var logNames = map[string]string{
	"appevent.evt":  "Application",
	"sysevent.evt":  "System",
	"secevent.evt":  "Security",
	"dnsevent.evt":  "DNS Server",
	"ntds.evt":      "Directory Service",
	"ntfrs.evt":     "File Replication Service",
	"internet.evt":  "Internet Explorer",
	"fwdevents.evt": "ForwardedEvents",
}

// logFile is an EVT file in memory, read as a ring.
type logFile struct {
	b   []byte
	in  *parse.Input
	rep *parse.Report
	// channel is the log name guessed from the file name, or "".
	channel string
}

// ring wraps an offset into the record area [headerSize, len(b)).
func (f *logFile) ring(off int) int {
	n := len(f.b) - headerSize
	if n <= 0 {
		return headerSize
	}
	return headerSize + ((off-headerSize)%n+n)%n
}

// at returns n bytes from offset off, continuing after the header when the
// end of the file is reached. The result may alias f.b.
func (f *logFile) at(off, n int) []byte {
	if n < 0 || n > len(f.b)-headerSize {
		return nil
	}
	off = f.ring(off)
	if off+n <= len(f.b) {
		return f.b[off : off+n]
	}
	out := make([]byte, 0, n)
	out = append(out, f.b[off:]...)
	return append(out, f.b[headerSize:headerSize+n-(len(f.b)-off)]...)
}

func le32(b []byte, off int) int { return int(binary.LittleEndian.Uint32(b[off:])) }

// Parse implements parse.Parser.
func (p Parser) Parse(ctx context.Context, in *parse.Input, rep *parse.Report, emit func(*parse.Event) error) error {
	rc, err := in.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	b, err := parse.ReadAllLimit(rc, MaxFileSize)
	if err != nil {
		return err
	}
	if !p.Sniff(b) {
		return parse.ErrNotFormat
	}
	f := &logFile{b: b, in: in, rep: rep, channel: logNames[strings.ToLower(path.Base(in.Path))]}
	return f.read(ctx, emit)
}

// span says where the live records are: from the oldest record to the
// end-of-file record, and which record numbers they carry.
type span struct {
	start, end       int
	newest, oldest   int
	fromEOF, trusted bool
}

func (f *logFile) read(ctx context.Context, emit func(*parse.Event) error) error {
	b := f.b
	if len(b) < headerSize {
		f.rep.AddProblem("file header", "file is only %d bytes long, shorter than the EVT header; nothing to read", len(b))
		f.rep.Skipped++
		return fmt.Errorf("truncated EVT file (%d bytes)", len(b))
	}
	flags := le32(b, 36)
	s := f.locate(flags)

	walked := map[int]bool{}
	var live []*parse.Event
	if s.trusted {
		live = f.walk(s, walked)
	}
	want := s.newest - s.oldest
	if s.trusted && s.oldest > 0 && want >= 0 && want != len(live) {
		f.rep.AddProblem("records", "the log says it holds records %d to %d (%d), %d were read from the record chain",
			s.oldest, s.newest-1, want, len(live))
	}
	seen := map[[2]uint32]bool{}
	for _, ev := range live {
		if err := ctx.Err(); err != nil {
			return err
		}
		seen[f.key(ev)] = true
		if err := emit(ev); err != nil {
			return err
		}
		f.rep.Events++
		if ev.Field(parse.KeyRecovered) != "" {
			f.rep.Recovered++
		}
	}
	// Everything else that still looks like a record: freed or overwritten
	// space of the ring, or the whole file when the chain could not be
	// followed.
	for _, ev := range f.scan(walked) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if k := f.key(ev); seen[k] {
			continue
		} else {
			seen[k] = true
		}
		if err := emit(ev); err != nil {
			return err
		}
		f.rep.Events++
		f.rep.Recovered++
	}
	return nil
}

// key identifies a record for de-duplication: its number and the time it
// was written, straight from the record header.
func (f *logFile) key(ev *parse.Event) [2]uint32 {
	h := f.at(int(ev.Offset), 20)
	return [2]uint32{binary.LittleEndian.Uint32(h[8:]), binary.LittleEndian.Uint32(h[16:])}
}

// locate finds the live part of the ring: from the header when it is clean
// and consistent, else from the end-of-file record.
func (f *logFile) locate(flags int) span {
	b := f.b
	h := span{start: le32(b, 16), end: le32(b, 20), newest: le32(b, 24), oldest: le32(b, 28)}
	headerOK := h.start >= headerSize && h.start < len(b) && h.end >= headerSize && h.end+eofSize <= len(b) &&
		bytes.Equal(b[h.end+4:h.end+20], eofMagic)
	if flags&flagDirty == 0 && headerOK {
		h.trusted = true
		return h
	}
	// The end-of-file record is written as the log is, so it is current
	// even when the header is not. Look first from the header's end offset
	// on, as later copies supersede stale ones.
	from := h.end
	if from < headerSize || from >= len(b) {
		from = headerSize
	}
	eof := findEOF(b, from)
	if eof < 0 {
		eof = findEOF(b, headerSize)
	}
	if eof >= 0 {
		e := span{start: le32(b, eof+20), end: le32(b, eof+24), newest: le32(b, eof+28), oldest: le32(b, eof+32), fromEOF: true}
		if e.end != eof {
			e.end = eof
		}
		if e.start >= headerSize && e.start < len(b) {
			// A dirty header is normal for a log copied while in use;
			// the end-of-file record is then the authority and nothing
			// is lost, so it is not reported.
			e.trusted = true
			return e
		}
	}
	if headerOK {
		h.trusted = true
		f.rep.AddProblem("file header", "header marked dirty and no usable end-of-file record found; header offsets used")
		return h
	}
	f.rep.AddProblem("file header", "no trustworthy record positions (header offsets stale, no end-of-file record); records recovered by scanning the whole file")
	return h
}

// findEOF returns the offset of the first end-of-file record at or after
// from, or -1.
func findEOF(b []byte, from int) int {
	for from < len(b) {
		i := bytes.Index(b[from:], eofMagic)
		if i < 0 {
			return -1
		}
		off := from + i - 4
		if off >= headerSize && off+eofSize <= len(b) && le32(b, off) == eofSize && le32(b, off+36) == eofSize {
			return off
		}
		from += i + 1
	}
	return -1
}

// walk follows the records from the oldest to the end-of-file record
// around the ring.
func (f *logFile) walk(s span, walked map[int]bool) []*parse.Event {
	var out []*parse.Event
	pos := f.ring(s.start)
	area := len(f.b) - headerSize
	travelled := 0
	how := ""
	for travelled < area {
		if pos == s.end {
			return out
		}
		size, ok, intact := f.recordAt(pos)
		if !ok {
			next, dist := f.nextRecord(pos, s.end, area-travelled)
			if next < 0 {
				f.rep.AddProblem(fmt.Sprintf("offset 0x%x", pos), "record chain broken and no further record found before the end-of-file record; the rest of the log is recovered by scanning")
				f.rep.Skipped++
				return out
			}
			// Windows leaves unused bytes at the end of the file when the
			// next record starts again after the header: that is not
			// damage.
			if !(pos+dist == len(f.b) && next == headerSize) {
				f.rep.AddProblem(fmt.Sprintf("offset 0x%x", pos), "%d unreadable bytes skipped; reading resumed at offset 0x%x", dist, next)
				f.rep.Skipped++
				how = "resync"
			}
			travelled += dist
			pos = next
			continue
		}
		walked[pos] = true
		if ev := f.decode(pos, size, intact, how); ev != nil {
			out = append(out, ev)
		} else {
			f.rep.AddProblem(fmt.Sprintf("offset 0x%x", pos), "record could not be decoded; skipped")
			f.rep.Skipped++
		}
		travelled += size
		pos = f.ring(pos + size)
	}
	f.rep.AddProblem("records", "record chain went once around the ring without reaching the end-of-file record")
	return out
}

// recordAt checks the record at pos. ok means its size and signature are
// plausible; intact that its closing size copy matches too (Windows zeroes
// the tail of a record it did not finish writing).
func (f *logFile) recordAt(pos int) (size int, ok, intact bool) {
	h := f.at(pos, 8)
	if h == nil || !bytes.Equal(h[4:8], signature) {
		return 0, false, false
	}
	size = le32(h, 0)
	if size < minRecordSize || size > len(f.b)-headerSize || size%4 != 0 {
		return 0, false, false
	}
	tail := f.at(pos+size-4, 4)
	return size, true, le32(tail, 0) == size
}

// nextRecord finds the next plausible record or the end-of-file record
// after a damaged one, around the ring, within limit bytes.
func (f *logFile) nextRecord(pos, end, limit int) (next, dist int) {
	for d := 4; d < limit; d += 4 {
		p := f.ring(pos + d)
		if p == end {
			return p, d
		}
		if _, ok, intact := f.recordAt(p); ok && intact {
			return p, d
		}
	}
	return -1, 0
}

// scan decodes the records outside the walked chain, in file order.
func (f *logFile) scan(walked map[int]bool) []*parse.Event {
	var out []*parse.Event
	b := f.b
	for from := headerSize; ; {
		i := bytes.Index(b[from:], signature)
		if i < 0 {
			return out
		}
		pos := from + i - 4
		from += i + 1
		if pos < headerSize || walked[pos] {
			continue
		}
		size, ok, intact := f.recordAt(pos)
		if !ok || !intact || pos+size > len(b) {
			continue
		}
		if ev := f.decode(pos, size, true, "slack"); ev != nil {
			out = append(out, ev)
			from = pos + size
		}
	}
}

// decode turns the record at pos into an event; nil when its fixed fields
// are inconsistent.
func (f *logFile) decode(pos, size int, intact bool, how string) (ev *parse.Event) {
	defer func() {
		// Every slice below is bounds-checked; this only guards against
		// a mistake turning bad input into a crash.
		if r := recover(); r != nil {
			f.rep.AddProblem(fmt.Sprintf("offset 0x%x", pos), "record decoder failure: %v", r)
			ev = nil
		}
	}()
	rb := f.at(pos, size)
	if rb == nil {
		return nil
	}
	body := rb[:size-4]
	rec := eventlog.Record{
		RecordID:      uint64(binary.LittleEndian.Uint32(rb[8:])),
		EventID:       binary.LittleEndian.Uint32(rb[20:]),
		HasQualifiers: true,
		Offset:        int64(pos),
		Channel:       f.channel,
		Recovered:     how,
	}
	rec.Qualifiers = uint16(rec.EventID >> 16)
	created := time.Unix(int64(binary.LittleEndian.Uint32(rb[12:])), 0).UTC()
	written := time.Unix(int64(binary.LittleEndian.Uint32(rb[16:])), 0).UTC()
	rec.Time = created
	etype := binary.LittleEndian.Uint16(rb[24:])
	nstr := int(binary.LittleEndian.Uint16(rb[26:]))
	rec.Task = strconv.Itoa(int(binary.LittleEndian.Uint16(rb[28:])))
	strOff := le32(rb, 36)
	sidLen, sidOff := le32(rb, 40), le32(rb, 44)
	dataLen, dataOff := le32(rb, 48), le32(rb, 52)
	rec.Level, rec.Audit = eventlog.LevelFromEVTType(etype)

	var why []string
	if !intact {
		why = append(why, "the record's closing size copy is missing (the record was not completely written); strings near its end may be cut")
	}
	// Source and computer names follow the fixed part; they end before the
	// SID or the strings, whichever comes first.
	namesEnd := len(body)
	for _, o := range []int{strOff, sidOff} {
		if o > recordFixed && o < namesEnd {
			namesEnd = o
		}
	}
	src, n := utf16z(body[recordFixed:namesEnd])
	rec.Provider = src
	rec.Computer, _ = utf16z(body[recordFixed+n : namesEnd])
	if sidLen > 0 {
		if sidOff >= recordFixed && sidOff+sidLen <= len(body) {
			rec.UserSID = eventlog.FormatSID(body[sidOff : sidOff+sidLen])
		} else {
			why = append(why, "the user SID lies outside the record")
		}
	}
	if nstr > 0 {
		strEnd := len(body)
		if dataLen > 0 && dataOff > strOff && dataOff < strEnd {
			strEnd = dataOff
		}
		if strOff < recordFixed || strOff > strEnd {
			why = append(why, fmt.Sprintf("the %d insertion strings lie outside the record", nstr))
		} else {
			s := body[strOff:strEnd]
			for i := 0; i < nstr; i++ {
				if len(s) == 0 {
					why = append(why, fmt.Sprintf("only %d of %d insertion strings are in the record", i, nstr))
					break
				}
				v, used := utf16z(s)
				rec.Inserts = append(rec.Inserts, eventlog.Insert{Value: v})
				s = s[used:]
			}
		}
	}
	if dataLen > 0 {
		if dataOff >= recordFixed && dataOff+dataLen <= len(body) {
			rec.Binary = body[dataOff : dataOff+dataLen]
		} else if intact {
			why = append(why, "the binary data lies outside the record")
		}
	}
	if rec.Provider == "" && rec.Computer == "" {
		return nil
	}
	rec.Uncertain = strings.Join(why, "; ")
	ev = eventlog.ToEvent(&rec, f.in, parse.SourceEVT)
	ev.SetField(parse.KeyEventIDFull, fmt.Sprintf("0x%08x", rec.EventID))
	if !written.Equal(created) {
		ev.SetField(parse.KeyTimeWritten, written.Format(time.RFC3339))
	}
	return ev
}

// utf16z decodes a NUL-terminated UTF-16LE string at the start of b and
// returns it with the number of bytes used (terminator included). Without
// a terminator the whole of b is the string.
func utf16z(b []byte) (string, int) {
	n := len(b) / 2
	end := n
	for i := 0; i < n; i++ {
		if b[2*i] == 0 && b[2*i+1] == 0 {
			end = i
			break
		}
	}
	u := make([]uint16, end)
	for i := 0; i < end; i++ {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	used := 2 * end
	if end < n {
		used += 2
	}
	return string(utf16.Decode(u)), used
}
