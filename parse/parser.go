package parse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Input is one file found in a bundle, ready to be streamed.
type Input struct {
	// Path is the file's path inside the bundle, with '/' separators; files
	// inside archives are written outer.zip!/inner.zip!/dir/file.log.
	Path string
	// Node is the server the bundle layout attributes the file to, short and
	// upper-case, or "" when the layout says nothing. Parsers prefer what
	// the content says.
	Node string
	// ModTime is the file's modification time as stored in the bundle.
	ModTime time.Time
	// Size is the uncompressed size in bytes, or -1 when unknown.
	Size int64
	// Open returns a fresh stream over the file's bytes. It may be called
	// more than once.
	Open func() (io.ReadCloser, error)
}

// Parser turns one file format into Events. Implementations must be safe
// for concurrent use: one value parses many files at once.
type Parser interface {
	// Name is the format name stored in Event.Source and shown to users.
	Name() string
	// Sniff reports whether head, the first bytes of a file (up to
	// SniffSize, fewer for short files), is in this format. It decides by
	// content, never by file name.
	Sniff(head []byte) bool
	// Parse streams the file and calls emit for every event in file order.
	// Problems that skip data without stopping the parse are recorded in
	// rep. A returned error means the parse stopped early; events emitted
	// before it stand. An error from emit must be returned unchanged.
	Parse(ctx context.Context, in *Input, rep *Report, emit func(*Event) error) error
}

// SniffSize is how many leading bytes a Parser's Sniff is given.
const SniffSize = 8192

// Problem is something a parser skipped or distrusted, with the reason.
type Problem struct {
	// Where locates it: "line 120", "chunk 3 (offset 0x31000)", "records 40-52".
	Where string `json:"where"`
	// What happened and what it cost: "bad chunk magic; 0 records read".
	Reason string `json:"reason"`
}

// Report is what happened to one file of a bundle.
type Report struct {
	Path   string `json:"path"`
	Format string `json:"format,omitempty"`
	Node   string `json:"node,omitempty"`
	// NodeFrom says how Node was decided: parse.NodeFromContent or
	// parse.NodeFromLayout.
	NodeFrom string `json:"node_from,omitempty"`
	Size     int64  `json:"size"`
	Events   int    `json:"events"`
	// Recovered counts events read from damaged or unallocated regions.
	Recovered int `json:"recovered,omitempty"`
	// Skipped counts records or regions that could not be read.
	Skipped int `json:"skipped,omitempty"`
	// Problems lists what was skipped and why; capped at MaxProblems, with
	// the rest counted in MoreProblems.
	Problems     []Problem `json:"problems,omitempty"`
	MoreProblems int       `json:"more_problems,omitempty"`
	// DuplicateOf names the file this one copies (equal, or all of its
	// records are that file's first ones); its events count once, there.
	DuplicateOf string `json:"duplicate_of,omitempty"`
	// Notes are remarks that are not damage: how a doubt was settled, such
	// as a node named by the content but not by the bundle layout.
	Notes []string `json:"notes,omitempty"`
	// Status is "ok", "partial" (read with problems), "failed" (nothing
	// read), "unknown" (no parser recognised it) or "rejected" (unsafe path
	// or archive bomb).
	Status string `json:"status"`
	// Error is the reason for a failed, unknown or rejected file, or for a
	// parse that stopped early.
	Error string `json:"error,omitempty"`

	mu sync.Mutex
}

// IndexMarker is the file exlog writes into every index folder it builds.
// The bundle walker never reads a folder that holds it: an index is
// exlog's output, never its input.
const IndexMarker = "exlog-index"

// File statuses.
const (
	StatusOK       = "ok"
	StatusPartial  = "partial"
	StatusFailed   = "failed"
	StatusUnknown  = "unknown"
	StatusRejected = "rejected"
)

// MaxProblems bounds Report.Problems so a badly damaged file cannot flood
// the output; the overflow is counted, not lost.
const MaxProblems = 50

// AddProblem records a problem. It is safe for concurrent use, for parsers
// that work on several chunks of a file at once.
func (r *Report) AddProblem(where, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.Problems) >= MaxProblems {
		r.MoreProblems++
		return
	}
	r.Problems = append(r.Problems, Problem{Where: where, Reason: fmt.Sprintf(format, args...)})
}

// Note records a remark that is not damage; it does not change Status.
func (r *Report) Note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.Notes) < MaxProblems {
		r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
	}
}

// Finish sets Status from what was recorded and err, the parse result.
func (r *Report) Finish(err error) {
	switch {
	case err != nil && r.Events == 0:
		r.Status = StatusFailed
		r.Error = err.Error()
	case err != nil:
		r.Status = StatusPartial
		r.Error = err.Error()
	case len(r.Problems) > 0 || r.Skipped > 0:
		r.Status = StatusPartial
	default:
		r.Status = StatusOK
	}
}

// ErrNotFormat is returned by a Parser that finds, past the sniffed head,
// that the file is not its format after all.
var ErrNotFormat = errors.New("not this format")

// ReadAllLimit reads a whole stream when a format needs random access (EVT's
// wrapped ring buffer), refusing files larger than limit bytes.
func ReadAllLimit(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return b, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("file is larger than %d MiB, the most this format is read into memory", limit>>20)
	}
	return b, nil
}

// PanicError is what a parser makes of a panic it recovered in its own
// code, so that a bug costs one file rather than the whole triage run.
type PanicError struct {
	Parser string // how the message names the parser
	Line   int    // the line being read when it panicked
	Value  any    // what was recovered
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("internal error in %s near line %d: %v", e.Parser, e.Line, e.Value)
}

// RecoverPanic, deferred by a parser's Parse, turns a panic in the
// parser's own code into a PanicError in *err naming the parser and the
// line it was reading (*line at the time of the panic).
func RecoverPanic(err *error, parser string, line *int) {
	if v := recover(); v != nil {
		*err = &PanicError{Parser: parser, Line: *line, Value: v}
	}
}
