package layers

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

type linearOp struct {
	opBase
	hasBias, residual bool
}

// Linear adds y = x·Wᵀ (+ b) for x [N, in] and W in Hugging Face's [out, in]
// layout, computed by sgemm with the transposed-B flag (W is never copied).
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
	op := &linearOp{opBase: newOpBase(rt, "Linear", tensor.Shape{n, out}, inputs...), hasBias: b != nil, residual: residual != nil}
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
	w, err := o.floats(inputs, 1, out*in)
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
	matmulNT(o.rt.Threads, n, out, in, x, w, bias, beta, y)
	return result, nil
}

// matmulNT computes y = beta·y + x·wᵀ (+ bias) with x [n,k], w [m,k], y [n,m],
// splitting the output columns (rows of w) across threads so each goroutine
// streams a disjoint part of the weights.
func matmulNT(threads, n, m, k int, x, w, bias []float32, beta float32, y []float32) {
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
			sgemmNT(n, c1-c0, k, x, w[c0*k:], beta, y[c0:], m)
			if bias != nil {
				for r := range n {
					row := y[r*m+c0 : r*m+c1]
					for i, b := range bias[c0:c1] {
						row[i] += b
					}
				}
			}
		}
	})
}
