// Package kerneltest is the conformance suite every implementation of the
// layers' kernels runs: matrix products (both layouts, strides, alpha/beta,
// a C that starts as NaN with beta 0), SwiGLU and the masked softmax, each
// against float64, each checking that its read-only inputs are not modified.
// A kernel package plugs in by filling Kernels with its functions and calling
// Run from a test, once per forced implementation (not whichever the CPU
// would pick).
package kerneltest

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"
)

// Kernels is one implementation under test. A nil function is not tested.
type Kernels struct {
	// Sgemm computes C = alpha·A·op(B) + beta·C, row-major, op(B) = Bᵀ when
	// transB (B stored [n,k]) else B (stored [k,n]).
	Sgemm func(transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	// SgemmNT computes y = beta·y + x·wᵀ, x [m,k], w [n,k], y row stride ldy.
	SgemmNT func(m, n, k int, x, w []float32, beta float32, y []float32, ldy int)
	// SwiGLU sets g[i] = SiLU(g[i])·u[i].
	SwiGLU func(g, u []float32)
	// CausalSoftmax adds maskValue to the scores of keys j > first+r of each
	// of m rows of nk scores, then applies a softmax per row.
	CausalSoftmax func(s []float32, m, nk, first int, maskValue float32)
}

// near fails on NaN: NaN is never within a tolerance.
func near(got float32, want, tol float64) bool {
	return math.Abs(float64(got)-want) <= tol
}

func fill(r *rand.Rand, s []float32, sd float64) {
	for i := range s {
		s[i] = float32(r.NormFloat64() * sd)
	}
}

// Run checks every non-nil kernel of k.
func Run(t *testing.T, k Kernels) {
	t.Helper()
	if k.Sgemm != nil {
		t.Run("Sgemm", func(t *testing.T) { testSgemm(t, k.Sgemm) })
	}
	if k.SgemmNT != nil {
		t.Run("SgemmNT", func(t *testing.T) { testSgemmNT(t, k.SgemmNT) })
	}
	if k.SwiGLU != nil {
		t.Run("SwiGLU", func(t *testing.T) { testSwiGLU(t, k.SwiGLU) })
	}
	if k.CausalSoftmax != nil {
		t.Run("CausalSoftmax", func(t *testing.T) { testSoftmax(t, k.CausalSoftmax) })
	}
}

func testSgemm(t *testing.T, sgemm func(bool, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int)) {
	r := rand.New(rand.NewSource(1))
	for _, tb := range []bool{true, false} {
		for _, s := range [][3]int{{1, 1, 1}, {1, 5, 3}, {3, 7, 5}, {5, 16, 16}, {13, 33, 15}, {25, 65, 257}, {64, 64, 128}, {2, 3, 513}, {49, 17, 31}} {
			for _, c := range []struct {
				alpha, beta float32
				pad         int
				nanC        bool
			}{{1, 0, 0, false}, {0.37, 1, 0, false}, {-2, 0.5, 3, false}, {1, 0, 0, true}} {
				m, n, kk := s[0], s[1], s[2]
				lda, ldc := kk+c.pad, n+c.pad
				ldb := kk + c.pad
				if !tb {
					ldb = n + c.pad
				}
				a := make([]float32, m*lda)
				b := make([]float32, max(n*ldb, kk*ldb))
				cm := make([]float32, m*ldc)
				fill(r, a, 1)
				fill(r, b, 1)
				fill(r, cm, 1)
				if c.nanC {
					for i := range cm {
						cm[i] = float32(math.NaN())
					}
				}
				a0, b0, c0 := slices.Clone(a), slices.Clone(b), slices.Clone(cm)
				sgemm(tb, m, n, kk, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
				name := fmt.Sprintf("transB=%v m=%d n=%d k=%d alpha=%v beta=%v pad=%d nanC=%v", tb, m, n, kk, c.alpha, c.beta, c.pad, c.nanC)
				if !slices.Equal(a, a0) || !slices.Equal(b, b0) {
					t.Fatalf("%s: an input was modified", name)
				}
				for i := range m {
					for j := range ldc {
						want := float64(c0[i*ldc+j])
						if j < n {
							sum := 0.0
							for l := range kk {
								bv := b[l*ldb+j]
								if tb {
									bv = b[j*ldb+l]
								}
								sum += float64(a[i*lda+l]) * float64(bv)
							}
							if c.beta == 0 {
								want = 0
							}
							want = float64(c.alpha)*sum + float64(c.beta)*want
						} else if c.nanC {
							continue // padding columns: untouched NaN
						}
						if !near(cm[i*ldc+j], want, 1e-4*(1+math.Abs(want))) {
							t.Fatalf("%s: c[%d,%d] = %v, want %v", name, i, j, cm[i*ldc+j], want)
						}
					}
				}
			}
		}
	}
}

func testSgemmNT(t *testing.T, sgemmNT func(int, int, int, []float32, []float32, float32, []float32, int)) {
	r := rand.New(rand.NewSource(8))
	for _, m := range []int{1, 2, 3, 5, 31, 48, 49, 70} {
		for _, n := range []int{4, 7, 16, 17} {
			for _, beta := range []float32{0, 1} {
				for _, k := range []int{3, 40, 64} {
					ldy := n + 3
					x, w := make([]float32, m*k), make([]float32, n*k)
					y := make([]float32, m*ldy)
					fill(r, x, 1)
					fill(r, w, 1)
					fill(r, y, 1)
					x0, w0, y0 := slices.Clone(x), slices.Clone(w), slices.Clone(y)
					sgemmNT(m, n, k, x, w, beta, y, ldy)
					if !slices.Equal(x, x0) || !slices.Equal(w, w0) {
						t.Fatalf("m=%d n=%d k=%d: an input was modified", m, n, k)
					}
					for i := range m {
						for j := range ldy {
							want := float64(y0[i*ldy+j])
							if j < n {
								s := 0.0
								for l := range k {
									s += float64(x[i*k+l]) * float64(w[j*k+l])
								}
								want = float64(beta)*want + s
							}
							if !near(y[i*ldy+j], want, 1e-4*(1+math.Abs(want))) {
								t.Fatalf("m=%d n=%d k=%d beta=%v: y[%d,%d] = %v, want %v", m, n, k, beta, i, j, y[i*ldy+j], want)
							}
						}
					}
				}
			}
		}
	}
}

func testSwiGLU(t *testing.T, swiglu func(g, u []float32)) {
	r := rand.New(rand.NewSource(5))
	for _, n := range []int{1, 7, 8, 33, 1003} {
		g, u := make([]float32, n), make([]float32, n)
		fill(r, g, 8)
		fill(r, u, 1)
		for i, v := range []float32{-200, 200, -88, 0} {
			if i < n {
				g[i] = v
			}
		}
		g0, u0 := slices.Clone(g), slices.Clone(u)
		swiglu(g, u)
		if !slices.Equal(u, u0) {
			t.Fatalf("n=%d: u was modified", n)
		}
		for i := range g {
			x := float64(g0[i])
			want := x / (1 + math.Exp(-x)) * float64(u[i])
			if !near(g[i], want, 1e-6*(1+math.Abs(want))) {
				t.Fatalf("n=%d: swiglu[%d] = %v, want %v", n, i, g[i], want)
			}
		}
	}
}

func testSoftmax(t *testing.T, softmax func(s []float32, m, nk, first int, mask float32)) {
	r := rand.New(rand.NewSource(6))
	const mask = -1e30
	for _, c := range [][3]int{{5, 37, 32}, {1, 1, 0}, {3, 9, 0}, {4, 20, 20}, {64, 70, 6}, {2, 16, 100}} {
		m, nk, first := c[0], c[1], c[2]
		s := make([]float32, m*nk)
		fill(r, s, 10)
		s0 := slices.Clone(s)
		softmax(s, m, nk, first, mask)
		for row := range m {
			mx := math.Inf(-1)
			for j := 0; j <= first+row && j < nk; j++ {
				mx = math.Max(mx, float64(s0[row*nk+j]))
			}
			sum := 0.0
			for j := 0; j <= first+row && j < nk; j++ {
				sum += math.Exp(float64(s0[row*nk+j]) - mx)
			}
			for j := range nk {
				want := 0.0
				if j <= first+row {
					want = math.Exp(float64(s0[row*nk+j])-mx) / sum
				}
				if !near(s[row*nk+j], want, 1e-6) {
					t.Fatalf("m=%d nk=%d first=%d: p[%d,%d] = %v, want %v", m, nk, first, row, j, s[row*nk+j], want)
				}
			}
		}
	}
}
