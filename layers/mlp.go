package layers

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

type swigluOp struct{ opBase }

// SwiGLU adds SiLU(gate) ⊙ up for gate and up [N, I], fused in one pass and
// written IN PLACE into gate's buffer (gate must not be read by anything else).
func SwiGLU(rt *Runtime, gate, up *G.Node) (*G.Node, error) {
	n, i, err := checkMatrix(gate, "SwiGLU gate")
	if err != nil {
		return nil, err
	}
	if s := up.Shape(); !s.Eq(gate.Shape()) {
		return nil, fmt.Errorf("layers: SwiGLU up %q has shape %v, gate has %v", up.Name(), s, gate.Shape())
	}
	op := &swigluOp{newOpBase(rt, "SwiGLU", tensor.Shape{n, i}, gate, up)}
	return apply(op, "SwiGLU", gate, up)
}

func (o *swigluOp) Do(inputs ...G.Value) (G.Value, error) {
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
		swiglu(g[lo*w:hi*w], u[lo*w:hi*w])
	})
	return inputs[0], nil
}

// MLP adds the SwiGLU feed-forward block down(SiLU(x·Wgᵀ) ⊙ x·Wuᵀ), added in
// place to residual (see Linear).
func MLP(rt *Runtime, x, gate, up, down, residual *G.Node) (*G.Node, error) {
	g, err := Linear(rt, x, gate, nil, nil, "mlp.gate")
	if err != nil {
		return nil, err
	}
	u, err := Linear(rt, x, up, nil, nil, "mlp.up")
	if err != nil {
		return nil, err
	}
	a, err := SwiGLU(rt, g, u)
	if err != nil {
		return nil, err
	}
	return Linear(rt, a, down, nil, residual, "")
}
