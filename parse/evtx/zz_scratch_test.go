package evtx

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/exlog/exlog/parse"
)

func openFile(path string) *parse.Input {
	st, _ := os.Stat(path)
	return &parse.Input{Path: filepath.Base(path), Size: st.Size(), Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

func TestScratch(t *testing.T) {
	files, _ := filepath.Glob("/work/shared/corpus/evtx/*.evtx")
	if f := os.Getenv("ONE"); f != "" {
		files = []string{f}
	}
	for _, f := range files {
		in := openFile(f)
		rep := &parse.Report{Path: in.Path}
		var evs []*parse.Event
		start := time.Now()
		err := (&Parser{}).Parse(context.Background(), in, rep, func(e *parse.Event) error { evs = append(evs, e); return nil })
		rep.Finish(err)
		fmt.Printf("%-50s events=%d recovered=%d skipped=%d status=%s err=%v %v\n", in.Path, rep.Events, rep.Recovered, rep.Skipped, rep.Status, err, time.Since(start))
		for _, p := range rep.Problems {
			fmt.Printf("    %s: %s\n", p.Where, p.Reason)
		}
		if os.Getenv("DUMP") != "" {
			for _, e := range evs {
				b, _ := json.Marshal(e)
				fmt.Println(string(b))
			}
		}
	}
}
