package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/gembed-dev/gembed/internal/numtest"
)

// every returns the kernels of every instruction set this machine runs, so
// each one is checked, not only the one the CPU would pick.
func every(t *testing.T) []*Kernels {
	t.Helper()
	var ks []*Kernels
	for _, isa := range Supported() {
		k, err := For(isa)
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k)
	}
	return ks
}

func randFill(r *rand.Rand, s []float32) {
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
}

// near fails on NaN: the comparison is written so NaN is never "close".
func near(got float32, want, tol float64) bool {
	return math.Abs(float64(got)-want) <= tol
}

type gemmCase struct {
	transB        bool
	m, n, k       int
	lda, ldb, ldc int // 0: tight
	alpha, beta   float32
	nanC          bool // C starts as NaN (beta must be 0)
}

func gemmCases() []gemmCase {
	var cs []gemmCase
	for _, tb := range []bool{true, false} {
		for _, s := range [][3]int{
			{1, 1, 1}, {1, 5, 3}, {1, 33, 17}, {3, 7, 5}, {5, 16, 16}, {6, 16, 8}, {12, 32, 16},
			{13, 33, 15}, {25, 65, 257}, {11, 31, 300}, {64, 64, 128}, {64, 128, 64}, {37, 1030, 40},
			{2, 3, 513}, {49, 17, 31},
		} {
			cs = append(cs,
				gemmCase{transB: tb, m: s[0], n: s[1], k: s[2], alpha: 1, beta: 0},
				gemmCase{transB: tb, m: s[0], n: s[1], k: s[2], alpha: 0.37, beta: 1},
				gemmCase{transB: tb, m: s[0], n: s[1], k: s[2], lda: s[2] + 3, ldb: s[1] + s[2] + 1, ldc: s[1] + 5, alpha: -2, beta: 0.5},
				gemmCase{transB: tb, m: s[0], n: s[1], k: s[2], alpha: 1, beta: 0, nanC: true},
			)
		}
	}
	return cs
}

func TestSgemm(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, kr := range every(t) {
		for _, c := range gemmCases() {
			name := fmt.Sprintf("%v/tb=%v/%dx%dx%d/ld=%d,%d,%d/a=%v/b=%v/nan=%v", kr.ISA(), c.transB, c.m, c.n, c.k, c.lda, c.ldb, c.ldc, c.alpha, c.beta, c.nanC)
			lda, ldb, ldc := max(c.lda, c.k), c.ldb, max(c.ldc, c.n)
			brows, bcols := c.k, c.n
			if c.transB {
				brows, bcols = c.n, c.k
			}
			ldb = max(ldb, bcols)
			a := guarded(t, (c.m-1)*lda+c.k)
			b := guarded(t, (brows-1)*ldb+bcols)
			cm := guarded(t, (c.m-1)*ldc+c.n)
			randFill(r, a)
			randFill(r, b)
			randFill(r, cm)
			if c.nanC {
				for i := range cm {
					cm[i] = float32(math.NaN())
				}
			}
			a0, b0, c0 := slices.Clone(a), slices.Clone(b), slices.Clone(cm)
			kr.Sgemm(c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
			if !slices.Equal(a, a0) || !slices.Equal(b, b0) {
				t.Fatalf("%s: inputs modified", name)
			}
			for i := range c.m {
				for j := range ldc {
					idx := i*ldc + j
					if idx >= len(cm) {
						break
					}
					if j >= c.n {
						if math.Float32bits(cm[idx]) != math.Float32bits(c0[idx]) {
							t.Fatalf("%s: C[%d,%d] outside the product changed", name, i, j)
						}
						continue
					}
					s, abs := 0.0, 0.0
					for l := range c.k {
						var bv float32
						if c.transB {
							bv = b[j*ldb+l]
						} else {
							bv = b[l*ldb+j]
						}
						s += float64(a[i*lda+l]) * float64(bv)
						abs += math.Abs(float64(a[i*lda+l]) * float64(bv))
					}
					want := float64(c.alpha) * s
					if c.beta != 0 {
						want += float64(c.beta) * float64(c0[idx])
					}
					if !near(cm[idx], want, 1e-6*(1+abs*math.Abs(float64(c.alpha))+math.Abs(want))) {
						t.Fatalf("%s: C[%d,%d] = %v, want %v", name, i, j, cm[idx], want)
					}
				}
			}
		}
	}
}

// TestSgemmNT covers the few-row transposed product and its edges: row
// counts around the tile widths, n not a multiple of the tile rows, k not a
// multiple of 8, k over several cache blocks.
func TestSgemmNT(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for _, kr := range every(t) {
		for _, m := range []int{1, 2, 3, 4, 5, 7, 31, 48, 49, 70} {
			for _, n := range []int{1, 4, 7, 16, 17} {
				ks := []int{8, 40, 64, 100}
				if m == 49 && n == 7 {
					ks = append(ks, 16384) // rows split into several L2 blocks
				}
				for _, k := range ks {
					for _, beta := range []float32{0, 1} {
						name := fmt.Sprintf("%v/%dx%dx%d/beta=%v", kr.ISA(), m, n, k, beta)
						ldy := n + 3
						x, w := guarded(t, m*k), guarded(t, n*k)
						y := guarded(t, (m-1)*ldy+n)
						randFill(r, x)
						randFill(r, w)
						randFill(r, y)
						if beta == 0 {
							for i := range y {
								y[i] = float32(math.NaN())
							}
						}
						x0, w0, y0 := slices.Clone(x), slices.Clone(w), slices.Clone(y)
						kr.SgemmNT(m, n, k, x, w, beta, y, ldy)
						if !slices.Equal(x, x0) || !slices.Equal(w, w0) {
							t.Fatalf("%s: inputs modified", name)
						}
						for i := range m {
							for j := range n {
								s, abs := 0.0, 0.0
								for l := range k {
									s += float64(x[i*k+l]) * float64(w[j*k+l])
									abs += math.Abs(float64(x[i*k+l]) * float64(w[j*k+l]))
								}
								if beta != 0 {
									s += float64(y0[i*ldy+j])
								}
								// float32 sums: the error grows with Σ|terms|.
								if !near(y[i*ldy+j], s, 1e-6*(1+abs+math.Abs(s))) {
									t.Fatalf("%s: y[%d,%d] = %v, want %v", name, i, j, y[i*ldy+j], s)
								}
							}
							for j := n; j < ldy && i*ldy+j < len(y); j++ {
								if math.Float32bits(y[i*ldy+j]) != math.Float32bits(y0[i*ldy+j]) {
									t.Fatalf("%s: y[%d,%d] outside the product changed", name, i, j)
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestFewRowsBitsMatchPacked checks that the few-row product (w·xᵀ, the
// weights streamed in place by the prefetching kernels, unrolled along k)
// gives every element the same bits as the packed path: the same fused
// multiply-adds in the same order. Shapes cover the unrolled loop's tail
// (k not a multiple of 16), several k blocks, partial strips of w and
// every few-row kernel width.
func TestFewRowsBitsMatchPacked(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, isa := range Supported() {
		few, packed := mustFor(isa), mustFor(isa)
		packed.SetSmallRows(0)
		for _, m := range []int{1, 5, 8, 9, 16, 17, 32, 33, 100, 256} {
			for _, n := range []int{7, 12, 25, 192} {
				for _, k := range []int{1, 15, 16, 17, 256, 384, 401, 1536} {
					for _, beta := range []float32{0, 1} {
						x, w, y0 := make([]float32, m*k), make([]float32, n*k), make([]float32, m*n)
						randFill(r, x)
						randFill(r, w)
						randFill(r, y0)
						got, want := slices.Clone(y0), slices.Clone(y0)
						few.SgemmNT(m, n, k, x, w, beta, got, n)
						packed.SgemmNT(m, n, k, x, w, beta, want, n)
						for i := range got {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%v/%dx%dx%d/beta=%v: y[%d] = %v (few rows), %v (packed)", isa, m, n, k, beta, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

func TestSwiGLU(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, kr := range every(t) {
		for _, n := range []int{0, 1, 7, 8, 9, 1003} {
			g, u := guarded(t, n), guarded(t, n)
			want := make([]float64, n)
			for i := range g {
				g[i] = float32(r.NormFloat64() * 8)
				if i < 4 && n > 8 {
					g[i] = []float32{-200, 200, -88, 0}[i]
				}
				u[i] = float32(r.NormFloat64())
				x := float64(g[i])
				want[i] = x / (1 + math.Exp(-x)) * float64(u[i])
			}
			u0 := slices.Clone(u)
			kr.SwiGLU(g, u)
			if !slices.Equal(u, u0) {
				t.Fatalf("%v n=%d: u modified", kr.ISA(), n)
			}
			for i := range g {
				if !near(g[i], want[i], 1e-6*(1+math.Abs(want[i]))) {
					t.Fatalf("%v n=%d: swiglu[%d] = %v, want %v", kr.ISA(), n, i, g[i], want[i])
				}
			}
		}
	}
}

func TestCausalSoftmax(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	const mask = -1e30
	for _, kr := range every(t) {
		for _, sh := range [][3]int{{1, 1, 0}, {5, 37, 32}, {3, 8, 0}, {64, 64, 0}, {2, 9, 7}, {4, 70, 2}} {
			m, nk, first := sh[0], sh[1], sh[2]
			s := guarded(t, m*nk)
			for i := range s {
				s[i] = float32(r.NormFloat64() * 10)
			}
			ref := make([]float64, len(s))
			for row := range m {
				see := min(first+row+1, nk)
				mx := math.Inf(-1)
				for j := range see {
					mx = math.Max(mx, float64(s[row*nk+j]))
				}
				sum := 0.0
				for j := range see {
					sum += math.Exp(float64(s[row*nk+j]) - mx)
				}
				for j := range see {
					ref[row*nk+j] = math.Exp(float64(s[row*nk+j])-mx) / sum
				}
			}
			kr.CausalSoftmax(s, m, nk, first, mask)
			for i := range s {
				if !near(s[i], ref[i], 1e-6) {
					t.Fatalf("%v %v: softmax[%d] = %v, want %v", kr.ISA(), sh, i, s[i], ref[i])
				}
			}
		}
	}
}

func TestExpf(t *testing.T) {
	for x := float32(-104); x < 89; x += 0.01237 {
		got, want := float64(Expf(x)), math.Exp(float64(x))
		if want < 1e-37 || want > math.MaxFloat32 {
			continue
		}
		if !near(Expf(x), want, 3e-7*want) {
			t.Fatalf("Expf(%v) = %v, want %v", x, got, want)
		}
	}
	if Expf(-200) != 0 || !math.IsInf(float64(Expf(200)), 1) {
		t.Fatal("Expf limits")
	}
}

// TestNearFailsOnNaN makes sure the comparison every test uses rejects NaN.
func TestNearFailsOnNaN(t *testing.T) {
	if near(float32(math.NaN()), 0, 1) || near(0, math.NaN(), 1) {
		t.Fatal("near accepts NaN")
	}
}

func TestForUnsupported(t *testing.T) {
	if _, err := For(ISA(200)); err == nil {
		t.Fatal("For(ISA(200)) succeeded")
	}
}

// TestGELU checks every implementation against float64 math.Erf: the
// absolute error must stay within ½|x| times the 1.5e-7 bound of the erfc
// approximation plus a few float32 roundings of erfc (≤ 2), so ~6e-7·½|x|,
// plus rounding of the result. Dense grids over the core, the tails and tiny
// values, odd lengths for the padded tail; NaN must stay NaN.
func TestGELU(t *testing.T) {
	grids := []struct {
		name         string
		lo, hi, step float64
	}{
		{"core", -6, 6, 1.0 / 4096},
		{"tails", -40, 40, 1.0 / 64},
		{"tiny", -1e-3, 1e-3, 1e-7},
	}
	for _, kr := range every(t) {
		for _, g := range grids {
			var xs []float32
			for v := g.lo; v <= g.hi; v += g.step {
				xs = append(xs, float32(v))
			}
			xs = append(xs, float32(math.NaN()), 200, -200, 0)
			got := guarded(t, len(xs))
			copy(got, xs)
			kr.GELU(got)
			for i, x := range xs {
				f := float64(x)
				if math.IsNaN(f) {
					if !math.IsNaN(float64(got[i])) {
						t.Fatalf("%v: gelu(NaN) = %v", kr.ISA(), got[i])
					}
					continue
				}
				want := 0.5 * f * (1 + math.Erf(f/math.Sqrt2))
				if !near(got[i], want, 0.5*math.Abs(f)*6e-7+1.2e-7*math.Abs(want)+1e-30) {
					t.Fatalf("%v %s: gelu(%v) = %v, want %v", kr.ISA(), g.name, x, got[i], want)
				}
			}
		}
	}
}

// TestAdd: the vector add gives exactly the scalar sums (one rounding per
// element), at every length around the 8-lane groups, and leaves src alone.
func TestAdd(t *testing.T) {
	r := rand.New(rand.NewSource(13))
	for _, kr := range every(t) {
		for _, n := range []int{0, 1, 7, 8, 9, 16, 17, 1003} {
			dst, src := guarded(t, n), guarded(t, n+3)
			randFill(r, dst)
			randFill(r, src)
			if n > 0 {
				dst[0] = float32(math.NaN())
			}
			want := make([]float32, n)
			for i := range want {
				want[i] = dst[i] + src[i]
			}
			src0 := slices.Clone(src)
			kr.Add(dst, src)
			if !slices.Equal(src, src0) {
				t.Fatalf("%v n=%d: src modified", kr.ISA(), n)
			}
			for i := range dst {
				if math.Float32bits(dst[i]) != math.Float32bits(want[i]) && !(i == 0 && math.IsNaN(float64(dst[i]))) {
					t.Fatalf("%v n=%d: dst[%d] = %v, want %v", kr.ISA(), n, i, dst[i], want[i])
				}
			}
			if n > 0 && !math.IsNaN(float64(dst[0])) {
				t.Fatalf("%v n=%d: NaN did not propagate", kr.ISA(), n)
			}
		}
	}
}

// TestNormAndRoPESameBitsEverywhere: RMSNorm and RoPE give the portable
// loops' bits on every implementation (the sum of squares has one order
// for all of them), so a vector does not depend on the CPU it ran on.
func TestNormAndRoPESameBitsEverywhere(t *testing.T) {
	gen := genericKernels()
	r := rand.New(rand.NewSource(11))
	for _, isa := range Supported() {
		kr := mustFor(isa)
		for _, n := range []int{1, 5, 31, 32, 33, 64, 100, 1024, 1031} {
			x, w := make([]float32, n), make([]float32, n)
			for i := range x {
				x[i], w[i] = float32(r.NormFloat64()*4), float32(r.NormFloat64())
			}
			got, want := make([]float32, n), make([]float32, n)
			kr.RMSNorm(got, x, w, 1e-6)
			gen.RMSNorm(want, x, w, 1e-6)
			if err := numtest.SameBits(got, want); err != nil {
				t.Fatalf("%v: RMSNorm n=%d against the portable loop: %v", isa, n, err)
			}
			h := n / 2
			cos, sin := slices.Clone(w[:h]), slices.Clone(x[n-h:])
			gotR, wantR := slices.Clone(x), slices.Clone(x)
			kr.RoPE(gotR, cos, sin)
			gen.RoPE(wantR, cos, sin)
			if err := numtest.SameBits(gotR, wantR); err != nil {
				t.Fatalf("%v: RoPE h=%d against the portable loop: %v", isa, h, err)
			}
		}
	}
}
