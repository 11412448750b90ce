package regexport

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

// parseMeasured parses data and counts the bytes allocated meanwhile.
func parseMeasured(t *testing.T, data []byte) ([]*parse.Event, *parse.Report, uint64) {
	t.Helper()
	in := parsetest.Bytes("big.reg", data)
	rep := &parse.Report{}
	var evs []*parse.Event
	runtime.GC()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	err := Parser{}.Parse(context.Background(), in, rep, func(ev *parse.Event) error { evs = append(evs, ev); return nil })
	runtime.ReadMemStats(&b)
	if err != nil {
		t.Fatal(err)
	}
	return evs, rep, b.TotalAlloc - a.TotalAlloc
}

func utf16LE(s string) []byte {
	u := utf16.Encode([]rune(s))
	out := []byte{0xff, 0xfe}
	for _, c := range u {
		out = append(out, byte(c), byte(c>>8))
	}
	return out
}

// hexLines is n bytes of hex(t) data wrapped as regedit wraps it.
func hexLines(t string, n int) string {
	var b strings.Builder
	b.WriteString(`"big"=hex` + t + ":")
	for i := 0; i < n; i++ {
		b.WriteString("41")
		if i < n-1 {
			b.WriteString(",")
			if i%25 == 24 {
				b.WriteString("\\\r\n  ")
			}
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

// One value of 8 MiB is kept up to MaxValueBytes, costs memory in
// proportion to that budget, not to the value, and does not disturb the
// value after it.
func TestHugeValue(t *testing.T) {
	const head = "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Test]\r\n"
	const after = "\"after\"=dword:0000002a\r\n"
	multiline := `"big"="` + strings.Repeat(strings.Repeat("y", 900)+"\r\n", 9000) + "\"\r\n"
	cases := map[string][]byte{
		"binary, 8 MiB of text": []byte(Header4 + "\r\n\r\n" + head + hexLines("", (8<<20)/3) + after),
		"multi-sz, UTF-16":      utf16LE(Header5 + "\r\n\r\n" + head + hexLines("(7)", (8<<20)/3) + after),
		"string on 9000 lines":  []byte(Header5 + "\r\n\r\n" + head + multiline + after),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			evs, rep, alloc := parseMeasured(t, data)
			t.Logf("%d bytes in, %d MiB allocated", len(data), alloc>>20)
			if len(evs) != 2 || evs[1].Field("value_name") != "after" || evs[1].Field("value") != "42" {
				t.Fatalf("%d events", len(evs))
			}
			if v := evs[0].Field("value"); len(v) == 0 || len(v) > 2*parse.MaxValueBytes {
				t.Errorf("kept %d bytes of the big value", len(v))
			}
			if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].Reason, "EXLOG_MAX_VALUE_BYTES") || rep.Recovered != 1 {
				t.Errorf("problems %+v, recovered %d", rep.Problems, rep.Recovered)
			}
			if alloc > 40<<20 {
				t.Errorf("%d MiB allocated for one value", alloc>>20)
			}
		})
	}
}

// A hundred thousand small values cost a bounded number of bytes each.
func TestManyValues(t *testing.T) {
	var b strings.Builder
	b.WriteString(Header5 + "\r\n\r\n")
	for k := range 100 {
		fmt.Fprintf(&b, "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Test\\K%d]\r\n", k)
		for v := range 1000 {
			fmt.Fprintf(&b, "\"v%d\"=dword:%08x\r\n", v, v)
		}
	}
	evs, rep, alloc := parseMeasured(t, []byte(b.String()))
	if len(evs) != 100000 || len(rep.Problems) != 0 || evs[99999].Field("value") != "999" || evs[99999].Field("key") != `HKEY_LOCAL_MACHINE\SOFTWARE\Test\K99` {
		t.Fatalf("%d events, problems %+v", len(evs), rep.Problems)
	}
	if per := alloc / 100000; per > 1024 {
		t.Errorf("%d bytes allocated per value", per)
	}
}
