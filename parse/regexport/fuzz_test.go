package regexport

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/internal/fuzzopt"
	"github.com/exlog/exlog/parse/parsetest"
)

// corpusSeeds adds a few real text logs from the shared corpus, when it is
// there, so the fuzzer also starts from input that is not an export.
func corpusSeeds(f *testing.F) {
	for _, sub := range []string{"clusterlogs", "setuplogs"} {
		for _, name := range parsetest.CorpusFiles(sub, "*.log", 3) {
			b, err := os.ReadFile(name)
			if err != nil {
				continue
			}
			if len(b) > 16<<10 {
				b = b[:16<<10]
			}
			f.Add(b)
			// The same text behind a header reaches the value parser.
			f.Add(append([]byte("REGEDIT4\r\n"), b...))
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"node1-cluster-hive.reg", "node1-exchange-v8.reg", "all-value-types.reg"} {
		b := fx.Read(f, name)
		f.Add(b)
	}
	for _, s := range []string{
		"REGEDIT4\n[HKLM\\Cluster\\Groups\\g]\n\"Name\"=\"x\"\n\"A\"=hex(7):41,00,00,\\\n",
		"Windows Registry Editor Version 5.00\n[-HKEY_USERS\\x]\n@=\"a\\\"\n\"b\"=hex(ffffffffffffffff):00\n",
		"REGEDIT4\n[\n]\n\"\"=-\n\"q\"=qword:ffffffffffffffffff\n",
	} {
		f.Add([]byte(s))
	}
	corpusSeeds(f)
	fuzzopt.QuickMinimize()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, e := range parsetest.FuzzLines(t, Parser{}, parsetest.NodeBytes("fuzz.reg", data, "N"), data) {
			if e.Field("key") == "" {
				t.Fatalf("event without key: %+v", e)
			}
		}
	})
}

// bigExport builds a cluster hive export of about n bytes of text.
func bigExport(n int) string {
	var b strings.Builder
	b.WriteString("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\Cluster]\r\n\"ClusterName\"=\"BENCH\"\r\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "\r\n[HKEY_LOCAL_MACHINE\\Cluster\\Resources\\%08x-0000-4000-8000-000000000000]\r\n", i)
		fmt.Fprintf(&b, "\"Type\"=\"Physical Disk\"\r\n\"RestartThreshold\"=dword:00000003\r\n\"RestartPeriod\"=dword:000dbba0\r\n")
		fmt.Fprintf(&b, "\"PossibleOwners\"=hex(7):31,00,00,00,32,00,00,00,33,00,00,00,34,00,00,00,35,00,00,00,36,00,\\\r\n  00,00,00,00\r\n")
		fmt.Fprintf(&b, "\"Name\"=\"Disk %d\"\r\n\"Description\"=\"C:\\\\ClusterStorage\\\\Volume%d\"\r\n", i, i)
	}
	return b.String()
}

func BenchmarkParse(b *testing.B) {
	text := bigExport(8 << 20)
	u16 := []byte{0xFF, 0xFE}
	for _, r := range text {
		u16 = append(u16, byte(r), byte(r>>8))
	}
	for _, c := range []struct {
		name string
		data []byte
	}{{"ansi", []byte(text)}, {"utf16le", u16}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				n := 0
				err := Parser{}.Parse(context.Background(), parsetest.Bytes("bench.reg", c.data), &parse.Report{}, func(*parse.Event) error {
					n++
					return nil
				})
				if err != nil || n == 0 {
					b.Fatal(err, n)
				}
			}
		})
	}
}
