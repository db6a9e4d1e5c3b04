package graph

import (
	"context"
	"math/rand"
	"testing"

	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/internal/reference"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// TestEncodersMatchReference runs the BERT-family test models against the
// float64 reference, with token type ids, in mixed-length batches.
func TestEncodersMatchReference(t *testing.T) {
	for _, variant := range []string{"bert-mean", "roberta-mean"} {
		t.Run(variant, func(t *testing.T) {
			dir := modelgen.TestModel(t, variant)
			ref := loadRef(t, dir)
			r := rand.New(rand.NewSource(7))
			var in []Input
			for _, n := range []int{1, 5, 70, 128, 9} {
				s := Input{IDs: make([]int, n), TypeIDs: make([]int, n)}
				for j := range s.IDs {
					s.IDs[j] = 1000 + r.Intn(29000)
					if variant == "bert-mean" && j > n/2 {
						s.TypeIDs[j] = 1
					}
				}
				in = append(in, s)
			}
			for _, pool := range []Pooling{PoolMean, PoolCLS, PoolMax} {
				m, err := Load(dir, Options{Pooling: pool, Threads: 2, MaxBatchTokens: 256})
				if err != nil {
					t.Fatal(err)
				}
				got, err := m.Run(context.Background(), in, nil)
				m.Close()
				if err != nil {
					t.Fatal(err)
				}
				for i, s := range in {
					name := map[Pooling]string{PoolMean: "mean", PoolCLS: "cls", PoolMax: "max"}[pool]
					want, err := ref.Forward(s.IDs, s.TypeIDs, reference.Pooling(name), 0)
					if err != nil {
						t.Fatal(err)
					}
					if err := numtest.Check(got[i], want, numtest.Tol{Abs: 1e-4, Rel: 1e-4}); err != nil {
						t.Fatalf("%v pooling, sequence %d (%d tokens): %v", pool, i, len(s.IDs), err)
					}
				}
			}
		})
	}
}

func TestEncoderLength(t *testing.T) {
	m := loadModel(t, "roberta-mean", Options{})
	if got := m.Config().MaxPositions; got != 128 {
		t.Fatalf("roberta usable length %d, want max_position_embeddings 130 − pad_token_id 1 − 1", got)
	}
	if _, err := m.Forward(context.Background(), [][]int{make([]int, 129)}); err == nil {
		t.Fatal("129 tokens accepted by a model with 128 positions")
	}
}
