package layers

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Pooling selects how a sequence's hidden states become one vector.
type Pooling int

// Pooling modes, as in sentence-transformers' 1_Pooling/config.json. The zero
// value is no mode: Pool refuses it, and package graph uses it for "read the
// mode from the model folder".
const (
	PoolLastToken    Pooling = iota + 1 // hidden state of the last real token
	PoolMean                            // mean over the real tokens
	PoolCLS                             // hidden state of the first token
	PoolMax                             // elementwise max over the real tokens
	PoolMeanSqrtLen                     // sum over the real tokens / √count
	PoolWeightedMean                    // mean weighted by position (1, 2, …)
)

func (p Pooling) String() string {
	switch p {
	case 0:
		return "auto"
	case PoolLastToken:
		return "last-token"
	case PoolMean:
		return "mean"
	case PoolCLS:
		return "cls"
	case PoolMax:
		return "max"
	case PoolMeanSqrtLen:
		return "mean-sqrt-len"
	case PoolWeightedMean:
		return "weighted-mean"
	}
	return fmt.Sprintf("Pooling(%d)", int(p))
}

type poolOp struct {
	opBase
	modes []Pooling
}

// Pool adds pooling of h [B·T, H] by the runtime's Batch: per sequence, the
// given modes' vectors concatenated in order into [B, H·len(modes)] (not
// L2-normalized) in slot. The modes that average (mean, max, mean-sqrt-len,
// weighted-mean) skip each sequence's first Batch.Skip tokens (a prompt
// sentence-transformers excludes with include_prompt: false); a sequence with
// nothing left pools to zeros. Weighted mean weighs token t (from the
// sequence's first token, prompt included) by t+1, as sentence-transformers
// does with right padding.
func Pool(rt *Runtime, h *G.Node, modes []Pooling, batch int, slot Slot) (*G.Node, error) {
	n, width, err := checkMatrix(h, "pooling input")
	if err != nil {
		return nil, err
	}
	if batch < 1 || n%batch != 0 {
		return nil, fmt.Errorf("layers: pooling %d rows into %d sequences", n, batch)
	}
	if len(modes) == 0 {
		return nil, fmt.Errorf("layers: no pooling mode")
	}
	for _, m := range modes {
		if m < PoolLastToken || m > PoolWeightedMean {
			return nil, fmt.Errorf("layers: unknown pooling mode %v", m)
		}
	}
	out := width * len(modes)
	op := &poolOp{opBase: newOpBase(rt, "Pool", tensor.Shape{batch, out}, h), modes: append([]Pooling(nil), modes...)}
	op.out = slotTensor{slot: slot, shape: op.shape}
	rt.Reserve(slot, batch*out)
	return apply(op, "Pool", h)
}

func (o *poolOp) Do(inputs ...G.Value) (G.Value, error) {
	B, W := o.shape[0], o.shape[1]
	H := W / len(o.modes)
	bt := o.rt.Batch
	if bt.Size != B {
		return nil, fmt.Errorf("%s: batch layout has %d sequences, graph %d", o.name, bt.Size, B)
	}
	h, err := o.floats(inputs, 0, B*bt.Length*H)
	if err != nil {
		return nil, err
	}
	outT := o.out.get(o.rt)
	out := outT.Float32s()
	parallelRange(o.rt.Threads, B, func(lo, hi int) {
		acc := make([]float64, H)
		for b := lo; b < hi; b++ {
			first := b*bt.Length + bt.Start[b]
			skip := 0
			if b < len(bt.Skip) {
				skip = min(bt.Skip[b], bt.Len[b])
			}
			lo, hi := first+skip, first+bt.Len[b] // rows the averaging modes read
			for i, mode := range o.modes {
				dst := out[b*W+i*H : b*W+(i+1)*H]
				row := func(r int) []float32 { return h[r*H : (r+1)*H] }
				switch mode {
				case PoolLastToken:
					copy(dst, row(first+bt.Len[b]-1))
				case PoolCLS:
					copy(dst, row(first))
				case PoolMax:
					if lo == hi {
						clear(dst)
						continue
					}
					copy(dst, row(lo))
					for r := lo + 1; r < hi; r++ {
						for j, x := range row(r) {
							dst[j] = max(dst[j], x)
						}
					}
				case PoolMean, PoolMeanSqrtLen, PoolWeightedMean:
					clear(acc)
					wsum := 0.0
					for r := lo; r < hi; r++ {
						w := 1.0
						if mode == PoolWeightedMean {
							w = float64(r - first + 1)
						}
						wsum += w
						for j, x := range row(r) {
							acc[j] += w * float64(x)
						}
					}
					div := wsum
					if mode == PoolMeanSqrtLen {
						div = math.Sqrt(wsum)
					}
					for j := range dst {
						if div == 0 {
							dst[j] = 0
						} else {
							dst[j] = float32(acc[j] / div)
						}
					}
				}
			}
		}
	})
	return outT, nil
}
