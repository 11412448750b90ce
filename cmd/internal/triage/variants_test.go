package triage_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/exlog/exlog/cmd/internal/triage"
	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/detect/all"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/formats"
	"github.com/exlog/exlog/parse/parsetest"
)

// The metamorphic test: a bundle re-packed the ways customers pack them
// must give the same findings. Each variant turns a scenario folder into
// another bundle; the findings are compared on what a support engineer
// acts on (detector, severity, cause, nodes, groups), and for the
// shifted variant also on their times.

// file is one file of a scenario, path relative to the scenario folder.
type file = parsetest.TreeFile

func zipOf(t *testing.T, files []file, prefix string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: prefix + f.Rel, Method: zip.Deflate, Modified: f.Mod}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.Data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tgzOf(t *testing.T, files []file, prefix string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		h := &tar.Header{Name: prefix + f.Rel, Mode: 0o644, Size: int64(len(f.Data)), ModTime: f.Mod, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.Data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	gz.Close()
	return buf.Bytes()
}

func unzip(t *testing.T, b []byte) []file {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out []file
	for _, zf := range zr.File {
		if strings.HasSuffix(zf.Name, "/") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, file{Rel: zf.Name, Data: data, Mod: zf.Modified})
	}
	return out
}

// mapFiles applies fn to every file, descending into zips so that the
// logs inside an ExchangeSetupLogs.zip are changed too.
func mapFiles(t *testing.T, files []file, fn func(file) file) []file {
	out := make([]file, 0, len(files))
	for _, f := range files {
		if strings.EqualFold(path.Ext(f.Rel), ".zip") {
			inner := mapFiles(t, unzip(t, f.Data), fn)
			f.Data = zipOf(t, inner, "")
			f.Mod = fn(file{Rel: f.Rel, Mod: f.Mod}).Mod
			out = append(out, f)
			continue
		}
		out = append(out, fn(f))
	}
	return out
}

// textLog reports whether a file is a UTF-8 text log the variants may
// re-encode, whatever its name (a .log.bak copy is one too).
func textLog(f file) bool {
	switch strings.ToLower(path.Ext(f.Rel)) {
	case ".zip", ".evt", ".evtx", ".gz", ".tar":
		return false
	}
	return len(f.Data) > 0 && utf8.Valid(f.Data) && !bytes.ContainsRune(f.Data, 0)
}

func toCRLF(b []byte) []byte {
	if bytes.Contains(b, []byte("\r\n")) {
		return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	}
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
}

func toUTF16(b []byte) []byte {
	u := utf16.Encode([]rune(string(b)))
	out := make([]byte, 2, 2+2*len(u))
	out[0], out[1] = 0xFF, 0xFE
	for _, c := range u {
		out = binary.LittleEndian.AppendUint16(out, c)
	}
	return out
}

// Dates as the text formats write them: 2006/11/14-11:42:17 (cluster
// logs), 2006-11-14 (ISO), 11/14/2006 (setup logs, month first).
var (
	reYMD = regexp.MustCompile(`\b(19|20)(\d\d)([/-])(\d\d)([/-])(\d\d)\b`)
	reMDY = regexp.MustCompile(`\b(\d{1,2})/(\d{1,2})/(19|20)(\d\d)\b`)
)

func shiftYear(s string, years int) string {
	n, _ := strconv.Atoi(s)
	return strconv.Itoa(n + years)
}

// shiftText moves every date of a text log by years.
func shiftText(b []byte, years int) []byte {
	b = reYMD.ReplaceAllFunc(b, func(m []byte) []byte {
		g := reYMD.FindSubmatch(m)
		return []byte(shiftYear(string(g[1])+string(g[2]), years) + string(g[3]) + string(g[4]) + string(g[5]) + string(g[6]))
	})
	return reMDY.ReplaceAllFunc(b, func(m []byte) []byte {
		g := reMDY.FindSubmatch(m)
		return []byte(string(g[1]) + "/" + string(g[2]) + "/" + shiftYear(string(g[3])+string(g[4]), years))
	})
}

// shiftEVT moves the two times of every record of a legacy event log.
func shiftEVT(t *testing.T, b []byte, years int) []byte {
	b = slices.Clone(b)
	for i := 0; i+56 <= len(b); i++ {
		if string(b[i+4:i+8]) != "LfLe" {
			continue
		}
		size := int(binary.LittleEndian.Uint32(b[i:]))
		if size < 56 || i+size > len(b) || binary.LittleEndian.Uint32(b[i+size-4:]) != uint32(size) {
			continue // the file header or a stray signature
		}
		for _, off := range []int{8, 12} {
			v := binary.LittleEndian.Uint32(b[i+off:])
			binary.LittleEndian.PutUint32(b[i+off:], uint32(time.Unix(int64(v), 0).UTC().AddDate(years, 0, 0).Unix()))
		}
		i += size - 1
	}
	return b
}

// shiftEVTX moves the times of every record of an EVTX file: the record
// header's FILETIME, and the same value where the record's XML carries it
// (TimeCreated); then the chunk checksums are made right again.
func shiftEVTX(t *testing.T, b []byte, years int) []byte {
	b = slices.Clone(b)
	const chunkSize, headerSize = 65536, 4096
	for c := headerSize; c+chunkSize <= len(b); c += chunkSize {
		chunk := b[c : c+chunkSize]
		if string(chunk[:8]) != "ElfChnk\x00" {
			continue
		}
		free := int(binary.LittleEndian.Uint32(chunk[48:]))
		for r := 512; r+24 <= free && r+24 <= len(chunk); {
			if string(chunk[r:r+4]) != "\x2a\x2a\x00\x00" {
				break
			}
			size := int(binary.LittleEndian.Uint32(chunk[r+4:]))
			if size < 24 || r+size > len(chunk) {
				break
			}
			old := binary.LittleEndian.Uint64(chunk[r+16:])
			nt := toFiletime(fromFiletime(old).AddDate(years, 0, 0))
			var ob, nb [8]byte
			binary.LittleEndian.PutUint64(ob[:], old)
			binary.LittleEndian.PutUint64(nb[:], nt)
			rec := chunk[r : r+size]
			copy(rec[16:], nb[:])
			for j := 24; j+8 <= len(rec); j++ {
				if bytes.Equal(rec[j:j+8], ob[:]) {
					copy(rec[j:], nb[:])
				}
			}
			r += size
		}
		binary.LittleEndian.PutUint32(chunk[52:], crc32.ChecksumIEEE(chunk[512:free]))
		h := append(slices.Clone(chunk[:120]), chunk[128:512]...)
		binary.LittleEndian.PutUint32(chunk[124:], crc32.ChecksumIEEE(h))
	}
	return b
}

func fromFiletime(v uint64) time.Time {
	return time.Unix(0, 0).UTC().Add(time.Duration(v-116444736000000000) * 100)
}

func toFiletime(t time.Time) uint64 {
	return uint64(t.Sub(time.Unix(0, 0).UTC())/100) + 116444736000000000
}

// variant turns a scenario folder into a bundle path to triage.
type variant struct {
	name  string
	years int // how far the variant moves the bundle's times
	make  func(t *testing.T, name string, files []file, dir string, base *triage.Result) string
}

// serverFolders are the scenario's top-level folders: one per server.
func serverFolders(files []file) []string {
	var out []string
	for _, f := range files {
		if i := strings.IndexByte(f.Rel, '/'); i > 0 && !slices.Contains(out, f.Rel[:i]) {
			out = append(out, f.Rel[:i])
		}
	}
	slices.Sort(out)
	return out
}

var variants = []variant{
	{name: "zip-with-top-folder", make: func(t *testing.T, name string, files []file, dir string, base *triage.Result) string {
		p := filepath.Join(dir, name+".zip")
		os.WriteFile(p, zipOf(t, files, name+"/"), 0o644)
		return p
	}},
	{name: "server-zips-in-case-zip", make: func(t *testing.T, name string, files []file, dir string, base *triage.Result) string {
		var outer []file
		for _, srv := range serverFolders(files) {
			var inner []file
			for _, f := range files {
				if rest, ok := strings.CutPrefix(f.Rel, srv+"/"); ok {
					inner = append(inner, file{Rel: rest, Data: f.Data, Mod: f.Mod})
				}
			}
			outer = append(outer, file{Rel: srv + ".zip", Data: zipOf(t, inner, ""), Mod: time.Now()})
		}
		for _, f := range files {
			if !strings.Contains(f.Rel, "/") {
				outer = append(outer, f)
			}
		}
		p := filepath.Join(dir, "CASE-"+name+".zip")
		os.WriteFile(p, zipOf(t, outer, ""), 0o644)
		return p
	}},
	{name: "tar-gz", make: func(t *testing.T, name string, files []file, dir string, base *triage.Result) string {
		p := filepath.Join(dir, name+".tar.gz")
		os.WriteFile(p, tgzOf(t, files, name+"/"), 0o644)
		return p
	}},
	{name: "crlf-lf", make: func(t *testing.T, name string, files []file, dir string, base *triage.Result) string {
		return parsetest.WriteTree(t, filepath.Join(dir, name), mapFiles(t, files, func(f file) file {
			if textLog(f) {
				f.Data = toCRLF(f.Data)
			}
			return f
		}))
	}},
	{name: "utf16", make: func(t *testing.T, name string, files []file, dir string, base *triage.Result) string {
		return parsetest.WriteTree(t, filepath.Join(dir, name), mapFiles(t, files, func(f file) file {
			if textLog(f) {
				f.Data = toUTF16(f.Data)
			}
			return f
		}))
	}},
	{name: "meaningless-server-folders", make: func(t *testing.T, name string, files []file, dir string, base *triage.Result) string {
		// Only folders whose files all name their computer themselves
		// (or through their folder's other files) can lose their names:
		// elsewhere the folder name is all there is.
		named := map[string]bool{}
		for _, srv := range serverFolders(files) {
			named[srv] = true
		}
		for _, r := range base.Files {
			if i := strings.IndexByte(r.Path, '/'); i > 0 && r.Events > 0 &&
				r.NodeFrom != parse.NodeFromContent && r.NodeFrom != parse.NodeFromSiblings {
				named[r.Path[:i]] = false
			}
		}
		rename := map[string]string{}
		for i, srv := range serverFolders(files) {
			if named[srv] {
				rename[srv] = fmt.Sprintf("files %d", i+1)
			} else {
				rename[srv] = srv
			}
		}
		out := slices.Clone(files)
		for i, f := range out {
			if j := strings.IndexByte(f.Rel, '/'); j > 0 {
				out[i].Rel = rename[f.Rel[:j]] + f.Rel[j:]
			}
		}
		return parsetest.WriteTree(t, filepath.Join(dir, name), out)
	}},
	{name: "renamed-and-reordered", make: func(t *testing.T, name string, files []file, dir string, base *triage.Result) string {
		// Windows file systems ignore case, so customers' tools change it;
		// the zip lists the files in reverse order.
		out := slices.Clone(files)
		slices.Reverse(out)
		for i, f := range out {
			d, b := path.Split(f.Rel)
			ext := path.Ext(b)
			out[i].Rel = d + strings.ToLower(strings.TrimSuffix(b, ext)) + strings.ToUpper(ext)
		}
		p := filepath.Join(dir, name+".zip")
		os.WriteFile(p, zipOf(t, out, ""), 0o644)
		return p
	}},
	{name: "file-times-today", make: func(t *testing.T, name string, files []file, dir string, base *triage.Result) string {
		now := time.Now()
		return parsetest.WriteTree(t, filepath.Join(dir, name), mapFiles(t, files, func(f file) file {
			f.Mod = now
			return f
		}))
	}},
	{name: "shifted-3-years", years: 3, make: func(t *testing.T, name string, files []file, dir string, base *triage.Result) string {
		return parsetest.WriteTree(t, filepath.Join(dir, name), mapFiles(t, files, func(f file) file {
			switch ext := strings.ToLower(path.Ext(f.Rel)); {
			case textLog(f):
				f.Data = shiftText(f.Data, 3)
			case ext == ".evt":
				f.Data = shiftEVT(t, f.Data, 3)
			case ext == ".evtx":
				f.Data = shiftEVTX(t, f.Data, 3)
			}
			if !f.Mod.IsZero() {
				f.Mod = f.Mod.AddDate(3, 0, 0)
			}
			return f
		}))
	}},
	{name: "bak-copy", make: func(t *testing.T, name string, files []file, dir string, base *triage.Result) string {
		out := slices.Clone(files)
		for _, f := range files {
			if strings.HasSuffix(strings.ToLower(f.Rel), ".log") {
				out = append(out, file{Rel: f.Rel + ".bak", Data: f.Data, Mod: f.Mod})
				break
			}
		}
		return parsetest.WriteTree(t, filepath.Join(dir, name), out)
	}},
}

// gist is what a support engineer acts on in a finding.
type gist struct {
	Detector, Severity, Cause, Nodes, Groups string
	Start                                    string
}

func gists(fs []detect.Finding, shiftYears int) []gist {
	out := make([]gist, 0, len(fs))
	for _, f := range fs {
		g := gist{Detector: f.Detector, Severity: f.Severity.String(), Cause: f.Cause,
			Nodes: strings.Join(sorted(f.Nodes), ","), Groups: strings.Join(sorted(f.Groups), ",")}
		if !f.Start.IsZero() {
			g.Start = f.Start.AddDate(shiftYears, 0, 0).UTC().Format(time.RFC3339)
		}
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b gist) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func triageOf(t *testing.T, bundle string, now time.Time) *triage.Result {
	t.Helper()
	res, err := triage.Run(context.Background(), triage.Options{Name: "x", Bundles: []string{bundle},
		Parsers: formats.All(), Detectors: all.Detectors(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestRepackedScenarios runs every scenario of fixtures/scenarios through
// every variant. A new scenario gets all of them for free.
func TestRepackedScenarios(t *testing.T) {
	now := time.Now().AddDate(3, 0, 0) // the shifted variant is "in the future"
	for _, name := range fixtures.Scenarios(t) {
		t.Run(name, func(t *testing.T) {
			files := parsetest.ReadTree(t, fixtures.Scenario(name))
			base := triageOf(t, fixtures.Scenario(name), now)
			for _, v := range variants {
				t.Run(v.name, func(t *testing.T) {
					bundle := v.make(t, name, files, t.TempDir(), base)
					got := gists(triageOf(t, bundle, now).Findings, 0)
					want := gists(base.Findings, v.years)
					if testing.Verbose() {
						t.Logf("%d findings: %v", len(got), got)
					}
					if !slices.Equal(got, want) {
						t.Errorf("findings differ from the scenario folder's\n got: %v\nwant: %v", got, want)
					}
				})
			}
		})
	}
}
