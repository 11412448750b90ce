package parse

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Environment variables that raise the text budgets. They are read once,
// when the program starts; bundle.Options.FromEnv reads the archive ones.
const (
	EnvMaxLineBytes  = "EXLOG_MAX_LINE_BYTES"
	EnvMaxValueBytes = "EXLOG_MAX_VALUE_BYTES"
)

// Text budgets: what passes them is kept up to the budget and the rest
// dropped, with a problem in the file's Report.
var (
	// MaxLineBytes bounds one physical line of a text log (default 1 MiB;
	// EXLOG_MAX_LINE_BYTES).
	MaxLineBytes = envSize(EnvMaxLineBytes, 1<<20)
	// MaxValueBytes bounds the text of one registry value, joined from
	// its lines (default 1 MiB; EXLOG_MAX_VALUE_BYTES).
	MaxValueBytes = envSize(EnvMaxValueBytes, 1<<20)
)

// envSize reads a size from the environment; a variable that is unset or
// unreadable leaves def, with a warning for the latter.
func envSize(name string, def int) int {
	s, ok := os.LookupEnv(name)
	if !ok || strings.TrimSpace(s) == "" {
		return def
	}
	n, err := ParseSize(s)
	if err != nil || n <= 0 || n > 1<<40 {
		fmt.Fprintf(os.Stderr, "exlog: %s=%q ignored: not a size between 1 byte and 1 TiB\n", name, s)
		return def
	}
	return int(n)
}

// ParseSize reads a byte count such as 4294967296, 512MiB, 4G or 1.5GiB.
// K, M, G and T, with or without iB or B, are powers of 1024.
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{
		{"TIB", 1 << 40}, {"TB", 1 << 40}, {"T", 1 << 40},
		{"GIB", 1 << 30}, {"GB", 1 << 30}, {"G", 1 << 30},
		{"MIB", 1 << 20}, {"MB", 1 << 20}, {"M", 1 << 20},
		{"KIB", 1 << 10}, {"KB", 1 << 10}, {"K", 1 << 10},
		{"B", 1},
	} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("%q is negative", s)
		}
		if n > (1<<63-1)/mult {
			return 0, fmt.Errorf("%q is too large", s)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("%q is not a size (a number of bytes, or one with KiB, MiB, GiB or TiB)", s)
	}
	if f*float64(mult) >= 1<<63 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(f * float64(mult)), nil
}
