package bundle

import (
	"strings"
	"testing"
)

func TestFromEnv(t *testing.T) {
	env := map[string]string{
		EnvMaxEntryBytes: "16GiB",
		EnvMaxRatio:      "500",
		EnvMaxDepth:      "12",
		EnvMaxEntries:    "2k", // a count, not a size
		EnvMaxTotalBytes: "-1",
		EnvWorkers:       "",
	}
	defer func(f func(string) (string, bool)) { lookupEnv = f }(lookupEnv)
	lookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	o, errs := Options{MaxDepth: 3}.FromEnv()
	if o.MaxEntryBytes != 16<<30 || o.MaxRatio != 500 || o.MaxDepth != 3 || o.MaxEntries != 0 || o.MaxTotalBytes != 0 || o.Workers != 0 {
		t.Errorf("options %+v", o)
	}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	all := strings.Join(msgs, "\n")
	if len(errs) != 2 || !strings.Contains(all, `EXLOG_MAX_ENTRIES="2k" ignored`) || !strings.Contains(all, `EXLOG_MAX_TOTAL_BYTES="-1" ignored`) {
		t.Errorf("errors:\n%s", all)
	}
	// withDefaults takes the variables, then the defaults.
	d := Options{}.withDefaults()
	if d.MaxEntryBytes != 16<<30 || d.MaxEntries != DefaultMaxEntries || d.MaxNestedBytes != DefaultMaxNestedBytes {
		t.Errorf("defaults %+v", d)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"4096": 4096, "512MiB": 512 << 20, "4G": 4 << 30, "1.5GiB": 3 << 29, " 2 kb ": 2048, "1T": 1 << 40, "7B": 7} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "9999999999TiB", "-3G"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, no error", in, got)
		}
	}
}
