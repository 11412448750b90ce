package export

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ClientOptions configure a bulk client. Zero values take the defaults.
type ClientOptions struct {
	// URL is the engine's base URL (https://es:9200) or its _bulk endpoint
	// (http://127.0.0.1:9428/insert/elasticsearch/_bulk); query parameters
	// are kept. For a VictoriaLogs path (/insert/elasticsearch) the
	// parameters that map ECS fields to its message, time and stream
	// fields are added unless the URL gives them.
	URL string
	// Index is the _index of every document (default "exlog").
	Index string
	// MaxDocs and MaxBytes bound one request: it is sent when either is
	// reached (defaults 1000 documents, 5 MiB uncompressed).
	MaxDocs  int
	MaxBytes int
	// NoGzip sends request bodies uncompressed.
	NoGzip bool
	// Concurrency is the number of requests in flight (default 2). Memory
	// stays within about (Concurrency+1) × MaxBytes × 1.5.
	Concurrency int
	// MaxRetries bounds the retries of one batch after 429, 5xx or a
	// connection error (default 8); MinBackoff and MaxBackoff bound the
	// wait between them (defaults 500 ms and 30 s). A Retry-After header
	// is honoured up to MaxBackoff.
	MaxRetries             int
	MinBackoff, MaxBackoff time.Duration
	// Timeout bounds one request (default 2 minutes).
	Timeout time.Duration
	// Username and Password give basic authentication; APIKey an
	// Elasticsearch API key (the base64 "id:key" form). Never both.
	Username, Password, APIKey string
	// CAFile is a PEM file of certificate authorities trusted besides the
	// system's.
	CAFile string
	// Logf receives warnings: retries and rejected documents. May be nil.
	Logf func(format string, args ...any)
	// Transport replaces the HTTP transport (tests); CAFile then has no effect.
	Transport http.RoundTripper
}

// Stats count what a client did. All counts are documents unless named
// otherwise.
type Stats struct {
	Added    int64 // handed to Add
	Sent     int64 // acknowledged by the engine
	Rejected int64 // refused by the engine per item and not retriable, or out of retries
	NotSent  int64 // never acknowledged because the export stopped (see Close's error)
	// Retried counts documents sent again after a 429, a 5xx or a
	// connection error, whole request or single item.
	Retried  int64
	Requests int64 // HTTP requests made, retries included
	// Bytes and WireBytes are the request bodies before and after gzip.
	Bytes, WireBytes int64
}

// Rejection is one document the engine refused.
type Rejection struct {
	ID     string
	Status int
	Type   string
	Reason string
}

// maxRejectionsKept bounds the rejections a client remembers; the count
// by type covers all of them.
const maxRejectionsKept = 100

// Client sends documents to an engine's _bulk API.
type Client struct {
	opt      ClientOptions
	ctx      context.Context
	endpoint string
	queryURL string // VictoriaLogs' LogsQL endpoint, or ""
	http     *http.Client

	mu    sync.Mutex // guards cur and closed
	cur   *batch
	todo  chan *batch
	wg    sync.WaitGroup
	done  chan struct{} // closed on the first fatal error
	quit  chan struct{} // closed when Close has finished
	fatal atomic.Pointer[error]

	stats        Stats
	rejMu        sync.Mutex
	rejections   []Rejection
	rejectedType map[string]int64
	closed       bool
}

// batch is one request's worth of documents: the uncompressed body and
// where each document's two lines start, so that single documents can be
// sent again.
type batch struct {
	body []byte
	offs []int
	ids  []string
}

func (b *batch) item(i int) []byte {
	end := len(b.body)
	if i+1 < len(b.offs) {
		end = b.offs[i+1]
	}
	return b.body[b.offs[i]:end]
}

// NewClient checks the options and starts the senders. When ctx ends, the
// client stops sending and Close reports the documents not sent.
func NewClient(ctx context.Context, opt ClientOptions) (*Client, error) {
	if opt.Index == "" {
		opt.Index = "exlog"
	}
	if opt.MaxDocs <= 0 {
		opt.MaxDocs = 1000
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = 5 << 20
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 2
	}
	if opt.MaxRetries <= 0 {
		opt.MaxRetries = 8
	}
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = 500 * time.Millisecond
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 30 * time.Second
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 2 * time.Minute
	}
	if opt.APIKey != "" && opt.Username != "" {
		return nil, errors.New("give either a user name and password or an API key, not both")
	}
	endpoint, err := BulkURL(opt.URL)
	if err != nil {
		return nil, err
	}
	tr := opt.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = opt.Concurrency
		if opt.CAFile != "" {
			pool, err := certPool(opt.CAFile)
			if err != nil {
				return nil, err
			}
			t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		tr = t
	}
	c := &Client{
		opt:          opt,
		ctx:          ctx,
		endpoint:     endpoint,
		queryURL:     queryURLFor(endpoint),
		http:         &http.Client{Transport: tr, Timeout: opt.Timeout},
		todo:         make(chan *batch),
		done:         make(chan struct{}),
		quit:         make(chan struct{}),
		rejectedType: map[string]int64{},
	}
	for range opt.Concurrency {
		c.wg.Add(1)
		go c.sender()
	}
	go func() {
		select {
		case <-ctx.Done():
			c.fail(fmt.Errorf("export: %w", ctx.Err()))
		case <-c.done:
		case <-c.quit:
		}
	}()
	return c, nil
}

// BulkURL turns a base URL into the _bulk endpoint, keeping a path prefix
// and query parameters. For VictoriaLogs (a path ending in
// /insert/elasticsearch) it adds _msg_field=message,
// _time_field=@timestamp and _stream_fields=exlog.bundle,host.name,
// exlog.source where the URL does not set them: without them VictoriaLogs
// would look for its own field names and stamp every entry with the time
// of ingestion.
func BulkURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("%q is not an http(s) URL of an engine, e.g. https://es.example:9200 or http://127.0.0.1:9428/insert/elasticsearch", raw)
	}
	if u.User != nil {
		return "", errors.New("put credentials in the environment, not in the URL (see exlog export --help)")
	}
	p := strings.TrimSuffix(u.Path, "/")
	if !strings.HasSuffix(p, "/_bulk") {
		p += "/_bulk"
	}
	u.Path = p
	if strings.HasSuffix(p, "/insert/elasticsearch/_bulk") {
		q := u.Query()
		for k, v := range map[string]string{
			"_msg_field":     "message",
			"_time_field":    "@timestamp",
			"_stream_fields": "exlog.bundle,host.name,exlog.source",
		} {
			if !q.Has(k) {
				q.Set(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

func certPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", file)
	}
	return pool, nil
}

// Add queues one document; it blocks while the senders are busy, which
// keeps memory bounded and slows the producer to the engine's pace.
func (c *Client) Add(ctx context.Context, d *Document) error {
	if err := c.err(); err != nil {
		return err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errors.New("export: Add after Close")
	}
	if c.cur == nil {
		c.cur = &batch{body: make([]byte, 0, min(c.opt.MaxBytes+64<<10, 1<<20))}
	}
	b := c.cur
	b.offs = append(b.offs, len(b.body))
	b.ids = append(b.ids, d.ID)
	var err error
	b.body, err = AppendBulk(b.body, c.opt.Index, d)
	if err != nil {
		b.body = b.body[:b.offs[len(b.offs)-1]]
		b.offs, b.ids = b.offs[:len(b.offs)-1], b.ids[:len(b.ids)-1]
		c.mu.Unlock()
		return fmt.Errorf("export: encoding %s: %w", d.ID, err)
	}
	atomic.AddInt64(&c.stats.Added, 1)
	var full *batch
	if len(b.ids) >= c.opt.MaxDocs || len(b.body) >= c.opt.MaxBytes {
		full, c.cur = b, nil
	}
	c.mu.Unlock()
	if full == nil {
		return nil
	}
	return c.enqueue(ctx, full)
}

func (c *Client) enqueue(ctx context.Context, b *batch) error {
	select {
	case c.todo <- b:
		return nil
	case <-c.done:
		atomic.AddInt64(&c.stats.NotSent, int64(len(b.ids)))
		return c.err()
	case <-ctx.Done():
		atomic.AddInt64(&c.stats.NotSent, int64(len(b.ids)))
		return ctx.Err()
	}
}

// Close sends what is queued, waits for every request and returns the
// first fatal error: retries exhausted, a request the engine refused as a
// whole, or the context ending. Rejected documents are not an error
// here; see Stats and Rejections.
func (c *Client) Close() error {
	return c.CloseContext(context.Background())
}

// CloseContext is Close with a context that stops waiting for retries.
func (c *Client) CloseContext(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.err()
	}
	c.closed = true
	last := c.cur
	c.cur = nil
	c.mu.Unlock()
	if last != nil && len(last.ids) > 0 {
		c.enqueue(ctx, last)
	}
	close(c.todo)
	c.wg.Wait()
	close(c.quit)
	return c.err()
}

func (c *Client) err() error {
	if p := c.fatal.Load(); p != nil {
		return *p
	}
	return nil
}

func (c *Client) fail(err error) {
	if c.fatal.CompareAndSwap(nil, &err) {
		close(c.done)
	}
}

// Stats returns a snapshot of the counts.
func (c *Client) Stats() Stats {
	return Stats{
		Added:     atomic.LoadInt64(&c.stats.Added),
		Sent:      atomic.LoadInt64(&c.stats.Sent),
		Rejected:  atomic.LoadInt64(&c.stats.Rejected),
		NotSent:   atomic.LoadInt64(&c.stats.NotSent),
		Retried:   atomic.LoadInt64(&c.stats.Retried),
		Requests:  atomic.LoadInt64(&c.stats.Requests),
		Bytes:     atomic.LoadInt64(&c.stats.Bytes),
		WireBytes: atomic.LoadInt64(&c.stats.WireBytes),
	}
}

// TypeCount is how many documents were rejected with one error type.
type TypeCount struct {
	Type  string
	Count int64
}

// Rejections returns the first rejected documents (at most 100) and the
// count of all rejections by error type, most frequent first.
func (c *Client) Rejections() ([]Rejection, []TypeCount) {
	c.rejMu.Lock()
	defer c.rejMu.Unlock()
	byType := make([]TypeCount, 0, len(c.rejectedType))
	for k, v := range c.rejectedType {
		byType = append(byType, TypeCount{k, v})
	}
	sort.Slice(byType, func(i, j int) bool {
		if byType[i].Count != byType[j].Count {
			return byType[i].Count > byType[j].Count
		}
		return byType[i].Type < byType[j].Type
	})
	return append([]Rejection(nil), c.rejections...), byType
}

func (c *Client) sender() {
	defer c.wg.Done()
	for b := range c.todo {
		if c.err() != nil {
			atomic.AddInt64(&c.stats.NotSent, int64(len(b.ids)))
			continue
		}
		if err := c.send(b); err != nil {
			c.fail(err)
		}
	}
}

func (c *Client) logf(format string, args ...any) {
	if c.opt.Logf != nil {
		c.opt.Logf(format, args...)
	}
}

// retryable reports whether a status means "try again later": the engine
// is overloaded (429) or failing (5xx).
func retryable(status int) bool { return status == http.StatusTooManyRequests || status >= 500 }

// send delivers one batch: whole-request retries on 429, 5xx and
// connection errors; then per-item results, where items refused with 429
// or 5xx go again in a smaller batch and any other refusal is a rejection.
// Retries of a batch share one budget.
func (c *Client) send(b *batch) error {
	attempt := 0
	for {
		res, wait, err := c.post(b)
		if err != nil {
			var fe fatalError
			if errors.As(err, &fe) {
				atomic.AddInt64(&c.stats.NotSent, int64(len(b.ids)))
				return fe.err
			}
			attempt++
			if attempt > c.opt.MaxRetries {
				atomic.AddInt64(&c.stats.NotSent, int64(len(b.ids)))
				return fmt.Errorf("export: giving up after %d retries: %w", c.opt.MaxRetries, err)
			}
			d := c.backoff(attempt, wait)
			c.logf("retrying %d documents in %s: %v", len(b.ids), d.Round(time.Millisecond), err)
			atomic.AddInt64(&c.stats.Retried, int64(len(b.ids)))
			if !c.sleep(d) {
				atomic.AddInt64(&c.stats.NotSent, int64(len(b.ids)))
				return c.err()
			}
			continue
		}
		if len(res.Items) != len(b.ids) {
			atomic.AddInt64(&c.stats.NotSent, int64(len(b.ids)))
			return fmt.Errorf("export: the engine answered for %d of %d documents in one request; its response cannot be matched to the documents", len(res.Items), len(b.ids))
		}
		var again *batch
		var lastReason string
		for i, it := range res.Items {
			r := it.result()
			switch {
			case r.Status >= 200 && r.Status < 300:
				atomic.AddInt64(&c.stats.Sent, 1)
			case retryable(r.Status):
				if again == nil {
					again = &batch{}
				}
				again.offs = append(again.offs, len(again.body))
				again.ids = append(again.ids, b.ids[i])
				again.body = append(again.body, b.item(i)...)
				lastReason = r.describe()
			default:
				c.reject(b.ids[i], r)
			}
		}
		if again == nil {
			return nil
		}
		attempt++
		if attempt > c.opt.MaxRetries {
			for _, id := range again.ids {
				c.reject(id, itemResult{Status: 0, Error: errorInfo{Type: "retries_exhausted", Reason: "still refused after " + strconv.Itoa(c.opt.MaxRetries) + " retries: " + lastReason}})
			}
			return nil
		}
		b = again
		d := c.backoff(attempt, 0)
		c.logf("the engine refused %d documents for now (%s); retrying them in %s", len(b.ids), lastReason, d.Round(time.Millisecond))
		atomic.AddInt64(&c.stats.Retried, int64(len(b.ids)))
		if !c.sleep(d) {
			atomic.AddInt64(&c.stats.NotSent, int64(len(b.ids)))
			return c.err()
		}
	}
}

func (c *Client) reject(id string, r itemResult) {
	atomic.AddInt64(&c.stats.Rejected, 1)
	c.rejMu.Lock()
	defer c.rejMu.Unlock()
	typ := r.Error.Type
	if typ == "" {
		typ = "status_" + strconv.Itoa(r.Status)
	}
	c.rejectedType[typ]++
	if len(c.rejections) < maxRejectionsKept {
		c.rejections = append(c.rejections, Rejection{ID: id, Status: r.Status, Type: typ, Reason: r.Error.Reason})
		c.logf("rejected %s: %s", id, r.describe())
	}
}

// backoff is exponential with jitter between MinBackoff and MaxBackoff, or
// the server's Retry-After when it names a longer wait.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := c.opt.MinBackoff << min(attempt-1, 20)
	if d > c.opt.MaxBackoff || d <= 0 {
		d = c.opt.MaxBackoff
	}
	d = d/2 + rand.N(d/2+1)
	if retryAfter > d {
		d = min(retryAfter, c.opt.MaxBackoff)
	}
	return d
}

// sleep waits d unless the export has failed meanwhile.
func (c *Client) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.done:
		return false
	}
}

// fatalError is a response no retry can mend (a bad URL, bad credentials,
// a body the engine cannot parse).
type fatalError struct{ err error }

func (f fatalError) Error() string { return f.err.Error() }

// maxResponse bounds the bulk response read into memory: about 200 bytes
// per item is typical, errors add their reasons.
const maxResponse = 64 << 20

// post sends one request. A plain error is worth a retry (with the
// server's Retry-After wait, if any); a fatalError is not.
func (c *Client) post(b *batch) (*bulkResponse, time.Duration, error) {
	body := b.body
	atomic.AddInt64(&c.stats.Bytes, int64(len(body)))
	if !c.opt.NoGzip {
		var zb bytes.Buffer
		zb.Grow(len(body) / 4)
		zw, _ := gzip.NewWriterLevel(&zb, gzip.BestSpeed)
		zw.Write(body)
		zw.Close()
		body = zb.Bytes()
	}
	atomic.AddInt64(&c.stats.WireBytes, int64(len(body)))
	atomic.AddInt64(&c.stats.Requests, 1)
	req, err := http.NewRequestWithContext(c.ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, 0, fatalError{err}
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	if !c.opt.NoGzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		if c.ctx.Err() != nil {
			return nil, 0, fatalError{fmt.Errorf("export: %w", c.ctx.Err())}
		}
		var ce *tls.CertificateVerificationError
		if errors.As(err, &ce) {
			return nil, 0, fatalError{fmt.Errorf("export: %w (trust the engine's CA with --ca FILE)", err)}
		}
		return nil, 0, err // connection refused, reset, timeout: retry
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, 0, fmt.Errorf("reading the response: %w", err)
	}
	if retryable(resp.StatusCode) {
		return nil, retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("%s: %s", resp.Status, snippet(data))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		hint := ""
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			hint = " (set EXLOG_EXPORT_USER and EXLOG_EXPORT_PASSWORD, or EXLOG_EXPORT_API_KEY)"
		case http.StatusNotFound:
			hint = " (is the URL the engine's base URL or its _bulk endpoint?)"
		case http.StatusRequestEntityTooLarge:
			hint = " (lower --batch-bytes)"
		}
		return nil, 0, fatalError{fmt.Errorf("export: %s refused the request: %s: %s%s", c.endpoint, resp.Status, snippet(data), hint)}
	}
	if len(data) > maxResponse {
		return nil, 0, fatalError{fmt.Errorf("export: the bulk response exceeds %d MiB; lower --batch-docs", maxResponse>>20)}
	}
	res, err := parseBulkResponse(data)
	if err != nil {
		return nil, 0, fatalError{fmt.Errorf("export: %s answered something other than a bulk response: %v: %s", c.endpoint, err, snippet(data))}
	}
	return res, 0, nil
}

// authorize adds the credentials of the options to a request.
func (c *Client) authorize(req *http.Request) {
	switch {
	case c.opt.APIKey != "":
		req.Header.Set("Authorization", "ApiKey "+c.opt.APIKey)
	case c.opt.Username != "":
		req.SetBasicAuth(c.opt.Username, c.opt.Password)
	}
}

func retryAfter(h string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return time.Until(t)
	}
	return 0
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// bulkResponse is the part of a _bulk response the client reads.
type bulkResponse struct {
	Errors bool       `json:"errors"`
	Items  []bulkItem `json:"items"`
}

// bulkItem is one item of a bulk response: {"index": {...}}, keyed by
// the action.
type bulkItem map[string]itemResult

type itemResult struct {
	ID     string    `json:"_id"`
	Status int       `json:"status"`
	Error  errorInfo `json:"error"`
}

// errorInfo reads an item's error: an object with type and reason, or,
// from some engines, a plain string.
type errorInfo struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

func (e *errorInfo) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &e.Reason)
	}
	type plain errorInfo
	return json.Unmarshal(b, (*plain)(e))
}

// result is the item's action result. An item has one action; an empty
// item has status 0, which counts as a rejection rather than a success.
func (m bulkItem) result() itemResult {
	for _, r := range m {
		return r
	}
	return itemResult{}
}

func (r itemResult) describe() string {
	s := "status " + strconv.Itoa(r.Status)
	if r.Error.Type != "" {
		s += " " + r.Error.Type
	}
	if r.Error.Reason != "" {
		s += ": " + r.Error.Reason
	}
	return s
}

func parseBulkResponse(data []byte) (*bulkResponse, error) {
	var res bulkResponse
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, err
	}
	if res.Items == nil {
		return nil, errors.New("no items")
	}
	return &res, nil
}
