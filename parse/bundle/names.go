package bundle

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// cleanName turns an archive entry's stored name into a relative path with
// '/' separators. Windows tools (.NET Framework 4.5's ZipFile among them,
// which ExchangeLogCollector uses) write '\' separators, so those are
// accepted; what could point outside the archive if it were ever extracted
// is refused with the reason instead. dir reports a directory entry.
func cleanName(raw string) (name string, dir bool, unsafe string) {
	if strings.IndexByte(raw, 0) >= 0 {
		return "", false, "entry name contains a NUL byte; not read"
	}
	s := strings.ReplaceAll(raw, `\`, "/")
	dir = strings.HasSuffix(s, "/")
	if strings.HasPrefix(s, "/") {
		return "", dir, "entry name is an absolute path; not read"
	}
	if len(s) >= 2 && s[1] == ':' && isASCIILetter(s[0]) {
		return "", dir, "entry name starts with a drive letter; not read"
	}
	parts := strings.Split(s, "/")
	kept := parts[:0]
	for _, p := range parts {
		switch p {
		case "", ".":
			continue
		case "..":
			return "", dir, "entry name has a '..' component that would leave the archive; not read"
		}
		kept = append(kept, p)
	}
	if len(kept) == 0 {
		if dir {
			return "", true, ""
		}
		return "", false, "entry has an empty name; not read"
	}
	return strings.Join(kept, "/"), dir, ""
}

// decodeName makes a stored name valid UTF-8. Zip names without the UTF-8
// flag are in the DOS code page, which for the tools that write bundles is
// code page 437.
func decodeName(raw string) string {
	if utf8.ValidString(raw) {
		return raw
	}
	s, err := charmap.CodePage437.NewDecoder().String(raw)
	if err != nil {
		return strings.ToValidUTF8(raw, "\uFFFD")
	}
	return s
}

// shownName is a refused name made safe to print: control characters
// become '?' so a report cannot carry terminal escapes.
func shownName(raw string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, raw)
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
