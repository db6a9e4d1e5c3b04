package weights

import (
	"math/rand/v2"
	"testing"
)

// TestConvertFastMatchesPortable checks the in-place fast path against the
// byte-by-byte one, over random bytes (NaNs, infinities, subnormals included)
// and lengths that are not multiples of the 4-value word.
// streamLen is long enough for the streaming-store path, and odd.
const streamLen = 1<<16 + 37

func TestConvertFastMatchesPortable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]byte, 4*(streamLen+8)+3)
	for i := range src {
		src[i] = byte(rng.Uint32())
	}
	for _, dt := range []DType{F32, F16, BF16} {
		for _, n := range []int{0, 1, 3, 4, 5, 7, 64, 79, 1031, streamLen} {
			for _, off := range []int{0, 1, 2} { // unaligned sources too
				want := make([]float32, n)
				got := make([]float32, n+off)[off:] // misaligned destinations too
				convertPortable(want, src[off:], dt)
				convert(got, src[off:], dt)
				if i := firstBitDifference(got, want); i >= 0 {
					t.Fatalf("%s n=%d off=%d: value %d is %#x, want %#x", dt, n, off, i, got[i], want[i])
				}
			}
		}
	}
}
