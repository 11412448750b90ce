package main

// exlog export against a real engine: VictoriaLogs, started on 127.0.0.1
// for the test. It takes the Elasticsearch _bulk API and answers LogsQL.
// The binary comes from $EXLOG_VICTORIALOGS, from PATH, or is built with
// go install (about 20 s the first time, cached after); the test skips
// with a message where it cannot be had.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exlog/exlog/detect"
	"github.com/exlog/exlog/fixtures"
	"github.com/exlog/exlog/index/export"
	"github.com/exlog/exlog/parse"
	"github.com/exlog/exlog/parse/parsetest"
)

// victoriaLogsModule is the engine the integration test runs.
const victoriaLogsModule = "github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v1.52.2"

// victoriaLogsBinary finds or builds the victoria-logs binary, in the
// cache directory .ci/run also uses.
func victoriaLogsBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("EXLOG_VICTORIALOGS"); p == "none" {
		t.Skip("EXLOG_VICTORIALOGS=none: VictoriaLogs could not be built (see the warning of .ci/run)")
	} else if p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("EXLOG_VICTORIALOGS=%s: %v", p, err)
		}
		return p
	}
	if p, err := exec.LookPath("victoria-logs"); err == nil {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("VictoriaLogs not found and no cache directory to build it in (%v); set EXLOG_VICTORIALOGS", err)
	}
	dir := filepath.Join(cache, "exlog-test", "victoria-logs-v1.52.2")
	bin := filepath.Join(dir, "victoria-logs")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if testing.Short() {
		t.Skip("VictoriaLogs not found; -short does not build it (set EXLOG_VICTORIALOGS or run .ci/run)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", victoriaLogsModule)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("VictoriaLogs could not be built (go install %s: %v); set EXLOG_VICTORIALOGS to a victoria-logs binary to run this test\n%s",
			victoriaLogsModule, err, tail(out, 1500))
	}
	return bin
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// startVictoriaLogs runs VictoriaLogs on a free loopback port with its data
// in a temporary directory and returns its base URL. Retention spans a
// century both ways: the default (7 days back, 2 days ahead) quietly drops
// the old events that forensic bundles are made of.
func startVictoriaLogs(t *testing.T) string {
	t.Helper()
	bin := victoriaLogsBinary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	logFile := filepath.Join(t.TempDir(), "victoria-logs.log")
	lf, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-storageDataPath="+t.TempDir(), "-retentionPeriod=100y", "-futureRetention=100y",
		"-httpListenAddr="+addr, "-loggerLevel=WARN")
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		lf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("VictoriaLogs log:\n%s", tail(b, 3000))
		}
	})
	base := "http://" + addr
	for i := 0; ; i++ {
		resp, err := http.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
		if i == 300 {
			b, _ := os.ReadFile(logFile)
			t.Fatalf("VictoriaLogs did not come up at %s: %v\n%s", base, err, tail(b, 2000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logsQL flushes what was ingested and runs a LogsQL query; each result
// row maps field names to values (VictoriaLogs returns every value as a
// string).
func logsQL(t *testing.T, base, q string) []map[string]string {
	t.Helper()
	if resp, err := http.Get(base + "/internal/force_flush"); err == nil {
		resp.Body.Close()
	}
	resp, err := http.PostForm(base+"/select/logsql/query", url.Values{"query": {q}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("LogsQL %q: %s: %s", q, resp.Status, body)
	}
	var rows []map[string]string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var r map[string]string
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("LogsQL %q: row %s: %v", q, sc.Text(), err)
		}
		rows = append(rows, r)
	}
	return rows
}

func logsQLCount(t *testing.T, base, q string) int {
	t.Helper()
	rows := logsQL(t, base, q+" | stats count() n")
	if len(rows) != 1 {
		t.Fatalf("LogsQL %q: %d rows", q, len(rows))
	}
	n, _ := strconv.Atoi(rows[0]["n"])
	return n
}

// expected is what exlog itself reads from a bundle: the truth the engine
// must give back.
type expected struct {
	src      export.Source
	counts   map[string]int // "source/node" -> events
	ids      map[string]bool
	docs     map[string]*export.Document
	findings []detect.Finding
}

func expect(t *testing.T, caseID, path string) *expected {
	t.Helper()
	x := &expected{
		src:    export.Source{Case: caseID, Bundle: bundlesName([]string{path})},
		counts: map[string]int{}, ids: map[string]bool{}, docs: map[string]*export.Document{},
	}
	var mu sync.Mutex
	var stderr bytes.Buffer
	e := &env{stderr: &stderr}
	res, err := caseEvents(context.Background(), e, &progress{e: e}, exportCase{src: x.src, bundles: []string{path}}, 0, func(ev *parse.Event) error {
		d := export.EventDoc(x.src, ev)
		mu.Lock()
		defer mu.Unlock()
		x.counts[ev.Source+"/"+ev.Node]++
		x.ids[d.ID] = true
		x.docs[d.ID] = d
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	x.findings = res.Findings
	findings := export.FindingDocs(x.src, res.Findings)
	for _, d := range findings {
		x.ids[d.ID] = true
		x.docs[d.ID] = d
	}
	// Every piece of evidence leads to an exported event (checkEveryID
	// then finds them all in the engine).
	for _, d := range findings {
		for _, ev := range d.Exlog.Finding.Evidence {
			if !x.ids[ev.EventID] {
				t.Errorf("finding %s: evidence %s (%s) is not among the exported events", d.ID, ev.EventID, ev.File)
			}
		}
	}
	return x
}

// checkCounts compares the engine's events per source and node with
// exlog's: all entries, or distinct event IDs where duplicates are known.
func (x *expected) checkCounts(t *testing.T, base string, distinct bool) {
	t.Helper()
	got := map[string]int{}
	count := "count()"
	if distinct {
		count = "count_uniq(event.id)"
	}
	for _, r := range logsQL(t, base, fmt.Sprintf(`exlog.case:=%q event.kind:=event | stats by (exlog.source, host.name) %s n`, x.src.Case, count)) {
		n, _ := strconv.Atoi(r["n"])
		got[r["exlog.source"]+"/"+r["host.name"]] = n
	}
	if !equalCounts(got, x.counts) {
		t.Errorf("events per source/node in VictoriaLogs:\n%v\nexlog read:\n%v", got, x.counts)
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// checkEveryID asserts that the engine holds each document exactly once.
func (x *expected) checkEveryID(t *testing.T, base string, copies int) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range logsQL(t, base, fmt.Sprintf(`exlog.case:=%q | fields event.id`, x.src.Case)) {
		seen[r["event.id"]]++
	}
	missing, extra := 0, 0
	for id := range x.ids {
		if seen[id] != copies {
			missing++
			if missing <= 5 {
				t.Errorf("%s is in VictoriaLogs %d times, want %d", id, seen[id], copies)
			}
		}
	}
	for id := range seen {
		if !x.ids[id] {
			extra++
			if extra <= 5 {
				t.Errorf("VictoriaLogs holds %s, which exlog did not export", id)
			}
		}
	}
	if missing+extra > 0 {
		t.Errorf("%d documents missing or wrongly counted, %d unknown, of %d", missing, extra, len(x.ids))
	}
}

// flatJSON flattens a document's JSON into the dotted names and string
// values VictoriaLogs stores.
func flatJSON(t *testing.T, d *export.Document) map[string]string {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var walk func(string, any)
	walk = func(p string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if p != "" {
					k = p + "." + k
				}
				walk(k, c)
			}
		case string:
			out[p] = x
		case json.Number:
			out[p] = x.String()
		default:
			b, _ := json.Marshal(x)
			out[p] = string(b)
		}
	}
	walk("", m)
	return out
}

// checkExactEvent fetches one document by its ID and compares every field.
func checkExactEvent(t *testing.T, base string, d *export.Document) {
	t.Helper()
	rows := logsQL(t, base, fmt.Sprintf(`event.id:=%q`, d.ID))
	if len(rows) != 1 {
		t.Fatalf("%s: %d rows", d.ID, len(rows))
	}
	got := rows[0]
	want := flatJSON(t, d)
	if got["_msg"] != want["message"] {
		t.Errorf("%s: _msg %q, want %q", d.ID, got["_msg"], want["message"])
	}
	gt, err1 := time.Parse(time.RFC3339Nano, got["_time"])
	wt, err2 := time.Parse(time.RFC3339Nano, want["@timestamp"])
	if err1 != nil || err2 != nil || !gt.Equal(wt) {
		t.Errorf("%s: _time %q, want %q", d.ID, got["_time"], want["@timestamp"])
	}
	delete(want, "message")
	delete(want, "@timestamp")
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q", d.ID, k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok && !strings.HasPrefix(k, "_") {
			t.Errorf("%s: VictoriaLogs has %s = %q, which exlog did not send", d.ID, k, got[k])
		}
	}
	if t.Failed() {
		t.Logf("row: %v", got)
	}
}

func runExport(t *testing.T, args ...string) string {
	t.Helper()
	_, stderr := exlogWant(t, exitOK, append([]string{"export"}, args...)...)
	return stderr
}

var summaryRE = regexp.MustCompile(`(\d+) sent, (\d+) rejected, (\d+) not sent, (\d+) retried`)

var alreadyRE = regexp.MustCompile(`(\d+) already present`)

// alreadyPresent reads the documents the summary says the engine held.
func alreadyPresent(t *testing.T, stderr string) int {
	t.Helper()
	m := alreadyRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no count of documents already present in:\n%s", stderr)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func summary(t *testing.T, stderr string) (sent, rejected, notSent, retried int) {
	t.Helper()
	m := summaryRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no summary in:\n%s", stderr)
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	return n(m[1]), n(m[2]), n(m[3]), n(m[4])
}

func TestExportToVictoriaLogs(t *testing.T) {
	base := startVictoriaLogs(t)
	vl := base + "/insert/elasticsearch"

	t.Run("corpus", func(t *testing.T) {
		dir := fixtures.Corpus(t, "")
		x := expect(t, "corpus", dir)
		stderr := runExport(t, "--to", vl, "--case", "corpus", dir)
		t.Logf("%s", stderr)
		sent, rejected, notSent, _ := summary(t, stderr)
		if sent != len(x.ids) || rejected != 0 || notSent != 0 {
			t.Fatalf("sent %d, rejected %d, not sent %d; exlog read %d documents", sent, rejected, notSent, len(x.ids))
		}
		x.checkCounts(t, base, false)
		x.checkEveryID(t, base, 1)
		// Documents over VictoriaLogs' line limit (256 KiB) arrive cut, with
		// their original length, instead of being skipped by the engine.
		cutRE := regexp.MustCompile(`(\d+) documents were larger than --max-doc-bytes`)
		cut := 0
		if m := cutRE.FindStringSubmatch(stderr); m != nil {
			cut, _ = strconv.Atoi(m[1])
		}
		rows := logsQL(t, base, `exlog.case:=corpus exlog.truncated.message:*`)
		if len(rows) != cut {
			t.Errorf("%d cut documents in VictoriaLogs, the summary says %d", len(rows), cut)
		}
		for _, r := range rows {
			orig, _ := strconv.Atoi(r["exlog.truncated.message"])
			if orig <= 256<<10 || len(r["_msg"]) >= 256<<10 || !strings.HasPrefix(x.docs[r["event.id"]].Message, strings.TrimSuffix(r["_msg"], " …")) {
				t.Errorf("cut document %s: message %d bytes, originally %d", r["event.id"], len(r["_msg"]), orig)
			}
		}
		if n := logsQLCount(t, base, `exlog.case:=corpus event.kind:=alert`); n != len(x.findings) {
			t.Errorf("%d findings in VictoriaLogs, exlog found %d", n, len(x.findings))
		}
		// One event of each source, compared field by field: the first by ID
		// with a time and a message.
		ids := make([]string, 0, len(x.docs))
		for id := range x.docs {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		checked := map[string]bool{}
		for _, id := range ids {
			d := x.docs[id]
			if d.Event.Kind != "event" || d.Timestamp == "" || d.Message == "" || checked[d.Exlog.Source] {
				continue
			}
			checked[d.Exlog.Source] = true
			checkExactEvent(t, base, d)
		}
		if !checked["evtx"] || !checked["evt"] {
			t.Errorf("the corpus gave no EVTX or EVT event to check: %v", checked)
		}

		// VictoriaLogs keeps every entry it is sent and ignores _id, so
		// exlog asks it first which documents it holds: a second export
		// sends none and the engine's counts stay what they were.
		// (Elasticsearch and OpenSearch replace documents by _id; see the
		// es-bulk test below.)
		stderr = runExport(t, "--to", vl, "--case", "corpus", dir)
		sent, rejected, notSent, _ = summary(t, stderr)
		if already := alreadyPresent(t, stderr); sent != 0 || rejected != 0 || notSent != 0 || already != len(x.ids) {
			t.Errorf("second export: sent %d, rejected %d, not sent %d, already present %d; want all %d already present\n%s", sent, rejected, notSent, already, len(x.ids), stderr)
		}
		x.checkEveryID(t, base, 1)
		rows = logsQL(t, base, `exlog.case:=corpus | stats count() n, count_uniq(event.id) u`)
		if len(rows) != 1 || rows[0]["n"] != strconv.Itoa(len(x.ids)) || rows[0]["u"] != strconv.Itoa(len(x.ids)) {
			t.Errorf("after a second export: %v, want n=u=%d", rows, len(x.ids))
		}
		x.checkCounts(t, base, false)
	})

	scenario := fixtures.Scenario("ex2003-rolling-upgrade-4node")

	t.Run("scenario", func(t *testing.T) {
		x := expect(t, "scenario", scenario)
		runExport(t, "--to", vl, "--case", "scenario", "--batch-docs", "100", scenario)
		x.checkCounts(t, base, false)
		x.checkEveryID(t, base, 1)
		// The finding the scenario's golden file lists, with evidence that
		// leads to events stored in the engine.
		rows := logsQL(t, base, `exlog.case:=scenario event.kind:=alert rule.id:=version-mismatch exlog.finding.cause:=moved-to-older-node`)
		if len(rows) != 1 {
			t.Fatalf("%d version-mismatch findings in VictoriaLogs, want 1", len(rows))
		}
		f := rows[0]
		if f["host.name"] != "NODE4" || f["log.level"] != "error" || !strings.Contains(f["_msg"], "EVS1") || f["_time"] != "2007-06-12T09:20:02.13Z" {
			t.Errorf("finding: %v", f)
		}
		var ev []export.Evidence
		if err := json.Unmarshal([]byte(f["exlog.finding.evidence"]), &ev); err != nil || len(ev) < 5 {
			t.Fatalf("evidence %q: %v", f["exlog.finding.evidence"], err)
		}
		for _, e := range ev {
			r := logsQL(t, base, fmt.Sprintf(`event.id:=%q`, e.EventID))
			if len(r) != 1 || r[0]["_msg"] != e.Text || r[0]["log.file.path"] != e.File {
				t.Errorf("evidence %s (%s): engine has %v", e.EventID, e.Text, r)
			}
		}
	})

	t.Run("faults", func(t *testing.T) {
		x := expect(t, "faults", scenario)
		p := &faultProxy{target: base}
		srv := httptest.NewServer(p)
		defer srv.Close()
		stderr := runExport(t, "--to", srv.URL+"/insert/elasticsearch", "--case", "faults",
			"--batch-docs", "50", "--concurrency", "1", "--backoff", "1ms", scenario)
		sent, rejected, notSent, retried := summary(t, stderr)
		// The proxy refuses the question which documents the engine holds:
		// exlog says so and sends everything.
		if !strings.Contains(stderr, "cannot ask the engine which documents of case faults") || alreadyPresent(t, stderr) != 0 {
			t.Errorf("no warning that the engine could not be asked, or documents skipped:\n%s", stderr)
		}
		if p.requests() < 6 {
			t.Fatalf("the proxy saw %d requests; the faults were not all played", p.requests())
		}
		// Three refused requests of 50 documents and two refused items.
		if sent != len(x.ids) || rejected != 0 || notSent != 0 || retried != 3*50+2 {
			t.Errorf("sent %d, rejected %d, not sent %d, retried %d; want %d sent, %d retried\n%s", sent, rejected, notSent, retried, len(x.ids), 3*50+2, stderr)
		}
		// Nothing lost: every document is there. The two items the proxy
		// reported as refused had been stored, so they are there twice.
		rows := logsQL(t, base, `exlog.case:=faults | stats count() n, count_uniq(event.id) u`)
		if len(rows) != 1 || rows[0]["u"] != strconv.Itoa(len(x.ids)) || rows[0]["n"] != strconv.Itoa(len(x.ids)+2) {
			t.Errorf("after faults: %v, want u=%d n=%d", rows, len(x.ids), len(x.ids)+2)
		}
		x.checkCounts(t, base, true)
	})

	t.Run("interrupted", func(t *testing.T) {
		const first = 3 * 50 // documents the proxy lets through
		x := expect(t, "resume", scenario)
		if len(x.ids) <= first {
			t.Fatalf("the scenario gives %d documents; the test needs more than %d", len(x.ids), first)
		}
		p := &cutProxy{target: base, bulks: first / 50}
		srv := httptest.NewServer(p)
		defer srv.Close()
		code, _, stderr := exlogRun(t, "export", "--to", srv.URL+"/insert/elasticsearch", "--case", "resume",
			"--batch-docs", "50", "--concurrency", "1", scenario)
		sent, _, notSent, _ := summary(t, stderr)
		if code == exitOK || sent != first || notSent == 0 || alreadyPresent(t, stderr) != 0 {
			t.Fatalf("interrupted export: exit %d, sent %d, not sent %d; want a failure after %d sent\n%s", code, sent, notSent, first, stderr)
		}
		if n := logsQLCount(t, base, `exlog.case:=resume`); n != first {
			t.Fatalf("%d documents in VictoriaLogs after the interrupted export, want %d", n, first)
		}

		// Run again: only the documents the engine lacks are sent.
		stderr = runExport(t, "--to", vl, "--case", "resume", "--batch-docs", "50", scenario)
		sent, rejected, notSent, _ := summary(t, stderr)
		if already := alreadyPresent(t, stderr); sent != len(x.ids)-first || rejected != 0 || notSent != 0 || already != first {
			t.Errorf("resumed export: sent %d, rejected %d, not sent %d, already present %d; want %d sent, %d already present\n%s",
				sent, rejected, notSent, already, len(x.ids)-first, first, stderr)
		}
		x.checkEveryID(t, base, 1)
		x.checkCounts(t, base, false)

		// --resend does not ask, and VictoriaLogs keeps the second copies.
		stderr = runExport(t, "--to", vl, "--case", "resume", "--resend", scenario)
		if sent, _, _, _ := summary(t, stderr); sent != len(x.ids) || alreadyPresent(t, stderr) != 0 {
			t.Errorf("--resend: sent %d, want %d\n%s", sent, len(x.ids), stderr)
		}
		x.checkEveryID(t, base, 2)
	})
}

// forward sends a request on to target and returns the answer.
func forward(target string, r *http.Request, body []byte) (*http.Response, []byte, error) {
	req, _ := http.NewRequest(r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
	for _, h := range []string{"Content-Type", "Content-Encoding"} {
		req.Header.Set(h, r.Header.Get(h))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp, out, err
}

// cutProxy forwards queries and the first bulks _bulk requests to
// VictoriaLogs, then refuses every _bulk request as unauthorised, which
// stops an export halfway.
type cutProxy struct {
	target string
	bulks  int
	mu     sync.Mutex
	n      int
}

func (p *cutProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	if strings.HasSuffix(r.URL.Path, "/_bulk") {
		p.mu.Lock()
		p.n++
		n := p.n
		p.mu.Unlock()
		if n > p.bulks {
			http.Error(w, "cut by the test proxy", http.StatusForbidden)
			return
		}
	}
	resp, out, err := forward(p.target, r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(out)
}

// faultProxy stands between the exporter and VictoriaLogs, refuses every
// LogsQL query, and plays on _bulk requests, in order: 429 with Retry-After, 503, a connection dropped without an
// answer, then a forwarded request whose first two items it reports as
// refused with 429 (as a busy Elasticsearch does item by item), then it
// forwards everything.
type faultProxy struct {
	target string
	mu     sync.Mutex
	n      int
}

func (p *faultProxy) requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/_bulk") {
		http.Error(w, "the test proxy answers no queries", http.StatusForbidden)
		return
	}
	p.mu.Lock()
	p.n++
	n := p.n
	p.mu.Unlock()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	switch n {
	case 1:
		w.Header().Set("Retry-After", "0")
		http.Error(w, `{"error":"too many requests"}`, http.StatusTooManyRequests)
		return
	case 2:
		http.Error(w, "upstream unavailable", http.StatusServiceUnavailable)
		return
	case 3:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	resp, out, err := forward(p.target, r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if n == 4 && resp.StatusCode == 200 {
		var res struct {
			Took  int               `json:"took"`
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(out, &res); err != nil || len(res.Items) < 2 {
			http.Error(w, "proxy: unexpected bulk response", http.StatusBadGateway)
			return
		}
		refused := json.RawMessage(`{"create":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"injected by the test proxy"}}}`)
		res.Items[0], res.Items[1] = refused, refused
		out, _ = json.Marshal(map[string]any{"took": res.Took, "errors": true, "items": res.Items})
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(out)
}

// TestExportIDsAreStable checks idempotence where it is decided: the
// es-bulk output. Two exports of a bundle, and an export of the index that
// exlog triage wrote for it, carry the same _id set; the two bundle
// exports carry the same documents under each _id.
func TestExportIDsAreStable(t *testing.T) {
	scenario := fixtures.Scenario("ex2003-rolling-upgrade-4node")
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.bulk"), filepath.Join(dir, "b.bulk"), filepath.Join(dir, "c.bulk")
	runExport(t, "--out", a, "--case", "42", scenario)
	runExport(t, "--out", b, "--case", "42", scenario)
	idx := filepath.Join(dir, "scenario.exlog")
	if code, _, stderr := exlogRun(t, "triage", "--index", idx, "--format", "json", scenario); code != exitFindings && code != exitOK {
		t.Fatalf("triage: exit %d\n%s", code, stderr)
	}
	runExport(t, "--out", c, "--case", "42", "--index", idx)
	da, db, dc := readBulk(t, a), readBulk(t, b), readBulk(t, c)
	if len(da) < 100 || len(da) != len(db) || len(da) != len(dc) {
		t.Fatalf("documents: %d, %d, %d from the index", len(da), len(db), len(dc))
	}
	findings := 0
	for id, doc := range da {
		if db[id] != doc {
			t.Errorf("%s differs between two exports:\n%s\n%s", id, doc, db[id])
		}
		other, ok := dc[id]
		if !ok {
			t.Errorf("%s is missing from the export of the index", id)
			continue
		}
		if strings.Contains(id, "-finding:") {
			findings++
			if other != doc {
				t.Errorf("finding %s differs when read from the index:\n%s\n%s", id, doc, other)
			}
		}
	}
	if findings == 0 {
		t.Error("no finding among the documents")
	}
	// A different case makes different IDs.
	d := filepath.Join(dir, "d.bulk")
	runExport(t, "--out", d, "--case", "43", scenario)
	for id := range readBulk(t, d) {
		if _, ok := da[id]; ok {
			t.Fatalf("%s is the same for case 42 and 43", id)
		}
	}
}

// readBulk maps each _id of an es-bulk file to its document line.
func readBulk(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	out := map[string]string{}
	for sc.Scan() {
		var a struct {
			Index struct {
				ID string `json:"_id"`
			} `json:"index"`
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil || a.Index.ID == "" {
			t.Fatalf("%s: bad action line %s", path, sc.Text())
		}
		if !sc.Scan() {
			t.Fatalf("%s: action without document", path)
		}
		if _, dup := out[a.Index.ID]; dup {
			t.Fatalf("%s: _id %s twice", path, a.Index.ID)
		}
		out[a.Index.ID] = sc.Text()
	}
	return out
}

func TestExportUsage(t *testing.T) {
	scenario := fixtures.Scenario("healthy-single-restart")
	for _, args := range [][]string{
		{"export", scenario},
		{"export", "--to", "http://127.0.0.1:1", "--out", "x", scenario},
		{"export", "--to", "http://127.0.0.1:1", "--format", "timesketch", scenario},
		{"export", "--out", "x"},
		{"export", "--out", "x", "--index", "y", scenario},
		{"export", "--out", "x", "--format", "xml", scenario},
		{"export", "--to", "es:9200", scenario},
		{"export", "--to", "https://u:p@es:9200", scenario},
		{"export", "--out", "x", "--index", filepath.Join(t.TempDir(), "none.exlog")},
	} {
		code, _, stderr := exlogRun(t, args...)
		if code != exitUsage || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// TestExportTimesketchFile writes a Timesketch JSONL file and checks the
// import format's required fields on every line.
func TestExportTimesketchFile(t *testing.T) {
	bundle := filepath.Join(fixtures.Dir(), "bundles", "all-formats.zip")
	out := filepath.Join(t.TempDir(), "case.jsonl")
	stderr := runExport(t, "--out", out, "--format", "timesketch", bundle)
	m := regexp.MustCompile(`(\d+) events and (\d+) findings: (\d+) documents written`).FindStringSubmatch(stderr)
	u := regexp.MustCompile(`(\d+) documents without a time were left out`).FindStringSubmatch(stderr)
	if m == nil || u == nil {
		t.Fatalf("summary: %s", stderr)
	}
	events, _ := strconv.Atoi(m[1])
	findings, _ := strconv.Atoi(m[2])
	written, _ := strconv.Atoi(m[3])
	untimed, _ := strconv.Atoi(u[1])
	if written+untimed != events+findings || untimed == 0 {
		t.Errorf("written %d + untimed %d != %d events + %d findings", written, untimed, events, findings)
	}
	b := parsetest.ReadFile(t, out)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != written {
		t.Fatalf("%d lines, %d written", len(lines), written)
	}
	for i, l := range lines {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		for _, k := range []string{"message", "datetime", "timestamp_desc", "timestamp"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("line %d lacks %s: %s", i+1, k, l)
			}
		}
	}
	// A failed export leaves no file behind.
	bad := filepath.Join(t.TempDir(), "none.jsonl")
	if code, _, _ := exlogRun(t, "export", "--out", bad, "--format", "timesketch", filepath.Join(t.TempDir(), "empty")); code == exitOK {
		t.Error("exporting a missing bundle succeeded")
	}
	if _, err := os.Stat(bad); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s exists after a failed export", bad)
	}
}

// TestExportReportsRejections: an engine that refuses one document of each
// request (as Elasticsearch does on a mapping conflict) makes the export
// fail with exit 4, naming each refused document and counting them.
func TestExportReportsRejections(t *testing.T) {
	var mu sync.Mutex
	refused := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Header.Get("Content-Encoding") != "" {
			http.Error(w, "want an uncompressed body", 400)
			return
		}
		lines := strings.Split(strings.TrimSpace(string(body)), "\n")
		var items []string
		for i := 0; i+1 < len(lines); i += 2 {
			var a struct {
				Index struct {
					ID string `json:"_id"`
				} `json:"index"`
			}
			json.Unmarshal([]byte(lines[i]), &a)
			if i == 0 {
				mu.Lock()
				refused[a.Index.ID] = true
				mu.Unlock()
				items = append(items, fmt.Sprintf(`{"index":{"_id":%q,"status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [exlog.fields.x]"}}}`, a.Index.ID))
				continue
			}
			items = append(items, fmt.Sprintf(`{"index":{"_id":%q,"status":201}}`, a.Index.ID))
		}
		fmt.Fprintf(w, `{"errors":true,"items":[%s]}`, strings.Join(items, ","))
	}))
	defer srv.Close()
	scenario := fixtures.Scenario("ex2003-rolling-upgrade-4node")
	_, stderr := exlogWant(t, exitIncomplete, "export", "--to", srv.URL, "--no-gzip", "--batch-docs", "40", scenario)
	sent, rejected, notSent, _ := summary(t, stderr)
	if rejected != len(refused) || rejected < 3 || notSent != 0 || sent == 0 {
		t.Errorf("sent %d, rejected %d (the engine refused %d), not sent %d", sent, rejected, len(refused), notSent)
	}
	for id := range refused {
		if !strings.Contains(stderr, "rejected "+id+": status 400 mapper_parsing_exception") {
			t.Errorf("stderr does not name %s:\n%s", id, stderr)
		}
	}
	if !strings.Contains(stderr, fmt.Sprintf("rejected by type: %d mapper_parsing_exception", len(refused))) {
		t.Errorf("no count by type:\n%s", stderr)
	}
}

func TestExportCases(t *testing.T) {
	cs := exportCases([]string{"a/x.zip", "b/x.zip", "c/y"}, "")
	if len(cs) != 3 || cs[0].src.Bundle != "x" || cs[1].src.Bundle != "x-2" || cs[2].src.Bundle != "y" || cs[0].src.Case != "" {
		t.Errorf("separate cases: %+v", cs)
	}
	cs = exportCases([]string{"a/x.zip", "c/y"}, "00123")
	if len(cs) != 1 || cs[0].src != (export.Source{Case: "00123", Bundle: "x+y"}) || len(cs[0].bundles) != 2 {
		t.Errorf("one case: %+v", cs)
	}
	// An index remembers its bundles and the case triage named, so its
	// export has the identity of an export of the bundles.
	for _, tc := range []struct {
		meta triageResult
		flag string
		want export.Source
	}{
		{triageResult{Bundle: "x", Sources: []string{"/cases/x.zip"}}, "", export.Source{Bundle: "x"}},
		{triageResult{Bundle: "00123", Sources: []string{"/a/x.zip", "/c/y"}}, "", export.Source{Case: "00123", Bundle: "x+y"}},
		{triageResult{Bundle: "x", Sources: []string{"/cases/x.zip"}}, "00124", export.Source{Case: "00124", Bundle: "x"}},
	} {
		if got := indexSource(&tc.meta, tc.flag); got != tc.want {
			t.Errorf("indexSource(%+v, %q) = %+v, want %+v", tc.meta, tc.flag, got, tc.want)
		}
	}
}
