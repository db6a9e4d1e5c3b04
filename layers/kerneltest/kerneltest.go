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
	// It must also be batch invariant: a row of y has the same bits
	// whatever the other rows are and however the columns are split (the
	// layers give each thread a range of columns).
	SgemmNT func(m, n, k int, x, w []float32, beta float32, y []float32, ldy int)
	// SgemmNTBF16 is SgemmNT with w in bfloat16 bits and x rounded to
	// bfloat16 before the products; batch invariant too.
	SgemmNTBF16 func(m, n, k int, x []float32, w []uint16, beta float32, y []float32, ldy int)
	// NoInvariance skips the batch-invariance checks: for configurations
	// forced by tests that production never runs.
	NoInvariance bool
	// SwiGLU sets g[i] = SiLU(g[i])·u[i].
	SwiGLU func(g, u []float32)
	// RMSNorm writes x / sqrt(mean(x²) + eps) · w into dst; dst may be x.
	RMSNorm func(dst, x, w []float32, eps float64)
	// RoPE rotates the pairs (x[i], x[i+h]), h = len(cos), in place by the
	// angles with cosines cos[i] and sines sin[i].
	RoPE func(x, cos, sin []float32)
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
		if !k.NoInvariance {
			t.Run("SgemmNT/batch-invariance", func(t *testing.T) { testInvariance(t, false, k.SgemmNT) })
		}
	}
	if k.SgemmNTBF16 != nil && !k.NoInvariance {
		mul := func(m, n, kk int, x, w []float32, beta float32, y []float32, ldy int) {
			wb := make([]uint16, len(w))
			for i, v := range w {
				wb[i] = uint16(math.Float32bits(roundBF16(v)) >> 16)
			}
			k.SgemmNTBF16(m, n, kk, x, wb, beta, y, ldy)
		}
		t.Run("SgemmNTBF16/batch-invariance", func(t *testing.T) { testInvariance(t, true, mul) })
	}
	if k.SwiGLU != nil {
		t.Run("SwiGLU", func(t *testing.T) { testSwiGLU(t, k.SwiGLU) })
	}
	if k.RMSNorm != nil {
		t.Run("RMSNorm", func(t *testing.T) { testRMSNorm(t, k.RMSNorm) })
	}
	if k.RoPE != nil {
		t.Run("RoPE", func(t *testing.T) { testRoPE(t, k.RoPE) })
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

func testRMSNorm(t *testing.T, rmsNorm func(dst, x, w []float32, eps float64)) {
	r := rand.New(rand.NewSource(7))
	for _, n := range []int{1, 7, 31, 32, 33, 128, 1000, 1024} {
		for _, inPlace := range []bool{false, true} {
			x, w := make([]float32, n), make([]float32, n)
			fill(r, x, 3)
			fill(r, w, 1)
			x0, w0 := slices.Clone(x), slices.Clone(w)
			dst := make([]float32, n)
			if inPlace {
				dst = x
			}
			const eps = 1e-6
			rmsNorm(dst, x, w, eps)
			if !slices.Equal(w, w0) || (!inPlace && !slices.Equal(x, x0)) {
				t.Fatalf("n=%d: an input was modified", n)
			}
			ss := 0.0
			for _, v := range x0 {
				ss += float64(v) * float64(v)
			}
			scale := 1 / math.Sqrt(ss/float64(n)+eps)
			for i, v := range x0 {
				want := float64(v) * scale * float64(w0[i])
				if !near(dst[i], want, 1e-6*(1+math.Abs(want))) {
					t.Fatalf("n=%d in place=%v: rmsnorm[%d] = %v, want %v", n, inPlace, i, dst[i], want)
				}
			}
		}
	}
}

func testRoPE(t *testing.T, rope func(x, cos, sin []float32)) {
	r := rand.New(rand.NewSource(8))
	for _, h := range []int{1, 4, 8, 13, 32, 64} {
		x := make([]float32, 2*h+3) // past 2h: not touched
		fill(r, x, 2)
		cos, sin := make([]float32, h), make([]float32, h)
		for i := range cos {
			a := r.Float64() * 2 * math.Pi
			cos[i], sin[i] = float32(math.Cos(a)), float32(math.Sin(a))
		}
		x0, cos0, sin0 := slices.Clone(x), slices.Clone(cos), slices.Clone(sin)
		rope(x, cos, sin)
		if !slices.Equal(cos, cos0) || !slices.Equal(sin, sin0) || !slices.Equal(x[2*h:], x0[2*h:]) {
			t.Fatalf("h=%d: the tables or the elements past 2h were modified", h)
		}
		for i := range h {
			a, b, c, s := float64(x0[i]), float64(x0[i+h]), float64(cos[i]), float64(sin[i])
			for _, e := range []struct {
				got  float32
				want float64
			}{{x[i], a*c - b*s}, {x[i+h], b*c + a*s}} {
				if !near(e.got, e.want, 1e-6*(1+math.Abs(e.want))) {
					t.Fatalf("h=%d: rope pair %d = %v, want %v", h, i, e.got, e.want)
				}
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

// roundBF16 rounds f to the nearest bfloat16 (ties to even), as a float32.
func roundBF16(f float32) float32 {
	b := math.Float32bits(f)
	return math.Float32frombits((b + 0x7fff + (b >> 16 & 1)) &^ 0xffff)
}

// testInvariance checks that every row of y = beta·y + x·wᵀ has the same
// bits computed alone, among any number of other rows at any offset, and
// in any split of the columns into 16-aligned ranges (what each thread of
// a linear layer gets). The rows computed alone are first checked against
// float64, so a product that is NaN everywhere fails. With bf16, x and w
// are rounded to bfloat16 in the reference.
func testInvariance(t *testing.T, bf16 bool, mul func(m, n, k int, x, w []float32, beta float32, y []float32, ldy int)) {
	r := rand.New(rand.NewSource(12))
	const rows = 300
	// Row counts around every tile width (4, 8, 12, 16, 32), the few-row
	// threshold (256) and one and several blocks of k (256).
	counts := []int{1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 17, 24, 31, 32, 33, 48, 64, 65, 100, 255, 256, 257, 300}
	for _, sh := range [][2]int{{70, 64}, {45, 608}, {33, 96}} {
		n, k := sh[0], sh[1]
		x, w := make([]float32, rows*k), make([]float32, n*k)
		fill(r, x, 1)
		fill(r, w, 1)
		ldy := n + 5
		yInit := make([]float32, rows*ldy)
		fill(r, yInit, 1)
		for _, beta := range []float32{0, 1} {
			name := fmt.Sprintf("n=%d k=%d beta=%v", n, k, beta)
			// Each row alone, checked against float64.
			alone := make([]float32, rows*n)
			for i := range rows {
				y := slices.Clone(yInit[i*ldy : i*ldy+n])
				mul(1, n, k, x[i*k:(i+1)*k], w, beta, y, n)
				copy(alone[i*n:], y)
				for j := range n {
					s, abs := float64(beta)*float64(yInit[i*ldy+j]), 0.0
					for l := range k {
						a, b := x[i*k+l], w[j*k+l]
						if bf16 {
							a, b = roundBF16(a), roundBF16(b)
						}
						s += float64(a) * float64(b)
						abs += math.Abs(float64(a) * float64(b))
					}
					if !near(y[j], s, 1e-5*(1+abs)) {
						t.Fatalf("%s: row %d alone: y[%d] = %v, want %v", name, i, j, y[j], s)
					}
				}
			}
			check := func(what string, off, m int, y []float32) {
				t.Helper()
				for i := range m {
					for j := range n {
						got, want := y[i*ldy+j], alone[(off+i)*n+j]
						if math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("%s: %s: row %d of %d (row %d of x), column %d: %v (%#08x), alone %v (%#08x)",
								name, what, i, m, off+i, j, got, math.Float32bits(got), want, math.Float32bits(want))
						}
					}
				}
			}
			for _, m := range counts {
				for _, off := range slices.Compact([]int{0, (rows - m) / 2, rows - m}) {
					y := slices.Clone(yInit[off*ldy : (off+m)*ldy])
					mul(m, n, k, x[off*k:(off+m)*k], w, beta, y, ldy)
					check(fmt.Sprintf("%d rows at %d", m, off), off, m, y)
				}
			}
			// Columns split as threads get them: 16-aligned ranges.
			for _, m := range []int{3, 40, 300} {
				for _, split := range [][]int{{0, 16, n}, {0, 32, n}, {0, 16, 32, 48, 64, n}} {
					split = slices.DeleteFunc(split[:len(split)-1], func(c int) bool { return c >= n })
					split = append(split, n)
					y := slices.Clone(yInit[:m*ldy])
					for c := 0; c+1 < len(split); c++ {
						c0, c1 := split[c], split[c+1]
						mul(m, c1-c0, k, x[:m*k], w[c0*k:c1*k], beta, y[c0:], ldy)
					}
					check(fmt.Sprintf("%d rows, columns split at %v", m, split), 0, m, y)
				}
			}
		}
	}
}
