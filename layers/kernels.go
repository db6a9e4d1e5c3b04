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
