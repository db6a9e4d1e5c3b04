package layers

import (
	"fmt"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gembed-dev/gembed/internal/reference"
	"github.com/gembed-dev/gembed/layers/internal/kernels"
)

// bf16Round is x rounded to bfloat16 (the kernels' rounding) and widened.
func bf16Round(v float64) float64 {
	var h [1]uint16
	kernels.ToBF16(h[:], []float32{float32(v)})
	return float64(kernels.FromBF16(h[0]))
}

// TestLinearBF16 runs Linear with a bfloat16 weight on every ISA, through
// AMX tiles and the VDPBF16PS tile (where the CPU has them) and the forced
// widening path,
// against a float64 reference on the bf16-rounded x and W.
func TestLinearBF16(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	var variants []kernelVariant
	for _, isa := range kernels.Supported() {
		k, err := kernels.For(isa)
		if err != nil {
			t.Fatal(err)
		}
		for _, kr := range []*kernels.Kernels{k, k.NoAMX(), k.WidenBF16()} {
			kr := kr
			variants = append(variants, kernelVariant{
				name: fmt.Sprintf("%v/amx=%v/vdpbf16ps=%v", isa, kr.HasAMX(), kr.HasBF16Dot()),
				force: func() func() {
					old := kern
					kern = kr
					return func() { kern = old }
				},
			})
		}
	}
	for _, v := range variants {
		for _, in := range []int{64, 24} { // 64: AMX or VDPBF16PS tiles; 24: k not a multiple of 32
			for _, tc := range []struct{ bias, residual bool }{{false, false}, {true, true}} {
				name := fmt.Sprintf("%s/in=%d/bias=%v/residual=%v", v.name, in, tc.bias, tc.residual)
				t.Run(name, func(t *testing.T) {
					defer v.force()()
					const n, out = 7, 40
					x := randRows(r, n, in)
					w := randVec(r, out*in, 0, 0.3)
					wb := make([]uint16, len(w))
					wr := make([]float64, len(w))
					for i, f := range w {
						kernels.ToBF16(wb[i:i+1], []float32{float32(f)})
						wr[i] = float64(kernels.FromBF16(wb[i]))
					}
					h := newHarness(t, 2, LeftPadded([]int{n}, n))
					wn := G.NewTensor(h.g, tensor.Uint16, 2, G.WithShape(out, in), G.WithName("w"),
						G.WithValue(tensor.New(tensor.WithShape(out, in), tensor.WithBacking(wb))))
					var bn, rn *G.Node
					var bias []float64
					res := randRows(r, n, out)
					if tc.bias {
						bias = randVec(r, out, 0, 1)
						bn = h.node("b", bias, out)
					}
					slot := SlotQ
					if tc.residual {
						rn, slot = h.rows("res", res, out), InPlace
					}
					got := h.run(must(t)(Linear(h.rt, h.rows("x", x, in), wn, bn, rn, slot)))
					want := make([][]float64, n)
					for i := range n {
						xr := make([]float64, in)
						for j, f := range x[i] {
							xr[j] = bf16Round(float64(float32(f)))
						}
						want[i] = reference.Linear(xr, wr, bias)
						if tc.residual {
							for j := range want[i] {
								want[i][j] += float64(float32(res[i][j]))
							}
						}
					}
					checkRows(t, name, got, want, opTol)
				})
			}
		}
	}
}

func TestLinearRejectsOtherWeightDTypes(t *testing.T) {
	h := newHarness(t, 1, LeftPadded([]int{2}, 2))
	w := G.NewTensor(h.g, tensor.Int32, 2, G.WithShape(3, 4), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(3, 4), tensor.WithBacking(make([]int32, 12)))))
	_, err := Linear(h.rt, h.rows("x", [][]float64{make([]float64, 4), make([]float64, 4)}, 4), w, nil, nil, SlotQ)
	if err == nil {
		t.Fatal("Linear accepted an int32 weight")
	}
}
