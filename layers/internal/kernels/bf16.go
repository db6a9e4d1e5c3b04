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

// WidenBF16 returns a copy of k whose SgemmNTBF16 always widens the bf16
// weights to float32 and uses the float32 kernels, as on CPUs without
// AVX512_BF16 (tests force that path with it).
func (k *Kernels) WidenBF16() *Kernels {
	c := *k
	c.dotBF16, c.amx = nil, nil
	return &c
}

// NoAMX returns a copy of k whose SgemmNTBF16 does not use AMX tiles: the
// VDPBF16PS tile where the CPU has it, else widening (tests and
// benchmarks compare the paths with it).
func (k *Kernels) NoAMX() *Kernels {
	c := *k
	c.amx = nil
	return &c
}

// HasBF16Dot reports whether SgemmNTBF16 uses the VDPBF16PS tile (when it
// does not use AMX).
func (k *Kernels) HasBF16Dot() bool { return k.dotBF16 != nil }

// HasAMX reports whether SgemmNTBF16 uses AMX-BF16 tiles (k a multiple
// of 32).
func (k *Kernels) HasAMX() bool { return k.amx != nil }

// SgemmNTBF16 computes y = beta·y + x·wᵀ like SgemmNT, with w in bfloat16
// ([n,k], row stride k) and x rounded to bfloat16 before the products;
// products and sums are float32. With k a multiple of 32 it uses AMX-BF16
// tiles where the CPU and OS allow (see sgemmNTAMX), else with AVX512_BF16
// the 4×4 VDPBF16PS tiles; either computes every element, rows and columns
// left over included (through zero-padded copies), so an element's
// arithmetic does not depend on m or on where its row falls: batch
// invariance, as in SgemmNT. Elsewhere blocks of weight rows are widened
// to float32 and multiplied by SgemmNT: the weights' memory is still
// halved, the speed at best float32's. All give the same products (a
// product of two bf16 is exact in float32); only the summation order
// differs.
func (kr *Kernels) SgemmNTBF16(m, n, k int, x []float32, w []uint16, beta float32, y []float32, ldy int) {
	if m <= 0 || n <= 0 {
		return
	}
	checkLen("x", x, m, k, k)
	if k > 0 && len(w) < n*k {
		panic(fmt.Sprintf("kernels: w: %d bfloat16 for %d×%d", len(w), n, k))
	}
	checkLen("y", y, m, n, ldy)
	if kr.amx != nil && k > 0 && k%32 == 0 {
		kr.sgemmNTAMX(m, n, k, x, w, beta, y, ldy)
		return
	}
	if kr.dotBF16 == nil || k <= 0 || k%32 != 0 {
		kr.sgemmNTWiden(m, n, k, x, w, beta, y, ldy)
		return
	}
	// x in bf16, its rows rounded up to a multiple of 4 (zeros), and the
	// weight rows past the last multiple of 4 copied into 4 zero-padded rows.
	m4 := (m + 3) &^ 3
	n4 := n &^ 3
	pb := bf16Pool.Get().(*[]uint16)
	defer bf16Pool.Put(pb)
	if need := (m4 + 4) * k; cap(*pb) < need {
		*pb = make([]uint16, need)
	}
	xb, wTail := (*pb)[:m4*k], (*pb)[m4*k:(m4+4)*k]
	ToBF16(xb, x[:m*k])
	clear(xb[m*k:])
	if n4 < n {
		copy(wTail, w[n4*k:n*k])
		clear(wTail[(n-n4)*k:])
	}
	var tile [16]float32
	// A block of x rows stays in L2 while the 4-row groups of w pass over it.
	block := max(4, dotBlockBytes/(2*k)&^3)
	for i0 := 0; i0 < m4; i0 += block {
		i1 := min(m4, i0+block)
		for j := 0; j < n; j += 4 {
			wj, cols := &wTail[0], n-j
			if j < n4 {
				wj, cols = &w[j*k], 4
			}
			for i := i0; i < i1; i += 4 {
				if rows := min(4, m-i); rows == 4 && cols == 4 {
					kr.dotBF16(k, &xb[i*k], k, wj, k, &y[i*ldy+j], ldy, beta)
				} else {
					kr.dotBF16(k, &xb[i*k], k, wj, k, &tile[0], 4, 0)
					addTile(tile[:], rows, cols, y[i*ldy+j:], ldy, beta)
				}
			}
		}
	}
}

// addTile stores the rows×cols corner of a 4×4 tile t into y with beta, the
// arithmetic of the tile kernel's own store.
func addTile(t []float32, rows, cols int, y []float32, ldy int, beta float32) {
	for r := range rows {
		yr := y[r*ldy : r*ldy+cols]
		tr := t[r*4 : r*4+cols]
		if beta == 0 {
			copy(yr, tr)
			continue
		}
		for c := range yr {
			yr[c] = beta*yr[c] + tr[c]
		}
	}
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
