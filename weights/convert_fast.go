//go:build amd64 || arm64 || ppc64le || riscv64 || loong64

package weights

import (
	"math"
	"unsafe"
)

// On these little-endian CPUs with cheap unaligned loads the stored bytes
// already are the host's uint16/uint32 values, so conversion can read them in
// place: F32 is a memmove, BF16 widens four values per 64-bit word, F16 goes
// through a 64K table.
const fastConvert = true

func convertFast(dst []float32, src []byte, dtype DType) {
	n := len(dst)
	if n == 0 {
		return
	}
	switch dtype {
	case F32:
		copy(dst, unsafe.Slice((*float32)(unsafe.Pointer(&src[0])), n))
	case BF16:
		done := convertBF16Asm(dst, src)
		dst, src = dst[done:], src[2*done:]
		n -= done
		if n == 0 {
			return
		}
		words := n / 4
		in := unsafe.Slice((*uint64)(unsafe.Pointer(&src[0])), words)
		out := unsafe.Slice((*uint64)(unsafe.Pointer(&dst[0])), 2*words)
		for i, x := range in {
			out[2*i] = (x&0xffff)<<16 | (x&0xffff0000)<<32
			out[2*i+1] = (x>>32&0xffff)<<16 | (x>>32&0xffff0000)<<32
		}
		s16 := unsafe.Slice((*uint16)(unsafe.Pointer(&src[0])), n)
		for i := 4 * words; i < n; i++ {
			dst[i] = math.Float32frombits(uint32(s16[i]) << 16)
		}
	case F16:
		t := f16Table()
		s16 := unsafe.Slice((*uint16)(unsafe.Pointer(&src[0])), n)
		for i, h := range s16 {
			dst[i] = t[h]
		}
	}
}
