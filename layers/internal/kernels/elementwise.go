package kernels

import "math"

// SwiGLU sets g[i] = SiLU(g[i])·u[i], SiLU(x) = x·σ(x) = x/(1+e⁻ˣ).
func (kr *Kernels) SwiGLU(g, u []float32) {
	if len(u) < len(g) {
		panic("kernels: SwiGLU: u shorter than g")
	}
	kr.swiglu(g, u)
}

// Add sets dst[i] += src[i] (src at least as long as dst).
func (kr *Kernels) Add(dst, src []float32) {
	if len(src) < len(dst) {
		panic("kernels: Add: src shorter than dst")
	}
	kr.add(dst, src)
}

// RMSNorm writes x / sqrt(mean(x²) + eps) · w into dst (eps inside the
// square root, as Hugging Face and llama.cpp do); dst may be x. The sum of
// squares is kept in float64 over 32 running lane sums (i mod 32) added in
// a fixed tree, so every implementation gives the same bits; the products
// x·scale·w round as float32, twice, left to right.
func (kr *Kernels) RMSNorm(dst, x, w []float32, eps float64) {
	n := len(dst)
	if n == 0 {
		return
	}
	x, w = x[:n], w[:n]
	n32 := n &^ 31
	acc := kr.sumSquares(x[:n32]) // by value: a pointer passed to a func value would put acc on the heap
	for i, v := range x[n32:] {
		// A float32 square is exact in float64: fused or not, the same.
		acc[i] += float64(v) * float64(v)
	}
	for half := 16; half > 0; half /= 2 {
		for j := range half {
			acc[j] += acc[j+half]
		}
	}
	scale := float32(1 / math.Sqrt(acc[0]/float64(n)+eps))
	kr.mulScaled(dst, x, w, scale)
}

// RoPE rotates one head vector x in place, rotate-half style: the pairs
// (x[i], x[i+h]) for i < h = len(cos), by the angles whose cosines and sines
// are cos[i], sin[i] (the tables for its position).
func (kr *Kernels) RoPE(x, cos, sin []float32) {
	h := len(cos)
	if len(x) < 2*h || len(sin) < h {
		panic("kernels: RoPE: x shorter than 2·len(cos) or sin shorter than cos")
	}
	kr.rope(x[:h], x[h:2*h], cos, sin[:h])
}

// PrefetchRows asks for rows rows of n floats of x (row stride ld) to be
// brought into the caches ahead of their use; a hint, no effect on results.
func (kr *Kernels) PrefetchRows(x []float32, ld, rows, n int) {
	if kr.prefetchRows == nil || rows <= 0 || n <= 0 {
		return
	}
	checkLen("x", x, rows, n, ld)
	kr.prefetchRows(&x[0], ld, rows, n)
}

func sumSquaresGo(x []float32) (acc [32]float64) {
	for i := 0; i+32 <= len(x); i += 32 {
		for j, v := range x[i : i+32] {
			acc[j] += float64(v) * float64(v)
		}
	}
	return acc
}

// mulScaledGo: the conversions keep the compiler from fusing (arm64 would),
// so each product rounds as in the vector kernels.
func mulScaledGo(dst, x, w []float32, s float32) {
	x, w = x[:len(dst)], w[:len(dst)]
	for i := range dst {
		dst[i] = float32(x[i]*s) * w[i]
	}
}

func ropeGo(x1, x2, cos, sin []float32) {
	x1, x2, sin = x1[:len(cos)], x2[:len(cos)], sin[:len(cos)]
	for i, c := range cos {
		a, b, s := x1[i], x2[i], sin[i]
		x1[i] = float32(a*c) - float32(b*s)
		x2[i] = float32(b*c) + float32(a*s)
	}
}

func addGo(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

func scaleGo(x []float32, s float32) {
	for i := range x {
		x[i] *= s
	}
}

// GELU sets x[i] = x[i]·Φ(x[i]), the exact (erf) GELU, to within ~5e-7·|x|
// absolute: see geluGo.
func (kr *Kernels) GELU(x []float32) { kr.gelu(x) }

// CausalSoftmax applies the causal mask and a softmax to each of m rows of
// nk scores in s: row r sees keys j ≤ first+r, the later ones get mask
// added (a large finite negative, so a fully masked row stays finite).
func (kr *Kernels) CausalSoftmax(s []float32, m, nk, first int, mask float32) {
	if m <= 0 || nk <= 0 {
		return
	}
	_ = s[m*nk-1]
	for r := range m {
		row := s[r*nk : (r+1)*nk]
		for j := first + r + 1; j < nk; j++ {
			row[j] += mask
		}
		inv := 1 / kr.expSubSum(row, rowMax(row))
		kr.scale(row, inv)
	}
}

// rowMax is the largest element of a non-empty row (NaN if any is NaN),
// over four running maxima so the loop is not one dependency chain; the
// maximum does not depend on the order.
func rowMax(row []float32) float32 {
	m0, m1, m2, m3 := row[0], row[0], row[0], row[0]
	i := 0
	for ; i+4 <= len(row); i += 4 {
		m0, m1, m2, m3 = max(m0, row[i]), max(m1, row[i+1]), max(m2, row[i+2]), max(m3, row[i+3])
	}
	for ; i < len(row); i++ {
		m0 = max(m0, row[i])
	}
	return max(max(m0, m1), max(m2, m3))
}

// Expf is exp for float32 with about one ulp of error (Cephes' expf):
// range reduction by ln 2 and a degree-5 polynomial; math.Exp in float64 is
// several times slower.
func Expf(x float32) float32 {
	if x > 88.72283 {
		return float32(math.Inf(1))
	}
	if x < -103.97 {
		return 0
	}
	fx := x*1.44269504088896341 + 0.5
	n := int32(fx)
	if float32(n) > fx {
		n--
	}
	fn := float32(n)
	x -= fn * 0.693359375
	x -= fn * -2.12194440e-4
	z := x * x
	y := ((((1.9875691500e-4*x+1.3981999507e-3)*x+8.3334519073e-3)*x+4.1665795894e-2)*x+1.6666665459e-1)*x + 5.0000001201e-1
	y = y*z + x + 1
	// Scale by 2^n; split in two steps so subnormal results stay right.
	if n > 127 {
		return y * math.Float32frombits(uint32(127+127)<<23) * math.Float32frombits(uint32(n-127+127)<<23)
	}
	if n < -125 {
		return y * math.Float32frombits(uint32(n+127+64)<<23) * math.Float32frombits(uint32(127-64)<<23)
	}
	return y * math.Float32frombits(uint32(n+127)<<23)
}

func swigluGo(g, u []float32) {
	u = u[:len(g)]
	for i, x := range g {
		g[i] = x / (1 + Expf(-x)) * u[i]
	}
}

func expSubSumGo(x []float32, mx float32) float32 {
	var sum float32
	for j, v := range x {
		e := Expf(v - mx)
		x[j] = e
		sum += e
	}
	return sum
}

// geluGo computes GELU as ½x·erfc(−x/√2) in float32. math.Erf in float64 was
// about three quarters of a small BERT's CPU time. erfc(z), z ≥ 0, comes from
// Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7; PyTorch's vectorized
// CPU erf uses the same formula): a degree-5 polynomial in t = 1/(1+p·z)
// times e^(−z²). For x < 0 the result is ½x·erfc(|x|/√2) directly, so the
// negative tail keeps its relative accuracy instead of cancelling in 1+erf.
func geluGo(x []float32) {
	const (
		invSqrt2 = 0.70710678118654752
		p        = 0.3275911
		a1       = 0.254829592
		a2       = -0.284496736
		a3       = 1.421413741
		a4       = -1.453152027
		a5       = 1.061405429
	)
	for i, v := range x {
		z := v * invSqrt2
		if z < 0 {
			z = -z
		}
		t := 1 / (1 + p*z)
		erfc := t * (a1 + t*(a2+t*(a3+t*(a4+t*a5)))) * Expf(-z*z)
		if v >= 0 {
			erfc = 2 - erfc
		}
		x[i] = 0.5 * v * erfc
	}
}
