package layers

import (
	"fmt"

	"github.com/gembed-dev/gembed/layers/internal/kernels"
)

// kernelVariants forces every instruction set this CPU supports, each with
// the few-row dot tiles off (packed GEMM for every shape) and on for every
// shape, so both code paths of each ISA run the suite.
func kernelVariants() []kernelVariant {
	var vs []kernelVariant
	for _, isa := range kernels.Supported() {
		for _, small := range []int{0, 1 << 30} {
			isa, small := isa, small
			vs = append(vs, kernelVariant{
				name: fmt.Sprintf("%v/small-rows=%d", isa, small),
				force: func() func() {
					k, err := kernels.For(isa)
					if err != nil {
						panic(err) // Supported listed it
					}
					k.SetSmallRows(small)
					old := kern
					kern = k
					return func() { kern = old }
				},
			})
		}
	}
	return vs
}
