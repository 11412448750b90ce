package setuplog

import "testing"

func TestLauncherOf(t *testing.T) {
	for msg, want := range map[string]string{
		"ExSetupUI was started with the following command: '/FromSetup'.":             "setup.exe",
		"ExSetup was started with the following command: '/mode:upgrade /FromSetup'.": "setup.com",
		"[0] ExSetupUI was started with the following command: ''.":                   "setup.exe",
		"RuntimeAssembly was started with the following command: '/mode:Upgrade'.":    "",
		"Setup was started": "",
	} {
		if got := launcherOf(msg); got != want {
			t.Errorf("launcherOf(%q) = %q, want %q", msg, got, want)
		}
	}
}
