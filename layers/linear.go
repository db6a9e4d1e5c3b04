package layers

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

type linearOp struct {
	opBase
	hasBias, residual bool
	bf16              bool // the weight is bfloat16 bits ([]uint16)
}

// Type is opBase's with the weight's own dtype: a bfloat16 weight is a
// Uint16 tensor while everything else is float32.
func (o *linearOp) Type() hm.Type {
	if !o.bf16 {
		return o.opBase.Type()
	}
	ts := make(hm.Types, 0, len(o.inDims)+1)
	for i, d := range o.inDims {
		var of hm.Type = tensor.Float32
		if i == 1 {
			of = tensor.Uint16
		}
		ts = append(ts, G.TensorType{Dims: d, Of: of})
	}
	ts = append(ts, G.TensorType{Dims: len(o.shape), Of: tensor.Float32})
	return hm.NewFnType(ts...)
}

// Linear adds y = x·Wᵀ (+ b) for x [N, in] and W in Hugging Face's [out, in]
// layout, computed by sgemm with the transposed-B flag (W is never copied).
// W is float32, or bfloat16 bits in a Uint16 tensor: then x is rounded to
// bfloat16 for the products, which are summed in float32 (the bf16 mode).
// b may be nil. When residual is non-nil ([N, out]) the product is added to it
// IN PLACE (sgemm with beta = 1) and the residual's buffer is the result;
// the residual node must not be read by anything scheduled after this op.
// Otherwise y is written to arena slot.
func Linear(rt *Runtime, x, w, b, residual *G.Node, slot Slot) (*G.Node, error) {
	n, in, err := checkMatrix(x, "Linear input")
	if err != nil {
		return nil, err
	}
	out, win, err := checkMatrix(w, "Linear weight")
	if err != nil {
		return nil, err
	}
	switch w.Dtype() {
	case tensor.Float32, tensor.Uint16:
	default:
		return nil, fmt.Errorf("layers: Linear weight %q is %v, want float32 or bfloat16 (uint16)", w.Name(), w.Dtype())
	}
	if win != in {
		return nil, fmt.Errorf("layers: Linear weight %q is [%d,%d], input has %d features", w.Name(), out, win, in)
	}
	inputs := []*G.Node{x, w}
	if b != nil {
		if err := checkVector(b, "Linear bias", out); err != nil {
			return nil, err
		}
		inputs = append(inputs, b)
	}
	if residual != nil {
		if s := residual.Shape(); len(s) != 2 || s[0] != n || s[1] != out {
			return nil, fmt.Errorf("layers: Linear residual %q has shape %v, want [%d %d]", residual.Name(), s, n, out)
		}
		inputs = append(inputs, residual)
	}
	op := &linearOp{opBase: newOpBase(rt, "Linear", tensor.Shape{n, out}, inputs...), hasBias: b != nil, residual: residual != nil,
		bf16: w.Dtype() == tensor.Uint16}
	if residual == nil {
		op.out = slotTensor{slot: slot, shape: op.shape}
		rt.Reserve(slot, n*out)
	}
	return apply(op, "Linear "+w.Name(), inputs...)
}

func (o *linearOp) Do(inputs ...G.Value) (G.Value, error) {
	n, out := o.shape[0], o.shape[1]
	x, err := o.floats(inputs, 0, -1)
	if err != nil {
		return nil, err
	}
	in := len(x) / n
	var w []float32
	var wb []uint16
	if o.bf16 {
		wb, err = o.uint16s(inputs, 1, out*in)
	} else {
		w, err = o.floats(inputs, 1, out*in)
	}
	if err != nil {
		return nil, err
	}
	var bias []float32
	next := 2
	if o.hasBias {
		if bias, err = o.floats(inputs, next, out); err != nil {
			return nil, err
		}
		next++
	}
	var result G.Value
	var y []float32
	beta := float32(0)
	if o.residual {
		if y, err = o.floats(inputs, next, n*out); err != nil {
			return nil, err
		}
		result = inputs[next]
		beta = 1
	} else {
		t := o.out.get(o.rt)
		y, result = t.Float32s(), t
	}
	threads, release := o.rt.borrow(n * in * out)
	defer release()
	if o.bf16 {
		matmulNTBF16(threads, n, out, in, x, wb, bias, beta, y)
	} else {
		matmulNT(threads, n, out, in, x, w, bias, beta, y)
	}
	return result, nil
}

// matmulNT computes y = beta·y + x·wᵀ (+ bias) with x [n,k], w [m,k], y [n,m],
// splitting the output columns (rows of w) across threads so each goroutine
// streams a disjoint part of the weights.
func matmulNT(threads, n, m, k int, x, w, bias []float32, beta float32, y []float32) {
	splitColumns(threads, n, m, bias, y, func(c0, c1 int) {
		sgemmNT(n, c1-c0, k, x, w[c0*k:], beta, y[c0:], m)
	})
}

// matmulNTBF16 is matmulNT with bfloat16 weights.
func matmulNTBF16(threads, n, m, k int, x []float32, w []uint16, bias []float32, beta float32, y []float32) {
	splitColumns(threads, n, m, bias, y, func(c0, c1 int) {
		sgemmNTBF16(n, c1-c0, k, x, w[c0*k:], beta, y[c0:], m)
	})
}

// splitColumns runs mul on disjoint, aligned ranges of the m output columns
// in parallel, then adds the bias to each range.
func splitColumns(threads, n, m int, bias, y []float32, mul func(c0, c1 int)) {
	const align = 16
	chunks := threads
	if m/align < chunks {
		chunks = max(1, m/align)
	}
	parallelRange(chunks, chunks, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			c0 := (c * m / chunks) / align * align
			c1 := ((c + 1) * m / chunks) / align * align
			if c == chunks-1 {
				c1 = m
			}
			if c1 <= c0 {
				continue
			}
			mul(c0, c1)
			if bias != nil {
				for r := range n {
					addTo(y[r*m+c0:r*m+c1], bias[c0:c1])
				}
			}
		}
	})
}
