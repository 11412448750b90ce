package evtx

import (
	"bytes"
	"io"
	"log"
	"sync"

	utilslog "github.com/0xrawsec/golang-utils/log"
)

// golang-evtx reports through golang-utils/log, which writes to Go's
// standard logger: every element it fails to parse prints "PANIC - ..."
// with a full stack trace. exlog does not use the standard logger, but a
// program embedding exlog might, so its output is not simply discarded:
// a filter is put in front of the current writer that drops only the lines
// golang-utils/log formats and passes everything else through.

var quietOnce sync.Once

// utilsPrefixes are the level words golang-utils/log puts first in every
// message it writes.
var utilsPrefixes = [][]byte{
	[]byte("PANIC - "), []byte("ERROR - "), []byte("INFO - "), []byte("DEBUG - "),
	[]byte("WARNING - "), []byte("CRITICAL - "), []byte("ABORT - "),
}

// quietLibraryLog installs the filter once per process. It also raises
// golang-utils' own level so that its level-gated messages are not even
// formatted; that setting belongs to golang-utils, which only golang-evtx
// uses in exlog.
func quietLibraryLog() {
	quietOnce.Do(func() {
		utilslog.SetLogLevel(utilslog.LCritical)
		log.SetOutput(&libLogFilter{next: log.Writer()})
	})
}

// libLogFilter passes standard-logger output on to next, except lines
// written by golang-utils/log.
type libLogFilter struct {
	next io.Writer
}

// Write drops golang-utils/log lines and passes the rest on.
func (f *libLogFilter) Write(p []byte) (int, error) {
	if fromUtilsLog(p) {
		return len(p), nil
	}
	return f.next.Write(p)
}

// fromUtilsLog recognises a golang-utils/log line: once the header the
// standard logger adds (prefix, date, time, file location, as its flags
// say) is skipped, the message starts with one of the level words.
func fromUtilsLog(p []byte) bool {
	flags := log.Flags()
	pre := []byte(log.Prefix())
	if flags&log.Lmsgprefix == 0 {
		if !bytes.HasPrefix(p, pre) {
			return false
		}
		p = p[len(pre):]
	}
	if flags&log.Ldate != 0 {
		p = skipField(p)
	}
	if flags&(log.Ltime|log.Lmicroseconds) != 0 {
		p = skipField(p)
	}
	if flags&(log.Lshortfile|log.Llongfile) != 0 {
		// "file.go:123: "; a long path may hold spaces, so look for the
		// ": " that ends the line number.
		i := bytes.Index(p, []byte(": "))
		if i < 0 {
			return false
		}
		p = p[i+2:]
	}
	if flags&log.Lmsgprefix != 0 {
		if !bytes.HasPrefix(p, pre) {
			return false
		}
		p = p[len(pre):]
	}
	for _, w := range utilsPrefixes {
		if bytes.HasPrefix(p, w) {
			return true
		}
	}
	return false
}

// skipField drops one space-terminated header field.
func skipField(p []byte) []byte {
	if i := bytes.IndexByte(p, ' '); i >= 0 {
		return p[i+1:]
	}
	return p[len(p):]
}
