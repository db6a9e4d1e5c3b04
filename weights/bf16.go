package weights

import (
	"fmt"
	"math"
	"unsafe"
)

// BF16 returns the tensor's values as bfloat16 bits. A BF16 tensor stored
// contiguously is returned as a view of the file's mapping (mapped = true:
// no copy; valid until Close); any other F32/F16/BF16 tensor is converted
// into a new slice, rounding to nearest, ties to even.
func (s *Store) BF16(name string) (data []uint16, mapped bool, err error) {
	e, err := s.lookup(name)
	if err != nil {
		return nil, false, err
	}
	if err := e.convertible(); err != nil {
		return nil, false, err
	}
	n := e.info.Elems()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, false, ErrClosed
	}
	src := e.file.body[e.begin:e.end]
	if e.dtype == BF16 && e.strides == nil && littleEndian && len(src) == 2*n &&
		(n == 0 || uintptr(unsafe.Pointer(&src[0]))%2 == 0) {
		if n == 0 {
			return []uint16{}, true, nil
		}
		return unsafe.Slice((*uint16)(unsafe.Pointer(&src[0])), n), true, nil
	}
	// Convert a chunk at a time so no float32 copy of the whole tensor is
	// ever held.
	dst := make([]uint16, n)
	if e.strides != nil {
		f := make([]float32, n)
		convertStrided(f, src, e.dtype, e.elemSize, e.elemOffset, e.shape, e.strides)
		roundBF16(dst, f)
		return dst, false, nil
	}
	if len(src) != n*e.elemSize {
		return nil, false, fmt.Errorf("weights: %s: tensor %q: %d bytes for %d %s values", e.file.path, e.raw, len(src), n, e.dtype)
	}
	const chunk = 1 << 16
	buf := make([]float32, min(chunk, n))
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		convert(buf[:hi-lo], src[lo*e.elemSize:hi*e.elemSize], e.dtype)
		roundBF16(dst[lo:hi], buf[:hi-lo])
	}
	return dst, false, nil
}

// roundBF16 rounds float32 to bfloat16, to nearest with ties to even; a NaN
// stays a (quiet) NaN.
func roundBF16(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, f := range src {
		b := math.Float32bits(f)
		if b&0x7fffffff > 0x7f800000 {
			dst[i] = uint16(b>>16) | 0x40
			continue
		}
		dst[i] = uint16((b + 0x7fff + (b >> 16 & 1)) >> 16)
	}
}

var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()
