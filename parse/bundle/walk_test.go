package bundle

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
)

var appMod = time.Date(2024, 3, 20, 23, 59, 58, 0, time.UTC)

// collectorBundle writes a bundle shaped like ExchangeLogCollector's
// output: a zip of per-server zips, three zips deep, stored and deflated.
func collectorBundle(t testing.TB, dir string) string {
	t.Helper()
	winLogs := zipBytes(t, zf{name: "Application.log", data: lines(5, "app"), mod: appMod})
	cluster := zipBytes(t,
		zf{name: "EXCH1_cluster.log", data: lines(3, "c1")},
		zf{name: "EXCH2_cluster.log", data: []byte("LINE from two\nnode=EXCH9\nnode=EXCH9\n")},
	)
	exch1 := zipBytes(t,
		zf{name: "ExchangeLogCollector-Instance-Debug.txt", data: []byte("LINE debug\n")},
		zf{name: `Windows_Event_Logs\Windows-Logs.zip`, data: winLogs}, // .NET 4.5 separators
		zf{name: "Cluster_Information.zip", data: cluster},
		zf{name: "Exchange_Server_Data/EXCH1_GCM.txt", data: lines(200, "gcm"), store: true},
	)
	exch2 := zipBytes(t,
		zf{name: "ExchangeSetupLogs/ExchangeSetup.log", data: lines(100, "setup")},
		zf{name: "Exchange_Server_Data/EXCH2_GCM.txt", data: lines(200, "gcm"), store: true},
	)
	outer := zipBytes(t,
		zf{name: "EXCH1-321.zip", data: exch1, store: true},
		zf{name: "EXCH2-1225-2.zip", data: exch2},
		zf{name: "readme.txt", data: []byte("hello\n")},
		zf{name: "empty.log"},
	)
	p := filepath.Join(dir, "bundle.zip")
	writeFile(t, p, outer)
	return p
}

func TestNestedZip(t *testing.T) {
	root := collectorBundle(t, t.TempDir())
	res := runParse(t, []string{root}, Options{Workers: 2})

	const e1 = "EXCH1-321.zip!/"
	tests := []struct {
		path, status, node, format string
		events                     int
		size                       int64
		errText                    string
	}{
		{e1 + "Cluster_Information.zip!/EXCH1_cluster.log", parse.StatusOK, "EXCH1", "lines", 3, int64(len(lines(3, "c1"))), ""},
		// Two of its three events say EXCH9 in their content.
		{e1 + "Cluster_Information.zip!/EXCH2_cluster.log", parse.StatusOK, "EXCH9", "lines", 3, 36, ""},
		{e1 + "ExchangeLogCollector-Instance-Debug.txt", parse.StatusOK, "EXCH1", "lines", 1, 11, ""},
		{e1 + "Exchange_Server_Data/EXCH1_GCM.txt", parse.StatusOK, "EXCH1", "lines", 200, int64(len(lines(200, "gcm"))), ""},
		{e1 + "Windows_Event_Logs/Windows-Logs.zip!/Application.log", parse.StatusOK, "EXCH1", "lines", 5, int64(len(lines(5, "app"))), ""},
		{"EXCH2-1225-2.zip!/ExchangeSetupLogs/ExchangeSetup.log", parse.StatusOK, "EXCH2", "lines", 100, int64(len(lines(100, "setup"))), ""},
		{"EXCH2-1225-2.zip!/Exchange_Server_Data/EXCH2_GCM.txt", parse.StatusOK, "EXCH2", "lines", 200, int64(len(lines(200, "gcm"))), ""},
		{"empty.log", parse.StatusUnknown, "", "", 0, 0, "empty file"},
		{"readme.txt", parse.StatusUnknown, "", "", 0, 6, "no parser recognised the content"},
	}
	if len(res.reports) != len(tests) {
		for _, r := range res.reports {
			t.Logf("%s %s %s", r.Path, r.Status, r.Error)
		}
		t.Fatalf("got %d reports, want %d", len(res.reports), len(tests))
	}
	for i, tt := range tests {
		r := res.get(t, tt.path)
		if res.reports[i] != r {
			t.Errorf("report %d is %s, want %s", i, res.reports[i].Path, tt.path)
		}
		if r.Status != tt.status || r.Node != tt.node || r.Format != tt.format || r.Events != tt.events || r.Size != tt.size || r.Error != tt.errText {
			t.Errorf("%s: got status=%s node=%s format=%s events=%d size=%d error=%q\nwant status=%s node=%s format=%s events=%d size=%d error=%q",
				tt.path, r.Status, r.Node, r.Format, r.Events, r.Size, r.Error, tt.status, tt.node, tt.format, tt.events, tt.size, tt.errText)
		}
		if got := len(res.events[tt.path]); got != tt.events {
			t.Errorf("%s: %d events emitted, want %d", tt.path, got, tt.events)
		}
	}
	app := res.events[e1+"Windows_Event_Logs/Windows-Logs.zip!/Application.log"]
	for i, ev := range app {
		if ev.Line != i+1 || ev.Node != "EXCH1" || ev.File != e1+"Windows_Event_Logs/Windows-Logs.zip!/Application.log" {
			t.Errorf("event %d: line=%d node=%s file=%s", i, ev.Line, ev.Node, ev.File)
		}
	}
	if got := app[2].Message; got != "LINE app xxx" {
		t.Errorf("third Application.log line = %q", got)
	}
	// The first line of EXCH2_cluster.log says nothing of its node, so it
	// gets the layout's.
	if n := res.events[e1+"Cluster_Information.zip!/EXCH2_cluster.log"][0].Node; n != "EXCH2" {
		t.Errorf("EXCH2_cluster.log line 1 node = %s, want EXCH2", n)
	}
}

func TestWalkNestedZip(t *testing.T) {
	root := collectorBundle(t, t.TempDir())
	ins := walkAll(t, root, Options{})
	var paths []string
	for _, in := range ins {
		paths = append(paths, in.Path)
	}
	want := []string{
		"EXCH1-321.zip!/Cluster_Information.zip!/EXCH1_cluster.log",
		"EXCH1-321.zip!/Cluster_Information.zip!/EXCH2_cluster.log",
		"EXCH1-321.zip!/ExchangeLogCollector-Instance-Debug.txt",
		"EXCH1-321.zip!/Exchange_Server_Data/EXCH1_GCM.txt",
		"EXCH1-321.zip!/Windows_Event_Logs/Windows-Logs.zip!/Application.log",
		"EXCH2-1225-2.zip!/ExchangeSetupLogs/ExchangeSetup.log",
		"EXCH2-1225-2.zip!/Exchange_Server_Data/EXCH2_GCM.txt",
		"empty.log",
		"readme.txt",
	}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Fatalf("visit order:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
	app := ins[4]
	if !app.ModTime.Equal(appMod) {
		t.Errorf("Application.log ModTime = %v, want %v", app.ModTime, appMod)
	}
	// Open gives a fresh, complete stream every time.
	for range 2 {
		b, err := readInput(t, app)
		if err != nil || !bytes.Equal(b, lines(5, "app")) {
			t.Fatalf("Application.log read = %q, %v", b, err)
		}
	}
}

// A stored nested zip is read in place, so a tiny memory allowance does
// not stop it, while a deflated one over the allowance is refused.
func TestNestedMemoryLimit(t *testing.T) {
	root := collectorBundle(t, t.TempDir())
	res := runParse(t, []string{root}, Options{MaxNestedBytes: 2 << 10})
	if r := res.get(t, "EXCH1-321.zip!/Exchange_Server_Data/EXCH1_GCM.txt"); r.Status != parse.StatusOK || r.Events != 200 {
		t.Errorf("stored nested zip: %s, %d events, %s", r.Status, r.Events, r.Error)
	}
	// Over the limit, the archive is read up to it: the entries whose
	// local headers lie in its first 2 KiB are recovered.
	r := res.get(t, "EXCH2-1225-2.zip")
	if r.Status != parse.StatusPartial || !strings.Contains(r.Error, "larger than the 2 KiB allowed (Options.MaxNestedBytes, EXLOG_MAX_NESTED_BYTES); only its first 2 KiB are read") ||
		!strings.Contains(r.Error, "2 entries recovered from their local headers") || r.Format != "zip" || r.Node != "EXCH2" {
		t.Errorf("deflated nested zip over the limit: status %s format %q node %q error %q", r.Status, r.Format, r.Node, r.Error)
	}
	for _, r := range res.reports {
		if strings.HasPrefix(r.Path, "EXCH2-1225-2.zip!/") {
			t.Logf("%s %s %d %s", r.Path, r.Status, r.Events, r.Error)
		}
	}
}

func TestUnsafeNames(t *testing.T) {
	dir := t.TempDir()
	bundleDir := filepath.Join(dir, "bundle")
	z := zipBytes(t,
		zf{name: "../evil.log", data: []byte("LINE evil\n")},
		zf{name: "/abs.log", data: []byte("LINE abs\n")},
		zf{name: `C:\Windows\win.log`, data: []byte("LINE drive\n")},
		zf{name: `ok\..\..\up.log`, data: []byte("LINE up\n")},
		zf{name: `\\server\share\unc.log`, data: []byte("LINE unc\n")},
		zf{name: "nul\x00byte.log", data: []byte("LINE nul\n")},
		zf{name: `ok\sub\fine.log`, data: []byte("LINE fine\n")},
		zf{name: "./dot/x.log", data: []byte("LINE dot\n")},
	)
	tb := tarBytes(t, tf{name: "../../tar-evil.log", data: []byte("LINE t\n")}, tf{name: "good.log", data: []byte("LINE g\n")})
	writeFile(t, filepath.Join(bundleDir, "a.zip"), z)
	writeFile(t, filepath.Join(bundleDir, "b.tar"), tb)
	before := snapshot(t, dir)

	res := runParse(t, []string{bundleDir}, Options{})
	rejected := map[string]string{
		"a.zip!/../evil.log":            "'..' component",
		"a.zip!//abs.log":               "absolute path",
		`a.zip!/C:\Windows\win.log`:     "drive letter",
		`a.zip!/ok\..\..\up.log`:        "'..' component",
		`a.zip!/\\server\share\unc.log`: "absolute path",
		"a.zip!/nul?byte.log":           "NUL byte",
		"b.tar!/../../tar-evil.log":     "'..' component",
	}
	for p, why := range rejected {
		r := res.get(t, p)
		if r.Status != parse.StatusRejected || !strings.Contains(r.Error, why) || r.Events != 0 {
			t.Errorf("%s: status %s, error %q; want rejected for %q", p, r.Status, r.Error, why)
		}
		if len(res.events[p]) != 0 {
			t.Errorf("%s was parsed", p)
		}
	}
	for _, p := range []string{"a.zip!/ok/sub/fine.log", "a.zip!/dot/x.log", "b.tar!/good.log"} {
		if r := res.get(t, p); r.Status != parse.StatusOK || r.Events != 1 {
			t.Errorf("%s: %s, %d events", p, r.Status, r.Events)
		}
	}
	if len(res.reports) != len(rejected)+3 {
		t.Errorf("%d reports, want %d", len(res.reports), len(rejected)+3)
	}
	if after := snapshot(t, dir); after != before {
		t.Errorf("the file system changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// snapshot lists a tree with sizes, modes and modification times.
func snapshot(t testing.TB, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(rel + " " + fi.Mode().String() + " " + fi.ModTime().Format(time.RFC3339Nano) + " ")
		if fi.Mode().IsRegular() {
			b.WriteString(string(rune('0' + fi.Size()%10)))
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestBomb(t *testing.T) {
	dir := t.TempDir()
	zeros := make([]byte, 100<<20)
	copy(zeros, "LINE of a bomb\n")
	writeFile(t, filepath.Join(dir, "bomb.zip"), zipBytes(t, zf{name: "zeros.log", data: zeros}, zf{name: "fine.log", data: lines(10, "ok")}))
	writeFile(t, filepath.Join(dir, "zeros.log.gz"), gzBytes(t, zeros))

	// Deflate squeezes zeros about 1028:1; the 64 MiB minimum is lowered
	// so the check fires after 1 MiB.
	opt := Options{RatioMinBytes: 1 << 20}
	res := runParse(t, []string{dir}, opt)
	r := res.get(t, "bomb.zip!/zeros.log")
	want := "bomb.zip!/zeros.log: compression ratio above 200:1 after 1 MiB; refusing a possible archive bomb (Options.MaxRatio, EXLOG_MAX_RATIO); the entry was read up to that point"
	if r.Status != parse.StatusRejected || !strings.HasPrefix(r.Error, want) || r.Events != 2 {
		t.Errorf("bomb: status %s error %q; want rejected %q", r.Status, r.Error, want)
	}
	if r := res.get(t, "bomb.zip!/fine.log"); r.Status != parse.StatusOK || r.Events != 10 {
		t.Errorf("fine.log beside the bomb: %s %d", r.Status, r.Events)
	}
	r = res.get(t, "zeros.log.gz!/zeros.log")
	if want := "zeros.log.gz: compression ratio above 200:1 after 1 MiB; refusing a possible archive bomb (Options.MaxRatio, EXLOG_MAX_RATIO)"; r.Status != parse.StatusRejected || !strings.HasPrefix(r.Error, want) {
		t.Errorf("gzip bomb: status %s error %q; want rejected %q", r.Status, r.Error, want)
	}

	// Through Walk, reading the entry stops with an *EntryError.
	for _, in := range walkAll(t, dir, opt) {
		if in.Path != "bomb.zip!/zeros.log" {
			continue
		}
		n, err := readInput(t, in)
		var ee *EntryError
		if !errors.As(err, &ee) || ee.Status != parse.StatusRejected || len(n) > 2<<20 {
			t.Errorf("reading the bomb: %d bytes, %v", len(n), err)
		}
	}

	// Zeros deflate about 1028:1, so the default limit (200:1) catches them
	// after 64 MiB; a looser ratio lets the entry be read in full.
	res = runParse(t, []string{dir}, Options{})
	// Whichever ratio bound comes first: the entry's, or its archive's
	// (200 times its 100 KB, so the 64 MiB floor).
	if r := res.get(t, "bomb.zip!/zeros.log"); r.Status != parse.StatusRejected || !strings.Contains(r.Error, "refusing a possible archive bomb (Options.MaxRatio, EXLOG_MAX_RATIO); the entry was read up to that point (64 MiB)") {
		t.Errorf("default limits: %s %q", r.Status, r.Error)
	}
	res = runParse(t, []string{dir}, Options{MaxRatio: 2000})
	for _, p := range []string{"bomb.zip!/zeros.log", "zeros.log.gz!/zeros.log"} {
		if r := res.get(t, p); r.Status != parse.StatusOK || r.Events != 2 || r.Size != 100<<20 {
			t.Errorf("%s under a looser ratio: %s %d events, size %d, %s", p, r.Status, r.Events, r.Size, r.Error)
		}
	}
}

func TestTotalBudget(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "many.zip"), zipBytes(t,
		zf{name: "a.log", data: lines(3000, "a")},
		zf{name: "b.log", data: lines(3000, "b")},
		zf{name: "c.log", data: lines(3000, "c")},
	))
	size := int64(len(lines(3000, "a")))
	res := runParse(t, []string{dir}, Options{Workers: 1, MaxTotalBytes: size + size/2})
	if r := res.get(t, "many.zip!/a.log"); r.Status != parse.StatusOK || r.Events != 3000 {
		t.Errorf("a.log, within the budget: %s %d %s", r.Status, r.Events, r.Error)
	}
	for _, p := range []string{"many.zip!/b.log", "many.zip!/c.log"} {
		r := res.get(t, p)
		if r.Status != parse.StatusRejected || !strings.Contains(r.Error, "decompressed from the bundle in total; refusing a possible archive bomb (Options.MaxTotalBytes, EXLOG_MAX_TOTAL_BYTES)") {
			t.Errorf("%s past the budget: %s %q", p, r.Status, r.Error)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	dir := t.TempDir()
	l3 := zipBytes(t, zf{name: "deep.log", data: []byte("LINE deep\n")})
	l2 := zipBytes(t, zf{name: "l3.zip", data: l3})
	l1 := zipBytes(t, zf{name: "l2.zip", data: l2, store: true}, zf{name: "shallow.log", data: []byte("LINE s\n")})
	writeFile(t, filepath.Join(dir, "l1.zip"), l1)

	res := runParse(t, []string{dir}, Options{MaxDepth: 2})
	r := res.get(t, "l1.zip!/l2.zip!/l3.zip")
	if r.Status != parse.StatusRejected || !strings.Contains(r.Error, "archive nested 3 deep, more than the 2 allowed (Options.MaxDepth)") {
		t.Errorf("third level: %s %q", r.Status, r.Error)
	}
	if r := res.get(t, "l1.zip!/shallow.log"); r.Status != parse.StatusOK {
		t.Errorf("shallow.log: %s", r.Status)
	}
	res = runParse(t, []string{dir}, Options{})
	if r := res.get(t, "l1.zip!/l2.zip!/l3.zip!/deep.log"); r.Status != parse.StatusOK || r.Events != 1 {
		t.Errorf("deep.log under the default depth: %s", r.Status)
	}
}

func tgzBundle(t testing.TB, dir string) string {
	t.Helper()
	inner := zipBytes(t, zf{name: "System.log", data: lines(7, "sys")})
	tb := tarBytes(t,
		tf{name: "./", typ: '5'},
		tf{name: "./EXCH1/ExchangeSetupLogs/ExchangeSetup.log", data: lines(40, "setup")},
		tf{name: "./EXCH1/Windows_Event_Logs/Windows-Logs.zip", data: inner},
		tf{name: "./EXCH2/notes.txt", data: []byte("plain words\n")},
		tf{name: "./EXCH2/link.log", typ: '2', link: "../EXCH1/ExchangeSetupLogs/ExchangeSetup.log"},
		tf{name: "./EXCH2/app.log.gz", data: gzBytes(t, lines(9, "gz"))},
		tf{name: "./EXCH2/cluster.log", data: lines(2000, "big")},
	)
	p := filepath.Join(dir, "case.tgz")
	writeFile(t, p, gzBytes(t, tb))
	writeFile(t, filepath.Join(dir, "case.tar"), tb)
	return p
}

func TestTarBundles(t *testing.T) {
	dir := t.TempDir()
	tgzBundle(t, dir)
	want := []struct {
		path, status, node string
		events             int
		size               int64
	}{
		{"EXCH1/ExchangeSetupLogs/ExchangeSetup.log", parse.StatusOK, "EXCH1", 40, int64(len(lines(40, "setup")))},
		{"EXCH1/Windows_Event_Logs/Windows-Logs.zip!/System.log", parse.StatusOK, "EXCH1", 7, int64(len(lines(7, "sys")))},
		{"EXCH2/app.log.gz!/app.log", parse.StatusOK, "EXCH2", 9, int64(len(lines(9, "gz")))},
		{"EXCH2/cluster.log", parse.StatusOK, "EXCH2", 2000, int64(len(lines(2000, "big")))},
		{"EXCH2/link.log", parse.StatusRejected, "EXCH2", 0, 0},
		{"EXCH2/notes.txt", parse.StatusUnknown, "EXCH2", 0, 12},
	}
	// The second run sends big entries down the inline path and the
	// rest through the buffer, the first buffers everything.
	for _, opt := range []Options{{}, {MaxBufferedBytes: 4 << 10, Workers: 3}} {
		res := runParse(t, []string{dir}, opt)
		if len(res.reports) != 2*len(want) {
			t.Errorf("%d reports, want %d", len(res.reports), 2*len(want))
		}
		for _, arch := range []string{"case.tar!/", "case.tgz!/"} {
			for _, w := range want {
				r := res.get(t, arch+w.path)
				if r.Status != w.status || r.Node != w.node || r.Events != w.events || r.Size != w.size {
					t.Errorf("%s%s: status %s node %s events %d size %d (%s); want %s %s %d %d",
						arch, w.path, r.Status, r.Node, r.Events, r.Size, r.Error, w.status, w.node, w.events, w.size)
				}
			}
		}
		if r := res.get(t, "case.tgz!/EXCH2/link.log"); !strings.Contains(r.Error, `symbolic link to "../EXCH1/ExchangeSetupLogs/ExchangeSetup.log"; not followed`) {
			t.Errorf("link entry: %q", r.Error)
		}
	}
}

// Inputs of a tar stream opened after the walk has moved on are read
// again from the start of the stream, and give the same bytes.
func TestTarReopenAfterWalk(t *testing.T) {
	dir := t.TempDir()
	root := tgzBundle(t, dir)
	for _, root := range []string{root, filepath.Join(dir, "case.tar")} {
		ins := walkAll(t, root, Options{})
		contents := map[string][]byte{
			"ExchangeSetup.log": lines(40, "setup"),
			"System.log":        lines(7, "sys"),
			"app.log":           lines(9, "gz"),
			"cluster.log":       lines(2000, "big"),
			"notes.txt":         []byte("plain words\n"),
		}
		seen := 0
		for _, in := range ins {
			wantData, ok := contents[filepath.Base(in.Path)]
			if !ok {
				continue
			}
			seen++
			for range 2 {
				got, err := readInput(t, in)
				if err != nil || !bytes.Equal(got, wantData) {
					t.Errorf("%s: %d bytes, %v", in.Path, len(got), err)
				}
			}
			if !in.ModTime.Equal(testTime) && !strings.Contains(in.Path, "app.log.gz") {
				t.Errorf("%s ModTime %v", in.Path, in.ModTime)
			}
		}
		if seen != len(contents) {
			t.Errorf("%s: %d of %d files seen", root, seen, len(contents))
		}
	}
}

// A seekable tar's entries are sections of the file: check that the data
// offset taken after Next is right for entries after long PAX headers.
func TestTarSections(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("very-long-folder-name/", 12) + "file.log"
	writeFile(t, filepath.Join(dir, "x.tar"), tarBytes(t,
		tf{name: "a.log", data: []byte("LINE a\n")},
		tf{name: long, data: lines(3, "long")},
		tf{name: "z.log", data: []byte("LINE z\n")},
	))
	ins := walkAll(t, filepath.Join(dir, "x.tar"), Options{})
	if len(ins) != 3 || ins[1].Path != long {
		t.Fatalf("inputs: %v", ins)
	}
	for i, want := range [][]byte{[]byte("LINE a\n"), lines(3, "long"), []byte("LINE z\n")} {
		got, err := readInput(t, ins[i])
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %q, %v", ins[i].Path, got, err)
		}
	}
}

func TestSingleFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "EXCH3_cluster.log"), lines(4, "c"))
	writeFile(t, filepath.Join(dir, "EXCH4-1130.zip"), zipBytes(t, zf{name: "Logs/x.log", data: lines(2, "x")}))
	writeFile(t, filepath.Join(dir, "setup.log.gz"), gzBytes(t, lines(6, "g")))
	tests := []struct {
		root, path, node string
		events           int
	}{
		{"EXCH3_cluster.log", "EXCH3_cluster.log", "EXCH3", 4},
		{"EXCH4-1130.zip", "Logs/x.log", "EXCH4", 2},
		{"setup.log.gz", "setup.log", "", 6},
	}
	for _, tt := range tests {
		res := runParse(t, []string{filepath.Join(dir, tt.root)}, Options{})
		if len(res.reports) != 1 {
			t.Errorf("%s: %d reports", tt.root, len(res.reports))
			continue
		}
		r := res.reports[0]
		if r.Path != tt.path || r.Node != tt.node || r.Events != tt.events || r.Status != parse.StatusOK {
			t.Errorf("%s: %s node %s events %d %s", tt.root, r.Path, r.Node, r.Events, r.Status)
		}
	}
}

func TestSymlinks(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(dir, "outside")
	writeFile(t, filepath.Join(outside, "secret.log"), []byte("LINE secret\n"))
	b := filepath.Join(dir, "bundle")
	writeFile(t, filepath.Join(b, "EXCH1", "inside.log"), []byte("LINE inside\n"))
	links := map[string]string{
		"EXCH1/link-in.log": "inside.log",
		"EXCH1/loop":        "..",
		"link-out.log":      filepath.Join(outside, "secret.log"),
		"link-out-dir":      outside,
		"broken.log":        "nowhere.log",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(b, name)); err != nil {
			t.Skipf("symlinks not available: %v", err)
		}
	}
	before := snapshot(t, dir)
	res := runParse(t, []string{b}, Options{})
	if after := snapshot(t, dir); after != before {
		t.Errorf("the bundle changed")
	}
	if r := res.get(t, "EXCH1/inside.log"); r.Status != parse.StatusOK || r.Node != "EXCH1" {
		t.Errorf("inside.log: %s %s", r.Status, r.Node)
	}
	for p, why := range map[string]string{
		"link-out.log": "outside the bundle; not followed",
		"link-out-dir": "outside the bundle; not followed",
		"broken.log":   "cannot be resolved",
	} {
		if r := res.get(t, p); r.Status != parse.StatusRejected || !strings.Contains(r.Error, why) {
			t.Errorf("%s: %s %q", p, r.Status, r.Error)
		}
	}
	if len(res.reports) != 4 {
		for _, r := range res.reports {
			t.Logf("%s %s", r.Path, r.Status)
		}
		t.Errorf("%d reports; links inside the bundle should be skipped, not read twice", len(res.reports))
	}
	for f := range res.events {
		if strings.Contains(f, "secret") {
			t.Errorf("read through a link out of the bundle: %s", f)
		}
	}
}

func TestMultipleRoots(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a", "logs", "EXCH1", "x.log"), []byte("LINE a\n"))
	writeFile(t, filepath.Join(dir, "a", "logs", "EXCH2", "x.log"), []byte("LINE a2\n"))
	writeFile(t, filepath.Join(dir, "b", "logs", "EXCH1", "x.log"), []byte("LINE b\n"))
	writeFile(t, filepath.Join(dir, "EXCH5-101.zip"), zipBytes(t, zf{name: "y.log", data: []byte("LINE y\n")}))
	res := runParse(t, []string{filepath.Join(dir, "a", "logs"), filepath.Join(dir, "b", "logs"), filepath.Join(dir, "EXCH5-101.zip")}, Options{})
	// b/logs holds one folder only: that is how a case is wrapped, so the
	// layout names no server there (the content must).
	for p, node := range map[string]string{"logs/EXCH1/x.log": "EXCH1", "logs/EXCH2/x.log": "EXCH2", "logs (2)/EXCH1/x.log": "", "EXCH5-101.zip!/y.log": "EXCH5"} {
		if r := res.get(t, p); r.Node != node || r.Events != 1 {
			t.Errorf("%s: node %s, %d events", p, r.Node, r.Events)
		}
	}
}

func TestDamagedZip(t *testing.T) {
	dir := t.TempDir()
	files := []zf{
		{name: "one.log", data: lines(50, "one")},
		{name: "two.log", data: lines(60, "two"), store: true},
		{name: "three.log", data: lines(5000, "three")},
	}
	full := zipBytes(t, files...)
	// Cut inside the last entry's data: the central directory is gone,
	// two entries are whole, the third is cut.
	cut := full[:len(full)-len(full)/5]
	writeFile(t, filepath.Join(dir, "cut.zip"), cut)

	// Go's writer puts sizes after the data (flag 8); .NET's puts them
	// in the local header. Rewrite the same files the second way.
	var buf bytes.Buffer
	zw := newRawZip(&buf)
	for _, f := range files {
		zw.add(t, f)
	}
	writeFile(t, filepath.Join(dir, "headers.zip"), buf.Bytes()) // no central directory at all

	// Cut inside a stored entry written with a data descriptor: nothing
	// marks its end, so it runs to the end of the file and says so.
	storedCut := zipBytes(t, zf{name: "one.log", data: lines(50, "one")}, zf{name: "two.log", data: lines(600, "two"), store: true})
	writeFile(t, filepath.Join(dir, "cutstored.zip"), storedCut[:len(storedCut)/2])

	// A CRC mismatch in a stored entry.
	bad := bytes.Clone(full)
	i := bytes.Index(bad, []byte("LINE two"))
	bad[i+5] = 'T'
	writeFile(t, filepath.Join(dir, "crc.zip"), bad)

	res := runParse(t, []string{dir}, Options{})
	for _, arch := range []string{"cut.zip", "headers.zip"} {
		r := res.get(t, arch)
		if r.Status != parse.StatusPartial || r.Format != "zip" || !strings.Contains(r.Error, "central directory unreadable") || !strings.Contains(r.Error, "entries recovered from their local headers") {
			t.Errorf("%s: %s %q", arch, r.Status, r.Error)
		}
		for name, n := range map[string]int{"one.log": 50, "two.log": 60} {
			if r := res.get(t, arch+"!/"+name); r.Status != parse.StatusOK || r.Events != n {
				t.Errorf("%s!/%s: %s %d %s", arch, name, r.Status, r.Events, r.Error)
			}
		}
	}
	if r := res.get(t, "headers.zip!/three.log"); r.Status != parse.StatusOK || r.Events != 5000 {
		t.Errorf("headers.zip three.log: %s %d %s", r.Status, r.Events, r.Error)
	}
	r := res.get(t, "cut.zip!/three.log")
	if r.Status != parse.StatusPartial || r.Events == 0 || r.Events >= 5000 {
		t.Errorf("cut entry: %s, %d events, %q", r.Status, r.Events, r.Error)
	}
	if !strings.Contains(res.get(t, "cut.zip").Error, `entry "three.log"`) {
		t.Errorf("cut.zip should say which entry is cut: %q", res.get(t, "cut.zip").Error)
	}
	r = res.get(t, "cutstored.zip!/two.log")
	if r.Status != parse.StatusPartial || r.Events == 0 || r.Events >= 600 || !strings.Contains(r.Error, "the archive ends inside this entry") {
		t.Errorf("cut stored entry: %s, %d events, %q", r.Status, r.Events, r.Error)
	}
	if r := res.get(t, "cutstored.zip!/one.log"); r.Status != parse.StatusOK || r.Events != 50 {
		t.Errorf("cutstored.zip one.log: %s %d", r.Status, r.Events)
	}
	r = res.get(t, "crc.zip!/two.log")
	if r.Status != parse.StatusPartial || r.Events != 60 || !strings.Contains(r.Error, "CRC-32") {
		t.Errorf("CRC mismatch: %s %d %q", r.Status, r.Events, r.Error)
	}
}

func TestUnknownAndHints(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "x.7z"), []byte("7z\xbc\xaf\x27\x1c\x00\x04rest"))
	writeFile(t, filepath.Join(dir, "fake.zip"), []byte("not a zip at all\n"))
	writeFile(t, filepath.Join(dir, "broken.zip"), []byte("PK\x03\x04garbage"))
	writeFile(t, filepath.Join(dir, "empty.zip"), zipBytes(t))
	writeFile(t, filepath.Join(dir, "dirs.tar"), tarBytes(t, tf{name: "a/", typ: '5'}))
	writeFile(t, filepath.Join(dir, "notes.txt.gz"), gzBytes(t, []byte("twelve bytes")))
	res := runParse(t, []string{dir}, Options{})
	for p, format := range map[string]string{"empty.zip": "zip", "dirs.tar": "tar"} {
		if r := res.get(t, p); r.Status != parse.StatusUnknown || r.Format != format || r.Error != "empty archive: no files in it" {
			t.Errorf("%s: %s %s %q", p, r.Status, r.Format, r.Error)
		}
	}
	// The size of a gzip member is unknown until it has been read.
	if r := res.get(t, "notes.txt.gz!/notes.txt"); r.Status != parse.StatusUnknown || r.Size != 12 {
		t.Errorf("notes.txt: %s, size %d", r.Status, r.Size)
	}
	if r := res.get(t, "x.7z"); r.Status != parse.StatusUnknown || r.Error != "no parser recognised the content; it looks like a 7-Zip archive, which exlog does not open" {
		t.Errorf("7z: %s %q", r.Status, r.Error)
	}
	if r := res.get(t, "fake.zip"); r.Status != parse.StatusUnknown {
		t.Errorf("a .zip name without zip content is a plain file: %s", r.Status)
	}
	if r := res.get(t, "broken.zip"); r.Status != parse.StatusFailed || r.Format != "zip" || !strings.Contains(r.Error, "0 entries recovered") {
		t.Errorf("broken zip: %s %q", r.Status, r.Error)
	}
}

func TestPanickingParser(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.log"), lines(3, "a"))
	writeFile(t, filepath.Join(dir, "b.log"), []byte("PANIC now\n"))
	writeFile(t, filepath.Join(dir, "c.log"), lines(4, "c"))
	res := runParse(t, []string{dir}, Options{Workers: 2})
	r := res.get(t, "b.log")
	if r.Status != parse.StatusPartial || r.Events != 1 || r.Format != "panicky" || !strings.Contains(r.Error, "parser panicky panicked: assignment to entry in nil map") {
		t.Errorf("b.log: %s %d %q", r.Status, r.Events, r.Error)
	}
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0].Reason, "panicParser.Parse") {
		t.Errorf("the problem should name where it panicked: %+v", r.Problems)
	}
	for p, n := range map[string]int{"a.log": 3, "c.log": 4} {
		if r := res.get(t, p); r.Status != parse.StatusOK || r.Events != n {
			t.Errorf("%s: %s %d", p, r.Status, r.Events)
		}
	}
}

func TestDeterministicReports(t *testing.T) {
	dir := t.TempDir()
	collectorBundle(t, dir)
	tgzBundle(t, dir)
	writeFile(t, filepath.Join(dir, "EXCH1", "z.log"), lines(10, "z"))
	var first string
	for _, w := range []int{1, 2, 5} {
		res := runParse(t, []string{dir}, Options{Workers: w})
		var b strings.Builder
		for _, r := range res.reports {
			b.WriteString(r.Path + " " + r.Status + " " + r.Node + " " + r.Format + " " + r.Error + " ")
			b.WriteString(string(rune('0'+r.Events%10)) + "\n")
		}
		if first == "" {
			first = b.String()
		} else if b.String() != first {
			t.Errorf("workers=%d gives different reports:\n%s\nvs\n%s", w, b.String(), first)
		}
	}
}

func TestBundleUnchanged(t *testing.T) {
	dir := t.TempDir()
	collectorBundle(t, dir)
	tgzBundle(t, dir)
	writeFile(t, filepath.Join(dir, "EXCH1", "z.log"), lines(10, "z"))
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		return os.Chtimes(p, old, old)
	})
	before := snapshot(t, dir)
	runParse(t, []string{dir}, Options{})
	walkAll(t, dir, Options{})
	if after := snapshot(t, dir); after != before {
		t.Errorf("the bundle changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestEmitErrorStops(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a", "b", "c", "d"} {
		writeFile(t, filepath.Join(dir, n+".log"), lines(100, n))
	}
	stop := errors.New("index full")
	calls := 0
	reps, err := Parse(context.Background(), []string{dir}, testParsers, Options{Workers: 1}, func(*parse.Event) error {
		calls++
		if calls == 5 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Fatalf("err = %v, want %v", err, stop)
	}
	if calls != 5 {
		t.Errorf("emit called %d times after failing", calls)
	}
	if len(reps) == 0 || reps[0].Path != "a.log" || reps[0].Status != parse.StatusPartial || reps[0].Error != "index full" {
		t.Errorf("report of the file being parsed: %+v", reps)
	}
}

func TestCancel(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a", "b", "c", "d"} {
		writeFile(t, filepath.Join(dir, n+".log"), lines(5000, n))
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err := Parse(ctx, []string{dir}, testParsers, Options{Workers: 1}, func(*parse.Event) error {
		calls++
		if calls == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	// The line parser does not look at ctx; the reader under it does.
	if calls >= 20000 {
		t.Errorf("%d events after cancel", calls)
	}
	if _, err := Parse(ctx, []string{dir}, testParsers, Options{}, func(*parse.Event) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("already cancelled: %v", err)
	}
}

func TestMissingRoot(t *testing.T) {
	_, err := Parse(context.Background(), []string{filepath.Join(t.TempDir(), "nope")}, testParsers, Options{}, func(*parse.Event) error { return nil })
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v", err)
	}
}

// rawZip writes local headers with sizes and CRC up front and no central
// directory, as a stream cut just before the directory would look.
type rawZip struct{ w io.Writer }

func newRawZip(w io.Writer) *rawZip { return &rawZip{w} }

func (z *rawZip) add(t testing.TB, f zf) {
	t.Helper()
	var buf bytes.Buffer
	fw := zipBytes(t, f)
	// Take the entry's compressed data and sizes from a real zip.
	ents, err := listZip(bytes.NewReader(fw), int64(len(fw)))
	if err != nil || len(ents) != 1 {
		t.Fatal(err)
	}
	e := ents[0]
	h := make([]byte, 30)
	le := func(b []byte, v uint32, n int) {
		for i := range n {
			b[i] = byte(v >> (8 * i))
		}
	}
	le(h[0:], sigLocal, 4)
	le(h[4:], 20, 2)
	le(h[8:], uint32(e.method), 2)
	le(h[14:], e.crc, 4)
	le(h[18:], uint32(e.csize), 4)
	le(h[22:], uint32(e.usize), 4)
	le(h[26:], uint32(len(f.name)), 2)
	buf.Write(h)
	buf.WriteString(f.name)
	buf.Write(fw[e.off : e.off+e.csize])
	z.w.Write(buf.Bytes())
}

// fussyParser claims every head, then finds the file is not its format,
// or panics in Sniff, depending on mode.
type fussyParser struct{ mode string }

func (p fussyParser) Name() string { return "fussy-" + p.mode }
func (p fussyParser) Sniff(head []byte) bool {
	if p.mode == "sniff-panic" {
		panic("sniff exploded")
	}
	return true
}
func (p fussyParser) Parse(context.Context, *parse.Input, *parse.Report, func(*parse.Event) error) error {
	return parse.ErrNotFormat
}

func TestParserOrder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.log"), lines(3, "a"))
	writeFile(t, filepath.Join(dir, "b.txt"), []byte("no format\n"))
	parsers := []parse.Parser{fussyParser{"sniff-panic"}, fussyParser{"not-format"}, lineParser{"lines", "LINE"}}
	reps, err := Parse(context.Background(), []string{dir}, parsers, Options{}, func(*parse.Event) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	a, b := reps[0], reps[1]
	if a.Path != "a.log" || a.Format != "lines" || a.Events != 3 {
		t.Errorf("a.log: format %q, %d events", a.Format, a.Events)
	}
	// A parser that backs out is no problem; one that panics in Sniff may
	// have cost the file its right parser, so it is noted.
	if a.Status != parse.StatusPartial || len(a.Problems) != 1 ||
		!strings.Contains(a.Problems[0].Reason, "fussy-sniff-panic panicked while sniffing: sniff exploded") {
		t.Errorf("a.log: %s %+v", a.Status, a.Problems)
	}
	if b.Status != parse.StatusUnknown || b.Format != "" || b.Error != "no parser recognised the content" {
		t.Errorf("b.txt: %s %q %q", b.Status, b.Format, b.Error)
	}
}

// Tars inside a zip: a deflated one is a stream, a stored one is read in
// place; a .tgz inside a zip is a stream inside a stream.
func TestTarInsideZip(t *testing.T) {
	dir := t.TempDir()
	tb := tarBytes(t, tf{name: "EXCH6/a.log", data: lines(5, "a")}, tf{name: "EXCH6/b.log", data: lines(3000, "b")})
	writeFile(t, filepath.Join(dir, "x.zip"), zipBytes(t,
		zf{name: "deflated.tar", data: tb},
		zf{name: "stored.tar", data: tb, store: true},
		zf{name: "packed.tgz", data: gzBytes(t, tb)},
	))
	for _, opt := range []Options{{}, {MaxBufferedBytes: 8 << 10}} {
		res := runParse(t, []string{dir}, opt)
		if len(res.reports) != 6 {
			t.Errorf("%d reports", len(res.reports))
		}
		for _, arch := range []string{"deflated.tar", "stored.tar", "packed.tgz"} {
			for name, n := range map[string]int{"a.log": 5, "b.log": 3000} {
				p := "x.zip!/" + arch + "!/EXCH6/" + name
				if r := res.get(t, p); r.Status != parse.StatusOK || r.Events != n || r.Node != "EXCH6" {
					t.Errorf("%s: %s %d %s %s", p, r.Status, r.Events, r.Node, r.Error)
				}
			}
		}
	}
}

// An index exlog built inside a bundle folder (an older exlog wrote it
// there, or a user copied it in) is never read as input.
func TestIndexFolderNotRead(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "NODE1", "a.log"), []byte("LINE 1\n"))
	writeFile(t, filepath.Join(dir, "case.exlog", parse.IndexMarker), []byte("marker\n"))
	writeFile(t, filepath.Join(dir, "case.exlog", "store", "x.log"), []byte("LINE x\n"))
	res := runParse(t, []string{dir}, Options{})
	for _, r := range res.reports {
		if strings.HasPrefix(r.Path, "case.exlog/") {
			t.Errorf("read %s from an index folder", r.Path)
		}
	}
	if r := res.get(t, "case.exlog"); r.Status != parse.StatusRejected || !strings.Contains(r.Error, "exlog index") {
		t.Errorf("case.exlog: %s %q", r.Status, r.Error)
	}
}
