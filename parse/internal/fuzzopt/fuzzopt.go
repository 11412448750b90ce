// Package fuzzopt tunes Go's fuzzing engine for exlog's fuzz targets.
package fuzzopt

import "flag"

// QuickMinimize bounds the engine's minimisation of each new input to 100
// runs, unless -fuzzminimizetime was given; call it before f.Fuzz.
//
// Coverage in the parsers is not fully repeatable (sync pools, time
// bounds, worker goroutines, global counters), so the engine often cannot
// reproduce an input that looked new, and it then spent its default minute
// minimising it, executing nothing new meanwhile: the EVTX target ran 33
// inputs in a 30-second run, the archive walker 16 in 10 seconds.
func QuickMinimize() {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.fuzzminimizetime" })
	if !set && flag.Lookup("test.fuzzminimizetime") != nil {
		flag.Set("test.fuzzminimizetime", "100x")
	}
}
