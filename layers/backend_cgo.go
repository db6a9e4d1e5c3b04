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
#include <immintrin.h>

static int gembed_has_avx2_fma(void) {
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static inline float gembed_hsum(__m256 v) __attribute__((target("avx2,fma")));
static inline float gembed_hsum(__m256 v) {
	__m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
	return _mm_cvtss_f32(s);
}

// y[i*ldy+j] = beta*y + sum_k x[i*k+l]*w[j*k+l] for few rows (m), where
// OpenBLAS spends as long packing w as multiplying. w is streamed once per
// 4 of its rows and multiplied against every row of x (kept in L1/L2), with
// 2×4 AVX2 FMA accumulators. Requires k % 8 == 0 (checked by the caller).
__attribute__((target("avx2,fma")))
static void gembed_sgemm_nt_small(long m, long n, long k, const float *x, const float *w,
                                  float *y, long ldy, float beta) {
	long j = 0;
	for (; j + 4 <= n; j += 4) {
		const float *w0 = w + j * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
		long i = 0;
		for (; i + 2 <= m; i += 2) {
			const float *x0 = x + i * k, *x1 = x0 + k;
			__m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a03 = a00;
			__m256 a10 = a00, a11 = a00, a12 = a00, a13 = a00;
			for (long l = 0; l < k; l += 8) {
				__m256 b0 = _mm256_loadu_ps(w0 + l), b1 = _mm256_loadu_ps(w1 + l);
				__m256 b2 = _mm256_loadu_ps(w2 + l), b3 = _mm256_loadu_ps(w3 + l);
				__m256 v = _mm256_loadu_ps(x0 + l);
				a00 = _mm256_fmadd_ps(v, b0, a00); a01 = _mm256_fmadd_ps(v, b1, a01);
				a02 = _mm256_fmadd_ps(v, b2, a02); a03 = _mm256_fmadd_ps(v, b3, a03);
				v = _mm256_loadu_ps(x1 + l);
				a10 = _mm256_fmadd_ps(v, b0, a10); a11 = _mm256_fmadd_ps(v, b1, a11);
				a12 = _mm256_fmadd_ps(v, b2, a12); a13 = _mm256_fmadd_ps(v, b3, a13);
			}
			float *y0 = y + i * ldy + j, *y1 = y0 + ldy;
			float r[8] = {gembed_hsum(a00), gembed_hsum(a01), gembed_hsum(a02), gembed_hsum(a03),
			              gembed_hsum(a10), gembed_hsum(a11), gembed_hsum(a12), gembed_hsum(a13)};
			for (int c = 0; c < 4; c++) {
				y0[c] = beta == 0 ? r[c] : beta * y0[c] + r[c];
				y1[c] = beta == 0 ? r[4 + c] : beta * y1[c] + r[4 + c];
			}
		}
		for (; i < m; i++) {
			const float *x0 = x + i * k;
			__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
			for (long l = 0; l < k; l += 8) {
				__m256 v = _mm256_loadu_ps(x0 + l);
				a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(w0 + l), a0);
				a1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(w1 + l), a1);
				a2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(w2 + l), a2);
				a3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(w3 + l), a3);
			}
			float *y0 = y + i * ldy + j;
			float r[4] = {gembed_hsum(a0), gembed_hsum(a1), gembed_hsum(a2), gembed_hsum(a3)};
			for (int c = 0; c < 4; c++) y0[c] = beta == 0 ? r[c] : beta * y0[c] + r[c];
		}
	}
	for (; j < n; j++) {
		const float *w0 = w + j * k;
		for (long i = 0; i < m; i++) {
			const float *x0 = x + i * k;
			__m256 a0 = _mm256_setzero_ps();
			for (long l = 0; l < k; l += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x0 + l), _mm256_loadu_ps(w0 + l), a0);
			float r = gembed_hsum(a0);
			y[i * ldy + j] = beta == 0 ? r : beta * y[i * ldy + j] + r;
		}
	}
}

static int gembed_has_avx512(void) {
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f");
}

// The AVX-512 version of gembed_sgemm_nt_small for 4×4 tiles: 16 zmm
// accumulators, and 8 loads per 16 FMAs instead of 6 per 8, so the FMA units
// rather than the load ports set the pace. Rows and columns left over from
// the tiles go through the AVX2 kernel. Requires k % 16 == 0.
__attribute__((target("avx512f,avx2,fma")))
static void gembed_sgemm_nt_small512(long m, long n, long k, const float *x, const float *w,
                                     float *y, long ldy, float beta) {
	long m4 = m / 4 * 4, n4 = n / 4 * 4;
	for (long j = 0; j < n4; j += 4) {
		const float *w0 = w + j * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
		for (long i = 0; i < m4; i += 4) {
			const float *x0 = x + i * k, *x1 = x0 + k, *x2 = x1 + k, *x3 = x2 + k;
			__m512 a[4][4];
			for (int r = 0; r < 4; r++)
				for (int c = 0; c < 4; c++) a[r][c] = _mm512_setzero_ps();
			for (long l = 0; l < k; l += 16) {
				__m512 b0 = _mm512_loadu_ps(w0 + l), b1 = _mm512_loadu_ps(w1 + l);
				__m512 b2 = _mm512_loadu_ps(w2 + l), b3 = _mm512_loadu_ps(w3 + l);
				__m512 v = _mm512_loadu_ps(x0 + l);
				a[0][0] = _mm512_fmadd_ps(v, b0, a[0][0]); a[0][1] = _mm512_fmadd_ps(v, b1, a[0][1]);
				a[0][2] = _mm512_fmadd_ps(v, b2, a[0][2]); a[0][3] = _mm512_fmadd_ps(v, b3, a[0][3]);
				v = _mm512_loadu_ps(x1 + l);
				a[1][0] = _mm512_fmadd_ps(v, b0, a[1][0]); a[1][1] = _mm512_fmadd_ps(v, b1, a[1][1]);
				a[1][2] = _mm512_fmadd_ps(v, b2, a[1][2]); a[1][3] = _mm512_fmadd_ps(v, b3, a[1][3]);
				v = _mm512_loadu_ps(x2 + l);
				a[2][0] = _mm512_fmadd_ps(v, b0, a[2][0]); a[2][1] = _mm512_fmadd_ps(v, b1, a[2][1]);
				a[2][2] = _mm512_fmadd_ps(v, b2, a[2][2]); a[2][3] = _mm512_fmadd_ps(v, b3, a[2][3]);
				v = _mm512_loadu_ps(x3 + l);
				a[3][0] = _mm512_fmadd_ps(v, b0, a[3][0]); a[3][1] = _mm512_fmadd_ps(v, b1, a[3][1]);
				a[3][2] = _mm512_fmadd_ps(v, b2, a[3][2]); a[3][3] = _mm512_fmadd_ps(v, b3, a[3][3]);
			}
			for (int r = 0; r < 4; r++) {
				float *yr = y + (i + r) * ldy + j;
				for (int c = 0; c < 4; c++) {
					float s = _mm512_reduce_add_ps(a[r][c]);
					yr[c] = beta == 0 ? s : beta * yr[c] + s;
				}
			}
		}
	}
	if (m4 < m && n4 > 0)
		gembed_sgemm_nt_small(m - m4, n4, k, x + m4 * k, w, y + m4 * ldy, ldy, beta);
	if (n4 < n)
		gembed_sgemm_nt_small(m, n - n4, k, x, w + n4 * k, y + n4, ldy, beta);
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

// smallRows is the row count up to which x·Wᵀ uses gembed_sgemm_nt_small
// instead of OpenBLAS (which packs all of W on every call: as costly as the
// multiplication itself when x has few rows).
var smallRows = 0

// smallKernel512 selects the AVX-512 small-row kernel where the CPU has it.
var smallKernel512 = false

// setSmallKernel512 switches the AVX-512 small-row kernel on or off (benchmarks;
// only on where the CPU has it) and returns the old setting.
func setSmallKernel512(on bool) bool {
	old := smallKernel512
	smallKernel512 = on && C.gembed_has_avx512() != 0
	return old
}

// setSmallRows changes the threshold (benchmarks) and returns the old one.
func setSmallRows(n int) int { old := smallRows; smallRows = n; return old }

func init() {
	if C.gembed_has_avx2_fma() != 0 {
		smallRows = 48
		smallKernel512 = C.gembed_has_avx512() != 0
	}
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

// sgemmNT computes y = beta·y + x·wᵀ for x [m,k] (row stride k), w [n,k]
// (row stride k) and y [m,n] with row stride ldy.
func sgemmNT(m, n, k int, x, w []float32, beta float32, y []float32, ldy int) {
	if m <= smallRows && k%8 == 0 && m > 0 && n > 0 && k > 0 {
		_, _, _ = x[m*k-1], w[n*k-1], y[(m-1)*ldy+n-1]
		if smallKernel512 && k%16 == 0 {
			C.gembed_sgemm_nt_small512(C.long(m), C.long(n), C.long(k), (*C.float)(unsafe.Pointer(&x[0])),
				(*C.float)(unsafe.Pointer(&w[0])), (*C.float)(unsafe.Pointer(&y[0])), C.long(ldy), C.float(beta))
			return
		}
		C.gembed_sgemm_nt_small(C.long(m), C.long(n), C.long(k), (*C.float)(unsafe.Pointer(&x[0])),
			(*C.float)(unsafe.Pointer(&w[0])), (*C.float)(unsafe.Pointer(&y[0])), C.long(ldy), C.float(beta))
		return
	}
	sgemm(true, m, n, k, 1, x, k, w, k, beta, y, ldy)
}

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

// Kernels names the kernels this build runs on this CPU (for `gembed
// version` and the server's /info).
func Kernels() string {
	small := "no small-row kernel (CPU without AVX2+FMA)"
	if smallRows > 0 {
		small = "AVX2+FMA small-row x·Wᵀ"
		if smallKernel512 {
			small = "AVX-512 small-row x·Wᵀ"
		}
	}
	return "OpenBLAS sgemm (cgo), " + small + ", C SwiGLU/softmax"
}
