package parse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding is the character encoding of a text log.
type Encoding int

// Encodings exlog reads. UTF-8 input that is not valid UTF-8 is read line by
// line as Windows-1252, which is what ANSI Windows tools write.
const (
	EncUTF8 Encoding = iota
	EncUTF16LE
	EncUTF16BE
)

// DetectEncoding looks at a file's first bytes: a byte-order mark decides;
// without one, NUL bytes in every other position mean UTF-16.
func DetectEncoding(head []byte) Encoding {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return EncUTF16LE
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return EncUTF16BE
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return EncUTF8
	}
	n := len(head) &^ 1
	if n < 8 {
		return EncUTF8
	}
	if n > 512 {
		n = 512
	}
	var evenNUL, oddNUL int
	for i := 0; i < n; i += 2 {
		if head[i] == 0 {
			evenNUL++
		}
		if head[i+1] == 0 {
			oddNUL++
		}
	}
	half := n / 2
	switch {
	case oddNUL*10 >= half*7 && evenNUL*10 < half:
		return EncUTF16LE
	case evenNUL*10 >= half*7 && oddNUL*10 < half:
		return EncUTF16BE
	}
	return EncUTF8
}

// DecodeHead returns a sniffing head as UTF-8 text, whatever its encoding.
// A character cut at the end of head is dropped.
func DecodeHead(head []byte) string {
	enc := DetectEncoding(head)
	switch enc {
	case EncUTF16LE, EncUTF16BE:
		if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
			head = head[2:]
		}
		b, _, _ := transform.Bytes(utf16Decoder(enc), head[:len(head)&^1])
		return string(b)
	}
	head = bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF})
	if utf8.Valid(head) {
		return string(head)
	}
	// Cut a possibly split multi-byte character, then retry.
	for i := 1; i <= 3 && i < len(head); i++ {
		if utf8.Valid(head[:len(head)-i]) {
			return string(head[:len(head)-i])
		}
	}
	return decode1252(head)
}

func utf16Decoder(enc Encoding) transform.Transformer {
	order := unicode.LittleEndian
	if enc == EncUTF16BE {
		order = unicode.BigEndian
	}
	return unicode.UTF16(order, unicode.IgnoreBOM).NewDecoder()
}

func decode1252(b []byte) string {
	s, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
	}
	return string(s)
}

// Lines reads a text log line by line as UTF-8, whatever the file's
// encoding (UTF-8 with or without BOM, UTF-16LE/BE, Windows-1252) and line
// ending (CRLF or LF). Lines are numbered from 1 as they are in the file.
type Lines struct {
	r         *bufio.Reader
	line      []byte
	text      string
	n         int
	truncated int
	err       error
}

// NewLines starts reading r.
func NewLines(r io.Reader) *Lines {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(512)
	switch enc := DetectEncoding(head); enc {
	case EncUTF16LE, EncUTF16BE:
		if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
			br.Discard(2)
		}
		br = bufio.NewReaderSize(transform.NewReader(br, utf16Decoder(enc)), 64<<10)
	default:
		if bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}) {
			br.Discard(3)
		}
	}
	return &Lines{r: br}
}

// Next advances to the next line; false at the end or on a read error.
// The text read before a read error is delivered as a last line first, so
// nothing read is lost; Err then reports the error.
func (l *Lines) Next() bool {
	if l.err != nil {
		return false
	}
	l.line = l.line[:0]
	cut := false
	for {
		frag, err := l.r.ReadSlice('\n')
		if len(l.line)+len(frag) <= MaxLineBytes {
			l.line = append(l.line, frag...)
		} else if !cut {
			cut = true
			l.truncated++
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			if len(l.line) == 0 && !cut {
				l.err = err
				return false
			}
			// Deliver the last line, even one a read error cut short
			// (a damaged archive), and stop next time.
			l.err = err
		}
		break
	}
	l.n++
	b := bytes.TrimSuffix(l.line, []byte{'\n'})
	// A log converted to CRLF twice on its way (an ASCII-mode transfer of
	// a file that already had CRLF) ends its lines in CR CR LF.
	b = bytes.TrimRight(b, "\r")
	if utf8.Valid(b) {
		l.text = string(b)
	} else {
		l.text = decode1252(b)
	}
	return true
}

// Text is the current line without its line ending.
func (l *Lines) Text() string { return l.text }

// Number is the current line's 1-based number.
func (l *Lines) Number() int { return l.n }

// Truncated counts lines cut at MaxLineBytes so far.
func (l *Lines) Truncated() int { return l.truncated }

// Err is the read error that stopped Next, or nil at a clean end.
func (l *Lines) Err() error {
	if l.err == io.EOF {
		return nil
	}
	return l.err
}

// Clip shortens s to at most n bytes without splitting a UTF-8 character,
// and ends it with mark where it cut.
func Clip(s string, n int, mark string) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + mark
}
