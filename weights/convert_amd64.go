//go:build amd64 && !purego

package weights

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:noescape
func bf16ToF32AVX2(dst *float32, src *byte, n int)

//go:noescape
func bf16ToF32AVX2Stream(dst *float32, src *byte, n int)

var haveAVX2 = cpu.X86.HasAVX2

// streamMin is the size (elements) from which BF16 conversion bypasses the
// cache: big tensors are not read again soon, small ones (embedding rows)
// are.
const streamMin = 1 << 16

// convertBF16Asm converts the bulk of a BF16 run with AVX2 and returns how
// many leading elements it did; the caller finishes the rest.
func convertBF16Asm(dst []float32, src []byte) int {
	n := len(dst)
	if !haveAVX2 || n < 64 {
		return 0
	}
	i := 0
	stream := n >= streamMin
	if stream {
		// Streaming stores need 32-byte alignment: convert a few first.
		for i < n && uintptr(unsafe.Pointer(&dst[i]))%32 != 0 {
			dst[i] = BF16ToF32(uint16(src[2*i]) | uint16(src[2*i+1])<<8)
			i++
		}
	}
	m := (n - i) &^ 15
	if m == 0 {
		return i
	}
	if stream {
		bf16ToF32AVX2Stream(&dst[i], &src[2*i], m)
	} else {
		bf16ToF32AVX2(&dst[i], &src[2*i], m)
	}
	return i + m
}
