package layers

import "github.com/gembed-dev/gembed/layers/internal/kernels"

// Kernels names the kernels this process runs (for logs, `gembed version`
// and the server's /info): Go assembly for the instruction set picked from
// the CPU's features, or the portable Go kernels. Vectors are bit-identical
// only between processes with the same kernel path, so the name says
// everything that changes the arithmetic (the bfloat16 instructions
// included).
func Kernels() string {
	isa := kernels.Best.ISA()
	if isa == kernels.Generic {
		return "portable Go"
	}
	name := isa.String()
	// The bfloat16 products: AMX tiles, else the AVX-512 dot-product
	// instruction, else widening to float32 (which adds nothing to the
	// name: it rounds as the float32 kernels do).
	switch {
	case kernels.Best.HasAMX():
		name += ", amx_bf16"
	case kernels.Best.HasBF16Dot():
		name += ", avx512_bf16"
	}
	return "Go assembly (" + name + ")"
}

// kern is the kernel implementation every op uses: the fastest this CPU
// runs. Tests swap in the others (kernels.For) to check each one.
var kern = kernels.Best

// sgemmNT computes y = beta·y + x·wᵀ for x [m,k] (row stride k), w [n,k]
// (row stride k) and y [m,n] with row stride ldy.
func sgemmNT(m, n, k int, x, w []float32, beta float32, y []float32, ldy int) {
	kern.SgemmNT(m, n, k, x, w, beta, y, ldy)
}

// sgemmNTBF16 is sgemmNT with w in bfloat16 bits and x rounded to bfloat16.
func sgemmNTBF16(m, n, k int, x []float32, w []uint16, beta float32, y []float32, ldy int) {
	kern.SgemmNTBF16(m, n, k, x, w, beta, y, ldy)
}

// sgemm computes C = alpha·A·op(B) + beta·C for row-major A [m,k] and C [m,n];
// op(B) is Bᵀ when transB (B stored [n,k], the Hugging Face [out,in] layout)
// and B otherwise (B stored [k,n]).
func sgemm(transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	kern.Sgemm(transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// rmsNormRow writes x / sqrt(mean(x²) + eps) · w into dst (eps inside the
// square root, as Hugging Face and llama.cpp do); dst may be x.
func rmsNormRow(dst, x, w []float32, eps float64) { kern.RMSNorm(dst, x, w, eps) }

// ropeRow applies rotate-half rotary embedding in place to one head vector
// x of length 2·len(cos), with the cos/sin tables of its position.
func ropeRow(x, cos, sin []float32) { kern.RoPE(x, cos, sin) }

// prefetchRows hints that rows×n floats of x (row stride ld) are used soon.
func prefetchRows(x []float32, ld, rows, n int) { kern.PrefetchRows(x, ld, rows, n) }

// swiglu sets g[i] = SiLU(g[i])·u[i].
func swiglu(g, u []float32) { kern.SwiGLU(g, u) }

// addTo sets dst[i] += src[i].
func addTo(dst, src []float32) { kern.Add(dst, src) }

// gelu sets x[i] = GELU(x[i]), the exact (erf) form.
func gelu(x []float32) { kern.GELU(x) }

// causalSoftmax applies the causal mask and a softmax to each of m rows of
// nk scores: row r sees keys j ≤ first+r.
func causalSoftmax(s []float32, m, nk, first int) {
	kern.CausalSoftmax(s, m, nk, first, MaskValue)
}
