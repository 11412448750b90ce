package regexport

import (
	"context"
	"io"
	"regexp"
	"strings"

	"github.com/exlog/exlog/parse"
)

// Exchange setup role keys: 2007 keeps them under Exchange\v8.0, 2010 and
// later under ExchangeServer\v14 or v15.
var (
	reExchange8      = regexp.MustCompile(`(?i)\\Microsoft\\Exchange\\(v8\.0)\\([^\\]+)$`)
	reExchangeServer = regexp.MustCompile(`(?i)\\Microsoft\\ExchangeServer\\(v1[45])\\([^\\]+)$`)
)

// exchangeSetupValues are the role-key values setup uses to record progress
// (Watermark, Action) and the installed build.
var exchangeSetupValues = []string{"Watermark", "Action", "ConfiguredVersion", "UnpackedVersion"}

type clusterKind int

const (
	ckNone clusterKind = iota
	ckNode
	ckGroup
	ckResource
)

const (
	// maxHeld bounds how many values of one cluster object key are held
	// back to learn the object's name; cluster keys have a few dozen.
	maxHeld = 1024
	// maxNames bounds the id-to-name maps of one file.
	maxNames = 100000
)

// deriver adds the Exchange and cluster fields. Values of one key come
// together in an export, so the values of a cluster node, group or
// resource key are held until the key ends: then the object's Name (or
// NodeName) is known whatever its position among them, and every value of
// the key can carry it. The names are remembered for later subkeys such as
// Resources\<id>\Parameters.
type deriver struct {
	exRole, exVer string

	root   string // hive name when the key is HKLM\<hive> itself
	ck     clusterKind
	id     string // node number or group/resource id, as written
	lid    string // id in lower case, the maps' key
	object bool   // the key is the object's own key, not a subkey

	holding bool
	held    []*parse.Event

	names   map[string]string // kind prefix + lower-case id -> name
	types   map[string]string // lower-case resource id -> resource type
	groupOf map[string]string // lower-case resource id -> lower-case group id
	roots   map[string]bool   // lower-case hive names that hold a ClusterName value
}

func isHiveRoot(s string) bool {
	for _, r := range []string{"HKEY_LOCAL_MACHINE", "HKLM", "HKEY_USERS", "HKU"} {
		if strings.EqualFold(s, r) {
			return true
		}
	}
	return false
}

// startKey classifies a new key.
func (d *deriver) startKey(key string) {
	d.exRole, d.exVer = "", ""
	if m := reExchange8.FindStringSubmatch(key); m != nil {
		d.exVer, d.exRole = strings.ToLower(m[1]), m[2]
	} else if m := reExchangeServer.FindStringSubmatch(key); m != nil {
		d.exVer, d.exRole = strings.ToLower(m[1]), m[2]
	}

	d.root, d.ck, d.id, d.lid, d.object = "", ckNone, "", "", false
	parts := strings.Split(key, `\`)
	if len(parts) < 2 || !isHiveRoot(parts[0]) {
		return
	}
	hive := strings.ToLower(parts[1])
	if len(parts) == 2 {
		d.root = hive
		return
	}
	// The cluster hive is HKLM\Cluster on a node; exported from a saved
	// hive it sits under whatever name it was loaded as ("0.Cluster"), so
	// also accept any hive whose root held a ClusterName value.
	if len(parts) < 4 || !(strings.Contains(hive, "cluster") || d.roots[hive]) {
		return
	}
	switch strings.ToLower(parts[2]) {
	case "nodes":
		d.ck = ckNode
	case "groups":
		d.ck = ckGroup
	case "resources":
		d.ck = ckResource
	default:
		return
	}
	d.id, d.lid = parts[3], strings.ToLower(parts[3])
	d.object = len(parts) == 4
	d.holding = d.object
}

// value adds the Exchange fields and learns cluster names from one value.
func (d *deriver) value(ev *parse.Event, name string, v decoded) {
	if d.exVer != "" {
		for _, n := range exchangeSetupValues {
			if strings.EqualFold(name, n) {
				ev.SetField(parse.KeyExchangeRole, d.exRole)
				ev.SetField(parse.KeyExchangeVersionKey, d.exVer)
				break
			}
		}
	}
	if d.root != "" && strings.EqualFold(name, "ClusterName") {
		if d.roots == nil {
			d.roots = map[string]bool{}
		}
		d.roots[d.root] = true
	}
	if !d.object || v.value == "" {
		return
	}
	id := d.lid
	switch {
	case d.ck == ckNode && strings.EqualFold(name, "NodeName"):
		d.remember(&d.names, "n:"+id, v.value)
	case d.ck == ckGroup && strings.EqualFold(name, "Name"):
		d.remember(&d.names, "g:"+id, v.value)
	case d.ck == ckResource && strings.EqualFold(name, "Name"):
		d.remember(&d.names, "r:"+id, v.value)
	case d.ck == ckResource && strings.EqualFold(name, "Type"):
		d.remember(&d.types, id, v.value)
	case d.ck == ckGroup && strings.EqualFold(name, "Contains"):
		for _, res := range v.list {
			d.remember(&d.groupOf, strings.ToLower(strings.TrimSpace(res)), id)
		}
	}
}

func (d *deriver) remember(m *map[string]string, k, v string) {
	if *m == nil {
		*m = map[string]string{}
	}
	if len(*m) >= maxNames {
		if _, ok := (*m)[k]; !ok {
			return
		}
	}
	(*m)[k] = v
}

// hold buffers an event of a cluster object key, or decorates and sends it.
func (d *deriver) hold(ev *parse.Event, send func(*parse.Event) error) error {
	if d.holding {
		if len(d.held) < maxHeld {
			d.held = append(d.held, ev)
			return nil
		}
		// An oversized key: stream the rest with what is known so far.
		if err := d.flush(send); err != nil {
			return err
		}
		d.holding = false
	}
	d.decorate(ev)
	return send(ev)
}

// endKey sends the held values of the key that just ended.
func (d *deriver) endKey(send func(*parse.Event) error) error {
	err := d.flush(send)
	d.holding = false
	return err
}

func (d *deriver) flush(send func(*parse.Event) error) error {
	held := d.held
	d.held = nil
	for i, ev := range held {
		d.decorate(ev)
		if err := send(ev); err != nil {
			clear(held[i:])
			return err
		}
	}
	return nil
}

func (d *deriver) decorate(ev *parse.Event) {
	id := d.lid
	switch d.ck {
	case ckNode:
		ev.SetField(parse.KeyClusterNodeID, d.id)
		if n := d.names["n:"+id]; n != "" {
			ev.SetField(parse.KeyClusterNode, parse.ShortNode(n))
		}
	case ckGroup:
		ev.SetField(parse.KeyClusterGroupID, d.id)
		ev.SetField(parse.KeyClusterGroup, or(d.names["g:"+id], d.id))
	case ckResource:
		ev.SetField(parse.KeyClusterResourceID, d.id)
		ev.SetField(parse.KeyClusterResource, or(d.names["r:"+id], d.id))
		ev.SetField(parse.KeyClusterResourceType, d.types[id])
		if g := d.groupOf[id]; g != "" {
			ev.SetField(parse.KeyClusterGroupID, g)
			ev.SetField(parse.KeyClusterGroup, or(d.names["g:"+g], g))
		}
	}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// prescanLimit bounds the look-ahead for the computer name: a full SYSTEM
// export puts it far down, and reading a huge file twice is not worth it.
const prescanLimit = 64 << 20

// contentNode looks through the first prescanLimit bytes for the
// ComputerName value of the ComputerName or ActiveComputerName key, which
// says which server the export came from better than the bundle layout.
func contentNode(ctx context.Context, in *parse.Input) (node string) {
	defer func() {
		if recover() != nil {
			node = ""
		}
	}()
	rc, err := in.Open()
	if err != nil {
		return ""
	}
	defer rc.Close()
	l := parse.NewLines(io.LimitReader(rc, prescanLimit))
	inKey := false
	for l.Next() {
		if l.Number()&4095 == 0 && ctx.Err() != nil {
			return ""
		}
		t := strings.TrimSpace(l.Text())
		if t == "" {
			continue
		}
		if t[0] == '[' {
			k := strings.TrimSuffix(t[1:], "]")
			inKey = hasSuffixFold(k, `\Control\ComputerName\ComputerName`) ||
				hasSuffixFold(k, `\Control\ComputerName\ActiveComputerName`)
			continue
		}
		if !inKey || t[0] != '"' {
			continue
		}
		name, data, ok := splitValueLine(t)
		if !ok || !strings.EqualFold(name, "ComputerName") {
			continue
		}
		if v, _, closed := quoted(data); closed && strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
