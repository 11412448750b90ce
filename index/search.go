package index

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/parse"
)

// ErrNoIndex is returned by OpenSet for a path where no index exists.
var ErrNoIndex = errors.New("no index")

// ErrBadToken is returned for an --after token that is damaged or that
// belongs to a different search.
var ErrBadToken = errors.New("bad page token")

// Set is one or more indexes searched as one, through a bleve IndexAlias:
// one index per bundle, any number of bundles.
type Set struct {
	readers []*Reader
	byName  map[string]*Reader // bleve's index name (the path opened) -> reader
	bundles map[string]string  // bleve's index name -> bundle name
	alias   bleve.IndexAlias
}

// rebuildWait bounds how long OpenSet waits for an index that exlog
// triage is replacing: the old index is renamed aside and the new one
// renamed into place, and a search must not fail in between.
const rebuildWait = 3 * time.Second

// OpenSet opens the indexes read-only. Any number of processes may search
// the same indexes at once, also while exlog triage rebuilds one of them.
func OpenSet(paths ...string) (*Set, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("%w: no index given", ErrNoIndex)
	}
	s := &Set{byName: map[string]*Reader{}, bundles: map[string]string{}}
	seen := map[string]bool{}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			abs = filepath.Clean(p)
		}
		if seen[abs] {
			continue
		}
		seen[abs] = true
		r, err := openSettled(abs, p)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.readers = append(s.readers, r)
		s.byName[abs] = r
		s.bundles[abs] = r.bundleName()
	}
	// Two indexes of bundles with the same name are told apart by path.
	count := map[string]int{}
	for _, b := range s.bundles {
		count[b]++
	}
	for name, b := range s.bundles {
		if count[b] > 1 {
			s.bundles[name] = b + " (" + name + ")"
		}
	}
	idx := make([]bleve.Index, len(s.readers))
	for i, r := range s.readers {
		idx[i] = r.Index
	}
	s.alias = bleve.NewIndexAlias(idx...)
	return s, nil
}

// openSettled opens one index, waiting briefly while a rebuild swaps it.
// bleve opens an index's files one by one by path, so an open that spans
// the swap reads the old directory's list of segments and then segment
// files of the new one: it can fail, or worse succeed with a mix of both.
// An open is kept only if the directory is the same one before and after.
func openSettled(abs, shown string) (*Reader, error) {
	deadline := time.Now().Add(rebuildWait)
	for {
		before, _ := os.Stat(abs)
		r, err := Open(abs)
		after, _ := os.Stat(abs)
		changed := (before == nil) != (after == nil) || (before != nil && after != nil && !os.SameFile(before, after))
		if err == nil && !changed {
			return r, nil
		}
		if err == nil {
			r.Close()
			err = fmt.Errorf("%s was replaced while it was being opened", shown)
		}
		// A swap that finished after the second look but before this one
		// left no .old- folder behind: look at the path once more.
		now, _ := os.Stat(abs)
		changed = changed || (now == nil) != (after == nil)
		if !(changed || beingReplaced(abs)) || time.Now().After(deadline) {
			if _, serr := os.Stat(abs); errors.Is(serr, fs.ErrNotExist) {
				return nil, fmt.Errorf("%w at %s (exlog triage BUNDLE writes <bundle>%s)", ErrNoIndex, shown, Suffix)
			}
			if errors.Is(err, ErrNotIndex) {
				return nil, fmt.Errorf("%s: %w (exlog triage writes <bundle>%s directories)", shown, ErrNotIndex, Suffix)
			}
			return nil, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// beingReplaced reports whether Writer.Close is swapping the index at path
// right now (it renames the old one to path.old-PID first).
func beingReplaced(path string) bool {
	dir, base := filepath.Split(path)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), base+".old-") {
			return true
		}
	}
	return false
}

// Close closes every index of the set.
func (s *Set) Close() error {
	var errs []error
	for _, r := range s.readers {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}

// IndexInfo names one index of a set.
type IndexInfo struct {
	Path   string `json:"path"`
	Bundle string `json:"bundle"`
}

// Indexes lists the indexes of the set in the order they were given.
func (s *Set) Indexes() []IndexInfo {
	out := make([]IndexInfo, len(s.readers))
	for i, r := range s.readers {
		out[i] = IndexInfo{Path: r.Path, Bundle: s.bundles[r.Path]}
	}
	return out
}

// Sort orders accepted by Request.Sort.
const (
	SortTime     = "time"
	SortTimeDesc = "-time"
	SortScore    = "score"
)

// Request is a search for one page of hits and, optionally, facets.
type Request struct {
	Query Query
	// Sort is SortTime (the default), SortTimeDesc or SortScore.
	Sort string
	// Limit is the page size; 0 asks for the total and facets only.
	Limit int
	// After is the Next token of the previous page.
	After string
	// Facets are fields to count the top values of over all matches:
	// node, source, provider, level, event_id, file, and for findings
	// detector, severity and cause.
	Facets []string
	// FacetSize is how many values each facet keeps (default 10).
	FacetSize int
	// Highlight asks for the positions of the matched words in messages.
	Highlight bool
}

// Result is one page of a search.
type Result struct {
	Total uint64
	Hits  []*Hit
	// Next is the token for the page after this one; "" on the last page.
	Next     string
	Facets   []*Facet
	Warnings []string
}

// Hit is one matching event or finding.
type Hit struct {
	ID     string
	Index  string // path of the index it came from
	Bundle string // bundle name stored in that index
	// Exactly one of Event and Finding is set.
	Event   *parse.Event
	Finding *detect.Finding
	// Spans are the byte ranges of matched words in the message (event)
	// or the summary (finding), sorted, when Request.Highlight is set.
	Spans [][2]int
}

// Facet is the top values of one field over the matches.
type Facet struct {
	Name   string // as asked, e.g. "event_id"
	Field  string // the index field counted, e.g. "eid"
	Values []FacetValue
	// Total counts values seen, Missing matches without the field and
	// Other values beyond those listed.
	Total, Missing, Other int
}

// FacetValue is one value of a facet and how many matches have it.
type FacetValue struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

func sortOrder(name string) (search.SortOrder, error) {
	switch name {
	case "", SortTime:
		return search.SortOrder{&search.SortField{Field: "time"}, &search.SortDocID{}}, nil
	case SortTimeDesc:
		return search.SortOrder{&search.SortField{Field: "time", Desc: true}, &search.SortDocID{}}, nil
	case SortScore:
		return search.SortOrder{&search.SortScore{Desc: true}, &search.SortDocID{}}, nil
	}
	return nil, fmt.Errorf("sort must be %s, %s or %s, not %q", SortTime, SortTimeDesc, SortScore, name)
}

// pageToken is where a page ended: the sort keys of its last hit, plus the
// indexes that already gave a hit with exactly those keys. Keys are unique
// within one index (the document ID breaks ties) but two bundles can hold
// the same event (one log collected twice), and search-after alone would
// then skip the copy in the other bundle.
type pageToken struct {
	Sort string   `json:"s"`
	FP   string   `json:"f"`
	Keys [][]byte `json:"k"`
	Seen []string `json:"x,omitempty"`
}

func (t *pageToken) encode() string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string) (*pageToken, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: it is damaged (copy it whole from the previous page)", ErrBadToken)
	}
	var t pageToken
	if err := json.Unmarshal(b, &t); err != nil || len(t.Keys) != 2 {
		return nil, fmt.Errorf("%w: it is damaged (copy it whole from the previous page)", ErrBadToken)
	}
	return &t, nil
}

// sortKeys are the values a hit sorts by, in the form search-after takes.
func sortKeys(sortName string, h *search.DocumentMatch) [][]byte {
	if sortName == SortScore {
		return [][]byte{[]byte(strconv.FormatFloat(h.Score, 'g', -1, 64)), []byte(h.ID)}
	}
	if len(h.Sort) < 2 {
		return [][]byte{nil, []byte(h.ID)}
	}
	return [][]byte{[]byte(h.Sort[0]), []byte(h.Sort[1])}
}

func sameKeys(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, func(x, y []byte) bool { return string(x) == string(y) })
}

// Check validates a request without searching: the query (a
// *SyntaxError says where it is wrong), the sort, the facets and the page
// token. Search does the same checks; Check lets a caller tell a mistake
// in the request from a failure of the search.
func (r *Request) Check() (warnings []string, err error) {
	c, _, _, err := r.prepare()
	if err != nil {
		return nil, err
	}
	return c.warnings, nil
}

func (r *Request) prepare() (*compiled, search.SortOrder, *pageToken, error) {
	c, err := r.Query.compile()
	if err != nil {
		return nil, nil, nil, err
	}
	if r.Sort == "" {
		r.Sort = SortTime
	}
	so, err := sortOrder(r.Sort)
	if err != nil {
		return nil, nil, nil, err
	}
	if r.Limit < 0 {
		return nil, nil, nil, fmt.Errorf("the page size must not be negative")
	}
	for _, name := range r.Facets {
		if _, err := facetField(name, r.Query.Findings); err != nil {
			return nil, nil, nil, err
		}
	}
	var tok *pageToken
	if r.After != "" {
		if tok, err = decodeToken(r.After); err != nil {
			return nil, nil, nil, err
		}
		if tok.Sort != r.Sort || tok.FP != c.fingerprint {
			return nil, nil, nil, fmt.Errorf("%w: it belongs to another search (the query, a filter or --sort changed)", ErrBadToken)
		}
	}
	return c, so, tok, nil
}

// Search runs one page of a search over every index of the set.
func (s *Set) Search(ctx context.Context, r *Request) (*Result, error) {
	c, so, tok, err := r.prepare()
	if err != nil {
		return nil, err
	}
	res := &Result{Warnings: c.warnings}

	var ties []*search.DocumentMatch
	if tok != nil {
		if r.Limit > 0 {
			if ties, err = s.ties(ctx, c, so, r.Sort, tok); err != nil {
				return nil, err
			}
			if len(ties) > r.Limit {
				ties = ties[:r.Limit]
			}
		}
	}

	req := bleve.NewSearchRequestOptions(c.run, r.Limit-len(ties), 0, false)
	req.SortByCustom(so)
	if r.Sort != SortScore && !r.Highlight {
		req.Score = "none" // scores are not shown and cost time
	}
	if r.Limit == 0 {
		// A count or facets only: sorting would read every match's time
		// for nothing.
		req.SortBy([]string{"-_score"})
		req.Score = "none"
	}
	if r.Limit > 0 {
		req.Fields = []string{"*"}
	}
	req.IncludeLocations = r.Highlight
	if tok != nil {
		req.SetSearchAfter([]string{string(tok.Keys[0]), string(tok.Keys[1])})
	}
	facetSize := r.FacetSize
	if facetSize <= 0 {
		facetSize = 10
	}
	for _, name := range r.Facets {
		field, _ := facetField(name, r.Query.Findings)
		// Ask for every value, not the top N: through an alias each index
		// sends only its own top N, which would undercount the merged
		// totals. Counting costs the same; only the reply is longer.
		req.AddFacet(field, facetRequest(field))
	}
	sr, err := s.search(ctx, req)
	if err != nil {
		return nil, err
	}
	res.Total = sr.Total

	all := append(ties, sr.Hits...)
	for _, dm := range all {
		h, warn := s.hit(dm, r.Query.Findings)
		if warn != "" {
			res.Warnings = append(res.Warnings, warn)
		}
		res.Hits = append(res.Hits, h)
	}
	if r.Limit > 0 && len(all) == r.Limit {
		last := sortKeys(r.Sort, all[len(all)-1])
		next := &pageToken{Sort: r.Sort, FP: c.fingerprint, Keys: last}
		if tok != nil && sameKeys(tok.Keys, last) {
			next.Seen = append(next.Seen, tok.Seen...)
		}
		for _, dm := range all {
			if sameKeys(sortKeys(r.Sort, dm), last) && !slices.Contains(next.Seen, dm.Index) {
				next.Seen = append(next.Seen, dm.Index)
			}
		}
		sort.Strings(next.Seen)
		res.Next = next.encode()
	}

	for _, name := range r.Facets {
		field, _ := facetField(name, r.Query.Findings)
		fr := sr.Facets[field]
		f := &Facet{Name: name, Field: field}
		if fr != nil {
			f.Total, f.Missing = fr.Total, fr.Missing
			terms := fr.Terms.Terms()
			if extra, ok := extraName(field); ok {
				// The shared field holds every name's values: count
				// only this name's, each matching event has at most one.
				prefix := extra + extraSep
				f.Total = 0
				for i := range terms {
					terms[i].Term = strings.TrimPrefix(terms[i].Term, prefix)
					f.Total += terms[i].Count
				}
				f.Missing = int(sr.Total) - f.Total
			}
			shown := 0
			for _, t := range terms {
				if len(f.Values) == facetSize {
					break
				}
				f.Values = append(f.Values, FacetValue{Value: s.displayValue(ctx, field, t.Term), Count: t.Count})
				shown += t.Count
			}
			f.Other = f.Total - shown
		}
		res.Facets = append(res.Facets, f)
	}
	return res, nil
}

// ties finds the hits that sort exactly at the token's keys in indexes
// that have not given theirs yet. At most one per index can exist, since
// the document ID is part of the keys.
func (s *Set) ties(ctx context.Context, c *compiled, so search.SortOrder, sortName string, tok *pageToken) ([]*search.DocumentMatch, error) {
	if len(s.readers) < 2 || len(tok.Seen) >= len(s.readers) {
		return nil, nil
	}
	id := query.NewDocIDQuery([]string{string(tok.Keys[1])})
	var q query.Query
	if sortName == SortScore {
		// A filter leaves the score as the search computed it.
		b := query.NewBooleanQuery(nil, nil, nil)
		b.Must = query.NewConjunctionQuery([]query.Query{c.run})
		b.AddFilter(id)
		q = b
	} else {
		q = query.NewConjunctionQuery([]query.Query{c.run, id})
	}
	req := bleve.NewSearchRequestOptions(q, len(s.readers), 0, false)
	req.SortByCustom(so)
	req.Fields = []string{"*"}
	if sortName != SortScore {
		req.Score = "none"
	}
	sr, err := s.search(ctx, req)
	if err != nil {
		return nil, err
	}
	var out []*search.DocumentMatch
	for _, dm := range sr.Hits {
		if sameKeys(sortKeys(sortName, dm), tok.Keys) && !slices.Contains(tok.Seen, dm.Index) {
			out = append(out, dm)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out, nil
}

// search runs req over every index of the set; a failure of any one
// index fails it (statusError).
func (s *Set) search(ctx context.Context, req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	sr, err := s.alias.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := statusError(sr); err != nil {
		return nil, err
	}
	return sr, nil
}

// statusError turns the per-index failures an alias reports in its
// result (not as an error) into an error: a partial answer must not pass
// for a whole one.
func statusError(sr *bleve.SearchResult) error {
	if sr.Status == nil || len(sr.Status.Errors) == 0 {
		return nil
	}
	var parts []string
	for name, err := range sr.Status.Errors {
		parts = append(parts, name+": "+err.Error())
	}
	sort.Strings(parts)
	return fmt.Errorf("searching %d of the indexes failed: %s", len(parts), strings.Join(parts, "; "))
}

func (s *Set) hit(dm *search.DocumentMatch, findings bool) (*Hit, string) {
	h := &Hit{ID: dm.ID, Index: dm.Index, Bundle: s.bundles[dm.Index]}
	var warn string
	if findings {
		f, err := FindingFromHit(dm)
		if err != nil {
			// Show what the index still has rather than drop the finding.
			f = detect.Finding{Detector: str(dm.Fields["detector"]), Cause: str(dm.Fields["cause"]), Summary: str(dm.Fields["message"])}
			warn = fmt.Sprintf("finding %s in %s: its stored details are damaged (%v); only the summary is shown", dm.ID, h.Bundle, err)
		}
		h.Finding = &f
	} else {
		h.Event = s.byName[dm.Index].EventOf(dm)
	}
	limit := -1
	if h.Finding != nil {
		limit = len(h.Finding.Summary)
	}
	for _, locs := range dm.Locations["message"] {
		for _, l := range locs {
			if limit >= 0 && int(l.End) > limit {
				continue
			}
			h.Spans = append(h.Spans, [2]int{int(l.Start), int(l.End)})
		}
	}
	sort.Slice(h.Spans, func(i, j int) bool { return h.Spans[i][0] < h.Spans[j][0] })
	return h, warn
}

// facetField maps a facet name to the index field to count. Event IDs are
// counted through their keyword twin: a terms facet over a number field
// returns bleve's encoded terms, not IDs.
func facetField(name string, findings bool) (string, error) {
	switch name {
	case "event_id", "eid", "id":
		if !findings {
			return "eid", nil
		}
	case "node", "level":
		if findings {
			return map[string]string{"node": "nodes", "level": "severity"}[name], nil
		}
		return name, nil
	case "source", "provider", "file", "kind":
		if !findings {
			return name, nil
		}
	case "detector", "severity", "cause", "nodes", "groups":
		if findings {
			return name, nil
		}
	default:
		if n, ok := strings.CutPrefix(name, "fields."); ok && n != "" && !findings {
			return name, nil
		}
	}
	if findings {
		return "", fmt.Errorf("cannot facet findings by %q; use node, level, detector, severity, cause or groups", name)
	}
	return "", fmt.Errorf("cannot facet by %q; use node, source, provider, level, event_id, file, kind or fields.<name>", name)
}

// Context returns up to n events before and after an event hit from the
// same file, like grep -C: by line for text logs, by time for binary
// event logs. Derived events (a setup run's summary) are left out: they
// repeat a record's position.
func (s *Set) Context(ctx context.Context, h *Hit, n int) (before, after []*Hit, err error) {
	if h.Event == nil || n <= 0 || h.Event.File == "" {
		return nil, nil, nil
	}
	r := s.byName[h.Index]
	if r == nil {
		return nil, nil, fmt.Errorf("hit %s is from an index outside this set", h.ID)
	}
	file := query.NewTermQuery(h.Event.File)
	file.SetField("file")
	derived := query.NewWildcardQuery("*")
	derived.SetField("kind")
	q := query.NewBooleanQuery([]query.Query{file}, nil, []query.Query{derived})

	var so search.SortOrder
	var key []string
	switch {
	case h.Event.Line > 0:
		so = search.SortOrder{&search.SortField{Field: "line", Type: search.SortFieldAsNumber}, &search.SortDocID{}}
		key = []string{strconv.Itoa(h.Event.Line), h.ID}
	case !h.Event.Time.IsZero():
		so = search.SortOrder{&search.SortField{Field: "time", Type: search.SortFieldAsDate}, &search.SortDocID{}}
		key = []string{h.Event.Time.UTC().Format(time.RFC3339Nano), h.ID}
	default:
		return nil, nil, nil // no position to be near
	}
	get := func(beforeKey bool) ([]*Hit, error) {
		req := bleve.NewSearchRequestOptions(q, n, 0, false)
		req.SortByCustom(so)
		req.Fields = []string{"*"}
		req.Score = "none"
		if beforeKey {
			req.SetSearchBefore(key)
		} else {
			req.SetSearchAfter(key)
		}
		sr, err := r.SearchInContext(ctx, req)
		if err != nil {
			return nil, err
		}
		out := make([]*Hit, 0, len(sr.Hits))
		for _, dm := range sr.Hits {
			dm.Index = h.Index
			hh, _ := s.hit(dm, false)
			out = append(out, hh)
		}
		return out, nil
	}
	if before, err = get(true); err != nil {
		return nil, nil, err
	}
	if after, err = get(false); err != nil {
		return nil, nil, err
	}
	return before, after, nil
}

// facetRequest counts the values of an index field; a fields.<name>
// without a field of its own is counted in the shared extraField.
func facetRequest(field string) *bleve.FacetRequest {
	if name, ok := extraName(field); ok {
		fr := bleve.NewFacetRequest(extraField, 10000)
		fr.SetPrefixFilter(name + extraSep)
		return fr
	}
	return bleve.NewFacetRequest(field, 10000)
}

// extraName returns the name of a fields.<name> that is indexed in the
// shared extraField.
func extraName(field string) (string, bool) {
	name, ok := strings.CutPrefix(field, "fields.")
	if !ok || name == "" || queriedFields[name] {
		return "", false
	}
	return name, true
}

// displayValue gives a facet term as the logs wrote it: fields matched in
// any case are indexed lower-cased, and "microsoft-windows-failoverclustering"
// reads worse than the provider's own spelling. Node names are upper case
// throughout exlog; other values are looked up in one matching event.
func (s *Set) displayValue(ctx context.Context, field, term string) string {
	if k, _ := fieldKindOf(field); k != kindLower {
		return term
	}
	switch field {
	case "node", "nodes":
		return strings.ToUpper(term)
	case "level", "severity":
		return term
	}
	var tq query.Query
	if name, ok := extraName(field); ok {
		t := query.NewTermQuery(name + extraSep + term)
		t.SetField(extraField)
		tq = t
	} else {
		t := query.NewTermQuery(term)
		t.SetField(field)
		tq = t
	}
	req := bleve.NewSearchRequestOptions(tq, 1, 0, false)
	req.Fields = []string{pointerField, "json"}
	req.Score = "none"
	sr, err := s.search(ctx, req)
	if err != nil || len(sr.Hits) == 0 {
		return term
	}
	if field == "groups" {
		f, err := FindingFromHit(sr.Hits[0])
		if err == nil {
			for _, g := range f.Groups {
				if strings.EqualFold(g, term) {
					return g
				}
			}
		}
		return term
	}
	r := s.byName[sr.Hits[0].Index]
	if r == nil {
		return term
	}
	e, err := r.store.event([]byte(str(sr.Hits[0].Fields[pointerField])))
	if err != nil {
		return term
	}
	v := e.Provider
	if name, ok := strings.CutPrefix(field, "fields."); ok {
		v = e.Fields[name]
	}
	if strings.EqualFold(v, term) {
		return v
	}
	return term
}
