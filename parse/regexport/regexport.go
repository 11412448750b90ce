// Package regexport reads registry exports (.reg files written by
// `regedit /e` and `reg export`) and turns every value and every key
// deletion into an event. Values of the Exchange setup keys and of an
// exported cluster hive get extra fields naming the role, node, group or
// resource they belong to, which is what the watermark, version-mismatch
// and failover-policy detectors look for.
package regexport

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/exlog/exlog/parse"
)

// The two header lines regedit writes: version 5.00 files are UTF-16LE,
// REGEDIT4 files are ANSI.
const (
	Header5 = "Windows Registry Editor Version 5.00"
	Header4 = "REGEDIT4"
)

// DefaultValueName stands for the unnamed default value of a key (@ in the
// file), as regedit displays it.
const DefaultValueName = "(default)"

// Bounds that keep one damaged or hostile value from taking over the parse.
const (
	// maxStringLines bounds how many lines one quoted string may span.
	maxStringLines = 10000
	// messageValueRunes bounds the value shown in Event.Message; the
	// full value stays in Fields["value"].
	messageValueRunes = 200
)

// Parser reads .reg exports. The zero value is ready to use and safe for
// concurrent use.
type Parser struct{}

var _ parse.Parser = Parser{}

// Name is parse.SourceRegistry.
func (Parser) Name() string { return parse.SourceRegistry }

// Sniff accepts a file whose first non-blank line is one of the two regedit
// headers, in any text encoding.
func (Parser) Sniff(head []byte) bool {
	s := strings.TrimLeft(parse.DecodeHead(head), "\ufeff \t\r\n")
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	} else if len(head) >= parse.SniffSize {
		// A first line longer than the whole head cannot be a header.
		return false
	}
	_, ok := headerKind(s)
	return ok
}

// headerKind reports whether a line is a regedit header and whether it is
// the Unicode (5.00) one.
func headerKind(line string) (unicode, ok bool) {
	t := strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
	switch {
	case strings.EqualFold(t, Header5):
		return true, true
	case strings.EqualFold(t, Header4):
		return false, true
	}
	return false, false
}

// Parse streams the export and emits one event per value and per deleted
// key or value, in file order.
func (p Parser) Parse(ctx context.Context, in *parse.Input, rep *parse.Report, emit func(*parse.Event) error) (err error) {
	rc, err := in.Open()
	if err != nil {
		return err
	}
	defer rc.Close()

	r := &run{
		ctx:  ctx,
		in:   in,
		rep:  rep,
		emit: emit,
		src:  &lineSrc{l: parse.NewLines(rc), rep: rep},
		node: in.Node,
	}
	defer parse.RecoverPanic(&err, "registry export parser", &r.src.num)
	if n := contentNode(ctx, in); n != "" {
		r.node = n
	}
	r.node = parse.ShortNode(r.node)
	return r.run()
}

// lineSrc hands out physical lines with one line of push-back, which the
// continuation logic needs to give back a line that starts something new.
type lineSrc struct {
	l    *parse.Lines
	rep  *parse.Report
	text string
	num  int
	back bool
	cut  int
}

func (s *lineSrc) next() bool {
	if s.back {
		s.back = false
		return true
	}
	if !s.l.Next() {
		return false
	}
	s.text, s.num = s.l.Text(), s.l.Number()
	if t := s.l.Truncated(); t != s.cut {
		s.cut = t
		s.rep.AddProblem(where(s.num), "line is longer than %d bytes; the rest of it was dropped", parse.MaxLineBytes)
	}
	return true
}

func (s *lineSrc) unread() { s.back = true }

func where(line int) string { return "line " + strconv.Itoa(line) }

// run is the state of one parse.
type run struct {
	ctx  context.Context
	in   *parse.Input
	rep  *parse.Report
	emit func(*parse.Event) error
	src  *lineSrc
	node string

	unicode bool
	key     string
	hasKey  bool
	derive  deriver
}

func (r *run) run() error {
	if err := r.header(); err != nil {
		return err
	}
	for r.src.next() {
		if r.src.num&1023 == 0 {
			if err := r.ctx.Err(); err != nil {
				return err
			}
		}
		if err := r.line(); err != nil {
			return err
		}
	}
	if err := r.derive.endKey(r.send); err != nil {
		return err
	}
	return r.src.l.Err()
}

// header reads up to the header line; anything else first means the file
// is not an export after all.
func (r *run) header() error {
	for r.src.next() {
		t := strings.TrimSpace(strings.TrimPrefix(r.src.text, "\ufeff"))
		if t == "" {
			continue
		}
		u, ok := headerKind(t)
		if !ok {
			return parse.ErrNotFormat
		}
		r.unicode = u
		return nil
	}
	if err := r.src.l.Err(); err != nil {
		return err
	}
	return parse.ErrNotFormat
}

// line handles one logical line starting at the current physical line.
func (r *run) line() error {
	t := strings.TrimSpace(r.src.text)
	switch {
	case t == "":
		return nil
	case t[0] == ';':
		return nil
	case t[0] == '[':
		return r.keyLine(t)
	case t[0] == '"' || t[0] == '@':
		return r.valueLine(t)
	}
	if u, ok := headerKind(t); ok {
		// Exports concatenated into one file: each keeps its own header.
		r.unicode = u
		return nil
	}
	r.rep.Skipped++
	r.rep.AddProblem(where(r.src.num), "not a key, value or comment line (%q); skipped", clip(t, 60))
	return nil
}

func (r *run) keyLine(t string) error {
	if err := r.derive.endKey(r.send); err != nil {
		return err
	}
	line := r.src.num
	body := t[1:]
	deleted := strings.HasPrefix(body, "-")
	if deleted {
		body = body[1:]
	}
	if strings.HasSuffix(body, "]") {
		body = body[:len(body)-1]
	} else {
		r.rep.AddProblem(where(line), "key line has no closing bracket; read as key %q", clip(body, 80))
	}
	body = strings.TrimSpace(body)
	if body == "" {
		r.key, r.hasKey = "", false
		r.derive.startKey("")
		r.rep.Skipped++
		r.rep.AddProblem(where(line), "empty key name; values up to the next key are skipped")
		return nil
	}
	r.key, r.hasKey = body, true
	r.derive.startKey(body)
	if !deleted {
		return nil
	}
	ev := r.event(line)
	ev.SetField(parse.KeyKey, body)
	ev.SetField(parse.KeyDeleted, "true")
	ev.Message = "deleted key " + body
	return r.out(ev)
}

func (r *run) valueLine(t string) error {
	line := r.src.num
	name, data, ok := splitValueLine(t)
	if !ok {
		r.rep.Skipped++
		r.rep.AddProblem(where(line), "value line without a well-formed name and '=' (%q); skipped", clip(t, 60))
		return nil
	}
	if !r.hasKey {
		r.rep.Skipped++
		r.rep.AddProblem(where(line), "value %q comes before any key; skipped", clip(name, 60))
		// A wrapped hex value still owns its continuation lines.
		if _, _, isHex := hexTypePrefix(data); isHex {
			r.hexData(name, data)
		}
		return nil
	}
	ev := r.event(line)
	ev.SetField(parse.KeyKey, r.key)
	ev.SetField(parse.KeyValueName, name)

	var d decoded
	damaged := false
	switch {
	case strings.TrimSpace(data) == "-":
		ev.SetField(parse.KeyDeleted, "true")
		r.derive.value(ev, name, decoded{})
		ev.Message = fmt.Sprintf(`%s\%s deleted`, r.key, name)
		return r.out(ev)
	case strings.HasPrefix(data, `"`):
		d.typ = "REG_SZ"
		d.value, damaged = r.stringData(name, data[1:])
	case hasPrefixFold(data, "dword:"):
		d, damaged = r.numberData(name, regDword, strings.TrimSpace(data[6:]), 8)
	case hasPrefixFold(data, "qword:"):
		// Not written by regedit, but accepted by hand-written files.
		d, damaged = r.numberData(name, regQword, strings.TrimSpace(data[6:]), 16)
	default:
		if _, _, isHex := hexTypePrefix(data); !isHex {
			r.rep.Skipped++
			r.rep.AddProblem(where(line), "value %q has data of unknown form (%q); skipped", clip(name, 60), clip(data, 40))
			return nil
		}
		d, damaged = r.hexData(name, data)
	}
	if damaged {
		r.rep.Recovered++
	}
	ev.SetField(parse.KeyValueType, d.typ)
	ev.SetField(parse.KeyValue, d.value)
	ev.SetField(parse.KeyValueHex, d.hex)
	ev.Message = r.key + `\` + name + " = " + messageValue(d.value)
	r.derive.value(ev, name, d)
	addBuildClaim(ev, name, ev.Field(parse.KeyExchangeRole), d.value)
	return r.out(ev)
}

// stringData reads a quoted string whose opening quote has been consumed,
// following it across line breaks. A string left open is cut where the
// next line plainly starts a key or value, and reported.
func (r *run) stringData(name, s string) (string, bool) {
	start := r.src.num
	sc := strScanner{max: parse.MaxValueBytes}
	closed, rest := sc.feed(s)
	for n := 1; !closed; n++ {
		if n > maxStringLines {
			r.rep.AddProblem(where(start), "string of value %q has no closing quote within %d lines; kept up to line %d", clip(name, 60), n-1, r.src.num)
			return sc.b.String(), true
		}
		if !r.src.next() {
			r.rep.AddProblem(where(start), "string of value %q has no closing quote before the end of the file; kept as read", clip(name, 60))
			return sc.b.String(), true
		}
		if startsRecord(r.src.text) {
			r.src.unread()
			r.rep.AddProblem(where(start), "string of value %q has no closing quote; kept up to the end of line %d", clip(name, 60), r.src.num-1)
			return sc.b.String(), true
		}
		sc.write('\n')
		closed, rest = sc.feed(r.src.text)
	}
	damaged := false
	if sc.dropped > 0 {
		damaged = true
		r.rep.AddProblem(where(start), "string of value %q is longer than %d bytes (%s); kept up to there, the other %d bytes read past", clip(name, 60), sc.max, valueKnob, sc.dropped)
	}
	if t := strings.TrimSpace(rest); t != "" && t[0] != ';' {
		r.rep.AddProblem(where(r.src.num), "text after the closing quote of value %q ignored (%q)", clip(name, 60), clip(t, 40))
		return sc.b.String(), true
	}
	return sc.b.String(), damaged
}

// valueKnob names the budget that bounds a value, for problems.
const valueKnob = "the budget " + parse.EnvMaxValueBytes

// startsRecord reports whether a line plainly begins a key or a value, so
// it cannot be the next line of an unterminated string.
func startsRecord(line string) bool {
	t := strings.TrimSpace(line)
	if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") && len(t) > 2 {
		return true
	}
	_, _, ok := splitValueLine(t)
	return ok
}

func (r *run) numberData(name string, t uint64, digits string, max int) (decoded, bool) {
	d := decoded{typ: TypeName(t)}
	if i := strings.IndexByte(digits, ';'); i >= 0 {
		digits = strings.TrimSpace(digits[:i])
	}
	v, err := strconv.ParseUint(digits, 16, 64)
	if err != nil || len(digits) > max {
		d.value = digits
		r.rep.AddProblem(where(r.src.num), "%s data of value %q is not %d hex digits (%q); kept as text", d.typ, clip(name, 60), max, clip(digits, 40))
		return d, true
	}
	d.value = strconv.FormatUint(v, 10)
	if t == regQword {
		d.hex = fmt.Sprintf("0x%016x", v)
	} else {
		d.hex = fmt.Sprintf("0x%08x", v)
	}
	return d, false
}

// hexData reads hex(N): data and its backslash-continued lines.
func (r *run) hexData(name, data string) (decoded, bool) {
	start := r.src.num
	t, n, _ := hexTypePrefix(data)
	text := strings.TrimSpace(data[n:])
	var buf []byte
	bad, damaged := 0, false
	size := 0
	for {
		more := strings.HasSuffix(text, `\`)
		text = strings.TrimSuffix(text, `\`)
		size += len(text)
		if size <= parse.MaxValueBytes {
			var b int
			buf, b = parseHexList(text, buf)
			bad += b
		} else if !damaged {
			damaged = true
			r.rep.AddProblem(where(start), "hex data of value %q is longer than %d bytes of text (%s); the rest was read past but not kept", clip(name, 60), parse.MaxValueBytes, valueKnob)
		}
		if !more {
			break
		}
		if !r.src.next() {
			damaged = true
			r.rep.AddProblem(where(start), "hex data of value %q continues past the end of the file; kept %d bytes", clip(name, 60), len(buf))
			break
		}
		if !isHexContinuation(r.src.text) {
			r.src.unread()
			damaged = true
			r.rep.AddProblem(where(start), "hex data of value %q announces a continuation but line %d is not hex; kept %d bytes", clip(name, 60), r.src.num, len(buf))
			break
		}
		text = strings.TrimSpace(r.src.text)
	}
	if bad > 0 {
		damaged = true
		r.rep.AddProblem(where(start), "hex data of value %q has %d tokens that are not bytes; they were left out", clip(name, 60), bad)
	}
	return decodeData(t, buf, r.unicode), damaged
}

func (r *run) event(line int) *parse.Event {
	return &parse.Event{
		TimeQuality: parse.TimeNone,
		Node:        r.node,
		Source:      parse.SourceRegistry,
		File:        r.in.Path,
		Line:        line,
	}
}

// out passes an event through the cluster-key buffer to emit.
func (r *run) out(ev *parse.Event) error {
	return r.derive.hold(ev, r.send)
}

func (r *run) send(ev *parse.Event) error {
	r.rep.Events++
	return r.emit(ev)
}

// messageValue renders a value for Event.Message, shortened.
func messageValue(v string) string {
	if v == "" {
		return `""`
	}
	v = strings.ReplaceAll(v, "\n", `\n`)
	return clip(v, messageValueRunes)
}

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, c := 0, 0
	for i = range s {
		if c == n {
			break
		}
		c++
	}
	return s[:i] + "…"
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}
