package bundle

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// EntryError is what Input.Open returns for a part of a bundle that Walk
// will not or cannot offer for parsing. Walk still visits such entries, so
// that nothing in a bundle disappears without a word, and Parse turns the
// error into the entry's Report. Reads of an entry return an EntryError too
// when a bomb limit stops them.
type EntryError struct {
	// Path is the bundle path of the entry or archive concerned.
	Path string
	// Status is parse.StatusRejected (unsafe name, link out of the
	// bundle, bomb limit, nesting too deep), parse.StatusFailed
	// (unreadable), parse.StatusPartial (an archive read only in part) or
	// parse.StatusUnknown (an archive with no files in it).
	Status string
	// Format names the container when the entry is an archive: "zip",
	// "tar" or "gzip".
	Format string
	// Reason says what was refused or went wrong and what it cost.
	Reason string
}

func (e *EntryError) Error() string { return e.Path + ": " + e.Reason }

// size writes a byte count the way the limits are usually set: in whole
// GiB, MiB or KiB when it is one, else with one decimal and the exact
// count.
func size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB (%d bytes)", float64(n)/(1<<30), n)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB (%d bytes)", float64(n)/(1<<20), n)
	}
	return fmt.Sprintf("%d bytes", n)
}

// DamageError is a read of a file that broke off: a CRC mismatch, a cut
// archive, corrupt compressed data. Every byte before Offset was
// delivered, so the events read from them stand; the file's Report says
// "damaged at byte N: reason".
type DamageError struct {
	// Path is the file's bundle path.
	Path string
	// Offset counts the bytes of the file delivered before the error.
	Offset int64
	// Err is what the archive or the disk reported.
	Err error
}

func (e *DamageError) Error() string {
	reason := e.Err.Error()
	if errors.Is(e.Err, io.ErrUnexpectedEOF) && reason == io.ErrUnexpectedEOF.Error() {
		reason = "the compressed data ends early (truncated?)"
	}
	// The archive's messages start with the entry's path, which the
	// report already shows.
	if e.Path != "" {
		reason = strings.TrimPrefix(reason, e.Path+": ")
	}
	return "damaged at byte " + strconv.FormatInt(e.Offset, 10) + ": " + reason
}

func (e *DamageError) Unwrap() error { return e.Err }
