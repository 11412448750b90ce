package termsafe

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{`EXCH1-321.zip!/C:\Logs\ExchangeSetup.log`, `EXCH1-321.zip!/C:\Logs\ExchangeSetup.log`},
		{"Zürich – 東京", "Zürich – 東京"},
		{"ok/\x1b[31mred.log", `ok/\x1b[31mred.log`},
		{"title\x1b]0;pwned\x07", `title\x1b]0;pwned\x07`},
		{"a\tb\nc\rd", `a\tb\nc\rd`},
		{"nul\x00del\x7f", `nul\x00del\x7f`},
		{"csi\u009b31m", `csi\u009b31m`},
		{"osc\u009d0;x\u009c", `osc\u009d0;x\u009c`},
		{"bad\xffutf8\xc3", `bad\xffutf8\xc3`},
		{"\u00a0nbsp stays", "\u00a0nbsp stays"},
	}
	for _, c := range cases {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
		if Safe(c.in) != (c.in == c.want) {
			t.Errorf("Safe(%q) = %v", c.in, Safe(c.in))
		}
	}
}

func TestLineKeepsTabs(t *testing.T) {
	if got, want := Line("name\x1b[2J\tstatus\x07"), "name\\x1b[2J\tstatus\\x07"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
}

// The result never holds a byte a terminal acts on, whatever the input,
// and JSON encoding of the raw text is unaffected by this package.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31mred", "\u009b", "\xff\xfe", "a\tb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		if !utf8.ValidString(e) || !Safe(e) {
			t.Fatalf("Escape(%q) = %q is not safe", s, e)
		}
		if Safe(s) && e != s {
			t.Fatalf("safe text changed: %q -> %q", s, e)
		}
		if strings.ContainsAny(Line(s), "\x1b\x07\n\r") {
			t.Fatalf("Line(%q) = %q", s, Line(s))
		}
		if _, err := json.Marshal(s); err != nil {
			t.Fatal(err)
		}
	})
}
