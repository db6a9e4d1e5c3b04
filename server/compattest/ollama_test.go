package compattest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/server"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
	"github.com/ollama/ollama/api"
)

// serve runs the server on the small generated Qwen3 model.
func serve(t *testing.T, opt server.Options) (*embed.Embedder, *api.Client) {
	t.Helper()
	e, err := embed.New(modelgen.TestModel(t, "qwen3-f32"), embed.WithMaxLength(64))
	if err != nil {
		t.Fatal(err)
	}
	opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s := server.New(e, opt)
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		s.Shutdown(context.Background())
		e.Close()
	})
	u, _ := url.Parse(ts.URL)
	return e, api.NewClient(u, ts.Client())
}

func near(a, b []float32, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !(math.Abs(float64(a[i])-float64(b[i])) <= tol) { // false on NaN
			return false
		}
	}
	return true
}

// The official Ollama Go client against /api/embed and /api/embeddings.
func TestOllamaClient(t *testing.T) {
	e, client := serve(t, server.Options{ModelName: "org/served"})
	ctx := context.Background()
	texts := []string{"The capital of China is Beijing.", "Gravity"}
	want, err := e.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("embed", func(t *testing.T) {
		for _, name := range []string{"org/served", "org/served:latest"} {
			resp, err := client.Embed(ctx, &api.EmbedRequest{Model: name, Input: texts, KeepAlive: &api.Duration{Duration: time.Minute}})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Model != name || len(resp.Embeddings) != 2 || resp.PromptEvalCount <= 0 || resp.TotalDuration <= 0 {
				t.Fatalf("response %+v", resp)
			}
			for i := range texts {
				if !near(resp.Embeddings[i], want[i], 1e-6) {
					t.Fatalf("vector %d differs from the library's", i)
				}
			}
		}
	})
	t.Run("embed one string with dimensions", func(t *testing.T) {
		resp, err := client.Embed(ctx, &api.EmbedRequest{Model: "org/served", Input: texts[0], Dimensions: 16})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Embeddings) != 1 || !near(resp.Embeddings[0], embed.Finish(want[0], 16, true), 1e-6) {
			t.Fatalf("response %+v", resp)
		}
	})
	t.Run("legacy embeddings", func(t *testing.T) {
		resp, err := client.Embeddings(ctx, &api.EmbeddingRequest{Model: "org/served", Prompt: texts[1]})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := embed.New(e.Info().Dir, embed.WithNormalize(false), embed.WithMaxLength(64))
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		r, err := raw.Embed(ctx, texts[1:])
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float32, len(resp.Embedding))
		for i, x := range resp.Embedding {
			got[i] = float32(x)
		}
		if !near(got, r[0], 1e-5) { // not normalized, as Ollama answers it
			t.Fatalf("legacy vector differs from the library's unnormalized one")
		}
	})
	t.Run("too long without truncation", func(t *testing.T) {
		long := make([]byte, 5000)
		for i := range long {
			long[i] = 'a' + byte(i%26)
		}
		noTrunc := false
		_, err := client.Embed(ctx, &api.EmbedRequest{Model: "org/served", Input: string(long), Truncate: &noTrunc})
		var se api.StatusError
		if !errors.As(err, &se) || se.StatusCode != 413 || se.ErrorMessage == "" {
			t.Fatalf("err = %#v", err)
		}
	})
	t.Run("unknown model", func(t *testing.T) {
		_, err := client.Embed(ctx, &api.EmbedRequest{Model: "nomic-embed-text", Input: "x"})
		var se api.StatusError
		if !errors.As(err, &se) || se.StatusCode != 404 || se.ErrorMessage == "" {
			t.Fatalf("err = %#v", err)
		}
	})
}
