package graph

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/layers"
)

// TestBatchInvariantFullSize is the batch-invariance property at the
// Qwen3-Embedding-0.6B shape (the products' real widths, both the few-row
// and the packed paths, several blocks of k): a 32-token text's vector has
// the same bits alone and inside batches of up to 64 random sequences of
// random lengths, with 1 and 2 threads, in float32 and bfloat16.
func TestBatchInvariantFullSize(t *testing.T) {
	dir := benchModelDir()
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		t.Skipf("full-size model %s absent: go run ./testdata/genmodel -full DIR and set GEMBED_BENCH_MODEL=DIR", dir)
	}
	// The portable kernels are ~30× slower: fewer and smaller batches.
	sizes, maxLen := map[int][]int{1: {5}, 2: {2, 64}}, 48
	if layers.Kernels() == "portable Go" {
		sizes, maxLen = map[int][]int{1: {3}, 2: {2, 5}}, 24
	}
	r := rand.New(rand.NewSource(16))
	randomSeq := func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = 1 + r.Intn(150000)
		}
		return s
	}
	target := randomSeq(32)
	for _, dtype := range []DType{Float32, BFloat16} {
		var alone []float32
		for _, threads := range []int{1, 2} {
			t.Run(fmt.Sprintf("%v/threads=%d", dtype, threads), func(t *testing.T) {
				m, err := Load(dir, Options{Pooling: PoolLastToken, Threads: threads, DType: dtype})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				if alone == nil {
					v, err := m.Forward(context.Background(), [][]int{target})
					if err != nil {
						t.Fatal(err)
					}
					alone = v[0]
				}
				for _, size := range sizes[threads] {
					seqs := make([][]int, size)
					for i := range seqs {
						seqs[i] = randomSeq(1 + r.Intn(maxLen))
					}
					at := r.Intn(size)
					seqs[at] = target
					got, err := m.Forward(context.Background(), seqs)
					if err != nil {
						t.Fatal(err)
					}
					if err := numtest.SameBits(got[at], alone); err != nil {
						t.Fatalf("at %d of a batch of %d: %v", at, size, err)
					}
				}
			})
		}
	}
}
