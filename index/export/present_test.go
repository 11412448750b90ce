package export

// The integration test in cmd/exlog asks a real VictoriaLogs; these cover
// the endpoint's derivation, the credentials and answers it will not give
// on demand.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestQueryURLFor(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:9428/insert/elasticsearch":                        "http://127.0.0.1:9428/select/logsql/query",
		"https://vl.example/logs/insert/elasticsearch/_bulk?_msg_field=m":   "https://vl.example/logs/select/logsql/query",
		"https://es.example:9200":                                           "",
		"https://es.example:9200/insert/elasticsearch/other/_bulk?pipeline": "",
	} {
		bulk, err := BulkURL(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := queryURLFor(bulk); got != want {
			t.Errorf("queryURLFor(%q) = %q, want %q", bulk, got, want)
		}
	}
}

func TestPresentIDs(t *testing.T) {
	var query, auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/select/logsql/query" {
			http.NotFound(w, r)
			return
		}
		query, auth = r.FormValue("query"), r.Header.Get("Authorization")
		// VictoriaLogs answers one JSON object per line; a row without
		// the field (a document from elsewhere) holds no ID.
		fmt.Fprint(w, "{\"event.id\":\"a-1\"}\n{\"event.id\":\"a-2\"}\n\n{}\n")
	}))
	defer srv.Close()
	c, err := NewClient(context.Background(), ClientOptions{URL: srv.URL + "/insert/elasticsearch", APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.ListsPresent() {
		t.Fatal("a VictoriaLogs URL does not list present documents")
	}
	ids, err := c.PresentIDs(context.Background(), Source{Case: `c "1"`, Bundle: "b.zip"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `exlog.case:="c \"1\"" exlog.bundle:="b.zip" | fields event.id`; query != want {
		t.Errorf("query %q, want %q", query, want)
	}
	if auth != "ApiKey k" {
		t.Errorf("Authorization %q, want the API key", auth)
	}
	if ids.Len() != 2 || !ids.Has("a-1") || !ids.Has("a-2") || ids.Has("a-3") || ids.Has("") {
		t.Errorf("IDs: %d, a-1 %v, a-2 %v, a-3 %v", ids.Len(), ids.Has("a-1"), ids.Has("a-2"), ids.Has("a-3"))
	}
	var none *IDSet
	if none.Has("a-1") || none.Len() != 0 {
		t.Error("a nil set holds something")
	}
}

func TestPresentIDsRefused(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"status": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "query disabled", http.StatusForbidden)
		},
		"not LogsQL": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "<html>login</html>\n")
		},
		"line too long": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"event.id":"`+strings.Repeat("x", maxIDLine)+"\"}\n")
		},
	} {
		srv := httptest.NewServer(h)
		c, err := NewClient(context.Background(), ClientOptions{URL: srv.URL + "/insert/elasticsearch"})
		if err != nil {
			t.Fatal(err)
		}
		if ids, err := c.PresentIDs(context.Background(), Source{Bundle: "b"}); err == nil {
			t.Errorf("%s: %d IDs and no error", name, ids.Len())
		}
		c.Close()
		srv.Close()
	}
	c, err := NewClient(context.Background(), ClientOptions{URL: "https://es.example:9200"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.ListsPresent() {
		t.Error("an Elasticsearch URL lists present documents")
	}
	if _, err := c.PresentIDs(context.Background(), Source{Bundle: "b"}); err == nil {
		t.Error("PresentIDs asked an engine other than VictoriaLogs")
	}
}
