package regexport

import (
	"testing"

	"github.com/exlog/exlog/parse/facts"
)

// TestBuildClaims: a role key's ConfiguredVersion claims the node's build,
// UnpackedVersion is only an attempt, and the clustered mailbox server's
// key (the CMS's own version) and values outside role keys claim nothing.
func TestBuildClaims(t *testing.T) {
	const reg = "Windows Registry Editor Version 5.00\r\n\r\n" +
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Exchange\\v8.0\\MailboxRole]\r\n" +
		"\"ConfiguredVersion\"=\"8.1.0240.006\"\r\n" +
		"\"UnpackedVersion\"=\"8.1.0240.006\"\r\n\r\n" +
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Exchange\\v8.0\\ClusteredMailboxServer]\r\n" +
		"\"ConfiguredVersion\"=\"8.0.0685.024\"\r\n\r\n" +
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Exchange\\Setup]\r\n" +
		"\"ConfiguredVersion\"=\"8.0.0685.024\"\r\n"
	evs, _, err := fx.Parse(t, "N1/exchange.reg", []byte(reg), "N1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		for _, c := range facts.BuildClaimsOf(e) {
			got = append(got, c.Kind+" "+c.Build)
			if c.Evidence.Line != e.Line || c.Evidence.Text != e.Message || !c.Time.IsZero() {
				t.Errorf("claim %+v of line %d", c, e.Line)
			}
		}
	}
	if len(got) != 2 || got[0] != "registry 8.1.0240.006" || got[1] != "unpacked 8.1.0240.006" {
		t.Errorf("claims %v", got)
	}
}
