package parse

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf16"
)

func utf16le(s string, bom bool) []byte {
	var b []byte
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func readAll(t *testing.T, data []byte) []string {
	t.Helper()
	l := NewLines(strings.NewReader(string(data)))
	var out []string
	for l.Next() {
		out = append(out, l.Text())
		if l.Number() != len(out) {
			t.Fatalf("line number %d after %d lines", l.Number(), len(out))
		}
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLinesEncodings(t *testing.T) {
	want := []string{"[12:00:01] Entering Setup", "Größe é", "", "last"}
	text := strings.Join(want, "\r\n")
	cases := map[string][]byte{
		"utf8 crlf":             []byte(text),
		"utf8 lf bom":           append([]byte{0xEF, 0xBB, 0xBF}, strings.ReplaceAll(text, "\r\n", "\n")...),
		"utf16le bom":           utf16le(text, true),
		"utf16le bare":          utf16le(text, false),
		"utf8 trailing newline": []byte(text + "\n"),
		"utf8 cr cr lf":         []byte(strings.ReplaceAll(text, "\r\n", "\r\r\n")),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			got := readAll(t, data)
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
}

func TestLinesWindows1252(t *testing.T) {
	// 0xE9 is é in Windows-1252 and invalid on its own in UTF-8.
	got := readAll(t, []byte("caf\xe9\nok"))
	if got[0] != "café" || got[1] != "ok" {
		t.Fatalf("got %q", got)
	}
}

func TestLinesLongLine(t *testing.T) {
	long := strings.Repeat("x", MaxLineBytes+100)
	l := NewLines(strings.NewReader("a\n" + long + "\nb\n"))
	var got []int
	for l.Next() {
		got = append(got, len(l.Text()))
	}
	if len(got) != 3 || got[0] != 1 || got[1] > MaxLineBytes || got[2] != 1 || l.Truncated() != 1 {
		t.Fatalf("got lengths %v, truncated %d", got, l.Truncated())
	}
}

func TestDecodeHead(t *testing.T) {
	if got := DecodeHead(utf16le("Windows Registry Editor Version 5.00\r\n", true)); !strings.HasPrefix(got, "Windows Registry Editor") {
		t.Fatalf("got %q", got)
	}
	// A UTF-8 character cut in half at the end of the head.
	if got := DecodeHead([]byte("abc\xc3")); got != "abc" {
		t.Fatalf("got %q", got)
	}
}

func TestShortNode(t *testing.T) {
	for in, want := range map[string]string{
		"node1.contoso.com": "NODE1", "Node2": "NODE2", `\\EXCH01`: "EXCH01", "10.0.0.5": "10.0.0.5", " ex1 ": "EX1",
	} {
		if got := ShortNode(in); got != want {
			t.Errorf("ShortNode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEventIDDeterministic(t *testing.T) {
	a := Event{File: "S1/ExchangeSetup.log", Line: 12}
	b := Event{File: "S1/ExchangeSetup.log", Line: 12, Message: "other"}
	c := Event{File: "S1/ExchangeSetup.log", Line: 13}
	d := Event{File: "S1/System.evtx", Record: 7, Offset: 4096}
	if a.ID() != b.ID() || a.ID() == c.ID() || d.ID() == a.ID() {
		t.Fatalf("ids: %s %s %s %s", a.ID(), b.ID(), c.ID(), d.ID())
	}
}

// A read error hands back the text read before it as a last line, then
// Err reports the error: a damaged archive entry loses nothing it gave.
func TestLinesKeepTextBeforeError(t *testing.T) {
	boom := errors.New("CRC-32 mismatch")
	r := io.MultiReader(strings.NewReader("first\r\nsecond, cut"), iotest.ErrReader(boom))
	l := NewLines(r)
	var got []string
	for l.Next() {
		got = append(got, l.Text())
	}
	if len(got) != 2 || got[0] != "first" || got[1] != "second, cut" || !errors.Is(l.Err(), boom) {
		t.Errorf("lines %q, err %v", got, l.Err())
	}
	// An error before any byte gives no line.
	l = NewLines(iotest.ErrReader(boom))
	if l.Next() || !errors.Is(l.Err(), boom) {
		t.Errorf("empty stream: %v", l.Err())
	}
}
