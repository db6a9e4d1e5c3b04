package kernels

import (
	"fmt"
	"math"
	"sync"
	"unsafe"
)

// microKernel computes the mr×nr tile C = alpha·A·B + beta·C over kc steps:
// A is read in place (mr rows of stride lda), B packed (kc groups of nr
// floats), C has row stride ldc. beta == 0 writes C without reading it.
type microKernel func(kc int, a *float32, lda int, b *float32, c *float32, ldc int, alpha, beta float32)

// microVariant is a microkernel with its tile shape.
type microVariant struct {
	micro  microKernel
	mr, nr int
}

// bf16DotKernel sets y[r·ldy+c] = beta·y + Σ_{l<k} x[r·ldx+l]·w[c·ldw+l]
// for a 4×4 tile of bfloat16 x and w (k a multiple of 32); beta == 0 does
// not read y.
type bf16DotKernel func(k int, x *uint16, ldx int, w *uint16, ldw int, y *float32, ldy int, beta float32)

// Blocking: a kc×nc panel of packed B (1 MiB) stays in L2 while every
// mr-row strip of A (mr×kc, at most 12 KiB) is multiplied against it from
// L1.
const (
	blockK = 256
	blockN = 1024
	// dotBlockBytes of x rows stay in L2 while the 4-row strips of w (in L1)
	// pass over them (the bfloat16 tiles).
	dotBlockBytes = 1 << 20
)

// scratch is the per-call working memory of gemm, pooled so that a steady
// stream of calls allocates nothing.
type scratch struct {
	panel []float32        // packed B: blockK × (blockN rounded up to nr)
	strip []float32        // one mr-row strip of A, rows of stride blockK+16
	tile  [12 * 32]float32 // an edge tile (≥ mr·nr of every kernel)
	// The few-row product's packed x, strip of w and transposed output.
	xPacked, wStrip, yT []float32
	// Gather indexes: here rather than on the stack, where passing them to
	// a function value would move them to the heap on every call.
	xIdx, yIdx, tIdx, bIdx [16]int32
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{
		panel: make([]float32, blockK*(blockN+32)),
		strip: make([]float32, 12*(blockK+16)),
	}
}}

// Sgemm computes C = alpha·A·op(B) + beta·C for row-major A [m,k] (row
// stride lda) and C [m,n] (row stride ldc); op(B) is Bᵀ when transB (B
// stored [n,k], the Hugging Face [out,in] layout) and B otherwise (B stored
// [k,n]), row stride ldb. beta == 0 overwrites C (NaNs in it do not
// propagate).
func (kr *Kernels) Sgemm(transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m <= 0 || n <= 0 {
		return
	}
	checkLen("C", c, m, n, ldc)
	if k <= 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	checkLen("A", a, m, k, lda)
	if transB {
		checkLen("B", b, n, k, ldb)
	} else {
		checkLen("B", b, k, n, ldb)
	}
	kr.gemm(transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmNT computes y = beta·y + x·wᵀ for x [m,k] (row stride k), w [n,k]
// (row stride k) and y [m,n] (row stride ldy): a linear layer.
//
// Every element of y gets the same arithmetic whatever m is and wherever
// its row falls: one fused multiply-add chain over each blockK-long block
// of k, in order, the blocks added to y in order. So a row of x gives the
// same bits alone or among any other rows (batch invariance). Few rows go
// through the transposed product yᵀ = w·xᵀ, which streams w once without
// packing it; a product's bits do not depend on which operand is which.
func (kr *Kernels) SgemmNT(m, n, k int, x, w []float32, beta float32, y []float32, ldy int) {
	if m <= 0 || n <= 0 {
		return
	}
	if m > kr.smallRows || k <= 0 {
		kr.Sgemm(true, m, n, k, 1, x, k, w, k, beta, y, ldy)
		return
	}
	checkLen("x", x, m, k, k)
	checkLen("w", w, n, k, k)
	checkLen("y", y, m, n, ldy)
	kr.gemmTransposed(m, n, k, x, w, beta, y, ldy)
}

// gemmTransposed computes y = beta·y + x·wᵀ as the product w·xᵀ: the m
// rows of x are packed once as the columns, using the narrowest
// microkernel that covers them, and strips of mr rows of w are the
// broadcast operand, read in place (the last, partial strip through a
// zero-padded copy). The microkernel accumulates the strip's yᵀ tile over
// the blocks of k with the same beta and store arithmetic as the packed
// path (the tile starts as y transposed when beta reads it), then the tile
// is transposed into y.
func (kr *Kernels) gemmTransposed(m, n, k int, x, w []float32, beta float32, y []float32, ldy int) {
	v := microVariant{kr.micro, kr.mr, kr.nr}
	for _, fv := range kr.few {
		v = fv
		if fv.nr >= m {
			break
		}
	}
	mr, nr := v.mr, v.nr
	mp := (m + nr - 1) / nr * nr // columns of the packed x and of yᵀ
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	xp := grow(&sc.xPacked, k*mp)
	yT := grow(&sc.yT, mr*mp)
	// With AVX-512 the transpositions (x into xp, y into and out of yᵀ)
	// are gathers of up to 16 lanes; indices are int32.
	gather := kr.gather16
	if gather == nil || nr%min(16, nr) != 0 || mr > 16 || 16*max(k, ldy, mp) > math.MaxInt32 {
		gather = nil
	}
	xIdx, yIdx, tIdx := &sc.xIdx, &sc.yIdx, &sc.tIdx
	if gather != nil {
		stride16(xIdx, k)
		stride16(yIdx, ldy)
		stride16(tIdx, mp)
		gatherRows(gather, x, m, k, nr, mp, xp, xIdx)
	} else {
		packRows(x, m, k, nr, mp, xp)
	}
	for ir := 0; ir < n; ir += mr {
		rows := min(mr, n-ir)
		a := w[ir*k:]
		if rows < mr {
			a = grow(&sc.wStrip, mr*k)
			copy(a, w[ir*k:n*k])
			clear(a[rows*k:])
		}
		switch {
		case beta != 0 && gather != nil:
			for c0 := 0; c0 < m; c0 += 16 {
				mask := lanes(min(16, m-c0))
				gather(&y[c0*ldy+ir], &yIdx[0], mask, mask, rows, &yT[c0], mp)
			}
		case beta != 0:
			for c := range m {
				yc := y[c*ldy+ir : c*ldy+ir+rows]
				t := yT[c:]
				for r, v := range yc {
					t[r*mp] = v
				}
			}
		}
		for pc := 0; pc < k; pc += blockK {
			kc := min(blockK, k-pc)
			bet := beta
			if pc > 0 {
				bet = 1
			}
			for jr := 0; jr < mp; jr += nr {
				v.micro(kc, &a[pc], k, &xp[pc*mp+jr*kc], &yT[jr], mp, 1, bet)
			}
		}
		if gather != nil {
			gather(&yT[0], &tIdx[0], lanes(rows), lanes(rows), m, &y[ir], ldy)
			continue
		}
		for c := range m {
			yc := y[c*ldy+ir : c*ldy+ir+rows]
			t := yT[c:]
			for r := range yc {
				yc[r] = t[r*mp]
			}
		}
	}
}

// lanes is the mask of the first n (≤ 16) lanes.
func lanes(n int) int { return 1<<n - 1 }

// stride16 sets idx[l] = l·stride.
func stride16(idx *[16]int32, stride int) {
	for l := range idx {
		idx[l] = int32(l * stride)
	}
}

// gatherRows is packRows by gathers of up to 16 lanes (nr a multiple of
// min(16, nr); idx holds multiples of k): each step of a group of
// min(16, nr) rows is one gather.
func gatherRows(gather gatherFunc, x []float32, m, k, nr, mp int, xp []float32, idx *[16]int32) {
	g := min(16, nr)
	for pc := 0; pc < k; pc += blockK {
		kc := min(blockK, k-pc)
		for s := 0; s < mp; s += g {
			dst := &xp[pc*mp+s/nr*nr*kc+s%nr]
			if s >= m {
				gather(&x[0], &idx[0], 0, lanes(g), kc, dst, nr) // zeros
				continue
			}
			gather(&x[s*k+pc], &idx[0], lanes(min(g, m-s)), lanes(g), kc, dst, nr)
		}
	}
}

// packRows packs the m rows of x [m,k] as the few-row product's columns,
// the layout packB gives them (for each blockK block of k, strips of nr
// rows, each step holding the strip's nr values; zeros past row m), into
// xp (k·mp floats). Row by row: loads in order, stores nr floats apart.
func packRows(x []float32, m, k, nr, mp int, xp []float32) {
	if m < mp {
		clear(xp[:k*mp])
	}
	for pc := 0; pc < k; pc += blockK {
		kc := min(blockK, k-pc)
		blk := xp[pc*mp : pc*mp+kc*mp]
		for i := range m {
			d := blk[i/nr*nr*kc+i%nr:]
			src := x[i*k+pc : i*k+pc+kc]
			d = d[:(kc-1)*nr+1]
			for p, v := range src {
				d[p*nr] = v
			}
		}
	}
}

// grow returns (*s)[:n], reallocating when it is shorter.
func grow(s *[]float32, n int) []float32 {
	if len(*s) < n {
		*s = make([]float32, n)
	}
	return (*s)[:n]
}

// checkLen panics unless s covers a rows×cols matrix of row stride ld.
func checkLen(name string, s []float32, rows, cols, ld int) {
	if ld < cols || len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("kernels: %s: %d floats for %d×%d with stride %d", name, len(s), rows, cols, ld))
	}
}

func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		for j := range row {
			if beta == 0 {
				row[j] = 0
			} else {
				row[j] *= beta
			}
		}
	}
}

// gemm is the blocked driver: for each kc×nc panel of B (packed into
// nr-wide strips, zero-padded), every mr-row strip of A is multiplied
// against every strip; tiles that stick out of C or A go through a scratch
// tile. The first k block applies beta, the others accumulate.
func (kr *Kernels) gemm(transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr, nr := kr.mr, kr.nr
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	panel := sc.panel
	tile := sc.tile[:mr*nr]
	// Each mr-row strip of A is copied (rows of stride blockK+16) before
	// use: rows of a wide A lie 4 KiB apart or more, which puts all of them
	// in the same L1 sets; the copy also zero-pads the last strip.
	const ldA = blockK + 16
	aStrip := sc.strip[:mr*ldA]
	gather := kr.gather16
	if gather == nil || !transB || nr%16 != 0 || 16*ldb > math.MaxInt32 {
		gather = nil
	}
	for jc := 0; jc < n; jc += blockN {
		nc := min(blockN, n-jc)
		for pc := 0; pc < k; pc += blockK {
			kc := min(blockK, k-pc)
			packB(transB, b, ldb, pc, kc, jc, nc, nr, panel, gather, &sc.bIdx)
			bet := beta
			if pc > 0 {
				bet = 1
			}
			for ir := 0; ir < m; ir += mr {
				for r := range mr {
					dst := aStrip[r*ldA : r*ldA+kc]
					if ir+r < m {
						copy(dst, a[(ir+r)*lda+pc:])
					} else {
						clear(dst)
					}
				}
				rows := min(mr, m-ir)
				// The next strip's rows of A come from memory (A is
				// larger than the caches): while this strip is multiplied,
				// half a row of it is prefetched before each tile, so that
				// the copy above does not wait on memory. (A whole strip at
				// once stalls on the line-fill buffers.)
				next := min(mr, m-ir-mr)
				for jr := 0; jr < nc; jr += nr {
					if t := jr / nr; t < 2*next && kr.prefetchRows != nil {
						half := (kc + 1) / 2
						if lo := t % 2 * half; lo < kc {
							kr.prefetchRows(&a[(ir+mr+t/2)*lda+pc+lo], lda, 1, min(half, kc-lo))
						}
					}
					bp := &panel[jr*kc]
					cols := min(nr, nc-jr)
					if rows == mr && cols == nr {
						kr.micro(kc, &aStrip[0], ldA, bp, &c[ir*ldc+jc+jr], ldc, alpha, bet)
						continue
					}
					kr.micro(kc, &aStrip[0], ldA, bp, &tile[0], nr, alpha, 0)
					for r := range rows {
						cr := c[(ir+r)*ldc+jc+jr : (ir+r)*ldc+jc+jr+cols]
						tr := tile[r*nr : r*nr+cols]
						if bet == 0 {
							copy(cr, tr)
							continue
						}
						for j := range cr {
							cr[j] = bet*cr[j] + tr[j]
						}
					}
				}
			}
		}
	}
}

// packB copies op(B)[pc:pc+kc, jc:jc+nc] into panel as strips of nr
// columns: strip s holds, for each of the kc steps, nr consecutive floats
// (zeros past column nc).
//
// With gather (transB only, nr a multiple of 16; idx is its scratch) each
// step of 16 columns is one gather of 16 rows of B.
func packB(transB bool, b []float32, ldb, pc, kc, jc, nc, nr int, panel []float32, gather gatherFunc, idx *[16]int32) {
	if nc%nr != 0 {
		last := nc / nr * nr
		clear(panel[last*kc : (last+nr)*kc])
	}
	if !transB {
		// B is [k,n]: each row of B is read once, in order, and dealt out
		// to the strips (the rows of a strided B are cache misses: one
		// pass keeps them to one per line).
		for p := range kc {
			row := b[(pc+p)*ldb+jc : (pc+p)*ldb+jc+nc]
			for s := 0; s < nc; s += nr {
				copy(panel[s*kc+p*nr:s*kc+p*nr+min(nr, nc-s)], row[s:])
			}
		}
		return
	}
	if gather != nil {
		stride16(idx, ldb)
	}
	for s := 0; s < nc; s += nr {
		dst := panel[s*kc : (s+nr)*kc]
		cols := min(nr, nc-s)
		if gather != nil {
			for g := 0; g < cols; g += 16 {
				src := b[(jc+s+g)*ldb+pc:]
				gather(&src[0], &idx[0], lanes(min(16, cols-g)), lanes(16), kc, &dst[g], nr)
			}
			continue
		}
		// B is [n,k]: column j of op(B) is row j of B, contiguous in k.
		// Stores in order, loads from the nr rows (which stay in L1).
		var rows [32][]float32
		for j := range cols {
			rows[j] = b[(jc+s+j)*ldb+pc : (jc+s+j)*ldb+pc+kc]
		}
		for p := range kc {
			d := dst[p*nr : p*nr+cols]
			for j := range d {
				d[j] = rows[j][p]
			}
		}
	}
}

// gemm4x4Go is the portable microkernel (mr 4, nr 4). The 16 sums are
// separate variables so the compiler keeps them in registers.
func gemm4x4Go(kc int, a *float32, lda int, b *float32, c *float32, ldc int, alpha, beta float32) {
	const nr = 4
	as := unsafe.Slice(a, 3*lda+kc)
	bs := unsafe.Slice(b, kc*nr)
	cs := unsafe.Slice(c, 3*ldc+nr)
	a0, a1, a2, a3 := as[:kc], as[lda:lda+kc], as[2*lda:2*lda+kc], as[3*lda:3*lda+kc]
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := range kc {
		bp := bs[p*nr : p*nr+nr : p*nr+nr]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		x := a0[p]
		c00 += x * b0
		c01 += x * b1
		c02 += x * b2
		c03 += x * b3
		x = a1[p]
		c10 += x * b0
		c11 += x * b1
		c12 += x * b2
		c13 += x * b3
		x = a2[p]
		c20 += x * b0
		c21 += x * b1
		c22 += x * b2
		c23 += x * b3
		x = a3[p]
		c30 += x * b0
		c31 += x * b1
		c32 += x * b2
		c33 += x * b3
	}
	acc := [4][4]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}}
	for r := range 4 {
		row := cs[r*ldc : r*ldc+nr]
		for j := range row {
			if beta == 0 {
				row[j] = alpha * acc[r][j]
			} else {
				row[j] = alpha*acc[r][j] + beta*row[j]
			}
		}
	}
}

func genericKernels() *Kernels {
	return &Kernels{
		isa:        Generic,
		micro:      gemm4x4Go,
		mr:         4,
		nr:         4,
		swiglu:     swigluGo,
		add:        addGo,
		scale:      scaleGo,
		expSubSum:  expSubSumGo,
		sumSquares: sumSquaresGo,
		mulScaled:  mulScaledGo,
		rope:       ropeGo,
		gelu:       geluGo,
	}
}
