//go:build cgo && !purego

package layers

/*
#cgo CFLAGS: -O3
#cgo LDFLAGS: -lopenblas
// Declared here rather than through <cblas.h> so the build does not depend on
// where the distribution puts OpenBLAS's headers.
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
                 float alpha, const float *a, int lda, const float *b, int ldb,
                 float beta, float *c, int ldc);
void openblas_set_num_threads(int n);

#include <stdint.h>
#include <string.h>

// Let GCC if-convert the clamps and selects below so the loops vectorize
// (cgo does not accept these as CFLAGS). No reassociation is allowed, so the
// rounding trick in gembed_expf stays exact.
#pragma GCC optimize ("no-trapping-math", "no-math-errno")

// Branch-free expf (Cephes polynomial, about 1 ulp) that GCC vectorizes;
// target_clones adds an AVX2+FMA version picked at load time where supported.
static inline float gembed_expf(float x) {
	float c = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
	float fx = c * 1.44269504088896341f;
	float n = (fx + 12582912.0f) - 12582912.0f; // round to nearest
	float r = c - n * 0.693359375f;
	r = r - n * -2.12194440e-4f;
	float z = r * r;
	float y = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r
	           + 4.1665795894e-2f) * r + 1.6666665459e-1f) * r + 5.0000001201e-1f;
	y = y * z + r + 1.0f;
	int32_t bits = ((int32_t)n + 127) << 23;
	float scale;
	memcpy(&scale, &bits, 4);
	y = y * scale;
	return x < -87.3f ? 0.0f : y;
}

__attribute__((target_clones("arch=x86-64-v3", "default")))
static void gembed_swiglu(float *g, const float *u, long n) {
	for (long i = 0; i < n; i++) {
		float x = g[i];
		g[i] = x / (1.0f + gembed_expf(-x)) * u[i];
	}
}

// Causal softmax over a block of m query rows × nk keys: row r sees keys
// j <= first + r; the others get mask added (finite, so never NaN).
__attribute__((target_clones("arch=x86-64-v3", "default")))
static void gembed_causal_softmax(float *s, long m, long nk, long first, float mask) {
	for (long r = 0; r < m; r++) {
		float *row = s + r * nk;
		for (long j = first + r + 1; j < nk; j++) row[j] += mask;
		float mx = row[0];
		for (long j = 1; j < nk; j++) mx = row[j] > mx ? row[j] : mx;
		float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
		long j = 0;
		for (; j + 8 <= nk; j += 8) {
			for (int l = 0; l < 8; l++) {
				float e = gembed_expf(row[j + l] - mx);
				row[j + l] = e;
				acc[l] += e;
			}
		}
		float sum = 0;
		for (; j < nk; j++) {
			float e = gembed_expf(row[j] - mx);
			row[j] = e;
			sum += e;
		}
		for (int l = 0; l < 8; l++) sum += acc[l];
		float inv = 1.0f / sum;
		for (long k = 0; k < nk; k++) row[k] *= inv;
	}
}
*/
import "C"

import "unsafe"

// BLASName names the matrix-multiply backend compiled in.
const BLASName = "openblas"

// swiglu sets g[i] = SiLU(g[i])·u[i] (vectorized C).
func swiglu(g, u []float32) {
	if len(g) == 0 {
		return
	}
	_ = u[len(g)-1]
	C.gembed_swiglu((*C.float)(unsafe.Pointer(&g[0])), (*C.float)(unsafe.Pointer(&u[0])), C.long(len(g)))
}

// causalSoftmax applies the causal mask and a softmax to each of m rows of
// nk scores: row r sees keys j ≤ first+r (vectorized C).
func causalSoftmax(s []float32, m, nk, first int) {
	if m == 0 {
		return
	}
	_ = s[m*nk-1]
	C.gembed_causal_softmax((*C.float)(unsafe.Pointer(&s[0])), C.long(m), C.long(nk), C.long(first), C.float(MaskValue))
}

func init() {
	// Parallelism is ours: every op splits its work across goroutines and
	// calls sgemm on disjoint blocks, so OpenBLAS's own thread pool would only
	// oversubscribe the cores (measured: worse than one thread per worker).
	C.openblas_set_num_threads(1)
}

const (
	cblasRowMajor = 101
	cblasNoTrans  = 111
	cblasTrans    = 112
)

// sgemm computes C = alpha·A·op(B) + beta·C for row-major A [m,k] and C [m,n];
// op(B) is Bᵀ when transB (B stored [n,k], the Hugging Face [out,in] layout)
// and B otherwise (B stored [k,n]).
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
