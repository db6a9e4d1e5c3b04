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

// causalQueryBlock is the query block of causal attention, smaller: a block
// sees only the keys up to its last query, so smaller blocks skip more of
// the masked scores (and of the products with their zero weights).
const causalQueryBlock = 32

// ScoreBias returns an additive term for the score of query position q
// against key position k in head h (positions count real tokens from 0):
// relative-position buckets, ALiBi. It must be safe for concurrent calls.
type ScoreBias func(head, q, k int) float32

// AttentionSpec describes one attention: its options are arguments, not
// variants.
type AttentionSpec struct {
	Heads, KVHeads, Dim int // query head h reads kv head h/(Heads/KVHeads)
	// Causal masks keys after the query; otherwise attention is
	// bidirectional (padding keys are always masked).
	Causal bool
	// Window, when > 0, masks keys farther than Window positions from the
	// query (|q−k| > Window); with Causal that is a causal sliding window,
	// without it a symmetric one.
	Window int
	// Scale multiplies the scores; 0 = 1/√Dim.
	Scale float64
	// Bias, when non-nil, is added to every score before the softmax.
	Bias ScoreBias
}

type attentionOp struct {
	opBase
	spec AttentionSpec
}

// Attention adds scaled dot-product attention over q [B·T, heads·dim], k and
// v [B·T, kvHeads·dim] (heads read in place, nothing copied), masked by the
// runtime's Batch (padding keys never count) and by spec's causal and window
// options. Scores, mask, bias, softmax and the product with v are fused in
// one pass over blocks of queryBlock query rows per head, using a per-thread
// queryBlock×T scratch, so no T×T matrix is ever held. Padding query rows get
// zeros. The output [B·T, heads·dim] goes to arena slot.
func Attention(rt *Runtime, q, k, v *G.Node, spec AttentionSpec, slot Slot) (*G.Node, error) {
	n, qw, err := checkMatrix(q, "attention query")
	if err != nil {
		return nil, err
	}
	heads, kvHeads, dim := spec.Heads, spec.KVHeads, spec.Dim
	if heads < 1 || kvHeads < 1 || heads%kvHeads != 0 || qw != heads*dim {
		return nil, fmt.Errorf("layers: attention with %d heads, %d kv heads, head dim %d does not fit query width %d", heads, kvHeads, dim, qw)
	}
	if spec.Window < 0 || spec.Scale < 0 {
		return nil, fmt.Errorf("layers: attention window %d / scale %v is invalid", spec.Window, spec.Scale)
	}
	for _, kv := range []*G.Node{k, v} {
		if s := kv.Shape(); len(s) != 2 || s[0] != n || s[1] != kvHeads*dim {
			return nil, fmt.Errorf("layers: attention key/value %q has shape %v, want [%d %d]", kv.Name(), s, n, kvHeads*dim)
		}
	}
	op := &attentionOp{opBase: newOpBase(rt, "Attention", tensor.Shape{n, qw}, q, k, v), spec: spec}
	op.out = slotTensor{slot: slot, shape: op.shape}
	rt.Reserve(slot, n*qw)
	return apply(op, "Attention", q, k, v)
}

// attnTask is one attention task: query rows i0..i0+m-1 of a sequence
// whose first real row is base, head head, against keys k0..k0+nk-1.
type attnTask struct {
	head, base, i0, k0, m, nk int
}

func (o *attentionOp) Do(inputs ...G.Value) (G.Value, error) {
	n, qw := o.shape[0], o.shape[1]
	sp := o.spec
	kw := sp.KVHeads * sp.Dim
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
	qb := queryBlock
	if sp.Causal {
		qb = causalQueryBlock
	}
	qb = min(qb, T)
	scratch := o.rt.Buffer(SlotScores, threads*qb*T)
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
		blocks[b+1] = blocks[b] + sp.Heads*((bt.Len[b]+qb-1)/qb)
	}
	group := sp.Heads / sp.KVHeads
	scale := float32(1 / math.Sqrt(float64(sp.Dim)))
	if sp.Scale > 0 {
		scale = float32(sp.Scale)
	}
	D := sp.Dim
	// Only the plain causal case is the backend's fused mask+softmax; every
	// other mask is added here and the softmax then runs unmasked.
	plainCausal := sp.Causal && sp.Window == 0 && sp.Bias == nil
	// Attention over a long input is the longest step of a layer, so a
	// cancelled context stops it between query blocks, not only between layers.
	locate := func(task int) attnTask {
		b := 0
		for blocks[b+1] <= task {
			b++
		}
		t := task - blocks[b]
		nb := (bt.Len[b] + qb - 1) / qb
		w := attnTask{head: t / nb, base: b*T + bt.Start[b], i0: t % nb * qb}
		i1 := min(w.i0+qb, bt.Len[b])
		// Keys k0..k1-1 are the ones any query of the block can see.
		k1 := bt.Len[b]
		if sp.Causal {
			k1 = i1
		}
		if sp.Window > 0 {
			w.k0 = max(0, w.i0-sp.Window)
			k1 = min(k1, i1-1+sp.Window+1)
		}
		w.m, w.nk = i1-w.i0, k1-w.k0
		return w
	}
	var cancelled atomic.Bool
	parallel(threads, blocks[bt.Size], func(worker, task int) {
		if cancelled.Load() {
			return
		}
		if o.rt.checkCancel() != nil {
			cancelled.Store(true)
			return
		}
		w := locate(task)
		h, kvh, base, i0, k0, m, nk := w.head, w.head/group, w.base, w.i0, w.k0, w.m, w.nk
		// The next task's rows of Q, K and V are cache misses (each head
		// reads a short piece of every row): ask for them while this one
		// computes, Q and K now and V after the scores. With one thread the
		// next task is known; with several it is the likely one.
		next, hasNext := attnTask{}, task+threads < blocks[bt.Size]
		if hasNext {
			next = locate(task + threads)
			prefetchRows(q[(next.base+next.i0)*qw+next.head*D:], qw, next.m, D)
			prefetchRows(k[(next.base+next.k0)*kw+next.head/group*D:], kw, next.nk, D)
		}
		s := scratch[worker*qb*T : worker*qb*T+m*nk]
		// S = scale · Q_blk · K_seqᵀ, reading heads in place through the leading dimension.
		sgemm(true, m, nk, D, scale, q[(base+i0)*qw+h*D:], qw, k[(base+k0)*kw+kvh*D:], kw, 0, s, nk)
		if plainCausal {
			causalSoftmax(s, m, nk, i0)
		} else {
			for r := range m {
				if !sp.Causal && sp.Window == 0 && sp.Bias == nil {
					break // bidirectional: padding keys are already outside k0..k1
				}
				qi := i0 + r
				row := s[r*nk : (r+1)*nk]
				for j := range row {
					kj := k0 + j
					if (sp.Causal && kj > qi) || (sp.Window > 0 && (kj-qi > sp.Window || qi-kj > sp.Window)) {
						row[j] += MaskValue
					} else if sp.Bias != nil {
						row[j] += sp.Bias(h, qi, kj)
					}
				}
			}
			causalSoftmax(s, m, nk, nk) // first = nk: no key is after the last query
		}
		if hasNext {
			prefetchRows(v[(next.base+next.k0)*kw+next.head/group*D:], kw, next.nk, D)
		}
		// O_blk = P · V_seq, written straight into the head's columns.
		sgemm(false, m, D, nk, 1, s, nk, v[(base+k0)*kw+kvh*D:], kw, 0, out[(base+i0)*qw+h*D:], qw)
	})
	if cancelled.Load() {
		return nil, o.rt.checkCancel()
	}
	return outT, nil
}
