package embed

import (
	"context"
	"hash/fnv"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gembed-dev/gembed/graph"
)

const (
	fakeEOS    = 256
	fakeVocab  = 300
	fakeHidden = 8
)

// fakeEncoder tokenizes bytes (id = byte) and appends fakeEOS; truncation
// keeps the final fakeEOS, like the Qwen3-Embedding tokenizer.
type fakeEncoder struct{}

func (fakeEncoder) encodeBatch(ctx context.Context, texts []string, maxLen int) ([]encoded, error) {
	out := make([]encoded, len(texts))
	for i, t := range texts {
		ids := make([]int, 0, len(t)+1)
		for _, b := range []byte(t) {
			ids = append(ids, int(b))
		}
		ids = append(ids, fakeEOS)
		e := encoded{ids: ids, originalLen: len(ids)}
		if maxLen > 0 && len(ids) > maxLen {
			e.ids = append(ids[:maxLen-1:maxLen-1], fakeEOS)
			e.truncated = true
		}
		out[i] = e
	}
	return out, ctx.Err()
}

// fakeModel's vector depends only on the sequence, never on the batch.
type fakeModel struct {
	budget  int // sub-batch budget and parts, as the real model plans
	parts   int
	mu      sync.Mutex
	batches [][]int // lengths per sub-batch
	calls   atomic.Int64
	closed  atomic.Bool
	block   chan struct{} // when set, Forward waits on it or the context
	nanFor  int           // when > 0, a sequence holding this id gets a NaN
}

func (m *fakeModel) Run(ctx context.Context, in []graph.Input, done func([]int)) ([][]float32, error) {
	m.calls.Add(1)
	lengths := make([]int, len(in))
	for i, s := range in {
		lengths[i] = len(s.IDs)
	}
	out := make([][]float32, len(in))
	for _, b := range graph.Plan(lengths, m.budget, m.parts) {
		seqs := make([][]int, len(b))
		for j, i := range b {
			seqs[j] = in[i].IDs
		}
		vs, err := m.forward(ctx, seqs)
		if err != nil {
			return nil, err
		}
		for j, i := range b {
			out[i] = vs[j]
		}
		if done != nil {
			done(b)
		}
	}
	return out, nil
}

func (m *fakeModel) forward(ctx context.Context, seqs [][]int) ([][]float32, error) {
	if m.block != nil {
		select {
		case <-m.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	lens := make([]int, len(seqs))
	out := make([][]float32, len(seqs))
	for i, s := range seqs {
		lens[i] = len(s)
		out[i] = fakeVector(s)
		if m.nanFor > 0 && slices.Contains(s, m.nanFor) {
			out[i][fakeHidden-1] = float32(math.NaN())
		}
	}
	m.mu.Lock()
	m.batches = append(m.batches, lens)
	m.mu.Unlock()
	return out, nil
}

func (m *fakeModel) Close() error { m.closed.Store(true); return nil }

func fakeVector(seq []int) []float32 {
	v := make([]float32, fakeHidden)
	for k := range v {
		h := fnv.New32a()
		for _, id := range seq {
			h.Write([]byte{byte(id), byte(id >> 8), byte(k)})
		}
		v[k] = float32(h.Sum32()%1000)/100 - 5
	}
	return v
}

var fakeST = SentenceTransformers{
	Pooling: PoolLastToken, Normalize: true, IncludePrompt: true,
	Prompts: map[string]string{"query": "Q:", "document": ""},
}

func newFake(tb interface{ Fatal(...any) }, model *fakeModel, opts ...Option) *Embedder {
	s := defaultSettings()
	for _, o := range opts {
		o(&s)
	}
	model.budget, model.parts = s.batchTokens, max(1, s.threads)
	shape := modelShape{modelType: "fake", hidden: fakeHidden, vocab: fakeVocab, maxPos: 64, layers: 1, heads: 1, kvHeads: 1, headDim: 8}
	e, err := newEmbedder("fake", "/fake", shape, fakeST, fakeEncoder{}, model, s)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}
