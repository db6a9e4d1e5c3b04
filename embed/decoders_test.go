package embed_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// TestSentenceTransformersDecoders runs texts through the whole pipeline —
// prompt by name, tokenizer, gemma3_text / mistral / llama forward pass,
// pooling, EmbeddingGemma's two Dense modules, Normalize — and compares with
// SentenceTransformer.encode over the same folder
// (scripts/reference/decoder_goldens.py), token ids included.
func TestSentenceTransformersDecoders(t *testing.T) {
	tol := numtest.Tol{MinCos: 0.99999, Abs: 1e-5}
	for _, variant := range []string{"gemma3-f32", "mistral-sharded", "llama-f32"} {
		t.Run(variant, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "golden", "st", variant+".json.gz")
			f, err := os.Open(path)
			if err != nil {
				t.Fatalf("golden file missing: %v", err)
			}
			defer f.Close()
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			var g struct {
				Cases []struct {
					Text       string    `json:"text"`
					PromptName string    `json:"prompt_name"`
					IDs        []int     `json:"ids"`
					Embedding  []float64 `json:"embedding"`
				} `json:"cases"`
			}
			if err := json.NewDecoder(zr).Decode(&g); err != nil || len(g.Cases) == 0 {
				t.Fatalf("%s: %d cases, %v", path, len(g.Cases), err)
			}
			e, err := embed.New(modelgen.TestModel(t, variant))
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			ctx := context.Background()
			byPrompt := map[string][]int{}
			for i, c := range g.Cases {
				byPrompt[c.PromptName] = append(byPrompt[c.PromptName], i)
			}
			for name, idx := range byPrompt {
				texts := make([]string, len(idx))
				for j, i := range idx {
					texts[j] = g.Cases[i].Text
				}
				opt := embed.EmbedOptions{PromptName: name}
				toks, err := e.Tokenize(ctx, texts, opt)
				if err != nil {
					t.Fatal(err)
				}
				res, err := e.EmbedDetailed(ctx, texts, opt)
				if err != nil {
					t.Fatal(err)
				}
				for j, i := range idx {
					c := g.Cases[i]
					if !slices.Equal(toks[j].IDs, c.IDs) {
						t.Errorf("prompt %q, %.30q: ids %v, sentence-transformers %v", name, c.Text, toks[j].IDs, c.IDs)
					}
					if err := numtest.Check(res.Embeddings[j], c.Embedding, tol); err != nil {
						t.Errorf("prompt %q, %.30q: %v", name, c.Text, err)
					}
				}
			}
		})
	}
}
