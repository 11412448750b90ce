package facts

import "testing"

func TestReadEVSUpgrade(t *testing.T) {
	for _, c := range []struct {
		text   string
		want   bool
		done   bool
		server string
	}{
		{"Upgrade Exchange Virtual Server EVS1 requested from Cluster Administrator", true, false, "EVS1"},
		{"The Exchange Virtual Server has been upgraded successfully.", true, true, ""},
		{"Upgrade Exchange Virtual Server 'EVS2' started from Cluster Administrator on NODE2", true, false, "EVS2"},
		{"Exchange Virtual Server EVS1 is online", false, false, ""},
		{"Setup completed", false, false, ""},
	} {
		u := ReadEVSUpgrade(c.text)
		if (u != nil) != c.want || (u != nil && (u.Done != c.done || u.Server != c.server)) {
			t.Errorf("%q: %+v", c.text, u)
		}
	}
}

func TestSameRunAs(t *testing.T) {
	a := &SetupRun{Print: []uint64{1, 2, 3}}
	for _, c := range []struct {
		p    []uint64
		want bool
	}{{[]uint64{1, 2, 3}, true}, {[]uint64{1, 2}, true}, {[]uint64{1, 3}, false}, {nil, false}} {
		if got := a.SameRunAs(&SetupRun{Print: c.p}); got != c.want {
			t.Errorf("%v: %v", c.p, got)
		}
	}
}
