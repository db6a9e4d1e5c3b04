//go:build cgo && openblas

package layers

/*
#cgo LDFLAGS: -lopenblas
// Declared here rather than through <cblas.h> so the build does not depend on
// where the distribution puts OpenBLAS's headers.
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
                 float alpha, const float *a, int lda, const float *b, int ldb,
                 float beta, float *c, int ldc);
void openblas_set_num_threads(int n);
*/
import "C"

import (
	"unsafe"

	"github.com/gembed-dev/gembed/layers/internal/kernels"
)

// BLASName names the matrix-multiply backend compiled in.
const BLASName = "openblas"

// The openblas build tag keeps OpenBLAS for the packed matrix products, for
// comparison with the Go kernels (which still do the few-row products,
// SwiGLU and the softmax).

func init() {
	// Parallelism is ours: every op splits its work across goroutines and
	// calls sgemm on disjoint blocks, so OpenBLAS's own thread pool would only
	// oversubscribe the cores.
	C.openblas_set_num_threads(1)
}

// smallRows is the row count up to which x·Wᵀ uses the Go dot-product
// tiles instead of OpenBLAS (which packs all of W on every call).
const smallRows = 48

func sgemmNT(m, n, k int, x, w []float32, beta float32, y []float32, ldy int) {
	if m <= smallRows {
		kernels.Best.SgemmNT(m, n, k, x, w, beta, y, ldy)
		return
	}
	sgemm(true, m, n, k, 1, x, k, w, k, beta, y, ldy)
}

func swiglu(g, u []float32) { kernels.Best.SwiGLU(g, u) }

func causalSoftmax(s []float32, m, nk, first int) {
	kernels.Best.CausalSoftmax(s, m, nk, first, MaskValue)
}

const (
	cblasRowMajor = 101
	cblasNoTrans  = 111
	cblasTrans    = 112
)

// sgemm computes C = alpha·A·op(B) + beta·C through cblas_sgemm.
func sgemm(transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	tb := C.int(cblasNoTrans)
	if transB {
		tb = cblasTrans
	}
	var pa, pb *float32
	if k > 0 {
		pa, pb = &a[0], &b[0]
	} else {
		pa, pb = &c[0], &c[0] // unused by BLAS when k == 0
	}
	C.cblas_sgemm(cblasRowMajor, cblasNoTrans, tb, C.int(m), C.int(n), C.int(k),
		C.float(alpha), (*C.float)(unsafe.Pointer(pa)), C.int(lda),
		(*C.float)(unsafe.Pointer(pb)), C.int(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.int(ldc))
}
