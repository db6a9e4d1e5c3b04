package embed_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// These tests run the real tokenizer and graph on the tiny generated models.

func load(t *testing.T, variant string, opts ...embed.Option) *embed.Embedder {
	t.Helper()
	e, err := embed.New(modelgen.TestModel(t, variant), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func TestInfoTiny(t *testing.T) {
	e := load(t, "qwen3-f32")
	i := e.Info()
	if i.ModelType != "qwen3" || i.Hidden != 64 || i.Layers != 3 || i.Heads != 4 || i.KVHeads != 2 || i.HeadDim != 32 ||
		i.Dimensions != 64 || i.Pooling != embed.PoolLastToken || !i.Normalize || i.Prompts["query"] == "" {
		t.Fatalf("Info = %+v", i)
	}
	if i.MaxLength != min(embed.DefaultMaxLength, i.MaxPositions) {
		t.Fatalf("MaxLength %d with max positions %d", i.MaxLength, i.MaxPositions)
	}
}

type golden struct {
	Cases []struct {
		Text      string    `json:"text"`
		IDs       []int     `json:"ids"`
		Embedding []float64 `json:"embedding"`
	} `json:"cases"`
}

// The vectors match llama.cpp's (testdata/golden/llamacpp), through the
// whole public path: tokenizer, batching, graph, normalization.
func TestGoldenLlamaCpp(t *testing.T) {
	for _, tc := range []struct{ golden, variant, pooling string }{
		{"qwen3-f32", "qwen3-f32", ""},
		{"qwen3-bf16", "qwen3-bf16", ""},
		{"qwen3-sharded", "qwen3-sharded", ""},
		{"qwen2-f32", "qwen2-f32", ""},
		{"qwen3-f32-mean", "qwen3-f32", "pooling_mode_mean_tokens"},
		{"qwen3-f32-cls", "qwen3-f32", "pooling_mode_cls_token"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "testdata", "golden", "llamacpp", tc.golden+".json"))
			if err != nil {
				t.Fatalf("golden file missing: %v", err)
			}
			var g golden
			if err := json.Unmarshal(b, &g); err != nil {
				t.Fatal(err)
			}
			texts := make([]string, len(g.Cases))
			for i, c := range g.Cases {
				texts[i] = c.Text
			}
			dir := modelgen.TestModel(t, tc.variant)
			if tc.pooling != "" {
				dir = withPooling(t, dir, tc.pooling)
			}
			e, err := embed.New(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			r, err := e.EmbedDetailed(context.Background(), texts, embed.EmbedOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range g.Cases {
				if len(c.IDs) > 0 && r.Inputs[i].Tokens != len(c.IDs) {
					t.Errorf("case %d: %d tokens, golden has %d", i, r.Inputs[i].Tokens, len(c.IDs))
				}
				if err := numtest.Check(r.Embeddings[i], c.Embedding, numtest.Tol{MinCos: 0.9999, Abs: 1e-4, Normalize: true}); err != nil {
					t.Errorf("case %d %.30q vs llama.cpp: %v", i, c.Text, err)
				}
			}
		})
	}
}

// withPooling is a copy of model dir (big files linked) whose pooling
// module sets only the given pooling_mode_* field.
func withPooling(t *testing.T, dir, mode string) string {
	t.Helper()
	out := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.Name() != "1_Pooling" {
			if err := os.Symlink(filepath.Join(dir, en.Name()), filepath.Join(out, en.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	os.Mkdir(filepath.Join(out, "1_Pooling"), 0o755)
	cfg := `{"word_embedding_dimension": 64, "` + mode + `": true}`
	if err := os.WriteFile(filepath.Join(out, "1_Pooling", "config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBatchEqualsAlone(t *testing.T) {
	e := load(t, "qwen3-f32", embed.WithBatchTokens(64))
	texts := []string{"short", "", "a somewhat longer sentence with more tokens in it", "x\xff\xfe invalid utf-8", "中文"}
	all, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		one, err := e.Embed(context.Background(), []string{text})
		if err != nil {
			t.Fatal(err)
		}
		if err := numtest.Check(one[0], all[i], numtest.Tol{Abs: 1e-5}); err != nil {
			t.Fatalf("text %d in a batch: %v", i, err)
		}
	}
}

func TestQueriesDimensionsTruncation(t *testing.T) {
	ctx := context.Background()
	e := load(t, "qwen3-f32")
	q, err := e.EmbedQueries(ctx, []string{"What is the capital of China?"})
	if err != nil {
		t.Fatal(err)
	}
	p := e.Info().Prompts["query"]
	d, err := e.Embed(ctx, []string{p + "What is the capital of China?"})
	if err != nil {
		t.Fatal(err)
	}
	if err := numtest.Check(q[0], d[0], numtest.Tol{MinCos: 0.999999}); err != nil {
		t.Fatalf("EmbedQueries differs from Embed with the query prompt: %v", err)
	}

	small := load(t, "qwen3-f32", embed.WithDimensions(16))
	v, err := small.Embed(ctx, []string{"matryoshka"})
	if err != nil {
		t.Fatal(err)
	}
	full, _ := e.Embed(ctx, []string{"matryoshka"})
	want := embed.Finish(full[0], 16, true)
	if err := numtest.Check(v[0], want, numtest.Tol{MinCos: 0.999999}); err != nil {
		t.Fatalf("16 dims: %v", err)
	}

	long := strings.Repeat("word ", 200)
	r, err := e.EmbedDetailed(ctx, []string{"short", long}, embed.EmbedOptions{MaxLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	if r.Inputs[0].Truncated || !r.Inputs[1].Truncated || r.Inputs[1].Tokens != 32 || r.Inputs[1].OriginalTokens <= 200 {
		t.Fatalf("Inputs = %+v", r.Inputs)
	}
	toks, err := e.Tokenize(ctx, []string{long}, embed.EmbedOptions{MaxLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	if ids := toks[0].IDs; ids[len(ids)-1] != 151643 {
		t.Fatalf("truncated input does not end in <|endoftext|>: %v", ids)
	}
	_, err = e.EmbedDetailed(ctx, []string{"short", long}, embed.EmbedOptions{MaxLength: 32, NoTruncate: true})
	var tl *embed.TooLongError
	if !errors.As(err, &tl) || tl.Index != 1 {
		t.Fatalf("no-truncate: %v", err)
	}
}

func TestConcurrentRealModel(t *testing.T) {
	e := load(t, "qwen3-f32")
	ctx := context.Background()
	texts := []string{"alpha", "beta gamma", "delta epsilon zeta", ""}
	want, err := e.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := texts[g%4:]
			got, err := e.Embed(ctx, in)
			if err != nil {
				errs <- err
				return
			}
			for i := range in {
				if numtest.Check(got[i], want[g%4+i], numtest.Tol{MinCos: 0.99999}) != nil {
					errs <- errors.New("vector changed under concurrency")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := embed.New(dir); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Fatalf("empty folder: %v", err)
	}
	if _, err := embed.New(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing folder: %v", err)
	}
	if _, err := embed.New("org/does-not-exist", embed.WithOffline(true), embed.WithCacheDir(dir)); err == nil ||
		!strings.Contains(err.Error(), "org/does-not-exist") {
		t.Fatalf("offline unknown repo: %v", err)
	}
}

// Close while many goroutines embed with the real model: every call either
// returns the right vectors or ErrClosed; nothing races, panics or hangs.
func TestCloseWhileEmbeddingRealModel(t *testing.T) {
	e, err := embed.New(modelgen.TestModel(t, "qwen3-f32"), embed.WithBatchTokens(64))
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"alpha", "beta gamma", strings.Repeat("delta ", 40), ""}
	want, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	started := make(chan struct{}, 6)
	errs := make(chan error, 6*20)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 20 {
				in := texts[(g+k)%4:]
				got, err := e.Embed(context.Background(), in)
				if k == 0 {
					started <- struct{}{}
				}
				if errors.Is(err, embed.ErrClosed) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
				for i := range in {
					if numtest.Check(got[i], want[(g+k)%4+i], numtest.Tol{MinCos: 0.99999}) != nil {
						errs <- errors.New("wrong vector while closing")
						return
					}
				}
			}
		}()
	}
	<-started
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if _, err := e.EmbedQueries(context.Background(), texts); !errors.Is(err, embed.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// A call canceled part-way leaves the model usable: later calls give the
// same vectors as before.
func TestCancelThenReuseRealModel(t *testing.T) {
	e := load(t, "qwen3-f32", embed.WithBatchTokens(256))
	texts := make([]string, 48)
	for i := range texts {
		texts[i] = strings.Repeat("word ", 10+7*i)
	}
	want, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	canceled := 0
	for _, after := range []time.Duration{0, time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond} {
		ctx, cancel := context.WithTimeout(context.Background(), after)
		_, err := e.Embed(ctx, texts)
		cancel()
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("after %v: %v, want context.DeadlineExceeded", after, err)
			}
			canceled++
		}
		got, err := e.Embed(context.Background(), texts)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if err := numtest.Check(got[i], want[i], numtest.Tol{MinCos: 0.99999}); err != nil {
				t.Fatalf("after a canceled call (%v): vector %d: %v", after, i, err)
			}
		}
	}
	if canceled == 0 {
		t.Fatal("no call was canceled")
	}
}

// The query prompt is exactly "Instruct: " + task + "\nQuery:" + text, no
// space after "Query:", down to the token ids the model sees.
func TestQueryPromptLiteral(t *testing.T) {
	ctx := context.Background()
	e := load(t, "qwen3-f32")
	const card = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"
	if got := e.Info().Prompts["query"]; got != card {
		t.Fatalf("query prompt %q", got)
	}
	for _, tt := range []struct {
		opt  embed.EmbedOptions
		text string
	}{
		{embed.EmbedOptions{Query: true}, card + "What is the capital of China?"},
		{embed.EmbedOptions{PromptName: "query"}, card + "What is the capital of China?"},
		{embed.EmbedOptions{Instruction: "Find it"}, "Instruct: Find it\nQuery:What is the capital of China?"},
	} {
		got, err := e.Tokenize(ctx, []string{"What is the capital of China?"}, tt.opt)
		if err != nil {
			t.Fatal(err)
		}
		want, err := e.Tokenize(ctx, []string{tt.text}, embed.EmbedOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got[0].IDs, want[0].IDs) {
			t.Fatalf("%+v: ids %v, want %v", tt.opt, got[0].IDs, want[0].IDs)
		}
	}
}
