package embed_test

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/internal/numtest"
)

// invarianceWords make the random texts a target text is batched with.
var invarianceWords = strings.Fields(`the quick brown fox jumps over a lazy dog while 東京 and München
	share über-long tokens like antidisestablishmentarianism 42 3.14 émigré naïve ß İstanbul`)

// randomText is 0 to maxWords random words.
func randomText(r *rand.Rand, maxWords int) string {
	words := make([]string, r.Intn(maxWords+1))
	for i := range words {
		words[i] = invarianceWords[r.Intn(len(invarianceWords))]
	}
	return strings.Join(words, " ")
}

// TestBatchInvariantBits checks the batch-invariance guarantee on every
// family's tiny model: a text's vector has the same bits embedded alone and
// inside batches of 2 to 64 random texts of random lengths (so other padded
// lengths, other row counts, the few-row and the packed products, left and
// right padding), with 1 and 2 threads (against the vector alone on one
// thread), in float32 and bfloat16.
func TestBatchInvariantBits(t *testing.T) {
	ctx := context.Background()
	targets := []string{"a text whose vector must not depend on its neighbours", "x", ""}
	for _, tc := range []struct {
		variant string
		dtype   embed.DType
	}{
		{"qwen3-f32", embed.Float32},
		{"qwen3-f32", embed.BFloat16},
		{"bert-mean", embed.Float32},
		{"bert-mean", embed.BFloat16},
		{"bert-cls-dense", embed.Float32},
		{"roberta-mean", embed.Float32},
		{"mpnet-mean", embed.Float32},
		{"distilbert-mean", embed.Float32},
		{"modernbert-mean", embed.Float32},
		{"nomic-mean", embed.Float32},
		{"gte-cls", embed.Float32},
		{"gemma3-f32", embed.Float32},
		{"mistral-sharded", embed.Float32},
	} {
		t.Run(fmt.Sprintf("%s/%v", tc.variant, tc.dtype), func(t *testing.T) {
			// The vectors alone on one thread are what every other way must give.
			one := load(t, tc.variant, embed.WithDType(tc.dtype), embed.WithThreads(1))
			alone := make([][]float32, len(targets))
			for i, text := range targets {
				v, err := one.Embed(ctx, []string{text})
				if err != nil {
					t.Fatal(err)
				}
				alone[i] = v[0]
			}
			for _, threads := range []int{1, 2} {
				e := one
				if threads != 1 {
					e = load(t, tc.variant, embed.WithDType(tc.dtype), embed.WithThreads(threads))
				}
				r := rand.New(rand.NewSource(int64(len(tc.variant) + threads)))
				for _, size := range []int{1, 2, 3, 7, 16, 33, 64} {
					batch := make([]string, size)
					for i := range batch {
						batch[i] = randomText(r, 40)
					}
					at := r.Perm(size)[:min(size, len(targets))]
					for i, pos := range at {
						batch[pos] = targets[i]
					}
					got, err := e.Embed(ctx, batch)
					if err != nil {
						t.Fatal(err)
					}
					for i, pos := range at {
						if err := numtest.SameBits(got[pos], alone[i]); err != nil {
							t.Fatalf("%d threads: %q at %d of a batch of %d: %v", threads, targets[i], pos, size, err)
						}
					}
				}
			}
		})
	}
}
