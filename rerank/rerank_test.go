package rerank

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		variant string
		want    Kind
	}{
		{"bert-cross-encoder", CrossEncoder},
		{"xlmr-cross-encoder", CrossEncoder},
		{"modernbert-cross-encoder", CrossEncoder},
		{"qwen3-reranker", CausalLM},
		{"qwen3-f32", NotReranker}, // Qwen3-Embedding names Qwen3ForCausalLM too, but carries modules.json
		{"bert-mean", NotReranker},
	} {
		got, err := DetectDir(modelgen.TestModel(t, tc.variant))
		if err != nil || got != tc.want {
			t.Errorf("%s: %v (%v), want %v", tc.variant, got, err, tc.want)
		}
	}
}

// Each kind of model refuses the other package's API, clearly.
func TestWrongKind(t *testing.T) {
	if _, err := New(modelgen.TestModel(t, "bert-mean")); !errors.Is(err, ErrNotReranker) {
		t.Errorf("rerank.New on an embedding model: %v, want ErrNotReranker", err)
	}
	_, err := embed.New(modelgen.TestModel(t, "bert-cross-encoder"))
	if !errors.Is(err, embed.ErrNotEmbedder) || !strings.Contains(err.Error(), "BertForSequenceClassification") {
		t.Errorf("embed.New on a cross-encoder: %v, want ErrNotEmbedder naming the class", err)
	}
	if _, err := New(modelgen.TestModel(t, "bert-cross-encoder"), embed.WithInstruction("x")); err == nil || !strings.Contains(err.Error(), "instruction") {
		t.Errorf("a cross-encoder with an instruction: %v", err)
	}
}

func TestRankedAndOptions(t *testing.T) {
	ctx := context.Background()
	for _, variant := range []string{"bert-cross-encoder", "qwen3-reranker"} {
		t.Run(variant, func(t *testing.T) {
			r, err := New(modelgen.TestModel(t, variant), embed.WithThreads(2))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			docs := []string{"alpha beta", "gamma", "delta epsilon zeta", "", "alpha beta"}
			scores, err := r.Scores(ctx, "alpha", docs)
			if err != nil {
				t.Fatal(err)
			}
			ranked, err := r.Rerank(ctx, "alpha", docs)
			if err != nil {
				t.Fatal(err)
			}
			if len(ranked) != len(docs) {
				t.Fatalf("%d results for %d documents", len(ranked), len(docs))
			}
			seen := map[int]bool{}
			for k, res := range ranked {
				seen[res.Index] = true
				if res.Score != scores[res.Index] {
					t.Errorf("result %d: score %v, Scores says %v", k, res.Score, scores[res.Index])
				}
				if k > 0 && !(ranked[k-1].Score >= res.Score) {
					t.Errorf("not sorted at %d: %v then %v", k, ranked[k-1].Score, res.Score)
				}
				if !(res.Score >= 0 && res.Score <= 1) {
					t.Errorf("score %v is not a probability", res.Score)
				}
			}
			if len(seen) != len(docs) {
				t.Errorf("indexes %v are not a permutation", ranked)
			}
			// Equal documents score equally, whatever their batch neighbours.
			if err := numtest.Check(scores[4:5], scores[0:1], numtest.Tol{Abs: 1e-6}); err != nil {
				t.Errorf("same document, different score: %v", err)
			}
			// Raw scores go through the activation to the scores.
			raw, err := r.RerankDetailed(ctx, "alpha", docs, Options{RawScores: true})
			if err != nil {
				t.Fatal(err)
			}
			act := make([]float32, len(raw.Scores))
			for i, v := range raw.Scores {
				act[i] = sigmoid(v)
			}
			if err := numtest.Check(act, scores, numtest.Tol{Abs: 1e-6}); err != nil {
				t.Errorf("sigmoid(raw) vs scores: %v", err)
			}
			// Too long: reported when truncating, an error with NoTruncate.
			long := strings.Repeat("many words here ", 100)
			s, err := r.RerankDetailed(ctx, "alpha", []string{"short", long}, Options{MaxLength: 100})
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Truncated(); len(got) != 1 || got[0] != 1 || s.Inputs[1].Tokens != 100 || s.Inputs[1].OriginalTokens <= 100 {
				t.Errorf("truncation report %+v", s.Inputs)
			}
			_, err = r.RerankDetailed(ctx, "alpha", []string{"short", long}, Options{MaxLength: 100, NoTruncate: true})
			var tl *embed.TooLongError
			if !errors.As(err, &tl) || tl.Index != 1 || tl.Max != 100 {
				t.Errorf("NoTruncate: %v, want a TooLongError for pair 1", err)
			}
			if _, err := r.RerankDetailed(ctx, "alpha", docs, Options{MaxLength: 1 << 30}); err == nil {
				t.Error("an out-of-range max length was accepted")
			}
			if r.Info().Kind == CrossEncoder {
				if _, err := r.RerankDetailed(ctx, "alpha", docs, Options{Instruction: "x"}); err == nil {
					t.Error("a cross-encoder accepted an instruction")
				}
			} else {
				other, err := r.RerankDetailed(ctx, "alpha", docs, Options{Instruction: "Find greek letters", RawScores: true})
				if err != nil {
					t.Fatal(err)
				}
				if other.Scores[0] == raw.Scores[0] {
					t.Error("the instruction did not change the score")
				}
				if _, err := r.RerankDetailed(ctx, "alpha", docs, Options{MaxLength: 20}); err == nil || !strings.Contains(err.Error(), "prompt") {
					t.Errorf("a max length shorter than the prompt: %v", err)
				}
			}
			if got, err := r.Rerank(ctx, "alpha", nil); err != nil || len(got) != 0 {
				t.Errorf("no documents: %v, %v", got, err)
			}
		})
	}
}

// Concurrent calls get the scores of calls made one at a time; a cancelled
// context stops a call; Close waits and later calls fail.
func TestConcurrentCancelClose(t *testing.T) {
	r, err := New(modelgen.TestModel(t, "bert-cross-encoder"), embed.WithThreads(2), embed.WithBatchTokens(64))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	queries := []string{"one", "two words", "three words here", "four"}
	docs := []string{"a document", "another, longer document with words", "x"}
	want := make([][]float32, len(queries))
	for i, q := range queries {
		if want[i], err = r.Scores(ctx, q, docs); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(queries))
	for range 4 {
		for i, q := range queries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := r.Scores(ctx, q, docs)
				if err == nil {
					err = numtest.Check(got, want[i], numtest.Tol{Abs: 1e-6})
				}
				if err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := r.Scores(cctx, "q", docs); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Scores(ctx, "q", docs); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
