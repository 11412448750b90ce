package bundle

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/bundle/hostile"
	"github.com/exlog/exlog/parse/internal/fuzzopt"
)

// FuzzWalkZip feeds arbitrary bytes as a .zip bundle through the walker
// and the per-file driver: nothing may panic, hang or run past the limits.
func FuzzWalkZip(f *testing.F) {
	dir := f.TempDir()
	nested, err := os.ReadFile(collectorBundle(f, dir))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(nested)
	f.Add(nested[:len(nested)*2/3]) // central directory cut off
	simple := zipBytes(f, zf{name: "a.log", data: lines(20, "a")}, zf{name: "b.log", data: lines(3, "b"), store: true})
	f.Add(simple)
	var raw bytes.Buffer
	rz := newRawZip(&raw)
	rz.add(f, zf{name: "c.log", data: lines(30, "c")})
	rz.add(f, zf{name: "../d.log", data: []byte("LINE d\n"), store: true})
	f.Add(raw.Bytes())
	f.Add(zipBytes(f, zf{name: "t.tgz", data: gzBytes(f, tarBytes(f, tf{name: "x/y.log", data: lines(4, "y")}, tf{name: "l", typ: '2', link: "/etc"}))}))
	f.Add(gzBytes(f, simple))
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	// Small versions of the hostile cases.
	log := hostile.SetupLog(40)
	cutZip, cutTgz := hostile.Cut(log, 0.5)
	linkZip, linkTar := hostile.Links(log)
	timeZip, timeTgz := hostile.TimeBomb(log)
	for _, b := range [][]byte{hostile.Overlap(4, 1<<20), hostile.DeclaredSize(1<<40, 30), hostile.Deep(10, log),
		hostile.BadCRC(log), cutZip, cutTgz, linkZip, linkTar, timeZip, timeTgz, hostile.Slip(log), hostile.Many(20)} {
		f.Add(b)
	}
	// Real setup logs, zipped in memory when the shared corpus is there.
	if logs, err := filepath.Glob(filepath.Join(fixtures.RepoRoot(), "..", "shared", "corpus", "setuplogs", "*.log")); err == nil && len(logs) > 0 {
		var files []zf
		for _, p := range logs[:min(3, len(logs))] {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			files = append(files, zf{name: "EXCH1/ExchangeSetupLogs/" + filepath.Base(p), data: b})
		}
		f.Add(zipBytes(f, files...))
	}

	fuzzopt.QuickMinimize()
	f.Fuzz(func(t *testing.T, data []byte) {
		o := Options{MaxTotalBytes: 64 << 20, MaxNestedBytes: 8 << 20, RatioMinBytes: 1 << 20, MaxBufferedBytes: 1 << 20}.withDefaults()
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		w := &walker{ctx: ctx, opt: &o, budget: &budget{max: o.MaxTotalBytes}}
		d := &driver{ctx: ctx, cancel: cancel, parsers: []parse.Parser{lineParser{"lines", ""}}, mem: newMemGate(o.MaxBufferedBytes),
			emit: func(*parse.Event) error { return nil }}
		src := bytesSource(data)
		b := &blob{path: "fuzz.zip", node: "fuzz.zip", size: src.size(), src: src,
			open: func() (io.ReadCloser, error) { return openStream(src, "fuzz.zip") }}
		err := w.blob(b, func(it *item) error {
			rep := d.file(it.in, it.live != nil)
			if rep.Path != it.in.Path || rep.Status == "" {
				t.Errorf("bad report %+v", rep)
			}
			return nil
		})
		if err != nil {
			t.Errorf("walk: %v", err)
		}
	})
}
