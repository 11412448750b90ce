package clusterlog

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

// BenchmarkParse measures throughput on about 8 MiB of 2016+ log made by
// repeating the project's own fixture.
func BenchmarkParse(b *testing.B) {
	benchFile(b, filepath.Join(fixtures.Dir(), "clusterlogs", "node1-2016-cluster.log"))
}

// BenchmarkParse2003 does the same with the 2003 fixture.
func BenchmarkParse2003(b *testing.B) {
	benchFile(b, filepath.Join(fixtures.Dir(), "clusterlogs", "node1-2003-cluster.log"))
}

// BenchmarkParseChatty measures the common case: routine trace lines with
// an interesting one now and then, as in a real 2008+ log.
func BenchmarkParseChatty(b *testing.B) {
	routine := []string{
		"00000a10.00000b18::2024/03/01-10:00:01.233 INFO  [GUM] Node 1: executing request locally, gumId:2215, my action: /dm/update, # of updates: 1\r\n",
		"00000a10.00000b18::2024/03/01-10:00:01.234 DBG   [NM] Received message from node 2, sequence 55121\r\n",
		"00000b70.00000b74::2024/03/01-10:00:01.235 INFO  [RES] Physical Disk <Cluster Disk 1>: VolumeIsAlive: health check passed\r\n",
		"00000a10.00000b18::2024/03/01-10:00:01.236 INFO  [RCM] rcm::RcmApi::GetResourceState: (Cluster Name)\r\n",
		"00000a10.00000c04::2024/03/01-10:00:01.237 INFO  [DCM] checking volume state for disk 1, status 0\r\n",
	}
	rare := "00000a10.00000b2c::2024/03/01-10:20:14.528 INFO  [RCM] move of group Cluster Group from NODE2(2) to NODE1(1) of type MoveType::NodeDown is about to succeed, failoverCount=1, lastFailoverTime=2024/03/01-10:00:01.249 targeted=false\r\n"
	var buf bytes.Buffer
	for i := 0; buf.Len() < 8<<20; i++ {
		if i%50 == 49 {
			buf.WriteString(rare)
		} else {
			buf.WriteString(routine[i%len(routine)])
		}
	}
	benchData(b, buf.Bytes())
}

func benchFile(b *testing.B, path string) {
	one := parsetest.ReadFile(b, path)
	benchData(b, bytes.Repeat(one, (8<<20)/len(one)+1))
}

func benchData(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in := parsetest.Bytes("bench.log", data)
		n := 0
		if err := (Parser{}).Parse(context.Background(), in, &parse.Report{}, func(*parse.Event) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatal("no events")
		}
	}
}
