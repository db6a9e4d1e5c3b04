package layers

import "math"

// rmsNormRow writes x / sqrt(mean(x²) + eps) * w into dst (eps inside the
// square root, as Hugging Face and llama.cpp do). The sum is kept in float64.
func rmsNormRow(dst, x, w []float32, eps float64) {
	x = x[:len(dst)]
	w = w[:len(dst)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		a, b, c, d := float64(x[i]), float64(x[i+1]), float64(x[i+2]), float64(x[i+3])
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i]) * float64(x[i])
	}
	scale := float32(1 / math.Sqrt((s0+s1+s2+s3)/float64(len(x))+eps))
	for i := range dst {
		dst[i] = x[i] * scale * w[i]
	}
}

// expf is exp for float32 with about one ulp of error (Cephes' expf):
// range reduction by ln 2 and a degree-6 polynomial. math.Exp on float64 is
// several times slower and SiLU/softmax call this hundreds of millions of
// times per batch.
func expf(x float32) float32 {
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

// ropeRow applies rotate-half rotary embedding in place to one head vector
// x of length D with cos/sin tables of length D/2 for its position.
func ropeRow(x, cos, sin []float32) {
	h := len(cos)
	x1 := x[:h]
	x2 := x[h : 2*h]
	sin = sin[:h]
	for i, c := range cos {
		a, b, s := x1[i], x2[i], sin[i]
		x1[i] = a*c - b*s
		x2[i] = b*c + a*s
	}
}
