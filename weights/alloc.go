package weights

import (
	"strings"
	"unsafe"
)

// noZeroMin is the size (elements) from which makeFloat32NoZero skips
// zeroing; small slices are cheap to clear.
const noZeroMin = 1 << 14

// makeFloat32NoZero returns n float32s of garbage-collected memory WITHOUT
// clearing it first: the caller overwrites every element. Loading a
// checkpoint writes each output float once, so the runtime's clearing of the
// 2.4 GB it allocates for the 0.6B model would be a third pass over memory.
// strings.Builder.Grow is the one public way to get uninitialised heap
// memory (the runtime's internal MakeNoZero); the buffer is one noscan heap
// object, kept alive by the returned slice exactly like a make([]float32).
func makeFloat32NoZero(n int) []float32 {
	if n < noZeroMin {
		return make([]float32, n)
	}
	var b strings.Builder
	b.Grow(4 * n) // capacity ≥ 4n bytes, uninitialised
	b.WriteByte(0)
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.StringData(b.String()))), n)
}
