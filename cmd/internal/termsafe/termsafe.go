// Package termsafe makes text from a bundle safe to print on a terminal
// or in a table. Entry names and log lines come from whoever wrote the
// bundle; printed raw, an escape sequence in them could recolour the
// screen, move the cursor, rewrite the window title or hide what follows.
// JSON output needs none of this: encoding/json already escapes control
// characters.
package termsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Escape returns s with every control character written as a visible
// escape: tab, newline and carriage return as \t, \n and \r, other C0
// characters and DEL as \xNN, C1 characters (U+0080-U+009F, which some
// terminals obey as escape sequence introducers) as \u0080-\u009f, and
// bytes that are not valid UTF-8 as \xNN. An ANSI escape sequence thus
// shows as \x1b[31m and does nothing. A backslash is left alone, so
// Windows paths stay readable; the result is for eyes, not for parsing
// back. Text without such characters is returned as it is, unallocated.
func Escape(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			writeHex(&b, s[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			writeHex(&b, byte(r))
		case r >= 0x80 && r <= 0x9f:
			b.WriteString(`\u00`)
			b.WriteString(strconv.FormatInt(int64(r), 16))
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Line is Escape for one line of a table: the same, except that a tab
// stays a tab, since tables align on it.
func Line(s string) string {
	if !strings.Contains(s, "\t") {
		return Escape(s)
	}
	parts := strings.Split(s, "\t")
	for i, p := range parts {
		parts[i] = Escape(p)
	}
	return strings.Join(parts, "\t")
}

// Safe reports whether s prints as it is: no control characters and
// valid UTF-8.
func Safe(s string) bool { return firstUnsafe(s) < 0 }

func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || r >= 0x80 && r <= 0x9f {
			return i
		}
		i += n
	}
	return -1
}

func writeHex(b *strings.Builder, c byte) {
	const digits = "0123456789abcdef"
	b.WriteString(`\x`)
	b.WriteByte(digits[c>>4])
	b.WriteByte(digits[c&0xf])
}
