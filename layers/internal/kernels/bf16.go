package kernels

import (
	"fmt"
	"math"
	"sync"
)

// ToBF16 rounds each float32 of src to bfloat16 (round to nearest, ties to
// even; NaN stays NaN) and stores its 16 bits in dst.
func ToBF16(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, f := range src {
		dst[i] = bf16(f)
	}
}

func bf16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN: keep it a (quiet) NaN
		return uint16(b>>16) | 0x40
	}
	return uint16((b + 0x7fff + (b >> 16 & 1)) >> 16)
}

// FromBF16 widens bfloat16 bits to float32 (exact).
func FromBF16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

var bf16Pool = sync.Pool{New: func() any { return new([]uint16) }}

// SgemmNTBF16 computes y = beta·y + x·wᵀ like SgemmNT, with w in bfloat16
// ([n,k], row stride k) and x rounded to bfloat16 before the products;
// products and sums are float32. With AVX512_BF16 the 4×4 tiles use
// VDPBF16PS; elsewhere the bf16 values are widened and multiplied in Go.
func (kr *Kernels) SgemmNTBF16(m, n, k int, x []float32, w []uint16, beta float32, y []float32, ldy int) {
	if m <= 0 || n <= 0 {
		return
	}
	checkLen("x", x, m, k, k)
	if k > 0 && len(w) < n*k {
		panic(fmt.Sprintf("kernels: w: %d bfloat16 for %d×%d", len(w), n, k))
	}
	checkLen("y", y, m, n, ldy)
	pb := bf16Pool.Get().(*[]uint16)
	defer bf16Pool.Put(pb)
	if cap(*pb) < m*k {
		*pb = make([]uint16, m*k)
	}
	xb := (*pb)[:m*k]
	ToBF16(xb, x[:m*k])
	var tile [4]float32
	j := 0
	if kr.dotBF16 != nil && k > 0 && k%32 == 0 {
		m4 := m &^ 3
		for ; j+4 <= n; j += 4 {
			for i := 0; i < m4; i += 4 {
				kr.dotBF16(k, &xb[i*k], k, &w[j*k], k, &y[i*ldy+j], ldy, beta)
			}
			for i := m4; i < m; i++ {
				for c := range 4 {
					tile[c] = dotBF16Go(xb[i*k:(i+1)*k], w[(j+c)*k:(j+c+1)*k])
				}
				addTile(tile[:], 1, y[i*ldy+j:], ldy, beta)
			}
		}
	}
	for ; j < n; j++ {
		wj := w[j*k : (j+1)*k]
		for i := range m {
			s := dotBF16Go(xb[i*k:(i+1)*k], wj)
			if beta == 0 {
				y[i*ldy+j] = s
			} else {
				y[i*ldy+j] = beta*y[i*ldy+j] + s
			}
		}
	}
}

// dotBF16Go is the portable bf16 dot product, in float32.
func dotBF16Go(a, b []uint16) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += FromBF16(a[i]) * FromBF16(b[i])
		s1 += FromBF16(a[i+1]) * FromBF16(b[i+1])
		s2 += FromBF16(a[i+2]) * FromBF16(b[i+2])
		s3 += FromBF16(a[i+3]) * FromBF16(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += FromBF16(a[i]) * FromBF16(b[i])
	}
	return (s0 + s1) + (s2 + s3)
}
