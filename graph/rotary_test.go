package graph

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// rotaryGolden is what scripts/reference/st_embed.py (and the scripts built on it) write.
type rotaryGolden struct {
	Model      string            `json:"model"`
	ModelFiles map[string]string `json:"model_files"`
	Command    string            `json:"command"`
	Versions   map[string]string `json:"versions"`
	Cases      []struct {
		ID        string    `json:"id"`
		IDs       []int     `json:"ids"`
		Embedding []float64 `json:"embedding"`
	} `json:"cases"`
}

// referenceTol is issue 12's tolerance against the reference library.
var referenceTol = numtest.Tol{MinCos: 0.99999, Abs: 1e-5, Normalize: true}

func readRotaryGolden(t *testing.T, path string) rotaryGolden {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden file missing: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var g rotaryGolden
	if err := json.NewDecoder(zr).Decode(&g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(g.Cases) == 0 {
		t.Fatalf("%s has no cases", path)
	}
	return g
}

// checkRotaryGolden runs a golden's token ids through the generated variant the
// golden was made from — all in mixed-length batches (our padding is on the
// left, the reference's on the right) and one at a time — and compares with
// the reference vectors within referenceTol; batch ≡ alone within 1e-5.
func checkRotaryGolden(t *testing.T, variant, path string) {
	g := readRotaryGolden(t, path)
	dir := modelgen.TestModel(t, variant)
	for file, sum := range g.ModelFiles {
		if got := fileSHA256(t, filepath.Join(dir, file)); got != sum {
			t.Fatalf("%s is stale: %s of the generated %s has sha256 %s, the golden was made from %s (rerun scripts/reference/make_tiny_goldens.sh)", path, file, variant, got, sum)
		}
	}
	m := loadModel(t, variant, Options{Threads: 2, MaxBatchTokens: 512})
	in := make([]Input, len(g.Cases))
	for i, c := range g.Cases {
		in[i].IDs = c.IDs
	}
	ctx := context.Background()
	batch, err := m.Run(ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	worst := numtest.Diff{Cos: 1}
	for i, c := range g.Cases {
		one, err := m.Run(ctx, in[i:i+1], nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := numtest.Check(one[0], batch[i], sameVector); err != nil {
			t.Errorf("case %s: batched vs alone: %v", c.ID, err)
		}
		if err := numtest.Check(batch[i], c.Embedding, referenceTol); err != nil {
			t.Errorf("case %s (%d tokens) vs %s: %v", c.ID, len(c.IDs), g.Command, err)
			continue
		}
		d, _ := numtest.Compare(batch[i], c.Embedding, true)
		worst.Cos, worst.MaxAbs = min(worst.Cos, d.Cos), max(worst.MaxAbs, d.MaxAbs)
	}
	t.Logf("%s: %d cases, min cosine %.9f, max abs diff %.3g", filepath.Base(path), len(g.Cases), worst.Cos, worst.MaxAbs)
}

// TestGoldenSentenceTransformersTiny compares the rotary encoder families
// that transformers runs natively with sentence-transformers' vectors.
func TestGoldenSentenceTransformersTiny(t *testing.T) {
	for _, variant := range []string{"modernbert-mean", "modernbert-bias-cls", "gte-cls", "gte-types-mean", "nomic-mean"} {
		t.Run(variant, func(t *testing.T) {
			checkRotaryGolden(t, variant, filepath.Join("../testdata/golden/st/tiny", variant+".json.gz"))
		})
	}
}

// TestGoldenLlamaCppEncoders compares the families transformers cannot load
// without a model repository's own code with llama.cpp's vectors
// (scripts/llamacpp/nomic_golden.py).
func TestGoldenLlamaCppEncoders(t *testing.T) {
	for _, variant := range []string{"nomic-mean"} {
		t.Run(variant, func(t *testing.T) {
			checkRotaryGolden(t, variant, filepath.Join(goldenDir, variant+".json.gz"))
		})
	}
}
