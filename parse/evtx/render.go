package evtx

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	goevtx "github.com/0xrawsec/golang-evtx/evtx"
	"golang.org/x/text/encoding/charmap"

	"github.com/exlog/exlog/parse/eventlog"
)

// How a record is rendered.
//
// An EVTX record is binary XML: a template instance naming a template
// definition (element names, attributes, literal text and numbered
// substitutions), followed by the substitution values. golang-evtx parses
// the template definitions: exlog asks it once per template and chunk
// (goevtx.TemplateDefinitionData.Parse) and compiles the element tree into
// a plan. The values are fixed-size or length-prefixed fields, which exlog
// decodes itself from the record bytes, because golang-evtx's decoding of
// them is both lossy (empty strings dropped from string arrays, SizeT and
// most arrays not decoded, BOOL read as 1 only, some arrays misread as
// strings) and slow (reflection for every 2-byte character, and embedded
// templates re-parsed for every record).
//
// The result is an xnode tree in document order: exlog does not use
// golang-evtx's GoEvtxMap, which loses element order, collapses
// <Provider Name="X"/> into a key named X and panics on repeated names.

// xnode is one XML element of a rendered record.
type xnode struct {
	name  string
	attrs []xattr
	// vals are the text pieces of the element's content. When arr is set
	// the content was one array substitution and each piece is one item
	// (a classic record's insertion strings).
	vals []string
	arr  bool
	kids []*xnode
	// t is the time of a FILETIME/SYSTEMTIME content value.
	t time.Time
}

type xattr struct {
	name string
	val  string
	t    time.Time
}

func (x *xnode) text() string {
	if len(x.vals) == 1 {
		return x.vals[0]
	}
	return strings.Join(x.vals, "")
}

func (x *xnode) child(name string) *xnode {
	if x == nil {
		return nil
	}
	for _, k := range x.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

func (x *xnode) attr(name string) (xattr, bool) {
	if x == nil {
		return xattr{}, false
	}
	for _, a := range x.attrs {
		if a.name == name {
			return a, true
		}
	}
	return xattr{}, false
}

// maxDepth bounds nesting of elements and embedded templates; real records
// nest a handful of levels, a crafted one could nest thousands.
const maxDepth = 48

// Binary XML tokens and value types exlog reads itself.
const (
	tokFragment = 0x0f
	tokInstance = 0x0c
	typeBinXML  = 0x21
	typeArray   = 0x80
)

// plan is a template definition compiled once per chunk: element names
// decoded and the content reduced to literal text or substitution indexes.
type plan struct {
	name  string
	attrs []planAttr
	items []planItem
	kids  []*plan
}

type planAttr struct {
	name string
	item planItem
}

// planItem is literal text, a substitution (sub >= 0), or an element
// golang-evtx parsed inside the definition itself (elem), rendered as is.
type planItem struct {
	text string
	sub  int
	elem goevtx.Element
}

// template is a compiled template definition.
type template struct {
	plans []*plan
	guid  [16]byte
	// err is set when golang-evtx could only parse part of the definition.
	err error
	// runaway is set when golang-evtx ran away on the definition.
	runaway string
}

// planKey names a template within a chunk: where its definition is and its
// GUID, so a carved record pointing at a reused offset gets no stale plan.
type planKey struct {
	off  int
	guid [16]byte
}

func compileItem(e goevtx.Element) (planItem, bool) {
	switch v := e.(type) {
	case *goevtx.ValueText:
		return planItem{text: v.String(), sub: -1}, true
	case *goevtx.CharEntityRef:
		return planItem{text: string(rune(uint16(v.Value))), sub: -1}, true
	case *goevtx.BinXMLEntityReference:
		return planItem{text: v.String(), sub: -1}, true
	case *goevtx.NormalSubstitution:
		return planItem{sub: int(v.SubID)}, true
	case *goevtx.OptionalSubstitution:
		return planItem{sub: int(v.SubID)}, true
	case *goevtx.Fragment, *goevtx.TemplateInstance:
		return planItem{sub: -1, elem: e}, true
	}
	return planItem{}, false
}

func compile(n *goevtx.Node, depth int) *plan {
	if n == nil || depth > maxDepth {
		return nil
	}
	p := &plan{}
	if n.Start != nil {
		p.name = n.Start.Name.String()
		for _, a := range n.Start.AttributeList.Attributes {
			if it, ok := compileItem(a.AttributeData); ok {
				p.attrs = append(p.attrs, planAttr{name: a.Name.String(), item: it})
			}
		}
	}
	for _, e := range n.Element {
		if it, ok := compileItem(e); ok {
			p.items = append(p.items, it)
		}
	}
	for _, c := range n.Child {
		if k := compile(c, depth+1); k != nil {
			p.kids = append(p.kids, k)
		}
	}
	return p
}

func compileElements(es []goevtx.Element) []*plan {
	root, _ := goevtx.NodeTree(es, 0)
	var out []*plan
	for _, c := range root.Child {
		if p := compile(c, 1); p != nil {
			out = append(out, p)
		}
	}
	return out
}

// renderer renders the records of one chunk.
type renderer struct {
	// data is the chunk up to the end of the record being rendered.
	data []byte
	// templates caches compiled templates for the chunk.
	templates map[planKey]*template
	// uncertain collects why values may be wrong or missing.
	uncertain []string
	// truncatedNesting is set when maxDepth cut the tree.
	truncatedNesting bool
	// mismatch is set when a record's template ID differs from the GUID
	// of the definition it points at (an overwritten template).
	mismatch bool
}

// value is one substitution value: its type from the descriptor, its bytes
// and their chunk offset.
type value struct {
	typ uint8
	raw []byte
	at  int
	// text, when hasText, is a value golang-evtx already decoded.
	text    string
	hasText bool
}

// instance is a template instance ready to render.
type instance struct {
	tmpl *template
	vals []value
}

var (
	errNotInstance = errors.New("binary XML does not start with a template instance")
	errOutside     = errors.New("template instance runs past the end of the record")
)

func le32(b []byte, p int) (int, bool) {
	if p < 0 || p+4 > len(b) {
		return 0, false
	}
	return int(int32(binary.LittleEndian.Uint32(b[p:]))), true
}

// instanceAt reads the template instance at chunk offset pos: an optional
// fragment header (records have one, embedded values do not), the
// instance header, the definition when it is inline, the value count, the
// value descriptors and the values.
func (r *renderer) instanceAt(pos int) (instance, error) {
	d := r.data
	p := pos
	if p >= 0 && p < len(d) && d[p] == tokFragment {
		p += 4
	}
	if p < 0 || p+10 > len(d) || d[p] != tokInstance {
		return instance{}, errNotInstance
	}
	id := binary.LittleEndian.Uint32(d[p+2:])
	defAt, _ := le32(d, p+6)
	p += 10
	tmpl, err := r.template(defAt)
	if err != nil {
		return instance{}, err
	}
	if binary.LittleEndian.Uint32(tmpl.guid[:4]) != id {
		r.mismatch = true
	}
	if defAt == p {
		size, ok := le32(d, p+20)
		if !ok || size < 0 || p+24+size > len(d) {
			return instance{}, errOutside
		}
		p += 24 + size
	}
	n, ok := le32(d, p)
	if !ok || n < 0 || p+4+4*n > len(d) {
		return instance{}, errOutside
	}
	p += 4
	vals := make([]value, n)
	at := p + 4*n
	for i := range vals {
		q := p + 4*i
		size := int(binary.LittleEndian.Uint16(d[q:]))
		if at+size > len(d) {
			r.uncertain = append(r.uncertain, fmt.Sprintf("values %d and later run past the end of the record and were left out", i))
			vals = vals[:i]
			break
		}
		vals[i] = value{typ: d[q+2], raw: d[at : at+size], at: at}
		at += size
	}
	if tmpl.err != nil {
		r.uncertain = append(r.uncertain, "its template could only be partly decoded ("+tmpl.err.Error()+")")
	}
	return instance{tmpl: tmpl, vals: vals}, nil
}

// template returns the compiled definition at chunk offset off, asking
// golang-evtx to parse it on first use in the chunk.
func (r *renderer) template(off int) (*template, error) {
	d := r.data
	if off < chunkDataStart || off+24 > len(d) {
		return nil, fmt.Errorf("template definition offset 0x%x is outside the chunk's records", off)
	}
	var k planKey
	k.off = off
	copy(k.guid[:], d[off+4:off+20])
	if t, ok := r.templates[k]; ok {
		if t.runaway != "" {
			return nil, fmt.Errorf("template definition at 0x%x: %s (as for an earlier record)", off, t.runaway)
		}
		return t, nil
	}
	rd := newGuardedReader(d)
	if _, err := rd.Reader.Seek(int64(off), io.SeekStart); err != nil {
		return nil, err
	}
	var def goevtx.TemplateDefinitionData
	perr := r.parseDefinition(&def, rd, k)
	rd.done()
	t := &template{guid: def.ID, plans: compileElements(def.Elements)}
	if perr != nil && perr != io.EOF {
		if len(t.plans) == 0 {
			return nil, fmt.Errorf("template definition at 0x%x: %w", off, perr)
		}
		t.err = perr
	}
	if r.templates != nil {
		r.templates[k] = t
	}
	return t, nil
}

// parseDefinition parses a template definition. When the library runs
// away on it (a definition that refers to itself), the failure is kept in
// the cache, so the other records that use the definition fail at once
// instead of each paying for the runaway again, then the panic goes on to
// the record's recovery.
func (r *renderer) parseDefinition(def *goevtx.TemplateDefinitionData, rd *guardedReader, k planKey) error {
	defer func() {
		if p := recover(); p != nil {
			if ra, ok := p.(runaway); ok && r.templates != nil {
				r.templates[k] = &template{runaway: string(ra)}
			}
			panic(p)
		}
	}()
	return def.Parse(rd)
}

// tree renders the template instance at chunk offset pos.
func (r *renderer) tree(pos int, depth int) ([]*xnode, error) {
	if depth > maxDepth {
		r.truncatedNesting = true
		return nil, nil
	}
	in, err := r.instanceAt(pos)
	if err != nil {
		return nil, err
	}
	return r.render(in, depth), nil
}

func (r *renderer) render(in instance, depth int) []*xnode {
	var out []*xnode
	for _, p := range in.tmpl.plans {
		if x := r.node(p, in, depth+1); x != nil {
			out = append(out, x)
		}
	}
	return out
}

func (r *renderer) item(it planItem, in instance, depth int) rendered {
	switch {
	case it.sub >= 0:
		if it.sub >= len(in.vals) {
			// A substitution past the values: damaged or carved data.
			return rendered{null: true}
		}
		return r.value(in.vals[it.sub], depth)
	case it.elem != nil:
		return r.embedded(it.elem, depth)
	}
	return one(it.text)
}

func (r *renderer) node(p *plan, in instance, depth int) *xnode {
	if depth > maxDepth {
		r.truncatedNesting = true
		return nil
	}
	x := &xnode{name: p.name}
	for _, a := range p.attrs {
		v := r.item(a.item, in, depth)
		if v.null {
			continue
		}
		val := ""
		if len(v.vals) == 1 {
			val = v.vals[0]
		} else {
			val = strings.Join(v.vals, "")
		}
		x.attrs = append(x.attrs, xattr{name: a.name, val: val, t: v.t})
	}
	for _, it := range p.items {
		v := r.item(it, in, depth)
		switch {
		case len(v.kids) > 0:
			x.kids = append(x.kids, v.kids...)
		case v.arr:
			x.arr = true
			x.vals = append(x.vals, v.vals...)
		default:
			x.vals = append(x.vals, v.vals...)
			if !v.t.IsZero() {
				x.t = v.t
			}
		}
	}
	for _, c := range p.kids {
		if k := r.node(c, in, depth+1); k != nil {
			x.kids = append(x.kids, k)
		}
	}
	return x
}

// rendered is the value of one content item or attribute.
type rendered struct {
	vals []string
	arr  bool
	null bool
	t    time.Time
	kids []*xnode
}

func one(s string) rendered { return rendered{vals: []string{s}} }

// embedded renders a template instance golang-evtx parsed along with
// something else (inside a template definition, or a record that is not a
// template instance), using the values it decoded itself.
func (r *renderer) embedded(e goevtx.Element, depth int) rendered {
	var ti *goevtx.TemplateInstance
	switch v := e.(type) {
	case *goevtx.Fragment:
		ti, _ = v.BinXMLElement.(*goevtx.TemplateInstance)
	case *goevtx.TemplateInstance:
		ti = v
	}
	if ti == nil || depth > maxDepth {
		return rendered{null: true}
	}
	return rendered{kids: r.render(libraryInstance(ti), depth+1)}
}

// libraryInstance wraps a template instance golang-evtx decoded, values
// included. Only their text is used: golang-evtx's Value() recurses without
// end on its hex types, and its embedded XML values are not followed.
func libraryInstance(ti *goevtx.TemplateInstance) instance {
	in := instance{tmpl: &template{plans: compileElements(ti.Definition.Data.Elements)}}
	for _, v := range ti.Data.Values {
		val := value{typ: 0x00, at: -1}
		switch v.(type) {
		case *goevtx.Fragment, *goevtx.TemplateInstance, *goevtx.ValueNull, nil:
		default:
			if s, ok := v.(goevtx.Value); ok {
				val = value{text: s.String(), hasText: true, at: -1}
			}
		}
		in.vals = append(in.vals, val)
	}
	return in
}

// value decodes one substitution value by the type its descriptor gives.
func (r *renderer) value(v value, depth int) rendered {
	if v.hasText {
		return one(v.text)
	}
	raw := v.raw
	le16 := func() uint16 { return binary.LittleEndian.Uint16(raw) }
	le32 := func() uint32 { return binary.LittleEndian.Uint32(raw) }
	le64 := func() uint64 { return binary.LittleEndian.Uint64(raw) }
	size := len(raw)
	switch t := v.typ; {
	case t == 0x00:
		return rendered{null: true}
	case t == 0x01:
		return one(utf16String(raw))
	case t == 0x02:
		return one(ansiString(raw))
	case t == 0x03 && size == 1:
		return one(strconv.Itoa(int(int8(raw[0]))))
	case t == 0x04 && size == 1:
		return one(strconv.Itoa(int(raw[0])))
	case t == 0x05 && size == 2:
		return one(strconv.Itoa(int(int16(le16()))))
	case t == 0x06 && size == 2:
		return one(strconv.Itoa(int(le16())))
	case t == 0x07 && size == 4:
		return one(strconv.Itoa(int(int32(le32()))))
	case t == 0x08 && size == 4:
		return one(strconv.FormatUint(uint64(le32()), 10))
	case t == 0x09 && size == 8:
		return one(strconv.FormatInt(int64(le64()), 10))
	case t == 0x0a && size == 8:
		return one(strconv.FormatUint(le64(), 10))
	case t == 0x0b && size == 4:
		return one(strconv.FormatFloat(float64(math.Float32frombits(le32())), 'g', -1, 32))
	case t == 0x0c && size == 8:
		return one(strconv.FormatFloat(math.Float64frombits(le64()), 'g', -1, 64))
	case t == 0x0d && size == 4:
		// Windows reads any non-zero BOOL as true.
		return one(strconv.FormatBool(le32() != 0))
	case t == 0x0e:
		return one(strings.ToUpper(hex.EncodeToString(raw)))
	case t == 0x0f && size == 16:
		return one(guidString(raw))
	case t == 0x10 && size == 4:
		// SizeT, a pointer-sized number: Windows shows it as 0x1f4.
		return one(fmt.Sprintf("0x%x", le32()))
	case t == 0x10 && size == 8:
		return one(fmt.Sprintf("0x%x", le64()))
	case t == 0x11 && size == 8:
		tm := filetime(le64())
		return rendered{vals: []string{formatTime(tm)}, t: tm}
	case t == 0x12 && size == 16:
		tm := systemtime(raw)
		return rendered{vals: []string{formatTime(tm)}, t: tm}
	case t == 0x13:
		return one(eventlog.FormatSID(raw))
	case t == 0x14 && size == 4:
		return one(fmt.Sprintf("0x%08x", le32()))
	case t == 0x15 && size == 8:
		return one(fmt.Sprintf("0x%016x", le64()))
	case t == typeBinXML:
		if v.at < 0 || size == 0 {
			return rendered{null: true}
		}
		kids, err := r.tree(v.at, depth+1)
		if err != nil {
			r.uncertain = append(r.uncertain, "an embedded XML value could not be decoded ("+err.Error()+")")
			return rendered{null: true}
		}
		return rendered{kids: kids}
	case t&typeArray != 0:
		if s, ok := decodeArray(t, raw); ok {
			return rendered{vals: s, arr: true}
		}
	}
	// A type exlog does not decode (EvtHandle, EvtXml) or a size that does
	// not fit the type: keep the bytes.
	if size == 0 {
		return one("")
	}
	return one(fmt.Sprintf("(value type 0x%02x, %d bytes) %X", v.typ, size, raw))
}

// utf16String decodes a UTF-16LE value; Windows counts a terminating NUL in
// some sizes, which is dropped.
func utf16String(b []byte) string {
	n := len(b) / 2
	for n > 0 && b[2*n-2] == 0 && b[2*n-1] == 0 {
		n--
	}
	// Plain ASCII is the common case and needs no UTF-16 decoding.
	ascii := true
	for i := 0; i < n; i++ {
		if b[2*i+1] != 0 || b[2*i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		s := make([]byte, n)
		for i := range s {
			s[i] = b[2*i]
		}
		return string(s)
	}
	u := make([]uint16, n)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// ansiString decodes an 8-bit string value: UTF-8 when valid, else
// Windows-1252, the usual ANSI code page.
func ansiString(b []byte) string {
	b = bytes.TrimRight(b, "\x00")
	if utf8.Valid(b) {
		return string(b)
	}
	s, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
	}
	return string(s)
}

// splitUTF16Z splits a NUL-separated UTF-16LE string array, keeping empty
// items; the terminator of the last item does not start a new one.
func splitUTF16Z(b []byte) []string {
	var out []string
	start := 0
	n := len(b) / 2
	for i := 0; i < n; i++ {
		if b[2*i] == 0 && b[2*i+1] == 0 {
			out = append(out, utf16String(b[2*start:2*i]))
			start = i + 1
		}
	}
	if start < n {
		out = append(out, utf16String(b[2*start:2*n]))
	}
	return out
}

// decodeArray decodes an array value: NUL-separated strings, or items of a
// fixed-size type.
func decodeArray(vt uint8, raw []byte) ([]string, bool) {
	if vt&typeArray == 0 {
		return nil, false
	}
	var size int
	switch vt &^ typeArray {
	case 0x01:
		return splitUTF16Z(raw), true
	case 0x03, 0x04: // (u)int8
		size = 1
	case 0x05, 0x06: // (u)int16
		size = 2
	case 0x07, 0x08, 0x0b, 0x0d, 0x14: // (u)int32, real32, bool, hexint32
		size = 4
	case 0x09, 0x0a, 0x0c, 0x11, 0x15: // (u)int64, real64, filetime, hexint64
		size = 8
	case 0x0f, 0x12: // GUID, SYSTEMTIME
		size = 16
	default:
		return nil, false
	}
	if len(raw)%size != 0 {
		return nil, false
	}
	out := make([]string, 0, len(raw)/size)
	for p := 0; p+size <= len(raw); p += size {
		b := raw[p : p+size]
		var s string
		switch vt &^ typeArray {
		case 0x03:
			s = strconv.Itoa(int(int8(b[0])))
		case 0x04:
			s = strconv.Itoa(int(b[0]))
		case 0x05:
			s = strconv.Itoa(int(int16(binary.LittleEndian.Uint16(b))))
		case 0x06:
			s = strconv.Itoa(int(binary.LittleEndian.Uint16(b)))
		case 0x07:
			s = strconv.Itoa(int(int32(binary.LittleEndian.Uint32(b))))
		case 0x08:
			s = strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b)), 10)
		case 0x0b:
			s = strconv.FormatFloat(float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), 'g', -1, 32)
		case 0x0d:
			s = strconv.FormatBool(binary.LittleEndian.Uint32(b) != 0)
		case 0x14:
			s = fmt.Sprintf("0x%08x", binary.LittleEndian.Uint32(b))
		case 0x09:
			s = strconv.FormatInt(int64(binary.LittleEndian.Uint64(b)), 10)
		case 0x0a:
			s = strconv.FormatUint(binary.LittleEndian.Uint64(b), 10)
		case 0x0c:
			s = strconv.FormatFloat(math.Float64frombits(binary.LittleEndian.Uint64(b)), 'g', -1, 64)
		case 0x11:
			s = formatTime(filetime(binary.LittleEndian.Uint64(b)))
		case 0x15:
			s = fmt.Sprintf("0x%016x", binary.LittleEndian.Uint64(b))
		case 0x0f:
			s = guidString(b)
		case 0x12:
			s = formatTime(systemtime(b))
		}
		out = append(out, s)
	}
	return out, true
}

// guidString writes a GUID as Windows does in event XML, braced and in
// upper case.
func guidString(b []byte) string {
	return fmt.Sprintf("{%08X-%04X-%04X-%X-%X}",
		binary.LittleEndian.Uint32(b[0:]), binary.LittleEndian.Uint16(b[4:]),
		binary.LittleEndian.Uint16(b[6:]), b[8:10], b[10:16])
}

// formatTime writes a time as Windows writes SystemTime in event XML:
// UTC with seven fractional digits; "" for no time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}

// filetimeEpoch is 1601-01-01 in Unix seconds.
const filetimeEpoch = 11644473600

// filetime converts 100-nanosecond ticks since 1601 to UTC.
func filetime(ticks uint64) time.Time {
	if ticks == 0 {
		return time.Time{}
	}
	sec := int64(ticks/10_000_000) - filetimeEpoch
	nsec := int64(ticks%10_000_000) * 100
	return time.Unix(sec, nsec).UTC()
}

func systemtime(b []byte) time.Time {
	f := func(i int) int { return int(binary.LittleEndian.Uint16(b[2*i:])) }
	if f(0) == 0 {
		return time.Time{}
	}
	return time.Date(f(0), time.Month(f(1)), f(3), f(4), f(5), f(6), f(7)*int(time.Millisecond), time.UTC)
}
