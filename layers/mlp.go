package layers

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

type gluOp struct {
	opBase
	act Activation
}

// GLU adds act(gate) ⊙ up for gate and up [N, I], fused in one pass and
// written IN PLACE into gate's buffer (gate must not be read by anything
// else). SiLU is SwiGLU (the backend's vectorized kernel), GELU is GeGLU.
func GLU(rt *Runtime, gate, up *G.Node, act Activation) (*G.Node, error) {
	n, i, err := checkMatrix(gate, "GLU gate")
	if err != nil {
		return nil, err
	}
	if s := up.Shape(); !s.Eq(gate.Shape()) {
		return nil, fmt.Errorf("layers: GLU up %q has shape %v, gate has %v", up.Name(), s, gate.Shape())
	}
	op := &gluOp{opBase: newOpBase(rt, "GLU", tensor.Shape{n, i}, gate, up), act: act}
	return apply(op, "GLU "+act.String(), gate, up)
}

func (o *gluOp) Do(inputs ...G.Value) (G.Value, error) {
	n, w := o.shape[0], o.shape[1]
	g, err := o.floats(inputs, 0, n*w)
	if err != nil {
		return nil, err
	}
	u, err := o.floats(inputs, 1, n*w)
	if err != nil {
		return nil, err
	}
	parallelRange(o.rt.threadsFor(n*w), n, func(lo, hi int) {
		if o.act == ActSiLU {
			swiglu(g[lo*w:hi*w], u[lo*w:hi*w])
			return
		}
		activateRow(o.act, g[lo*w:hi*w])
		for i, v := range u[lo*w : hi*w] {
			g[lo*w+i] *= v
		}
	})
	return inputs[0], nil
}

// GatedMLP adds the gated feed-forward block down(act(x·Wgᵀ) ⊙ x·Wuᵀ)
// (SwiGLU with SiLU, GeGLU with GELU), without biases, added in place to
// residual (see Linear) or, with a nil residual, written to slot.
func GatedMLP(rt *Runtime, x, gate, up, down *G.Node, act Activation, residual *G.Node, slot Slot) (*G.Node, error) {
	g, err := Linear(rt, x, gate, nil, nil, SlotMLPGate)
	if err != nil {
		return nil, err
	}
	u, err := Linear(rt, x, up, nil, nil, SlotMLPUp)
	if err != nil {
		return nil, err
	}
	a, err := GLU(rt, g, u, act)
	if err != nil {
		return nil, err
	}
	return Linear(rt, a, down, nil, residual, slot)
}

// DenseMLP adds the plain two-layer feed-forward block
// act(x·W1ᵀ + b1)·W2ᵀ + b2 (biases may be nil), added in place to residual
// or, with a nil residual, written to slot.
func DenseMLP(rt *Runtime, x, w1, b1, w2, b2 *G.Node, act Activation, residual *G.Node, slot Slot) (*G.Node, error) {
	a, err := Linear(rt, x, w1, b1, nil, SlotMLPGate)
	if err != nil {
		return nil, err
	}
	if a, err = Activate(rt, a, act); err != nil {
		return nil, err
	}
	return Linear(rt, a, w2, b2, residual, slot)
}
