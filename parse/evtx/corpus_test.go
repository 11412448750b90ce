package evtx

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

// fileInput is a parse.Input over a file on disk.
func fileInput(path string) *parse.Input {
	size := int64(-1)
	if st, err := os.Stat(path); err == nil {
		size = st.Size()
	}
	return &parse.Input{
		Path: filepath.Base(path),
		Size: size,
		Open: func() (io.ReadCloser, error) { return os.Open(path) },
	}
}

// parseAll reads one input completely with a fresh report.
func parseAll(t testing.TB, p *Parser, in *parse.Input) ([]*parse.Event, *parse.Report, error) {
	evs, rep, err := parsetest.Collect(p, in)
	rep.Finish(err)
	return evs, rep, err
}

func corpusPath(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(fixtures.Corpus(t, "evtx"), name)
}

// corpusMinimums are the record counts SOURCES.md gives for each corpus
// file: the larger of golang-evtx's per-chunk loop with recover() and
// libevtx evtxexport's allocated items. exlog must read at least as many
// records outside chunk slack (records carved from unused chunk space are
// not counted). chain is the exact number exlog reads there (equal to
// evtxexport's on the files libevtx reads completely, see
// TestMatchesEvtxexport; on damaged files it includes the records found by
// resynchronising after damage), and status the report's status.
var corpusMinimums = []struct {
	file    string
	min     int
	chain   int
	status  string
	problem string // a word the report's problems must contain
}{
	{"app-custom-classic-source-binary-data.evtx", 5, 5, parse.StatusOK, ""},
	{"app-esent-ntdsutil-ifm-325-327.evtx", 4, 4, parse.StatusOK, ""},
	{"app-many-classic-providers-esent-msi.evtx", 2216, 2216, parse.StatusOK, ""},
	{"app-mssql-33205-bruteforce-classic.evtx", 72, 72, parse.StatusOK, ""},
	{"app-no-crc32-esent-spp.evtx", 17, 17, parse.StatusOK, ""},
	{"corrupt-bad-chunk-magic-dirty.evtx", 270, 301, parse.StatusPartial, "bad chunk signature"},
	{"corrupt-dns-analytical-malformed.evtx", 5, 5, parse.StatusOK, ""},
	{"corrupt-vss-rdpcorets-panics-golang-evtx.evtx", 1911, 1975, parse.StatusPartial, "values missing or uncertain"},
	{"derived-system-scm-truncated-at-1000000.evtx", 2794, 2795, parse.StatusPartial, "file ends inside"},
	{"exchange-mgmt-cmdletlogs-issue201.evtx", 1, 1, parse.StatusOK, ""},
	{"exchange-mgmt-cmdletlogs-wec-forwarded.evtx", 1, 1, parse.StatusOK, ""},
	{"large-grouppolicy-irregular-bool-values.evtx", 3028, 3028, parse.StatusOK, ""},
	{"large-security-2261-events-dirty.evtx", 2261, 2261, parse.StatusOK, ""},
	{"large-security-smb-password-guessing-3mb.evtx", 3561, 3561, parse.StatusOK, ""},
	{"security-exchange-admin-group-4756.evtx", 15, 15, parse.StatusOK, ""},
	{"security-size-t-values.evtx", 636, 636, parse.StatusOK, ""},
	{"security-truncated-200000-bytes-dirty.evtx", 284, 284, parse.StatusPartial, "truncated"},
	{"system-netlogon-5805-log-cleared-104.evtx", 2, 2, parse.StatusOK, ""},
	{"system-psexec-7045-7036.evtx", 7, 7, parse.StatusOK, ""},
	{"system-scm-7036-7040-5k-events.evtx", 5009, 5009, parse.StatusOK, ""},
	{"system-vss-dirty-chunkcount-gap.evtx", 1160, 1160, parse.StatusOK, ""},
}

func TestCorpusCounts(t *testing.T) {
	files := fixtures.CorpusGlob(t, "evtx", "*.evtx")
	if len(files) != len(corpusMinimums) {
		t.Errorf("corpus holds %d .evtx files, the table %d", len(files), len(corpusMinimums))
	}
	for _, c := range corpusMinimums {
		t.Run(c.file, func(t *testing.T) {
			evs, rep, err := parseAll(t, &Parser{}, fileInput(corpusPath(t, c.file)))
			if err != nil {
				t.Fatalf("parse stopped: %v", err)
			}
			chain := 0
			for _, e := range evs {
				if e.Field("recovered") != "slack" {
					chain++
				}
			}
			if chain < c.min {
				t.Errorf("read %d records outside chunk slack, want at least %d", chain, c.min)
			}
			if chain != c.chain {
				t.Errorf("read %d records outside chunk slack, want %d", chain, c.chain)
			}
			if rep.Events != len(evs) {
				t.Errorf("report counts %d events, %d were emitted", rep.Events, len(evs))
			}
			if rep.Status != c.status {
				t.Errorf("status %q, want %q (problems %+v)", rep.Status, c.status, rep.Problems)
			}
			if c.problem != "" && !parsetest.HasProblem(rep, c.problem) {
				t.Errorf("no problem mentions %q: %+v", c.problem, rep.Problems)
			}
		})
	}
}

// cleanFiles are the corpus files libevtx reads completely: exlog must
// agree with it on every record.
var cleanFiles = []string{
	"app-custom-classic-source-binary-data.evtx",
	"app-esent-ntdsutil-ifm-325-327.evtx",
	"app-many-classic-providers-esent-msi.evtx",
	"app-mssql-33205-bruteforce-classic.evtx",
	"app-no-crc32-esent-spp.evtx",
	"corrupt-dns-analytical-malformed.evtx",
	"large-grouppolicy-irregular-bool-values.evtx",
	"large-security-2261-events-dirty.evtx",
	"large-security-smb-password-guessing-3mb.evtx",
	"security-exchange-admin-group-4756.evtx",
	"security-size-t-values.evtx",
	"system-netlogon-5805-log-cleared-104.evtx",
	"system-psexec-7045-7036.evtx",
	"system-scm-7036-7040-5k-events.evtx",
	"system-vss-dirty-chunkcount-gap.evtx",
}

func TestMatchesEvtxexport(t *testing.T) {
	for _, f := range cleanFiles {
		t.Run(f, func(t *testing.T) {
			path := corpusPath(t, f)
			want := evtxexport(t, path)
			evs, _, err := parseAll(t, &Parser{}, fileInput(path))
			if err != nil {
				t.Fatal(err)
			}
			var got []*parse.Event
			for _, e := range evs {
				if e.Field("recovered") == "" {
					got = append(got, e)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d records, evtxexport %d", len(got), len(want))
			}
			bad := 0
			for i, w := range want {
				g := got[i]
				var diffs parsetest.Diffs // got is exlog's, want evtxexport's
				check := diffs.Check
				check("record", strconv.FormatUint(g.Record, 10), strconv.FormatUint(w.RecordID, 10))
				check("time", g.Time.Format("2006-01-02T15:04:05.0000000Z"), w.Time.UTC().Format("2006-01-02T15:04:05.0000000Z"))
				check("event id", strconv.Itoa(g.EventID), strconv.Itoa(w.EventID))
				check("qualifiers", g.Field("qualifiers"), w.Qualifiers)
				check("provider", g.Provider, w.Provider)
				check("computer", g.Field("computer"), w.Computer)
				check("channel", g.Field("channel"), w.Channel)
				check("binary", g.Field("binary"), strings.ToUpper(w.Binary))
				unnamed := 0
				seen := map[string]int{}
				for _, d := range w.Data {
					k := "data." + d.Name
					if d.Name == "" {
						unnamed++
						k = "data." + strconv.Itoa(unnamed)
					} else if seen[k]++; seen[k] > 1 {
						k += "." + strconv.Itoa(seen[k])
					}
					check(k, sameValue(g.Field(k), d.Value), d.Value)
				}
				if len(diffs) > 0 {
					bad++
					if bad <= 5 {
						t.Errorf("record %d (#%d): %s", w.RecordID, i+1, strings.Join(diffs, "; "))
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d records differ from evtxexport", bad, len(want))
			}
		})
	}
}

// sameValue returns want when got is the same value written the way exlog
// writes it, else got. exlog follows Windows' own event XML where libevtx
// differs: SizeT in hex (0x24c, libevtx 588), times with 7 fractional
// digits (libevtx 9); libevtx blanks a value of only white space; XML reading turns CR LF into LF; a character
// golang-evtx could not decode (U+FFFD, from malformed UTF-16) is not
// compared.
func sameValue(got, want string) string {
	g := controlsToFFFD(strings.ReplaceAll(got, "\r\n", "\n"))
	// evtxexport also prints a value of only white space as empty.
	if g == want || strings.ContainsRune(g, '\uFFFD') || strings.TrimSpace(g) == "" && want == "" {
		return want
	}
	if strings.HasPrefix(g, "0x") {
		if a, err := strconv.ParseUint(g[2:], 16, 64); err == nil {
			if b, err := strconv.ParseUint(want, 10, 64); err == nil && a == b {
				return want
			}
		}
	}
	if a, err := time.Parse(time.RFC3339Nano, g); err == nil {
		if b, err := time.Parse(time.RFC3339Nano, want); err == nil && a.Equal(b) {
			return want
		}
	}
	return got
}
