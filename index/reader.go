package index

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// Reader is an index opened read-only.
type Reader struct {
	Path string
	bleve.Index
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
	return &Reader{Path: path, Index: idx}, nil
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

// EventFromHit rebuilds an event from a hit's stored fields (request
// Fields = ["*"]).
func EventFromHit(h *search.DocumentMatch) *parse.Event {
	f := h.Fields
	e := &parse.Event{
		TimeQuality: parse.TimeQuality(str(f["time_quality"])),
		Node:        str(f["node"]),
		Source:      str(f["source"]),
		Kind:        str(f["kind"]),
		File:        str(f["file"]),
		Provider:    str(f["provider"]),
		Level:       str(f["level"]),
		Message:     str(f["message"]),
		Line:        int(num(f["line"])),
		EventID:     int(num(f["event_id"])),
		Run:         int(num(f["run"])),
	}
	if t, err := time.Parse(time.RFC3339Nano, str(f["time"])); err == nil {
		e.Time = t.UTC()
	}
	e.Record, _ = strconv.ParseUint(str(f["record"]), 10, 64)
	e.Offset, _ = strconv.ParseInt(str(f["offset"]), 10, 64)
	for k, v := range f {
		if name, ok := strings.CutPrefix(k, "fields."); ok {
			e.SetField(name, str(v))
		}
	}
	return e
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
