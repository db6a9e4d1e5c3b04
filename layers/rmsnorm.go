package layers

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

type rmsNormOp struct {
	opBase
	eps         float64
	checkCancel bool
}

// RMSNorm adds y = x / sqrt(mean(x², last axis) + eps) · w for x [N, H] and
// w [H], written into arena slot. When checkCancel is set the op first checks
// the runtime's context, which lets a forward pass stop between layers.
func RMSNorm(rt *Runtime, x, w *G.Node, eps float64, slot string, checkCancel bool) (*G.Node, error) {
	n, h, err := checkMatrix(x, "RMSNorm input")
	if err != nil {
		return nil, err
	}
	if err := checkVector(w, "RMSNorm weight", h); err != nil {
		return nil, err
	}
	op := &rmsNormOp{opBase: newOpBase(rt, "RMSNorm", tensor.Shape{n, h}, x, w), eps: eps, checkCancel: checkCancel}
	op.out = slotTensor{slot: slot, shape: op.shape}
	rt.Reserve(slot, n*h)
	return apply(op, "RMSNorm", x, w)
}

func (o *rmsNormOp) Do(inputs ...G.Value) (G.Value, error) {
	if o.checkCancel {
		if err := o.rt.checkCancel(); err != nil {
			return nil, err
		}
	}
	n, h := o.shape[0], o.shape[1]
	x, err := o.floats(inputs, 0, n*h)
	if err != nil {
		return nil, err
	}
	w, err := o.floats(inputs, 1, h)
	if err != nil {
		return nil, err
	}
	out := o.out.get(o.rt)
	y := out.Float32s()
	parallelRange(o.rt.threadsFor(n*h), n, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			rmsNormRow(y[r*h:(r+1)*h], x[r*h:(r+1)*h], w, o.eps)
		}
	})
	return out, nil
}
