package kernels

import "sync"

// amxKernel is an AMX-BF16 kernel (see amxBF16 in gen.go): na·16 rows of w
// (row stride ldw, in place) times groups of nb·16 rows of x packed by
// packX, over the whole of k (a multiple of 32), each group's na·nb
// 16×16 float32 tiles stored to c one after the other.
type amxKernel func(cfg *byte, k int, w *uint16, ldw int, x *uint16, groups int, c *float32)

// amxVariant is an AMX kernel with its blocking: wTiles tiles of 16 weight
// rows against xTiles tiles of 16 x rows.
type amxVariant struct {
	run            amxKernel
	wTiles, xTiles int
}

// amxKernels are the AMX kernels: wide for most row counts, narrow (one x
// tile) for at most 16 rows, where a second x tile would be only padding.
// Both give every element the same arithmetic: a zeroed tile, TDPBF16PS
// over k in ascending 32-wide steps, the same store.
type amxKernels struct {
	wide, narrow amxVariant
	// store and storeBeta write one output tile transposed into y (see
	// amxStoreTile in gen.go): rows of y, mask the columns.
	store     func(c *float32, y *float32, ldy int, rows int, mask int)
	storeBeta func(c *float32, y *float32, ldy int, rows int, mask int, beta float32)
	// pack rounds 16 rows of x (row stride ldx) to bfloat16 into the
	// order of one x tile over steps 32-wide steps of k, the steps dstStep
	// bytes apart (see amxPackX in gen.go).
	pack func(x *float32, ldx int, steps int, dst *uint16, dstStep int)
}

// amxTileConfig is the LDTILECFG block every AMX kernel loads: palette 1,
// tiles 0–7 all 16 rows × 64 bytes.
var amxTileConfig = func() (c [64]byte) {
	c[0] = 1
	for t := range 8 {
		c[16+2*t] = 64
		c[48+t] = 16
	}
	return c
}()

// amxBlockBytes of packed x rows are multiplied by each block of weight
// rows before the weights move on, so they stay in L2 (128 KiB to 1 MiB
// measured alike within the noise of a shared machine).
const amxBlockBytes = 1 << 20

// amxScratch is the working memory of sgemmNTAMX, pooled.
type amxScratch struct {
	x, wTail []uint16
	c, xTail []float32
}

var amxPool = sync.Pool{New: func() any { return new(amxScratch) }}

// growTo returns s[:n], reallocated when its capacity is short.
func growTo[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// sgemmNTAMX is SgemmNTBF16 on AMX tiles (k a positive multiple of 32). It
// computes the transposed product w·xᵀ so the weights are read in place:
// 16 weight rows × 32 k form a tile as stored, and only x (small next to
// w) is rounded and packed. Rows of x and of w past the last full block
// go through zero padding, so every element of y is computed by the same
// instructions whatever m and n are and wherever its row falls.
func (kr *Kernels) sgemmNTAMX(m, n, k int, x []float32, w []uint16, beta float32, y []float32, ldy int) {
	v := kr.amx.wide
	if m <= 16 {
		v = kr.amx.narrow
	}
	wRows, xRows := 16*v.wTiles, 16*v.xTiles
	mp := (m + xRows - 1) / xRows * xRows
	nFull := n / wRows * wRows
	// A block of packed x rows stays in L2 while the weights stream past.
	block := min(mp, max(xRows, amxBlockBytes/(2*k)/xRows*xRows))
	s := amxPool.Get().(*amxScratch)
	defer amxPool.Put(s)
	s.x = growTo(s.x, mp*k)
	s.xTail = growTo(s.xTail, 16*k)
	s.c = growTo(s.c, block/xRows*v.wTiles*v.xTiles*256)
	kr.amx.packX(s.x, x, m, mp, k, v.xTiles, s.xTail)
	wTail := s.wTail
	if nFull < n {
		s.wTail = growTo(s.wTail, wRows*k)
		wTail = s.wTail
		copy(wTail, w[nFull*k:n*k])
		clear(wTail[(n-nFull)*k:])
	}
	for i0 := 0; i0 < mp; i0 += block {
		groups := (min(mp, i0+block) - i0) / xRows
		for j := 0; j < n; j += wRows {
			var wj *uint16
			if j < nFull {
				wj = &w[j*k]
			} else {
				wj = &wTail[0]
			}
			v.run(&amxTileConfig[0], k, wj, k, &s.x[i0*k], groups, &s.c[0])
			kr.amx.storeTiles(s.c, groups, v, i0, j, m, n, beta, y, ldy)
		}
	}
}

// packX rounds the m rows of x to bfloat16 into xp in the order the AMX
// kernels read them, rows m … mp−1 zero: per group of 16·xTiles rows, per
// 32-wide step q of k, per tile b, 16 tile rows of 32 bf16, tile row p
// holding x[r][32q+2p], x[r][32q+2p+1] for each of the tile's 16 rows r
// (the pairs TDPBF16PS multiplies with a weight row's pairs). A tile with
// rows past m is packed from a zero-padded copy (xTail, 16·k floats).
func (a *amxKernels) packX(xp []uint16, x []float32, m, mp, k, xTiles int, xTail []float32) {
	steps := k / 32
	for i := 0; i < mp; i += 16 {
		g, b := i/(16*xTiles), i/16%xTiles
		dst := &xp[(g*steps*xTiles+b)*512]
		if i+16 <= m {
			a.pack(&x[i*k], k, steps, dst, xTiles*1024)
			continue
		}
		rows := max(0, m-i)
		if rows > 0 {
			copy(xTail, x[i*k:i*k+rows*k])
		}
		clear(xTail[rows*k : 16*k])
		a.pack(&xTail[0], k, steps, dst, xTiles*1024)
	}
}

// storeTiles writes the C tiles of one call (groups × wTiles × xTiles, tile
// element [r][c] = row c of the x tile · row r of the w tile) into y
// transposed, y = beta·y + C where beta ≠ 0, skipping the padding.
func (a *amxKernels) storeTiles(c []float32, groups int, v amxVariant, i0, j, m, n int, beta float32, y []float32, ldy int) {
	for g := range groups {
		for b := range v.xTiles {
			i := i0 + (g*v.xTiles+b)*16
			if i >= m {
				return
			}
			rows := min(16, m-i)
			for t := range v.wTiles {
				j0 := j + 16*t
				if j0 >= n {
					break
				}
				tile := &c[(g*v.wTiles*v.xTiles+t*v.xTiles+b)*256]
				mask := 1<<min(16, n-j0) - 1
				if beta == 0 {
					a.store(tile, &y[i*ldy+j0], ldy, rows, mask)
				} else {
					a.storeBeta(tile, &y[i*ldy+j0], ldy, rows, mask, beta)
				}
			}
		}
	}
}
