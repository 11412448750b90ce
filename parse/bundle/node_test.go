package bundle

import "testing"

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
		{"EXCH1-1332.zip!/x.log", ""},                    // 13/32 is no date
		{"EXCH1-0321.zip!/x.log", ""},                    // Md has no leading zero
		{"Windows-Logs.zip!/x.log", ""},
		{"EXCH9/Logs-321/x.log", "EXCH9"}, // a known folder name is not a server

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
		{"Customer Files/EXCH4/x.log", ""}, // the first other folder decides, and this is none
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
