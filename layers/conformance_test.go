package layers

import (
	"testing"

	"github.com/gembed-dev/gembed/layers/kerneltest"
)

// kernelVariant forces one of the backend's kernel implementations; restore
// undoes it.
type kernelVariant struct {
	name  string
	force func() (restore func())
	// production: a configuration processes run (on this CPU, or with
	// another CPU's bfloat16 path), not one only tests force; the batch
	// invariance checks run on these.
	production bool
}

// TestKernelConformance runs the shared conformance suite against every
// kernel implementation this build has, each forced in turn.
func TestKernelConformance(t *testing.T) {
	for _, v := range kernelVariants() {
		t.Run(v.name, func(t *testing.T) {
			defer v.force()()
			kerneltest.Run(t, kerneltest.Kernels{
				Sgemm:        sgemm,
				SgemmNT:      sgemmNT,
				SgemmNTBF16:  sgemmNTBF16,
				NoInvariance: !v.production,
				SwiGLU:       swiglu,
				RMSNorm:      rmsNormRow,
				RoPE:         ropeRow,
				CausalSoftmax: func(s []float32, m, nk, first int, mask float32) {
					if mask != MaskValue {
						t.Fatalf("mask value %v, the backend uses %v", mask, MaskValue)
					}
					causalSoftmax(s, m, nk, first)
				},
			})
		})
	}
}
