package bundle

import (
	"path/filepath"
	"slices"
	"testing"
)

// A bundle sent as a zip, a tar.gz or a folder names its files the same
// way, so findings and document IDs do not depend on how it was packed.
// Nested archives keep their "!/" marks.
func TestArchiveRootPathsMatchFolder(t *testing.T) {
	dir := t.TempDir()
	inner := zipBytes(t, zf{name: "EXCH1/setup.log", data: lines(3, "a")})
	folder := filepath.Join(dir, "case")
	writeFile(t, filepath.Join(folder, "NODE1", "cluster.log"), lines(2, "b"))
	writeFile(t, filepath.Join(folder, "EXCH1-321.zip"), inner)
	zipped := filepath.Join(dir, "case.zip")
	writeFile(t, zipped, zipBytes(t,
		zf{name: "NODE1/cluster.log", data: lines(2, "b")},
		zf{name: "EXCH1-321.zip", data: inner, store: true}))
	tgz := filepath.Join(dir, "case.tgz")
	writeFile(t, tgz, gzBytes(t, tarBytes(t,
		tf{name: "NODE1/cluster.log", data: lines(2, "b")},
		tf{name: "EXCH1-321.zip", data: inner})))

	paths := func(root string) []string {
		var out []string
		for _, in := range walkAll(t, root, Options{}) {
			out = append(out, in.Path+" @"+in.Node)
		}
		slices.Sort(out)
		return out
	}
	want := []string{"EXCH1-321.zip!/EXCH1/setup.log @EXCH1", "NODE1/cluster.log @NODE1"}
	for _, root := range []string{folder, zipped, tgz} {
		if got := paths(root); !slices.Equal(got, want) {
			t.Errorf("%s: paths %q, want %q", filepath.Base(root), got, want)
		}
	}
}
