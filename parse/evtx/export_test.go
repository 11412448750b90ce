package evtx

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// exported is one record as libevtx's evtxexport prints it in XML.
type exported struct {
	RecordID   uint64
	Time       time.Time
	EventID    int
	Qualifiers string
	Provider   string
	Computer   string
	Channel    string
	Level      string
	// Data are the EventData <Data> items in order (Name empty for unnamed
	// ones); Binary the EventData <Binary> hex.
	Data   []exportedData
	Binary string
}

type exportedData struct{ Name, Value string }

// evtxexport runs `evtxexport -f xml` on path and parses its output, or
// skips the test when the tool is not installed.
func evtxexport(t testing.TB, path string) []exported {
	t.Helper()
	bin, err := exec.LookPath("evtxexport")
	if err != nil {
		t.Skip("evtxexport (Debian package libevtx-utils) is not installed; skipping the cross-check with libevtx")
	}
	out, err := exec.Command(bin, "-f", "xml", path).Output()
	if err != nil {
		t.Fatalf("evtxexport %s: %v", path, err)
	}
	recs, err := parseExport(out)
	if err != nil {
		t.Fatalf("parsing evtxexport output for %s: %v", path, err)
	}
	return recs
}

func parseExport(out []byte) ([]exported, error) {
	// The first line is the tool's banner, then one <Event> document after
	// the other.
	if i := bytes.IndexByte(out, '<'); i > 0 {
		out = out[i:]
	}
	// evtxexport writes control characters of values as they are, which
	// XML forbids; they are compared as U+FFFD (see controlsToFFFD).
	out = []byte(controlsToFFFD(string(out)))
	type data struct {
		Name  string `xml:"Name,attr"`
		Value string `xml:",chardata"`
	}
	var x struct {
		System struct {
			Provider struct {
				Name string `xml:"Name,attr"`
			}
			EventID struct {
				Qualifiers string `xml:"Qualifiers,attr"`
				Value      string `xml:",chardata"`
			}
			Level       string
			TimeCreated struct {
				SystemTime string `xml:"SystemTime,attr"`
			}
			EventRecordID uint64
			Channel       string
			Computer      string
		}
		EventData struct {
			Data   []data `xml:"Data"`
			Binary string `xml:"Binary"`
		}
	}
	dec := xml.NewDecoder(bytes.NewReader(out))
	var recs []exported
	for {
		x.EventData.Data = nil
		x.EventData.Binary = ""
		x.System.EventID.Qualifiers = ""
		err := dec.Decode(&x)
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, fmt.Errorf("record %d: %w", len(recs)+1, err)
		}
		var id int
		fmt.Sscan(x.System.EventID.Value, &id)
		tm, err := time.Parse(time.RFC3339Nano, x.System.TimeCreated.SystemTime)
		if err != nil {
			return recs, err
		}
		r := exported{
			RecordID: x.System.EventRecordID, Time: tm, EventID: id,
			Qualifiers: x.System.EventID.Qualifiers, Provider: x.System.Provider.Name,
			Computer: x.System.Computer, Channel: x.System.Channel, Level: x.System.Level,
			Binary: strings.TrimSpace(x.EventData.Binary),
		}
		for _, d := range x.EventData.Data {
			r.Data = append(r.Data, exportedData{d.Name, d.Value})
		}
		recs = append(recs, r)
	}
}

// controlsToFFFD replaces the control characters XML 1.0 cannot carry.
func controlsToFFFD(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return '\uFFFD'
		}
		return r
	}, s)
}
