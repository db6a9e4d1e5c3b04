package server

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/rerank"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

func newRerankServer(t *testing.T, opt Options) (*rerank.Reranker, *httptest.Server) {
	t.Helper()
	r, err := rerank.New(modelgen.TestModel(t, "bert-cross-encoder"), embed.WithThreads(2), embed.WithMaxLength(64))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	opt.Logger = quietLogger()
	s := New(nil, opt)
	s.SetReranker(r)
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		s.Shutdown(context.Background())
	})
	return r, ts
}

func TestRerankRoutes(t *testing.T) {
	r, ts := newRerankServer(t, Options{ModelName: "my/reranker"})
	docs := []string{"Paris is the capital of France.", "Bananas are yellow.", "France borders Spain."}
	want, err := r.Scores(context.Background(), "capital of France?", docs)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := r.RerankDetailed(context.Background(), "capital of France?", docs, rerank.Options{RawScores: true})
	if err != nil {
		t.Fatal(err)
	}
	docsJSON, _ := json.Marshal(docs)

	// TEI /rerank: sorted, scores as the library's, text on request, raw scores.
	for _, rawScores := range []bool{false, true} {
		code, body := post(t, ts.URL+"/rerank", `{"query":"capital of France?","texts":`+string(docsJSON)+`,"return_text":true,"raw_scores":`+map[bool]string{false: "false", true: "true"}[rawScores]+`}`)
		if code != 200 {
			t.Fatalf("/rerank: %d %s", code, body)
		}
		var got []struct {
			Index int     `json:"index"`
			Score float32 `json:"score"`
			Text  string  `json:"text"`
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil || len(got) != len(docs) {
			t.Fatalf("/rerank body %s (%v)", body, err)
		}
		ref := want
		if rawScores {
			ref = raw.Scores
		}
		for k, g := range got {
			if err := numtest.Check([]float32{g.Score}, ref[g.Index:g.Index+1], numtest.Tol{Abs: 1e-6}); err != nil || g.Text != docs[g.Index] {
				t.Errorf("/rerank result %d: %+v (%v)", k, g, err)
			}
			if k > 0 && !(got[k-1].Score >= g.Score) {
				t.Errorf("/rerank not sorted: %s", body)
			}
		}
	}
	long := strings.Repeat("word ", 200)
	if code, body := post(t, ts.URL+"/rerank", `{"query":"q","texts":["`+long+`"],"truncate":false}`); code != 413 || !strings.Contains(body, "Validation") {
		t.Errorf("/rerank truncate false on a long text: %d %s", code, body)
	}
	if code, body := post(t, ts.URL+"/rerank", `{"query":"q","texts":["`+long+`"]}`); code != 200 {
		t.Errorf("/rerank long text, truncating: %d %s", code, body)
	}

	// Cohere/Jina /v1/rerank: top_n, documents as strings or objects, usage.
	code, body := post(t, ts.URL+"/v1/rerank", `{"model":"my/reranker","query":"capital of France?","documents":["Paris is the capital of France.",{"text":"Bananas are yellow."},"France borders Spain."],"top_n":2,"return_documents":true}`)
	if code != 200 {
		t.Fatalf("/v1/rerank: %d %s", code, body)
	}
	var v1 struct {
		Results []struct {
			Index          int     `json:"index"`
			RelevanceScore float32 `json:"relevance_score"`
			Document       struct {
				Text string `json:"text"`
			} `json:"document"`
		} `json:"results"`
		Model string `json:"model"`
		Usage struct {
			TotalTokens int `json:"total_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal([]byte(body), &v1); err != nil || len(v1.Results) != 2 || v1.Model != "my/reranker" || v1.Usage.TotalTokens < 3 {
		t.Fatalf("/v1/rerank body %s (%v)", body, err)
	}
	for _, res := range v1.Results {
		if err := numtest.Check([]float32{res.RelevanceScore}, want[res.Index:res.Index+1], numtest.Tol{Abs: 1e-6}); err != nil || res.Document.Text != docs[res.Index] {
			t.Errorf("/v1/rerank result %+v (%v)", res, err)
		}
	}
	if !(v1.Results[0].RelevanceScore >= v1.Results[1].RelevanceScore) {
		t.Errorf("/v1/rerank not sorted: %s", body)
	}

	// Bad requests: a clear 4xx in each API's error format.
	for _, tc := range []struct {
		path, body, want string
		code             int
	}{
		{"/v1/rerank", `{"query":"q","documents":[1]}`, `documents[0]`, 400},
		{"/v1/rerank", `{"query":"q","documents":["a"],"top_n":0}`, `top_n`, 400},
		{"/v1/rerank", `{"model":"other","query":"q","documents":["a"]}`, `model_not_found`, 404},
		{"/v1/rerank", `{"documents":["a"]}`, `missing field`, 400},
		{"/v1/rerank", `{"query":"q","documents":[]}`, `no documents`, 400},
		{"/rerank", `{"texts":["a"]}`, `missing field`, 400},
		{"/rerank", `{"query":"q","texts":"a"}`, `texts`, 400},
		// A reranker does not embed.
		{"/embed", `{"inputs":"a"}`, `is a reranker`, 422}, // TEI answers validation errors with 422
		{"/v1/embeddings", `{"input":"a"}`, `is a reranker`, 400},
	} {
		code, body := post(t, ts.URL+tc.path, tc.body)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s %s: %d %s, want %d with %q", tc.path, tc.body, code, body, tc.code, tc.want)
		}
	}
	resp, err := ts.Client().Get(ts.URL + "/health")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("/health of a reranker: %v %v", resp, err)
	}
}

// An embedding model answers the rerank routes with a clear 400.
func TestRerankOnEmbedder(t *testing.T) {
	_, ts := newTestServer(t, &fakeEmbedder{}, Options{})
	for _, path := range []string{"/rerank", "/v1/rerank"} {
		code, body := post(t, ts.URL+path, `{"query":"q","texts":["a"],"documents":["a"]}`)
		if code != 400 || !strings.Contains(body, "cannot rerank") {
			t.Errorf("%s on an embedder: %d %s", path, code, body)
		}
	}
}

// fakeReranker scores a document by its length.
type fakeReranker struct{}

func (fakeReranker) RerankDetailed(ctx context.Context, query string, docs []string, opt rerank.Options) (rerank.Scored, error) {
	s := rerank.Scored{Scores: make([]float32, len(docs)), Inputs: make([]embed.InputStats, len(docs))}
	for i, d := range docs {
		s.Scores[i] = float32(len(d))
		s.Inputs[i].Tokens = len(d) + 1
		s.TotalTokens += len(d) + 1
	}
	return s, nil
}

func (fakeReranker) Info() rerank.Info { return rerank.Info{ID: "fake", Kind: rerank.CrossEncoder} }

// Any body gets 200 or a 4xx with a JSON body, never a 5xx or a panic.
func FuzzRerankRequests(f *testing.F) {
	for _, s := range []string{
		`{"query":"q","texts":["a","bb"],"return_text":true}`,
		`{"query":"q","documents":["a",{"text":"b"}],"top_n":1,"return_documents":true}`,
		`{"query":"q","documents":[{"text":1}]}`, `{"query":null}`, `[]`, `{"top_n":-1}`, `{"texts":[null]}`,
	} {
		f.Add(s)
	}
	s := New(nil, Options{Logger: quietLogger(), ModelName: "fake"})
	s.SetReranker(fakeReranker{})
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/rerank", "/v1/rerank"} {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest("POST", path, strings.NewReader(body)))
			if w.Code != 200 && (w.Code < 400 || w.Code >= 500) {
				t.Fatalf("%s %q: status %d %s", path, body, w.Code, w.Body)
			}
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("%s %q: body is not JSON: %s", path, body, w.Body)
			}
		}
	})
}
