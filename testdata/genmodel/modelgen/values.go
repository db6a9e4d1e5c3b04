package modelgen

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
)

// chunkElems is the unit of both determinism and parallelism: chunk c of a
// tensor always holds the same values, whoever computes it.
const chunkElems = 1 << 16

// NamedTensor is one tensor as Write stores it: Name as in the file (with
// "model." when Spec.Prefix, lm_head included), Shape, and Data exactly as a
// correct reader must return it (BF16/F16-rounded when stored so).
type NamedTensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// drawParams says how a tensor's uniform draws map to values: center + amp·x,
// x uniform in [-1, 1), so the standard deviation is amp/sqrt(3).
func drawParams(d tensorDesc) (amp, center float64) {
	switch d.kind {
	case kindEmbed:
		return math.Sqrt(3), 0 // std 1
	case kindLinear:
		return math.Sqrt(3 / float64(d.shape[len(d.shape)-1])), 0 // std 1/sqrt(fan_in)
	case kindNorm:
		return math.Sqrt(0.03), 1 // 1 ± std 0.1
	default: // kindBias
		return math.Sqrt(0.0012), 0 // std 0.02
	}
}

func tensorSeed(s Spec, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return uint64(s.Seed) ^ h.Sum64()
}

// fillChunk writes chunk c of a tensor into dst (len ≤ chunkElems), already
// rounded to the stored dtype. Only exact float64 operations are used and each
// product is converted explicitly, which forbids fused multiply-add (Go spec),
// so the result is the same on every architecture.
func fillChunk(dst []float32, seed uint64, c int, amp, center float64, dtype string) {
	var p rand.PCG
	p.Seed(seed, uint64(c))
	for i := range dst {
		u := float64(p.Uint64()>>11) * 0x1p-53 // [0, 1), exact
		x := float64(2*u) - 1                  // [-1, 1), exact
		v := float32(float64(x*amp) + center)
		switch dtype {
		case "BF16":
			v = math.Float32frombits(uint32(f32ToBF16(v)) << 16)
		case "F16":
			v = f16ToF32(f32ToF16(v))
		}
		dst[i] = v
	}
}

// f32ToBF16 rounds to nearest, ties to even (what torch's .to(bfloat16) does).
func f32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN: keep it a quiet NaN
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// f32ToF16 rounds to nearest, ties to even, with subnormals and overflow to inf.
func f32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign
		}
		full := mant | 0x800000
		shift := uint(14 - e)
		m := full >> shift
		rem := full & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && m&1 == 1) {
			m++
		}
		return sign | uint16(m)
	}
	m := mant >> 13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && m&1 == 1) {
		m++
	}
	return sign | uint16(uint32(e)<<10+m) // a mantissa carry correctly bumps the exponent
}

func f16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	}
	v := float32(mant) * 0x1p-24 // subnormal: exact
	if sign != 0 {
		v = -v
	}
	return v
}

// encode appends the stored bytes of already-rounded values.
func encode(dst []byte, vals []float32, dtype string) []byte {
	switch dtype {
	case "F32":
		for _, v := range vals {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
		}
	case "BF16":
		for _, v := range vals {
			dst = binary.LittleEndian.AppendUint16(dst, uint16(math.Float32bits(v)>>16))
		}
	case "F16":
		for _, v := range vals {
			dst = binary.LittleEndian.AppendUint16(dst, f32ToF16(v))
		}
	}
	return dst
}

// parallel runs f(i) for i in [0, n) on GOMAXPROCS goroutines.
func parallel(n int, f func(worker, i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(w, i)
			}
		}()
	}
	wg.Wait()
}

// tensorValues computes a whole tensor as float32.
func tensorValues(s Spec, d tensorDesc) []float32 {
	n := d.elems()
	out := make([]float32, n)
	seed := tensorSeed(s, d.name)
	amp, center := drawParams(d)
	parallel((n+chunkElems-1)/chunkElems, func(_, c int) {
		lo := c * chunkElems
		fillChunk(out[lo:min(lo+chunkElems, n)], seed, c, amp, center, s.DType)
	})
	return out
}

// Tensors returns every tensor Write writes, in natural order (embedding,
// layers, final norm, lm_head), with the float32 values a correct reader
// returns. For Full06B that is ~2.4 GB; tests use the tiny specs.
func Tensors(s Spec) []NamedTensor {
	descs := s.tensors()
	out := make([]NamedTensor, len(descs))
	for i, d := range descs {
		out[i] = NamedTensor{Name: d.name, Shape: append([]int(nil), d.shape...), Data: tensorValues(s, d)}
	}
	return out
}
