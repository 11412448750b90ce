package render

import "testing"

func TestMessageText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// 2003, 2008+ and merged 2016+ lines, and an analyst's numbering
		// (the real-world corpus has it).
		{"000006c4.000007e0::2007/06/12-09:00:10.470 INFO [FM] Move of group 'EVS1'", "[FM] Move of group 'EVS1'"},
		{"000004c8.000007c4::2009/09/15-15:05:31.950 ERR   [RES] Physical Disk <Disk S:>", "[RES] Physical Disk <Disk S:>"},
		{"[System] 00000a28.00000b2c::2021/03/09-10:02:11.400 DBG   Cluster node 'NODE1' was removed", "[System] Cluster node 'NODE1' was removed"},
		{"   411 [Operational] 0000084c.00000f90::2017/10/23-20:16:33.784 INFO  The Cluster service", "[Operational] The Cluster service"},
		{"0000110c.00002bcc::2020/08/06-01:17:54.943 [RCM] no level", "[RCM] no level"},
		// Not a cluster log prefix: left alone.
		{"[ERROR] Setup cannot continue", "[ERROR] Setup cannot continue"},
		{"21:17:42.347 INFO  [RCM] move of group", "21:17:42.347 INFO  [RCM] move of group"},
	} {
		if got, _ := MessageText(tc.in); got != tc.want {
			t.Errorf("MessageText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Spans after the prefix move left by the returned amount.
	msg := "[System] 00000a28.00000b2c::2021/03/09-10:02:11.400 DBG   Cluster node"
	text, cut := MessageText(msg)
	if msg[len(msg)-4:] != text[len(text)-4:] || len(msg)-cut != len(text) {
		t.Fatalf("cut %d: %q", cut, text)
	}
}
