package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fixtureDocs are the documents of the all-formats fixture bundle: events
// of every format, then the findings.
func fixtureDocs(t testing.TB) []*Document {
	evs, fs := readBundle(t, allFormats(t))
	src := Source{Case: "c1", Bundle: "all-formats"}
	var docs []*Document
	for _, ev := range evs {
		docs = append(docs, EventDoc(src, ev))
	}
	return append(docs, FindingDocs(src, fs)...)
}

func writeAll(t testing.TB, f Format, docs []*Document) (*FileWriter, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := NewFileWriter(&buf, f, "cases")
	for _, d := range docs {
		if err := w.Add(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w, buf.Bytes()
}

func TestESBulkFile(t *testing.T) {
	docs := fixtureDocs(t)
	w, out := writeAll(t, ESBulk, docs)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != 2*len(docs) || w.Written() != len(docs) {
		t.Fatalf("%d lines for %d documents (written %d)", len(lines), len(docs), w.Written())
	}
	for i := 0; i < len(lines); i += 2 {
		var a struct {
			Index struct {
				ID    string `json:"_id"`
				Index string `json:"_index"`
			} `json:"index"`
		}
		var d map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &a); err != nil {
			t.Fatalf("action line %d: %v", i, err)
		}
		if err := json.Unmarshal([]byte(lines[i+1]), &d); err != nil {
			t.Fatalf("source line %d: %v", i+1, err)
		}
		want := docs[i/2]
		if a.Index.Index != "cases" || a.Index.ID != want.ID || at(d, "event.id") != want.ID {
			t.Fatalf("item %d: action %+v, event.id %v, want %s", i/2, a, at(d, "event.id"), want.ID)
		}
	}
	if bytes.Contains(out, []byte(`\u003c`)) || bytes.Contains(out, []byte(`\u003e`)) {
		t.Error("log text with < or > was HTML-escaped")
	}
}

// leafNames flattens decoded JSON independently of flatten().
func leafNames(prefix string, v any, out map[string]bool) {
	m, ok := v.(map[string]any)
	if !ok {
		out[prefix] = true
		return
	}
	for k, c := range m {
		if prefix != "" {
			k = prefix + "." + k
		}
		leafNames(k, c, out)
	}
}

func TestTimesketchJSONL(t *testing.T) {
	docs := fixtureDocs(t)
	w, out := writeAll(t, Timesketch, docs)
	untimed := 0
	for _, d := range docs {
		if d.Timestamp == "" {
			untimed++
		}
	}
	if untimed == 0 || w.Untimed() != untimed || w.Written() != len(docs)-untimed {
		t.Fatalf("written %d, untimed %d; the bundle has %d documents, %d without a time", w.Written(), w.Untimed(), len(docs), untimed)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	i := 0
	for _, d := range docs {
		if d.Timestamp == "" {
			continue
		}
		if !sc.Scan() {
			t.Fatalf("output ends after %d lines", i)
		}
		i++
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		// Timesketch's three required fields, and the optional timestamp
		// in microseconds agreeing with datetime.
		if m["message"] != d.Message || m["timestamp_desc"] == "" || m["event.id"] != d.ID {
			t.Fatalf("line %d: %v", i, m)
		}
		dt, err := time.Parse(time.RFC3339Nano, m["datetime"].(string))
		if err != nil || !dt.Equal(d.time) {
			t.Fatalf("line %d: datetime %v (%v), want %s", i, m["datetime"], err, d.Timestamp)
		}
		if us, _ := m["timestamp"].(json.Number).Int64(); us != d.time.UnixMicro() {
			t.Fatalf("line %d: timestamp %v, want %d", i, m["timestamp"], d.time.UnixMicro())
		}
		// Every nested attribute is there under its dotted name, nothing else.
		want := map[string]bool{"datetime": true, "timestamp": true, "timestamp_desc": true}
		leafNames("", asMap(t, d), want)
		delete(want, "@timestamp")
		var got, wantNames []string
		for k := range m {
			got = append(got, k)
		}
		for k := range want {
			wantNames = append(wantNames, k)
		}
		sort.Strings(got)
		sort.Strings(wantNames)
		if !slices.Equal(got, wantNames) {
			t.Fatalf("line %d: attributes %v, want %v", i, got, wantNames)
		}
	}
	if sc.Scan() {
		t.Fatalf("more lines than timed documents: %s", sc.Text())
	}
}

func TestTimesketchCSV(t *testing.T) {
	docs := fixtureDocs(t)
	_, out := writeAll(t, TimesketchCSV, docs)
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], csvColumns) {
		t.Fatalf("header %v", recs[0])
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	rows := recs[1:]
	n := 0
	for _, d := range docs {
		if d.Timestamp == "" {
			continue
		}
		r := rows[n]
		n++
		if r[col["message"]] != d.Message || r[col["event.id"]] != d.ID || r[col["timestamp"]] != strconv.FormatInt(d.time.UnixMicro(), 10) {
			t.Fatalf("row %d: %v", n, r)
		}
		host := ""
		if d.Host != nil {
			host = d.Host.Name
		}
		if r[col["host.name"]] != host || r[col["exlog.bundle"]] != "all-formats" {
			t.Fatalf("row %d: host %q bundle %q", n, r[col["host.name"]], r[col["exlog.bundle"]])
		}
		// Attributes without a column travel as one JSON object.
		var rest map[string]any
		if a := r[col["exlog.attributes"]]; a != "" {
			if err := json.Unmarshal([]byte(a), &rest); err != nil {
				t.Fatalf("row %d: exlog.attributes %q: %v", n, a, err)
			}
		}
		for k, v := range d.Exlog.Fields {
			if rest["exlog.fields."+k] != v {
				t.Fatalf("row %d: exlog.fields.%s = %v, want %q", n, k, rest["exlog.fields."+k], v)
			}
		}
	}
	if n != len(rows) {
		t.Fatalf("%d rows, %d timed documents", len(rows), n)
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats {
		if g, err := ParseFormat(string(f)); err != nil || g != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, g, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("xml accepted")
	}
}
