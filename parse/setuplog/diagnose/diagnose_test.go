package diagnose

import (
	"testing"

	"github.com/exlog/exlog/parse/setuplog"
)

func TestFailedRuleLine(t *testing.T) {
	for _, tt := range []struct{ line, rule, msg string }{
		{"Failed [Rule:MSDTCStopped] [Message:The service is stopped.]", "MSDTCStopped", "The service is stopped."},
		{"Failed [Rule:RebootPending] [Message:A reboot is pending", "RebootPending", "A reboot is pending"}, // continued on the next line
		{"Failed [Rule:IisUrlRewriteNotInstalled]", "IisUrlRewriteNotInstalled", ""},
		{"Failed [Setting:SiteName] [Message:x]", "", ""},
	} {
		rule, msg, _ := setuplog.FailedRule(tt.line)
		if rule != tt.rule || msg != tt.msg {
			t.Errorf("%q: rule %q message %q, want %q %q", tt.line, rule, msg, tt.rule, tt.msg)
		}
	}
}
