package eventlog

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// FormatSID writes a binary Windows security identifier (revision,
// sub-authority count, 48-bit big-endian identifier authority, 32-bit
// little-endian sub-authorities) in its S-1-5-21-... form; "" when b is too
// short to hold one. Both event log formats store SIDs this way.
func FormatSID(b []byte) string {
	if len(b) < 8 {
		return ""
	}
	count := int(b[1])
	if len(b) < 8+4*count {
		count = (len(b) - 8) / 4
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	var s strings.Builder
	s.WriteString("S-")
	s.WriteString(strconv.Itoa(int(b[0])))
	s.WriteString("-")
	s.WriteString(strconv.FormatUint(auth, 10))
	for i := 0; i < count; i++ {
		s.WriteString("-")
		s.WriteString(strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[8+4*i:])), 10))
	}
	return s.String()
}
