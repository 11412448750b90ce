package export

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// IDSet is a set of document IDs kept as 128-bit FNV-1a hashes: about 40
// bytes per ID in the map, whatever the ID's length, so the IDs of a case
// of a million documents take some 40 MB. At 128 bits two IDs of one case
// sharing a hash (which would skip a document wrongly) is far less likely
// than a disk error.
type IDSet struct{ m map[[16]byte]struct{} }

func idKey(id string) [16]byte {
	h := fnv.New128a()
	io.WriteString(h, id)
	var k [16]byte
	h.Sum(k[:0])
	return k
}

// Add puts id in the set.
func (s *IDSet) Add(id string) {
	if s.m == nil {
		s.m = map[[16]byte]struct{}{}
	}
	s.m[idKey(id)] = struct{}{}
}

// Has reports whether id is in the set; a nil set holds nothing.
func (s *IDSet) Has(id string) bool {
	if s == nil {
		return false
	}
	_, ok := s.m[idKey(id)]
	return ok
}

// Len is the number of IDs in the set.
func (s *IDSet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.m)
}

// ListsPresent reports whether the client can ask its engine which
// documents it already holds (PresentIDs). Only VictoriaLogs needs it:
// it ignores _id and stores every copy it is sent, where Elasticsearch
// and OpenSearch replace a document by its _id.
func (c *Client) ListsPresent() bool { return c.queryURL != "" }

// queryURLFor is VictoriaLogs' LogsQL endpoint beside its Elasticsearch
// insert endpoint (same scheme, host and path prefix), or "" for other
// engines.
func queryURLFor(bulk string) string {
	u, err := url.Parse(bulk)
	if err != nil {
		return ""
	}
	prefix, ok := strings.CutSuffix(u.Path, "/insert/elasticsearch/_bulk")
	if !ok {
		return ""
	}
	u.Path = prefix + "/select/logsql/query"
	u.RawQuery = ""
	return u.String()
}

// maxIDLine bounds one line of the query's answer: each holds one ID.
const maxIDLine = 1 << 20

// PresentIDs asks a VictoriaLogs engine for the IDs (event.id) of the
// documents of src it already holds, so that a second export sends only
// what is missing. The answer is streamed line by line; memory is the
// IDSet of one case. Documents stored in the last seconds may not be
// searchable yet and are then not listed.
func (c *Client) PresentIDs(ctx context.Context, src Source) (*IDSet, error) {
	if c.queryURL == "" {
		return nil, fmt.Errorf("%s is not a VictoriaLogs insert endpoint", c.endpoint)
	}
	// exlog.case is left out of documents without a case; := "" matches
	// a missing field as well as an empty one.
	q := fmt.Sprintf(`exlog.case:=%s exlog.bundle:=%s | fields event.id`, logsQLString(src.Case), logsQLString(src.Bundle))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.queryURL, strings.NewReader(url.Values{"query": {q}}.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("%s: %s: %s", c.queryURL, resp.Status, snippet(data))
	}
	set := &IDSet{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, maxIDLine)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var row struct {
			ID string `json:"event.id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			return nil, fmt.Errorf("%s answered a line that is not a LogsQL result: %v: %s", c.queryURL, err, snippet(sc.Bytes()))
		}
		if row.ID != "" {
			set.Add(row.ID)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the answer of %s: %w", c.queryURL, err)
	}
	return set, nil
}

// logsQLString quotes s as a LogsQL string, which reads Go's escapes.
func logsQLString(s string) string { return strconv.Quote(s) }
