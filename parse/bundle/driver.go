package bundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/exlog/exlog/parse"
)

// Parse reads every file of the bundles at roots with the first parser
// whose Sniff accepts its head, on opt.Workers goroutines, and calls emit
// for every event. emit is called from several goroutines at once; the
// events of one file come in file order from one goroutine.
//
// It returns one Report per file, sorted by Path, with Finish called:
// files no parser recognised have StatusUnknown, entries refused as unsafe
// StatusRejected, each with the reason in Error. An unreadable file or a
// panicking parser costs only that file. With several roots, paths start
// with each root's base name.
//
// The error is the first one emit returned (which stops the parse),
// ctx's when it is done, or why a root could not be read at all; the
// reports of files finished so far are returned with it.
func Parse(ctx context.Context, roots []string, parsers []parse.Parser, opt Options, emit func(*parse.Event) error) ([]*parse.Report, error) {
	o := opt.withDefaults()
	for _, r := range roots {
		if _, err := os.Stat(r); err != nil {
			return nil, err
		}
	}
	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	d := &driver{ctx: ctx, cancel: cancel, parsers: parsers, emit: emit, mem: newMemGate(o.MaxBufferedBytes)}
	w := &walker{ctx: ctx, opt: &o, budget: &budget{max: o.MaxTotalBytes}}
	if testHookWalker != nil {
		testHookWalker(w)
	}

	type job struct {
		in      *parse.Input
		release int64
	}
	jobs := make(chan job, o.Workers)
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				d.add(d.file(j.in, false))
				d.mem.release(j.release)
			}
		}()
	}

	visit := func(it *item) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if it.live == nil {
			select {
			case jobs <- job{in: it.in}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		// An entry of a tar stream: small ones are copied out so that a
		// worker can take them while the stream moves on; big ones are
		// parsed here, as they stream past.
		if n := it.in.Size; n >= 0 && n <= o.MaxBufferedBytes/2 {
			d.mem.acquire(n)
			in, err := buffered(it.in, n)
			if err == nil {
				select {
				case jobs <- job{in: in, release: n}:
					return nil
				case <-ctx.Done():
					d.mem.release(n)
					return ctx.Err()
				}
			}
			d.mem.release(n)
			d.add(d.failed(it.in, err))
			return nil
		}
		d.add(d.file(it.in, true))
		return ctx.Err()
	}

	var walkErr error
	names := rootNames(roots)
	for i, r := range roots {
		if walkErr = w.root(r, names[i], len(roots) > 1, visit); walkErr != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()

	sort.SliceStable(d.reports, func(i, j int) bool { return d.reports[i].Path < d.reports[j].Path })
	switch {
	case d.emitErr != nil:
		return d.reports, d.emitErr
	case parent.Err() != nil:
		return d.reports, parent.Err()
	}
	return d.reports, walkErr
}

// testHookWalker lets tests see how many bytes a Parse decompressed.
var testHookWalker func(*walker)

// rootNames are the names paths start with when there are several roots:
// each root's base name, made unique with " (n)".
func rootNames(roots []string) []string {
	names := make([]string, len(roots))
	seen := map[string]int{}
	for i, r := range roots {
		n := filepath.Base(filepath.Clean(r))
		seen[n]++
		if c := seen[n]; c > 1 {
			n += " (" + strconv.Itoa(c) + ")"
		}
		names[i] = n
	}
	return names
}

// buffered copies a live entry of n bytes into memory. A read error is
// kept and replayed after the bytes that were read, so the parser sees
// exactly what the stream gave.
func buffered(in *parse.Input, n int64) (*parse.Input, error) {
	rc, err := in.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// The size is what the tar header declares; memory grows with the
	// bytes that really arrive.
	b := bytes.NewBuffer(make([]byte, 0, min(n, 1<<20)))
	_, rerr := b.ReadFrom(io.LimitReader(rc, n+1))
	data := b.Bytes()
	out := *in
	out.Open = func() (io.ReadCloser, error) {
		var r io.Reader = bytes.NewReader(data)
		if rerr != nil {
			r = io.MultiReader(r, errReader{rerr})
		}
		return io.NopCloser(r), nil
	}
	return &out, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// driver is the shared state of one Parse call.
type driver struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc
	parsers []parse.Parser
	emit    func(*parse.Event) error
	mem     *memGate

	mu      sync.Mutex
	reports []*parse.Report
	emitErr error
}

func (d *driver) add(r *parse.Report) {
	d.mu.Lock()
	d.reports = append(d.reports, r)
	d.mu.Unlock()
}

// failed is the report of a file that could not even be opened.
func (d *driver) failed(in *parse.Input, err error) *parse.Report {
	rep := &parse.Report{Path: in.Path, Node: in.Node, Size: in.Size}
	var ee *EntryError
	if errors.As(err, &ee) {
		rep.Status, rep.Format, rep.Error = ee.Status, ee.Format, ee.Reason
		if ee.Path != in.Path {
			rep.Error = ee.Error()
		}
		return rep
	}
	rep.Finish(fmt.Errorf("cannot read: %w", err))
	return rep
}

// fileRun watches the streams a parser opens on one file: it counts the
// bytes of a stream read to its end (for inputs of unknown size) and
// keeps a bomb-limit refusal even when the parser wraps or drops it.
type fileRun struct {
	ctx      context.Context
	path     string
	mu       sync.Mutex
	refusal  *EntryError
	fullSize int64
}

func (f *fileRun) wrap(open func() (io.ReadCloser, error)) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		rc, err := open()
		if err != nil {
			f.note(err)
			return nil, err
		}
		return &watchReader{rc: rc, f: f}, nil
	}
}

func (f *fileRun) note(err error) {
	var ee *EntryError
	if errors.As(err, &ee) && ee.Status == parse.StatusRejected {
		f.mu.Lock()
		if f.refusal == nil {
			f.refusal = ee
		}
		f.mu.Unlock()
	}
}

type watchReader struct {
	rc io.ReadCloser
	f  *fileRun
	n  int64
}

func (r *watchReader) Read(p []byte) (int, error) {
	if err := r.f.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.rc.Read(p)
	r.n += int64(n)
	switch {
	case err == io.EOF:
		r.f.mu.Lock()
		r.f.fullSize = max(r.f.fullSize, r.n)
		r.f.mu.Unlock()
	case err != nil:
		r.f.note(err)
		var ee *EntryError
		if !errors.As(err, &ee) && r.f.ctx.Err() == nil && !errors.Is(err, context.Canceled) {
			// Say where the stream broke off: everything before that
			// byte has been handed to the parser.
			var de *DamageError
			if !errors.As(err, &de) {
				err = &DamageError{Path: r.f.path, Offset: r.n, Err: err}
			}
		}
	}
	return n, err
}

func (r *watchReader) Close() error { return r.rc.Close() }

// file parses one input and returns its finished report. live says the
// input is an entry of a tar stream whose first Open is the stream itself,
// so the sniffed head is replayed to the parser instead of reopening.
func (d *driver) file(in *parse.Input, live bool) *parse.Report {
	rep := &parse.Report{Path: in.Path, Node: in.Node, Size: in.Size}
	run := &fileRun{ctx: d.ctx, path: in.Path, fullSize: -1}
	open := run.wrap(in.Open)

	rc, err := open()
	if err != nil {
		return d.failed(in, err)
	}
	head := make([]byte, parse.SniffSize)
	n, err := io.ReadFull(rc, head)
	head = head[:n]
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	// A read error after some bytes (a CRC mismatch at the end of a small
	// file, a cut archive) still lets the parser take what is there; it
	// meets the same error when it reads that far.
	headErr := err
	if err != nil && n == 0 {
		rc.Close()
		if run.refusal != nil {
			rep.Status, rep.Error = parse.StatusRejected, run.refusal.Error()
			return rep
		}
		return d.failed(in, err)
	}
	if live {
		// Hand the parser the stream it would get from a fresh Open:
		// the head already read, then the rest; later Opens re-read.
		first := true
		var mu sync.Mutex
		rest := rc
		open = func() (io.ReadCloser, error) {
			mu.Lock()
			f := first
			first = false
			mu.Unlock()
			if f {
				return readCloser{io.MultiReader(bytes.NewReader(head), rest), rest}, nil
			}
			return run.wrap(in.Open)()
		}
	} else {
		rc.Close()
	}
	if rep.Size < 0 && run.fullSize >= 0 {
		rep.Size = run.fullSize // a short file, read whole by the sniff
	}
	if n == 0 {
		rep.Status, rep.Error, rep.Size = parse.StatusUnknown, "empty file", 0
		return rep
	}

	pin := *in
	pin.Open = open
	var emitted int
	// Node counts are kept as runs: events of one file nearly always
	// share a node, and a map update per event showed in profiles.
	nodes := map[string]int{}
	contentNodes := map[string]int{}
	var runNode string
	var runLen int
	var emitMu sync.Mutex
	var userErr error
	emit := func(ev *parse.Event) error {
		if ev == nil {
			return nil
		}
		emitMu.Lock()
		defer emitMu.Unlock()
		// Once emit has failed here or anywhere, the consumer hears no more.
		if userErr != nil {
			return userErr
		}
		if err := d.ctx.Err(); err != nil {
			return err
		}
		switch {
		case ev.NodeFrom != "":
		case ev.Node == "":
			ev.Node = in.Node
			if in.Node != "" {
				ev.NodeFrom = parse.NodeFromLayout
			}
		case parse.ShortNode(ev.Node) == parse.ShortNode(in.Node):
			// The parser may only have copied the layout's node.
			ev.NodeFrom = parse.NodeFromLayout
		default:
			ev.NodeFrom = parse.NodeFromContent
		}
		if ev.File == "" {
			ev.File = in.Path
		}
		emitted++
		if ev.NodeFrom == parse.NodeFromContent {
			contentNodes[parse.ShortNode(ev.Node)]++
		}
		if ev.Node != runNode {
			if runLen > 0 {
				nodes[runNode] += runLen
			}
			runNode, runLen = ev.Node, 0
		}
		runLen++
		if err := d.emit(ev); err != nil {
			userErr = err
			return err
		}
		return nil
	}

	var perr error
	tried := false
	for _, p := range d.parsers {
		if !sniff(p, head, rep) {
			continue
		}
		tried = true
		rep.Format = p.Name()
		before := emitted
		perr = runParser(d.ctx, p, &pin, rep, emit)
		// A parser that backs out before emitting anything leaves the file
		// to the next one that accepts it, as if it had not sniffed yes.
		if errors.Is(perr, parse.ErrNotFormat) && emitted == before && userErr == nil {
			rep.Format = ""
			tried = false
			continue
		}
		break
	}
	if live {
		rc.Close()
	}
	if userErr != nil {
		d.mu.Lock()
		if d.emitErr == nil {
			d.emitErr = userErr
		}
		d.mu.Unlock()
		d.cancel(userErr)
	}
	if !tried {
		rep.Status = parse.StatusUnknown
		rep.Error = "no parser recognised the content" + archiveHint(head)
		return rep
	}
	if perr == nil && headErr != nil && userErr == nil {
		perr = headErr
	}
	if rep.Events == 0 {
		rep.Events = emitted
	}
	if runLen > 0 {
		nodes[runNode] += runLen
	}
	rep.Node, rep.NodeFrom = fileNode(nodes, contentNodes, in.Node, rep)
	if rep.Size < 0 && run.fullSize >= 0 {
		rep.Size = run.fullSize
	}
	rep.Finish(perr)
	if run.refusal != nil {
		rep.Status = parse.StatusRejected
		rep.Error = run.refusal.Error()
	}
	return rep
}

func sniff(p parse.Parser, head []byte, rep *parse.Report) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			rep.AddProblem("sniff", "parser %s panicked while sniffing: %v", p.Name(), v)
			ok = false
		}
	}()
	return p.Sniff(head)
}

// runParser runs one parse, turning a panic into an error that names the
// parser and where it panicked, so one bad file cannot stop the bundle.
func runParser(ctx context.Context, p parse.Parser, in *parse.Input, rep *parse.Report, emit func(*parse.Event) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			where := panicSite(debug.Stack())
			rep.AddProblem("parser", "%s panicked: %v%s", p.Name(), v, where)
			err = fmt.Errorf("parser %s panicked: %v", p.Name(), v)
		}
	}()
	return p.Parse(ctx, in, rep, emit)
}

// panicSite picks the function and line that panicked out of a stack
// trace: the first frame after the runtime's own panic frames.
func panicSite(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	for i := 0; i+1 < len(lines); i++ {
		if strings.HasPrefix(lines[i], "panic(") {
			for j := i + 2; j+1 < len(lines); j += 2 {
				fn := strings.TrimSpace(lines[j])
				if strings.HasPrefix(fn, "runtime.") {
					continue
				}
				loc := strings.TrimSpace(lines[j+1])
				if k := strings.LastIndex(loc, " +0x"); k > 0 {
					loc = loc[:k]
				}
				return " (in " + fn + " at " + loc + ")"
			}
		}
	}
	return ""
}

// fileNode decides the node of a whole file: the computer its content
// names most often, else the node the layout suggests. Where the two
// disagree, content wins and the report says so.
func fileNode(nodes, content map[string]int, layout string, rep *parse.Report) (node, from string) {
	if c := majority(content, ""); c != "" {
		if layout != "" && parse.ShortNode(layout) != c {
			rep.Note("the file names computer %s; the folder layout suggested %s; %s is used", c, layout, c)
		}
		return c, parse.NodeFromContent
	}
	if n := majority(nodes, layout); n != "" {
		return n, parse.NodeFromLayout
	}
	return "", ""
}

// majority is the node most events carry; ties go to the layout's node,
// then to the first name in order, so the result is deterministic.
func majority(nodes map[string]int, layout string) string {
	best, bestN := "", 0
	for n, c := range nodes {
		if n == "" {
			continue
		}
		if c > bestN || c == bestN && (n == layout || best != layout && n < best) {
			best, bestN = n, c
		}
	}
	if best == "" {
		return layout
	}
	return best
}

// archiveHint names formats that look like archives exlog does not open,
// so an unknown report says more than "unknown".
func archiveHint(head []byte) string {
	for _, m := range []struct {
		magic, name string
	}{
		{"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"},
		{"Rar!\x1a\x07", "a RAR archive"},
		{"MSCF", "a Windows cabinet (.cab)"},
		{"BZh", "bzip2-compressed data"},
		{"\xfd7zXZ\x00", "xz-compressed data"},
		{"\x28\xb5\x2f\xfd", "Zstandard-compressed data"},
	} {
		if bytes.HasPrefix(head, []byte(m.magic)) {
			return "; it looks like " + m.name + ", which exlog does not open"
		}
	}
	return ""
}

// memGate bounds the bytes of buffered stream entries in flight.
type memGate struct {
	mu   sync.Mutex
	cond *sync.Cond
	used int64
	max  int64
}

func newMemGate(max int64) *memGate {
	g := &memGate{max: max}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// acquire waits for room; workers always release what they took, so it
// cannot wait forever while they run.
func (g *memGate) acquire(n int64) {
	g.mu.Lock()
	for g.used > 0 && g.used+n > g.max {
		g.cond.Wait()
	}
	g.used += n
	g.mu.Unlock()
}

func (g *memGate) release(n int64) {
	if n == 0 {
		return
	}
	g.mu.Lock()
	g.used -= n
	g.mu.Unlock()
	g.cond.Broadcast()
}
