package export

// These tests cover what a real engine will not do on demand: refuse a
// single document, fail forever, answer for the wrong number of items.
// The integration test in cmd/exlog runs the client against VictoriaLogs.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBulkURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://es.example:9200":          "https://es.example:9200/_bulk",
		"https://es.example:9200/":         "https://es.example:9200/_bulk",
		"http://h/prefix/_bulk?pipeline=p": "http://h/prefix/_bulk?pipeline=p",
		"http://127.0.0.1:9428/insert/elasticsearch": "http://127.0.0.1:9428/insert/elasticsearch/_bulk?" +
			"_msg_field=message&_stream_fields=exlog.bundle%2Chost.name%2Cexlog.source&_time_field=%40timestamp",
		"http://127.0.0.1:9428/insert/elasticsearch/_bulk?_stream_fields=host.name": "http://127.0.0.1:9428/insert/elasticsearch/_bulk?" +
			"_msg_field=message&_stream_fields=host.name&_time_field=%40timestamp",
	} {
		got, err := BulkURL(in)
		if err != nil || got != want {
			t.Errorf("BulkURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "es:9200", "ftp://h/", "https://user:pw@es:9200"} {
		if _, err := BulkURL(bad); err == nil {
			t.Errorf("BulkURL(%q) accepted", bad)
		}
	}
}

// fakeEngine answers _bulk requests, recording every document ID it
// receives; answer decides each item's status by ID and attempt.
type fakeEngine struct {
	t      *testing.T
	mu     sync.Mutex
	got    map[string]int // document ID -> times received
	bodies []int          // uncompressed body sizes
	header http.Header
	answer func(id string, n int) (int, string) // status, error type
}

func (f *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.header = r.Header.Clone()
	f.bodies = append(f.bodies, len(raw))
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 4<<20)
	var items []string
	for sc.Scan() {
		var a bulkAction
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil || a.Index.ID == "" {
			http.Error(w, "bad action line", 400)
			return
		}
		if !sc.Scan() || !json.Valid(sc.Bytes()) {
			http.Error(w, "bad source line", 400)
			return
		}
		id := a.Index.ID
		f.got[id]++
		status, typ := 201, ""
		if f.answer != nil {
			status, typ = f.answer(id, f.got[id])
		}
		item := fmt.Sprintf(`{"index":{"_index":"exlog","_id":%q,"status":%d`, id, status)
		if typ != "" {
			item += fmt.Sprintf(`,"error":{"type":%q,"reason":"refused by the test"}`, typ)
		}
		items = append(items, item+"}}")
	}
	fmt.Fprintf(w, `{"took":1,"errors":true,"items":[%s]}`, strings.Join(items, ","))
}

func newFake(t *testing.T, answer func(string, int) (int, string)) (*fakeEngine, *httptest.Server) {
	f := &fakeEngine{t: t, got: map[string]int{}, answer: answer}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func sendAll(t *testing.T, c *Client, docs []*Document) error {
	t.Helper()
	for _, d := range docs {
		if err := c.Add(context.Background(), d); err != nil {
			c.Close()
			return err
		}
	}
	return c.Close()
}

func TestClientRetriesRefusedItemsAndCountsRejections(t *testing.T) {
	docs := fixtureDocs(t)
	busy, bad := docs[3].ID, docs[250].ID
	f, srv := newFake(t, func(id string, n int) (int, string) {
		switch {
		case id == busy && n <= 2: // refused twice, then taken
			return 429, "es_rejected_execution_exception"
		case id == bad:
			return 400, "mapper_parsing_exception"
		}
		return 201, ""
	})
	t.Setenv("unused", "")
	c, err := NewClient(context.Background(), ClientOptions{
		URL: srv.URL, MaxDocs: 100, MaxBytes: 64 << 10, MinBackoff: time.Millisecond,
		Username: "exporter", Password: "s3cret",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sendAll(t, c, docs); err != nil {
		t.Fatal(err)
	}
	s := c.Stats()
	want := Stats{Added: int64(len(docs)), Sent: int64(len(docs) - 1), Rejected: 1, Retried: 2}
	if s.Added != want.Added || s.Sent != want.Sent || s.Rejected != want.Rejected || s.Retried != want.Retried || s.NotSent != 0 {
		t.Errorf("stats %+v, want %+v", s, want)
	}
	rej, byType := c.Rejections()
	if len(rej) != 1 || rej[0].ID != bad || rej[0].Status != 400 || rej[0].Type != "mapper_parsing_exception" ||
		len(byType) != 1 || byType[0] != (TypeCount{"mapper_parsing_exception", 1}) {
		t.Errorf("rejections %+v %+v", rej, byType)
	}
	for _, d := range docs {
		n := f.got[d.ID]
		if (d.ID == busy && n != 3) || (d.ID != busy && n != 1) {
			t.Errorf("%s received %d times", d.ID, n)
		}
	}
	if f.header.Get("Content-Encoding") != "gzip" || f.header.Get("Content-Type") != "application/x-ndjson" {
		t.Errorf("headers %v", f.header)
	}
	if u, p, ok := (&http.Request{Header: f.header}).BasicAuth(); !ok || u != "exporter" || p != "s3cret" {
		t.Errorf("basic auth %q %q %v", u, p, ok)
	}
	// Batches stay within the limits: 100 documents, or 64 KiB plus the
	// document that crossed the line.
	maxDoc := 0
	for _, d := range docs {
		b, _ := AppendBulk(nil, "exlog", d)
		maxDoc = max(maxDoc, len(b))
	}
	if len(f.bodies) < len(docs)/100 {
		t.Errorf("%d requests for %d documents", len(f.bodies), len(docs))
	}
	for _, n := range f.bodies {
		if n > 64<<10+maxDoc {
			t.Errorf("a request of %d bytes", n)
		}
	}
}

func TestClientGivesUpWithoutLosingCount(t *testing.T) {
	docs := fixtureDocs(t)[:250]
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		w.Header().Set("Retry-After", "0")
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c, err := NewClient(context.Background(), ClientOptions{URL: srv.URL, MaxDocs: 100, MaxRetries: 2, MinBackoff: time.Millisecond, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	err = sendAll(t, c, docs)
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("error %v, want one naming the 503", err)
	}
	s := c.Stats()
	if s.Sent != 0 || s.Added != s.NotSent || s.Added == 0 || s.Rejected != 0 {
		t.Errorf("stats %+v: every document added must be counted as not sent", s)
	}
	if calls != 3 { // the first batch: one try and two retries; then nothing more is sent
		t.Errorf("%d requests, want 3", calls)
	}
}

func TestClientStopsOnRefusedRequest(t *testing.T) {
	docs := fixtureDocs(t)[:10]
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{401, `{"error":"unauthorized"}`, "EXLOG_EXPORT_USER"},
		{404, `no handler`, "base URL"},
		{200, `{"took":1,"errors":false,"items":[{"index":{"status":201}}]}`, "1 of 10"},
		{200, `<html>proxy login</html>`, "something other than a bulk response"},
	} {
		calls := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls++
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		}))
		c, err := NewClient(context.Background(), ClientOptions{URL: srv.URL, APIKey: "a2V5", MinBackoff: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		err = sendAll(t, c, docs)
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("status %d %s: error %v, want one with %q", tc.status, tc.body, err, tc.want)
		}
		if s := c.Stats(); calls != 1 || s.NotSent != 10 {
			t.Errorf("status %d: %d calls, stats %+v; a refusal is not retried and counts as not sent", tc.status, calls, s)
		}
	}
}

func TestClientTLSWithCAFile(t *testing.T) {
	docs := fixtureDocs(t)[:20]
	f := &fakeEngine{t: t, got: map[string]int{}}
	srv := httptest.NewUnstartedServer(f)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()

	// Without the CA the certificate is refused at once, not retried.
	c, _ := NewClient(context.Background(), ClientOptions{URL: srv.URL, MinBackoff: time.Millisecond})
	if err := sendAll(t, c, docs); err == nil || !strings.Contains(err.Error(), "--ca") {
		t.Fatalf("untrusted certificate: %v", err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(context.Background(), ClientOptions{URL: srv.URL, CAFile: ca, APIKey: "aWQ6a2V5"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sendAll(t, c, docs); err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.Sent != 20 || len(f.got) != 20 {
		t.Errorf("stats %+v, engine got %d", s, len(f.got))
	}
	if got := f.header.Get("Authorization"); got != "ApiKey aWQ6a2V5" {
		t.Errorf("Authorization %q", got)
	}
	if _, err := NewClient(context.Background(), ClientOptions{URL: srv.URL, CAFile: filepath.Join(t.TempDir(), "none.pem")}); err == nil {
		t.Error("a missing CA file was accepted")
	}
}

func TestClientContextEnds(t *testing.T) {
	docs := fixtureDocs(t)
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel() // the user pressed Ctrl-C while the first request was out
		http.Error(w, "busy", 503)
	}))
	defer srv.Close()
	c, _ := NewClient(ctx, ClientOptions{URL: srv.URL, MaxDocs: 50, MinBackoff: time.Hour})
	err := sendAll(t, c, docs)
	if err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("error %v", err)
	}
	if s := c.Stats(); s.Sent+s.Rejected+s.NotSent != s.Added || s.Added == 0 {
		t.Errorf("stats %+v do not add up", s)
	}
}

func FuzzBulkResponse(f *testing.F) {
	f.Add([]byte(`{"took":1,"errors":false,"items":[{"create":{"status":201}}]}`))
	f.Add([]byte(`{"errors":true,"items":[{"index":{"_id":"x","status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}},{"index":{"status":400,"error":"plain"}}]}`))
	f.Add([]byte(`{"items":[{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := parseBulkResponse(data)
		if err != nil {
			return
		}
		for _, it := range res.Items {
			r := it.result()
			_ = r.describe()
		}
	})
}
