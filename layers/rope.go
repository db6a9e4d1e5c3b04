package layers

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

type ropeKey struct {
	theta, freqScale float64
	dim              int
}

// ropeTable holds cos/sin of pos·s·θ^(-2i/D) for i < D/2 (s = the frequency
// scale, 1 unless set), computed in float64.
type ropeTable struct {
	half     int
	cos, sin []float32 // [positions][half]
}

func (rt *Runtime) ropeTable(theta, freqScale float64, dim, positions int) *ropeTable {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if freqScale == 0 {
		freqScale = 1
	}
	k := ropeKey{theta, freqScale, dim}
	t := rt.rope[k]
	if t == nil {
		t = &ropeTable{half: dim / 2}
		rt.rope[k] = t
	}
	if have := len(t.cos) / t.half; have < positions {
		cos := make([]float32, positions*t.half)
		sin := make([]float32, positions*t.half)
		copy(cos, t.cos)
		copy(sin, t.sin)
		for p := have; p < positions; p++ {
			for i := range t.half {
				invFreq := math.Pow(theta, -2*float64(i)/float64(dim))
				if freqScale != 1 {
					invFreq *= freqScale
				}
				a := float64(p) * invFreq
				cos[p*t.half+i] = float32(math.Cos(a))
				sin[p*t.half+i] = float32(math.Sin(a))
			}
		}
		t.cos, t.sin = cos, sin
	}
	return t
}

// RoPESpec describes rotary position embeddings over heads of x.
type RoPESpec struct {
	Heads, Dim int
	// RotaryDim is how many leading values of each head rotate (partial
	// rotary, e.g. rotary_emb_fraction); 0 = all Dim.
	RotaryDim int
	Theta     float64
	// FreqScale, when non-zero, multiplies every frequency θ^(-2i/D): fixed
	// NTK scaling (GTE v1.5) and linear position scaling are a base change
	// plus this factor. 0 = 1.
	FreqScale float64
	// Norm, when non-nil, is an RMSNorm weight [Dim] applied to each head
	// before the rotation (Qwen3's q_norm/k_norm), fused in the same pass.
	Norm    *G.Node
	NormEps float64
}

type ropeOp struct {
	opBase
	spec  RoPESpec
	table *ropeTable
}

// RoPE adds rotary position embeddings (the "rotate half"/NeoX form) applied
// IN PLACE to x [B·T, heads·dim], preceded by the optional per-head RMSNorm of
// spec.Norm. Positions count each sequence's real tokens from 0 according to
// the runtime's Batch, so left padding is handled. The result is x's buffer;
// x must not be read by anything else.
func RoPE(rt *Runtime, x *G.Node, spec RoPESpec) (*G.Node, error) {
	n, width, err := checkMatrix(x, "RoPE input")
	if err != nil {
		return nil, err
	}
	if spec.RotaryDim == 0 {
		spec.RotaryDim = spec.Dim
	}
	if spec.RotaryDim%2 != 0 || spec.RotaryDim < 2 || spec.RotaryDim > spec.Dim || spec.Heads*spec.Dim != width {
		return nil, fmt.Errorf("layers: RoPE input %q has %d features, want %d heads × %d with %d (even) rotary dims", x.Name(), width, spec.Heads, spec.Dim, spec.RotaryDim)
	}
	if !(spec.Theta > 0) || !(spec.FreqScale >= 0) || math.IsInf(spec.FreqScale, 0) {
		return nil, fmt.Errorf("layers: RoPE theta %v / frequency scale %v is invalid", spec.Theta, spec.FreqScale)
	}
	inputs := []*G.Node{x}
	if spec.Norm != nil {
		if err := checkVector(spec.Norm, "q/k norm weight", spec.Dim); err != nil {
			return nil, err
		}
		inputs = append(inputs, spec.Norm)
	}
	op := &ropeOp{opBase: newOpBase(rt, "RoPE", tensor.Shape{n, width}, inputs...), spec: spec}
	return apply(op, "RoPE", inputs...)
}

func (o *ropeOp) Do(inputs ...G.Value) (G.Value, error) {
	n, width := o.shape[0], o.shape[1]
	x, err := o.floats(inputs, 0, n*width)
	if err != nil {
		return nil, err
	}
	sp := o.spec
	var w []float32
	if sp.Norm != nil {
		if w, err = o.floats(inputs, 1, sp.Dim); err != nil {
			return nil, err
		}
	}
	bt := o.rt.Batch
	if bt.Size*bt.Length != n {
		return nil, fmt.Errorf("%s: batch layout %d×%d does not match %d rows", o.name, bt.Size, bt.Length, n)
	}
	if o.table == nil || len(o.table.cos) < bt.Length*sp.RotaryDim/2 {
		o.table = o.rt.ropeTable(sp.Theta, sp.FreqScale, sp.RotaryDim, bt.Length)
	}
	tab := o.table
	half := sp.RotaryDim / 2
	parallelRange(o.rt.threadsFor(n*width), n, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			b, t := r/bt.Length, r%bt.Length
			pos := t - bt.Start[b]
			if pos < 0 || pos >= bt.Len[b] {
				continue // padding row: never read as a key, output discarded
			}
			cos := tab.cos[pos*half : (pos+1)*half]
			sin := tab.sin[pos*half : (pos+1)*half]
			row := x[r*width : (r+1)*width]
			for h := range sp.Heads {
				v := row[h*sp.Dim : (h+1)*sp.Dim]
				if w != nil {
					rmsNormRow(v, v, w, sp.NormEps)
				}
				ropeRow(v[:sp.RotaryDim], cos, sin)
			}
		}
	})
	return inputs[0], nil
}
