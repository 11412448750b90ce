package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// Suffix is the extension of exlog index directories.
const Suffix = ".exlog"

// Internal keys. markerKey tells an exlog index from any other bleve index.
const (
	markerKey = "exlog.index"
	metaKey   = "exlog.meta"
	// bundleKey holds the metadata's bundle name alone, so that a search
	// learns it without decoding the whole metadata (megabytes for a big
	// bundle: 18 ms of every search command on a 1M-line cluster log).
	bundleKey = "exlog.bundle"
	// FormatVersion changes when the mapping or document shape changes.
	// 2: slim documents, one stored copy per event, fields.<name> folded
	// into one keyword field. 3: the coarse terms of numbers and times in
	// fields of their own (see coarseName). 4: events stored in the event
	// file, documents point into it (evstore.go).
	FormatVersion = "4"
)

// batchSize, writers and maxInflight follow measurements on a 2-core
// machine (fixtures/bench): bleve builds a segment inside each Batch
// call, so several goroutines submitting batches keep both cores busy.
// On a 100k-line cluster log, 2k-document batches cost the same CPU as
// 5k ones at half the memory (290 vs 580 MB); 10k ones cost more of both.
// On the shared corpus, 1k batches cost no more CPU than 2k ones and peak
// at 270 MB instead of 440 MB. At most maxInflight batches wait to be
// written, which keeps memory flat whatever the size of the bundle.
var (
	batchSize   = 1000
	writers     = max(2, runtime.GOMAXPROCS(0))
	maxInflight = writers + 1
)

// persistWait bounds how long Close waits for bleve to report the last
// batches written after it stopped making progress: a full disk makes
// bleve retry forever without calling back.
const persistWait = 30 * time.Second

// stallWait bounds how long a batch waits for earlier ones to be written.
const stallWait = 2 * time.Minute

// Writer builds an index. Add and AddFindings are safe for concurrent use.
type Writer struct {
	final, tmp string
	ctx        context.Context
	idx        bleve.Index
	build      *docBuilder
	store      *storeWriter
	spools     []*Spool // removed by Close at the latest

	docs    chan *document.Document
	wg      sync.WaitGroup
	pending sync.WaitGroup // batches not yet persisted
	// inflight holds a token per batch submitted and not yet persisted:
	// with unsafe_batch, Batch returns before the segment is written, and
	// without a bound, segments would pile up in memory whenever the
	// persister falls behind.
	inflight chan struct{}
	failed   chan struct{} // closed on the first error
	stop     func() bool   // stops watching the context

	mu  sync.Mutex
	err error
	n   int
}

// Create starts building an index that will appear at path when Close
// succeeds. An existing index at path is replaced then, not before; a
// directory exlog cannot prove it created is never replaced.
func Create(path string) (*Writer, error) {
	return CreateContext(context.Background(), path)
}

// CreateContext is Create with a context: when ctx ends (SIGINT or
// SIGTERM in exlog), the index being built is discarded at once and Close
// returns the context's error.
func CreateContext(ctx context.Context, path string) (*Writer, error) {
	path = filepath.Clean(path)
	if fi, err := os.Stat(path); err == nil {
		if !fi.IsDir() {
			return nil, fmt.Errorf("%s exists and is not an index directory: %w", path, ErrNotIndex)
		}
		if !ownedIndex(path) {
			return nil, fmt.Errorf("%s exists and exlog did not create it (no %s file in it); choose another --index or remove it yourself: %w", path, markerFile, ErrNotIndex)
		}
	}
	CleanLeftovers(path)
	tmp, err := os.MkdirTemp(filepath.Dir(path), "."+filepath.Base(path)+".building-"+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, destError(path, err)
	}
	m, err := newMapping()
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	w := &Writer{final: path, tmp: tmp, build: newDocBuilder(m), docs: make(chan *document.Document, batchSize), failed: make(chan struct{})}
	errorTargets.Store(filepath.Join(tmp, "store"), w) // scorch's own folder
	// bleve wants to create the directory itself; the marker follows at
	// once.
	os.RemoveAll(tmp)
	idx, err := bleve.NewUsing(tmp, m, scorch.Name, scorch.Name, map[string]any{
		"unsafe_batch":           true,
		"asyncErrorCallbackName": asyncErrorCallback,
	})
	w.inflight = make(chan struct{}, maxInflight)
	if err != nil {
		errorTargets.Delete(filepath.Join(tmp, "store"))
		os.RemoveAll(tmp)
		return nil, destError(path, fmt.Errorf("cannot create index: %w", err))
	}
	w.idx = idx
	if w.store, err = newStoreWriter(tmp); err != nil {
		idx.Close()
		errorTargets.Delete(filepath.Join(tmp, "store"))
		os.RemoveAll(tmp)
		return nil, destError(path, err)
	}
	// The marker goes in before any event, so that a run killed at any
	// later point leaves a folder the next run can prove is its own.
	if err := writeMarker(tmp); err != nil {
		idx.Close()
		errorTargets.Delete(filepath.Join(tmp, "store"))
		os.RemoveAll(tmp)
		return nil, destError(path, err)
	}
	for range writers {
		w.wg.Add(1)
		go w.batcher()
	}
	w.ctx = ctx
	w.stop = context.AfterFunc(ctx, func() { w.fail(ctx.Err()) })
	return w, nil
}

// asyncErrorCallback is the name under which scorch finds onAsyncError.
const asyncErrorCallback = "exlog.index.writer"

// errorTargets maps the scorch directory of an index being built to its
// Writer, for the asynchronous error callback, which only gets the path.
var errorTargets sync.Map

func init() {
	scorch.RegistryAsyncErrorCallbacks[asyncErrorCallback] = onAsyncError
}

// onAsyncError hears the errors of scorch's background persister and
// merger. A persister that cannot write (disk full, read-only) retries
// forever without calling back, so the first such error fails the Writer.
func onAsyncError(err error, path string) {
	if w, ok := errorTargets.Load(path); ok {
		w.(*Writer).fail(fmt.Errorf("index: writing %s: %w", path, err))
	}
}

func (w *Writer) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
		close(w.failed)
	}
}

// Err is the first error the Writer met, or nil. After an error, Add
// discards events; Close returns the error.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *Writer) broken() bool {
	select {
	case <-w.failed:
		return true
	default:
		return false
	}
}

// batcher collects documents into batches and submits them. With
// unsafe_batch, Batch returns before the data is on disk; the persisted
// callback is the only signal that it is, so Close waits for every one.
func (w *Writer) batcher() {
	defer w.wg.Done()
	b := w.idx.NewBatch()
	flush := func() {
		if b.Size() == 0 || w.broken() {
			b.Reset()
			return
		}
		select {
		case w.inflight <- struct{}{}:
		case <-w.failed:
			b.Reset()
			return
		case <-time.After(stallWait):
			// Last resort: scorch reports write errors (onAsyncError),
			// but a writer must never wait forever.
			w.fail(fmt.Errorf("index: nothing was written for %v", stallWait))
			b.Reset()
			return
		}
		w.pending.Add(1)
		b.SetPersistedCallback(func(err error) {
			if err != nil {
				w.fail(fmt.Errorf("index: persisting a batch: %w", err))
			}
			<-w.inflight
			w.pending.Done()
		})
		if err := w.idx.Batch(b); err != nil {
			w.fail(fmt.Errorf("index: %w", err))
			<-w.inflight
			w.pending.Done()
		}
		b = w.idx.NewBatch()
	}
	for d := range w.docs {
		if w.broken() {
			continue // drain: the index is lost anyway
		}
		if err := b.IndexAdvanced(d); err != nil {
			w.fail(fmt.Errorf("index: document %s: %w", d.ID(), err))
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
	w.mu.Lock()
	w.n++
	w.mu.Unlock()
	if w.broken() {
		return
	}
	ptr, err := w.store.add(e)
	if err != nil {
		w.fail(err)
		return
	}
	w.docs <- w.build.eventDoc(e, ptr)
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
		d, err := w.build.findingDoc("finding:"+strconv.Itoa(i)+":"+fs[i].Detector, &fs[i])
		if err != nil {
			return err
		}
		if w.broken() {
			return w.Err()
		}
		w.docs <- d
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
	var named struct {
		Bundle string `json:"bundle"`
	}
	if json.Unmarshal(b, &named) == nil && named.Bundle != "" {
		if err := w.setInternal(bundleKey, []byte(named.Bundle)); err != nil {
			return err
		}
	}
	return w.setInternal(metaKey, b)
}

// setInternal stores a key through a batch with a persisted callback:
// with unsafe_batch a plain SetInternal may still be in memory when the
// index closes, and is then lost.
func (w *Writer) setInternal(key string, val []byte) error {
	if w.broken() {
		return w.Err()
	}
	b := w.idx.NewBatch()
	b.SetInternal([]byte(key), val)
	done := make(chan error, 1)
	b.SetPersistedCallback(func(err error) { done <- err })
	if err := w.idx.Batch(b); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-w.failed:
		return w.Err()
	}
}

// waitPersisted waits until every submitted batch is on disk, or the
// Writer has failed.
func (w *Writer) waitPersisted() {
	done := make(chan struct{})
	go func() {
		w.pending.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-w.failed:
	}
}

// Close flushes every batch, waits until all are persisted, closes the
// index and moves it into place. On error the partial index is removed.
func (w *Writer) Close() error {
	w.stop()
	close(w.docs)
	w.wg.Wait()
	if err := w.store.close(); err != nil {
		w.fail(err)
	}
	w.waitPersisted()
	if w.Err() == nil {
		w.compact()
	}
	if w.Err() == nil {
		if err := w.setInternal(markerKey, []byte(FormatVersion)); err != nil {
			w.fail(err)
		}
	}
	w.closeIndex()
	// A spool not read back must not move into place with the index.
	for _, sp := range w.spools {
		sp.Discard()
	}
	if err := w.Err(); err != nil {
		os.RemoveAll(w.tmp)
		if isDiskError(err) {
			return destError(w.final, err)
		}
		return err
	}
	return replaceDir(w.tmp, w.final)
}

// finalTiers is how many segments of each size the finished index keeps.
// bleve's merger stops where its tiers allow ten segments of each size:
// 25 to 40 segments for a 1M-line cluster log, each opened and searched
// by every search. Merging the small ones down to three a tier at the end
// left 5 segments; it cost 10 s of the 88 s of that triage (after the
// findings are printed) and made a whole selective search command 45 ->
// 38 ms, an hour sorted by time 40 -> 33 ms (medians of 14 runs).
const finalTiers = 3

// compact merges the index's small segments (see finalTiers).
func (w *Writer) compact() {
	adv, err := w.idx.Advanced()
	if err != nil {
		return
	}
	sc, ok := adv.(*scorch.Scorch)
	if !ok {
		return
	}
	mo := mergeplan.DefaultMergePlanOptions
	mo.MaxSegmentsPerTier = finalTiers
	// scorch retries a merge that failed (a full disk) until the index is
	// closed, and ForceMerge waits until then: stop waiting as soon as
	// the Writer has failed (the error callback, SIGINT); closing the
	// index then ends the merge.
	done := make(chan error, 1)
	go func() { done <- sc.ForceMerge(w.ctx, &mo) }()
	select {
	case err := <-done:
		if err != nil {
			w.fail(fmt.Errorf("index: merging segments: %w", err))
		}
	case <-w.failed:
	}
}

// closeIndex closes bleve, but gives up waiting after persistWait: a
// persister stuck on a full disk may never return.
func (w *Writer) closeIndex() {
	defer errorTargets.Delete(filepath.Join(w.tmp, "store"))
	done := make(chan error, 1)
	go func() { done <- w.idx.Close() }()
	select {
	case err := <-done:
		if err != nil {
			w.fail(err)
		}
	case <-time.After(persistWait):
		w.fail(errors.New("index: closing the index timed out"))
	}
}

// Abort discards the index being built.
func (w *Writer) Abort() {
	w.stop()
	w.fail(errors.New("index: aborted"))
	close(w.docs)
	w.wg.Wait()
	w.store.abort()
	for _, sp := range w.spools {
		sp.Discard()
	}
	w.closeIndex()
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
			return destError(final, fmt.Errorf("cannot replace %s: %w", final, err))
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		if old != "" {
			os.Rename(old, final)
		}
		os.RemoveAll(tmp)
		return destError(final, fmt.Errorf("cannot move the index into place at %s: %w", final, err))
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

// ErrNotIndex is returned when a path is not an exlog index.
var ErrNotIndex = errors.New("not an exlog index")
