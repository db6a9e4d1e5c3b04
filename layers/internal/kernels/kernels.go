package kernels

import "fmt"

// ISA names an instruction-set level the kernels are written for.
type ISA uint8

const (
	// Generic is portable Go, on every architecture.
	Generic ISA = iota
	// AVX2 is amd64 with AVX2 and FMA (x86-64-v3).
	AVX2
	// AVX512 is amd64 with AVX-512 F (plus AVX2 and FMA).
	AVX512
)

func (i ISA) String() string {
	switch i {
	case Generic:
		return "generic"
	case AVX2:
		return "avx2"
	case AVX512:
		return "avx512"
	}
	return fmt.Sprintf("ISA(%d)", uint8(i))
}

// Supported lists the instruction sets this CPU and build can run, the
// fastest last. Generic is always there.
func Supported() []ISA { return supported() }

// Kernels is one implementation of every kernel; the zero value is not
// usable, get one from For or use Best.
type Kernels struct {
	isa ISA
	// micro computes an mr×nr tile, see gemmDriver.
	micro  microKernel
	mr, nr int
	// few lists the few-row product's microkernels, with micro's
	// arithmetic per element, narrowest first: it picks the narrowest that
	// covers its rows, the last for more rows. Empty: micro.
	few []microVariant
	// gather16 copies 16 strided lanes per step (AVX-512), for the few-row
	// product's transpositions; nil: plain loops. See gather16 in gen.go.
	gather16 gatherFunc
	// prefetchRows asks for rows×n floats (row stride ld) to be cached
	// ahead of use; nil: nothing to do. See prefetchRows in gen.go.
	prefetchRows func(a *float32, ld, rows, n int)
	// dotBF16 is the bfloat16 4×4 tile (k a multiple of 32), nil without
	// AVX512_BF16.
	dotBF16 bf16DotKernel
	// amx multiplies bfloat16 on AMX tiles (k a multiple of 32, every m
	// and n); nil without AMX-BF16 or the OS's permission.
	amx *amxKernels
	// smallRows is the row count up to which SgemmNT multiplies w·xᵀ
	// instead of packing the weights.
	smallRows int
	swiglu    func(g, u []float32)
	add       func(dst, src []float32)
	scale     func(x []float32, s float32)
	expSubSum func(x []float32, mx float32) float32
	// sumSquares returns the sums of x[i]² over each i mod 32 in float64,
	// len(x) a multiple of 32; mulScaled sets dst[i] = (x[i]·s)·w[i]; rope rotates the pairs
	// (x1[i], x2[i]). Every implementation gives the same bits.
	sumSquares func(x []float32) [32]float64
	mulScaled  func(dst, x, w []float32, s float32)
	rope       func(x1, x2, cos, sin []float32)
	gelu       func(x []float32)
}

// gatherFunc sets dst[s·dstStep + l] = src[s + idx[l]] for each of steps
// steps s and the 16 lanes l, zero for the lanes not in gmask (whose
// elements are not read), storing the lanes in smask only.
type gatherFunc func(src *float32, idx *int32, gmask, smask, steps int, dst *float32, dstStep int)

// Best is the fastest implementation this CPU supports.
var Best = mustFor(supported()[len(supported())-1])

// For returns the kernels for isa, or an error if this CPU or build cannot
// run them.
func For(isa ISA) (*Kernels, error) {
	for _, s := range supported() {
		if s == isa {
			return newKernels(isa), nil
		}
	}
	return nil, fmt.Errorf("kernels: %v not supported here (supported: %v)", isa, supported())
}

func mustFor(isa ISA) *Kernels {
	k, err := For(isa)
	if err != nil {
		panic(err)
	}
	return k
}

// ISA is the instruction set these kernels use.
func (k *Kernels) ISA() ISA { return k.isa }

// SetSmallRows sets the row count up to which SgemmNT multiplies w·xᵀ
// rather than packing the weights (benchmarks) and returns the old value.
// Not safe while the kernels are in use.
func (k *Kernels) SetSmallRows(n int) int {
	old := k.smallRows
	k.smallRows = n
	return old
}
