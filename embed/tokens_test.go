package embed_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// tokenGolden is a file of scripts/reference/token_goldens.py.
type tokenGolden struct {
	FilesSHA256 map[string]string `json:"files_sha256"`
	Cases       []struct {
		Text       string      `json:"text"`
		PromptName string      `json:"prompt_name"`
		Prompt     string      `json:"prompt"`
		IDs        []int       `json:"ids"`
		Tokens     [][]float64 `json:"tokens"`
		Embedding  []float64   `json:"embedding"`
	} `json:"cases"`
}

func readTokenGolden(t *testing.T, variant string) tokenGolden {
	t.Helper()
	path := filepath.Join("..", "testdata", "golden", "st", "tokens", variant+".json.gz")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden file missing: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var g tokenGolden
	if err := json.NewDecoder(zr).Decode(&g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(g.Cases) == 0 || len(g.FilesSHA256) == 0 {
		t.Fatalf("%s: %d cases, %d hashed files", path, len(g.Cases), len(g.FilesSHA256))
	}
	return g
}

// TestEmbedAllTokensMatchesSentenceTransformers compares every token's
// vector with sentence-transformers' encode(output_value="token_embeddings")
// over the same folder, prompts included, all cases of a prompt in one call
// (mixed lengths, so padding is exercised); and the pooled vector of the
// same call with encode's sentence embedding.
func TestEmbedAllTokensMatchesSentenceTransformers(t *testing.T) {
	tol := numtest.Tol{MinCos: 0.99999, Abs: 1e-5}
	for _, variant := range []string{"bert-mean", "qwen3-f32"} {
		t.Run(variant, func(t *testing.T) {
			g := readTokenGolden(t, variant)
			dir := modelgen.TestModel(t, variant)
			for file, sum := range g.FilesSHA256 {
				if got := fileSHA256(t, filepath.Join(dir, file)); got != sum {
					t.Fatalf("golden %s is stale: %s has sha256 %s, the golden was made from %s (regenerate it)", variant, file, got, sum)
				}
			}
			e, err := embed.New(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			ctx := context.Background()
			type group struct{ name, prompt string }
			groups := map[group][]int{}
			for i, c := range g.Cases {
				k := group{c.PromptName, c.Prompt}
				groups[k] = append(groups[k], i)
			}
			for k, idx := range groups {
				opt := embed.EmbedOptions{PromptName: k.name}
				if k.name == "" {
					opt.Prompt = k.prompt
				}
				texts := make([]string, len(idx))
				for j, i := range idx {
					texts[j] = g.Cases[i].Text
				}
				toks, err := e.Tokenize(ctx, texts, opt)
				if err != nil {
					t.Fatal(err)
				}
				all, err := e.EmbedAllTokens(ctx, texts, opt)
				if err != nil {
					t.Fatal(err)
				}
				pooled, err := e.EmbedDetailed(ctx, texts, opt)
				if err != nil {
					t.Fatal(err)
				}
				for j, i := range idx {
					c := g.Cases[i]
					what := k.prompt + c.Text
					if !slices.Equal(toks[j].IDs, c.IDs) {
						t.Fatalf("%.40q: ids %v, sentence-transformers %v", what, toks[j].IDs, c.IDs)
					}
					if len(all[j]) != len(c.Tokens) {
						t.Fatalf("%.40q: %d token vectors, sentence-transformers %d", what, len(all[j]), len(c.Tokens))
					}
					for p, row := range all[j] {
						if err := numtest.Check(row, c.Tokens[p], tol); err != nil {
							t.Errorf("%.40q token %d (id %d): %v", what, p, c.IDs[p], err)
						}
					}
					if err := numtest.Check(pooled.Embeddings[j], c.Embedding, tol); err != nil {
						t.Errorf("%.40q sentence embedding: %v", what, err)
					}
				}
			}
		})
	}
}

// TestEmbedAllTokensMeanIsMeanPooling: for a mean-pooling model without a
// prompt to skip, the average of the per-token vectors is the pooled vector
// (before Normalize), for inputs of mixed lengths in one call.
func TestEmbedAllTokensMeanIsMeanPooling(t *testing.T) {
	e, err := embed.New(modelgen.TestModel(t, "bert-mean"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	texts := []string{"a", "The quick brown fox jumps over the lazy dog.", "", "two words"}
	all, err := e.EmbedAllTokens(ctx, texts, embed.EmbedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	off := false
	res, err := e.EmbedDetailed(ctx, texts, embed.EmbedOptions{Normalize: &off})
	if err != nil {
		t.Fatal(err)
	}
	for i, rows := range all {
		if len(rows) != res.Inputs[i].Tokens {
			t.Fatalf("input %d: %d token vectors for %d tokens", i, len(rows), res.Inputs[i].Tokens)
		}
		mean := make([]float64, len(rows[0]))
		for _, r := range rows {
			for k, x := range r {
				mean[k] += float64(x) / float64(len(rows))
			}
		}
		// The folder's Normalize module runs whatever Normalize says; compare directions.
		if err := numtest.Check(res.Embeddings[i], mean, numtest.Tol{MinCos: 0.99999, Abs: 1e-5, Normalize: true}); err != nil {
			t.Errorf("input %d (%q): mean of token vectors vs mean pooling: %v", i, texts[i], err)
		}
	}
}

// TestEmbedAllTokensTruncation: the maximum length and NoTruncate apply as
// in EmbedDetailed.
func TestEmbedAllTokensTruncation(t *testing.T) {
	e, err := embed.New(modelgen.TestModel(t, "qwen3-f32"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	long := "one two three four five six seven eight nine ten eleven twelve"
	all, err := e.EmbedAllTokens(ctx, []string{long}, embed.EmbedOptions{MaxLength: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(all[0]) != 5 {
		t.Errorf("MaxLength 5: %d token vectors", len(all[0]))
	}
	_, err = e.EmbedAllTokens(ctx, []string{"short", long}, embed.EmbedOptions{MaxLength: 5, NoTruncate: true})
	var tl *embed.TooLongError
	if !errors.As(err, &tl) || tl.Index != 1 {
		t.Errorf("NoTruncate: error %v, want a TooLongError for input 1", err)
	}
}
