package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/gembed-dev/gembed/internal/numtest"
)

func TestFinish(t *testing.T) {
	tests := []struct {
		name      string
		in        []float32
		dims      int
		normalize bool
		want      []float32
	}{
		{"all, normalized", []float32{3, 4}, 0, true, []float32{0.6, 0.8}},
		{"truncate then normalize", []float32{3, 4, 100}, 2, true, []float32{0.6, 0.8}},
		{"raw", []float32{3, 4, 100}, 2, false, []float32{3, 4}},
		{"zero stays zero", []float32{0, 0}, 0, true, []float32{0, 0}},
		{"dims beyond length keeps all", []float32{1}, 5, true, []float32{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float32(nil), tt.in...)
			got := Finish(in, tt.dims, tt.normalize)
			if !reflect.DeepEqual(in, tt.in) {
				t.Fatal("Finish changed its input")
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			if len(got) > 0 {
				if err := numtest.Check(got, tt.want, numtest.Tol{Abs: 1e-6}); err != nil {
					t.Fatalf("got %v, want %v: %v", got, tt.want, err)
				}
			}
		})
	}
}

func TestSimilarity(t *testing.T) {
	m := Similarity([][]float32{{1, 0}, {0, 2}}, [][]float32{{1, 0}, {1, 1}, {0, 0}})
	want := [][]float64{{1, math.Sqrt2 / 2, 0}, {0, math.Sqrt2 / 2, 0}}
	for i := range want {
		if err := numtest.Check(m[i], want[i], numtest.Tol{Abs: 1e-9}); err != nil {
			t.Fatalf("Similarity = %v, want %v: %v", m, want, err)
		}
	}
}

func TestPrompt(t *testing.T) {
	e := newFake(t, &fakeModel{})
	withInstr := newFake(t, &fakeModel{}, WithInstruction("Find it"))
	withName := newFake(t, &fakeModel{}, WithPromptName("query"))
	tests := []struct {
		name    string
		e       *Embedder
		opt     EmbedOptions
		want    string
		wantErr string
	}{
		{"default: none", e, EmbedOptions{}, "", ""},
		{"query prompt", e, EmbedOptions{Query: true}, "Q:", ""},
		{"named", e, EmbedOptions{PromptName: "document"}, "", ""},
		{"unknown name", e, EmbedOptions{PromptName: "nope"}, "", `unknown prompt name "nope" (the model has: document, query)`},
		{"call instruction", e, EmbedOptions{Instruction: "Find"}, "Instruct: Find\nQuery:", ""},
		{"embedder instruction for queries", withInstr, EmbedOptions{Query: true}, "Instruct: Find it\nQuery:", ""},
		{"embedder instruction not for documents", withInstr, EmbedOptions{}, "", ""},
		{"embedder prompt name", withName, EmbedOptions{}, "Q:", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.e.Prompt(tt.opt)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Prompt = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestEmbedOrderAndBatching(t *testing.T) {
	m := &fakeModel{}
	e := newFake(t, m, WithBatchTokens(20))
	texts := []string{"a", "a much longer text", "", "medium one", "b", "x\xffy"}
	got, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.batches) < 2 {
		t.Fatalf("expected several batches, got %v", m.batches)
	}
	for i, text := range texts {
		one, err := newFake(t, &fakeModel{}).Embed(context.Background(), []string{text})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[i], one[0]) {
			t.Errorf("text %d: batched %v != alone %v", i, got[i], one[0])
		}
		if n := norm(got[i]); !(math.Abs(n-1) <= 1e-5) {
			t.Errorf("text %d: norm %v", i, n)
		}
	}
}

func TestEmbedQueriesUsesPrompt(t *testing.T) {
	e := newFake(t, &fakeModel{})
	q, err := e.EmbedQueries(context.Background(), []string{"hi"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.Embed(context.Background(), []string{"Q:hi"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(q, d) {
		t.Fatal("EmbedQueries(hi) != Embed(Q:hi)")
	}
}

func TestEmbedDetailed(t *testing.T) {
	ctx := context.Background()
	long := strings.Repeat("x", 100)
	tests := []struct {
		name      string
		opts      []Option
		call      EmbedOptions
		texts     []string
		wantDims  int
		wantStats []InputStats
		wantErr   string
	}{
		{name: "token counts", texts: []string{"ab", ""}, wantDims: 8,
			wantStats: []InputStats{{3, false, 3}, {1, false, 1}}},
		{name: "truncation reported", opts: []Option{WithMaxLength(10)}, texts: []string{"ab", long}, wantDims: 8,
			wantStats: []InputStats{{3, false, 3}, {10, true, 101}}},
		{name: "call max length", call: EmbedOptions{MaxLength: 2}, texts: []string{"ab"}, wantDims: 8,
			wantStats: []InputStats{{2, true, 3}}},
		{name: "default max length is max positions", texts: []string{long}, wantDims: 8,
			wantStats: []InputStats{{64, true, 101}}},
		{name: "no truncate", opts: []Option{WithNoTruncate(true)}, texts: []string{"ok", long},
			wantErr: "input 1 has 101 tokens, more than the maximum length 64 (truncation is off)"},
		{name: "no truncate per call", call: EmbedOptions{NoTruncate: true, MaxLength: 5}, texts: []string{"okay!"},
			wantErr: "input 0 has 6 tokens, more than the maximum length 5 (truncation is off)"},
		{name: "dimensions", opts: []Option{WithDimensions(4)}, texts: []string{"ab"}, wantDims: 4,
			wantStats: []InputStats{{3, false, 3}}},
		{name: "call dimensions", call: EmbedOptions{Dimensions: 2}, texts: []string{"ab"}, wantDims: 2,
			wantStats: []InputStats{{3, false, 3}}},
		{name: "call dimensions too big", call: EmbedOptions{Dimensions: 9}, texts: []string{"ab"},
			wantErr: "dimensions 9 out of range: the model's vectors have 8 values"},
		{name: "call max length too big", call: EmbedOptions{MaxLength: 65}, texts: []string{"ab"},
			wantErr: "max length 65 out of range 1..64 (max_position_embeddings)"},
		{name: "no inputs", texts: nil, wantStats: []InputStats{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newFake(t, &fakeModel{}, tt.opts...)
			r, err := e.EmbedDetailed(ctx, tt.texts, tt.call)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Inputs, tt.wantStats) {
				t.Fatalf("Inputs = %v, want %v", r.Inputs, tt.wantStats)
			}
			total := 0
			for i, v := range r.Embeddings {
				total += r.Inputs[i].Tokens
				if len(v) != tt.wantDims {
					t.Fatalf("vector %d has %d values, want %d", i, len(v), tt.wantDims)
				}
				if n := norm(v); !(math.Abs(n-1) <= 1e-5) {
					t.Fatalf("vector %d norm %v", i, n)
				}
			}
			if total != r.TotalTokens {
				t.Fatalf("TotalTokens %d, want %d", r.TotalTokens, total)
			}
		})
	}
}

func TestTooLongErrorType(t *testing.T) {
	e := newFake(t, &fakeModel{}, WithNoTruncate(true), WithMaxLength(3))
	_, err := e.Embed(context.Background(), []string{"a", "abcd"})
	var tl *TooLongError
	if !errors.As(err, &tl) || tl.Index != 1 || tl.Tokens != 5 || tl.Max != 3 {
		t.Fatalf("err = %#v", err)
	}
}

func TestNewOptionsValidated(t *testing.T) {
	s := defaultSettings()
	shape := modelShape{hidden: 8, vocab: 300, maxPos: 64}
	for _, tt := range []struct {
		opt  Option
		want string
	}{
		{WithDimensions(9), "dimensions 9 out of range"},
		{WithMaxLength(100), "max length 100 out of range 1..64"},
		{WithBatchTokens(-1), "batch-tokens -1: want 0 (the default) or more"},
		{WithThreads(-1), "threads -1: want 0 (all cores) or more"},
		{WithDimensions(-2), "dimensions -2: want 0 (all) or more"},
		{WithPromptName("x"), `unknown prompt name "x"`},
	} {
		s2 := s
		tt.opt(&s2)
		_, err := newEmbedder("fake", "/fake", shape, fakeST, fakeEncoder{}, &fakeModel{}, s2)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want it to contain %q", err, tt.want)
		}
	}
}

func TestNormalizeOff(t *testing.T) {
	e := newFake(t, &fakeModel{}, WithNormalize(false))
	v, err := e.Embed(context.Background(), []string{"ab"})
	if err != nil {
		t.Fatal(err)
	}
	// The model lists a Normalize module, which runs as in sentence-transformers.
	want := fakeVector([]int{'a', 'b', fakeEOS})
	Normalize(want)
	if !reflect.DeepEqual(v[0], want) {
		t.Fatalf("vector %v, want the pipeline's %v", v[0], want)
	}
	noModule := fakeST
	noModule.Normalize = false
	s := defaultSettings()
	WithNormalize(false)(&s)
	m := &fakeModel{budget: s.batchTokens, parts: 1}
	e2, err := newEmbedder("fake", "/fake", modelShape{modelType: "fake", hidden: fakeHidden, vocab: fakeVocab, maxPos: 64, layers: 1, heads: 1, kvHeads: 1, headDim: 8},
		noModule, fakeEncoder{}, m, s)
	if err != nil {
		t.Fatal(err)
	}
	v, err = e2.Embed(context.Background(), []string{"ab"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v[0], fakeVector([]int{'a', 'b', fakeEOS})) {
		t.Fatalf("raw vector changed: %v", v[0])
	}
}

func TestEmbedTokensValidates(t *testing.T) {
	e := newFake(t, &fakeModel{})
	for _, tt := range []struct {
		seqs [][]int
		want string
	}{
		{[][]int{{1}, {}}, "input 1 has no tokens"},
		{[][]int{{1, 300}}, "input 0: token id 300 out of range 0..299"},
		{[][]int{make([]int, 65)}, "input 0 has 65 tokens, more than max_position_embeddings 64"},
	} {
		if _, err := e.EmbedTokens(context.Background(), tt.seqs); err == nil || err.Error() != tt.want {
			t.Errorf("err = %v, want %q", err, tt.want)
		}
	}
}

func TestProgress(t *testing.T) {
	var events []Progress
	e := newFake(t, &fakeModel{}, WithThreads(1), WithBatchTokens(4), WithProgress(func(p Progress) { events = append(events, p) }))
	if _, err := e.Embed(context.Background(), []string{"a", "b", "c", "d"}); err != nil {
		t.Fatal(err)
	}
	// Two tokens each, padded to the length bucket 4: one per sub-batch of 4.
	want := []Progress{{1, 4, 2, 8}, {2, 4, 4, 8}, {3, 4, 6, 8}, {4, 4, 8, 8}}
	if !reflect.DeepEqual(events, want) {
		t.Fatalf("progress %v, want %v", events, want)
	}
}

func TestCancel(t *testing.T) {
	m := &fakeModel{block: make(chan struct{})}
	e := newFake(t, m)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := e.Embed(ctx, []string{"a"})
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := e.Embed(ctx, []string{"a"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled context: err = %v", err)
	}
}

func TestConcurrentUseAndClose(t *testing.T) {
	m := &fakeModel{}
	e := newFake(t, m, WithBatchTokens(16))
	want := map[string][]float32{}
	texts := make([]string, 20)
	for i := range texts {
		texts[i] = strings.Repeat(fmt.Sprint(i), i%7)
		v, err := newFake(t, &fakeModel{}).Embed(context.Background(), texts[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		want[texts[i]] = v[0]
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			in := texts[g%5 : g%5+10]
			for k := 0; k < 5; k++ {
				got, err := e.Embed(context.Background(), in)
				if err != nil {
					errs <- err
					return
				}
				for i, text := range in {
					if !reflect.DeepEqual(got[i], want[text]) {
						errs <- fmt.Errorf("goroutine %d: wrong vector for %q", g, text)
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil || !m.closed.Load() {
		t.Fatalf("Close: %v, closed=%v", err, m.closed.Load())
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := e.Embed(context.Background(), []string{"a"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestReadSentenceTransformers(t *testing.T) {
	pool := func(cfg string) map[string]string {
		return map[string]string{
			"modules.json":          `[{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]`,
			"1_Pooling/config.json": cfg,
		}
	}
	noModules := []string{"DIR has no modules.json: mean pooling over the model's output, not normalized (as sentence-transformers does)"}
	tests := []struct {
		name    string
		files   map[string]string
		want    SentenceTransformers
		wantErr string
	}{
		{name: "no files: sentence-transformers' defaults", files: nil,
			want: SentenceTransformers{Pooling: PoolMean, IncludePrompt: true, Prompts: map[string]string{}, Warnings: noModules}},
		{name: "qwen3-embedding", files: map[string]string{
			"modules.json": `[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
				{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},
				{"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize"}]`,
			"1_Pooling/config.json":             `{"word_embedding_dimension":1024,"pooling_mode_cls_token":false,"pooling_mode_mean_tokens":false,"pooling_mode_lasttoken":true,"include_prompt":true}`,
			"config_sentence_transformers.json": `{"prompts":{"query":"Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:","document":""},"default_prompt_name":null,"similarity_fn_name":"cosine"}`,
		}, want: SentenceTransformers{Pooling: PoolLastToken, IncludePrompt: true, Normalize: true, Similarity: "cosine", Prompts: map[string]string{
			"query": "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:", "document": ""}}},
		{name: "mean pooling elsewhere, no normalize", files: map[string]string{
			"modules.json":          `[{"idx":1,"name":"1","path":"pool","type":"sentence_transformers.models.Pooling"}]`,
			"pool/config.json":      `{"pooling_mode_mean_tokens":true}`,
			"1_Pooling/config.json": `{"pooling_mode_cls_token":true}`,
		}, want: SentenceTransformers{Pooling: PoolMean, IncludePrompt: true, Prompts: map[string]string{}}},
		{name: "default prompt", files: map[string]string{
			"config_sentence_transformers.json": `{"prompts":{"a":"A: "},"default_prompt_name":"a"}`,
		}, want: SentenceTransformers{Pooling: PoolMean, IncludePrompt: true, Prompts: map[string]string{"a": "A: "}, DefaultPromptName: "a", Warnings: noModules}},
		{name: "default prompt missing", files: map[string]string{
			"config_sentence_transformers.json": `{"prompts":{},"default_prompt_name":"a"}`,
		}, wantErr: `config_sentence_transformers.json: default_prompt_name "a" is not in prompts`},
		{name: "max pooling without the prompt", files: pool(`{"pooling_mode_max_tokens":true,"include_prompt":false}`),
			want: SentenceTransformers{Pooling: PoolMax, Prompts: map[string]string{}}},
		{name: "two modes", files: pool(`{"pooling_mode_cls_token":true,"pooling_mode_lasttoken":true}`),
			want: SentenceTransformers{Pooling: "cls+lasttoken", IncludePrompt: true, Prompts: map[string]string{}}},
		{name: "broken json", files: map[string]string{"modules.json": `[{`},
			wantErr: "modules.json: unexpected end of JSON input"},
		{name: "full class paths", files: map[string]string{"modules.json": `[
				{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer.Transformer"},
				{"idx":1,"name":"1","path":"p","type":"sentence_transformers.models.Pooling.Pooling"},
				{"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize.Normalize"}]`,
			"p/config.json": `{"pooling_mode_mean_tokens":true}`},
			want: SentenceTransformers{Pooling: PoolMean, IncludePrompt: true, Normalize: true, Prompts: map[string]string{}}},
		{name: "dense module", files: map[string]string{"modules.json": `[
				{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
				{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},
				{"idx":2,"name":"2","path":"2_Dense","type":"sentence_transformers.models.Dense"}]`,
			"1_Pooling/config.json":     `{"pooling_mode_cls_token":true}`,
			"2_Dense/config.json":       `{"in_features":8,"out_features":4,"bias":true,"activation_function":"torch.nn.modules.activation.Tanh"}`,
			"sentence_bert_config.json": `{"max_seq_length":256,"do_lower_case":true}`},
			want: SentenceTransformers{Pooling: PoolCLS, IncludePrompt: true, Prompts: map[string]string{}, MaxSeqLength: 256, DoLowerCase: true,
				Dense: []DenseModule{{Path: "2_Dense", In: 8, Out: 4, Bias: true, Activation: "Tanh"}}}},
		{name: "unknown module", files: map[string]string{"modules.json": `[{"idx":0,"name":"0","path":"x","type":"sentence_transformers.models.LSTM"}]`},
			wantErr: `module 0 "sentence_transformers.models.LSTM" (x) is not supported`},
		{name: "prompt not a string", files: map[string]string{"config_sentence_transformers.json": `{"prompts":{"query":5}}`},
			wantErr: `config_sentence_transformers.json: field "prompts": number where string was expected`},
		{name: "pooling flag not a bool", files: pool(`{"pooling_mode_lasttoken":"yes"}`),
			wantErr: `config.json: field "pooling_mode_lasttoken": string where bool was expected`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.files == nil {
				tt.files = map[string]string{}
			}
			tt.files["config.json"] = `{"model_type":"qwen3"}`
			for name, body := range tt.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ReadSentenceTransformers(dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var warnings []string
			for _, w := range tt.want.Warnings {
				warnings = append(warnings, strings.ReplaceAll(w, "DIR", dir))
			}
			tt.want.Warnings = warnings
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// A model that yields NaN (corrupt weights) is an error naming the input,
// not a NaN vector that JSON output would turn into an empty line.
func TestNonFiniteVectorIsError(t *testing.T) {
	e := newFake(t, &fakeModel{nanFor: 'x'})
	_, err := e.Embed(context.Background(), []string{"ok", "bad x", "fine"})
	if err == nil || !strings.Contains(err.Error(), "input 1") || !strings.Contains(err.Error(), "non-finite") {
		t.Fatalf("err = %v, want a non-finite error naming input 1", err)
	}
	if _, err := e.EmbedTokens(context.Background(), [][]int{{'x', fakeEOS}}); err == nil {
		t.Fatal("EmbedTokens: NaN vector without an error")
	}
	if _, err := e.Embed(context.Background(), []string{"ok"}); err != nil {
		t.Fatalf("finite input: %v", err)
	}
}

func TestUnknownPromptIsTyped(t *testing.T) {
	e := newFake(t, &fakeModel{})
	_, err := e.Prompt(EmbedOptions{PromptName: "nope"})
	var up *UnknownPromptError
	if !errors.As(err, &up) || up.Name != "nope" || len(up.Known) != 2 {
		t.Fatalf("error %v (%T), want *UnknownPromptError naming nope and the 2 known prompts", err, err)
	}
}
