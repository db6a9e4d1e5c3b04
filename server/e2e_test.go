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
	"github.com/gembed-dev/gembed/server"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
	"github.com/gembed-dev/gembed/tokenizer"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// The OpenAI client against a server running the real tiny model gives the
// library's vectors.
func TestOpenAIClientRealModel(t *testing.T) {
	e, err := embed.New(modelgen.TestModel(t, "qwen3-f32"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := server.New(e, server.Options{ModelName: "tiny", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := httptest.NewServer(s)
	defer ts.Close()
	defer s.Shutdown(context.Background())

	texts := []string{"The capital of China is Beijing.", "", "Gravity is a force."}
	want, err := e.EmbedDetailed(context.Background(), texts, embed.EmbedOptions{Dimensions: 32})
	if err != nil {
		t.Fatal(err)
	}
	client := openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey("x"), option.WithMaxRetries(0))
	for _, format := range []openai.EmbeddingNewParamsEncodingFormat{openai.EmbeddingNewParamsEncodingFormatFloat, openai.EmbeddingNewParamsEncodingFormatBase64} {
		resp, err := client.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
			Model: "tiny", Dimensions: openai.Int(32), EncodingFormat: format,
			Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: texts},
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Model != "tiny" || int(resp.Usage.TotalTokens) != want.TotalTokens || len(resp.Data) != len(texts) {
			t.Fatalf("%s: model %q usage %+v", format, resp.Model, resp.Usage)
		}
		for i, d := range resp.Data {
			got := make([]float32, len(d.Embedding))
			for k, x := range d.Embedding {
				got[k] = float32(x)
			}
			if c := embed.Cosine(got, want.Embeddings[i]); len(got) != 32 || c < 0.99999 {
				t.Fatalf("%s: vector %d: %d dims, cosine %v", format, i, len(got), c)
			}
		}
	}
}

// TEI's /tokenize, /decode and "truncation_direction": "Left" on the real
// tiny model, checked against its tokenizer and the library.
func TestTEITokenRoutesRealModel(t *testing.T) {
	e, err := embed.New(modelgen.TestModel(t, "qwen3-f32"), embed.WithMaxLength(8))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := server.New(e, server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := httptest.NewServer(s)
	defer ts.Close()
	defer s.Shutdown(context.Background())
	tok := e.Tokenizer()
	post := func(path, body string, v any) int {
		t.Helper()
		resp, err := http.Post(ts.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode == 200 {
			if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode
	}

	text := "Hello world, héllo"
	enc, err := tok.Encode(text, tokenizer.EncodeOptions{AddSpecialTokens: true})
	if err != nil {
		t.Fatal(err)
	}
	var toks [][]struct {
		ID      int    `json:"id"`
		Text    string `json:"text"`
		Special bool   `json:"special"`
		Start   *int   `json:"start"`
		Stop    *int   `json:"stop"`
	}
	if c := post("/tokenize", `{"inputs":["`+text+`"]}`, &toks); c != 200 || len(toks) != 1 || len(toks[0]) != len(enc.IDs) {
		t.Fatalf("/tokenize: %d %+v, want %d tokens", c, toks, len(enc.IDs))
	}
	var joined string
	for k, tk := range toks[0] {
		if tk.ID != enc.IDs[k] || tk.Special != tok.IsSpecial(enc.IDs[k]) {
			t.Fatalf("token %d: %+v, want id %d", k, tk, enc.IDs[k])
		}
		if !tk.Special {
			if tk.Start == nil || tk.Stop == nil || text[*tk.Start:*tk.Stop] != tk.Text {
				t.Fatalf("token %d: %+v does not cover its text", k, tk)
			}
			joined += tk.Text
		}
	}
	if joined != text {
		t.Fatalf("tokens join to %q, want %q", joined, text)
	}

	ids, _ := json.Marshal(enc.IDs)
	var decoded []string
	if c := post("/decode", `{"ids":`+string(ids)+`}`, &decoded); c != 200 || len(decoded) != 1 || decoded[0] != text {
		t.Fatalf("/decode: %d %q, want %q", c, decoded, text)
	}
	want, _ := tok.Decode(enc.IDs, false)
	if c := post("/decode", `{"ids":[`+string(ids)+`],"skip_special_tokens":false}`, &decoded); c != 200 || decoded[0] != want {
		t.Fatalf("/decode with specials: %d %q, want %q", c, decoded, want)
	}

	long := "one two three four five six seven eight nine ten eleven"
	for _, dir := range []string{"Left", "Right"} {
		lenc, err := tok.Encode(long, tokenizer.EncodeOptions{AddSpecialTokens: true, MaxLength: 8, TruncateLeft: dir == "Left"})
		if err != nil || !lenc.Truncated {
			t.Fatalf("%s: %v truncated=%v", dir, err, lenc.Truncated)
		}
		raw, err := e.EmbedTokens(context.Background(), [][]int{lenc.IDs})
		if err != nil {
			t.Fatal(err)
		}
		var got [][]float32
		if c := post("/embed", `{"inputs":"`+long+`","truncation_direction":"`+dir+`"}`, &got); c != 200 || len(got) != 1 {
			t.Fatalf("%s: %d", dir, c)
		}
		if c := embed.Cosine(got[0], embed.Finish(raw[0], 0, true)); !(c > 0.99999) {
			t.Fatalf("%s truncation: cosine %v with the library's vector of the %s-truncated ids", dir, c, dir)
		}
	}
}
