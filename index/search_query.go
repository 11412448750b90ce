package index

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
	vregexp "github.com/blevesearch/vellum/regexp"

	"github.com/exlog/exlog/parse"
)

// Query is one search: a query string in bleve syntax plus filters that
// need no syntax. Every part that is set must match.
type Query struct {
	// Text is bleve query-string syntax over the message and the fields.
	Text string
	// Nodes, Sources, Providers, Levels and Files each match any of their
	// values; a value holding * or ? is a wildcard.
	Nodes, Sources, Providers, Levels, Files []string
	// EventIDs match any of the ranges.
	EventIDs []IDRange
	// Since is inclusive, Until exclusive; zero means open.
	Since, Until time.Time
	// Findings selects the stored findings instead of the events. Nodes
	// then match a finding's nodes and Levels its severity.
	Findings bool
}

// IDRange is an inclusive range of event IDs; Min == Max for one ID.
type IDRange struct{ Min, Max int }

// fieldKind says how a field is indexed, which decides how query values
// must be shaped to match it.
type fieldKind int

const (
	kindExact  fieldKind = iota // keyword, case-sensitive
	kindLower                   // keyword, lower-cased at index time
	kindText                    // analysed text (lower-cased words)
	kindNumber                  // number
	kindDate                    // date and time
	kindStored                  // stored for display, not searchable
)

// searchFields are the fields of the static mapping (mapping.go) as a
// searcher sees them; fields.<name> are all lower-cased keywords.
var searchFields = map[string]fieldKind{
	"type": kindExact, "time": kindDate, "time_quality": kindExact,
	"node": kindLower, "source": kindExact, "kind": kindExact, "file": kindExact,
	"line": kindNumber, "record": kindExact, "offset": kindStored,
	"provider": kindLower, "event_id": kindNumber, "eid": kindExact,
	"level": kindLower, "run": kindNumber, "message": kindText,
	"detector": kindExact, "severity": kindLower, "cause": kindExact,
	"nodes": kindLower, "groups": kindLower, "json": kindStored,
}

func fieldKindOf(field string) (fieldKind, bool) {
	if field == "" {
		return kindText, true // the default field is message
	}
	if name, ok := strings.CutPrefix(field, "fields."); ok && name != "" {
		return kindLower, true
	}
	k, ok := searchFields[field]
	return k, ok
}

// SyntaxError is a query string that cannot be searched. Pos is the byte
// offset in Query where the problem is.
type SyntaxError struct {
	Query string
	Pos   int
	Msg   string
}

// Error shows the query with a caret under the problem.
func (e *SyntaxError) Error() string {
	col := utf8.RuneCountInString(e.Query[:min(e.Pos, len(e.Query))]) + 1
	return fmt.Sprintf("query: %s (column %d)\n  %s\n  %s^", e.Msg, col, e.Query, strings.Repeat(" ", col-1))
}

// clause is one whitespace-separated part of a query string.
type clause struct {
	text string
	pos  int
}

// splitClauses cuts a query string where bleve's lexer does: at spaces
// outside double quotes. An unterminated quote is reported here, with its
// position, because bleve only says that one exists.
func splitClauses(s string) ([]clause, error) {
	var out []clause
	start, inQuote, escaped, quoteAt := -1, false, false, 0
	for i, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
		case r == '"':
			if !inQuote {
				quoteAt = i
			}
			inQuote = !inQuote
		case r == ' ' && !inQuote:
			if start >= 0 {
				out = append(out, clause{s[start:i], start})
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if inQuote {
		return nil, &SyntaxError{Query: s, Pos: quoteAt, Msg: "this quote is never closed"}
	}
	if start >= 0 {
		out = append(out, clause{s[start:], start})
	}
	return out, nil
}

// diagnose explains why bleve rejected one clause; bleve's own message is
// a bare "syntax error". It returns the offset within the clause and what
// is wrong there.
func diagnose(c string, bleveErr error) (int, string) {
	i := 0
	if strings.HasPrefix(c, "+") || strings.HasPrefix(c, "-") {
		i = 1
		if len(c) == 1 {
			return 0, fmt.Sprintf("%q must be followed by a clause, with no space between", c)
		}
		if c[1] == '+' || c[1] == '-' {
			return 1, "one + or - per clause"
		}
	}
	colon := unquotedIndex(c[i:], ':')
	if colon < 0 {
		if strings.ContainsAny(c, "^~") {
			return strings.IndexAny(c, "^~"), "^ (boost) and ~ (fuzziness) take a number: word^2, word~1"
		}
		return 0, translateBleveError(bleveErr)
	}
	colon += i
	field := c[i:colon]
	if field == "" {
		return colon, "':' needs a field name before it, as in node:NODE1"
	}
	rest := c[colon+1:]
	at := colon + 1
	if strings.HasPrefix(rest, "/") {
		// bleve reads a regular expression as one term: a ':' ends it, and
		// ^ and ~ after it are read as boost and fuzziness.
		if j := strings.IndexAny(rest, ":^~"); j >= 0 {
			return at + j, fmt.Sprintf("%q cannot appear in a regular expression in a query; terms are matched whole, so ^ and $ anchors are not needed", rest[j:j+1])
		}
		if len(rest) < 2 || !strings.HasSuffix(rest, "/") {
			return at, "a regular expression must end with /, and cannot contain spaces"
		}
	}
	switch {
	case rest == "":
		return colon, fmt.Sprintf("nothing after %q: give a value, as in %s:VALUE", field+":", field)
	case rest[0] == ':':
		return at, "unexpected ':'; a value with a colon must be in double quotes"
	case rest[0] == '>' || rest[0] == '<':
		op := rest[:1]
		if len(rest) > 1 && rest[1] == '=' {
			op = rest[:2]
		}
		val := rest[len(op):]
		vat := at + len(op)
		if val == "" {
			return vat, fmt.Sprintf("%s needs a value after it", op)
		}
		if val[0] == '"' {
			return vat, "not a date and time; write RFC3339 such as \"2024-06-11T10:00:00Z\" or a date such as \"2024-06-11\""
		}
		if _, err := strconv.ParseFloat(val, 64); err != nil {
			if looksLikeDate(val) {
				return vat, fmt.Sprintf("a date in a range must be in double quotes: %s:%s\"%s\"", field, op, val)
			}
			return vat, fmt.Sprintf("a range needs a number (%s:%s1000) or a date in double quotes", field, op)
		}
	case rest[0] == '=':
		return at, "'=' only follows > or <; write field:value for equality"
	}
	if strings.Contains(bleveErr.Error(), "invalid time") {
		return at, "not a date and time; write RFC3339 such as \"2024-06-11T10:00:00Z\" or a date such as \"2024-06-11\""
	}
	if j := strings.IndexAny(rest, "^~"); j >= 0 {
		return at + j, "^ (boost) and ~ (fuzziness) take a number: word^2, word~1"
	}
	return 0, translateBleveError(bleveErr)
}

func looksLikeDate(s string) bool {
	return len(s) >= 8 && s[0] >= '0' && s[0] <= '9' && strings.ContainsAny(s, "-T")
}

// unquotedIndex finds the first b outside double quotes and escapes.
func unquotedIndex(s string, b byte) int {
	inQuote, escaped := false, false
	for i := 0; i < len(s); i++ {
		switch {
		case escaped:
			escaped = false
		case s[i] == '\\':
			escaped = true
		case s[i] == '"':
			inQuote = !inQuote
		case s[i] == b && !inQuote:
			return i
		}
	}
	return -1
}

var bleveTokens = strings.NewReplacer(
	"tSTRING", "a word", "tPHRASE", "a quoted phrase", "tNUMBER", "a number",
	"tPLUS", "'+'", "tMINUS", "'-'", "tCOLON", "':'", "tBOOST", "'^'", "tTILDE", "'~'",
	"tGREATER", "'>'", "tLESS", "'<'", "tEQUAL", "'='", "$end", "the end",
)

func translateBleveError(err error) string {
	s := strings.TrimPrefix(err.Error(), "parse error: ")
	return bleveTokens.Replace(s)
}

// parseText parses the query string clause by clause, so that an error
// can point at the clause that causes it, then as a whole.
func parseText(s string) (*query.BooleanQuery, []string, error) {
	clauses, err := splitClauses(s)
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	for _, c := range clauses {
		q, err := bleve.NewQueryStringQuery(c.text).Parse()
		if err != nil {
			off, msg := diagnose(c.text, err)
			return nil, nil, &SyntaxError{Query: s, Pos: c.pos + off, Msg: msg}
		}
		if err := checkFields(q); err != nil {
			return nil, nil, &SyntaxError{Query: s, Pos: c.pos + max(0, strings.Index(c.text, err.field+":")), Msg: err.msg}
		}
		switch strings.TrimLeft(c.text, "+-") {
		case "AND", "OR", "NOT", "&&", "||":
			warnings = append(warnings, fmt.Sprintf("%q in the query is searched as a word: bleve has no AND/OR/NOT; mark required clauses with + and excluded ones with -", c.text))
		}
		if strings.HasPrefix(c.text, "(") || strings.HasSuffix(c.text, ")") {
			warnings = append(warnings, fmt.Sprintf("%q: bleve query strings have no parentheses; they are searched as part of the word", c.text))
		}
	}
	if len(clauses) == 0 {
		return nil, warnings, nil
	}
	q, err := bleve.NewQueryStringQuery(s).Parse()
	if err != nil {
		return nil, nil, &SyntaxError{Query: s, Pos: 0, Msg: translateBleveError(err)}
	}
	bq, ok := q.(*query.BooleanQuery)
	if !ok {
		return nil, nil, &SyntaxError{Query: s, Msg: fmt.Sprintf("unexpected query shape %T", q)}
	}
	return bq, warnings, nil
}

type fieldError struct{ field, msg string }

// checkFields refuses fields the index does not have (the mapping is
// static, so such a clause can never match) and regular expressions that
// do not compile.
func checkFields(q query.Query) *fieldError {
	var bad *fieldError
	walk(q, func(q query.Query) {
		if bad != nil {
			return
		}
		fq, ok := q.(query.FieldableQuery)
		if !ok {
			return
		}
		f := fq.Field()
		kind, known := fieldKindOf(f)
		switch {
		case !known:
			bad = &fieldError{f, fmt.Sprintf("unknown field %q; fields are %s, and fields.<name>", f, fieldList())}
		case kind == kindStored:
			bad = &fieldError{f, fmt.Sprintf("%s is stored for display but not searchable", f)}
		}
		if rq, ok := q.(*query.RegexpQuery); ok && bad == nil {
			if _, err := indexRegexp(rq.Regexp, kind); err != nil {
				bad = &fieldError{f, "bad regular expression: " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")}
			}
		}
	})
	return bad
}

func fieldList() string {
	return "node, source, provider, event_id, eid, level, file, line, record, kind, run, time, time_quality, message, type, detector, severity, cause, nodes, groups"
}

// walk visits q and every query inside it.
func walk(q query.Query, visit func(query.Query)) {
	if q == nil {
		return
	}
	visit(q)
	switch x := q.(type) {
	case *query.BooleanQuery:
		walk(x.Must, visit)
		walk(x.Should, visit)
		walk(x.MustNot, visit)
		walk(x.Filter, visit)
	case *query.ConjunctionQuery:
		for _, c := range x.Conjuncts {
			walk(c, visit)
		}
	case *query.DisjunctionQuery:
		for _, c := range x.Disjuncts {
			walk(c, visit)
		}
	}
}

// rewrite adapts the parsed query to the index: wildcards and regular
// expressions on lower-cased fields are folded (provider:MSExchange*
// must find "msexchange..."), and event_id:N becomes a term on the
// keyword twin, which is cheaper than the numeric disjunction bleve makes.
func rewrite(q query.Query) query.Query {
	switch x := q.(type) {
	case *query.BooleanQuery:
		if x.Must != nil {
			x.Must = rewrite(x.Must)
		}
		if x.Should != nil {
			x.Should = rewrite(x.Should)
		}
		if x.MustNot != nil {
			x.MustNot = rewrite(x.MustNot)
		}
	case *query.ConjunctionQuery:
		for i, c := range x.Conjuncts {
			x.Conjuncts[i] = rewrite(c)
		}
	case *query.DisjunctionQuery:
		if t := numberEquality(x); t != nil {
			return t
		}
		for i, c := range x.Disjuncts {
			x.Disjuncts[i] = rewrite(c)
		}
	case *query.WildcardQuery:
		if k, _ := fieldKindOf(x.FieldVal); k == kindLower || k == kindText {
			x.Wildcard = strings.ToLower(x.Wildcard)
		}
	case *query.RegexpQuery:
		k, _ := fieldKindOf(x.FieldVal)
		if re, err := indexRegexp(x.Regexp, k); err == nil {
			x.Regexp = re
		}
	}
	if fq, ok := q.(query.FieldableQuery); ok {
		if name, ok := strings.CutPrefix(fq.Field(), "fields."); ok && name != "" {
			return rewriteField(q, name)
		}
	}
	return q
}

// lowerValue lower-cases a value as the lower keyword analyzer does at
// index time.
var lowerValue = sync.OnceValue(func() func(string) string {
	m, err := newMapping()
	if err != nil {
		panic(err) // the mapping is constant: a test catches this
	}
	b := newDocBuilder(m)
	return b.lowerTerm
})

// rewriteField adapts a clause on fields.<name>. A name with a field of
// its own (queriedFields) is a lower-cased keyword without positions, so
// a quoted value becomes a term. Other names live in the shared
// extraField as "name<sep>value" terms: the clause is moved there with
// the name in front of its value, which keeps its meaning, fuzzy matches
// included (the name is an exact prefix they may not edit).
func rewriteField(q query.Query, name string) query.Query {
	own := queriedFields[name]
	field := extraField
	prefix := name + extraSep
	if own {
		field, prefix = "fields."+name, ""
	}
	term := func(v string, boost *query.Boost) query.Query {
		t := query.NewTermQuery(prefix + lowerValue()(v))
		t.SetField(field)
		t.BoostVal = boost
		return t
	}
	switch x := q.(type) {
	case *query.MatchPhraseQuery:
		return term(x.MatchPhrase, x.BoostVal)
	}
	if own {
		return q
	}
	switch x := q.(type) {
	case *query.MatchQuery:
		if x.Fuzziness > 0 {
			f := query.NewFuzzyQuery(prefix + lowerValue()(x.Match))
			f.SetField(field)
			f.SetFuzziness(x.Fuzziness)
			f.SetPrefix(len(prefix) + x.Prefix)
			f.BoostVal = x.BoostVal
			return f
		}
		return term(x.Match, x.BoostVal)
	case *query.TermQuery:
		x.Term = prefix + x.Term
		x.SetField(field)
	case *query.WildcardQuery:
		x.Wildcard = prefix + x.Wildcard // names hold no * or ?
		x.SetField(field)
	case *query.PrefixQuery:
		x.Prefix = prefix + x.Prefix
		x.SetField(field)
	case *query.FuzzyQuery:
		x.Term = prefix + x.Term
		x.Prefix += len(prefix)
		x.SetField(field)
	case *query.RegexpQuery:
		x.Regexp = regexp.QuoteMeta(prefix) + "(?:" + x.Regexp + ")"
		x.SetField(field)
	}
	// Ranges keep their field: fields hold text, so numeric and date
	// ranges never matched them.
	return q
}

// indexRegexp returns the regular expression to run against a field's
// terms, or why the index cannot run it. On fields indexed in lower case
// it matches without regard to case, so [0-9A-F] finds the lower-case hex
// the index holds. It does so by folding the literals to lower case rather
// than by a (?i) flag: bleve only narrows the term dictionary to a literal
// prefix (0x8007...) when the prefix is not case-folded, and scans every
// term otherwise. The check is vellum's, the automaton library bleve uses,
// which refuses some of what Go accepts (word boundaries, anchors, lazy
// repeats).
func indexRegexp(expr string, kind fieldKind) (string, error) {
	folded := kind == kindLower || kind == kindText
	if folded {
		expr = "(?i)" + expr
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return "", err
	}
	if folded {
		lowerLiterals(re)
		expr = re.String()
		if re, err = syntax.Parse(expr, syntax.Perl); err != nil {
			return "", err
		}
	}
	if _, err := vregexp.NewParsedWithLimit(expr, re, vregexp.DefaultLimit); err != nil {
		return "", err
	}
	return expr, nil
}

// lowerLiterals turns case-folded literals into lower-case ones; character
// classes were already widened to both cases by the parser.
func lowerLiterals(re *syntax.Regexp) {
	if re.Op == syntax.OpLiteral && re.Flags&syntax.FoldCase != 0 {
		for i, r := range re.Rune {
			re.Rune[i] = unicode.ToLower(r)
		}
		re.Flags &^= syntax.FoldCase
	}
	for _, sub := range re.Sub {
		lowerLiterals(sub)
	}
}

// numberEquality recognises the match-or-range pair that field:N becomes
// and returns the single query that answers it on this index.
func numberEquality(d *query.DisjunctionQuery) query.Query {
	if len(d.Disjuncts) != 2 {
		return nil
	}
	m, ok1 := d.Disjuncts[0].(*query.MatchQuery)
	r, ok2 := d.Disjuncts[1].(*query.NumericRangeQuery)
	if !ok1 || !ok2 || m.FieldVal != r.FieldVal || r.Min == nil || r.Max == nil || *r.Min != *r.Max {
		return nil
	}
	if k, _ := fieldKindOf(m.FieldVal); k != kindNumber {
		return nil
	}
	if m.FieldVal == "event_id" && *r.Min == float64(int64(*r.Min)) {
		t := query.NewTermQuery(strconv.FormatInt(int64(*r.Min), 10))
		t.SetField("eid")
		return t
	}
	return r
}

// timeRange gathers the required time bounds of a query into one range:
// two half-open date ranges ANDed are several times slower than one
// bounded range, because each half matches about half the index.
type timeRange struct {
	start, end         time.Time
	startIncl, endIncl bool
	set                bool
}

func (t *timeRange) addStart(v time.Time, incl bool) {
	if v.IsZero() {
		return
	}
	t.set = true
	if t.start.IsZero() || v.After(t.start) || (v.Equal(t.start) && !incl) {
		t.start, t.startIncl = v, incl
	}
}

func (t *timeRange) addEnd(v time.Time, incl bool) {
	if v.IsZero() {
		return
	}
	t.set = true
	if t.end.IsZero() || v.Before(t.end) || (v.Equal(t.end) && !incl) {
		t.end, t.endIncl = v, incl
	}
}

func (t *timeRange) empty() bool {
	if t.start.IsZero() || t.end.IsZero() {
		return false
	}
	return t.end.Before(t.start) || (t.end.Equal(t.start) && !(t.startIncl && t.endIncl))
}

func (t *timeRange) query() query.Query {
	si, ei := t.startIncl, t.endIncl
	q := query.NewDateRangeInclusiveQuery(t.start, t.end, &si, &ei)
	q.SetField("time")
	return q
}

// takeTimeClauses removes the required clauses on time from the user's
// query and returns the remaining required clauses.
func takeTimeClauses(b *query.BooleanQuery, tr *timeRange) (taken bool) {
	c, ok := b.Must.(*query.ConjunctionQuery)
	if !ok {
		return false
	}
	kept := c.Conjuncts[:0]
	for _, q := range c.Conjuncts {
		d, ok := q.(*query.DateRangeQuery)
		if !ok || d.FieldVal != "time" {
			kept = append(kept, q)
			continue
		}
		taken = true
		tr.addStart(d.Start.Time, d.InclusiveStart == nil || *d.InclusiveStart)
		tr.addEnd(d.End.Time, d.InclusiveEnd != nil && *d.InclusiveEnd)
	}
	c.Conjuncts = kept
	return taken
}

// compiled is a Query ready to run.
type compiled struct {
	q query.Query
	// run is q as it runs on an exlog index (see numeric.go).
	run      query.Query
	warnings []string
	// fingerprint identifies the search apart from its time bounds, so a
	// page token is refused by a different search but still accepted when
	// a relative --since has moved on by a few seconds.
	fingerprint string
}

// Check validates the query without searching; a *SyntaxError says where
// the query string is wrong.
func (q *Query) Check() (warnings []string, err error) {
	c, err := q.compile()
	if err != nil {
		return nil, err
	}
	return c.warnings, nil
}

func (q *Query) compile() (*compiled, error) {
	out := &compiled{}
	var must []query.Query
	tr := &timeRange{}
	tr.addStart(q.Since, true)
	tr.addEnd(q.Until, false)

	if strings.TrimSpace(q.Text) != "" {
		b, warnings, err := parseText(q.Text)
		if err != nil {
			return nil, err
		}
		out.warnings = warnings
		if b != nil {
			rewrite(b)
			userRange := &timeRange{}
			if takeTimeClauses(b, userRange) {
				// Merge the flags' bounds into the user's range and put it
				// back where the user wrote it, so that optional clauses
				// keep their meaning next to a required one.
				userRange.addStart(q.Since, true)
				userRange.addEnd(q.Until, false)
				if userRange.empty() {
					return nil, fmt.Errorf("the time range is empty: it ends before it starts")
				}
				b.Must.(*query.ConjunctionQuery).AddQuery(userRange.query())
				tr = &timeRange{}
			}
			if b.Must != nil && len(b.Must.(*query.ConjunctionQuery).Conjuncts) == 0 {
				b.Must = nil
			}
			if b.Must != nil || b.Should != nil || b.MustNot != nil {
				must = append(must, b)
			}
		}
	}
	if tr.empty() {
		return nil, fmt.Errorf("the time range is empty: --until is not after --since")
	}

	nodeField, levelField := "node", "level"
	if q.Findings {
		nodeField, levelField = "nodes", "severity"
		if len(q.Sources) > 0 || len(q.Providers) > 0 || len(q.Files) > 0 || len(q.EventIDs) > 0 {
			return nil, fmt.Errorf("findings have no source, provider, file or event ID; filter them by node, level (severity), time or query")
		}
	}
	nodes := make([]string, len(q.Nodes))
	for i, n := range q.Nodes {
		if strings.ContainsAny(n, "*?") {
			nodes[i] = n
		} else {
			nodes[i] = parse.ShortNode(n)
		}
	}
	for _, f := range []struct {
		field string
		vals  []string
	}{
		{nodeField, nodes}, {"source", q.Sources}, {"provider", q.Providers},
		{levelField, q.Levels}, {"file", q.Files},
	} {
		if d := anyOf(f.field, f.vals); d != nil {
			must = append(must, d)
		}
	}
	if len(q.EventIDs) > 0 {
		must = append(must, eventIDQuery(q.EventIDs))
	}
	if tr.set {
		must = append(must, tr.query())
	}

	typeQ := query.NewTermQuery(TypeFinding)
	typeQ.SetField("type")
	top := query.NewBooleanQuery(nil, nil, nil)
	if q.Findings {
		must = append(must, typeQ)
	} else {
		// Findings are few: excluding them costs less than requiring
		// type:event, which matches nearly every document.
		top.AddMustNot(typeQ)
	}
	if len(must) == 0 {
		must = append(must, query.NewMatchAllQuery())
	}
	top.AddMust(must...)
	out.q = top
	out.run = slimRanges(top)

	// The fingerprint leaves out the time bounds (see compiled).
	fp := *q
	fp.Since, fp.Until = time.Time{}, time.Time{}
	b, _ := json.Marshal(fp)
	h := fnv.New64a()
	h.Write(b)
	out.fingerprint = strconv.FormatUint(h.Sum64(), 36)
	return out, nil
}

// anyOf matches a field against any of the values, through the field's
// analyzer (so node names match in any case) or as a wildcard.
func anyOf(field string, vals []string) query.Query {
	if len(vals) == 0 {
		return nil
	}
	kind, _ := fieldKindOf(field)
	qs := make([]query.Query, 0, len(vals))
	for _, v := range vals {
		if strings.ContainsAny(v, "*?") {
			if kind == kindLower {
				v = strings.ToLower(v)
			}
			w := query.NewWildcardQuery(v)
			w.SetField(field)
			qs = append(qs, w)
			continue
		}
		if kind == kindLower {
			v = strings.ToLower(v)
		}
		t := query.NewTermQuery(v)
		t.SetField(field)
		qs = append(qs, t)
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewDisjunctionQuery(qs)
}

// eventIDQuery matches single IDs on the keyword twin (one term lookup)
// and ranges on the number.
func eventIDQuery(rs []IDRange) query.Query {
	qs := make([]query.Query, 0, len(rs))
	for _, r := range rs {
		if r.Min == r.Max {
			t := query.NewTermQuery(strconv.Itoa(r.Min))
			t.SetField("eid")
			qs = append(qs, t)
			continue
		}
		lo, hi, incl := float64(r.Min), float64(r.Max), true
		n := query.NewNumericRangeInclusiveQuery(&lo, &hi, &incl, &incl)
		n.SetField("event_id")
		qs = append(qs, n)
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewDisjunctionQuery(qs)
}

var idPart = regexp.MustCompile(`^(?:(\d+)|(\d+)-(\d+)|(>=|<=|>|<)(\d+))$`)

// ParseEventIDs reads a list of event IDs and ranges: "1069",
// "1069,1205", "4000-4999", ">=4000", "<100".
func ParseEventIDs(s string) ([]IDRange, error) {
	var out []IDRange
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		m := idPart.FindStringSubmatch(p)
		if m == nil {
			return nil, fmt.Errorf("%q is not an event ID, a range A-B or a bound like >=4000", p)
		}
		num := func(s string) (int, error) {
			n, err := strconv.Atoi(s)
			if err != nil || n > 1<<31-1 {
				return 0, fmt.Errorf("%q is too large for an event ID", s)
			}
			return n, nil
		}
		var r IDRange
		var err error
		switch {
		case m[1] != "":
			r.Min, err = num(m[1])
			r.Max = r.Min
		case m[2] != "":
			if r.Min, err = num(m[2]); err == nil {
				r.Max, err = num(m[3])
			}
			if err == nil && r.Max < r.Min {
				err = fmt.Errorf("%q: the range ends before it starts", p)
			}
		default:
			var n int
			n, err = num(m[5])
			switch m[4] {
			case ">=":
				r = IDRange{n, 1<<31 - 1}
			case ">":
				r = IDRange{n + 1, 1<<31 - 1}
			case "<=":
				r = IDRange{0, n}
			case "<":
				r = IDRange{0, n - 1}
				if n == 0 {
					err = fmt.Errorf("%q matches no event ID", p)
				}
			}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no event ID in %q", s)
	}
	return out, nil
}

var relative = regexp.MustCompile(`^(\d+)(s|m|h|d|w)$`)

// ParseTime reads a --since or --until value: RFC3339 (a missing zone
// means UTC, as everywhere in exlog), a date, "now", or a duration back
// from now such as 90m, 2h, 3d or 1w. A bare date given as an end
// (end=true) means the end of that day, so --until 2024-06-11 includes
// the 11th.
func ParseTime(s string, now time.Time, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "now" {
		return now.UTC(), nil
	}
	if m := relative.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 100000 {
			return time.Time{}, fmt.Errorf("%q is too far back", s)
		}
		unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
		return now.Add(-time.Duration(n) * unit).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC3339 (2024-06-11T10:00:00Z), a date (2024-06-11), or a duration back from now (90m, 2h, 3d, 1w)", s)
}
