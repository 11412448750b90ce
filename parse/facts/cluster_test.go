package facts

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/exlog/exlog/parse"
)

func TestGUIDAndMoveKind(t *testing.T) {
	for s, want := range map[string]bool{
		"254ef0e7-1937-11d3-b3fe-00a0c986aa14": true, "{254EF0E7-1937-11D3-B3FE-00A0C986AA14}": true,
		"254ef0e7-1937-11d3-b3fe-00a0c986aa1": false, "EVS1": false, "254ef0e7x1937-11d3-b3fe-00a0c986aa14": false,
	} {
		if IsGUID(s) != want {
			t.Errorf("IsGUID(%q) = %v", s, !want)
		}
	}
	for w, want := range map[string]string{
		"Manual": MovePlanned, "NodeDown": MoveUnplanned, "Failover": MoveUnplanned, "administrator request": MovePlanned,
		"Drain": MovePlanned, "Unplanned": MoveUnplanned, "Balance": MoveUnknown, "": MoveUnknown,
	} {
		if got := MoveKind(w); got != want {
			t.Errorf("MoveKind(%q) = %q, want %q", w, got, want)
		}
	}
}

func TestExchangeWording(t *testing.T) {
	for text, server := range map[string]string{
		"Version of Exchange on this machine does not match the version of Exchange server NODE4.":            "NODE4",
		"ERR: version of exchange on this server does not match the version of the Exchange server 'EXNODE2'": "EXNODE2",
		"Version of Exchange on this machine does not match the version of Exchange server":                   "",
	} {
		if got, ok := ExchangeVersionMismatch(text); !ok || got != server {
			t.Errorf("%q: %q %v", text, got, ok)
		}
	}
	if _, ok := ExchangeVersionMismatch("the version does not match the schema"); ok {
		t.Error("near miss matched")
	}
	for text, want := range map[string]EVSUpgrade{
		"[09:03:20] Upgrade Exchange Virtual Server EVS1 requested from Cluster Administrator": {Server: "EVS1"},
		"The Exchange Virtual Server has been upgraded successfully.":                          {Done: true},
		"Upgrade Exchange Virtual Server requested":                                            {},
	} {
		if got, ok := EVSUpgradeText(text); !ok || got != want {
			t.Errorf("%q: %+v %v, want %+v", text, got, ok, want)
		}
	}
	if got := ExchangeResourceServer("Exchange System Attendant - (EVS2)"); got != "EVS2" {
		t.Errorf("resource server %q", got)
	}
	if got := ExchangeResourceServer("Disk Q: (shared)"); got != "" {
		t.Errorf("non-Exchange resource gave %q", got)
	}
	for r, want := range map[string]string{"Exchange System Attendant - (EVS1)": "EVS1", "Network Name (CMS2) ": "CMS2", "Disk S:": ""} {
		if got, _ := ResourceServer(r); got != want {
			t.Errorf("ResourceServer(%q) = %q, want %q", r, got, want)
		}
	}
	if _, ok := ResourceServer("x (" + strings.Repeat("n", 64) + ")"); ok {
		t.Error("a 64-character name is not a server name")
	}
	for _, c := range [][4]string{
		{"Physical Disk", "Disk S:", "", KindPhysicalDisk},
		{"", "", "Failed to bring cluster resource Physical Disk (Disk S:) in cluster group MBX-2 online.", KindPhysicalDisk},
		{"", "", "the network name resource failed", KindNetworkName},
		{"", "Cluster Disk 1", "resource failed", KindPhysicalDisk},
		{"IP Address", "Cluster IP Address", "resource failed", ""},
	} {
		if got := ResourceKind(c[0], c[1], c[2]); got != c[3] {
			t.Errorf("ResourceKind(%q, %q, %q) = %q, want %q", c[0], c[1], c[2], got, c[3])
		}
	}
	for s, want := range map[string]bool{
		"Error ID: 5018 (0000139a)": true, "status 5018": true, "HRESULT 0x8007139A": true,
		"status 15018": false, "record 5018": false, "0x139b": false,
	} {
		if Has5018(s) != want {
			t.Errorf("Has5018(%q) = %v", s, !want)
		}
	}
}

// TestClusterFromFields: the action and fields a parser set become facts.
func TestClusterFromFields(t *testing.T) {
	e := &parse.Event{}
	e.SetField(parse.KeyAction, "group-move")
	e.SetField(parse.KeyGroup, "{254EF0E7-1937-11D3-B3FE-00A0C986AA14}")
	e.SetField(parse.KeyToNodeID, "2")
	e.SetField(parse.KeyMoveType, "Failover")
	Cluster(e)
	m := Of[GroupMove](e)
	if len(m) != 1 || m[0].GroupID != "254ef0e7-1937-11d3-b3fe-00a0c986aa14" || m[0].Group != "" || m[0].ToID != "2" ||
		m[0].Kind != MoveUnplanned || !m[0].Guessed {
		t.Errorf("%+v", m)
	}
	e = &parse.Event{}
	e.SetField(parse.KeyAction, "group-state")
	e.SetField(parse.KeyGroup, "EVS1")
	e.SetField(parse.KeyNewState, "Failed")
	e.SetField(parse.KeyStateCode, "2")
	Cluster(e)
	if s := Of[StateChange](e); len(s) != 1 || s[0].To != "Failed" || s[0].ToCode != "2" {
		t.Errorf("%+v", s)
	}
	if f := Of[ResourceFailure](e); len(f) != 1 || f[0].Kind != FailGroupFailed {
		t.Errorf("%+v", f)
	}
	// Nothing without an action.
	e = &parse.Event{Message: "move of group X"}
	Cluster(e)
	if len(e.Facts) != 0 {
		t.Errorf("facts without an action: %+v", e.Facts)
	}
}

func TestFactJSONNamesType(t *testing.T) {
	e := &parse.Event{}
	e.AddFact(GroupMove{Group: "EVS1", To: "N2", FailoverCount: -1, Report: "fm-move"})
	e.AddFact(QuorumLoss{})
	b, err := json.Marshal(e.Facts)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"type":"group-move","group":"EVS1","to":"N2","failover_count":-1,"report":"fm-move"},{"type":"quorum-loss"}]`
	if string(b) != want {
		t.Errorf("%s\nwant %s", b, want)
	}
}
