package layers

import (
	"fmt"
	"math"
	"sync/atomic"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MaskValue is added to the scores of masked (future or padding) keys. It is
// large and negative but finite, so a fully masked row never produces NaN.
const MaskValue float32 = -1e30

// queryBlock is how many query rows one attention task handles; its score
// scratch is queryBlock × T per thread, so memory grows linearly in T.
const queryBlock = 64

type attentionOp struct {
	opBase
	heads, kvHeads, dim int
}

// Attention adds grouped-query scaled dot-product attention over q [B·T, heads·dim],
// k and v [B·T, kvHeads·dim] (query head h reads kv head h/(heads/kvHeads), in
// place, nothing copied), with the causal AND the padding mask of the
// runtime's Batch always applied. Scores, mask, softmax and the product with v
// are fused in one pass over blocks of queryBlock query rows per head, using a
// per-thread queryBlock×T scratch, so no T×T matrix is ever held. Padding
// query rows (all keys masked) get zeros. The output [B·T, heads·dim] goes to
// arena slot.
func Attention(rt *Runtime, q, k, v *G.Node, heads, kvHeads, dim int, slot string) (*G.Node, error) {
	n, qw, err := checkMatrix(q, "attention query")
	if err != nil {
		return nil, err
	}
	if heads < 1 || kvHeads < 1 || heads%kvHeads != 0 || qw != heads*dim {
		return nil, fmt.Errorf("layers: attention with %d heads, %d kv heads, head dim %d does not fit query width %d", heads, kvHeads, dim, qw)
	}
	for _, kv := range []*G.Node{k, v} {
		if s := kv.Shape(); len(s) != 2 || s[0] != n || s[1] != kvHeads*dim {
			return nil, fmt.Errorf("layers: attention key/value %q has shape %v, want [%d %d]", kv.Name(), s, n, kvHeads*dim)
		}
	}
	op := &attentionOp{opBase: newOpBase(rt, "Attention", tensor.Shape{n, qw}, q, k, v), heads: heads, kvHeads: kvHeads, dim: dim}
	op.out = slotTensor{slot: slot, shape: op.shape}
	rt.Reserve(slot, n*qw)
	return apply(op, "Attention", q, k, v)
}

func (o *attentionOp) Do(inputs ...G.Value) (G.Value, error) {
	n, qw := o.shape[0], o.shape[1]
	kw := o.kvHeads * o.dim
	q, err := o.floats(inputs, 0, n*qw)
	if err != nil {
		return nil, err
	}
	k, err := o.floats(inputs, 1, n*kw)
	if err != nil {
		return nil, err
	}
	v, err := o.floats(inputs, 2, n*kw)
	if err != nil {
		return nil, err
	}
	bt := o.rt.Batch
	if bt.Size*bt.Length != n {
		return nil, fmt.Errorf("%s: batch layout %d×%d does not match %d rows", o.name, bt.Size, bt.Length, n)
	}
	T := bt.Length
	threads := o.rt.Threads
	qb := min(queryBlock, T)
	scratch := o.rt.Buffer("attention.scores", threads*qb*T)
	outT := o.out.get(o.rt)
	out := outT.Float32s()

	// Padding rows of the output are zeros; real rows are all written below.
	for b := range bt.Size {
		clear(out[b*T*qw : (b*T+bt.Start[b])*qw])
		clear(out[(b*T+bt.Start[b]+bt.Len[b])*qw : (b+1)*T*qw])
	}

	// Tasks: (sequence, head, query block), counted per sequence.
	blocks := make([]int, bt.Size+1) // prefix sums of tasks
	for b := range bt.Size {
		blocks[b+1] = blocks[b] + o.heads*((bt.Len[b]+qb-1)/qb)
	}
	group := o.heads / o.kvHeads
	scale := float32(1 / math.Sqrt(float64(o.dim)))
	D := o.dim
	// Attention over a long input is the longest step of a layer, so a
	// cancelled context stops it between query blocks, not only between layers.
	var cancelled atomic.Bool
	parallel(threads, blocks[bt.Size], func(worker, task int) {
		if cancelled.Load() {
			return
		}
		if o.rt.checkCancel() != nil {
			cancelled.Store(true)
			return
		}
		b := 0
		for blocks[b+1] <= task {
			b++
		}
		t := task - blocks[b]
		nb := (bt.Len[b] + qb - 1) / qb
		h, blk := t/nb, t%nb
		kvh := h / group
		base := b*T + bt.Start[b] // first real row of the sequence
		i0 := blk * qb
		i1 := min(i0+qb, bt.Len[b])
		m, nk := i1-i0, i1 // queries i0..i1-1 see keys 0..i1-1 at most
		s := scratch[worker*qb*T : worker*qb*T+m*nk]
		// S = scale · Q_blk · K_seqᵀ, reading heads in place through the leading dimension.
		sgemm(true, m, nk, D, scale, q[(base+i0)*qw+h*D:], qw, k[base*kw+kvh*D:], kw, 0, s, nk)
		causalSoftmax(s, m, nk, i0)
		// O_blk = P · V_seq, written straight into the head's columns.
		sgemm(false, m, D, nk, 1, s, nk, v[base*kw+kvh*D:], kw, 0, out[(base+i0)*qw+h*D:], qw)
	})
	if cancelled.Load() {
		return nil, o.rt.checkCancel()
	}
	return outT, nil
}
