package index

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/exlog/exlog/index/internal/synth"
	"github.com/exlog/exlog/parse"
)

// benchQuestion is one question of the benchmark, asked of exlog's index
// and of ripgrep over the NDJSON export of the same events.
type benchQuestion struct {
	name string
	req  Request
	// hour asks for an hourly histogram instead of a search.
	hour bool
	// rg answers the same question with a shell pipeline; rgCount prints
	// the number of matching lines, to check both sides agree.
	rg, rgCount string
}

const benchWindow = `+time:>="2024-06-11T10:00:00Z" +time:<"2024-06-11T11:00:00Z"`

func benchQuestions(ndjson string) []benchQuestion {
	f := shellQuote(ndjson)
	// Lines start {"id":"…","time":"…": the 8th "-separated field is the time.
	byTime := ` | LC_ALL=C sort -t'"' -k8,8 | head -n 50`
	countValues := ` | awk '{c[$0]++} END {for (k in c) print c[k], k}' | sort -rn | head -n 10`
	hour := time.Date(2024, 6, 11, 10, 0, 0, 0, time.UTC)
	return []benchQuestion{
		{
			name: "selective-field", req: Request{Query: Query{Nodes: []string{"EXCH07"}, EventIDs: []IDRange{{1069, 1069}}}, Limit: 50},
			rg:      `rg '"node":"EXCH07".*"event_id":1069,' ` + f + byTime,
			rgCount: `rg -c '"node":"EXCH07".*"event_id":1069,' ` + f,
		},
		{
			name: "phrase", req: Request{Query: Query{Text: `"could not be brought online"`}, Limit: 50},
			rg:      `rg -i -F 'could not be brought online' ` + f + byTime,
			rgCount: `rg -c -i -F 'could not be brought online' ` + f,
		},
		{
			name: "hour-window-by-time", req: Request{Query: Query{Since: hour, Until: hour.Add(time.Hour)}, Limit: 50},
			rg:      `rg '"time":"2024-06-11T10:' ` + f + byTime,
			rgCount: `rg -c '"time":"2024-06-11T10:' ` + f,
		},
		{
			name: "hour-window-query-string", req: Request{Query: Query{Text: benchWindow}, Limit: 50},
		},
		{
			name: "facet-filtered", req: Request{Query: Query{Nodes: []string{"EXCH03"}, Levels: []string{"error"}}, Facets: []string{"event_id"}},
			rg:      `rg '"node":"EXCH03".*"level":"error"' ` + f + ` | rg -o '"event_id":[0-9]+'` + countValues,
			rgCount: `rg -c '"node":"EXCH03".*"level":"error"' ` + f,
		},
		{
			name: "facet-everything", req: Request{Facets: []string{"event_id"}},
			rg:      `rg -o '"event_id":[0-9]+' ` + f + countValues,
			rgCount: `wc -l < ` + f,
		},
		{
			name: "regexp", req: Request{Query: Query{Text: `message:/0x8007[0-9a-f]+/`}, Limit: 50},
			rg:      `rg -i '0x8007[0-9a-f]+' ` + f + byTime,
			rgCount: `rg -c -i '0x8007[0-9a-f]+' ` + f,
		},
		{
			name: "histogram-hour-errors", req: Request{Query: Query{Levels: []string{"error"}}}, hour: true,
			rg:      `rg '"level":"error"' ` + f + ` | rg -o '"time":"[0-9-]+T[0-9]{2}' | awk '{c[$0]++} END {for (k in c) print c[k], k}' | sort -k2`,
			rgCount: `rg -c '"level":"error"' ` + f,
		},
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// BenchmarkSearch measures query latency on a large index and, in the
// same run, ripgrep answering the same questions over an NDJSON export of
// the same events. Building a 1M-event index takes minutes, so it runs
// only when EXLOG_BENCH_EVENTS is set (index/bench.sh sets it); the index
// and the export are kept in EXLOG_BENCH_DIR (default <tmp>/exlog-bench)
// and reused by later runs.
func BenchmarkSearch(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("EXLOG_BENCH_EVENTS"))
	if n <= 0 {
		b.Skip("set EXLOG_BENCH_EVENTS (e.g. 1000000) or run index/bench.sh")
	}
	dir := os.Getenv("EXLOG_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "exlog-bench")
	}
	idxPath, ndjson := benchData(b, dir, n)
	start := time.Now()
	s, err := OpenSet(idxPath)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	fmt.Printf("# open: %s\n", time.Since(start).Round(time.Millisecond))
	_, rgErr := exec.LookPath("rg")
	ctx := context.Background()

	for _, q := range benchQuestions(ndjson) {
		b.Run("exlog/"+q.name, func(b *testing.B) {
			var hits, top float64
			for b.Loop() {
				if q.hour {
					h, err := s.Histogram(ctx, &q.req.Query, time.Hour)
					if err != nil {
						b.Fatal(err)
					}
					hits, top = float64(h.Total), 0
					for _, bk := range h.Buckets {
						if bk.Count > 0 {
							top++ // hours with matches, as rg counts them
						}
					}
					continue
				}
				req := q.req
				res, err := s.Search(ctx, &req)
				if err != nil {
					b.Fatal(err)
				}
				hits = float64(res.Total)
				if len(res.Facets) > 0 && len(res.Facets[0].Values) > 0 {
					top = float64(res.Facets[0].Values[0].Count)
				}
			}
			b.ReportMetric(hits, "hits")
			if top > 0 {
				b.ReportMetric(top, "top")
			}
		})
		if q.name == "hour-window-query-string" {
			// For the record: bleve's own parse of the same string, two
			// half-open ranges ANDed, without exlog's rewrite.
			b.Run("bleve-unrewritten/"+q.name, func(b *testing.B) {
				var hits float64
				for b.Loop() {
					req := bleve.NewSearchRequestOptions(bleve.NewQueryStringQuery(benchWindow), 50, 0, false)
					req.SortBy([]string{"time", "_id"})
					req.Fields = []string{"*"}
					res, err := s.alias.Search(req)
					if err != nil {
						b.Fatal(err)
					}
					hits = float64(res.Total)
				}
				b.ReportMetric(hits, "hits")
			})
		}
		if q.rg == "" {
			continue
		}
		b.Run("rg/"+q.name, func(b *testing.B) {
			if rgErr != nil {
				b.Skip("ripgrep (rg) is not installed")
			}
			count, err := exec.Command("sh", "-c", q.rgCount).Output()
			if err != nil {
				b.Fatalf("%s: %v", q.rgCount, err)
			}
			var top float64
			for b.Loop() {
				out, err := exec.Command("sh", "-c", q.rg).Output()
				if err != nil {
					b.Fatalf("%s: %v", q.rg, err)
				}
				if strings.HasPrefix(q.name, "facet") || strings.HasPrefix(q.name, "histogram") {
					lines := strings.Split(strings.TrimSpace(string(out)), "\n")
					if strings.HasPrefix(q.name, "facet") {
						f := strings.Fields(lines[0])
						top, _ = strconv.ParseFloat(f[0], 64)
					} else {
						top = float64(len(lines))
					}
				}
			}
			c, _ := strconv.ParseFloat(strings.TrimSpace(string(count)), 64)
			b.ReportMetric(c, "hits")
			if top > 0 {
				b.ReportMetric(top, "top")
			}
		})
	}
}

// benchData returns the index and NDJSON export of n synthetic events,
// building them when they are not in dir yet. Both are written aside and
// renamed into place, so an interrupted build is never mistaken for one.
func benchData(b *testing.B, dir string, n int) (idx, ndjson string) {
	const version = "v1" // change with the generator
	idx = filepath.Join(dir, fmt.Sprintf("bench-%d-%s%s", n, version, Suffix))
	ndjson = filepath.Join(dir, fmt.Sprintf("bench-%d-%s.ndjson", n, version))
	_, e1 := os.Stat(idx)
	_, e2 := os.Stat(ndjson)
	if e1 == nil && e2 == nil {
		fmt.Printf("# reusing %s (%s) and %s (%s)\n", idx, mb(dirSize(idx)), ndjson, mb(dirSize(ndjson)))
		return idx, ndjson
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	os.RemoveAll(idx)
	start := time.Now()
	w, err := Create(idx)
	if err != nil {
		b.Fatal(err)
	}
	tmp := ndjson + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	count := 0
	// The export has the shape of exlog parse --format ndjson.
	type line struct {
		ID string `json:"id"`
		*parse.Event
	}
	for e := range synth.Events(synth.Config{Events: n, Seed: 1}) {
		w.Add(e)
		if err := enc.Encode(line{e.ID(), e}); err != nil {
			b.Fatal(err)
		}
		count++
	}
	if err := w.SetMeta(map[string]any{"bundle": "CASE-BENCH"}); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, ndjson); err != nil {
		b.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(idx, "store", "*.zap"))
	fmt.Printf("# built %d events in %s (%.0f events/s): index %s in %d segments, NDJSON %s\n",
		count, took.Round(time.Second), float64(count)/took.Seconds(), mb(dirSize(idx)), len(segs), mb(dirSize(ndjson)))
	return idx, ndjson
}

func dirSize(path string) int64 {
	var n int64
	filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func mb(n int64) string { return fmt.Sprintf("%.0f MB", float64(n)/1e6) }
