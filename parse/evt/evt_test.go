package evt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

func parseBytes(t testing.TB, name string, b []byte) ([]*parse.Event, *parse.Report, error) {
	evs, rep, err := parsetest.Collect(Parser{}, parsetest.Bytes(name, b))
	rep.Finish(err)
	return evs, rep, err
}

func countRecovered(evs []*parse.Event) (live, recovered int) {
	for _, e := range evs {
		if e.Field("recovered") == "slack" {
			recovered++
		} else {
			live++
		}
	}
	return
}

// fixtureLog is a sample the project generates (fixtures/eventlogs).
func fixtureLog(name string) string {
	return filepath.Join(fixtures.Dir(), "eventlogs", name)
}

func TestCorpus(t *testing.T) {
	dir := fixtures.Corpus(t, "evt")
	cases := []struct {
		file            string
		live, recovered int
		first, last     uint64
	}{
		// evtinfo: 6063 records and 438 recovered. Of the 438 signatures
		// outside the live ring, 437 are intact records and 180 of those
		// repeat a live record (same number and written time), which a
		// Python scan of the file confirms; 257 are left.
		{"system-xp-sysevent.evt", 6063, 257, 1392, 7454},
		// evtinfo: 5 records, 0 recovered; the header is dirty with stale
		// offsets (start = end = 48), the end-of-file record is current.
		{"testlog-dirty.evt", 5, 0, 1, 5},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			evs, rep, err := parseBytes(t, c.file, parsetest.ReadFile(t, filepath.Join(dir, c.file)))
			if err != nil {
				t.Fatal(err)
			}
			live, rec := countRecovered(evs)
			if live != c.live || rec != c.recovered {
				t.Errorf("%d live and %d recovered records, want %d and %d", live, rec, c.live, c.recovered)
			}
			if rep.Events != len(evs) || rep.Recovered != rec || rep.Status != parse.StatusOK {
				t.Errorf("report events %d recovered %d status %s (%+v)", rep.Events, rep.Recovered, rep.Status, rep.Problems)
			}
			if evs[0].Record != c.first || evs[c.live-1].Record != c.last {
				t.Errorf("records %d..%d, want %d..%d", evs[0].Record, evs[c.live-1].Record, c.first, c.last)
			}
		})
	}
}

// Values checked against evtexport's output for testlog-dirty.evt.
func TestTestLogValues(t *testing.T) {
	evs, _, err := parseBytes(t, "TestLog-dirty.evt", parsetest.ReadFile(t, filepath.Join(fixtures.Corpus(t, "evt"), "testlog-dirty.evt")))
	if err != nil {
		t.Fatal(err)
	}
	e := evs[3]
	want := map[string]string{"computer": "POPSICKL-79ADD4", "task": "99", "audit": "failure", "data.1": "Test log entry, failure audit",
		"event_id_full": "0x0000fffe", "qualifiers": "0"}
	parsetest.CheckFields(t, e, want)
	if e.Record != 4 || e.EventID != 65534 || e.Provider != "TestApp" || e.Level != parse.LevelInfo ||
		!e.Time.Equal(time.Date(2021, 7, 21, 3, 11, 38, 0, time.UTC)) || e.Node != "POPSICKL-79ADD4" {
		t.Errorf("record 4 = %d id %d provider %q level %s time %v node %s", e.Record, e.EventID, e.Provider, e.Level, e.Time, e.Node)
	}
}

// exported is one record as libevt's evtexport prints it.
type exported struct {
	number           uint64
	created, written time.Time
	etype            int
	computer, source string
	category         string
	id               string
	strings          []string
}

var (
	stringRE = regexp.MustCompile(`(?m)^String: (\d+)\t+: `)
	typeRE   = regexp.MustCompile(`\((\d+)\)$`)
)

// evtexport runs libevt's evtexport on path and parses its text output, or
// skips when the tool is absent.
func evtexport(t *testing.T, path string) []exported {
	t.Helper()
	bin, err := exec.LookPath("evtexport")
	if err != nil {
		t.Skip("evtexport (Debian package libevt-utils) is not installed; skipping the cross-check with libevt")
	}
	out, err := exec.Command(bin, path).Output()
	if err != nil {
		t.Fatalf("evtexport: %v", err)
	}
	var recs []exported
	for _, block := range strings.Split(string(out), "\nEvent number\t\t\t: ")[1:] {
		var r exported
		head := block
		if m := stringRE.FindStringIndex(block); m != nil {
			head = block[:m[0]]
		}
		for i, line := range strings.Split(head, "\n") {
			k, v, _ := strings.Cut(line, ": ")
			k = strings.TrimSpace(k)
			if i == 0 {
				r.number, _ = strconv.ParseUint(strings.TrimSpace(line), 10, 64)
				continue
			}
			switch k {
			case "Creation time":
				r.created, _ = time.Parse("Jan 02, 2006 15:04:05 MST", v)
			case "Written time":
				r.written, _ = time.Parse("Jan 02, 2006 15:04:05 MST", v)
			case "Event type":
				if m := typeRE.FindStringSubmatch(v); m != nil {
					r.etype, _ = strconv.Atoi(m[1])
				}
			case "Computer name":
				r.computer = v
			case "Source name":
				r.source = v
			case "Event category":
				r.category = v
			case "Event identifier":
				r.id, _, _ = strings.Cut(v, " ")
			}
		}
		locs := stringRE.FindAllStringIndex(block, -1)
		for i, l := range locs {
			end := len(block)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			r.strings = append(r.strings, strings.TrimRight(block[l[1]:end], "\n"))
		}
		recs = append(recs, r)
	}
	return recs
}

var levelOfType = map[int]string{1: parse.LevelError, 2: parse.LevelWarning, 4: parse.LevelInfo, 8: parse.LevelInfo, 16: parse.LevelInfo}

func TestMatchesEvtexport(t *testing.T) {
	files := []string{fixtureLog("node1-system-2003.evt"), fixtureLog("node1-application-2003.evt"), fixtureLog("node2-system-2003-wrapped-dirty.evt")}
	// The corpus files join when the corpus is there; the project's own
	// samples are checked either way.
	for _, name := range []string{"system-xp-sysevent.evt", "testlog-dirty.evt"} {
		files = append(files, parsetest.CorpusFiles("evt", name, 0)...)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := evtexport(t, path)
			evs, _, err := parseBytes(t, filepath.Base(path), parsetest.ReadFile(t, path))
			if err != nil {
				t.Fatal(err)
			}
			// libevt stops at a record that runs across the end of the
			// file (the wrapped sample's record 565), so its list may be
			// a prefix of exlog's.
			if len(want) == 0 || len(want) > len(evs) {
				t.Fatalf("evtexport %d records, exlog %d", len(want), len(evs))
			}
			bad := 0
			for i, w := range want {
				g := evs[i]
				var diffs parsetest.Diffs // got is exlog's, want evtexport's
				check := diffs.Check
				check("number", g.Record, w.number)
				check("created", g.Time.Unix(), w.created.Unix())
				wt := w.created
				if s := g.Field("time_written"); s != "" {
					wt, _ = time.Parse(time.RFC3339, s)
				}
				check("written", wt.Unix(), w.written.Unix())
				check("level", g.Level, levelOfType[w.etype])
				check("computer", g.Field("computer"), w.computer)
				check("source", g.Provider, w.source)
				check("category", g.Field("task"), w.category)
				check("id", g.Field("event_id_full"), w.id)
				for j, s := range w.strings {
					got := g.Field("data." + strconv.Itoa(j+1))
					check("string "+strconv.Itoa(j+1), strings.TrimRight(got, "\n"), s)
				}
				if len(diffs) > 0 {
					if bad++; bad <= 5 {
						t.Errorf("record %d: %s", w.number, strings.Join(diffs, "; "))
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d records differ from evtexport", bad, len(want))
			}
		})
	}
}

// The wrapped sample (made by fixtures/evtwriter) holds records 340 to 902
// from offset 39388 to the end of the file and on from offset 48; record
// 565 is split by the end of the file. Its header is dirty and stale
// (start 36704, end 36640); the end-of-file record at 39248 is current.
func TestWrappedDirtyFixture(t *testing.T) {
	b := parsetest.ReadFile(t, fixtureLog("node2-system-2003-wrapped-dirty.evt"))
	evs, rep, err := parseBytes(t, "node2-system-2003-wrapped-dirty.evt", b)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 563 || rep.Status != parse.StatusOK {
		t.Fatalf("%d records, status %s %+v; want 563, ok", len(evs), rep.Status, rep.Problems)
	}
	for i, e := range evs {
		if e.Record != uint64(340+i) {
			t.Fatalf("event %d is record %d, want %d", i, e.Record, 340+i)
		}
	}
	split := evs[565-340]
	if split.Offset != 65472 || split.Field("inserts_uncertain") != "" || split.Provider != "ClusSvc" {
		t.Errorf("record 565: offset %d, provider %q, uncertain %q", split.Offset, split.Provider, split.Field("inserts_uncertain"))
	}
	// The same records come out whatever the header says, as long as the
	// end-of-file record survives.
	stale := bytes.Clone(b)
	for i := 16; i < 32; i++ {
		stale[i] = 0
	}
	evs2, _, _ := parseBytes(t, "zeroed-header.evt", stale)
	if len(evs2) != 563 || evs2[0].Record != 340 {
		t.Errorf("with a zeroed header: %d records from %d", len(evs2), evs2[0].Record)
	}
}

func TestDamage(t *testing.T) {
	b := parsetest.ReadFile(t, fixtureLog("node1-system-2003.evt"))
	// The sample: 7 records at 48, 236, 404, 504, 692, 792, 892; the
	// end-of-file record at 980.
	cases := []struct {
		name   string
		damage func([]byte) []byte
		live   int
		slack  int
		status string
		reason string
	}{
		{"clean", func(b []byte) []byte { return b }, 7, 0, parse.StatusOK, ""},
		{"signature of record 3 destroyed", func(b []byte) []byte { copy(b[404+4:], "XXXX"); return b }, 6, 0, parse.StatusPartial, "unreadable bytes skipped"},
		{"size of record 2 destroyed", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[236:], 0xFFFFFFF0)
			return b
		}, 6, 0, parse.StatusPartial, "unreadable bytes skipped"},
		{"end-of-file record destroyed, header dirty", func(b []byte) []byte {
			copy(b[980+4:], make([]byte, 16))
			b[36] |= flagDirty
			return b
		}, 0, 7, parse.StatusPartial, "scanning the whole file"},
		{"file cut inside record 5", func(b []byte) []byte { return b[:700] }, 0, 4, parse.StatusPartial, ""},
		{"header only", func(b []byte) []byte { return b[:48] }, 0, 0, parse.StatusPartial, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs, rep, err := parseBytes(t, "x.evt", c.damage(bytes.Clone(b)))
			if err != nil {
				t.Fatal(err)
			}
			live, slack := countRecovered(evs)
			if live != c.live || slack != c.slack {
				t.Errorf("%d live, %d recovered; want %d, %d (%+v)", live, slack, c.live, c.slack, rep.Problems)
			}
			if rep.Status != c.status {
				t.Errorf("status %s, want %s (%+v)", rep.Status, c.status, rep.Problems)
			}
			if c.reason != "" && !parsetest.HasProblem(rep, c.reason) {
				t.Errorf("no problem says %q: %+v", c.reason, rep.Problems)
			}
		})
	}
}

func TestNotEVT(t *testing.T) {
	_, _, err := parseBytes(t, "x", []byte("ElfFile\x00 not an evt"))
	if !errors.Is(err, parse.ErrNotFormat) {
		t.Errorf("err = %v, want ErrNotFormat", err)
	}
	if (Parser{}).Sniff([]byte("0\x00\x00\x00LfLe")) != true || (Parser{}).Sniff([]byte("LfLe")) {
		t.Error("Sniff")
	}
}

func TestChannelFromFileName(t *testing.T) {
	b := parsetest.ReadFile(t, fixtureLog("node1-system-2003.evt"))
	evs, _, _ := parseBytes(t, "bundle.zip!/NODE1/SysEvent.Evt", b)
	if evs[0].Field("channel") != "System" {
		t.Errorf("channel %q, want System", evs[0].Field("channel"))
	}
	evs, _, _ = parseBytes(t, "node1-system.evt", b)
	if evs[0].Field("channel") != "" {
		t.Errorf("channel %q for an unknown file name", evs[0].Field("channel"))
	}
}
