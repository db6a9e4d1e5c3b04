package layers

import (
	"fmt"

	"github.com/gembed-dev/gembed/layers/internal/kernels"
)

// kernelVariants forces every instruction set this CPU supports, each with
// its own few-row threshold (both paths, and rows crossing from one to the
// other), with the few-row path off (packed GEMM for every shape) and on
// for every shape; and, where the CPU has AMX or AVX512_BF16, the bfloat16
// paths other CPUs run (VDPBF16PS without AMX, widening without either),
// each batch invariant in production elsewhere.
func kernelVariants() []kernelVariant {
	var vs []kernelVariant
	for _, isa := range kernels.Supported() {
		k, err := kernels.For(isa)
		if err != nil {
			panic(err) // Supported listed it
		}
		var bf16Paths []*kernels.Kernels
		if k.HasAMX() {
			bf16Paths = append(bf16Paths, k.NoAMX())
		}
		if k.HasAMX() || k.HasBF16Dot() {
			bf16Paths = append(bf16Paths, k.WidenBF16())
		}
		for _, kr := range bf16Paths {
			kr := kr
			path := "widen"
			if kr.HasBF16Dot() {
				path = "vdpbf16ps"
			}
			vs = append(vs, kernelVariant{
				name:       fmt.Sprintf("%v/bf16=%s", isa, path),
				production: true,
				force: func() func() {
					old := kern
					kern = kr
					return func() { kern = old }
				},
			})
		}
		for _, small := range []int{-1, 0, 1 << 30} {
			isa, small := isa, small
			label := "default"
			if small >= 0 {
				label = fmt.Sprint(small)
			}
			vs = append(vs, kernelVariant{
				name:       fmt.Sprintf("%v/small-rows=%s", isa, label),
				production: small < 0,
				force: func() func() {
					k, err := kernels.For(isa)
					if err != nil {
						panic(err) // Supported listed it
					}
					if small >= 0 {
						k.SetSmallRows(small)
					}
					old := kern
					kern = k
					return func() { kern = old }
				},
			})
		}
	}
	return vs
}
