package embed

import (
	"fmt"
	"math"
)

// Precision is an output precision of sentence-transformers'
// quantize_embeddings (and encode(precision=...)).
type Precision string

// The precisions Quantize knows; PrecisionFloat32 leaves vectors as they are.
const (
	PrecisionFloat32 Precision = "float32"
	PrecisionInt8    Precision = "int8"
	PrecisionUint8   Precision = "uint8"
	PrecisionBinary  Precision = "binary"
	PrecisionUbinary Precision = "ubinary"
)

// ParsePrecision checks a precision name ("" is float32).
func ParsePrecision(s string) (Precision, error) {
	switch p := Precision(s); p {
	case "":
		return PrecisionFloat32, nil
	case PrecisionFloat32, PrecisionInt8, PrecisionUint8, PrecisionBinary, PrecisionUbinary:
		return p, nil
	}
	return "", fmt.Errorf("precision %q: want float32, int8, uint8, binary or ubinary", s)
}

// Quantize converts finished vectors (normalized and cut to their
// dimensions) to p as sentence-transformers' quantize_embeddings does
// without ranges or calibration embeddings:
//
//   - binary / ubinary: one bit per dimension, 1 where the value is > 0,
//     packed 8 to a byte with the first dimension in the high bit and the
//     last byte padded with zeros (numpy.packbits); ubinary gives the bytes
//     (0..255), binary the bytes minus 128 (-128..127).
//   - uint8 / int8: per dimension, the range [min, max] over the vectors of
//     this call is cut into 255 steps (a step of 0 counts as 1); a value
//     becomes floor((x - min) / step) clipped to 0..255, computed in
//     float32, minus 128 for int8. The vectors quantized together share one
//     scale, so a different set of vectors gives different codes: quantize
//     a corpus in one call (sentence-transformers warns below 100 vectors).
//     One vector alone has no range: that is an error, as in
//     sentence-transformers 6, where older versions returned garbage.
//
// The result holds one []int per vector; float32 returns nil.
func Quantize(vecs [][]float32, p Precision) ([][]int, error) {
	switch p {
	case PrecisionFloat32, "":
		return nil, nil
	case PrecisionBinary, PrecisionUbinary:
		out := make([][]int, len(vecs))
		for i, v := range vecs {
			out[i] = packBits(v, p == PrecisionBinary)
		}
		return out, nil
	case PrecisionInt8, PrecisionUint8:
		return scalarQuantize(vecs, p == PrecisionInt8)
	}
	return nil, fmt.Errorf("precision %q: want float32, int8, uint8, binary or ubinary", p)
}

func packBits(v []float32, signed bool) []int {
	out := make([]int, (len(v)+7)/8)
	for k, x := range v {
		if x > 0 {
			out[k/8] |= 0x80 >> (k % 8)
		}
	}
	if signed {
		for i := range out {
			out[i] -= 128
		}
	}
	return out
}

func scalarQuantize(vecs [][]float32, signed bool) ([][]int, error) {
	if len(vecs) < 2 {
		return nil, fmt.Errorf("quantize: int8/uint8 ranges come from the vectors of one call, and %d vector(s) have no range; quantize at least 2 together", len(vecs))
	}
	dims := len(vecs[0])
	lo := make([]float32, dims)
	hi := make([]float32, dims)
	copy(lo, vecs[0])
	copy(hi, vecs[0])
	for i, v := range vecs {
		if len(v) != dims {
			return nil, fmt.Errorf("quantize: vector %d has %d values, vector 0 has %d", i, len(v), dims)
		}
		for k, x := range v {
			if x != x || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("quantize: vector %d has a non-finite value at dimension %d", i, k)
			}
			lo[k] = min(lo[k], x)
			hi[k] = max(hi[k], x)
		}
	}
	steps := make([]float32, dims)
	for k := range steps {
		if steps[k] = (hi[k] - lo[k]) / 255; steps[k] == 0 {
			steps[k] = 1
		}
	}
	out := make([][]int, len(vecs))
	for i, v := range vecs {
		q := make([]int, dims)
		for k, x := range v {
			f := float32(math.Floor(float64((x - lo[k]) / steps[k])))
			c := int(min(max(f, 0), 255))
			if signed {
				c -= 128
			}
			q[k] = c
		}
		out[i] = q
	}
	return out, nil
}
