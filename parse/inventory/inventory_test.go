package inventory

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

// fx reads the inventory fixtures and parses bytes, checking what every
// parse must keep: events in file order with a line, a kind and a
// message, all counted.
var fx = parsetest.LineFixtures{Parser: Parser{}, Dir: "inventory", Valid: func(_ string, e *parse.Event) bool {
	return e.Source == parse.SourceInventory && e.TimeQuality == parse.TimeNone && e.Field(parse.KeyInventory) != "" && e.Message != ""
}}

type want struct {
	line   int
	fields map[string]string
}

func TestFixtures(t *testing.T) {
	cases := []struct {
		file string
		want []want
	}{
		{"get-clusternode-table.txt", []want{
			{4, map[string]string{"inventory": "node", "name": "NODE1", "node_id": "1", "state": "Up", "node": "NODE1"}},
			{5, map[string]string{"inventory": "node", "name": "NODE2", "node_id": "2", "state": "Down"}},
			{6, map[string]string{"inventory": "node", "name": "node3", "node_id": "3", "state": "Paused", "node": "NODE3"}},
		}},
		{"get-clustergroup-table.txt", []want{
			{4, map[string]string{"inventory": "group", "name": "Available Storage", "owner_node": "NODE2", "state": "Offline"}},
			{5, map[string]string{"inventory": "group", "name": "Cluster Group", "owner_node": "NODE1", "state": "Online"}},
			{6, map[string]string{"inventory": "group", "name": "EXCMS1", "owner_node": "NODE2", "state": "PartialOnline"}},
			{7, map[string]string{"inventory": "group", "name": "Exchange Mailbox Server Group for Si...", "truncated": "name", "state": "Failed"}},
		}},
		{"get-clusterresource-table.txt", []want{
			{4, map[string]string{"inventory": "resource", "name": "Cluster IP Address", "group": "Cluster Group", "resource_type": "IP Address", "state": "Online"}},
			{5, map[string]string{"inventory": "resource", "name": "Cluster Name", "resource_type": "Network Name"}},
			{6, map[string]string{"inventory": "resource", "name": `File Share Witness (\\HUB1...`, "truncated": "name"}},
			{7, map[string]string{"inventory": "resource", "group": "EXCMS1", "resource_type": "Exchange Information Store Instance", "state": "Failed"}},
		}},
		{"NODE1_GetClusterNode.txt", []want{
			{3, map[string]string{"inventory": "node", "name": "NODE1", "node_id": "1", "state": "Up", "build_number": "14393",
				"cluster": "EXDAG1", "node_highest_version": "533888", "csd_version": "", "status_information": "Normal"}},
			{26, map[string]string{"inventory": "node", "name": "NODE2", "node_id": "2", "state": "Down", "build_number": "17763",
				"dynamic_weight": "0", "description": "Second mailbox server, moved to the new rack during the March maintenance window"}},
		}},
		{"NODE1_GetClusterGroup.txt", []want{
			{3, map[string]string{"inventory": "group", "name": "Available Storage", "owner_node": "NODE2", "state": "Offline",
				"failover_threshold": "4294967295", "failover_period": "6", "is_core_group": "True"}},
			{21, map[string]string{"inventory": "group", "name": "Cluster Group", "owner_node": "NODE1", "group_type": "Cluster"}},
			{39, map[string]string{"inventory": "group", "name": "EXCMS1", "owner_node": "NODE2", "state": "Failed",
				"failover_threshold": "3", "failover_period": "2", "group_id": "601c3240-b214-479e-8bce-3620bbb5ea80"}},
		}},
		{"clusterexe-2003-group.txt", []want{
			{5, map[string]string{"inventory": "group", "name": "Cluster Group", "owner_node": "NODE1", "state": "Online"}},
			{6, map[string]string{"inventory": "group", "name": "EVS1", "owner_node": "NODE1", "state": "Online"}},
			{7, map[string]string{"inventory": "group", "name": "EVS2", "owner_node": "NODE2", "state": "Partially Online"}},
			// Longer than its 20-character column: the later columns move right.
			{8, map[string]string{"inventory": "group", "name": "Exchange Virtual Server 3", "owner_node": "NODE2", "state": "Failed"}},
			{9, map[string]string{"inventory": "group", "name": "Disk Group 1", "owner_node": "NODE1", "state": "Offline"}},
		}},
		{"clusterexe-2003-transcript.txt", []want{
			{9, map[string]string{"inventory": "node", "name": "NODE1", "node_id": "1", "state": "Up"}},
			{10, map[string]string{"inventory": "node", "name": "NODE2", "node_id": "2", "state": "Paused"}},
			{11, map[string]string{"inventory": "node", "name": "NODE3LONGNAME15", "node_id": "3", "state": "Down"}},
			{18, map[string]string{"inventory": "resource", "name": "Cluster IP Address", "group": "Cluster Group", "owner_node": "NODE1", "state": "Online"}},
			{19, map[string]string{"inventory": "resource", "name": "Cluster Name"}},
			{20, map[string]string{"inventory": "resource", "name": "EVS1 Exchange Information Store Instance", "group": "EVS1", "owner_node": "NODE1"}},
			{21, map[string]string{"inventory": "resource", "name": "EVS2 System Attendant", "group": "EVS2", "owner_node": "NODE2", "state": "Failed"}},
			{22, map[string]string{"inventory": "resource", "name": "Disk Q:", "group": "Cluster Group"}},
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			evs, rep, err := fx.Parse(t, "NODE1/"+c.file, fx.Read(t, c.file), "NODE1")
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Problems) != 0 || rep.Skipped != 0 {
				t.Errorf("problems %v skipped %d", rep.Problems, rep.Skipped)
			}
			if len(evs) != len(c.want) {
				t.Fatalf("%d events, want %d", len(evs), len(c.want))
			}
			for i, w := range c.want {
				e := evs[i]
				if e.Line != w.line {
					t.Errorf("event %d at line %d, want %d", i, e.Line, w.line)
				}
				parsetest.CheckFields(t, e, w.fields)
				if e.Node != "NODE1" {
					t.Errorf("line %d: node %q", e.Line, e.Node)
				}
			}
		})
	}
}

func TestMessages(t *testing.T) {
	evs, _, err := fx.Parse(t, "x", fx.Read(t, "clusterexe-2003-transcript.txt"), "")
	if err != nil {
		t.Fatal(err)
	}
	got := []string{evs[0].Message, evs[5].Message}
	exp := []string{
		"node NODE1 (id 1): Up",
		`resource "EVS1 Exchange Information Store Instance" in group EVS1 on NODE1: Online`,
	}
	if fmt.Sprint(got) != fmt.Sprint(exp) {
		t.Errorf("messages %q, want %q", got, exp)
	}
}

func TestMixedTranscript(t *testing.T) {
	text := strings.Join([]string{
		"PS C:\\> Get-Service clussvc",
		"",
		"Status   Name               DisplayName",
		"------   ----               -----------",
		"Running  clussvc            Cluster Service",
		"",
		"PS C:\\> Get-ClusterNetwork",
		"",
		"Name              State",
		"----              -----",
		"MapiDagNetwork    Up",
		"ReplicationNet    Partitioned",
		"",
		"some note typed by the engineer",
		"Name  State",
		"----  -----",
		"EX1   Up",
		"",
	}, "\r\n")
	evs, rep, err := fx.Parse(t, "x", []byte(text), "EX1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%d %s %s %s", e.Line, e.Field("inventory"), e.Field("name"), e.Field("state")))
	}
	// The Get-ClusterNetwork echo names the ambiguous Name/State table;
	// the last one has no command before it and is read as nodes.
	exp := []string{"11 network MapiDagNetwork Up", "12 network ReplicationNet Partitioned", "17 node EX1 Up"}
	if fmt.Sprint(got) != fmt.Sprint(exp) {
		t.Errorf("got %q\nwant %q", got, exp)
	}
	if rep.Skipped != 1 || len(rep.Problems) != 2 {
		t.Errorf("skipped %d problems %v", rep.Skipped, rep.Problems)
	}
	if !strings.Contains(rep.Problems[0].Reason, "[Status, Name, DisplayName]") || rep.Problems[0].Where != "line 3" {
		t.Errorf("first problem %+v", rep.Problems[0])
	}
	if rep.Problems[1].Where != "line 14" || !strings.HasPrefix(rep.Problems[1].Reason, "1 lines") {
		t.Errorf("second problem %+v", rep.Problems[1])
	}
}

func TestWrappedTableAndLists(t *testing.T) {
	text := strings.Join([]string{
		"Name                 State  OwnerGroup   ResourceType",
		"----                 -----  ----------   ------------",
		"Exchange Information Online EXCMS1       Exchange Information",
		"Store Instance                           Store Instance",
		"(EXCMS1)",
		"Cluster IP Address   Online Cluster Group IP Address",
		"",
		"Name        : EXCMS1",
		"OwnerNode   : node2.contoso.local",
		"State       : Online",
		"Name        : Cluster Group",
		"OwnerNode   : NODE1",
		"State       : Online",
		"",
	}, "\n")
	evs, rep, err := fx.Parse(t, "x", []byte(text), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 || len(rep.Problems) != 0 {
		t.Fatalf("%d events, problems %v", len(evs), rep.Problems)
	}
	// PowerShell -Wrap carries long cells over to lines without a state.
	if evs[0].Line != 3 || evs[0].Field("name") != "Exchange Information Store Instance (EXCMS1)" ||
		evs[0].Field("resource_type") != "Exchange Information Store Instance" || evs[0].Field("state") != "Online" {
		t.Errorf("wrapped row: %v", evs[0].Fields)
	}
	// "Cluster Group" is wider than its column and pushes the type right.
	if evs[1].Field("name") != "Cluster IP Address" || evs[1].Field("group") != "Cluster Group" || evs[1].Field("resource_type") != "IP Address" {
		t.Errorf("row %v", evs[1].Fields)
	}
	if evs[2].Line != 8 || evs[2].Field("inventory") != "group" || evs[2].Field("owner_node") != "NODE2" {
		t.Errorf("list object %v", evs[2])
	}
	// The second object follows without a blank line: a repeated property
	// name starts it.
	if evs[3].Line != 11 || evs[3].Field("name") != "Cluster Group" {
		t.Errorf("list object %v", evs[3])
	}
}

func TestListsBackToBack(t *testing.T) {
	text := "OwnerGroup   : Cluster Group\nResourceType : IP Address\nName         : Cluster IP Address\n" +
		"OwnerGroup   : EXCMS1\nResourceType : Network Name\nName         : EXCMS1\n"
	evs, _, err := fx.Parse(t, "x", []byte(text), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[1].Line != 4 || evs[1].Field("resource_type") != "Network Name" || evs[1].Field("inventory") != "resource" {
		t.Fatalf("events %v", evs)
	}
}

func TestSplitRow(t *testing.T) {
	hdr := "   Id Name       State"
	dash := "   -- ----       -----"
	cols, ok := tableAt(hdr, dash)
	if !ok {
		t.Fatal("no table")
	}
	cases := []struct{ row, want string }{
		{"    1 NODE1      Up", "[1 NODE1 Up]"},
		{" 1234 NODE2      Down", "[1234 NODE2 Down]"},
		{"   12 A LONG NAME Up", "[12 A LONG NAME Up]"},
		{"    7", "[7  ]"},
	}
	for _, c := range cases {
		if got := fmt.Sprint(splitRow([]rune(c.row), cols)); got != c.want {
			t.Errorf("%q: %s, want %s", c.row, got, c.want)
		}
	}
	// A right-aligned number wider than its label, after a text column.
	cols, _ = tableAt("Name          Id State", "----          -- -----")
	if got := fmt.Sprint(splitRow([]rune("NODE1      12345 Up"), cols)); got != "[NODE1 12345 Up]" {
		t.Errorf("right-aligned: %s", got)
	}
}

func TestSnake(t *testing.T) {
	for in, out := range map[string]string{
		"NodeHighestVersion": "node_highest_version", "CSDVersion": "csd_version", "Node ID": "node_id",
		"ID": "id", "IsCoreGroup": "is_core_group", "NodeInstanceId": "node_instance_id", "Size(MB)": "size_mb",
	} {
		if got := snake(in); got != out {
			t.Errorf("snake(%q) = %q, want %q", in, got, out)
		}
	}
}

func TestSniff(t *testing.T) {
	var p Parser
	files, _ := filepath.Glob(fx.Path("*.txt"))
	if len(files) != 7 {
		t.Fatalf("%d inventory fixtures", len(files))
	}
	for _, f := range files {
		if !p.Sniff(fx.Read(t, filepath.Base(f))) {
			t.Errorf("Sniff rejects %s", filepath.Base(f))
		}
	}
	negatives := map[string]string{
		"Get-VM":             "Name  State   CPUUsage(%) MemoryAssigned(M) Uptime   Status\n----  -----   ----------- ----------------- ------   ------\nVM1   Running 0           2048              01:02:03 Operating normally\n",
		"Get-Service":        "Status   Name               DisplayName\n------   ----               -----------\nRunning  clussvc            Cluster Service\n",
		"copy status":        "Name               Status  CopyQueueLength ReplayQueueLength\n----               ------  --------------- -----------------\nDB1\\EX1            Mounted 0               0\n",
		"Name/State of VMs":  "Name  State\n----  -----\nVM1   Running\nVM2   Off\n",
		"Name/State no rows": "Name  State\n----  -----\n",
		"Exchange list":      "Name       : EX1\nFqdn       : ex1.contoso.com\nServerRole : Mailbox\nEdition    : Enterprise\n",
		"markdown":           "Title\n-----\nsome text with OwnerNode : x\n",
		"cluster log":        "00000a3c.00000e6c::2017/10/23-18:51:58.828 INFO  [RCM] rcm::RcmApi::MoveGroup: (ag1023, 1)\n",
	}
	for name, text := range negatives {
		if p.Sniff([]byte(text)) {
			t.Errorf("Sniff claims %s", name)
		}
	}
	positives := map[string]string{
		"Name/State of nodes": "Name  State\n----  -----\nEX1   Up\nEX2   Paused\n",
		"group list subset":   "Name              : EXCMS1\nOwnerNode         : NODE1\nFailoverThreshold : 3\n",
		"cluster.exe node":    "Node           Node ID Status\n-------------- ------- ------\nNODE1                1 Up\n",
	}
	for name, text := range positives {
		if !p.Sniff([]byte(text)) {
			t.Errorf("Sniff rejects %s", name)
		}
	}
}

// TestSniffRejectsOtherFormats runs Sniff over the project's registry
// fixtures and the shared corpus of real logs.
func TestSniffRejectsOtherFormats(t *testing.T) {
	reg, _ := filepath.Glob(filepath.Join(fixtures.Dir(), "registry", "*.reg"))
	parsetest.CheckSniffRejects(t, Parser{}, reg...)
}

func TestEmitErrorIsReturned(t *testing.T) {
	for _, name := range []string{"NODE1_GetClusterNode.txt", "clusterexe-2003-transcript.txt"} {
		parsetest.CheckEmitError(t, Parser{}, parsetest.Bytes(name, fx.Read(t, name)), 1)
	}
}

func TestBounds(t *testing.T) {
	// A value wrapped over thousands of lines is cut at maxValue, once.
	var b strings.Builder
	b.WriteString("OwnerGroup   : G\nResourceType : T\nDescription  : start\n")
	for i := 0; i < 3000; i++ {
		b.WriteString("               more words on a wrapped line\n")
	}
	b.WriteString("\nOwnerGroup   : G2\nResourceType : T2\n")
	// A garbage row far wider than its table: every shift is tried up to
	// maxShift only.
	b.WriteString("\nResource             Group                Node            Status\n")
	b.WriteString("-------------------- -------------------- --------------- ------\n")
	b.WriteString(strings.Repeat("x ", 100000) + "\n")
	evs, rep, err := fx.Parse(t, "x", []byte(b.String()), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("%d events", len(evs))
	}
	d := evs[0].Field("description")
	if len(d) < maxValue || len(d) > maxValue+len("…") || !strings.HasSuffix(d, "…") || !strings.HasPrefix(d, "start more words") {
		t.Errorf("description of %d bytes: %q...", len(d), d[:40])
	}
	if evs[1].Line != 3005 || evs[1].Field("resource_type") != "T2" {
		t.Errorf("second object %+v", evs[1])
	}
	if evs[2].Field("inventory") != "resource" || evs[2].Line != 3010 {
		t.Errorf("garbage row %+v", evs[2].Fields)
	}
	if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].Reason, "wrapped value longer") {
		t.Errorf("problems %v", rep.Problems)
	}
}

func TestCancel(t *testing.T) {
	parsetest.CheckCancel(t, Parser{}, parsetest.Bytes("x", []byte(bigInventory(1<<20))), 1024)
}
