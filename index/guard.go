package index

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/blevesearch/bleve/v2"
	"github.com/exlog/exlog/parse"
)

// markerFile is exlog's own file in every index folder it builds: the
// proof that the folder is exlog's to replace or delete. A folder that
// merely holds a bleve index_meta.json may be anyone's.
const markerFile = parse.IndexMarker

const markerText = "This folder is an exlog index (https://github.com/exlog/exlog).\nexlog replaces or deletes it only while this file is in it.\n"

func writeMarker(dir string) error {
	return os.WriteFile(filepath.Join(dir, markerFile), []byte(markerText), 0o644)
}

func hasMarker(dir string) bool {
	fi, err := os.Lstat(filepath.Join(dir, markerFile))
	return err == nil && fi.Mode().IsRegular()
}

// ownedIndex reports whether exlog may replace the directory: it holds
// exlog's marker file, or it is an index of an older exlog (before the
// marker file) that carries exlog's key inside bleve.
func ownedIndex(dir string) bool {
	if hasMarker(dir) {
		return true
	}
	if !isIndex(dir) {
		return false
	}
	idx, err := bleve.OpenUsing(dir, map[string]any{"read_only": true, "bolt_timeout": "1s"})
	if err != nil {
		return false
	}
	defer idx.Close()
	v, err := idx.GetInternal([]byte(markerKey))
	return err == nil && len(v) > 0
}

func isIndex(path string) bool {
	_, err := os.Stat(filepath.Join(path, "index_meta.json"))
	return err == nil
}

// IsIndexDir reports whether dir is an index folder exlog built, or one
// it is building: a bundle walker skips these, so that an index is never
// read as input.
func IsIndexDir(dir string) bool {
	return hasMarker(dir)
}

// CleanLeftovers removes what killed runs left beside the index at path:
// temporary ".<name>.building-PID-*" folders and "<name>.old-PID" folders
// whose process no longer runs. Only folders with exlog's marker file are
// removed; anything else is left alone. exlog calls it before it builds
// an index; an interrupted run (SIGINT, SIGTERM) cleans up after itself.
func CleanLeftovers(path string) {
	path = filepath.Clean(path)
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		var pidPart string
		if rest, ok := strings.CutPrefix(name, "."+base+".building-"); ok {
			pidPart, _, _ = strings.Cut(rest, "-")
		} else if rest, ok := strings.CutPrefix(name, base+".old-"); ok {
			pidPart = rest
		} else {
			continue
		}
		pid, err := strconv.Atoi(pidPart)
		if err != nil || pid <= 0 || pidAlive(pid) {
			continue
		}
		full := filepath.Join(dir, name)
		if hasMarker(full) {
			os.RemoveAll(full)
		}
	}
}

// pidAlive reports whether a process with this ID exists. When it cannot
// tell, it says yes: a folder is kept rather than deleted under a run.
func pidAlive(pid int) bool {
	if pid == os.Getpid() {
		return true
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	if runtime.GOOS == "windows" {
		return true // FindProcess opened it, so it exists
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EPERM)
}

// ErrUnwritable is wrapped by the errors of an index destination that
// cannot be written: read-only, no permission, or a full disk. exlog
// exits with its I/O code on it (4), not the usage code.
var ErrUnwritable = errors.New("the index destination cannot be written")

// DestError is an index destination that cannot be written.
type DestError struct {
	Path string
	Err  error
}

func (e *DestError) Error() string {
	msg := e.Err.Error()
	switch {
	case errors.Is(e.Err, syscall.ENOSPC) || strings.Contains(msg, "no space left"):
		msg = "the disk is full: " + msg
	case errors.Is(e.Err, syscall.EROFS) || strings.Contains(msg, "read-only file system"):
		msg = "the file system is read-only: " + msg
	case errors.Is(e.Err, fs.ErrPermission):
		msg = "no permission to write there: " + msg
	}
	return fmt.Sprintf("cannot write the index %s (%s); choose another place with --index", e.Path, msg)
}

func (e *DestError) Unwrap() []error { return []error{ErrUnwritable, e.Err} }

func destError(path string, err error) error {
	var de *DestError
	if errors.As(err, &de) {
		return err
	}
	return &DestError{Path: path, Err: err}
}

// isDiskError reports errors that come from the destination's file
// system rather than from exlog or bleve logic.
func isDiskError(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission) ||
		errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EIO) || strings.Contains(err.Error(), "no space left")
}

// ErrInsideBundle is returned by SafePath for an index path inside a
// bundle being read.
var ErrInsideBundle = errors.New("the index would be inside the bundle being read")

// SafePath checks where an index may be written for the given bundle
// roots (files or folders). An index must never be written inside a
// bundle folder, where it would change the evidence and be read back as
// input. A path the user chose (explicit) inside a bundle is refused with
// ErrInsideBundle; a default path there (exlog triage . inside the bundle)
// moves beside the outermost bundle folder that contains it.
func SafePath(roots []string, path string, explicit bool) (string, error) {
	for range len(roots) + 1 { // each move leaves one folder; a cycle cannot happen
		root := containingRoot(roots, path)
		if root == "" {
			return path, nil
		}
		if explicit {
			return "", fmt.Errorf("%w: %s is inside %s; choose an --index outside it", ErrInsideBundle, path, root)
		}
		path = filepath.Join(filepath.Dir(root), filepath.Base(path))
	}
	return "", fmt.Errorf("%w: no place for %s outside the bundles", ErrInsideBundle, path)
}

// containingRoot returns the bundle folder among roots that contains
// path (or is path), or "".
func containingRoot(roots []string, path string) string {
	p := resolved(path)
	for _, r := range roots {
		fi, err := os.Stat(r)
		if err != nil || !fi.IsDir() {
			continue // an archive file cannot hold the index
		}
		rr := resolved(r)
		if p == rr || strings.HasPrefix(p, rr+string(filepath.Separator)) || rr == string(filepath.Separator) {
			return rr
		}
	}
	return ""
}

// resolved is the absolute path with symbolic links followed as far as
// the path exists, so that a link into the bundle is seen as inside it.
func resolved(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	rest := ""
	for cur := abs; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}
