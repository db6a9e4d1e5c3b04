package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/server"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// TEI's /embed_all over raw HTTP on the real tiny model: the shape TEI
// answers ([[[f32]]], one vector per token), the library's per-token
// vectors, and TEI-shaped 4xx errors.
func TestTEIEmbedAllRealModel(t *testing.T) {
	e, err := embed.New(modelgen.TestModel(t, "qwen3-f32"), embed.WithMaxLength(8))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := server.New(e, server.Options{MaxBatchTokens: 24, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := httptest.NewServer(s)
	defer ts.Close()
	defer s.Shutdown(context.Background())
	ctx := context.Background()
	long := "one two three four five six seven eight nine ten eleven twelve"

	for _, tc := range []struct {
		name, body string
		texts      []string
		opt        embed.EmbedOptions
		truncated  string // X-Gembed-Truncated
	}{
		{"one string", `{"inputs": "Hello world"}`, []string{"Hello world"}, embed.EmbedOptions{}, ""},
		{"batch", `{"inputs": ["a", "` + long + `", ""]}`, []string{"a", long, ""}, embed.EmbedOptions{}, "1"},
		{"prompt name", `{"inputs": ["Hi"], "prompt_name": "query"}`, []string{"Hi"}, embed.EmbedOptions{PromptName: "query"}, "0"},
		{"truncate", `{"inputs": "` + long + `", "truncate": true}`, []string{long}, embed.EmbedOptions{}, "0"},
		{"token ids", `{"inputs": [[9707, 1879, 151643]]}`, nil, embed.EmbedOptions{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(ts.URL+"/embed_all", "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got [][][]float32
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, %v", resp.StatusCode, err)
			}
			if h := resp.Header.Get(server.TruncatedHeader); h != tc.truncated {
				t.Errorf("%s: %q, want %q", server.TruncatedHeader, h, tc.truncated)
			}
			var toks []embed.Tokenized
			if tc.texts == nil { // token ids are used as given
				toks = []embed.Tokenized{{IDs: []int{9707, 1879, 151643}}}
			} else if toks, err = e.Tokenize(ctx, tc.texts, tc.opt); err != nil {
				t.Fatal(err)
			}
			seqs := make([][]int, len(toks))
			for i, tk := range toks {
				seqs[i] = tk.IDs
			}
			want, err := e.TokenVectors(ctx, seqs)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(toks) {
				t.Fatalf("%d answers for %d inputs", len(got), len(toks))
			}
			for i := range got {
				if len(got[i]) != len(toks[i].IDs) {
					t.Fatalf("input %d: %d token vectors for %d tokens", i, len(got[i]), len(toks[i].IDs))
				}
				for p := range got[i] {
					if len(got[i][p]) != e.Info().Hidden {
						t.Fatalf("input %d token %d: %d values, hidden %d", i, p, len(got[i][p]), e.Info().Hidden)
					}
					if err := numtest.Check(got[i][p], want[i][p], numtest.Tol{Abs: 1e-5}); err != nil {
						t.Errorf("input %d token %d: %v", i, p, err)
					}
				}
			}
		})
	}

	left, err := http.Post(ts.URL+"/embed_all", "application/json",
		strings.NewReader(`{"inputs": "`+long+`", "truncation_direction": "Left"}`))
	if err != nil {
		t.Fatal(err)
	}
	var leftVecs [][][]float32
	if err := json.NewDecoder(left.Body).Decode(&leftVecs); err != nil || left.StatusCode != http.StatusOK || len(leftVecs) != 1 || len(leftVecs[0]) != 8 {
		t.Errorf("truncation_direction Left: status %d, %d token vectors, %v", left.StatusCode, len(leftVecs[0]), err)
	}
	left.Body.Close()

	for _, tc := range []struct {
		name, method, body string
		status             int
		errType            string
	}{
		{"not JSON", "POST", `{"inputs": `, 422, "Validation"},
		{"no inputs", "POST", `{}`, 400, "Empty"}, // as /embed
		{"empty list", "POST", `{"inputs": []}`, 400, "Empty"},
		{"inputs a number", "POST", `{"inputs": 3}`, 422, "Validation"},
		{"too long, truncate off", "POST", `{"inputs": "` + long + `", "truncate": false}`, 413, "Validation"},
		{"unknown prompt", "POST", `{"inputs": "x", "prompt_name": "nope"}`, 422, "Validation"},
		{"bad direction", "POST", `{"inputs": "x", "truncation_direction": "Up"}`, 422, "Validation"},
		{"dimensions", "POST", `{"inputs": "x", "dimensions": 8}`, 422, "Validation"},
		{"normalize", "POST", `{"inputs": "x", "normalize": true}`, 422, "Validation"},
		{"more tokens than the batch", "POST", `{"inputs": ["` + long + `", "` + long + `", "` + long + `", "` + long + `"]}`, 413, "Validation"},
		{"GET", "GET", ``, 405, "Validation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, ts.URL+"/embed_all", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error     string `json:"error"`
				ErrorType string `json:"error_type"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("status %d, body not JSON: %v", resp.StatusCode, err)
			}
			if resp.StatusCode != tc.status || body.ErrorType != tc.errType || body.Error == "" {
				t.Errorf("status %d %+v, want %d with error_type %q", resp.StatusCode, body, tc.status, tc.errType)
			}
		})
	}
}
