package index

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// Reader is an index opened read-only.
type Reader struct {
	Path string
	bleve.Index
	store *storeReader
}

// lockWait bounds how long Open waits for another process's lock; an
// index being written is a new directory, so this only matters for
// tools that hold an index open for writing in place.
const lockWait = "10s"

// Open opens an exlog index read-only. Any number of readers may have the
// same index open at once.
func Open(path string) (*Reader, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("no index at %s (build one with: exlog triage BUNDLE)", path)
	}
	if !fi.IsDir() || !isIndex(path) {
		return nil, fmt.Errorf("%s: %w", path, ErrNotIndex)
	}
	idx, err := bleve.OpenUsing(path, map[string]any{"read_only": true, "bolt_timeout": lockWait})
	if err != nil {
		return nil, fmt.Errorf("cannot open index %s: %w", path, err)
	}
	v, err := idx.GetInternal([]byte(markerKey))
	if err != nil || len(v) == 0 {
		idx.Close()
		return nil, fmt.Errorf("%s: %w", path, ErrNotIndex)
	}
	if string(v) != FormatVersion {
		idx.Close()
		return nil, fmt.Errorf("%s was written by another exlog version (index format %s, this exlog reads %s); run exlog triage again", path, v, FormatVersion)
	}
	store, err := openStore(path)
	if err != nil {
		idx.Close()
		return nil, fmt.Errorf("cannot open index %s: %w", path, err)
	}
	return &Reader{Path: path, Index: idx, store: store}, nil
}

// Close closes the index and its event file.
func (r *Reader) Close() error {
	err := r.Index.Close()
	if cerr := r.store.close(); err == nil {
		err = cerr
	}
	return err
}

// Meta reads the metadata stored with SetMeta into v.
func (r *Reader) Meta(v any) error {
	b, err := r.GetInternal([]byte(metaKey))
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return fmt.Errorf("%s holds no bundle metadata", r.Path)
	}
	return json.Unmarshal(b, v)
}

// bundleName is the name of the bundle the index was built from (kept
// apart from the metadata by SetMeta), or the folder's name when the
// metadata named none.
func (r *Reader) bundleName() string {
	if b, err := r.GetInternal([]byte(bundleKey)); err == nil && len(b) > 0 {
		return string(b)
	}
	return strings.TrimSuffix(filepath.Base(r.Path), Suffix)
}

// EventOf rebuilds the event of a hit of this index (request Fields =
// ["at"] or ["*"]) from its stored copy. A damaged copy gives an event
// with the message saying so; it never panics.
func (r *Reader) EventOf(h *search.DocumentMatch) *parse.Event {
	e, err := r.store.event([]byte(str(h.Fields[pointerField])))
	if err != nil {
		return &parse.Event{Message: fmt.Sprintf("(event %s: %v)", h.ID, err)}
	}
	return e
}

// Events calls fn with every event stored in the index, each rebuilt
// whole (every core attribute and every entry of Fields) from its stored
// copy. The order is the index's own, not time order. It stops at the
// first error fn returns, or when ctx ends, and returns that error.
func (r *Reader) Events(ctx context.Context, fn func(*parse.Event) error) error {
	var fnErr error
	err := r.store.each(ctx, func(e *parse.Event) error {
		fnErr = fn(e)
		return fnErr
	})
	if err != nil && err != fnErr && err != ctx.Err() {
		return fmt.Errorf("%s: %w", r.Path, err)
	}
	return err
}

// FindingFromHit rebuilds a stored finding.
func FindingFromHit(h *search.DocumentMatch) (detect.Finding, error) {
	var f detect.Finding
	err := json.Unmarshal([]byte(str(h.Fields["json"])), &f)
	return f, err
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any: // a field stored more than once
		parts := make([]string, 0, len(x))
		for _, p := range x {
			parts = append(parts, str(p))
		}
		return strings.Join(parts, " ")
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func num(v any) float64 {
	if f, ok := v.(float64); ok {
		return f
	}
	return 0
}

// SearchInContext runs a bleve request on the index. Range clauses on
// numbers and times, in the request's query or in a query string, are
// adapted to how exlog indexes those fields (numeric.go), so a raw bleve
// query gets the answer it would get from a plain bleve index.
func (r *Reader) SearchInContext(ctx context.Context, req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	q := req.Query
	if qs, ok := q.(*query.QueryStringQuery); ok {
		if parsed, err := qs.Parse(); err == nil {
			q = parsed
		}
	}
	adapted := *req
	adapted.Query = slimRanges(q)
	return r.Index.SearchInContext(ctx, &adapted)
}

// Search is SearchInContext without a context.
func (r *Reader) Search(req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	return r.SearchInContext(context.Background(), req)
}
