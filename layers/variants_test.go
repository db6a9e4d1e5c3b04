package layers

import (
	"fmt"

	"github.com/gembed-dev/gembed/layers/internal/kernels"
)

// kernelVariants forces every instruction set this CPU supports, each with
// its own few-row threshold (both paths, and rows crossing from one to the
// other), with the few-row path off (packed GEMM for every shape) and on
// for every shape.
func kernelVariants() []kernelVariant {
	var vs []kernelVariant
	for _, isa := range kernels.Supported() {
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
