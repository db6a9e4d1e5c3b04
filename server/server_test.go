package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gembed-dev/gembed/embed"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	dto "github.com/prometheus/client_model/go"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestServer(t *testing.T, f *fakeEmbedder, opt Options) (*Server, *httptest.Server) {
	t.Helper()
	if opt.Logger == nil {
		opt.Logger = quietLogger()
	}
	var e Embedder
	if f != nil {
		e = f
	}
	s := New(e, opt)
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		s.Shutdown(context.Background())
	})
	return s, ts
}

func close32(a []float32, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i])-b[i]) > 1e-6 {
			return false
		}
	}
	return true
}

// waitQueued waits until n inputs wait in s's queue.
func waitQueued(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.queue.mu.Lock()
		got := len(s.queue.items)
		s.queue.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d inputs queued, want %d", got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOpenAIClient(t *testing.T) {
	_, ts := newTestServer(t, &fakeEmbedder{}, Options{})
	client := openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	ctx := context.Background()

	tests := []struct {
		name   string
		params openai.EmbeddingNewParams
		texts  []string
		dims   int
	}{
		{"string", openai.EmbeddingNewParams{Model: "fake/model",
			Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hello")}}, []string{"hello"}, fakeHidden},
		{"array", openai.EmbeddingNewParams{Model: "fake/model",
			Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "", "longer text"}}}, []string{"a", "", "longer text"}, fakeHidden},
		{"dimensions", openai.EmbeddingNewParams{Model: "fake/model", Dimensions: openai.Int(3),
			Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}}, []string{"a", "b"}, 3},
		{"base64", openai.EmbeddingNewParams{Model: "fake/model", EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
			Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"x", "yz"}}}, []string{"x", "yz"}, fakeHidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client.Embeddings.New(ctx, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Data) != len(tt.texts) || resp.Model != "fake/model" {
				t.Fatalf("got %d vectors, model %q", len(resp.Data), resp.Model)
			}
			tokens := 0
			for i, d := range resp.Data {
				tokens += len(tt.texts[i]) + 1
				if d.Index != int64(i) || !close32(want(tt.texts[i], tt.dims, true), d.Embedding) {
					t.Fatalf("vector %d (index %d) = %v, want %v", i, d.Index, d.Embedding, want(tt.texts[i], tt.dims, true))
				}
			}
			if resp.Usage.PromptTokens != int64(tokens) || resp.Usage.TotalTokens != int64(tokens) {
				t.Fatalf("usage %+v, want %d tokens", resp.Usage, tokens)
			}
		})
	}

	t.Run("error", func(t *testing.T) {
		_, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "fake/model", Dimensions: openai.Int(99),
			Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != "dimensions" || apiErr.Type != "invalid_request_error" {
			t.Fatalf("err = %v", err)
		}
	})
}

// idsVec is the answer for token-id input ids: used as given.
func idsVec(ids []int) string {
	b, _ := json.Marshal(embed.Finish(fakeVector(ids), fakeHidden, true))
	return string(b)
}

// similarityWant is TEI's /similarity answer: cosines of source with each.
func similarityWant(source string, sentences ...string) string {
	scores := make([]float64, len(sentences))
	for i, s := range sentences {
		scores[i] = embed.Cosine(want(source, fakeHidden, true), want(s, fakeHidden, true))
	}
	b, _ := json.Marshal(scores)
	return string(b)
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRoutes(t *testing.T) {
	_, ts := newTestServer(t, &fakeEmbedder{}, Options{MaxInputs: 3, MaxBodyBytes: 1000})
	vec := func(text string, dims int, normalize bool) string {
		b, _ := json.Marshal(want(text, dims, normalize))
		return string(b)
	}
	long := strings.Repeat("x", 50)
	tests := []struct {
		name     string
		path     string
		body     string
		status   int
		wantBody string // exact JSON (compact), or a substring when prefixed with "~"
	}{
		{"tei string", "/embed", `{"inputs":"hi"}`, 200, "[" + vec("hi", 8, true) + "]"},
		{"tei array raw dims", "/embed", `{"inputs":["a","b"],"normalize":false,"dimensions":2}`, 200,
			"[" + vec("a", 2, false) + "," + vec("b", 2, false) + "]"},
		{"tei prompt", "/embed", `{"inputs":"hi","prompt_name":"query"}`, 200, "[" + vec("Q:hi", 8, true) + "]"},
		{"tei truncates by default", "/embed", `{"inputs":["a","` + long + `"]}`, 200, "~["},
		{"tei no truncate", "/embed", `{"inputs":"` + long + `","truncate":false}`, 413,
			`{"error":"input 0 has 51 tokens, more than the model's maximum of 32 (truncation is off)","error_type":"Validation"}`},
		{"tei unknown prompt", "/embed", `{"inputs":"hi","prompt_name":"nope"}`, 422, `~"error_type":"Validation"`},
		{"tei empty list", "/embed", `{"inputs":[]}`, 400, `{"error":"\"inputs\" is an empty list","error_type":"Empty"}`},
		{"tei missing inputs", "/embed", `{}`, 400, `{"error":"\"inputs\" is required","error_type":"Empty"}`},
		{"tei bad json", "/embed", `{"inputs":`, 422, `~"error_type":"Validation"`},
		{"tei too many", "/embed", `{"inputs":["a","b","c","d"]}`, 413, `~4 inputs is more than the limit of 3`},
		{"tei wrong type", "/embed", `{"inputs":[true]}`, 422, `~inputs[0] must be a string`},
		{"tei token ids", "/embed", `{"inputs":[1,2]}`, 200, "[" + idsVec([]int{1, 2}) + "]"},
		{"tei similarity", "/similarity", `{"inputs":{"source_sentence":"a","sentences":["a","b"]}}`, 200, similarityWant("a", "a", "b")},
		{"tei similarity empty", "/similarity", `{"inputs":{"source_sentence":"a","sentences":[]}}`, 422, `~"error_type":"Empty"`},
		{"tei dims too big", "/embed", `{"inputs":"a","dimensions":9}`, 422, `~dimensions 9 is more than the model's 8`},
		{"openai empty string ok", "/v1/embeddings", `{"input":"","model":"fake/model"}`, 200, `~"prompt_tokens":1,`},
		{"openai other model", "/v1/embeddings", `{"input":"a","model":"text-embedding-3-small"}`, 404,
			`{"error":{"message":"the model \"text-embedding-3-small\" does not exist here; this server serves \"fake/model\"","type":"invalid_request_error","param":"model","code":"model_not_found"}}`},
		{"openai prompt conflict", "/v1/embeddings", `{"input":"a","prompt_name":"query","instruction":"Find"}`, 400, `~give one of prompt_name, instruction`},
		{"tei prompt conflict", "/embed", `{"inputs":"a","prompt_name":"query","prompt":"x: "}`, 422, `~give one of prompt, prompt_name`},
		{"openai free prompt", "/v1/embeddings", `{"input":"a","prompt":"Q:","encoding_format":"float"}`, 200, `~` + strings.TrimSuffix(vec("Q:a", 8, true), "]")},
		{"openai token ids", "/v1/embeddings", `{"input":[5,6,256]}`, 200, `~"prompt_tokens":3,`},
		{"openai token id batches", "/v1/embeddings", `{"input":[[5,6],[7]]}`, 200, `~"prompt_tokens":3,`},
		{"openai token id out of vocab", "/v1/embeddings", `{"input":[[5,6],[300]]}`, 400, `~token id 300 is outside the model's vocabulary (0..299)`},
		{"openai negative token id", "/v1/embeddings", `{"input":[-1]}`, 400, `~must be a token id`},
		{"openai token ids with prompt", "/v1/embeddings", `{"input":[1],"prompt_name":"query"}`, 400, `~token-id inputs take no prompt`},
		{"openai mixed ids and text", "/v1/embeddings", `{"input":[[1],"a"]}`, 400, `~must be an array of token ids`},
		{"openai user accepted", "/v1/embeddings", `{"input":"a","user":"user-1234"}`, 200, `~"object":"list"`},
		{"openai unknown route", "/v1/chat/completions", `{}`, 404, `~{"error":{"message":"no route POST /v1/chat/completions`},
		{"openai models wrong method", "/v1/models", `{}`, 405, `{"error":{"message":"use GET","type":"invalid_request_error","param":null,"code":null}}`},
		{"openai extension instruction", "/v1/embeddings", `{"input":"q","instruction":"Find"}`, 200, `~"object":"embedding"`},
		{"openai bad format", "/v1/embeddings", `{"input":"a","encoding_format":"int8"}`, 400,
			`{"error":{"message":"encoding_format \"int8\" is not \"float\" or \"base64\"","type":"invalid_request_error","param":"encoding_format","code":null}}`},
		{"openai not an object", "/v1/embeddings", `[1,2]`, 400, `~invalid JSON body`},
		{"openai trailing data", "/v1/embeddings", `{"input":"a"} {}`, 400, `~unexpected data after the JSON object`},
		{"openai number input", "/v1/embeddings", `{"input":5}`, 400, `~must be a string, an array of strings or an array of token ids`},
		{"openai zero dims", "/v1/embeddings", `{"input":"a","dimensions":0}`, 400, `~dimensions 0 must be at least 1`},
		{"openai huge dims", "/v1/embeddings", `{"input":"a","dimensions":1e30}`, 400,
			`{"error":{"message":"\"dimensions\" must be an integer, not number 1e30","type":"invalid_request_error","param":"dimensions","code":null}}`},
		{"openai string dims", "/v1/embeddings", `{"input":"a","dimensions":"8"}`, 400, `~"dimensions\" must be an integer, not string`},
		{"openai model not a string", "/v1/embeddings", `{"input":"a","model":5}`, 400, `~"model\" must be a string, not number`},
		{"tei normalize not a bool", "/embed", `{"inputs":"a","normalize":"yes"}`, 422,
			`{"error":"\"normalize\" must be true or false, not string","error_type":"Validation"}`},
		{"unknown route", "/v2/embed", `{}`, 404, `~{"error":"no route /v2/embed`},
		{"body too large", "/v1/embeddings", `{"input":"` + strings.Repeat("y", 2000) + `"}`, 413, `~larger than the limit of 1000 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(ts.URL+tt.path, "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			status, body := resp.StatusCode, string(b)
			if trunc := resp.Header.Get(TruncatedHeader); (trunc != "") != strings.Contains(tt.name, "truncates") || (trunc != "" && trunc != "1") {
				t.Fatalf("%s: %q", TruncatedHeader, trunc)
			}
			body = strings.TrimSpace(body)
			if status != tt.status {
				t.Fatalf("status %d, want %d; body %s", status, tt.status, body)
			}
			if sub, ok := strings.CutPrefix(tt.wantBody, "~"); ok {
				if !strings.Contains(body, sub) {
					t.Fatalf("body %s does not contain %s", body, sub)
				}
			} else if body != tt.wantBody {
				t.Fatalf("body\n%s\nwant\n%s", body, tt.wantBody)
			}
		})
	}
}

// A body bigger than the limit without Content-Length is cut off by
// http.MaxBytesReader, not read whole.
func TestBodyLimitStreaming(t *testing.T) {
	_, ts := newTestServer(t, &fakeEmbedder{}, Options{MaxBodyBytes: 1 << 10})
	pr, pw := io.Pipe()
	written := make(chan int64)
	go func() {
		n, _ := io.Copy(pw, io.LimitReader(infiniteInput{}, 64<<20))
		pw.Close()
		written <- n
	}()
	req, _ := http.NewRequest("POST", ts.URL+"/embed", pr)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	pr.CloseWithError(errors.New("done"))
	if resp.StatusCode != 413 {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	if n := <-written; n >= 64<<20 {
		t.Fatalf("the server read the whole %d-byte body", n)
	}
}

type infiniteInput struct{}

func (infiniteInput) Read(p []byte) (int, error) {
	copy(p, `{"inputs":"`)
	for i := 11; i < len(p); i++ {
		p[i] = 'a'
	}
	return len(p), nil
}

func TestHealthAndLoading(t *testing.T) {
	s, ts := newTestServer(t, nil, Options{})
	get := func(path string) int {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// Liveness and readiness differ: alive at once, ready after the load.
	if c := get("/health"); c != 200 {
		t.Fatalf("health before load: %d", c)
	}
	if c := get("/ready"); c != 503 {
		t.Fatalf("ready before load: %d", c)
	}
	if c, body := post(t, ts.URL+"/embed", `{"inputs":"a"}`); c != 503 || !strings.Contains(body, `"error_type":"Unhealthy"`) {
		t.Fatalf("embed before load: %d %s", c, body)
	}
	s.SetEmbedder(&fakeEmbedder{})
	if c := get("/health"); c != 200 {
		t.Fatalf("health after load: %d", c)
	}
	if c := get("/ready"); c != 200 {
		t.Fatalf("ready after load: %d", c)
	}
	if c, _ := post(t, ts.URL+"/health", ``); c != 405 {
		t.Fatalf("POST /health: %d", c)
	}
	if c := get("/embed"); c != 405 {
		t.Fatalf("GET /embed: %d", c)
	}
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{"gembed_requests_total", "gembed_request_duration_seconds", "gembed_queue_tokens",
		"go_goroutines", "go_memstats_heap_alloc_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		if !bytes.Contains(b, []byte(name)) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// Requests of several clients end up in one model call, and each gets its
// own vectors back.
func TestBatchingAcrossClients(t *testing.T) {
	f := &fakeEmbedder{block: make(chan struct{}), started: make(chan struct{}, 100)}
	s, ts := newTestServer(t, f, Options{})
	// The first request occupies the worker; the next ones queue up together.
	var wg sync.WaitGroup
	results := make([]string, 6)
	status := make([]int, 6)
	for i := range 6 {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			status[i], results[i] = post(t, ts.URL+"/embed", fmt.Sprintf(`{"inputs":["t%d","u%d"]}`, i, i))
		}(i)
		if i == 0 {
			<-f.started
		}
	}
	waitQueued(t, s, 10)
	close(f.block)
	wg.Wait()
	for i := range 6 {
		w, _ := json.Marshal([][]float32{want(fmt.Sprintf("t%d", i), 8, true), want(fmt.Sprintf("u%d", i), 8, true)})
		if status[i] != 200 || strings.TrimSpace(results[i]) != string(w) {
			t.Fatalf("request %d: %d %s", i, status[i], results[i])
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.batches) != 2 || f.batches[1] != 10 {
		t.Fatalf("model calls %v, want [2 10]", f.batches)
	}
}

func TestOverloaded(t *testing.T) {
	f := &fakeEmbedder{block: make(chan struct{}), started: make(chan struct{}, 100)}
	s, ts := newTestServer(t, f, Options{MaxQueueTokens: 10})
	done := make(chan int, 2)
	go func() { c, _ := post(t, ts.URL+"/embed", `{"inputs":"a"}`); done <- c }()
	<-f.started // the worker holds the first request
	go func() { c, _ := post(t, ts.URL+"/embed", `{"inputs":"bbbb"}`); done <- c }()
	waitQueued(t, s, 1)
	if c, body := post(t, ts.URL+"/v1/embeddings", `{"input":"cccccc"}`); c != 429 || !strings.Contains(body, "overloaded") {
		t.Fatalf("want 429, got %d %s", c, body)
	}
	close(f.block)
	if a, b := <-done, <-done; a != 200 || b != 200 {
		t.Fatalf("queued requests: %d %d", a, b)
	}
}

// Shutdown lets queued requests finish and refuses new ones.
func TestShutdownDrains(t *testing.T) {
	f := &fakeEmbedder{block: make(chan struct{}), started: make(chan struct{}, 100)}
	s, ts := newTestServer(t, f, Options{})
	done := make(chan int, 2)
	go func() { c, _ := post(t, ts.URL+"/embed", `{"inputs":"a"}`); done <- c }()
	<-f.started
	go func() { c, _ := post(t, ts.URL+"/embed", `{"inputs":"b"}`); done <- c }()
	waitQueued(t, s, 1)
	shut := make(chan error)
	go func() { shut <- s.Shutdown(context.Background()) }()
	for !s.queue.isClosed() {
		time.Sleep(time.Millisecond)
	}
	if c, _ := post(t, ts.URL+"/embed", `{"inputs":"c"}`); c != 503 {
		t.Fatalf("new request during shutdown: %d", c)
	}
	close(f.block)
	if a, b := <-done, <-done; a != 200 || b != 200 {
		t.Fatalf("in-flight requests: %d %d", a, b)
	}
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
}

func TestManyClientsRace(t *testing.T) {
	_, ts := newTestServer(t, &fakeEmbedder{}, Options{MaxBatchTokens: 16})
	var wg sync.WaitGroup
	errs := make(chan string, 40)
	for g := range 20 {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := range 5 {
				text := strings.Repeat("z", (g+k)%9)
				c, body := post(t, ts.URL+"/embed", `{"inputs":["`+text+`","x"]}`)
				w, _ := json.Marshal([][]float32{want(text, 8, true), want("x", 8, true)})
				if c != 200 || strings.TrimSpace(body) != string(w) {
					errs <- fmt.Sprintf("client %d: %d %s", g, c, body)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func FuzzParseOpenAI(f *testing.F) {
	for _, s := range []string{`{"input":"a"}`, `{"input":["a","b"],"dimensions":3,"encoding_format":"base64"}`,
		`{"input":[[1,2]]}`, `{"input":null}`, `{"input":[]}`, `[]`, `{"input":"\ud800"}`, `{"dimensions":-1,"input":"x"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p, err := parseOpenAI(strings.NewReader(body))
		if err != nil {
			if err.status < 400 || err.status > 499 || err.msg == "" {
				t.Fatalf("bad error %+v", err)
			}
			return
		}
		if p.len() == 0 || p.dimensions < 0 || (p.texts != nil && p.ids != nil) {
			t.Fatalf("accepted %q as %+v", body, p)
		}
		for _, ids := range p.ids {
			for _, id := range ids {
				if len(ids) == 0 || id < 0 {
					t.Fatalf("accepted %q as %+v", body, p)
				}
			}
		}
	})
}

func FuzzParseTEI(f *testing.F) {
	for _, s := range []string{`{"inputs":"a"}`, `{"inputs":["a"],"normalize":false,"truncate":true,"prompt_name":"query"}`,
		`{"inputs":["a",1]}`, `{"truncation_direction":"Left","inputs":"a"}`, `{}`, `"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p, err := parseTEI(strings.NewReader(body), true)
		if err != nil {
			if err.status < 400 || err.status > 499 || err.teiType == "" {
				t.Fatalf("bad error %+v", err)
			}
			return
		}
		if p.len() == 0 || p.dimensions < 0 {
			t.Fatalf("accepted %q as %+v", body, p)
		}
	})
}

func TestRequestTimeout(t *testing.T) {
	f := &fakeEmbedder{block: make(chan struct{})}
	defer close(f.block)
	_, ts := newTestServer(t, f, Options{RequestTimeout: 50 * time.Millisecond})
	c, body := post(t, ts.URL+"/v1/embeddings", `{"input":"a"}`)
	if c != 503 || !strings.Contains(body, "timed out") {
		t.Fatalf("%d %s", c, body)
	}
}

// Inputs of a request whose client went away are dropped, not computed.
func TestCanceledRequestDropped(t *testing.T) {
	f := &fakeEmbedder{block: make(chan struct{}), started: make(chan struct{}, 100)}
	s, ts := newTestServer(t, f, Options{})
	first := make(chan int)
	go func() { c, _ := post(t, ts.URL+"/embed", `{"inputs":"a"}`); first <- c }()
	<-f.started
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/embed", strings.NewReader(`{"inputs":["b","c"]}`))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	waitQueued(t, s, 2)
	cancel()
	<-gone
	// Wait for the handler to notice, then let the model go.
	deadline := time.Now().Add(5 * time.Second)
	for testutilGauge(s) != 1 && time.Now().Before(deadline) { // only the first is left
		time.Sleep(5 * time.Millisecond)
	}
	close(f.block)
	if c := <-first; c != 200 {
		t.Fatalf("first request: %d", c)
	}
	if c, _ := post(t, ts.URL+"/embed", `{"inputs":"d"}`); c != 200 {
		t.Fatalf("later request: %d", c)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if fmt.Sprint(f.batches) != "[1 1]" {
		t.Fatalf("model calls %v, want [1 1] (the canceled inputs skipped)", f.batches)
	}
}

// testutilGauge is the number of requests being handled.
func testutilGauge(s *Server) float64 {
	var m dto.Metric
	s.metrics.inflight.Write(&m)
	return m.GetGauge().GetValue()
}

// nanEmbedder is a backend whose vectors hold NaN (corrupt weights).
type nanEmbedder struct{ fakeEmbedder }

func (n *nanEmbedder) EmbedTokens(ctx context.Context, seqs [][]int) ([][]float32, error) {
	out, err := n.fakeEmbedder.EmbedTokens(ctx, seqs)
	for _, v := range out {
		v[0] = float32(math.NaN())
	}
	return out, err
}

// A response JSON cannot encode is a 500 with a JSON error, never an empty 200.
func TestUnencodableResponse(t *testing.T) {
	s := New(&nanEmbedder{}, Options{Logger: quietLogger()})
	defer s.Shutdown(context.Background())
	ts := httptest.NewServer(s)
	defer ts.Close()
	for _, tt := range []struct{ path, body string }{
		{"/v1/embeddings", `{"input":"a"}`},
		{"/embed", `{"inputs":"a","normalize":false}`},
	} {
		resp, err := http.Post(ts.URL+tt.path, "application/json", strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		derr := json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError || derr != nil || body["error"] == nil {
			t.Fatalf("%s: status %d, body %v (%v)", tt.path, resp.StatusCode, body, derr)
		}
	}
}

func TestHealthWrongMethodIsJSON(t *testing.T) {
	_, ts := newTestServer(t, &fakeEmbedder{}, Options{})
	resp, err := http.Post(ts.URL+"/health", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	derr := json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || derr != nil || body["error"] == "" {
		t.Fatalf("status %d, body %v (%v)", resp.StatusCode, body, derr)
	}
}

// The openai-go client against what LangChain and other OpenAI users send:
// token ids, the user field, model lookups, and errors it must parse.
func TestOpenAIClientCompat(t *testing.T) {
	_, ts := newTestServer(t, &fakeEmbedder{}, Options{ModelName: "org/served"})
	client := openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	ctx := context.Background()

	t.Run("token ids", func(t *testing.T) {
		resp, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "org/served", User: openai.String("u-1"),
			Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfTokens: []int64{9, 10, 256}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Data) != 1 || resp.Model != "org/served" || resp.Usage.PromptTokens != 3 {
			t.Fatalf("%d vectors, model %q, usage %+v", len(resp.Data), resp.Model, resp.Usage)
		}
		if w := embed.Finish(fakeVector([]int{9, 10, 256}), fakeHidden, true); !close32(w, resp.Data[0].Embedding) {
			t.Fatalf("vector %v, want %v", resp.Data[0].Embedding, w)
		}
	})
	t.Run("token id arrays", func(t *testing.T) {
		resp, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "org/served",
			Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfTokenArrays: [][]int64{{1, 2}, {3}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Data) != 2 || !close32(embed.Finish(fakeVector([]int{3}), fakeHidden, true), resp.Data[1].Embedding) {
			t.Fatalf("got %+v", resp.Data)
		}
	})
	t.Run("model by id", func(t *testing.T) {
		m, err := client.Models.Get(ctx, "org/served")
		if err != nil {
			t.Fatal(err)
		}
		if m.ID != "org/served" || m.Object != "model" || m.OwnedBy != "gembed" || m.Created == 0 {
			t.Fatalf("model %+v", m)
		}
		page, err := client.Models.List(ctx)
		if err != nil || len(page.Data) != 1 || page.Data[0].ID != "org/served" {
			t.Fatalf("list %+v, %v", page, err)
		}
	})
	for _, tt := range []struct {
		name   string
		call   func() error
		status int
		code   string
	}{
		{"unknown model", func() error {
			_, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "text-embedding-3-small",
				Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}})
			return err
		}, 404, "model_not_found"},
		{"unknown model by id", func() error { _, err := client.Models.Get(ctx, "other/model"); return err }, 404, "model_not_found"},
		{"unknown route", func() error { return client.Post(ctx, "chat/completions", map[string]any{"model": "org/served"}, nil) }, 404, ""},
		{"wrong method", func() error { return client.Get(ctx, "embeddings", nil, nil) }, 405, ""},
		{"wrong method on a model", func() error { _, err := client.Models.Delete(ctx, "org/served"); return err }, 405, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want an *openai.Error (the body must parse)", err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Code != tt.code || apiErr.Message == "" || apiErr.Type == "" {
				t.Fatalf("status %d code %q type %q message %q", apiErr.StatusCode, apiErr.Code, apiErr.Type, apiErr.Message)
			}
		})
	}
}

func TestAPIKeyAndCORS(t *testing.T) {
	_, ts := newTestServer(t, &fakeEmbedder{}, Options{APIKey: "s3cret", CORSAllowOrigins: []string{"https://app.example"}})
	do := func(method, path, auth, origin string) *http.Response {
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(`{"inputs":"a","input":"a"}`))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if method == http.MethodOptions {
			req.Header.Set("Access-Control-Request-Method", "POST")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, tt := range []struct {
		method, path, auth, origin string
		status                     int
		allowOrigin                string
	}{
		{"POST", "/embed", "", "", 401, ""},
		{"POST", "/embed", "Bearer wrong", "", 401, ""},
		{"POST", "/embed", "Bearer s3cret", "", 200, ""},
		{"POST", "/v1/embeddings", "s3cret", "", 401, ""},
		{"POST", "/v1/embeddings", "Bearer s3cret", "", 200, ""},
		{"GET", "/info", "", "", 401, ""},
		{"GET", "/health", "", "", 200, ""},
		{"GET", "/ready", "", "", 200, ""},
		{"GET", "/metrics", "", "", 200, ""},
		{"OPTIONS", "/embed", "", "https://app.example", 204, "https://app.example"},
		{"POST", "/embed", "Bearer s3cret", "https://app.example", 200, "https://app.example"},
		{"POST", "/embed", "Bearer s3cret", "https://evil.example", 200, ""},
	} {
		resp := do(tt.method, tt.path, tt.auth, tt.origin)
		if resp.StatusCode != tt.status || resp.Header.Get("Access-Control-Allow-Origin") != tt.allowOrigin {
			t.Errorf("%s %s auth %q origin %q: status %d, allow-origin %q; want %d, %q", tt.method, tt.path, tt.auth, tt.origin,
				resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), tt.status, tt.allowOrigin)
		}
	}
	// Without the option, no CORS header at all.
	_, plain := newTestServer(t, &fakeEmbedder{}, Options{})
	req, _ := http.NewRequest("POST", plain.URL+"/embed", strings.NewReader(`{"inputs":"a"}`))
	req.Header.Set("Origin", "https://app.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("default: status %d, allow-origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

// /info has TEI's shape (what TEI clients read) and names the build.
func TestInfoTEIShape(t *testing.T) {
	_, ts := newTestServer(t, &fakeEmbedder{}, Options{ModelName: "org/served", Build: "test build"})
	resp, err := http.Get(ts.URL + "/info")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct {
		ModelID   *string `json:"model_id"`
		ModelSHA  any     `json:"model_sha"`
		DType     *string `json:"model_dtype"`
		ModelType struct {
			Embedding *struct {
				Pooling string `json:"pooling"`
			} `json:"embedding"`
		} `json:"model_type"`
		MaxInputLength *int    `json:"max_input_length"`
		MaxBatchTokens *int    `json:"max_batch_tokens"`
		Version        *string `json:"version"`
		Build          string  `json:"build"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	if info.ModelID == nil || *info.ModelID != "org/served" || info.DType == nil || info.ModelType.Embedding == nil ||
		info.ModelType.Embedding.Pooling != "lasttoken" || info.MaxInputLength == nil || *info.MaxInputLength != 32 ||
		info.MaxBatchTokens == nil || *info.MaxBatchTokens != DefaultMaxBatchTokens || info.Version == nil || info.Build != "test build" {
		t.Fatalf("info %+v", info)
	}
}

// The defaults the CLI shows are the server's: one source.
func TestDefaultBatchTokensShared(t *testing.T) {
	var o Options
	o.defaults()
	if o.MaxBatchTokens != embed.DefaultBatchTokens {
		t.Fatalf("MaxBatchTokens default %d, embed.DefaultBatchTokens %d", o.MaxBatchTokens, embed.DefaultBatchTokens)
	}
}

func TestDefaultPrompt(t *testing.T) {
	for _, tt := range []struct {
		opt  Options
		body string
		text string
	}{
		{Options{DefaultPromptName: "query"}, `{"inputs":"a"}`, "Q:a"},
		{Options{DefaultPrompt: "search: "}, `{"inputs":"a"}`, "search: a"},
		{Options{DefaultPrompt: "search: "}, `{"inputs":"a","prompt_name":"query"}`, "Q:a"},
	} {
		if tt.opt.DefaultPrompt != "" { // token ids take no prompt, a default one included
			_, ts := newTestServer(t, &fakeEmbedder{}, tt.opt)
			if code, body := post(t, ts.URL+"/embed", `{"inputs":[1,2]}`); code != 200 || strings.TrimSpace(body) != "["+idsVec([]int{1, 2})+"]" {
				t.Errorf("token ids with a default prompt: %d %s", code, body)
			}
		}
		_, ts := newTestServer(t, &fakeEmbedder{}, tt.opt)
		code, body := post(t, ts.URL+"/embed", tt.body)
		b, _ := json.Marshal([][]float32{want(tt.text, fakeHidden, true)})
		if code != 200 || strings.TrimSpace(body) != string(b) {
			t.Errorf("%+v %s: %d %s, want the vector of %q", tt.opt, tt.body, code, body, tt.text)
		}
	}
}

// TestTEIPostRoutesShareTheirStart: every TEI POST route answers another
// method with 405 and an Allow header, and a malformed body with TEI's 422.
func TestTEIPostRoutesShareTheirStart(t *testing.T) {
	_, ts := newTestServer(t, &fakeEmbedder{}, Options{})
	for _, route := range []string{"/embed", "/embed_all", "/similarity", "/tokenize", "/decode"} {
		resp, err := http.Get(ts.URL + route)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Errorf("GET %s: %d, Allow %q", route, resp.StatusCode, resp.Header.Get("Allow"))
		}
		if c, body := post(t, ts.URL+route, `{"inputs":`); c != http.StatusUnprocessableEntity || !strings.Contains(body, `"error_type"`) {
			t.Errorf("malformed body to %s: %d %s", route, c, body)
		}
	}
}
