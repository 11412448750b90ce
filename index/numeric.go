package index

import (
	"context"
	"math"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/numeric"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	bindex "github.com/blevesearch/bleve_index_api"
)

// Numbers and times are indexed with fewer terms than bleve's own
// numeric fields. bleve writes a number as 16 prefix terms (one every 4
// bits), and for a time in nanoseconds about ten of them are unique to
// the event: measured on a cluster log, time and line alone were 60% of
// the indexing CPU and 45% of the index. Here a value gets its exact term
// (shift 0, which sorting and facets read from the doc values, as with
// bleve's fields) plus a few coarse ones; range queries (rangeQuery) cover
// the middle of a range with coarse terms and its two ends with the exact
// terms the index holds, found in the term dictionary. Results are the
// same as with bleve's ranges.
var (
	// timeLevels are for nanoseconds: 2^32 ns is about 4 s, then 18 min,
	// 3 days and 2 years.
	timeLevels = []uint{0, 32, 40, 48, 56}
	// numberLevels are for bleve's sortable float64 bits, where a whole
	// number below 2^20 leaves the low 32 bits zero.
	numberLevels = []uint{0, 40, 48, 56}
)

// levelsOf says how a field is indexed: nil for fields that are not
// numbers or times.
func levelsOf(field string) []uint {
	switch field {
	case "time":
		return timeLevels
	case "line", "event_id", "run":
		return numberLevels
	}
	return nil
}

// levelField is a number or time indexed at the given levels.
type levelField struct {
	name   string
	value  int64 // nanoseconds, or numeric.Float64ToInt64 of a number
	typ    byte  // 'd' date, 'n' number: how bleve decodes stored values
	opts   bindex.FieldIndexingOptions
	levels []uint
	freqs  bindex.TokenFrequencies
	length int
}

// coarseName is the field that holds the coarse terms of a number or time
// field, apart from its exact term: doc values hold every term of their
// field, and a search sorted by time reads the doc values of every match,
// so with the coarse terms beside the exact one it decoded five terms a
// document instead of one (the biggest cost of a selective search on a
// 1M-line cluster log).
func coarseName(field string) string { return field + "~c" }

// levelFields returns the exact field (with the caller's options) and
// its coarse companion (indexed only).
func levelFields(name string, value int64, typ byte, opts bindex.FieldIndexingOptions, levels []uint) [2]*levelField {
	return [2]*levelField{
		{name: name, value: value, typ: typ, opts: opts, levels: levels[:1]},
		{name: coarseName(name), value: value, typ: typ, opts: bindex.IndexField, levels: levels[1:]},
	}
}

func newNumberFields(name string, v float64, opts bindex.FieldIndexingOptions) [2]*levelField {
	return levelFields(name, numeric.Float64ToInt64(v), 'n', opts, numberLevels)
}

// newTimeFields returns nothing for a time bleve cannot hold in int64
// nanoseconds (before 1678 or after 2262): the stored copy keeps it.
func newTimeFields(t time.Time, opts bindex.FieldIndexingOptions) ([2]*levelField, bool) {
	if t.Before(minTime) || t.After(maxTime) {
		return [2]*levelField{}, false
	}
	return levelFields("time", t.UnixNano(), 'd', opts, timeLevels), true
}

var (
	minTime = time.Unix(0, math.MinInt64).Add(time.Second)
	maxTime = time.Unix(0, math.MaxInt64).Add(-time.Second)
)

func (f *levelField) Name() string                         { return f.name }
func (f *levelField) ArrayPositions() []uint64             { return nil }
func (f *levelField) Options() bindex.FieldIndexingOptions { return f.opts }
func (f *levelField) EncodedFieldType() byte               { return f.typ }
func (f *levelField) AnalyzedLength() int                  { return f.length }
func (f *levelField) NumPlainTextBytes() uint64            { return 8 }
func (f *levelField) AnalyzedTokenFrequencies() bindex.TokenFrequencies {
	return f.freqs
}

func (f *levelField) Value() []byte {
	v, _ := numeric.NewPrefixCodedInt64(f.value, 0)
	return v
}

func (f *levelField) Analyze() {
	typ := analysis.Numeric
	if f.typ == 'd' {
		typ = analysis.DateTime
	}
	tokens := make(analysis.TokenStream, 0, len(f.levels))
	for _, s := range f.levels {
		term, _ := numeric.NewPrefixCodedInt64(f.value, s)
		tokens = append(tokens, &analysis.Token{Start: 0, End: len(term), Term: term, Position: 1, Type: typ})
	}
	f.length = len(tokens)
	f.freqs = analysis.TokenFrequency(tokens, nil, f.opts)
}

// rangeQuery matches a number or time field between two values, both
// inclusive, in the field's int64 coding.
type rangeQuery struct {
	field  string
	lo, hi int64
	empty  bool
	boost  *query.Boost
}

const signBit = 1 << 63

// span is the blocks a..b (inclusive) of size 2^shift.
type span struct {
	shift uint
	a, b  uint64
}

// cover splits lo..hi (inclusive, sortable unsigned values) into spans:
// whole blocks of the coarsest level that fit, finer ones at the ends.
func cover(lo, hi uint64, levels []uint) []span {
	var out []span
	for i, s := range levels {
		if i == len(levels)-1 {
			return append(out, span{s, lo >> s, hi >> s})
		}
		mask := uint64(1)<<levels[i+1] - 1
		up, down := lo, hi
		full := true
		if lo&mask != 0 {
			if lo|mask == math.MaxUint64 {
				full = false
			} else {
				up = lo | mask + 1
			}
		}
		if hi&mask != mask {
			if hi&^mask == 0 {
				full = false
			} else {
				down = hi&^mask - 1
			}
		}
		if !full || up > down {
			return append(out, span{s, lo >> s, hi >> s})
		}
		if lo < up {
			out = append(out, span{s, lo >> s, (up - 1) >> s})
		}
		if down < hi {
			out = append(out, span{s, (down + 1) >> s, hi >> s})
		}
		lo, hi = up, down
	}
	return out
}

func blockTerm(block uint64, shift uint) []byte {
	t, _ := numeric.NewPrefixCodedInt64(int64(block<<shift^signBit), shift)
	return t
}

// Searcher finds the terms the index holds in every span and matches any:
// exact terms in the field, coarse ones in its companion.
func (q *rangeQuery) Searcher(ctx context.Context, i bindex.IndexReader, m mapping.IndexMapping, options search.SearcherOptions) (search.Searcher, error) {
	var exact, coarse [][]byte
	if !q.empty && q.lo <= q.hi {
		for _, sp := range cover(uint64(q.lo)^signBit, uint64(q.hi)^signBit, levelsOf(q.field)) {
			field, terms := q.field, &exact
			if sp.shift > 0 {
				field, terms = coarseName(q.field), &coarse
			}
			dict, err := i.FieldDictRange(field, blockTerm(sp.a, sp.shift), blockTerm(sp.b, sp.shift))
			if err != nil {
				return nil, err
			}
			for {
				e, err := dict.Next()
				if err != nil {
					dict.Close()
					return nil, err
				}
				if e == nil {
					break
				}
				*terms = append(*terms, []byte(e.Term))
			}
			if err := dict.Close(); err != nil {
				return nil, err
			}
		}
	}
	if len(coarse) == 0 {
		return searcher.NewMultiTermSearcherBytes(ctx, i, exact, q.field, q.boost.Value(), options, false)
	}
	if len(exact) == 0 {
		return searcher.NewMultiTermSearcherBytes(ctx, i, coarse, coarseName(q.field), q.boost.Value(), options, false)
	}
	// A document holds one value, so it matches in one of the two.
	es, err := searcher.NewMultiTermSearcherBytes(ctx, i, exact, q.field, q.boost.Value(), options, false)
	if err != nil {
		return nil, err
	}
	cs, err := searcher.NewMultiTermSearcherBytes(ctx, i, coarse, coarseName(q.field), q.boost.Value(), options, false)
	if err != nil {
		es.Close()
		return nil, err
	}
	return searcher.NewDisjunctionSearcher(ctx, i, []search.Searcher{es, cs}, 0, options)
}

func (q *rangeQuery) Field() string      { return q.field }
func (q *rangeQuery) SetField(f string)  { q.field = f }
func (q *rangeQuery) SetBoost(b float64) { bb := query.Boost(b); q.boost = &bb }
func (q *rangeQuery) Boost() float64     { return q.boost.Value() }

// bounds turns bleve's float bounds (nil = open, inclusive flags nil =
// start inclusive, end exclusive) into inclusive int64 ones, as bleve's
// own range searcher does.
func bounds(min, max *float64, inclMin, inclMax *bool) (lo, hi int64, empty bool) {
	fmin, fmax := math.Inf(-1), math.Inf(1)
	if min != nil {
		fmin = *min
	}
	if max != nil {
		fmax = *max
	}
	lo, hi = numeric.Float64ToInt64(fmin), numeric.Float64ToInt64(fmax)
	if inclMin != nil && !*inclMin {
		if lo == math.MaxInt64 {
			return 0, 0, true
		}
		lo++
	}
	if inclMax == nil || !*inclMax {
		if hi == math.MinInt64 {
			return 0, 0, true
		}
		hi--
	}
	return lo, hi, lo > hi
}

// slimRanges returns q with bleve's range queries on number and time
// fields, anywhere in it, replaced by rangeQuery, which knows how those
// fields are indexed. q itself is left as it was: containers on the way
// to a replaced range are copied.
func slimRanges(q query.Query) query.Query {
	switch x := q.(type) {
	case *query.BooleanQuery:
		c := *x
		if x.Must != nil {
			c.Must = slimRanges(x.Must)
		}
		if x.Should != nil {
			c.Should = slimRanges(x.Should)
		}
		if x.MustNot != nil {
			c.MustNot = slimRanges(x.MustNot)
		}
		if x.Filter != nil {
			c.Filter = slimRanges(x.Filter)
		}
		return &c
	case *query.ConjunctionQuery:
		c := *x
		c.Conjuncts = make([]query.Query, len(x.Conjuncts))
		for i, q := range x.Conjuncts {
			c.Conjuncts[i] = slimRanges(q)
		}
		return &c
	case *query.DisjunctionQuery:
		c := *x
		c.Disjuncts = make([]query.Query, len(x.Disjuncts))
		for i, q := range x.Disjuncts {
			c.Disjuncts[i] = slimRanges(q)
		}
		return &c
	case *query.NumericRangeQuery:
		if levelsOf(x.FieldVal) == nil {
			return q
		}
		lo, hi, empty := bounds(x.Min, x.Max, x.InclusiveMin, x.InclusiveMax)
		return &rangeQuery{field: x.FieldVal, lo: lo, hi: hi, empty: empty, boost: x.BoostVal}
	case *query.DateRangeQuery:
		if x.FieldVal != "time" || outside(x.Start.Time) || outside(x.End.Time) {
			return q // bleve explains what is wrong with the bounds
		}
		var min, max *float64
		if !x.Start.IsZero() {
			v := numeric.Int64ToFloat64(x.Start.UnixNano())
			min = &v
		}
		if !x.End.IsZero() {
			v := numeric.Int64ToFloat64(x.End.UnixNano())
			max = &v
		}
		lo, hi, empty := bounds(min, max, x.InclusiveStart, x.InclusiveEnd)
		return &rangeQuery{field: x.FieldVal, lo: lo, hi: hi, empty: empty, boost: x.BoostVal}
	}
	return q
}

func outside(t time.Time) bool {
	return !t.IsZero() && (t.Before(minTime) || t.After(maxTime))
}

// Size is the memory the field holds, for bleve's accounting.
func (f *levelField) Size() int {
	n := 64 + len(f.name)
	for _, tf := range f.freqs {
		n += tf.Size()
	}
	return n
}
