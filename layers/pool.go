package layers

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Pooling selects how a sequence's hidden states become one vector.
type Pooling int

// Pooling modes, as in sentence-transformers' 1_Pooling/config.json. The zero
// value is no mode: FinalNormPool refuses it, and package graph uses it for
// "read the mode from the model folder".
const (
	PoolLastToken Pooling = iota + 1 // hidden state of the last real token
	PoolMean                         // mean over the real tokens
	PoolCLS                          // hidden state of the first real token
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
	}
	return fmt.Sprintf("Pooling(%d)", int(p))
}

type poolOp struct {
	opBase
	mode Pooling
	eps  float64
}

// FinalNormPool adds the final RMSNorm (weight w) fused with pooling: for
// every sequence of the runtime's Batch it normalizes only the rows the
// pooling reads and returns [B, H] (not L2-normalized) in arena slot.
func FinalNormPool(rt *Runtime, h, w *G.Node, eps float64, mode Pooling, batch int, slot string) (*G.Node, error) {
	n, width, err := checkMatrix(h, "pooling input")
	if err != nil {
		return nil, err
	}
	if err := checkVector(w, "final norm weight", width); err != nil {
		return nil, err
	}
	if batch < 1 || n%batch != 0 {
		return nil, fmt.Errorf("layers: pooling %d rows into %d sequences", n, batch)
	}
	if mode < PoolLastToken || mode > PoolCLS {
		return nil, fmt.Errorf("layers: unknown pooling mode %v", mode)
	}
	op := &poolOp{opBase: newOpBase(rt, "FinalNormPool", tensor.Shape{batch, width}, h, w), mode: mode, eps: eps}
	op.out = slotTensor{slot: slot, shape: op.shape}
	rt.Reserve(slot, batch*width)
	return apply(op, "FinalNormPool", h, w)
}

func (o *poolOp) Do(inputs ...G.Value) (G.Value, error) {
	B, H := o.shape[0], o.shape[1]
	bt := o.rt.Batch
	if bt.Size != B {
		return nil, fmt.Errorf("%s: batch layout has %d sequences, graph %d", o.name, bt.Size, B)
	}
	h, err := o.floats(inputs, 0, B*bt.Length*H)
	if err != nil {
		return nil, err
	}
	w, err := o.floats(inputs, 1, H)
	if err != nil {
		return nil, err
	}
	outT := o.out.get(o.rt)
	out := outT.Float32s()
	parallelRange(o.rt.Threads, B, func(lo, hi int) {
		tmp := make([]float32, H)
		for b := lo; b < hi; b++ {
			dst := out[b*H : (b+1)*H]
			first := b*bt.Length + bt.Start[b]
			switch o.mode {
			case PoolLastToken:
				r := first + bt.Len[b] - 1
				rmsNormRow(dst, h[r*H:(r+1)*H], w, o.eps)
			case PoolCLS:
				rmsNormRow(dst, h[first*H:(first+1)*H], w, o.eps)
			case PoolMean:
				acc := make([]float64, H)
				for r := first; r < first+bt.Len[b]; r++ {
					rmsNormRow(tmp, h[r*H:(r+1)*H], w, o.eps)
					for i, x := range tmp {
						acc[i] += float64(x)
					}
				}
				for i := range dst {
					dst[i] = float32(acc[i] / float64(bt.Len[b]))
				}
			}
		}
	})
	return outT, nil
}
