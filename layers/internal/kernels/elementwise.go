package kernels

import "math"

// SwiGLU sets g[i] = SiLU(g[i])·u[i], SiLU(x) = x·σ(x) = x/(1+e⁻ˣ).
func (kr *Kernels) SwiGLU(g, u []float32) {
	if len(u) < len(g) {
		panic("kernels: SwiGLU: u shorter than g")
	}
	kr.swiglu(g, u)
}

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
		mx := row[0]
		for _, x := range row[1:] {
			mx = max(mx, x)
		}
		inv := 1 / kr.expSubSum(row, mx)
		for j := range row {
			row[j] *= inv
		}
	}
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
