package regexport

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"
)

// Registry value types as numbered by Windows (winnt.h); .reg files write
// them as the N of hex(N).
const (
	regNone             = 0x0
	regSZ               = 0x1
	regExpandSZ         = 0x2
	regBinary           = 0x3
	regDword            = 0x4
	regDwordBigEndian   = 0x5
	regLink             = 0x6
	regMultiSZ          = 0x7
	regResourceList     = 0x8
	regFullResourceDesc = 0x9
	regResourceReqList  = 0xa
	regQword            = 0xb
)

var typeNames = map[uint64]string{
	regNone:             "REG_NONE",
	regSZ:               "REG_SZ",
	regExpandSZ:         "REG_EXPAND_SZ",
	regBinary:           "REG_BINARY",
	regDword:            "REG_DWORD",
	regDwordBigEndian:   "REG_DWORD_BIG_ENDIAN",
	regLink:             "REG_LINK",
	regMultiSZ:          "REG_MULTI_SZ",
	regResourceList:     "REG_RESOURCE_LIST",
	regFullResourceDesc: "REG_FULL_RESOURCE_DESCRIPTOR",
	regResourceReqList:  "REG_RESOURCE_REQUIREMENTS_LIST",
	regQword:            "REG_QWORD",
}

// TypeName returns the REG_* name of a registry value type number, or
// REG_TYPE_0x<n> for numbers Windows does not define (applications may store
// their own).
func TypeName(t uint64) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("REG_TYPE_0x%X", t)
}

// decoded is a value's data turned into text for the event.
type decoded struct {
	typ   string
	value string
	hex   string // 0x form, for numbers only
	list  []string
}

// decodeData turns the bytes of a hex(N): value into text. unicode says the
// file is a version 5.00 export, whose string bytes are UTF-16LE; REGEDIT4
// exports store them in the ANSI code page.
func decodeData(t uint64, data []byte, unicode bool) decoded {
	d := decoded{typ: TypeName(t)}
	switch t {
	case regSZ, regExpandSZ:
		d.value = cutNUL(bytesToText(data, unicode))
	case regLink:
		d.value = strings.TrimRight(bytesToText(data, unicode), "\x00")
	case regMultiSZ:
		d.list = splitMulti(bytesToText(data, unicode))
		d.value = strings.Join(d.list, "; ")
	case regDword, regDwordBigEndian:
		if len(data) == 4 {
			v := binary.LittleEndian.Uint32(data)
			if t == regDwordBigEndian {
				v = binary.BigEndian.Uint32(data)
			}
			d.value, d.hex = strconv.FormatUint(uint64(v), 10), fmt.Sprintf("0x%08x", v)
		} else {
			d.value = hex.EncodeToString(data)
		}
	case regQword:
		if len(data) == 8 {
			v := binary.LittleEndian.Uint64(data)
			d.value, d.hex = strconv.FormatUint(v, 10), fmt.Sprintf("0x%016x", v)
		} else {
			d.value = hex.EncodeToString(data)
		}
	default:
		d.value = hex.EncodeToString(data)
	}
	return d
}

// bytesToText decodes string data. An odd trailing byte of UTF-16 data is
// shown as U+FFFD rather than dropped, so nothing disappears silently.
func bytesToText(b []byte, unicode bool) string {
	if !unicode {
		s, err := charmap.Windows1252.NewDecoder().Bytes(b)
		if err != nil {
			return strings.ToValidUTF8(string(b), "\uFFFD")
		}
		return string(s)
	}
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, binary.LittleEndian.Uint16(b[i:]))
	}
	s := string(utf16.Decode(u))
	if len(b)%2 == 1 {
		s += "\uFFFD"
	}
	return s
}

// cutNUL ends a string at its terminator, as Windows reads REG_SZ.
func cutNUL(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// splitMulti splits REG_MULTI_SZ text at its NULs. The list ends at the
// empty string that the double terminator produces.
func splitMulti(s string) []string {
	parts := strings.Split(s, "\x00")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// parseHexList reads comma-separated byte pairs ("0a,ff,00"), skipping
// tokens that are not one or two hex digits and counting them as bad.
func parseHexList(s string, out []byte) ([]byte, int) {
	bad := 0
	for len(s) > 0 {
		var tok string
		if i := strings.IndexByte(s, ','); i >= 0 {
			tok, s = s[:i], s[i+1:]
		} else {
			tok, s = s, ""
		}
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		if len(tok) > 2 {
			bad++
			continue
		}
		v, err := strconv.ParseUint(tok, 16, 8)
		if err != nil {
			bad++
			continue
		}
		out = append(out, byte(v))
	}
	return out, bad
}

// isHexContinuation reports whether a line can carry on wrapped hex data:
// only hex digits, commas, blanks and a final backslash.
func isHexContinuation(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	s = strings.TrimSuffix(s, `\`)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == ',', c == ' ', c == '\t':
		default:
			return false
		}
	}
	return true
}

// strScanner unescapes a quoted .reg string that may span several lines
// (regedit writes a REG_SZ holding line breaks as-is). With max set, the
// text past max bytes is counted in dropped instead of kept.
type strScanner struct {
	b       strings.Builder
	max     int
	dropped int
}

func (sc *strScanner) write(c byte) {
	if sc.max > 0 && sc.b.Len() >= sc.max {
		sc.dropped++
		return
	}
	sc.b.WriteByte(c)
}

// feed reads s, the string's text after the opening quote (or the next
// physical line of it). It returns whether the closing quote was found and
// the text after it.
func (sc *strScanner) feed(s string) (closed bool, rest string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '\\' || s[i+1] == '"'):
			sc.write(s[i+1])
			i++
		case c == '"':
			return true, s[i+1:]
		default:
			sc.write(c)
		}
	}
	return false, ""
}

// quoted reads one complete quoted string that starts at s[0] == '"'.
func quoted(s string) (val, rest string, ok bool) {
	if s == "" || s[0] != '"' {
		return "", s, false
	}
	var sc strScanner
	closed, rest := sc.feed(s[1:])
	return sc.b.String(), rest, closed
}

// splitValueLine splits `"name"=data` or `@=data` into the value name and
// the data text (left-trimmed). The default value is named "(default)".
func splitValueLine(t string) (name, data string, ok bool) {
	var rest string
	switch {
	case strings.HasPrefix(t, "@"):
		name, rest = DefaultValueName, t[1:]
	case strings.HasPrefix(t, `"`):
		var closed bool
		name, rest, closed = quoted(t)
		if !closed {
			return "", "", false
		}
		if name == "" {
			name = DefaultValueName
		}
	default:
		return "", "", false
	}
	rest = strings.TrimLeft(rest, " \t")
	if !strings.HasPrefix(rest, "=") {
		return "", "", false
	}
	return name, strings.TrimLeft(rest[1:], " \t"), true
}

// hexTypePrefix recognises "hex:" and "hex(N):" (N in hex) at the start of
// data, returning the type and the length of the prefix.
func hexTypePrefix(data string) (t uint64, n int, ok bool) {
	if len(data) < 4 || !strings.EqualFold(data[:3], "hex") {
		return 0, 0, false
	}
	if data[3] == ':' {
		return regBinary, 4, true
	}
	if data[3] != '(' {
		return 0, 0, false
	}
	end := strings.Index(data, "):")
	if end < 5 || end > 4+16 {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(data[4:end], 16, 64)
	if err != nil {
		return 0, 0, false
	}
	return v, end + 2, true
}
