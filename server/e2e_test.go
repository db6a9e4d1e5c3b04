package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/server"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
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
