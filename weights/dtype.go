package weights

import (
	"encoding/binary"
	"math"
	"sync"
)

// DType is a safetensors element type name, as written in the header.
type DType string

// The dtypes weights converts to float32. Other valid safetensors dtypes
// (I64, U8, ...) are listed by Info but refused by the conversions.
const (
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
)

// BF16ToF32 widens a bfloat16: its bits are the top half of a float32, so the
// conversion is a shift and exact for every value, NaN payloads included.
func BF16ToF32(b uint16) float32 {
	return math.Float32frombits(uint32(b) << 16)
}

// F16ToF32 widens an IEEE 754 half exactly: normals rebias the exponent,
// subnormals become float32 normals, ±0, ±inf and NaN (payload kept) map to
// themselves.
func F16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	case mant == 0: // ±0
		return math.Float32frombits(sign)
	}
	// Subnormal: mant·2⁻²⁴; shift the leading 1 up to the implicit bit.
	e := uint32(127 - 15 + 1)
	for mant&0x400 == 0 {
		mant <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
}

// f16Table maps every half to its float32: one lookup per element beats the
// branches of F16ToF32 in the bulk conversion.
var f16Table = sync.OnceValue(func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = F16ToF32(uint16(i))
	}
	return &t
})

// convert widens src (little-endian elements of dtype) into dst; the caller
// guarantees len(src) == len(dst)·size(dtype).
func convert(dst []float32, src []byte, dtype DType) {
	if fastConvert {
		convertFast(dst, src[:len(dst)*dtypeSize(dtype)], dtype)
		return
	}
	convertPortable(dst, src, dtype)
}

func dtypeSize(dtype DType) int {
	if dtype == F32 {
		return 4
	}
	return 2
}

// convertPortable is convert for any byte order and alignment rule.
func convertPortable(dst []float32, src []byte, dtype DType) {
	switch dtype {
	case F32:
		src = src[:4*len(dst)]
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case BF16:
		src = src[:2*len(dst)]
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
		}
	case F16:
		t := f16Table()
		src = src[:2*len(dst)]
		for i := range dst {
			dst[i] = t[binary.LittleEndian.Uint16(src[2*i:])]
		}
	}
}
