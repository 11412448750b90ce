package index

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/numeric"
	"github.com/blevesearch/bleve/v2/search"
)

// Histogram counts matches per time bucket.
type Histogram struct {
	Step time.Duration
	// Buckets are the steps that have matches, in time order. Steps
	// without any are left out: a bundle can span years with events on a
	// few days of them.
	Buckets []Bucket
	// NoTime counts matches without a time (registry values, inventories).
	NoTime uint64
	Total  uint64
}

// Bucket is one step of a histogram; Start is in UTC.
type Bucket struct {
	Start time.Time `json:"start"`
	Count uint64    `json:"count"`
}

// Histogram counts the matches of q per step (an hour or a day) of UTC
// time.
//
// bleve has no date histogram; its date-range facet compares each match
// with every range, which for a month of hours is 720 comparisons per
// event. Here every match passes once through a handler that reads the
// time the collector already loaded for sorting and buckets it by
// division, so the cost is that of a sort-free scan of the matches.
func (s *Set) Histogram(ctx context.Context, q *Query, step time.Duration) (*Histogram, error) {
	if step <= 0 {
		return nil, fmt.Errorf("the histogram step must be positive")
	}
	c, err := q.compile()
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	counts := map[int64]uint64{}
	h := &Histogram{Step: step}
	stepNs := step.Nanoseconds()
	maker := func(sctx *search.SearchContext) (search.DocumentMatchHandler, bool, error) {
		local := map[int64]uint64{}
		var none, total uint64
		return func(d *search.DocumentMatch) error {
			if d == nil { // the collector is done with this index
				mu.Lock()
				for k, v := range local {
					counts[k] += v
				}
				h.NoTime += none
				h.Total += total
				mu.Unlock()
				return nil
			}
			total++
			ns, err := numeric.PrefixCoded(d.Sort[0]).Int64()
			if err != nil || len(d.Sort[0]) == 0 {
				none++ // bleve's marker for a missing value is not a number
			} else {
				b := ns / stepNs
				if ns%stepNs < 0 {
					b-- // floor, for times before 1970
				}
				local[b]++
			}
			sctx.DocumentMatchPool.Put(d)
			return nil
		}, false, nil
	}
	ctx = context.WithValue(ctx, search.MakeDocumentMatchHandlerKey, search.MakeDocumentMatchHandler(maker))
	req := bleve.NewSearchRequestOptions(c.run, 0, 0, false)
	req.SortByCustom(search.SortOrder{&search.SortField{Field: "time"}})
	req.Score = "none"
	if _, err := s.search(ctx, req); err != nil {
		return nil, err
	}
	keys := make([]int64, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		h.Buckets = append(h.Buckets, Bucket{Start: time.Unix(0, k*stepNs).UTC(), Count: counts[k]})
	}
	return h, nil
}
