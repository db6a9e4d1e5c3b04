package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/internal/reference"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

func loadModel(t *testing.T, variant string, opt Options) *Model {
	t.Helper()
	m, err := Load(modelgen.TestModel(t, variant), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// sameVector is the tolerance of batch vs alone, left vs right padding.
var sameVector = numtest.Tol{Abs: 1e-5}

func loadRef(t *testing.T, dir string) *reference.Model {
	t.Helper()
	r, err := reference.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func refForward(t *testing.T, r *reference.Model, ids []int, pool Pooling) []float64 {
	t.Helper()
	name := map[Pooling]reference.Pooling{PoolLastToken: "last", PoolMean: "mean", PoolCLS: "cls", PoolMax: "max",
		PoolMeanSqrtLen: "mean_sqrt_len", PoolWeightedMean: "weightedmean"}[pool]
	v, err := r.Forward(ids, nil, name, 0)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type golden struct {
	Variant       string            `json:"variant"`
	Generator     string            `json:"generator"`
	WeightsSHA256 map[string]string `json:"weights_sha256"`
	Pooling       string            `json:"pooling"`
	Cases         []struct {
		Text      string    `json:"text"`
		IDs       []int     `json:"ids"`
		Embedding []float64 `json:"embedding"`
	} `json:"cases"`
}

const goldenDir = "../testdata/golden/llamacpp"

func fileSHA256(t *testing.T, path string) string {
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

// TestGoldenLlamaCpp is the acceptance test: vectors from llama.cpp (an
// implementation we did not write) over the same weights.
func TestGoldenLlamaCpp(t *testing.T) {
	for _, name := range []string{"qwen3-f32", "qwen3-bf16", "qwen3-sharded", "qwen2-f32", "qwen3-f32-mean", "qwen3-f32-cls"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(goldenDir, name+".json")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("golden file missing: %v", err)
			}
			var g golden
			if err := json.Unmarshal(data, &g); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			checkGolden(t, path, g, modelgen.TestModel(t, g.Variant))
		})
	}
}

// TestGoldenFullSize compares with llama.cpp on the Qwen3-Embedding-0.6B-shaped
// random model (exact real config, BF16 weights), which is too big to generate
// in every test run: it runs when that model is in GEMBED_BENCH_MODEL (or the
// default benchmark folder), as .ci/run arranges when the disk has room.
func TestGoldenFullSize(t *testing.T) {
	dir := benchModelDir()
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		t.Skipf("full-size model %s absent: go run ./testdata/genmodel -full DIR and set GEMBED_BENCH_MODEL=DIR", dir)
	}
	path := filepath.Join(goldenDir, "qwen3-0.6b.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file missing: %v", err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	checkGolden(t, path, g, dir)
}

// checkGolden runs the golden's token ids through the model in dir, all in one
// mixed-length batch and one by one, and compares with llama.cpp's vectors:
// cosine ≥ 0.9999 and max abs diff ≤ 1e-4 after normalization, batch ≡ alone
// within 1e-5.
func checkGolden(t *testing.T, path string, g golden, dir string) {
	t.Helper()
	name := filepath.Base(path)
	for file, sum := range g.WeightsSHA256 {
		if got := fileSHA256(t, filepath.Join(dir, file)); got != sum {
			t.Fatalf("%s is stale: %s of the generated %s has sha256 %s, golden was made from %s (regenerate the goldens)", path, file, g.Variant, got, sum)
		}
	}
	pool := map[string]Pooling{"last": PoolLastToken, "mean": PoolMean, "cls": PoolCLS}[g.Pooling]
	if pool == PoolAuto {
		t.Fatalf("%s: unknown pooling %q", path, g.Pooling)
	}
	m, err := Load(dir, Options{Pooling: pool})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	seqs := make([][]int, len(g.Cases))
	for i, c := range g.Cases {
		seqs[i] = c.IDs
	}
	// All at once (one batch, mixed lengths) and one by one.
	batch, err := m.Forward(context.Background(), seqs)
	if err != nil {
		t.Fatal(err)
	}
	worstCos, worstAbs := 1.0, 0.0
	for i, c := range g.Cases {
		single, err := m.Forward(context.Background(), seqs[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		if err := numtest.Check(single[0], batch[i], sameVector); err != nil {
			t.Errorf("case %d: batched vs alone: %v", i, err)
		}
		if err := numtest.Check(batch[i], c.Embedding, numtest.Tol{MinCos: 1 - 1e-4, Abs: 1e-4, Normalize: true}); err != nil {
			t.Errorf("case %d (%d tokens, %.30q) vs llama.cpp: %v", i, len(c.IDs), c.Text, err)
			continue
		}
		d, _ := numtest.Compare(batch[i], c.Embedding, true)
		worstCos, worstAbs = min(worstCos, d.Cos), max(worstAbs, d.MaxAbs)
	}
	t.Logf("%s: %d cases, min cosine %.9f, max abs diff %.3g", name, len(g.Cases), worstCos, worstAbs)
}

func randomSeqs(r *rand.Rand, lens []int, vocab int) [][]int {
	seqs := make([][]int, len(lens))
	for i, n := range lens {
		seqs[i] = make([]int, n)
		for j := range seqs[i] {
			seqs[i][j] = r.Intn(vocab)
		}
		seqs[i][n-1] = 151643
	}
	return seqs
}

func TestMatchesNaiveReference(t *testing.T) {
	for _, variant := range []string{"qwen3-f32", "qwen2-f32", "qwen3-bf16"} {
		t.Run(variant, func(t *testing.T) {
			dir := modelgen.TestModel(t, variant)
			ref := loadRef(t, dir)
			r := rand.New(rand.NewSource(1))
			seqs := randomSeqs(r, []int{1, 7, 70, 16}, ref.Int("vocab_size", 0))
			for _, pool := range []Pooling{PoolLastToken, PoolMean, PoolCLS, PoolMax, PoolMeanSqrtLen, PoolWeightedMean} {
				for _, threads := range []int{1, 2} {
					m, err := Load(dir, Options{Pooling: pool, Threads: threads})
					if err != nil {
						t.Fatal(err)
					}
					got, err := m.Forward(context.Background(), seqs)
					m.Close()
					if err != nil {
						t.Fatal(err)
					}
					for i, s := range seqs {
						want := refForward(t, ref, s, pool)
						if err := numtest.Check(got[i], want, numtest.Tol{Abs: 1e-4, Rel: 1e-4}); err != nil {
							t.Fatalf("%v pooling, %d threads, seq %d (%d tokens): %v", pool, threads, i, len(s), err)
						}
					}
				}
			}
		})
	}
}

func TestBatchCompositionAndPadding(t *testing.T) {
	m := loadModel(t, "qwen3-f32", Options{Threads: 2, MaxBatchTokens: 4096})
	r := rand.New(rand.NewSource(2))
	lens := []int{3, 17, 1, 40, 40, 9, 33, 2}
	seqs := randomSeqs(r, lens, m.Config().Vocab)
	ctx := context.Background()
	all, err := m.Forward(ctx, seqs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range seqs {
		one, err := m.Forward(ctx, seqs[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		if err := numtest.Check(one[0], all[i], sameVector); err != nil {
			t.Errorf("seq %d: batch vs one-at-a-time: %v", i, err)
		}
	}
	// Equal-length batch: still causal, so a prefix's last token must not see later tokens:
	// the vector of seq[:k] alone equals that of seq[:k] batched with others of length k.
	eq := randomSeqs(r, []int{12, 12, 12}, m.Config().Vocab)
	eqOut, err := m.Forward(ctx, eq)
	if err != nil {
		t.Fatal(err)
	}
	for i := range eq {
		one, err := m.Forward(ctx, eq[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		if err := numtest.Check(one[0], eqOut[i], sameVector); err != nil {
			t.Errorf("equal-length seq %d: batch vs alone: %v", i, err)
		}
	}
	// Causality with mean pooling on a prefix: changing the last token must not change
	// the hidden states before it, visible through CLS pooling of the first token.
	mc := loadModel(t, "qwen3-f32", Options{Pooling: PoolCLS})
	a := []int{10, 20, 30, 40}
	b := []int{10, 20, 30, 99}
	va, err := mc.Forward(ctx, [][]int{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if err := numtest.Check(va[0], va[1], numtest.Tol{Abs: 1e-6}); err != nil {
		t.Errorf("first-token vector changed when a later token changed (not causal): %v", err)
	}
}

func TestLeftRightPaddingIdentical(t *testing.T) {
	// Graph-level padding is always left; the layers tests check right padding
	// gives identical results. Here: the same sequence padded by different
	// amounts (batched with a longer one) equals itself alone.
	m := loadModel(t, "qwen2-f32", Options{Threads: 1})
	r := rand.New(rand.NewSource(4))
	s := randomSeqs(r, []int{5, 60}, m.Config().Vocab)
	ctx := context.Background()
	both, err := m.Forward(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	alone, err := m.Forward(ctx, s[:1])
	if err != nil {
		t.Fatal(err)
	}
	if err := numtest.Check(both[0], alone[0], sameVector); err != nil {
		t.Errorf("padded vs unpadded: %v", err)
	}
}

func TestSingleToken(t *testing.T) {
	m := loadModel(t, "qwen3-f32", Options{})
	out, err := m.Forward(context.Background(), [][]int{{151643}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || len(out[0]) != m.Config().Hidden {
		t.Fatalf("got %d vectors", len(out))
	}
	ref := loadRef(t, modelgen.TestModel(t, "qwen3-f32"))
	want := refForward(t, ref, []int{151643}, PoolLastToken)
	if err := numtest.Check(out[0], want, numtest.Tol{Abs: 1e-4}); err != nil {
		t.Fatal(err)
	}
}

func TestForwardErrors(t *testing.T) {
	m := loadModel(t, "qwen3-f32", Options{})
	ctx := context.Background()
	if _, err := m.Forward(ctx, [][]int{{}}); err == nil {
		t.Error("empty sequence accepted")
	}
	if _, err := m.Forward(ctx, [][]int{{1, 999999}}); err == nil || !strings.Contains(err.Error(), "999999") {
		t.Errorf("out-of-range id: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Forward(cctx, [][]int{{1, 2}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	out, err := m.Forward(ctx, nil)
	if err != nil || len(out) != 0 {
		t.Errorf("empty batch: %v %v", out, err)
	}
}

func copyModel(t *testing.T, variant string) string {
	src := modelgen.TestModel(t, variant)
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestUnknownModelType(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"model_type":"rwkv","hidden_size":8}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadConfig(dir)
	if err == nil || !strings.Contains(err.Error(), `"rwkv"`) {
		t.Fatalf("unknown model_type: %v", err)
	}
	if _, err := Load(dir, Options{}); err == nil || !strings.Contains(err.Error(), "rwkv") {
		t.Fatalf("Load unknown model_type: %v", err)
	}
}

func TestMissingAndMisshapedTensor(t *testing.T) {
	dir := copyModel(t, "qwen3-f32")
	cfgPath := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	write := func() {
		t.Helper()
		b, err := json.Marshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(cfgPath) // a symlink into the shared model
		if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw["num_hidden_layers"] = 4 // one more layer than the weights hold
	write()
	_, err = Load(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "layers.3.") {
		t.Fatalf("missing tensor: %v", err)
	}
	raw["num_hidden_layers"] = 3
	raw["intermediate_size"] = 100
	write()
	_, err = Load(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "mlp.") || !strings.Contains(err.Error(), "shape") {
		t.Fatalf("mis-shaped tensor: %v", err)
	}
}

func TestFolderPooling(t *testing.T) {
	m := loadModel(t, "qwen3-f32", Options{})
	if got := m.Poolings(); !reflect.DeepEqual(got, []Pooling{PoolLastToken}) {
		t.Fatalf("auto pooling of the Qwen3 test model = %v, want its 1_Pooling's last-token", got)
	}
	// Without modules.json sentence-transformers mean-pools.
	dir := copyModel(t, "qwen3-f32")
	if err := os.Remove(filepath.Join(dir, "modules.json")); err != nil {
		t.Fatal(err)
	}
	m2, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if got := m2.Poolings(); !reflect.DeepEqual(got, []Pooling{PoolMean}) {
		t.Fatalf("pooling without modules.json = %v, want mean", got)
	}
	// Several modes concatenate.
	m3 := loadModel(t, "qwen3-f32", Options{Poolings: []Pooling{PoolCLS, PoolMax}})
	out, err := m3.Forward(context.Background(), [][]int{{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out[0]) != 2*m3.Config().Hidden || m3.Dimensions() != len(out[0]) {
		t.Fatalf("two modes gave %d values (Dimensions %d), want %d", len(out[0]), m3.Dimensions(), 2*m3.Config().Hidden)
	}
	ref := loadRef(t, modelgen.TestModel(t, "qwen3-f32"))
	want := append(refForward(t, ref, []int{1, 2, 3}, PoolCLS), refForward(t, ref, []int{1, 2, 3}, PoolMax)...)
	if err := numtest.Check(out[0], want, numtest.Tol{Abs: 1e-4, Rel: 1e-4}); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"model_type":"qwen3","hidden_size":64,"intermediate_size":128,"num_hidden_layers":3,"num_attention_heads":4,"num_key_value_heads":2,"head_dim":32,"vocab_size":100}`))
	f.Add([]byte(`{"model_type":"qwen2","hidden_size":64}`))
	f.Add([]byte(`{"model_type":"bert"}`))
	f.Add([]byte(`{"model_type":"bert","hidden_size":32,"intermediate_size":64,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100,"hidden_act":"gelu_new"}`))
	f.Add([]byte(`{"model_type":"roberta","hidden_size":32,"intermediate_size":64,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100,"max_position_embeddings":3,"pad_token_id":1}`))
	f.Add([]byte(`{"model_type":"mpnet","hidden_size":32,"intermediate_size":64,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100,"max_position_embeddings":130,"relative_attention_num_buckets":32}`))
	f.Add([]byte(`{"model_type":"distilbert","dim":32,"hidden_dim":64,"n_layers":2,"n_heads":4,"vocab_size":100,"activation":"relu"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		rotary := c.ModelType == "qwen3" || c.ModelType == "qwen2"
		if err == nil && (c.Hidden <= 0 || c.Heads%c.KVHeads != 0 || (rotary && c.HeadDim%2 != 0) || c.MaxPositions <= 0) {
			t.Fatalf("accepted invalid config %+v", c)
		}
		if err == nil && (c.Layers > MaxLayers || c.Hidden > MaxHidden || c.Intermediate > MaxIntermediate ||
			c.Heads > MaxHeads || c.HeadDim > MaxHeadDim || c.Vocab > MaxVocab || c.MaxPositions > MaxPositions) {
			t.Fatalf("accepted a config beyond the limits %+v", c)
		}
	})
}

func TestConcurrentForward(t *testing.T) {
	m := loadModel(t, "qwen3-f32", Options{Threads: 2})
	r := rand.New(rand.NewSource(9))
	seqs := randomSeqs(r, []int{4, 9, 30, 2, 17}, m.Config().Vocab)
	ctx := context.Background()
	want, err := m.Forward(ctx, seqs)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 6)
	for g := range 6 {
		go func() {
			sub := seqs[g%len(seqs):]
			got, err := m.Forward(ctx, sub)
			if err == nil {
				for i := range sub {
					if e := numtest.Check(got[i], want[g%len(seqs)+i], sameVector); e != nil {
						err = fmt.Errorf("goroutine %d seq %d: %w", g, i, e)
					}
				}
			}
			errs <- err
		}()
	}
	for range 6 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// cancelAfter is a context whose Err turns to Canceled after n calls, to
// cancel a forward pass in the middle of its layers.
type cancelAfter struct {
	context.Context
	n atomic.Int32
}

func (c *cancelAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestCancelMidForward(t *testing.T) {
	m := loadModel(t, "qwen3-f32", Options{Threads: 1})
	// The context is checked by Forward, at both norms of each layer and
	// before every attention query block: cancelling after each of the first
	// n checks stops the pass at every kind of check point.
	for n := int32(0); n < 8; n++ {
		ctx := &cancelAfter{Context: context.Background()}
		ctx.n.Store(n)
		if _, err := m.Forward(ctx, [][]int{{1, 2, 3}}); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancel after %d checks: got %v, want context.Canceled", n, err)
		}
	}
	// The model still works afterwards.
	if _, err := m.Forward(context.Background(), [][]int{{1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
}

func TestThreadsCappedAtCores(t *testing.T) {
	m := loadModel(t, "qwen3-f32", Options{Threads: 1000})
	if got := m.Threads(); got > runtime.NumCPU() {
		t.Fatalf("Threads() = %d with %d cores; extra threads only add activation buffers", got, runtime.NumCPU())
	}
}
