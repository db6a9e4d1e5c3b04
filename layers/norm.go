package layers

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// NormKind selects the normalization a Norm computes.
type NormKind int

// Normalizations.
const (
	// KindRMS is x / sqrt(mean(x²) + eps) · w (eps inside the root).
	KindRMS NormKind = iota + 1
	// KindLayer is (x − mean) / sqrt(var + eps) · w + b (biased variance).
	KindLayer
)

// NormSpec describes one normalization.
type NormSpec struct {
	Kind NormKind
	Eps  float64
	// UnitOffset scales by 1 + w instead of w (Gemma's RMSNorm).
	UnitOffset bool
	// Group normalizes each run of Group values of a row on its own, with a
	// weight of Group values (a per-head q/k norm: Group = head_dim);
	// 0 = the whole row.
	Group int
}

// InPlace as an output slot makes a norm overwrite its input.
const InPlace Slot = 0

type normOp struct {
	opBase
	spec    NormSpec
	hasBias bool
	inPlace bool
	addTo   bool // NormAdd: the last input is a residual the result is added to
}

// RMSNorm adds RMSNorm(x)·w over rows of x [N, H] (w [H]) into slot.
func RMSNorm(rt *Runtime, x, w *G.Node, eps float64, slot Slot) (*G.Node, error) {
	return Norm(rt, x, w, nil, NormSpec{Kind: KindRMS, Eps: eps}, slot)
}

// LayerNorm adds LayerNorm(x)·w + b over rows of x [N, H] (w, b [H]; b may be
// nil) into slot, or in place when slot is InPlace.
func LayerNorm(rt *Runtime, x, w, b *G.Node, eps float64, slot Slot) (*G.Node, error) {
	return Norm(rt, x, w, b, NormSpec{Kind: KindLayer, Eps: eps}, slot)
}

// Norm adds the normalization spec over x [N, H] with weight w and optional
// bias b (LayerNorm only), written to slot, or into x's own buffer when slot
// is InPlace (x must then not be read by anything else). Every norm first
// checks the runtime's context, so a forward pass stops between layers.
func Norm(rt *Runtime, x, w, b *G.Node, spec NormSpec, slot Slot) (*G.Node, error) {
	op, inputs, err := newNorm(rt, x, w, b, spec, slot)
	if err != nil {
		return nil, err
	}
	return apply(op, "Norm", inputs...)
}

// NormAdd adds residual += Norm(x) for x and residual [N, H] (Gemma's
// "sandwich" norms after attention and after the MLP), normalizing x IN PLACE
// on the way (x must not be read by anything else). The result is residual's
// buffer, as with Linear's residual.
func NormAdd(rt *Runtime, x, w *G.Node, spec NormSpec, residual *G.Node) (*G.Node, error) {
	if residual == nil || !residual.Shape().Eq(x.Shape()) {
		return nil, fmt.Errorf("layers: NormAdd of %q needs a residual of its shape %v", x.Name(), x.Shape())
	}
	op, inputs, err := newNorm(rt, x, w, nil, spec, InPlace)
	if err != nil {
		return nil, err
	}
	op.addTo = true
	inputs = append(inputs, residual)
	op.inDims = append(op.inDims, residual.Dims())
	return apply(op, "NormAdd", inputs...)
}

func newNorm(rt *Runtime, x, w, b *G.Node, spec NormSpec, slot Slot) (*normOp, []*G.Node, error) {
	n, h, err := checkMatrix(x, "norm input")
	if err != nil {
		return nil, nil, err
	}
	if spec.Kind != KindRMS && spec.Kind != KindLayer {
		return nil, nil, fmt.Errorf("layers: unknown norm kind %d", spec.Kind)
	}
	if !(spec.Eps >= 0) {
		return nil, nil, fmt.Errorf("layers: norm eps %v is invalid", spec.Eps)
	}
	group := spec.Group
	if group == 0 {
		group = h
	}
	if group < 1 || h%group != 0 {
		return nil, nil, fmt.Errorf("layers: norm group %d does not divide width %d", group, h)
	}
	spec.Group = group
	if w == nil {
		return nil, nil, fmt.Errorf("layers: norm over %q has no weight", x.Name())
	}
	if err := checkVector(w, "norm weight", group); err != nil {
		return nil, nil, err
	}
	inputs := []*G.Node{x, w}
	if b != nil {
		if spec.Kind != KindLayer {
			return nil, nil, fmt.Errorf("layers: RMSNorm takes no bias (%q)", b.Name())
		}
		if err := checkVector(b, "norm bias", group); err != nil {
			return nil, nil, err
		}
		inputs = append(inputs, b)
	}
	op := &normOp{opBase: newOpBase(rt, "Norm", tensor.Shape{n, h}, inputs...), spec: spec, hasBias: b != nil, inPlace: slot == InPlace}
	if !op.inPlace {
		op.out = slotTensor{slot: slot, shape: op.shape}
		rt.Reserve(slot, n*h)
	}
	return op, inputs, nil
}

func (o *normOp) Do(inputs ...G.Value) (G.Value, error) {
	if err := o.rt.checkCancel(); err != nil {
		return nil, err
	}
	n, h := o.shape[0], o.shape[1]
	g := o.spec.Group
	x, err := o.floats(inputs, 0, n*h)
	if err != nil {
		return nil, err
	}
	w, err := o.floats(inputs, 1, g)
	if err != nil {
		return nil, err
	}
	var b []float32
	if o.hasBias {
		if b, err = o.floats(inputs, 2, g); err != nil {
			return nil, err
		}
	}
	var result G.Value
	var y []float32
	if o.inPlace {
		y, result = x, inputs[0]
	} else {
		t := o.out.get(o.rt)
		y, result = t.Float32s(), t
	}
	var res []float32
	if o.addTo {
		if res, err = o.floats(inputs, len(inputs)-1, n*h); err != nil {
			return nil, err
		}
		result = inputs[len(inputs)-1]
	}
	spec := o.spec
	parallelRange(o.rt.threadsFor(n*h), n*h/g, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			normRow(y[r*g:(r+1)*g], x[r*g:(r+1)*g], w, b, spec)
		}
		if res != nil {
			for i, v := range y[lo*g : hi*g] {
				res[lo*g+i] += v
			}
		}
	})
	return result, nil
}

// sum4 is Σ (x[i]−c) (squared when sq) in float64, over four running sums
// so the loop is not one chain of dependent additions; the order is fixed
// by the row alone.
func sum4(x []float32, c float64, sq bool) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		d0, d1, d2, d3 := float64(x[i])-c, float64(x[i+1])-c, float64(x[i+2])-c, float64(x[i+3])-c
		if sq {
			d0, d1, d2, d3 = d0*d0, d1*d1, d2*d2, d3*d3
		}
		s0, s1, s2, s3 = s0+d0, s1+d1, s2+d2, s3+d3
	}
	for ; i < len(x); i++ {
		d := float64(x[i]) - c
		if sq {
			d *= d
		}
		s0 += d
	}
	return (s0 + s1) + (s2 + s3)
}

// normRow normalizes one group of values; dst may alias x.
func normRow(dst, x, w, b []float32, spec NormSpec) {
	if spec.Kind == KindRMS && !spec.UnitOffset {
		rmsNormRow(dst, x, w, spec.Eps) // the decoder path: its vector kernel
		return
	}
	var mean float64
	if spec.Kind == KindLayer {
		mean = sum4(x, 0, false) / float64(len(x))
	}
	scale := 1 / math.Sqrt(sum4(x, mean, true)/float64(len(x))+spec.Eps)
	for i, v := range x {
		wi := w[i]
		if spec.UnitOffset {
			wi++
		}
		y := float32((float64(v)-mean)*scale) * wi
		if b != nil {
			y += b[i]
		}
		dst[i] = y
	}
}
