package graph

import (
	"context"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/gembed-dev/gembed/internal/numtest"
)

// TestDistilBERTBatchEqualsAlone: a mixed-length (left-padded) batch, split
// over several graphs, gives each sequence's vector alone; the
// sentence-transformers golden (right padding) is checked in embed.
func TestDistilBERTBatchEqualsAlone(t *testing.T) {
	m := loadModel(t, "distilbert-mean", Options{Threads: 2, MaxBatchTokens: 256})
	r := rand.New(rand.NewSource(12))
	var seqs [][]int
	for _, n := range []int{1, 5, 70, 128, 9, 33} {
		s := make([]int, n)
		for j := range s {
			s[j] = 1000 + r.Intn(29000)
		}
		seqs = append(seqs, s)
	}
	ctx := context.Background()
	batch, err := m.Forward(ctx, seqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range seqs {
		alone, err := m.Forward(ctx, [][]int{s})
		if err != nil {
			t.Fatal(err)
		}
		if err := numtest.Check(batch[i], alone[0], sameVector); err != nil {
			t.Errorf("sequence %d (%d tokens): batch vs alone: %v", i, len(s), err)
		}
	}
	if _, err := m.Forward(ctx, [][]int{make([]int, 129)}); err == nil {
		t.Error("129 tokens accepted by a model with 128 positions")
	}
}

func TestDistilBERTConfig(t *testing.T) {
	const distil = `{"model_type":"distilbert","dim":768,"hidden_dim":3072,"n_layers":6,"n_heads":12,"vocab_size":30522,
		"max_position_embeddings":512,"activation":"gelu","sinusoidal_pos_embds":false}`
	base := Config{ModelType: "distilbert", Hidden: 768, Intermediate: 3072, Layers: 6, Heads: 12, KVHeads: 12, HeadDim: 64,
		Vocab: 30522, MaxPositions: 512}
	for _, tc := range []struct {
		name, json string
		want       Config
		err        string
	}{
		{name: "distilbert-base", json: distil, want: base},
		{name: "defaults", json: `{"model_type":"distilbert"}`, want: base},
		{name: "sinusoidal table is read from the checkpoint", json: strings.Replace(distil, `"sinusoidal_pos_embds":false`, `"sinusoidal_pos_embds":true`, 1), want: base},
		{name: "heads do not divide dim", json: strings.Replace(distil, `"n_heads":12`, `"n_heads":7`, 1), err: `"n_heads"`},
		{name: "zero heads", json: strings.Replace(distil, `"n_heads":12`, `"n_heads":0`, 1), err: `"n_heads"`},
		{name: "zero hidden_dim", json: strings.Replace(distil, `"hidden_dim":3072`, `"hidden_dim":0`, 1), err: `"hidden_dim"`},
		{name: "unknown activation", json: strings.Replace(distil, `"activation":"gelu"`, `"activation":"mish"`, 1), err: `"activation"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfig([]byte(tc.json))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.raw, got.Architectures = nil, nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
