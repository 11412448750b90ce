package inventory

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/internal/fuzzopt"
	"github.com/exlog/exlog/parse/parsetest"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(fx.Path("*.txt"))
	parsetest.AddSeeds(f, 0, files...)
	for _, s := range []string{
		"Name  Id State\n----  -- -----\nA  12345678 Up\n   9\n",
		"Group Node Status\n----- ---- ------\nxxxxxxxxxxxxxxxxxxxx y z\n",
		"Name : a\n  b\nName : c\nState :\n",
		"a\n-\n\x1b[31mred\x1b[0m\n",
	} {
		f.Add([]byte(s))
	}
	// Real logs of other formats, when the shared corpus is there.
	parsetest.AddSeeds(f, 16<<10, parsetest.CorpusFiles("clusterlogs", "*.log", 3)...)
	parsetest.AddSeeds(f, 16<<10, parsetest.CorpusFiles("setuplogs", "*.log", 3)...)
	fuzzopt.QuickMinimize()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, e := range parsetest.FuzzLines(t, Parser{}, parsetest.NodeBytes("fuzz.txt", data, "N"), data) {
			if e.Field(parse.KeyInventory) == "" {
				t.Fatalf("event without inventory: %+v", e)
			}
		}
	})
}

// bigInventory builds about n bytes of Format-List groups and cluster.exe
// resource tables, the two costlier shapes.
func bigInventory(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "\r\nCluster           : EXCLU1\r\nOwnerNode         : NODE%d\r\nState             : Online\r\n", i%4)
		fmt.Fprintf(&b, "Name              : Group %d\r\nFailoverThreshold : 3\r\nFailoverPeriod    : 6\r\n", i)
		fmt.Fprintf(&b, "AutoFailbackType  : 0\r\nId                : %08x-0000-4000-8000-000000000000\r\n\r\n", i)
		b.WriteString("Resource             Group                Node            Status\r\n")
		b.WriteString("-------------------- -------------------- --------------- ------\r\n")
		for j := 0; j < 8; j++ {
			fmt.Fprintf(&b, "%-20s %-20s %-15s %s\r\n", fmt.Sprintf("Disk %d-%d", i, j), fmt.Sprintf("Group %d", i), "NODE1", "Online")
		}
		fmt.Fprintf(&b, "%-20s %-20s %-15s %s\r\n", fmt.Sprintf("Exchange Information Store %d", i), fmt.Sprintf("Group %d", i), "NODE2", "Failed")
	}
	return b.String()
}

func BenchmarkParse(b *testing.B) {
	data := []byte(bigInventory(4 << 20))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		n := 0
		err := Parser{}.Parse(context.Background(), parsetest.Bytes("bench.txt", data), &parse.Report{}, func(*parse.Event) error {
			n++
			return nil
		})
		if err != nil || n == 0 {
			b.Fatal(err, n)
		}
	}
}
