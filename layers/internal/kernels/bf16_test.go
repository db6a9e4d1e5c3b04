package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"
)

func TestToBF16Rounding(t *testing.T) {
	for _, c := range []struct {
		in   uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // tie, even stays
		{0x3f818000, 0x3f82}, // tie, odd rounds up
		{0x3f808001, 0x3f81}, // above the tie
		{0x3f807fff, 0x3f80}, // below the tie
		{0xbf808001, 0xbf81}, // negative
		{0x7f7fffff, 0x7f80}, // max float rounds to +Inf
		{0x7f800000, 0x7f80}, // +Inf
		{0x00000001, 0x0000}, // subnormal rounds to 0
	} {
		if got := bf16(math.Float32frombits(c.in)); got != c.want {
			t.Errorf("bf16(%#08x) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
	if got := FromBF16(bf16(float32(math.NaN()))); !math.IsNaN(float64(got)) {
		t.Errorf("NaN became %v", got)
	}
}

// TestSgemmNTBF16 checks the bf16 product (the VDPBF16PS tile where the CPU
// has it, forced by For, and the portable path) against a float64
// reference on the bf16-rounded inputs.
func TestSgemmNTBF16(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for _, kr := range every(t) {
		for _, sh := range [][3]int{{1, 1, 1}, {4, 4, 32}, {5, 7, 64}, {9, 13, 96}, {3, 4, 33}, {64, 36, 1024}} {
			m, n, k := sh[0], sh[1], sh[2]
			for _, beta := range []float32{0, 1} {
				name := fmt.Sprintf("%v/dotBF16=%v/%dx%dx%d/beta=%v", kr.ISA(), kr.dotBF16 != nil, m, n, k, beta)
				ldy := n + 1
				x, wf := guarded(t, m*k), make([]float32, n*k)
				randFill(r, x)
				randFill(r, wf)
				w := make([]uint16, n*k)
				ToBF16(w, wf)
				y := guarded(t, (m-1)*ldy+n)
				randFill(r, y)
				if beta == 0 {
					for i := range y {
						y[i] = float32(math.NaN())
					}
				}
				x0, w0, y0 := slices.Clone(x), slices.Clone(w), slices.Clone(y)
				kr.SgemmNTBF16(m, n, k, x, w, beta, y, ldy)
				if !slices.Equal(x, x0) || !slices.Equal(w, w0) {
					t.Fatalf("%s: inputs modified", name)
				}
				for i := range m {
					for j := range n {
						s, abs := 0.0, 0.0
						for l := range k {
							p := float64(FromBF16(bf16(x[i*k+l]))) * float64(FromBF16(w[j*k+l]))
							s += p
							abs += math.Abs(p)
						}
						if beta != 0 {
							s += float64(y0[i*ldy+j])
						}
						if !near(y[i*ldy+j], s, 1e-6*(1+abs+math.Abs(s))) {
							t.Fatalf("%s: y[%d,%d] = %v, want %v", name, i, j, y[i*ldy+j], s)
						}
					}
				}
			}
		}
	}
}
