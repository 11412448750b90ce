package bundle

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/exlog/exlog/parse"
)

func TestNodeOf(t *testing.T) {
	tests := []struct{ path, want string }{
		// Rule 2: the collector's per-server archives and their extracted folders.
		{"2024321/EXCH1-321.zip!/Windows_Event_Logs/Windows-Logs.zip!/Application.evtx", "EXCH1"},
		{"EXCH1-1225-2.zip!/General_Server_Info.zip!/EXCH1_msInfo.nfo", "EXCH1"},
		{"case.zip!/exch1-1225.zip!/x.log", "EXCH1"},
		{"EX-MBX-01-321.zip!/x.log", "EX-MBX-01"},   // host names may end in digits
		{"EX-MBX-01-321-3.zip!/x.log", "EX-MBX-01"}, // the copy counter
		{"all/EXCH7-1130/Windows_Event_Logs/System.evtx", "EXCH7"},
		{"CASE-1225.zip!/EXCH2-101.zip!/x.log", "EXCH2"}, // the innermost wins
		{rootMark + "EXCH1-1332.zip!/x.log", ""},         // 13/32 is no date
		{rootMark + "EXCH1-0321.zip!/x.log", ""},         // Md has no leading zero
		{"Windows-Logs.zip!/x.log", ""},
		{"EXCH9/Logs-321/x.log", "EXCH9"},                // a known folder name is not a server
		{"MBX1-Logs/ExchangeSetup.log", "MBX1"},          // a server's folder with a word after its name
		{"exch2.contoso.com/System.evtx", "EXCH2"},       // a fully qualified name
		{"EX-MBX-02 logs/x.log", "EX-MBX-02"},            // ... or a blank and a word
		{"Logs/ExchangeSetupLogs/ExchangeSetup.log", ""}, // generic folders name nothing
		{"10.0.0.12/x.log", ""},                          // an address is no name
		{"My Collection/x.log", ""},
		{"Windows-Logs/x.log", ""},                                         // <word>-logs is no server
		{"case.zip!/EXNODE4.zip!/ExchangeSetupLogs.zip!/x.log", "EXNODE4"}, // a per-server zip in a case zip
		{"MBX2.zip!/x.log", "MBX2"},
		{"NODEA.zip!/x.log", ""}, // a name without a digit may be a customer's
		{"ExchangeSetupLogs.zip!/x.log", ""},

		// Rule 1: a node's cluster log outranks the folder it sits in.
		{"EXCH1-321.zip!/Cluster_Information.zip!/EXCH2_cluster.log", "EXCH2"},
		{"EXCH1-321.zip!/Cluster_Information.zip!/EXCH1_cluster.log", "EXCH1"},
		{"node3.contoso.com_cluster.log", ""}, // dots are not part of a computer name

		// Rule 3: collector file names.
		{"General_Server_Info/EXCH3_Exchange_Registry_Hive.reg", "EXCH3"},
		{"Cluster_Information/EXCH3_Cluster_Hive.reg", "EXCH3"},
		{"Cluster_Information/EXCH3_Cluster_Hive_HowToRead.txt", "EXCH3"},
		{"EXCH3_GetClusterNode.txt", "EXCH3"},
		{"Exchange_Server_Data/exch3_GCM.txt", "EXCH3"},
		{"EXCH3_Application.xml", "EXCH3"},
		{"DAG1_DatabaseAvailabilityGroup.txt", ""}, // prefixed with the DAG, not a server
		{"MailboxDatabase/DB01_MailboxDatabase.xml", ""},
		{"ConfigNC_msExchVirtualDirectory_All.CSV", ""},
		{"Logs/EXCH3_random_name.txt", ""},

		// Rule 4: server folders under the root, date and collector folders.
		{"EXCH4/ExchangeSetupLogs/ExchangeSetup.log", "EXCH4"},
		{"MS_Logs_Collection/2024321/EXCH4/Windows_Event_Logs/x.evtx", "EXCH4"},
		{"2024-03-21/EXCH4/x.log", "EXCH4"},
		{"bundle.zip!/EXCH4/x.log", "EXCH4"},
		{"servers/exch4/x.log", "EXCH4"},
		{"ExchangeSetupLogs/ExchangeSetup.log", ""},
		{"setuplogs/e2016cu18-upgrade.log", ""},
		{"Customer Files/EXCH4/x.log", "EXCH4"}, // "<word> files" is a generic folder
		{"averyveryverylongname/x.log", ""},
		{"2024321/x.log", ""},
		{"x.log", ""},
		{"EXCH4-old/x.log", "EXCH4-OLD"},
	}
	for _, tt := range tests {
		if got := NodeOf(tt.path); got != tt.want {
			t.Errorf("NodeOf(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestMonthDay(t *testing.T) {
	for s, want := range map[string]bool{
		"11": true, "321": true, "1225": true, "1231": true, "131": true, "1011": true,
		"1": false, "10": false, "0321": false, "1300": false, "1232": false, "12345": false, "3a1": false,
	} {
		if got := monthDay(s); got != want {
			t.Errorf("monthDay(%q) = %v", s, got)
		}
	}
}

func TestCleanName(t *testing.T) {
	tests := []struct {
		raw, name string
		dir       bool
		unsafe    bool
	}{
		{"a/b.log", "a/b.log", false, false},
		{`a\b.log`, "a/b.log", false, false},
		{"./a//b.log", "a/b.log", false, false},
		{"dir/", "dir", true, false},
		{"./", "", true, false},
		{"../x", "", false, true},
		{"a/../../x", "", false, true},
		{"/etc/x", "", false, true},
		{`\\srv\share\x`, "", false, true},
		{"c:/x", "", false, true},
		{"C:x", "", false, true},
		{"a\x00b", "", false, true},
		{"", "", false, true},
		{"a/..b/c", "a/..b/c", false, false},
	}
	for _, tt := range tests {
		name, dir, unsafe := cleanName(tt.raw)
		if name != tt.name || dir != tt.dir || (unsafe != "") != tt.unsafe {
			t.Errorf("cleanName(%q) = %q, %v, %q", tt.raw, name, dir, unsafe)
		}
	}
	if got := decodeName("caf\x82.log"); got != "café.log" {
		t.Errorf("code page 437 name decoded as %q", got)
	}
}

// TestWrapperFolders checks that the one folder a case is packed in never
// becomes a node, whatever packing, while server folders below it do.
func TestWrapperFolders(t *testing.T) {
	dir := t.TempDir()
	// A folder bundle with one top folder.
	writeFile(t, filepath.Join(dir, "tree", "CASE123", "NODE1", "a.log"), []byte("LINE 1\n"))
	writeFile(t, filepath.Join(dir, "tree", "CASE123", "NODE2", "a.log"), []byte("LINE 2\n"))
	writeFile(t, filepath.Join(dir, "tree", ".DS_Store"), []byte("x"))
	// The same as a zip, as a zip named like its folder with a file at the
	// top, and as a tar.gz named like its folder.
	files := []zf{{name: "CASE123/NODE1/a.log", data: []byte("LINE 1\n")}, {name: "CASE123/NODE2/a.log", data: []byte("LINE 2\n")}}
	writeFile(t, filepath.Join(dir, "case.zip"), zipBytes(t, files...))
	writeFile(t, filepath.Join(dir, "CASE123.zip"), zipBytes(t, append(files, zf{name: "readme.txt", data: []byte("LINE r\n")})...))
	var tfs []tf
	for _, f := range files {
		tfs = append(tfs, tf{name: f.name, data: f.data})
	}
	writeFile(t, filepath.Join(dir, "CASE123.tar.gz"), gzBytes(t, tarBytes(t, tfs...)))
	for _, root := range []string{"tree", "case.zip", "CASE123.zip", "CASE123.tar.gz"} {
		res := runParse(t, []string{filepath.Join(dir, root)}, Options{})
		n := 0
		for _, r := range res.reports {
			if !strings.HasSuffix(r.Path, "a.log") {
				continue
			}
			n++
			want := "NODE1"
			if strings.Contains(r.Path, "NODE2") {
				want = "NODE2"
			}
			if r.Node != want || r.NodeFrom != parse.NodeFromLayout {
				t.Errorf("%s: %s: node %q from %q, want %s from the layout", root, r.Path, r.Node, r.NodeFrom, want)
			}
		}
		if n != 2 {
			t.Errorf("%s: %d logs read, want 2", root, n)
		}
	}
}
