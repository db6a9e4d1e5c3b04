//go:build amd64 && !purego

package kernels

import (
	"sync"

	"golang.org/x/sys/cpu"
)

func supported() []ISA {
	s := []ISA{Generic}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		s = append(s, AVX2)
		if cpu.X86.HasAVX512F {
			s = append(s, AVX512)
		}
	}
	return s
}

func newKernels(isa ISA) *Kernels {
	k := genericKernels()
	switch isa {
	case AVX2:
		k.isa = AVX2
		k.micro, k.mr, k.nr = gemm6x16AVX2, 6, 16
		k.few = []microVariant{{gemm12x8AVX2Stream, 12, 8}, {gemm6x16AVX2Stream, 6, 16}}
		k.smallRows = 256
		k.prefetchRows = prefetchRowsAMD64
		k.swiglu, k.expSubSum, k.gelu = swigluVec, expSubSumVec, geluVec
		k.add, k.scale = addVec, scaleVec
		k.sumSquares, k.mulScaled, k.rope = sumSquaresVec, mulScaledVec, ropeVec
	case AVX512:
		k.isa = AVX512
		k.micro, k.mr, k.nr = gemm12x32AVX512, 12, 32
		// ymm and zmm fused multiply-adds round alike, so the 8-wide
		// AVX2 kernel serves the fewest rows here too.
		k.few = []microVariant{{gemm12x8AVX2Stream, 12, 8}, {gemm12x16AVX512Stream, 12, 16}, {gemm12x32AVX512Stream, 12, 32}}
		k.gather16 = gather16AVX512
		k.prefetchRows = prefetchRowsAMD64
		k.smallRows = 256
		k.swiglu, k.expSubSum, k.gelu = swigluVec, expSubSumVec, geluVec
		k.add, k.scale = addVec, scaleVec
		k.sumSquares, k.mulScaled, k.rope = sumSquaresVec, mulScaledVec, ropeVec
		if cpu.X86.HasAVX512BF16 {
			k.dotBF16 = dotBF16x4x4AVX512
		}
		if hasAMXBF16() {
			k.amx = &amxKernels{
				wide:      amxVariant{amxBF16x32x32, 2, 2},
				narrow:    amxVariant{amxBF16x48x16, 3, 1},
				store:     amxStoreTile,
				storeBeta: amxStoreTileBeta,
				pack:      amxPackX,
			}
		}
	}
	return k
}

// The assembly kernels (kernels_amd64.s); see gen.go for what each computes.

//go:noescape
func gemm12x32AVX512(kc int, a *float32, lda int, b *float32, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemm6x16AVX2(kc int, a *float32, lda int, b *float32, c *float32, ldc int, alpha, beta float32)

// The few-row product's kernels: the arithmetic of the ones above (per
// element, whatever the width), prefetching the weight rows.

//go:noescape
func gemm12x32AVX512Stream(kc int, a *float32, lda int, b *float32, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemm6x16AVX2Stream(kc int, a *float32, lda int, b *float32, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemm12x16AVX512Stream(kc int, a *float32, lda int, b *float32, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gemm12x8AVX2Stream(kc int, a *float32, lda int, b *float32, c *float32, ldc int, alpha, beta float32)

//go:noescape
func gather16AVX512(src *float32, idx *int32, gmask, smask, steps int, dst *float32, dstStep int)

//go:noescape
func prefetchRowsAMD64(a *float32, ld, rows, n int)

//go:noescape
func dotBF16x4x4AVX512(k int, x *uint16, ldx int, w *uint16, ldw int, y *float32, ldy int, beta float32)

//go:noescape
func amxBF16x32x32(cfg *byte, k int, w *uint16, ldw int, x *uint16, groups int, c *float32)

//go:noescape
func amxBF16x48x16(cfg *byte, k int, w *uint16, ldw int, x *uint16, groups int, c *float32)

//go:noescape
func amxStoreTile(c *float32, y *float32, ldy int, rows int, mask int)

//go:noescape
func amxStoreTileBeta(c *float32, y *float32, ldy int, rows int, mask int, beta float32)

//go:noescape
func amxPackX(x *float32, ldx int, steps int, dst *uint16, dstStep int)

//go:noescape
func swigluAVX2(gate, up *float32, n int)

//go:noescape
func geluAVX2(x *float32, n int)

//go:noescape
func addAVX2(dst, src *float32, n int)

//go:noescape
func scaleAVX2(x *float32, n int, s float32)

//go:noescape
func expSubSumAVX2(x *float32, n int, mx float32) float32

//go:noescape
func sumSquaresAVX2(x *float32, n int, acc *float64)

//go:noescape
func mulScaledAVX2(dst, x, w *float32, n int, s float32)

//go:noescape
func ropeAVX2(x1, x2, cos, sin *float32, n int)

func sumSquaresVec(x []float32) (acc [32]float64) {
	if n := len(x) &^ 31; n > 0 {
		sumSquaresAVX2(&x[0], n, &acc[0])
	}
	return acc
}

// mulScaledVec runs the 8-lane kernel, the tail in Go (the same two
// roundings per element either way).
func mulScaledVec(dst, x, w []float32, s float32) {
	x, w = x[:len(dst)], w[:len(dst)]
	n8 := len(dst) &^ 7
	if n8 > 0 {
		mulScaledAVX2(&dst[0], &x[0], &w[0], n8, s)
	}
	mulScaledGo(dst[n8:], x[n8:], w[n8:], s)
}

// ropeVec runs the 8-lane kernel, the tail in Go.
func ropeVec(x1, x2, cos, sin []float32) {
	x1, x2, sin = x1[:len(cos)], x2[:len(cos)], sin[:len(cos)]
	n8 := len(cos) &^ 7
	if n8 > 0 {
		ropeAVX2(&x1[0], &x2[0], &cos[0], &sin[0], n8)
	}
	ropeGo(x1[n8:], x2[n8:], cos[n8:], sin[n8:])
}

// swigluVec runs the 8-lane kernel over g, the last partial group through a
// padded copy so every element gets the same arithmetic.
func swigluVec(g, u []float32) {
	u = u[:len(g)]
	n8 := len(g) &^ 7
	if n8 > 0 {
		swigluAVX2(&g[0], &u[0], n8)
	}
	if n8 < len(g) {
		var tg, tu [8]float32
		copy(tg[:], g[n8:])
		copy(tu[:], u[n8:])
		swigluAVX2(&tg[0], &tu[0], 8)
		copy(g[n8:], tg[:])
	}
}

// expSubSumVec sets x[i] = exp(x[i]−mx) and returns their sum; the tail is
// padded with values whose exp is 0.
func expSubSumVec(x []float32, mx float32) float32 {
	n8 := len(x) &^ 7
	var sum float32
	if n8 > 0 {
		sum = expSubSumAVX2(&x[0], n8, mx)
	}
	if n8 < len(x) {
		t := [8]float32{-1e30, -1e30, -1e30, -1e30, -1e30, -1e30, -1e30, -1e30}
		copy(t[:], x[n8:])
		sum += expSubSumAVX2(&t[0], 8, mx)
		copy(x[n8:], t[:])
	}
	return sum
}

// addVec adds src to dst 8 lanes at a time, the tail in Go (the same
// single rounding per element either way).
func addVec(dst, src []float32) {
	src = src[:len(dst)]
	n8 := len(dst) &^ 7
	if n8 > 0 {
		addAVX2(&dst[0], &src[0], n8)
	}
	addGo(dst[n8:], src[n8:])
}

// scaleVec multiplies x by s 8 lanes at a time, the tail in Go.
func scaleVec(x []float32, s float32) {
	n8 := len(x) &^ 7
	if n8 > 0 {
		scaleAVX2(&x[0], n8, s)
	}
	scaleGo(x[n8:], s)
}

// geluVec runs the 8-lane GELU over x, the last partial group through a
// padded copy.
func geluVec(x []float32) {
	n8 := len(x) &^ 7
	if n8 > 0 {
		geluAVX2(&x[0], n8)
	}
	if n8 < len(x) {
		var t [8]float32
		copy(t[:], x[n8:])
		geluAVX2(&t[0], 8)
		copy(x[n8:], t[:])
	}
}

func hasAVX512BF16() bool {
	return cpu.X86.HasAVX512F && cpu.X86.HasAVX512BF16 && cpu.X86.HasAVX2 && cpu.X86.HasFMA
}

// hasAMXBF16 reports whether the AMX-BF16 kernels can run: the CPU has the
// tiles and the bfloat16 product, and the OS granted this process the tile
// state (Linux asks each process to request it once; the request is made
// here, the first time).
func hasAMXBF16() bool {
	amxOnce.Do(func() {
		amxOK = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAMXTile && cpu.X86.HasAMXBF16 && requestAMX()
	})
	return amxOK
}

var (
	amxOnce sync.Once
	amxOK   bool
)
