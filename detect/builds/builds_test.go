package builds

import "testing"

func TestDescribe(t *testing.T) {
	cases := map[string]string{
		"6.5.7226":       "6.5.7226 = Exchange 2003 SP1",
		"6.5.7226.6":     "6.5.7226.6 = Exchange 2003 SP1",
		"6.5.7638.2":     "6.5.7638.2 = Exchange 2003 SP2",
		"8.1.240.6":      "8.1.240.6 = Exchange 2007 SP1",
		"8.0.685.24":     "8.0.685.24 = Exchange 2007 RTM",
		"08.01.0240.006": "8.1.240.6 = Exchange 2007 SP1",
		"8.1.240.5":      "8.1.240.5 (near Exchange 2007 SP1)",
		"8.1.300.1":      "8.1.300.1 (after Exchange 2007 SP1 RU3)",
		"15.1.2106.2":    "15.1.2106.2 = Exchange 2016 CU18",
		"15.0.1497.2":    "15.0.1497.2 = Exchange 2013 CU23",
		"Version 6.5 (Build 7638.2: Service Pack 2)": "6.5.7638.2 = Exchange 2003 SP2",
		"99.1.2.3": "99.1.2.3",
		"garbage":  "garbage",
	}
	for in, want := range cases {
		if got := Describe(in); got != want {
			t.Errorf("Describe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCompare(t *testing.T) {
	a, _ := Parse("8.1.240.6")
	b, _ := Parse("8.2.176.2")
	if a.Compare(b) >= 0 || b.Compare(a) <= 0 || a.Compare(a) != 0 {
		t.Fatal("compare order wrong")
	}
}
