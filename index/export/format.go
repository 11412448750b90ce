package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/exlog/exlog/parse"
)

// Format is an output format.
type Format string

// The output formats.
const (
	// ESBulk is the Elasticsearch/OpenSearch _bulk body: an "index" action
	// line with _index and _id, then the document, for each document.
	ESBulk Format = "es-bulk"
	// NDJSON is one ECS document per line.
	NDJSON Format = "ndjson"
	// Timesketch is Timesketch's JSONL import format: message, datetime,
	// timestamp (microseconds) and timestamp_desc, then the attributes
	// under their dotted ECS names.
	Timesketch Format = "timesketch"
	// TimesketchCSV is Timesketch's CSV import format with a fixed header;
	// attributes without a column of their own go to exlog.attributes as
	// a JSON object.
	TimesketchCSV Format = "timesketch-csv"
)

// Formats lists the formats, for usage messages.
var Formats = []Format{ESBulk, NDJSON, Timesketch, TimesketchCSV}

// ParseFormat reads a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q (want es-bulk, ndjson, timesketch or timesketch-csv)", s)
}

// Sink receives documents. Add is safe for concurrent use; Close flushes.
type Sink interface {
	Add(ctx context.Context, d *Document) error
	Close() error
}

// appendJSON appends v as JSON and a newline. HTML characters are kept as
// they are: the output is not embedded in HTML, and log text is full of <>&.
func appendJSON(buf []byte, v any) ([]byte, error) {
	b := bytes.NewBuffer(buf)
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return buf, err
	}
	return b.Bytes(), nil
}

// bulkAction is the action line of an es-bulk item. "index" (not
// "create") so that a second export of the same bundle replaces the
// documents of the first.
type bulkAction struct {
	Index struct {
		Index string `json:"_index"`
		ID    string `json:"_id"`
	} `json:"index"`
}

// AppendBulk appends the two _bulk lines of d for the given index.
func AppendBulk(buf []byte, index string, d *Document) ([]byte, error) {
	var a bulkAction
	a.Index.Index, a.Index.ID = index, d.ID
	buf, err := appendJSON(buf, &a)
	if err != nil {
		return buf, err
	}
	return appendJSON(buf, d)
}

// timestampDesc says what a document's time is, for Timesketch.
func timestampDesc(d *Document) string {
	switch {
	case d.Event.Kind == "alert":
		return "Finding Start"
	case d.Exlog.Kind == parse.KindSetupRun:
		return "Setup Run Start"
	}
	switch d.Exlog.Source {
	case parse.SourceEVTX, parse.SourceEVT:
		return "Event Logged"
	case parse.SourceSetupLog:
		return "Setup Log Entry"
	case parse.SourceClusterLog:
		return "Cluster Log Entry"
	}
	return "Event Time"
}

// field is one flattened attribute: a dotted name and its JSON value.
type field struct {
	name  string
	value json.RawMessage
}

// flatten turns a document into dotted attribute names in the order of
// the nested JSON, so that Timesketch and CSV carry the same names as the
// field reference. Arrays stay whole JSON values.
func flatten(d *Document) ([]field, error) {
	b, err := appendJSON(nil, d)
	if err != nil {
		return nil, err
	}
	var out []field
	var walk func(prefix string, raw json.RawMessage) error
	walk = func(prefix string, raw json.RawMessage) error {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || raw[0] != '{' {
			out = append(out, field{prefix, raw})
			return nil
		}
		// Decode keeping the order of keys: a token walk over the object.
		kd := json.NewDecoder(bytes.NewReader(raw))
		if _, err := kd.Token(); err != nil {
			return err
		}
		for kd.More() {
			t, err := kd.Token()
			if err != nil {
				return err
			}
			var v json.RawMessage
			if err := kd.Decode(&v); err != nil {
				return err
			}
			name := t.(string)
			if prefix != "" {
				name = prefix + "." + name
			}
			if err := walk(name, v); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk("", b); err != nil {
		return nil, err
	}
	return out, nil
}

// timesketchFields is a document in Timesketch's import shape; ok is false
// when the document has no time, which Timesketch requires.
func timesketchFields(d *Document) (fs []field, ok bool, err error) {
	if d.time.IsZero() {
		return nil, false, nil
	}
	flat, err := flatten(d)
	if err != nil {
		return nil, false, err
	}
	str := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	fs = append(fs,
		field{"message", str(d.Message)},
		field{"datetime", str(d.time.Format("2006-01-02T15:04:05.999999-07:00"))},
		field{"timestamp", json.RawMessage(strconv.FormatInt(d.time.UnixMicro(), 10))},
		field{"timestamp_desc", str(timestampDesc(d))},
	)
	for _, f := range flat {
		if f.name == "message" || f.name == "@timestamp" {
			continue
		}
		fs = append(fs, f)
	}
	return fs, true, nil
}

// appendObject writes fields as one flat JSON object and a newline.
func appendObject(buf []byte, fs []field) []byte {
	buf = append(buf, '{')
	for i, f := range fs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendQuote(buf, f.name) // dotted ASCII names
		buf = append(buf, ':')
		buf = append(buf, f.value...)
	}
	return append(buf, '}', '\n')
}

// csvColumns are the Timesketch CSV columns; every other attribute goes
// into exlog.attributes.
var csvColumns = []string{
	"message", "datetime", "timestamp", "timestamp_desc",
	"event.id", "event.kind", "event.dataset", "event.code", "event.provider", "event.severity",
	"log.level", "host.name", "winlog.channel", "winlog.computer_name", "winlog.record_id",
	"log.file.path", "log.offset", "rule.id",
	"exlog.case", "exlog.bundle", "exlog.source", "exlog.kind", "exlog.node_from", "exlog.time_quality",
	"exlog.line", "exlog.record", "exlog.run", "exlog.attributes",
}

// csvColumn is the index of each CSV column.
var csvColumn = func() map[string]int {
	m := make(map[string]int, len(csvColumns))
	for i, c := range csvColumns {
		m[c] = i
	}
	return m
}()

// csvRecord lays fields out in csvColumns order. Strings are unquoted;
// numbers and arrays keep their JSON text.
func csvRecord(fs []field) []string {
	rec := make([]string, len(csvColumns))
	var rest []field
	for _, f := range fs {
		i, ok := csvColumn[f.name]
		if !ok || f.name == "exlog.attributes" {
			rest = append(rest, f)
			continue
		}
		rec[i] = jsonText(f.value)
	}
	if len(rest) > 0 {
		b := appendObject(nil, rest)
		rec[csvColumn["exlog.attributes"]] = string(b[:len(b)-1])
	}
	return rec
}

func jsonText(v json.RawMessage) string {
	if len(v) > 0 && v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	return string(v)
}

// FileWriter writes documents in one format to a stream.
type FileWriter struct {
	mu     sync.Mutex
	w      *bufio.Writer
	csv    *csv.Writer
	format Format
	index  string
	buf    []byte

	written, untimed int
}

// NewFileWriter writes documents to w; index names the _index of es-bulk
// action lines.
func NewFileWriter(w io.Writer, f Format, index string) *FileWriter {
	fw := &FileWriter{w: bufio.NewWriterSize(w, 256<<10), format: f, index: index}
	if f == TimesketchCSV {
		fw.csv = csv.NewWriter(fw.w)
	}
	return fw
}

// Add writes one document. Timesketch formats leave out documents without
// a time (Timesketch needs one to place an event on a timeline) and count
// them; see Untimed.
func (w *FileWriter) Add(_ context.Context, d *Document) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var err error
	w.buf = w.buf[:0]
	switch w.format {
	case ESBulk:
		w.buf, err = AppendBulk(w.buf, w.index, d)
	case NDJSON:
		w.buf, err = appendJSON(w.buf, d)
	case Timesketch, TimesketchCSV:
		fs, ok, ferr := timesketchFields(d)
		if ferr != nil {
			return ferr
		}
		if !ok {
			w.untimed++
			return nil
		}
		if w.csv != nil {
			if w.written == 0 {
				if err := w.csv.Write(csvColumns); err != nil {
					return err
				}
			}
			w.written++
			return w.csv.Write(csvRecord(fs))
		}
		w.buf = appendObject(w.buf, fs)
	default:
		return fmt.Errorf("export: unknown format %q", w.format)
	}
	if err != nil {
		return err
	}
	w.written++
	_, err = w.w.Write(w.buf)
	return err
}

// Written is the number of documents written.
func (w *FileWriter) Written() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written
}

// Untimed is the number of documents a Timesketch format left out because
// they have no time.
func (w *FileWriter) Untimed() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.untimed
}

// Close flushes the output; it does not close the underlying writer.
func (w *FileWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.csv != nil {
		if w.written == 0 {
			if err := w.csv.Write(csvColumns); err != nil {
				return err
			}
		}
		w.csv.Flush()
		if err := w.csv.Error(); err != nil {
			return err
		}
	}
	return w.w.Flush()
}
