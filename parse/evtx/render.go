package evtx

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	goevtx "github.com/0xrawsec/golang-evtx/evtx"
)

// xnode is one XML element of a rendered record, in document order. exlog
// walks golang-evtx's element tree itself instead of using its GoEvtxMap:
// the map loses element order, collapses <Provider Name="X"/> into a key
// named X, panics on repeated names, and cannot say which inserts it
// dropped.
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

// renderer turns one record's template instance into xnodes. data is the
// whole chunk, so that raw value bytes can be re-read where golang-evtx
// decodes them lossily.
type renderer struct {
	data []byte
	// uncertain collects why insert positions may be wrong.
	uncertain []string
	// truncatedNesting is set when maxDepth cut the tree.
	truncatedNesting bool
	// plans caches compiled templates for the chunk (may be nil).
	plans map[planKey][]*plan
}

// instance is a template instance with the byte offset of its first value
// in the chunk (valuesAt < 0 when it could not be located).
type instance struct {
	ti       *goevtx.TemplateInstance
	valuesAt int
	// offsets[i] is the chunk offset of value i (valid when valuesAt >= 0).
	offsets []int
}

// locate finds where the values of ti start, by reading the instance
// header that begins at fragment offset pos (0x0f fragment header, 0x0c
// template instance token, definition header, optional inline definition,
// value count and descriptors). It checks its reading against what
// golang-evtx parsed; any disagreement leaves the offsets unknown.
func (r *renderer) locate(ti *goevtx.TemplateInstance, pos int) instance {
	in := instance{ti: ti, valuesAt: -1}
	d := r.data
	le32 := func(p int) (int, bool) {
		if p < 0 || p+4 > len(d) {
			return 0, false
		}
		return int(int32(binary.LittleEndian.Uint32(d[p:]))), true
	}
	if pos < 0 || pos+4+10 > len(d) {
		return in
	}
	p := pos
	if d[p] == 0x0f {
		// A fragment header precedes the instance in records; embedded
		// binary XML values start with the instance itself.
		p += 4
	}
	if d[p] != 0x0c {
		return in
	}
	p += 1 + 1 + 4
	defAt, ok := le32(p)
	if !ok {
		return in
	}
	p += 4
	if defAt == p {
		size, ok := le32(p + 20)
		if !ok || size < 0 || p+24+size > len(d) {
			return in
		}
		p += 24 + size
	}
	n, ok := le32(p)
	if !ok || n != len(ti.Data.ValDescs) || p+4+4*n > len(d) {
		return in
	}
	p += 4
	offs := make([]int, n)
	at := p + 4*n
	for i := 0; i < n; i++ {
		q := p + 4*i
		size := int(binary.LittleEndian.Uint16(d[q:]))
		vt := d[q+2]
		if size != int(ti.Data.ValDescs[i].Size) || vt != uint8(ti.Data.ValDescs[i].ValType) {
			return in
		}
		offs[i] = at
		at += size
	}
	if at > len(d) {
		return in
	}
	in.valuesAt = p + 4*n
	in.offsets = offs
	return in
}

// raw returns the bytes of value i, or nil when they cannot be located.
func (r *renderer) raw(in instance, i int) []byte {
	if in.valuesAt < 0 || i < 0 || i >= len(in.offsets) {
		return nil
	}
	start := in.offsets[i]
	end := start + int(in.ti.Data.ValDescs[i].Size)
	if start < 0 || end > len(r.data) || start > end {
		return nil
	}
	return r.data[start:end]
}

// plan is a template compiled once per chunk: element names decoded and the
// content reduced to literal text or substitution indexes, so that each
// record only plugs in its values. golang-evtx hands back the same
// definition for every record of a template, and re-decoding the names
// per record cost a fifth of the parse time.
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
// rendered per record (elem).
type planItem struct {
	text string
	sub  int
	elem goevtx.Element
}

// planKey names a template within a chunk: where its definition is and
// its GUID, so a carved record pointing at a reused offset gets no stale
// plan.
type planKey struct {
	off  int32
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

// plansFor returns the compiled top elements of ti's template.
func (r *renderer) plansFor(ti *goevtx.TemplateInstance) []*plan {
	k := planKey{off: ti.Definition.Header.DataOffset, guid: ti.Definition.Data.ID}
	if r.plans != nil {
		if p, ok := r.plans[k]; ok {
			return p
		}
	}
	root, _ := goevtx.NodeTree(ti.Definition.Data.Elements, 0)
	var out []*plan
	for _, c := range root.Child {
		if p := compile(c, 1); p != nil {
			out = append(out, p)
		}
	}
	if r.plans != nil {
		r.plans[k] = out
	}
	return out
}

// tree renders the element tree of a template instance whose fragment
// starts at chunk offset pos.
func (r *renderer) tree(ti *goevtx.TemplateInstance, pos int, depth int) []*xnode {
	if ti == nil {
		return nil
	}
	if depth > maxDepth {
		r.truncatedNesting = true
		return nil
	}
	in := r.locate(ti, pos)
	var out []*xnode
	for _, p := range r.plansFor(ti) {
		if x := r.node(p, in, depth+1); x != nil {
			out = append(out, x)
		}
	}
	return out
}

func (r *renderer) item(it planItem, in instance, depth int) rendered {
	switch {
	case it.sub >= 0:
		return r.subst(it.sub, in, depth)
	case it.elem != nil:
		return r.content(it.elem, in, depth)
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

// content renders a content element: literal text, an entity, or a
// substitution resolved against the instance's values.
func (r *renderer) content(e goevtx.Element, in instance, depth int) rendered {
	switch v := e.(type) {
	case nil:
		return rendered{null: true}
	case *goevtx.ValueText:
		return one(v.String())
	case *goevtx.CharEntityRef:
		return one(string(rune(uint16(v.Value))))
	case *goevtx.BinXMLEntityReference:
		return one(v.String())
	case *goevtx.NormalSubstitution:
		return r.subst(int(v.SubID), in, depth)
	case *goevtx.OptionalSubstitution:
		return r.subst(int(v.SubID), in, depth)
	case *goevtx.Fragment:
		ti, _ := v.BinXMLElement.(*goevtx.TemplateInstance)
		return rendered{kids: r.tree(ti, int(v.Offset), depth+1)}
	case *goevtx.TemplateInstance:
		return rendered{kids: r.tree(v, -1, depth+1)}
	}
	return rendered{null: true}
}

func (r *renderer) subst(i int, in instance, depth int) rendered {
	if in.ti == nil || i < 0 || i >= len(in.ti.Data.Values) {
		// A substitution pointing past the values: damaged or carved data.
		return rendered{null: true}
	}
	var vt uint8
	if i < len(in.ti.Data.ValDescs) {
		vt = uint8(in.ti.Data.ValDescs[i].ValType)
	}
	at := -1
	if in.valuesAt >= 0 && i < len(in.offsets) {
		at = in.offsets[i]
	}
	return r.value(in.ti.Data.Values[i], vt, r.raw(in, i), at, depth)
}

// value renders one substitution value. vt is the value type from the
// descriptor, raw its bytes and at its chunk offset, when located.
func (r *renderer) value(val goevtx.Element, vt uint8, raw []byte, at int, depth int) rendered {
	switch v := val.(type) {
	case nil:
		return rendered{null: true}
	case *goevtx.ValueNull:
		return rendered{null: true}
	case *goevtx.ValueString:
		return one(v.String())
	case *goevtx.AnsiString:
		return one(strings.TrimRight(v.String(), "\x00"))
	case *goevtx.ValueStringTable:
		return r.stringTable(v, vt, raw)
	case *goevtx.ValueHexInt32:
		if len(raw) == 4 {
			return one(fmt.Sprintf("0x%08x", binary.LittleEndian.Uint32(raw)))
		}
		return one(v.String())
	case *goevtx.ValueHexInt64:
		if len(raw) == 8 {
			return one(fmt.Sprintf("0x%016x", binary.LittleEndian.Uint64(raw)))
		}
		return one(v.String())
	case *goevtx.ValueFileTime:
		t := fileTimeOf(v)
		return rendered{vals: []string{formatTime(t)}, t: t}
	case *goevtx.ValueSysTime:
		t := sysTimeOf(v)
		return rendered{vals: []string{formatTime(t)}, t: t}
	case *goevtx.ValueBinary:
		b, _ := v.Value().([]byte)
		return one(strings.ToUpper(hex.EncodeToString(b)))
	case *goevtx.ValueGUID:
		return one("{" + v.String() + "}")
	case *goevtx.ValueArrayUInt16, *goevtx.ValueArrayUInt64:
		if s, ok := decodeArray(vt, raw); ok {
			return rendered{vals: s, arr: true}
		}
		return one(fmt.Sprint(v.(goevtx.Value).Value()))
	case *goevtx.UnkVal:
		return r.unknown(v)
	case *goevtx.Fragment:
		// Fragment.Offset is where the embedded fragment starts in the
		// chunk, which locate needs to find its own values.
		ti, _ := v.BinXMLElement.(*goevtx.TemplateInstance)
		return rendered{kids: r.tree(ti, int(v.Offset), depth+1)}
	case *goevtx.TemplateInstance:
		return rendered{kids: r.tree(v, at, depth+1)}
	case *goevtx.ValueBool:
		// Windows reads any non-zero BOOL as true; golang-evtx only 1.
		if len(raw) == 4 {
			return one(strconv.FormatBool(binary.LittleEndian.Uint32(raw) != 0))
		}
		return one(v.String())
	case *goevtx.ValueInt8, *goevtx.ValueUInt8, *goevtx.ValueInt16,
		*goevtx.ValueUInt16, *goevtx.ValueInt32, *goevtx.ValueUInt32, *goevtx.ValueInt64,
		*goevtx.ValueUInt64, *goevtx.ValueReal32, *goevtx.ValueReal64, *goevtx.ValueSID:
		// Their String methods are plain; Value() is avoided on purpose:
		// on the hex types it recurses without end in v1.2.9.
		return one(v.(fmt.Stringer).String())
	}
	if s, ok := val.(fmt.Stringer); ok {
		return one(s.String())
	}
	return rendered{null: true}
}

// stringTable renders an array value that golang-evtx decoded as strings.
// Two faults are handled here: it drops empty strings (shifting every later
// insert), and it reads some non-string arrays as strings (its array-type
// test matches any type with the low bit set). The raw bytes, when
// located, are decoded again; otherwise a dropped empty string is detected
// from the size and reported.
func (r *renderer) stringTable(v *goevtx.ValueStringTable, vt uint8, raw []byte) rendered {
	if vt != 0 && vt != 0x81 {
		if s, ok := decodeArray(vt, raw); ok {
			return rendered{vals: s, arr: true}
		}
	}
	if raw != nil && vt == 0x81 {
		return rendered{vals: splitUTF16Z(raw), arr: true}
	}
	parts, _ := v.Value().([]goevtx.UTF16String)
	out := make([]string, 0, len(parts))
	used := 0
	for _, p := range parts {
		out = append(out, p.ToString())
		used += len(p) + 1
	}
	if dropped := int(v.Size)/2 - used; dropped > 0 && vt == 0x81 {
		r.uncertain = append(r.uncertain, fmt.Sprintf(
			"%d empty insertion string(s) were dropped by the EVTX decoder and their raw bytes could not be located; inserts after the first empty one may be shifted", dropped))
	}
	return rendered{vals: out, arr: true}
}

// splitUTF16Z splits a NUL-separated UTF-16LE string array, keeping empty
// items; the terminator of the last item does not start a new one.
func splitUTF16Z(b []byte) []string {
	n := len(b) / 2
	u := make([]uint16, n)
	for i := 0; i < n; i++ {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	var out []string
	start := 0
	for i := 0; i < n; i++ {
		if u[i] == 0 {
			out = append(out, string(utf16.Decode(u[start:i])))
			start = i + 1
		}
	}
	if start < n {
		out = append(out, string(utf16.Decode(u[start:])))
	}
	return out
}

// unknown renders a value golang-evtx has no decoder for (SizeT, Real32,
// most arrays). Its offset in the chunk is known, so the common types are
// decoded here; anything else keeps the library's descriptive text.
func (r *renderer) unknown(v *goevtx.UnkVal) rendered {
	size := int(v.Desc.Size)
	start := int(v.Offset)
	if start >= 0 && size >= 0 && start+size <= len(r.data) {
		raw := r.data[start : start+size]
		vt := uint8(v.Desc.ValType)
		switch {
		case vt == 0x10 && (size == 4 || size == 8):
			// SizeT, a pointer-sized number: Windows shows it as 0x1f4.
			if size == 4 {
				return one(fmt.Sprintf("0x%x", binary.LittleEndian.Uint32(raw)))
			}
			return one(fmt.Sprintf("0x%x", binary.LittleEndian.Uint64(raw)))
		case vt == 0x0b && size == 4: // Real32
			return one(strconv.FormatFloat(float64(math.Float32frombits(binary.LittleEndian.Uint32(raw))), 'g', -1, 32))
		case vt&0x80 != 0:
			if s, ok := decodeArray(vt, raw); ok {
				return rendered{vals: s, arr: true}
			}
		}
	}
	return one(v.String())
}

// decodeArray decodes an array value of fixed-size items from raw bytes.
func decodeArray(vt uint8, raw []byte) ([]string, bool) {
	if raw == nil || vt&0x80 == 0 {
		return nil, false
	}
	var size int
	switch vt & 0x7f {
	case 0x03, 0x04: // (u)int8
		size = 1
	case 0x05, 0x06: // (u)int16
		size = 2
	case 0x07, 0x08, 0x0b, 0x0d, 0x14: // (u)int32, real32, bool, hexint32
		size = 4
	case 0x09, 0x0a, 0x0c, 0x11, 0x15: // (u)int64, real64, filetime, hexint64
		size = 8
	case 0x0f: // GUID
		size = 16
	case 0x12: // SYSTEMTIME
		size = 16
	case 0x01:
		return splitUTF16Z(raw), true
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
		switch vt & 0x7f {
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

func fileTimeOf(v *goevtx.ValueFileTime) time.Time {
	if t, ok := v.Value().(goevtx.UTCTime); ok {
		return time.Time(t).UTC()
	}
	return time.Time{}
}

// sysTimeOf reads a SYSTEMTIME value; golang-evtx's own conversion puts the
// milliseconds in the microseconds.
func sysTimeOf(v *goevtx.ValueSysTime) time.Time {
	st, ok := v.Value().(goevtx.SysTime)
	if !ok || st.Year == 0 {
		return time.Time{}
	}
	return time.Date(int(st.Year), time.Month(st.Month), int(st.DayOfMonth), int(st.Hours),
		int(st.Minutes), int(st.Seconds), int(st.Milliseconds)*int(time.Millisecond), time.UTC)
}
