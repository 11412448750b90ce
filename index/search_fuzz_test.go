package index

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzQuery feeds arbitrary query strings, event ID lists and times to
// the parts of a search that read user input. None may panic, and a
// syntax error must point inside the query.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		`node:node2 +event_id:1069`, `"could not be brought online"`, `provider:MSExchange*`,
		`message:/0x8007[0-9a-f]+/`, `event_id:>=1000`, `+time:>="2024-06-11T10:00:00Z" +time:<"2024-06-11T11:00:00Z"`,
		`node::x`, `"abc`, `+`, `-`, `a^`, `b~x`, `fields.group:evs1 -level:info`, `time:>2024-01-01`,
		`message:/[/`, `\"x y\" z\\`, `+time:<="2024-06-11" +time:>"2024-06-12"`, "n\u00f6de:\u00fcber +x",
	} {
		f.Add(s, "1069,1205-1207,>=4000", "2h")
	}
	f.Fuzz(func(t *testing.T, text, ids, when string) {
		_, err := (&Query{Text: text}).Check()
		var se *SyntaxError
		if errors.As(err, &se) {
			if se.Pos < 0 || se.Pos > len(text) {
				t.Fatalf("error position %d outside %q", se.Pos, text)
			}
			if !strings.Contains(se.Error(), "column") {
				t.Fatalf("error without a column: %v", se)
			}
		}
		if r, err := ParseEventIDs(ids); err == nil {
			for _, x := range r {
				if x.Min > x.Max || x.Min < 0 {
					t.Fatalf("%q gave range %+v", ids, x)
				}
			}
		}
		ParseTime(when, time.Date(2024, 6, 11, 0, 0, 0, 0, time.UTC), true)
	})
}
