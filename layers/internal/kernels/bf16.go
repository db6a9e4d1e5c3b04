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

var (
	bf16Pool = sync.Pool{New: func() any { return new([]uint16) }}
	f32Pool  = sync.Pool{New: func() any { return new([]float32) }}
)

// widenBlockBytes bounds the float32 copy of the weight rows the widening
// path multiplies at a time: every block repacks x in the float32 GEMM, so
// blocks are large (a whole 0.6B-model projection), pooled and reused.
const widenBlockBytes = 16 << 20

// bf16TileRows is the row count up to which the VDPBF16PS 4×4 tiles beat
// widening into the packed float32 GEMM: the tiles do no cache blocking, so
// for many rows they re-stream x for every 4 weight rows (measured on one
// Zen 4 core, 1536×1024 weights: tiles 55 vs 24 GFLOP per CPU-second at 32
// rows, 74 vs 85 at 256, 40 vs 64 at 2048).
const bf16TileRows = 128

// WidenBF16 returns a copy of k whose SgemmNTBF16 always widens the bf16
// weights to float32 and uses the float32 kernels, as on CPUs without
// AVX512_BF16 (tests force that path with it).
func (k *Kernels) WidenBF16() *Kernels {
	c := *k
	c.dotBF16 = nil
	return &c
}

// HasBF16Dot reports whether SgemmNTBF16 uses the VDPBF16PS tile.
func (k *Kernels) HasBF16Dot() bool { return k.dotBF16 != nil }

// SgemmNTBF16 computes y = beta·y + x·wᵀ like SgemmNT, with w in bfloat16
// ([n,k], row stride k) and x rounded to bfloat16 before the products;
// products and sums are float32. With AVX512_BF16, k a multiple of 32 and
// at most bf16TileRows rows the 4×4 tiles use VDPBF16PS; elsewhere blocks
// of weight rows are widened to float32 and multiplied by the float32
// kernels: the weights' memory is still halved, the speed at best
// float32's. Both give the same products (a product of two bf16 is exact
// in float32); only the summation order differs.
func (kr *Kernels) SgemmNTBF16(m, n, k int, x []float32, w []uint16, beta float32, y []float32, ldy int) {
	if m <= 0 || n <= 0 {
		return
	}
	checkLen("x", x, m, k, k)
	if k > 0 && len(w) < n*k {
		panic(fmt.Sprintf("kernels: w: %d bfloat16 for %d×%d", len(w), n, k))
	}
	checkLen("y", y, m, n, ldy)
	if kr.dotBF16 == nil || k%32 != 0 || m > bf16TileRows {
		kr.sgemmNTWiden(m, n, k, x, w, beta, y, ldy)
		return
	}
	pb := bf16Pool.Get().(*[]uint16)
	defer bf16Pool.Put(pb)
	if cap(*pb) < m*k {
		*pb = make([]uint16, m*k)
	}
	xb := (*pb)[:m*k]
	ToBF16(xb, x[:m*k])
	var tile [4]float32
	j := 0
	if k > 0 {
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

// sgemmNTWiden is SgemmNTBF16 through the float32 kernels: x rounded to
// bf16 and back (so both paths multiply the same values), w widened a block
// of rows at a time.
func (kr *Kernels) sgemmNTWiden(m, n, k int, x []float32, w []uint16, beta float32, y []float32, ldy int) {
	if k <= 0 {
		kr.SgemmNT(m, n, k, nil, nil, beta, y, ldy)
		return
	}
	px := f32Pool.Get().(*[]float32)
	defer f32Pool.Put(px)
	rows := max(16, widenBlockBytes/(4*k)/16*16)
	if need := m*k + min(rows, n)*k; cap(*px) < need {
		*px = make([]float32, need)
	}
	xr, wf := (*px)[:m*k], (*px)[m*k:m*k+min(rows, n)*k]
	for i, v := range x[:m*k] {
		xr[i] = FromBF16(bf16(v))
	}
	for j := 0; j < n; j += rows {
		nb := min(rows, n-j)
		for i, h := range w[j*k : (j+nb)*k] {
			wf[i] = FromBF16(h)
		}
		kr.SgemmNT(m, nb, k, xr, wf[:nb*k], beta, y[j:], ldy)
	}
}
