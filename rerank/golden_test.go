package rerank

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// golden is a file written by scripts/reference/rerank_goldens.py from
// sentence-transformers (cross-encoders) or transformers (Qwen3-Reranker).
type golden struct {
	Kind        string            `json:"kind"`
	Variant     string            `json:"variant"`
	Pairs       [][2]string       `json:"pairs"`
	PairsSHA256 string            `json:"pairs_sha256"`
	Files       map[string]string `json:"files_sha256"`
	YesID       int               `json:"yes_id"`
	NoID        int               `json:"no_id"`
	Runs        []struct {
		MaxLength      int       `json:"max_length"`
		ModelMaxLength int       `json:"model_max_length"`
		Activation     string    `json:"activation"`
		Instruction    string    `json:"instruction"`
		Scores         []float64 `json:"scores"`
		RawScores      []float64 `json:"raw_scores"`
		IDs            [][]int   `json:"ids"`
		TypeIDs        [][]int   `json:"type_ids"`
		Truncated      []bool    `json:"truncated"`
	} `json:"runs"`
}

func readGolden(t *testing.T, variant string) golden {
	t.Helper()
	path := filepath.Join("..", "testdata", "golden", "rerank", variant+".json.gz")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden missing (run scripts/reference/rerank_goldens.py): %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var g golden
	if err := json.NewDecoder(zr).Decode(&g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(g.Runs) == 0 || len(g.Pairs) == 0 {
		t.Fatalf("%s: no runs or no pairs", path)
	}
	return g
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// goldenModel returns the generated variant's folder after checking that
// its files, and the pairs file, are the bytes the golden was made from.
func goldenModel(t *testing.T, g golden) string {
	t.Helper()
	dir := modelgen.TestModel(t, g.Variant)
	for name, want := range g.Files {
		if got := sha256File(t, filepath.Join(dir, name)); got != want {
			t.Fatalf("%s/%s: sha256 %s, the golden was made from %s (generator changed? regenerate the goldens)", g.Variant, name, got, want)
		}
	}
	if got := sha256File(t, filepath.Join("..", "testdata", "corpus", "rerank-pairs.json")); got != g.PairsSHA256 {
		t.Fatalf("rerank-pairs.json: sha256 %s, the golden was made from %s", got, g.PairsSHA256)
	}
	return dir
}

func toPairs(ps [][2]string) []Pair {
	out := make([]Pair, len(ps))
	for i, p := range ps {
		out[i] = Pair{Query: p[0], Document: p[1]}
	}
	return out
}

// TestGolden compares scores and raw scores with the references (abs ≤
// 1e-5), and the token ids the pairs became, for every head and option.
func TestGolden(t *testing.T) {
	for _, variant := range []string{"bert-cross-encoder", "bert-cross-encoder-identity", "xlmr-cross-encoder", "modernbert-cross-encoder", "qwen3-reranker", "qwen3-reranker-lmhead"} {
		t.Run(variant, func(t *testing.T) {
			g := readGolden(t, variant)
			dir := goldenModel(t, g)
			ctx := context.Background()
			for k, run := range g.Runs {
				var opts []embed.Option
				if run.MaxLength > 0 {
					opts = append(opts, embed.WithMaxLength(run.MaxLength))
				}
				if run.Instruction != "" {
					opts = append(opts, embed.WithInstruction(run.Instruction))
				}
				r, err := New(dir, append(opts, embed.WithThreads(2))...)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				if run.Activation != "" && r.Info().Activation != run.Activation {
					t.Errorf("run %d: activation %q, sentence-transformers uses %q", k, r.Info().Activation, run.Activation)
				}
				if run.ModelMaxLength > 0 && r.Info().MaxLength != run.ModelMaxLength {
					t.Errorf("run %d: max length %d, sentence-transformers uses %d", k, r.Info().MaxLength, run.ModelMaxLength)
				}
				pairs := toPairs(g.Pairs)
				in, stats, err := r.encode(ctx, pairs, r.Info().MaxLength, Options{})
				if err != nil {
					t.Fatal(err)
				}
				for i := range in {
					if !slices.Equal(in[i].IDs, run.IDs[i]) {
						t.Fatalf("run %d, pair %d: ids\n%v\nwant\n%v", k, i, in[i].IDs, run.IDs[i])
					}
					if run.TypeIDs != nil && in[i].TypeIDs != nil && !slices.Equal(in[i].TypeIDs, run.TypeIDs[i]) {
						t.Fatalf("run %d, pair %d: type ids %v, want %v", k, i, in[i].TypeIDs, run.TypeIDs[i])
					}
					if run.Truncated != nil && stats[i].Truncated != run.Truncated[i] {
						t.Errorf("run %d, pair %d: truncated %v, want %v", k, i, stats[i].Truncated, run.Truncated[i])
					}
				}
				scored, err := r.ScorePairs(ctx, pairs, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if err := numtest.Check(scored.Scores, run.Scores, numtest.Tol{Abs: 1e-5}); err != nil {
					t.Errorf("run %d: scores: %v", k, err)
				}
				raw, err := r.ScorePairs(ctx, pairs, Options{RawScores: true})
				if err != nil {
					t.Fatal(err)
				}
				// Logits of magnitude ~25 carry float32 rounding of a few 1e-6.
				if err := numtest.Check(raw.Scores, run.RawScores, numtest.Tol{Abs: 1e-5, Rel: 1e-6}); err != nil {
					t.Errorf("run %d: raw scores: %v", k, err)
				}
				if d, err := numtest.Compare(scored.Scores, run.Scores, false); err == nil {
					dr, _ := numtest.Compare(raw.Scores, run.RawScores, false)
					t.Logf("run %d: max abs diff: scores %.2g, raw scores %.2g", k, d.MaxAbs, dr.MaxAbs)
				}
				// Batch == one at a time.
				for i, p := range pairs {
					one, err := r.ScorePairs(ctx, []Pair{p}, Options{})
					if err != nil {
						t.Fatal(err)
					}
					if err := numtest.Check(one.Scores, scored.Scores[i:i+1], numtest.Tol{Abs: 1e-6}); err != nil {
						t.Errorf("run %d, pair %d alone: %v", k, i, err)
					}
				}
			}
		})
	}
}
