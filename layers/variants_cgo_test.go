//go:build cgo && !purego

package layers

// kernelVariants: OpenBLAS alone, then the AVX2 and AVX-512 small-row
// kernels (each only where the CPU has it; setSmallKernel512 reports that).
func kernelVariants() []kernelVariant {
	force := func(rows int, avx512 bool) func() func() {
		return func() func() {
			oldRows, old512 := setSmallRows(rows), setSmallKernel512(avx512)
			return func() { setSmallRows(oldRows); setSmallKernel512(old512) }
		}
	}
	vs := []kernelVariant{{"openblas", force(0, false)}}
	if old := setSmallRows(0); old > 0 { // the CPU has AVX2/FMA
		setSmallRows(old)
		vs = append(vs, kernelVariant{"avx2-small-rows", force(1<<20, false)})
		old512 := setSmallKernel512(true)
		if setSmallKernel512(old512) {
			vs = append(vs, kernelVariant{"avx512-small-rows", force(1<<20, true)})
		}
	}
	return vs
}
