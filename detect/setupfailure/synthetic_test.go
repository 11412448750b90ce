package setupfailure

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// synthRun writes a 2013+ upgrade run around body, whose lines get
// timestamps and thread [1] unless they start with a space (continuation)
// or with "[2]" (thread 2). The header is 12 lines, so body line i is
// physical line 12+i.
func synthRun(body string) []byte {
	var b strings.Builder
	stamp := "[06/20/2024 10:15:%02d.0100] "
	n := 0
	line := func(thread, text string) {
		fmt.Fprintf(&b, stamp+"[%s] %s\n", n%60, thread, text)
		n++
	}
	line("0", "**********************************************")
	line("0", "Starting Microsoft Exchange Server 2019 Setup")
	line("0", "**********************************************")
	line("0", "Local time zone: (UTC) Coordinated Universal Time.")
	line("0", "Setup version: 15.2.1544.4.")
	line("0", `Logged on user: WINGTIP\setupadmin.`)
	line("0", "Command Line Parameter Name='mode', Value='Upgrade'.")
	line("0", "The backup copy of the previously installed version is '15.2.1258.12'.")
	line("0", "The installation mode is set to: 'BuildToBuildUpgrade'.")
	line("0", "Schema Update Required Status : 'False'.")
	line("0", "Performing Microsoft Exchange Server Prerequisite Check")
	line("1", "Processing component 'Test Component' (Doing the step under test.).")
	for _, l := range strings.Split(strings.Trim(body, "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, " "):
			b.WriteString(l + "\n")
		case strings.HasPrefix(l, "[2] "):
			line("2", l[4:])
		default:
			line("1", l)
		}
	}
	line("1", "Setup is stopping now because of one or more critical errors.")
	line("0", "The Exchange Server setup operation didn't complete.  More details can be found in ExchangeSetup.log located in the <SystemDrive>:\\ExchangeSetupLogs folder.")
	line("0", "End of Setup")
	return []byte(b.String())
}

// TestSyntheticCauses covers the causes and variants no corpus log shows,
// with short runs written for the purpose.
func TestSyntheticCauses(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		cause    string
		evidence []int
		details  map[string]string
	}{
		{name: "expired certificate", cause: "certificate-expired", evidence: []int{13, 14},
			body: `[2] Installing certificate signed by 'CN=Wingtip Issuing CA' for site 'CN=mail.wingtip.test'.  Certificate is valid from 3/1/2021 9:00:00 AM until 3/1/2023 9:00:00 AM
[2] [ERROR] The certificate is expired.`,
			details: map[string]string{"certificate": "CN=mail.wingtip.test", "valid_until": "3/1/2023 9:00:00 AM"}},
		{name: "firewall service stopped", cause: "endpoint-mapper-firewall", evidence: []int{14},
			body: `[ERROR] The following error was generated when "$error.Clear(); Add-FirewallRule" was run: "Firewall rule could not be added.
  System.Runtime.InteropServices.COMException (0x800706D9): There are no more endpoints available from the endpoint mapper. (Exception from HRESULT: 0x800706D9)".
[ERROR-REFERENCE] Id=AllRolesFirewallComponent___0a1b2c3d4e5f40718293a4b5c6d7e8f9 Component=EXCHANGE14:\Current\Release\Shared\Datacenter\Setup`},
		{name: "deleted well-known object", cause: "well-known-object-invalid", evidence: []int{13},
			body:    `[ERROR] The well-known object entry B:32:0123456789ABCDEF0123456789ABCDEF:CN=Gone Group\0ADEL:1234,CN=Deleted Objects,DC=wingtip,DC=test on the otherWellKnownObjects attribute in the container object CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=wingtip,DC=test points to an invalid DN or a deleted object. Remove the entry, and then rerun the task.`,
			details: map[string]string{"container": "CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=wingtip,DC=test"}},
		{name: "hybrid organization relationship", cause: "hybrid-org-relationship", evidence: []int{13, 14, 15},
			body: `Evaluated [Rule:DidOnPremisesSettingCreatedAnException] [HasException:False] [Value:"True"] [ParentValue:"<NULL>"] [Thread:9] [Duration:00:00:00]
Searching for urn:wingtip:hybrid as the TargetApplicationUri
Evaluated [Setting:IsHybridObjectFoundOnPremises] [HasException:True] [Value:"System.NullReferenceException: Object reference not set to an instance of an object."] [ParentValue:"<NULL>"] [Thread:9] [Duration:00:00:00]`,
			details: map[string]string{"target_application_uri": "urn:wingtip:hybrid"}},
		{name: "two ActiveSync virtual directories", cause: "multiple-eas-vdirs", evidence: []int{14, 15},
			body: `[ERROR] The following error was generated when "$error.Clear(); Set-ActiveSyncVirtualDirectory" was run: "System.Management.Automation.ParameterBindingException: Cannot process argument transformation on parameter 'Identity'.
  Cannot convert 'System.Object[]' to the type 'Microsoft.Exchange.Configuration.Tasks.VirtualDirectoryIdParameter' required by parameter 'Identity'.".
[ERROR-REFERENCE] Id=CafeComponent___e1130a139a734d90b6c5eec88868fbe9 Component=EXCHANGE14:\Current\Release\Shared\Datacenter\Setup`},
		{name: "old Search Foundation nodes", cause: "search-foundation", evidence: []int{14},
			body: `[ERROR] The following error was generated when "$error.Clear(); & InstallConfig.ps1" was run:
  " was run: "System.Exception: Failure configuring SearchFoundation through InstallConfig.ps1 - Old nodes belonging to the system 'Fsis', already exist in the data folder.".
[ERROR-REFERENCE] Id=SearchComponent___7d6c5b4a39284756a1b2c3d4e5f60718 Component=EXCHANGE14:\Current\Release\Shared\Datacenter\Setup`,
			details: map[string]string{"variant": "old-fsis-nodes"}},
		{name: "virtual directory already there", cause: "virtual-directory", evidence: []int{13},
			body: `[2] [ERROR] The virtual directory 'ecp' already exists under 'EX3.wingtip.test/Default Web Site'.
[ERROR-REFERENCE] Id=ClientAccessEcpComponent___1a2b3c4d5e6f47089a1b2c3d4e5f6071 Component=EXCHANGE14:\Current\Release\Shared\Datacenter\Setup`,
			details: map[string]string{"virtual_directory": "ecp"}},
		{name: "MSI fatal error 1603", cause: "msi-installer-cache", evidence: []int{13},
			body:    `[2] [ERROR] Installing product C:\Media\exchangeserver.msi failed. Fatal error during installation. Error code is 1603.`,
			details: map[string]string{"installer_build": "15.2.1258.12", "package": `C:\Media\exchangeserver.msi`}},
		{name: "topology service not running", cause: "shared-config-dc", evidence: []int{13, 14, 15},
			body: `[2] An error ocurred while setting shared config DC. Error: Topology Provider coundn't find the Microsoft Exchange Active Directory Topology service on end point 'TopologyClientTcpEndpoint (localhost)'.
[2] [ERROR] Unable to set shared config DC.
[ERROR-REFERENCE] Id=AllADRolesCommonServiceControl___ee47ab1c06fb47919398e2e95ed99c6c Component=EXCHANGE14:\Current\Release\Shared\Datacenter\Setup`},
		{name: "schema admin missing", cause: "schema-admin-required", evidence: []int{13, 14},
			body: `Schema Update Required Status : 'True'.
Evaluated [Setting:SchemaAdmin] [HasException:False] [Value:"False"] [ParentValue:"<NULL>"] [Thread:9] [Duration:00:00:00]
[REQUIRED] The Active Directory schema isn't up-to-date, and this user account isn't a member of the 'Schema Admins' and/or 'Enterprise Admins' groups.`},
		{name: "org admin without SID", cause: "org-management-required", evidence: []int{13},
			body: `Evaluated [Setting:ExOrgAdmin] [HasException:False] [Value:"False"] [ParentValue:"<NULL>"] [Thread:9] [Duration:00:00:00]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := findingsOf(t, parseBytes(t, "EX3/ExchangeSetup.log", synthRun(tt.body), modTime))
			if got := causesOf(fs); !slices.Equal(got, []string{tt.cause}) {
				t.Fatalf("causes = %v, want [%s]", got, tt.cause)
			}
			f := fs[0]
			lines := evidenceLines(f)
			for _, l := range tt.evidence {
				if !slices.Contains(lines, l) {
					t.Errorf("evidence lines %v lack %d", lines, l)
				}
			}
			for k, want := range tt.details {
				if got := f.Details[k]; got != want {
					t.Errorf("details[%s] = %q, want %q", k, got, want)
				}
			}
		})
	}
}
