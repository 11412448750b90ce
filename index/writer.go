package index

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// Suffix is the extension of exlog index directories.
const Suffix = ".exlog"

// Internal keys. markerKey tells an exlog index from any other bleve index.
const (
	markerKey = "exlog.index"
	metaKey   = "exlog.meta"
	// FormatVersion changes when the mapping or document shape changes.
	FormatVersion = "1"
)

// batchSize and writers follow measurements on a 2-core machine: several
// goroutines submitting batches is what speeds bleve up (it builds a
// segment inside each Batch call); 2k-document batches keep memory modest.
const batchSize = 2000

// Writer builds an index. Add and AddFindings are safe for concurrent use.
type Writer struct {
	final, tmp string
	idx        bleve.Index

	docs    chan doc
	wg      sync.WaitGroup
	persist sync.WaitGroup

	mu  sync.Mutex
	err error
	n   int
}

type doc struct {
	id   string
	body map[string]any
}

// Create starts building an index that will appear at path when Close
// succeeds. An existing index at path is replaced then, not before.
func Create(path string) (*Writer, error) {
	path = filepath.Clean(path)
	if fi, err := os.Stat(path); err == nil {
		if !fi.IsDir() {
			return nil, fmt.Errorf("%s exists and is not an index directory", path)
		}
		if !isIndex(path) {
			return nil, fmt.Errorf("%s exists and is not an exlog index; choose another --index or remove it", path)
		}
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), "."+filepath.Base(path)+".building-")
	if err != nil {
		return nil, fmt.Errorf("cannot create the index beside %s: %w", path, err)
	}
	m, err := newMapping()
	if err != nil {
		return nil, err
	}
	// bleve wants to create the directory itself.
	os.Remove(tmp)
	idx, err := bleve.NewUsing(tmp, m, scorch.Name, scorch.Name, map[string]any{"unsafe_batch": true})
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("cannot create index: %w", err)
	}
	w := &Writer{final: path, tmp: tmp, idx: idx, docs: make(chan doc, batchSize)}
	for range max(2, runtime.GOMAXPROCS(0)) {
		w.wg.Add(1)
		go w.batcher()
	}
	return w, nil
}

func isIndex(path string) bool {
	_, err := os.Stat(filepath.Join(path, "index_meta.json"))
	return err == nil
}

func (w *Writer) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
}

// batcher collects documents into batches and submits them. With
// unsafe_batch, Batch returns before the data is on disk; the persisted
// callback is the only signal that it is, so Close waits for every one.
func (w *Writer) batcher() {
	defer w.wg.Done()
	b := w.idx.NewBatch()
	flush := func() {
		if b.Size() == 0 {
			return
		}
		w.persist.Add(1)
		b.SetPersistedCallback(func(err error) {
			if err != nil {
				w.fail(fmt.Errorf("index: persisting a batch: %w", err))
			}
			w.persist.Done()
		})
		if err := w.idx.Batch(b); err != nil {
			w.fail(fmt.Errorf("index: %w", err))
			w.persist.Done()
		}
		b = w.idx.NewBatch()
	}
	for d := range w.docs {
		if err := b.Index(d.id, d.body); err != nil {
			w.fail(fmt.Errorf("index: document %s: %w", d.id, err))
			continue
		}
		if b.Size() >= batchSize {
			flush()
		}
	}
	flush()
}

// Add indexes one event.
func (w *Writer) Add(e *parse.Event) {
	w.docs <- doc{id: e.ID(), body: EventDoc(e)}
	w.mu.Lock()
	w.n++
	w.mu.Unlock()
}

// Count is the number of events added so far.
func (w *Writer) Count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// AddFindings stores the findings of the detectors so that searches and
// reports need no re-parse.
func (w *Writer) AddFindings(fs []detect.Finding) error {
	for i := range fs {
		f := &fs[i]
		body, err := json.Marshal(f)
		if err != nil {
			return err
		}
		d := map[string]any{
			"type":     TypeFinding,
			"detector": f.Detector,
			"severity": f.Severity.String(),
			"cause":    f.Cause,
			"nodes":    f.Nodes,
			"groups":   f.Groups,
			"message":  f.Summary + "\n" + f.Explanation,
			"json":     string(body),
		}
		if !f.Start.IsZero() {
			d["time"] = f.Start
		}
		w.docs <- doc{id: "finding:" + strconv.Itoa(i) + ":" + f.Detector, body: d}
	}
	return nil
}

// SetMeta stores v as the index's metadata (bundle name, file reports,
// node facts): what a report needs besides events and findings.
func (w *Writer) SetMeta(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return w.setInternal(metaKey, b)
}

// setInternal stores a key through a batch with a persisted callback:
// with unsafe_batch a plain SetInternal may still be in memory when the
// index closes, and is then lost.
func (w *Writer) setInternal(key string, val []byte) error {
	b := w.idx.NewBatch()
	b.SetInternal([]byte(key), val)
	done := make(chan error, 1)
	b.SetPersistedCallback(func(err error) { done <- err })
	if err := w.idx.Batch(b); err != nil {
		return err
	}
	return <-done
}

// EventDoc is the document stored for an event.
func EventDoc(e *parse.Event) map[string]any {
	d := map[string]any{
		"type":         TypeEvent,
		"time_quality": string(e.TimeQuality),
		"source":       e.Source,
		"file":         e.File,
		"message":      e.Message,
	}
	if !e.Time.IsZero() {
		d["time"] = e.Time
	}
	put := func(k, v string) {
		if v != "" {
			d[k] = v
		}
	}
	put("node", e.Node)
	put("kind", e.Kind)
	put("provider", e.Provider)
	put("level", e.Level)
	if e.Line > 0 {
		d["line"] = float64(e.Line)
	}
	if e.Record > 0 || e.Offset > 0 {
		d["record"] = strconv.FormatUint(e.Record, 10)
		d["offset"] = strconv.FormatInt(e.Offset, 10)
	}
	if e.EventID != 0 {
		d["event_id"] = float64(e.EventID)
		d["eid"] = strconv.Itoa(e.EventID)
	}
	if e.Run > 0 {
		d["run"] = float64(e.Run)
	}
	if len(e.Fields) > 0 {
		f := make(map[string]any, len(e.Fields))
		for k, v := range e.Fields {
			f[k] = v
		}
		d["fields"] = f
	}
	return d
}

// Close flushes every batch, waits until all are persisted, closes the
// index and moves it into place. On error the partial index is removed.
func (w *Writer) Close() error {
	close(w.docs)
	w.wg.Wait()
	w.persist.Wait()
	if err := w.setInternal(markerKey, []byte(FormatVersion)); err != nil {
		w.fail(err)
	}
	if err := w.idx.Close(); err != nil {
		w.fail(err)
	}
	if w.err != nil {
		os.RemoveAll(w.tmp)
		return w.err
	}
	return replaceDir(w.tmp, w.final)
}

// Abort discards the index being built.
func (w *Writer) Abort() {
	close(w.docs)
	w.wg.Wait()
	w.persist.Wait()
	w.idx.Close()
	os.RemoveAll(w.tmp)
}

// replaceDir moves a finished index over an older one. The old one is
// renamed aside first, so that at every moment the final path is either
// the complete old index or the complete new one.
func replaceDir(tmp, final string) error {
	old := ""
	if _, err := os.Stat(final); err == nil {
		old = final + ".old-" + strconv.Itoa(os.Getpid())
		if err := os.Rename(final, old); err != nil {
			os.RemoveAll(tmp)
			return fmt.Errorf("cannot replace %s: %w", final, err)
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		if old != "" {
			os.Rename(old, final)
		}
		os.RemoveAll(tmp)
		return fmt.Errorf("cannot move the index into place at %s: %w", final, err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

// ErrNotIndex is returned when a path is not an exlog index.
var ErrNotIndex = errors.New("not an exlog index")
