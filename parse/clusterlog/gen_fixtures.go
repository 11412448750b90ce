//go:build ignore

// gen_fixtures writes testdata/w2019-utf16.log from testdata/w2019-utf16.txt:
// the same text as UTF-16LE with a byte-order mark and CRLF line endings,
// which is how Get-ClusterLog writes its Unicode output.
//
// Run it with `go generate ./parse/clusterlog`.
package main

import (
	"log"
	"os"
	"strings"
	"unicode/utf16"
)

func main() {
	src, err := os.ReadFile("testdata/w2019-utf16.txt")
	if err != nil {
		log.Fatal(err)
	}
	text := strings.ReplaceAll(string(src), "\r\n", "\n")
	text = strings.ReplaceAll(text, "\n", "\r\n")
	out := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(text)) {
		out = append(out, byte(u), byte(u>>8))
	}
	if err := os.WriteFile("testdata/w2019-utf16.log", out, 0o644); err != nil {
		log.Fatal(err)
	}
}
