package graph

import (
	"context"
	"math/rand"
	"testing"

	"github.com/gembed-dev/gembed/internal/numtest"
)

// TestRunTokensAgreesWithPooling: in one mixed-length call (several
// sub-batches, left padding), each input's last token vector is the
// last-token pooled vector and the mean of its token vectors is the
// mean-pooled one, and Skip does not drop tokens.
func TestRunTokensAgreesWithPooling(t *testing.T) {
	for _, tc := range []struct {
		variant string
		pool    Pooling
	}{
		{"qwen3-f32", PoolLastToken},
		{"qwen3-f32", PoolMean},
		{"bert-mean", PoolMean},
	} {
		t.Run(tc.variant+"/"+tc.pool.String(), func(t *testing.T) {
			m := loadModel(t, tc.variant, Options{Pooling: tc.pool, MaxBatchTokens: 32})
			r := rand.New(rand.NewSource(3))
			var seqs [][]int
			for _, n := range []int{1, 9, 4, 17, 2} {
				s := make([]int, n)
				for j := range s {
					s[j] = r.Intn(m.Config().Vocab)
				}
				seqs = append(seqs, s)
			}
			in := make([]Input, len(seqs))
			for i, s := range seqs {
				in[i] = Input{IDs: s}
			}
			pooled, err := m.Run(context.Background(), in, nil)
			if err != nil {
				t.Fatal(err)
			}
			in[3].Skip = 2
			tokens, err := m.RunTokens(context.Background(), in, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, rows := range tokens {
				if len(rows) != len(seqs[i]) {
					t.Fatalf("input %d: %d token vectors for %d tokens", i, len(rows), len(seqs[i]))
				}
				want := make([]float64, m.Config().Hidden)
				if tc.pool == PoolLastToken {
					for k, x := range rows[len(rows)-1] {
						want[k] = float64(x)
					}
				} else {
					for _, r := range rows {
						if len(r) != len(want) {
							t.Fatalf("input %d: token vector of %d values, hidden %d", i, len(r), len(want))
						}
						for k, x := range r {
							want[k] += float64(x) / float64(len(rows))
						}
					}
				}
				if err := numtest.Check(pooled[i], want, sameVector); err != nil {
					t.Errorf("input %d (%d tokens): pooled vs from token vectors: %v", i, len(rows), err)
				}
			}
		})
	}
}
