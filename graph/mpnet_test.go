package graph

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gembed-dev/gembed/internal/numtest"
)

// TestMPNetBuckets compares every relative-position bucket with transformers'
// MPNetEncoder.relative_position_bucket (golden made by
// scripts/reference/mpnet_buckets.py).
func TestMPNetBuckets(t *testing.T) {
	path := filepath.Join("..", "testdata", "golden", "transformers", "mpnet-buckets.json.gz")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden file missing: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Buckets     int   `json:"num_buckets"`
		MaxDistance int   `json:"max_distance"`
		First       int   `json:"first_relative_position"`
		Values      []int `json:"buckets"`
	}
	if err := json.NewDecoder(zr).Decode(&g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if g.Buckets != mpnetBuckets || g.MaxDistance != mpnetMaxDistance || len(g.Values) < 1000 {
		t.Fatalf("%s: %d buckets, max distance %d, %d values", path, g.Buckets, g.MaxDistance, len(g.Values))
	}
	arch, err := newMPNet(&Config{Hidden: 32, Intermediate: 64, Layers: 1, Heads: 4, Vocab: 100, MaxPositions: 2048,
		raw: []byte(`{"model_type":"mpnet"}`)})
	if err != nil {
		t.Fatal(err)
	}
	m := arch.(*mpnet)
	for i, want := range g.Values {
		rel := g.First + i
		if got := mpnetBucket(rel, mpnetBuckets, mpnetMaxDistance); got != want {
			t.Errorf("relative position %d: bucket %d, transformers %d", rel, got, want)
		}
		// The forward pass's lookup: query 1100, key 1100 + rel.
		if got := m.bucket(1100, 1100+rel); got != want {
			t.Errorf("relative position %d: table bucket %d, transformers %d", rel, got, want)
		}
	}
}

// TestMPNetBatchEqualsAlone: a mixed-length (left-padded) batch,
// split over several graphs, gives each sequence's vector alone; the
// sentence-transformers goldens (right padding) are checked in embed.
func TestMPNetBatchEqualsAlone(t *testing.T) {
	for _, variant := range []string{"mpnet-mean"} {
		t.Run(variant, func(t *testing.T) {
			m := loadModel(t, variant, Options{Threads: 2, MaxBatchTokens: 256})
			r := rand.New(rand.NewSource(11))
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
				t.Error("129 tokens accepted by a model with 128 usable positions")
			}
		})
	}
}

func TestMPNetConfig(t *testing.T) {
	const mpnet = `{"model_type":"mpnet","hidden_size":768,"intermediate_size":3072,"num_hidden_layers":12,
		"num_attention_heads":12,"vocab_size":30527,"max_position_embeddings":514,"pad_token_id":1,"layer_norm_eps":1e-05,
		"relative_attention_num_buckets":32}`
	for _, tc := range []struct {
		name, json string
		want       Config
		err        string
	}{
		{name: "all-mpnet-base-v2", json: mpnet,
			want: Config{ModelType: "mpnet", Hidden: 768, Intermediate: 3072, Layers: 12, Heads: 12, KVHeads: 12, HeadDim: 64,
				Vocab: 30527, MaxPositions: 512}},
		{name: "mpnet with fewer buckets than transformers indexes", json: strings.Replace(mpnet, `"relative_attention_num_buckets":32`, `"relative_attention_num_buckets":16`, 1),
			err: "relative_attention_num_buckets"},
		{name: "mpnet pad beyond positions", json: strings.Replace(mpnet, `"pad_token_id":1`, `"pad_token_id":600`, 1),
			err: "pad_token_id"},
		{name: "mpnet unknown activation", json: strings.Replace(mpnet, `"pad_token_id":1`, `"pad_token_id":1,"hidden_act":"mish"`, 1), err: `"hidden_act"`},
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
