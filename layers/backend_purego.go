//go:build !cgo || purego

package layers

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BLASName names the matrix-multiply backend compiled in.
const BLASName = "gonum (pure Go)"

var impl gonum.Implementation

// sgemmNT computes y = beta·y + x·wᵀ for x [m,k] (row stride k), w [n,k]
// (row stride k) and y [m,n] with row stride ldy.
func sgemmNT(m, n, k int, x, w []float32, beta float32, y []float32, ldy int) {
	sgemm(true, m, n, k, 1, x, k, w, k, beta, y, ldy)
}

func setSmallRows(int) int { return 0 }

func setSmallKernel512(bool) bool { return false }

// swiglu sets g[i] = SiLU(g[i])·u[i].
func swiglu(g, u []float32) { swigluRow(g, u) }

// causalSoftmax applies the causal mask and a softmax to each of m rows of
// nk scores: row r sees keys j ≤ first+r.
func causalSoftmax(s []float32, m, nk, first int) { causalSoftmaxGo(s, m, nk, first) }

// sgemm computes C = alpha·A·op(B) + beta·C for row-major A [m,k] and C [m,n];
// op(B) is Bᵀ when transB (B stored [n,k], the Hugging Face [out,in] layout)
// and B otherwise (B stored [k,n]).
func sgemm(transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	tb := blas.NoTrans
	if transB {
		tb = blas.Trans
	}
	// gonum checks that slices cover the last row exactly; trim to what is used.
	var bl int
	if transB {
		bl = (n-1)*ldb + k
	} else {
		bl = (k-1)*ldb + n
	}
	if k == 0 {
		a, b, bl = nil, nil, 0
	} else {
		a = a[:(m-1)*lda+k]
	}
	impl.Sgemm(blas.NoTrans, tb, m, n, k, alpha, a, max(lda, 1), b[:bl], max(ldb, 1), beta, c[:(m-1)*ldc+n], ldc)
}

// Kernels names the kernels this build runs (for `gembed version` and the
// server's /info).
func Kernels() string { return "gonum sgemm (pure Go), Go SwiGLU/softmax" }
