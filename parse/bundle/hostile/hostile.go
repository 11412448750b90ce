// Package hostile generates broken and hostile bundles for tests and
// measurements: archive bombs, nests, overlapping and lying zip entries,
// unsafe names, links, time bombs and damaged streams. Nothing hostile is
// checked in; every case is built in memory from a few parameters.
//
// Zip bombs are built without compressing their payload: a deflate block
// for a small chunk is repeated, so a 4 GiB entry costs the generator
// about as much as its CRC.
package hostile

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io/fs"
	"strings"
	"time"
)

// When is the time the generated entries carry unless a case says
// otherwise.
var When = time.Date(2024, 3, 21, 10, 30, 0, 0, time.UTC)

// SetupLog returns an Exchange setup log of n records (n >= 3), in the
// shape of real ExchangeSetup.log files: the run banner, then numbered
// records one second apart. Record i (from 1) says "record i".
func SetupLog(n int) []byte {
	var b strings.Builder
	t := time.Date(2020, 12, 19, 6, 31, 13, 0, time.UTC)
	rec := func(i int, text string) {
		ts := t.Add(time.Duration(i) * time.Second)
		fmt.Fprintf(&b, "[%02d/%02d/%04d %02d:%02d:%02d.%04d] [0] %s\r\n", ts.Month(), ts.Day(), ts.Year(), ts.Hour(), ts.Minute(), ts.Second(), 0, text)
	}
	rec(0, "**********************************************")
	rec(0, "Starting Microsoft Exchange Server 2019 Setup")
	rec(0, "**********************************************")
	for i := 4; i <= n; i++ {
		rec(i, fmt.Sprintf("record %d", i))
	}
	return []byte(b.String())
}

// Entry is one zip entry. Data is stored or deflated as Method says,
// unless Raw is set: then Raw is written as the entry's compressed bytes
// with CRC and USize as given (they may lie).
type Entry struct {
	Name     string
	Method   uint16
	Data     []byte
	Raw      []byte
	CRC      uint32
	USize    uint64
	Mode     fs.FileMode
	Modified time.Time
	Extra    []byte
}

// Zip writes the entries as a zip archive.
func Zip(entries ...Entry) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.Name, Method: e.Method, Modified: e.Modified, Extra: e.Extra}
		if h.Modified.IsZero() {
			h.Modified = When
		}
		if e.Mode != 0 {
			h.SetMode(e.Mode)
		}
		if e.Raw == nil {
			fw, err := w.CreateHeader(h)
			must(err)
			_, err = fw.Write(e.Data)
			must(err)
			continue
		}
		h.CRC32, h.CompressedSize64, h.UncompressedSize64 = e.CRC, uint64(len(e.Raw)), e.USize
		fw, err := w.CreateRaw(h)
		must(err)
		_, err = fw.Write(e.Raw)
		must(err)
	}
	must(w.Close())
	return buf.Bytes()
}

// Deflate compresses b into a raw deflate stream.
func Deflate(b []byte) []byte {
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	must(err)
	fw.Write(b)
	must(fw.Close())
	return buf.Bytes()
}

// Gzip compresses b into a gzip stream.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	must(w.Close())
	return buf.Bytes()
}

// Repeat returns a deflate stream that inflates to chunk repeated times
// times, with the CRC-32 and size of that output. The stream repeats one
// compressed block, so it is built in a moment whatever it inflates to;
// the CRC is computed only when crc is set (it costs a pass over the
// output's length).
func Repeat(chunk []byte, times int64, crc bool) (raw []byte, sum uint32, n uint64) {
	var blk bytes.Buffer
	fw, err := flate.NewWriter(&blk, flate.BestCompression)
	must(err)
	fw.Write(chunk)
	must(fw.Flush()) // a sync flush ends the block on a byte, not final
	var out bytes.Buffer
	for range times {
		out.Write(blk.Bytes())
	}
	var end bytes.Buffer
	fe, _ := flate.NewWriter(&end, flate.BestCompression)
	must(fe.Close()) // an empty final block
	out.Write(end.Bytes())
	if crc {
		h := crc32.NewIEEE()
		for range times {
			h.Write(chunk)
		}
		sum = h.Sum32()
	}
	return out.Bytes(), sum, uint64(len(chunk)) * uint64(times)
}

// DeclaredSize is a zip holding a deflated inner zip, with a setup log of
// records records in it, whose entry declares an uncompressed size of
// declared bytes, whatever its real size.
func DeclaredSize(declared uint64, records int) []byte {
	inner := Zip(Entry{Name: "EXCH1/ExchangeSetupLogs/ExchangeSetup.log", Method: zip.Deflate, Data: SetupLog(records)})
	return Zip(Entry{Name: "EXCH1-321.zip", Method: zip.Deflate, Raw: Deflate(inner), CRC: crc32.ChecksumIEEE(inner), USize: declared})
}

// Nest42 is a 42.zip-style nest: levels of zips, each holding fanout
// deflated copies of the level below, down to entries of leafBytes zeros.
// With levels 5, fanout 16 and 4 GiB leaves it stands for 4.5 PB.
func Nest42(levels, fanout int, leafBytes int64) []byte {
	// Large chunks keep the leaf's compressed bytes a long run of one
	// byte, which the next level squeezes again, as in the real 42.zip.
	chunk := min(leafBytes, 64<<20)
	raw, sum, n := Repeat(make([]byte, chunk), max(leafBytes/chunk, 1), true)
	var child []byte
	for lvl := 0; lvl < levels; lvl++ {
		ents := make([]Entry, fanout)
		for i := range ents {
			if lvl == 0 {
				ents[i] = Entry{Name: fmt.Sprintf("%x.log", i), Raw: raw, CRC: sum, USize: n, Method: zip.Deflate}
				continue
			}
			ents[i] = Entry{Name: fmt.Sprintf("%x.zip", i), Raw: raw, CRC: sum, USize: n, Method: zip.Deflate}
		}
		child = Zip(ents...)
		raw, sum, n = Deflate(child), crc32.ChecksumIEEE(child), uint64(len(child))
	}
	return child
}

// Overlap is a zip bomb whose n entries overlap (after David Fifield's
// "better zip bomb"): each entry's deflate stream quotes the local headers
// of the entries after it in stored blocks and ends in one shared kernel
// that inflates to kernelBytes zeros. The archive is small; its entries
// together inflate to about n times kernelBytes.
func Overlap(n int, kernelBytes int64) []byte {
	const chunk = 1 << 20
	kernel, _, kn := Repeat(make([]byte, chunk), max(kernelBytes/chunk, 1), false)
	// The kernel's last block is final; every entry's stream ends with it.
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%04d.log", i)
	}
	hdrLen := func(i int) int { return 30 + len(names[i]) }
	// Sizes from the end: entry n-1 is just the kernel.
	csize := make([]uint64, n)
	usize := make([]uint64, n)
	csize[n-1], usize[n-1] = uint64(len(kernel)), kn
	for i := n - 2; i >= 0; i-- {
		csize[i] = 5 + uint64(hdrLen(i+1)) + csize[i+1]
		usize[i] = uint64(hdrLen(i+1)) + usize[i+1]
	}
	le16 := binary.LittleEndian.AppendUint16
	le32 := binary.LittleEndian.AppendUint32
	local := func(i int) []byte {
		var h []byte
		h = le32(h, 0x04034b50)
		h = le16(h, 20)
		h = le16(h, 0)
		h = le16(h, zip.Deflate)
		h = le16(h, 0)
		h = le16(h, 0x5875) // 2024-03-21
		h = le32(h, 0)      // CRC: not computed, the bomb is refused first
		h = le32(h, uint32(csize[i]))
		h = le32(h, uint32(usize[i]))
		h = le16(h, uint16(len(names[i])))
		h = le16(h, 0)
		return append(h, names[i]...)
	}
	var out []byte
	offs := make([]uint32, n)
	for i := 0; i < n; i++ {
		offs[i] = uint32(len(out))
		out = append(out, local(i)...)
		if i < n-1 {
			l := uint16(hdrLen(i + 1))
			out = append(out, 0) // stored block, not final
			out = le16(out, l)
			out = le16(out, ^l)
		}
	}
	out = append(out, kernel...)
	cd := len(out)
	for i := 0; i < n; i++ {
		var h []byte
		h = le32(h, 0x02014b50)
		h = le16(h, 20)
		h = le16(h, 20)
		h = le16(h, 0)
		h = le16(h, zip.Deflate)
		h = le16(h, 0)
		h = le16(h, 0x5875)
		h = le32(h, 0)
		h = le32(h, uint32(csize[i]))
		h = le32(h, uint32(usize[i]))
		h = le16(h, uint16(len(names[i])))
		h = le16(h, 0)
		h = le16(h, 0)
		h = le16(h, 0)
		h = le16(h, 0)
		h = le32(h, 0)
		h = le32(h, offs[i])
		out = append(out, h...)
		out = append(out, names[i]...)
	}
	end := len(out)
	out = le32(out, 0x06054b50)
	out = le16(out, 0)
	out = le16(out, 0)
	out = le16(out, uint16(n))
	out = le16(out, uint16(n))
	out = le32(out, uint32(end-cd))
	out = le32(out, uint32(cd))
	out = le16(out, 0)
	return out
}

// BigLog is a zip holding one setup log that inflates to about size
// bytes: a run banner, then one record repeated, as a service stuck in a
// loop writes it. It deflates about 1000:1.
func BigLog(size int64) []byte {
	line := []byte("[12/19/2020 06:31:14.0001] [0] Waiting for the service to stop.\r\n")
	chunk := bytes.Repeat(line, (64<<20)/len(line))
	raw, sum, n := Repeat(chunk, max(size/int64(len(chunk)), 1), true)
	return Zip(Entry{Name: "EXCH1/ExchangeSetupLogs/ExchangeSetup.log", Method: zip.Deflate, Raw: raw, CRC: sum, USize: n})
}

// Slip is a zip whose entries try to leave the archive (zip-slip), next
// to one good setup log.
func Slip(good []byte) []byte {
	ents := []Entry{{Name: "EXCH1/ExchangeSetupLogs/ExchangeSetup.log", Method: zip.Deflate, Data: good}}
	for _, n := range SlipNames {
		ents = append(ents, Entry{Name: n, Method: zip.Deflate, Data: good})
	}
	return Zip(ents...)
}

// SlipNames are the entry names Slip uses.
var SlipNames = []string{"../../evil.log", "/etc/evil.log", `C:\Windows\evil.log`, `..\..\evil2.log`, "a/../../evil3.log", "ok/\x1b[31mred.log"}

// Links is a zip and a tar each holding symbolic links (to /etc/passwd,
// to ../.., to a sibling) next to one good setup log.
func Links(good []byte) (zipBytes, tarBytes []byte) {
	zipBytes = Zip(
		Entry{Name: "EXCH1/ExchangeSetupLogs/ExchangeSetup.log", Method: zip.Deflate, Data: good},
		Entry{Name: "EXCH1/passwd", Method: zip.Store, Data: []byte("/etc/passwd"), Mode: fs.ModeSymlink | 0o777},
		Entry{Name: "EXCH1/up", Method: zip.Store, Data: []byte("../.."), Mode: fs.ModeSymlink | 0o777},
	)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	must(tw.WriteHeader(&tar.Header{Name: "EXCH1/ExchangeSetupLogs/ExchangeSetup.log", Mode: 0o644, Size: int64(len(good)), ModTime: When, Typeflag: tar.TypeReg}))
	tw.Write(good)
	must(tw.WriteHeader(&tar.Header{Name: "EXCH1/passwd", Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink, ModTime: When}))
	must(tw.WriteHeader(&tar.Header{Name: "EXCH1/hard", Linkname: "/etc/shadow", Typeflag: tar.TypeLink, ModTime: When}))
	must(tw.WriteHeader(&tar.Header{Name: "EXCH1/fifo", Typeflag: tar.TypeFifo, ModTime: When}))
	must(tw.Close())
	return zipBytes, buf.Bytes()
}

// Deep is depth stored zips each holding the next, the innermost holding
// a setup log: what a zip quine does to a reader that follows it.
func Deep(depth int, log []byte) []byte {
	b := Zip(Entry{Name: "ExchangeSetup.log", Method: zip.Deflate, Data: log})
	for i := depth - 1; i >= 1; i-- {
		b = Zip(Entry{Name: fmt.Sprintf("level%d.zip", i), Method: zip.Store, Data: b})
	}
	return b
}

// TimeBomb is a zip and a tar.gz whose entries carry impossible or edge
// times: extended timestamps at the ends of int32, DOS dates that are
// not dates, a tar time in year 292277026596.
func TimeBomb(log []byte) (zipBytes, tgzBytes []byte) {
	ext := func(unix int32) []byte {
		// Info-ZIP extended timestamp (0x5455) with a modification time.
		b := []byte{0x55, 0x54, 5, 0, 1}
		return binary.LittleEndian.AppendUint32(b, uint32(unix))
	}
	zipBytes = Zip(
		Entry{Name: "max.log", Method: zip.Deflate, Data: log, Extra: ext(0x7fffffff)},
		Entry{Name: "min.log", Method: zip.Deflate, Data: log, Extra: ext(-0x80000000)},
		Entry{Name: "y2107.log", Method: zip.Deflate, Data: log, Modified: time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)},
	)
	// A DOS date of month 15 day 31 hour 31: patch the first local and
	// central headers' time fields of a copy.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, tm := range []time.Time{time.Unix(1<<62, 0), time.Unix(-1<<62, 0), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)} {
		must(tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("t%d.log", tm.Year()), Mode: 0o644, Size: int64(len(log)), ModTime: tm, Typeflag: tar.TypeReg, Format: tar.FormatPAX}))
		tw.Write(log)
	}
	must(tw.Close())
	return zipBytes, Gzip(buf.Bytes())
}

// Many is a zip of n tiny setup logs.
func Many(n int) []byte {
	log := SetupLog(3)
	ents := make([]Entry, n)
	for i := range ents {
		ents[i] = Entry{Name: fmt.Sprintf("EXCH1/s/%06d.log", i), Method: zip.Store, Data: log}
	}
	return Zip(ents...)
}

// BadCRC is a zip holding log, deflated, with a CRC that does not match.
func BadCRC(log []byte) []byte {
	return Zip(Entry{Name: "EXCH1/ExchangeSetupLogs/ExchangeSetup.log", Method: zip.Deflate, Raw: Deflate(log), CRC: crc32.ChecksumIEEE(log) ^ 0xdeadbeef, USize: uint64(len(log))})
}

// Cut is a zip holding log, deflated, whose deflate stream is cut at
// keep of its compressed bytes (the central directory still lists it
// whole), and a tar.gz with the same log cut the same way.
func Cut(log []byte, keep float64) (zipBytes, tgzBytes []byte) {
	raw := Deflate(log)
	raw = raw[:int(float64(len(raw))*keep)]
	zipBytes = Zip(Entry{Name: "EXCH1/ExchangeSetupLogs/ExchangeSetup.log", Method: zip.Deflate, Raw: raw, CRC: crc32.ChecksumIEEE(log), USize: uint64(len(log))})
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	must(tw.WriteHeader(&tar.Header{Name: "EXCH1/ExchangeSetupLogs/ExchangeSetup.log", Mode: 0o644, Size: int64(len(log)), ModTime: When, Typeflag: tar.TypeReg}))
	tw.Write(log)
	must(tw.Close())
	tgz := Gzip(buf.Bytes())
	return zipBytes, tgz[:int(float64(len(tgz))*keep)]
}

func must(err error) {
	if err != nil {
		panic("hostile: " + err.Error())
	}
}
