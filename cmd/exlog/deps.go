package main

// Blank imports keep the design card's dependencies in go.mod while the
// packages that use them are written; removed once each has a real user.
import (
	_ "github.com/0xrawsec/golang-evtx/evtx"
	_ "github.com/blevesearch/bleve/v2"
	_ "github.com/olekukonko/tablewriter"
	_ "github.com/spf13/pflag"
)

func main() {}
