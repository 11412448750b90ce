package regexport

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

// fx reads the registry fixtures and parses bytes, checking the
// invariants every parse must keep: events in file order, each with a
// line, counted in the report.
var fx = parsetest.LineFixtures{Parser: Parser{}, Dir: "registry", Valid: func(path string, e *parse.Event) bool {
	return e.Source == parse.SourceRegistry && e.TimeQuality == parse.TimeNone && e.Time.IsZero() && e.File == path
}}

func byLine(evs []*parse.Event) map[int]*parse.Event {
	m := make(map[int]*parse.Event, len(evs))
	for _, e := range evs {
		m[e.Line] = e
	}
	return m
}

func TestAllValueTypes(t *testing.T) {
	evs, rep, err := fx.Parse(t, "reg/all-value-types.reg", fx.Read(t, "all-value-types.reg"), "NODE9")
	if err != nil {
		t.Fatal(err)
	}
	// 21 value lines, the two-line string, one deleted value and one
	// deleted key (grep -cE '^("|@|\[-)' on the UTF-8 conversion: 24).
	if len(evs) != 24 || len(rep.Problems) != 0 || rep.Skipped != 0 {
		t.Fatalf("%d events, problems %v, skipped %d", len(evs), rep.Problems, rep.Skipped)
	}
	const base = `HKEY_CURRENT_USER\Software\exlog\ValueTypes`
	cases := []struct {
		line             int
		name, typ, value string
		hex              string
	}{
		{6, "(default)", "REG_SZ", "default text", ""},
		{7, "String", "REG_SZ", `C:\Temp\"quoted"`, ""},
		{8, "Empty", "REG_SZ", "", ""},
		{9, "Unicode", "REG_SZ", "Grüße – 日本", ""},
		{10, `Name "with" = and \ inside`, "REG_SZ", "odd name", ""},
		{11, "Dword", "REG_DWORD", "42", "0x0000002a"},
		{12, "DwordMax", "REG_DWORD", "4294967295", "0xffffffff"},
		{13, "Qword", "REG_QWORD", "10000000000", "0x00000002540be400"},
		{14, "Expand", "REG_EXPAND_SZ", `%SystemRoot%\system32\clussvc.exe`, ""},
		{17, "Multi", "REG_MULTI_SZ", "alpha; beta gamma; δέλτα", ""},
		{20, "Binary", "REG_BINARY", "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11", ""},
		{22, "None", "REG_NONE", "", ""},
		{23, "SzAsHex", "REG_SZ", "hex string", ""},
		{25, "DwordAsHex", "REG_DWORD", "42", "0x0000002a"},
		{26, "BigEndian", "REG_DWORD_BIG_ENDIAN", "256", "0x00000100"},
		{27, "Link", "REG_LINK", `\Registry\Machine\Software\exlog`, ""},
		{30, "ResourceList", "REG_RESOURCE_LIST", "010000000f000000", ""},
		{31, "FullResource", "REG_FULL_RESOURCE_DESCRIPTOR", "0f000000", ""},
		{32, "Requirements", "REG_RESOURCE_REQUIREMENTS_LIST", "20000000", ""},
		{33, "Custom", "REG_TYPE_0xFFFF0001", "deadbeef", ""},
		{35, "TwoLines", "REG_SZ", "first line\nsecond line", ""},
	}
	got := byLine(evs)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := got[c.line]
			if e == nil {
				t.Fatalf("no event at line %d", c.line)
			}
			want := map[string]string{"key": base, "value_name": c.name, "value_type": c.typ, "value": c.value, "value_hex": c.hex}
			parsetest.CheckFields(t, e, want)
			if e.Node != "NODE9" || e.Field("deleted") != "" {
				t.Errorf("node %q deleted %q", e.Node, e.Field("deleted"))
			}
		})
	}
	if e := got[37]; e == nil || e.Field("value_name") != "Removed" || e.Field("deleted") != "true" || e.Field("value_type") != "" {
		t.Errorf("value deletion at line 37: %+v", e)
	}
	if e := got[39]; e == nil || e.Field("key") != base+`\Obsolete` || e.Field("deleted") != "true" || e.Field("value_name") != "" {
		t.Errorf("key deletion at line 39: %+v", e)
	}
	if e := got[42]; e == nil || e.Field("key") != base+`\Sub` || e.Field("value") != "deletion" {
		t.Errorf("value after the deletion at line 42: %+v", e)
	}
	if m := got[11].Message; m != base+`\Dword = 42` {
		t.Errorf("message %q", m)
	}
}

func TestClusterHive(t *testing.T) {
	evs, rep, err := fx.Parse(t, "NODE1/Cluster_Hive.reg", fx.Read(t, "node1-cluster-hive.reg"), "NODE1")
	if err != nil {
		t.Fatal(err)
	}
	// grep -cE '^("|@)' on the UTF-8 conversion: 77 value lines.
	if len(evs) != 77 || rep.Status != "" || len(rep.Problems) != 0 {
		t.Fatalf("%d events, problems %v", len(evs), rep.Problems)
	}
	const (
		cmsGroup = "601c3240-b214-479e-8bce-3620bbb5ea80"
		store    = "959e2f62-303b-446b-8c5e-b5e1ceff82aa"
		netName  = "c00c9d4c-fd0f-4f0c-bbb3-532401ab0f3c"
	)
	cases := []struct {
		line   int
		fields map[string]string
	}{
		{23, map[string]string{"value_name": "FailoverThreshold", "value": "4294967295", "value_hex": "0xffffffff",
			parse.KeyClusterGroup: "Cluster Group", parse.KeyClusterGroupID: "0905e2d1-7530-4217-bada-64c9fb1342ba"}},
		// The CMS group writes its policy before its Name.
		{27, map[string]string{"value_name": "FailoverThreshold", "value": "3", parse.KeyClusterGroup: "EXCMS1", parse.KeyClusterGroupID: cmsGroup}},
		{28, map[string]string{"value_name": "FailoverPeriod", "value": "2", parse.KeyClusterGroup: "EXCMS1"}},
		{50, map[string]string{"value_name": "NodeName", "value": "NODE1", parse.KeyClusterNodeID: "1", parse.KeyClusterNode: "NODE1"}},
		{53, map[string]string{"value_name": "BuildNumber", "value": "6002", parse.KeyClusterNodeID: "1", parse.KeyClusterNode: "NODE1"}},
		// Node 2 lists BuildNumber before NodeName, and an FQDN.
		{59, map[string]string{"value_name": "BuildNumber", "value": "6001", parse.KeyClusterNodeID: "2", parse.KeyClusterNode: "NODE2"}},
		{84, map[string]string{"value_name": "Name", parse.KeyClusterResource: "Exchange Information Store Instance (EXCMS1)",
			parse.KeyClusterResourceID: store, parse.KeyClusterResourceType: "Exchange Information Store Instance",
			parse.KeyClusterGroup: "EXCMS1", parse.KeyClusterGroupID: cmsGroup}},
		{87, map[string]string{"value_name": "RestartThreshold", "value": "3", parse.KeyClusterResource: "Exchange Information Store Instance (EXCMS1)"}},
		{88, map[string]string{"value_name": "RestartPeriod", "value": "900000", "value_hex": "0x000dbba0", parse.KeyClusterGroup: "EXCMS1"}},
		{86, map[string]string{"value_name": "PossibleOwners", "value_type": "REG_MULTI_SZ", "value": "1; 2"}},
		// A subkey of a resource inherits the resource's names.
		{111, map[string]string{"key": `HKEY_LOCAL_MACHINE\Cluster\Resources\` + netName + `\Parameters`, "value": "EXCMS1",
			parse.KeyClusterResource: "Network Name (EXCMS1)", parse.KeyClusterResourceID: netName, parse.KeyClusterGroup: "EXCMS1"}},
		{4, map[string]string{"value_name": "ClusterName", "value": "EXCLU1", parse.KeyClusterGroup: "", parse.KeyClusterNode: ""}},
	}
	got := byLine(evs)
	for _, c := range cases {
		e := got[c.line]
		if e == nil {
			t.Errorf("no event at line %d", c.line)
			continue
		}
		parsetest.CheckFields(t, e, c.fields)
	}
}

func TestExchangeV8REGEDIT4(t *testing.T) {
	evs, rep, err := fx.Parse(t, "NODE1/Exchange_Registry_Hive.reg", fx.Read(t, "node1-exchange-v8.reg"), "FROMPATH")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 17 || len(rep.Problems) != 0 {
		t.Fatalf("%d events (grep -c '^[@\"]' says 17), problems %v", len(evs), rep.Problems)
	}
	got := byLine(evs)
	cases := []struct {
		line                    int
		name, value, role, vkey string
	}{
		{6, "ConfiguredVersion", "8.3.0083.006", "AdminTools", "v8.0"},
		{11, "Action", "BuildToBuildUpgrade", "ClusteredMailboxServer", "v8.0"},
		{12, "Watermark", "3c5e9a1d", "ClusteredMailboxServer", "v8.0"},
		{13, "ConfiguredVersion", "8.1.0240.006", "ClusteredMailboxServer", "v8.0"},
		{18, "UnpackedVersion", "8.3.0083.006", "MailboxRole", "v8.0"},
		// Setup is not a role key for these purposes: only the four
		// progress and version values carry the role.
		{21, "MsiInstallPath", `C:\Program Files\Microsoft\Exchange Server\`, "", ""},
		{26, "Organisation", "Zürich Rückversicherung", "", ""},
		{27, "ExchangeBinPath", `%ProgramFiles%\Microsoft\Exchange Server\Bin`, "", ""},
		{30, "ServerRoles", "Mailbox; ClusteredMailboxServer; Café", "", ""},
	}
	for _, c := range cases {
		e := got[c.line]
		if e == nil {
			t.Errorf("no event at line %d", c.line)
			continue
		}
		if e.Field("value_name") != c.name || e.Field("value") != c.value ||
			e.Field(parse.KeyExchangeRole) != c.role || e.Field(parse.KeyExchangeVersionKey) != c.vkey {
			t.Errorf("line %d: got %v", c.line, e.Fields)
		}
		// The ComputerName value at the end of the file names the server.
		if e.Node != "NODE1" {
			t.Errorf("line %d: node %q, want NODE1 from the content", c.line, e.Node)
		}
	}
}

// utf8Of converts a UTF-16LE fixture to UTF-8 without a BOM, with LF ends,
// as some tools rewrite exports.
func utf8Of(t *testing.T, b []byte) []byte {
	t.Helper()
	if !bytes.HasPrefix(b, []byte{0xFF, 0xFE}) {
		t.Fatal("fixture is not UTF-16LE with BOM")
	}
	b = b[2:]
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return []byte(strings.ReplaceAll(string(utf16.Decode(u)), "\r\n", "\n"))
}

func TestEncodingsAgree(t *testing.T) {
	for _, name := range []string{"node1-cluster-hive.reg", "all-value-types.reg"} {
		raw := fx.Read(t, name)
		a, _, err := fx.Parse(t, name, raw, "N")
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := fx.Parse(t, name, utf8Of(t, raw), "N")
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != len(b) {
			t.Fatalf("%s: %d events from UTF-16, %d from UTF-8", name, len(a), len(b))
		}
		for i := range a {
			if a[i].Line != b[i].Line || a[i].Message != b[i].Message || fmt.Sprint(a[i].Fields) != fmt.Sprint(b[i].Fields) {
				t.Fatalf("%s event %d differs:\n%+v\n%+v", name, i, a[i], b[i])
			}
		}
	}
}

func TestDamagedInput(t *testing.T) {
	const key = "[HKEY_LOCAL_MACHINE\\SOFTWARE\\exlog]\n"
	cases := []struct {
		name      string
		text      string
		lines     []int // lines of the events, in order
		values    []string
		problems  int
		skipped   int
		recovered int
	}{
		{
			name:  "unterminated string stops at the next value",
			text:  "REGEDIT4\n" + key + "\"A\"=\"cut off\n\"B\"=\"fine\"\n",
			lines: []int{3, 4}, values: []string{"cut off", "fine"},
			problems: 1, recovered: 1,
		},
		{
			name:  "hex continuation that never comes",
			text:  "REGEDIT4\n" + key + "\"A\"=hex:01,02,\\\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\other]\n\"B\"=dword:00000001\n",
			lines: []int{3, 5}, values: []string{"0102", "1"},
			problems: 1, recovered: 1,
		},
		{
			name:  "file cut inside wrapped hex",
			text:  "REGEDIT4\n" + key + "\"A\"=hex:01,02,\\\n  03,04,\\",
			lines: []int{3}, values: []string{"01020304"},
			problems: 1, recovered: 1,
		},
		{
			name:  "bad hex tokens are left out",
			text:  "REGEDIT4\n" + key + "\"A\"=hex:01,zz,02,123\n",
			lines: []int{3}, values: []string{"0102"},
			problems: 1, recovered: 1,
		},
		{
			name:  "bad dword kept as text",
			text:  "REGEDIT4\n" + key + "\"A\"=dword:xyz\n\"B\"=dword:1\n",
			lines: []int{3, 4}, values: []string{"xyz", "1"},
			problems: 1, recovered: 1,
		},
		{
			name:  "value before any key, garbage and unknown data",
			text:  "REGEDIT4\n\"Orphan\"=\"x\"\n" + key + "garbage here\n\"A\"=weird:1\n\"B\"=\"ok\"\n",
			lines: []int{6}, values: []string{"ok"},
			problems: 3, skipped: 3,
		},
		{
			name:  "key line without closing bracket still names the key",
			text:  "REGEDIT4\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\broken\n\"A\"=\"v\"\n",
			lines: []int{3}, values: []string{"v"},
			problems: 1,
		},
		{
			name:  "text after the closing quote",
			text:  "REGEDIT4\n" + key + "\"A\"=\"v\" trailing\n",
			lines: []int{3}, values: []string{"v"},
			problems: 1, recovered: 1,
		},
		{
			name:  "concatenated exports keep their own header",
			text:  "REGEDIT4\n" + key + "\"A\"=hex(1):41,42,00\n\nWindows Registry Editor Version 5.00\n" + key + "\"B\"=hex(1):41,00,42,00,00,00\n",
			lines: []int{3, 7}, values: []string{"AB", "AB"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs, rep, err := fx.Parse(t, "x.reg", []byte(c.text), "")
			if err != nil {
				t.Fatal(err)
			}
			var lines []int
			var values []string
			for _, e := range evs {
				lines = append(lines, e.Line)
				values = append(values, e.Field("value"))
			}
			if fmt.Sprint(lines) != fmt.Sprint(c.lines) || fmt.Sprint(values) != fmt.Sprint(c.values) {
				t.Errorf("lines %v values %q, want %v %q", lines, values, c.lines, c.values)
			}
			if len(rep.Problems) != c.problems || rep.Skipped != c.skipped || rep.Recovered != c.recovered {
				t.Errorf("problems %v skipped %d recovered %d, want %d/%d/%d",
					rep.Problems, rep.Skipped, rep.Recovered, c.problems, c.skipped, c.recovered)
			}
		})
	}
}

func TestNotAnExport(t *testing.T) {
	for _, text := range []string{"", "\n\n", "[HKEY_LOCAL_MACHINE\\SOFTWARE]\n\"A\"=\"b\"\n", "REGEDIT5\n"} {
		evs, _, err := fx.Parse(t, "x.reg", []byte(text), "")
		if !errors.Is(err, parse.ErrNotFormat) || len(evs) != 0 {
			t.Errorf("%q: err %v, %d events", text, err, len(evs))
		}
	}
}

func TestEmitErrorIsReturned(t *testing.T) {
	parsetest.CheckEmitError(t, Parser{}, parsetest.Bytes("x", fx.Read(t, "node1-cluster-hive.reg")), 5)
}

func TestClusterHiveUnderOtherNames(t *testing.T) {
	group := "\"Name\"=\"EXCMS1\"\n\"FailoverThreshold\"=dword:00000004\n"
	cases := []struct {
		name, text string
		want       string // cluster_group of the threshold value
	}{
		{"loaded as 0.Cluster", "REGEDIT4\n[HKEY_LOCAL_MACHINE\\0.Cluster\\Groups\\g1]\n" + group, "EXCMS1"},
		{"any hive holding ClusterName", "REGEDIT4\n[HKEY_LOCAL_MACHINE\\TEMPHIVE]\n\"ClusterName\"=\"C1\"\n[HKEY_LOCAL_MACHINE\\TEMPHIVE\\Groups\\g1]\n" + group, "EXCMS1"},
		{"not a cluster hive", "REGEDIT4\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Groups\\g1]\n" + group, ""},
	}
	for _, c := range cases {
		evs, _, err := fx.Parse(t, "x.reg", []byte(c.text), "")
		if err != nil {
			t.Fatal(err)
		}
		last := evs[len(evs)-1]
		if last.Field("value_name") != "FailoverThreshold" || last.Field(parse.KeyClusterGroup) != c.want {
			t.Errorf("%s: %v", c.name, last.Fields)
		}
	}
}

func TestOversizedClusterKey(t *testing.T) {
	// More values than are held: the first maxHeld are sent with the
	// GUID, the rest (after Name) with the name; none is lost.
	var b strings.Builder
	b.WriteString("REGEDIT4\n[HKEY_LOCAL_MACHINE\\Cluster\\Groups\\g1]\n")
	for i := 0; i < maxHeld+10; i++ {
		fmt.Fprintf(&b, "\"V%d\"=dword:%08x\n", i, i)
	}
	b.WriteString("\"Name\"=\"Late\"\n\"After\"=\"x\"\n")
	evs, _, err := fx.Parse(t, "x.reg", []byte(b.String()), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != maxHeld+12 {
		t.Fatalf("%d events", len(evs))
	}
	if g := evs[0].Field(parse.KeyClusterGroup); g != "g1" {
		t.Errorf("first value group %q", g)
	}
	if g := evs[len(evs)-1].Field(parse.KeyClusterGroup); g != "Late" {
		t.Errorf("last value group %q", g)
	}
}

func TestSniff(t *testing.T) {
	var p Parser
	cases := []struct {
		name string
		head []byte
		want bool
	}{
		{"5.00 UTF-16LE fixture", fx.Read(t, "node1-cluster-hive.reg"), true},
		{"REGEDIT4 ANSI fixture", fx.Read(t, "node1-exchange-v8.reg"), true},
		{"5.00 as UTF-8", utf8Of(t, fx.Read(t, "all-value-types.reg")), true},
		{"leading blank lines", []byte("\r\n\r\nREGEDIT4\r\n"), true},
		{"header only, no newline", []byte("Windows Registry Editor Version 5.00"), true},
		{"header with more text", []byte("Windows Registry Editor Version 5.00 (copy)\n"), false},
		{"key without header", []byte("[HKEY_LOCAL_MACHINE\\Cluster]\n"), false},
		{"ini file", []byte("[General]\nName=x\n"), false},
		{"empty", nil, false},
	}
	for _, c := range cases {
		head := c.head
		if len(head) > parse.SniffSize {
			head = head[:parse.SniffSize]
		}
		if got := p.Sniff(head); got != c.want {
			t.Errorf("%s: Sniff = %v", c.name, got)
		}
	}
}

// TestSniffRejectsOtherFormats runs Sniff over the project's other
// fixtures and the shared corpus of real logs.
func TestSniffRejectsOtherFormats(t *testing.T) {
	inv, _ := filepath.Glob(filepath.Join(fixtures.Dir(), "inventory", "*.txt"))
	if len(inv) == 0 {
		t.Log("no inventory fixtures to check")
	}
	parsetest.CheckSniffRejects(t, Parser{}, inv...)
}

func TestTypeName(t *testing.T) {
	for n, want := range map[uint64]string{0: "REG_NONE", 7: "REG_MULTI_SZ", 0xb: "REG_QWORD", 0x20: "REG_TYPE_0x20"} {
		if got := TypeName(n); got != want {
			t.Errorf("TypeName(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCancel(t *testing.T) {
	// The first check comes at line 1024, so a few hundred values pass.
	if n := parsetest.CheckCancel(t, Parser{}, parsetest.Bytes("x", []byte(bigExport(1<<20))), 1024); n == 0 {
		t.Error("no value before the first check")
	}
}
