// Command genhostile writes the hostile bundles of package hostile into a
// directory, for measuring exlog on them with /usr/bin/time -v:
//
//	go run ./parse/bundle/hostile/genhostile DIR
//	/usr/bin/time -v exlog parse --format ndjson DIR/nest42.zip > /dev/null
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/exlog/exlog/parse/bundle/hostile"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genhostile DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	log := hostile.SetupLog(2000)
	cutZip, cutTgz := hostile.Cut(log, 0.6)
	linkZip, linkTar := hostile.Links(log)
	timeZip, timeTgz := hostile.TimeBomb(log)
	files := map[string][]byte{
		"declared-11g.zip":   hostile.DeclaredSize(11<<30, 2000),
		"declared-small.zip": hostile.DeclaredSize(900<<20, 2000),
		"nest42.zip":         hostile.Nest42(4, 16, 4<<30),
		"overlap.zip":        hostile.Overlap(1000, 1<<30),
		"overlap-512m.zip":   hostile.Overlap(1000, 512<<20),
		"biglog-10g.zip":     hostile.BigLog(10 << 30),
		"slip.zip":           hostile.Slip(log),
		"links.zip":          linkZip,
		"links.tar":          linkTar,
		"deep.zip":           hostile.Deep(40, log),
		"timebomb.zip":       timeZip,
		"timebomb.tgz":       timeTgz,
		"many.zip":           hostile.Many(200000),
		"badcrc.zip":         hostile.BadCRC(log),
		"cut.zip":            cutZip,
		"cut.tgz":            cutTgz,
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%-20s %10d bytes\n", name, len(b))
	}
}
