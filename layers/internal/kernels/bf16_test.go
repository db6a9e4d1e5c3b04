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

// bf16Paths is every kernel set with each of its bfloat16 paths forced in
// turn: AMX tiles and the VDPBF16PS tile (hand-encoded instruction bytes,
// where the CPU has them) and widening.
func bf16Paths(t *testing.T) []*Kernels {
	var krs []*Kernels
	for _, kr := range every(t) {
		krs = append(krs, kr)
		if kr.HasAMX() {
			krs = append(krs, kr.NoAMX())
		}
		if kr.HasBF16Dot() || kr.HasAMX() {
			krs = append(krs, kr.WidenBF16())
		}
	}
	return krs
}

func bf16PathName(kr *Kernels) string {
	switch {
	case kr.HasAMX():
		return fmt.Sprintf("%v/amx", kr.ISA())
	case kr.HasBF16Dot():
		return fmt.Sprintf("%v/vdpbf16ps", kr.ISA())
	}
	return fmt.Sprintf("%v/widen", kr.ISA())
}

// bf16Shapes are m×n×k products for TestSgemmNTBF16: every edge of the
// tiles (rows of x and of w 1, 15, 16, 17, 33, 300 against 16-, 32- and
// 48-row blocks; k not a multiple of 32) and, at 7×150×65536, several
// widened blocks (64 rows of w each) and large k.
func bf16Shapes() [][3]int {
	s := [][3]int{{1, 1, 1}, {4, 4, 32}, {5, 7, 64}, {9, 13, 96}, {3, 4, 33}, {64, 36, 1024}, {7, 150, 65536}, {300, 20, 64}}
	for _, k := range []int{32, 64, 1024, 4096} {
		for _, m := range []int{1, 15, 16, 17, 33, 300} {
			for _, n := range []int{1, 15, 16, 17, 33, 300} {
				if k == 4096 && m*n > 33*33 || k == 1024 && m*n > 33*300 {
					continue // the float64 reference would dominate the test's time
				}
				s = append(s, [3]int{m, n, k})
			}
		}
	}
	return s
}

// TestSgemmNTBF16 checks the bf16 product against a float64 reference on
// the bf16-rounded inputs, for every ISA and bfloat16 path.
func TestSgemmNTBF16(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	paths := bf16Paths(t)
	for _, sh := range bf16Shapes() {
		m, n, k := sh[0], sh[1], sh[2]
		x, wf := guarded(t, m*k), make([]float32, n*k)
		randFill(r, x)
		randFill(r, wf)
		w := make([]uint16, n*k)
		ToBF16(w, wf)
		// The reference, once per shape: Σ and Σ|·| of the products of the
		// bf16-rounded inputs, in float64.
		xr, wr := make([]float64, m*k), make([]float64, n*k)
		for i, v := range x {
			xr[i] = float64(FromBF16(bf16(v)))
		}
		for i, h := range w {
			wr[i] = float64(FromBF16(h))
		}
		dot, abs := make([]float64, m*n), make([]float64, m*n)
		for i := range m {
			for j := range n {
				xi, wj := xr[i*k:(i+1)*k], wr[j*k:(j+1)*k]
				for l := range k {
					p := xi[l] * wj[l]
					dot[i*n+j] += p
					abs[i*n+j] += math.Abs(p)
				}
			}
		}
		x0, w0 := slices.Clone(x), slices.Clone(w)
		ldy := n + 1
		for _, kr := range paths {
			for _, beta := range []float32{0, 1} {
				name := fmt.Sprintf("%s/%dx%dx%d/beta=%v", bf16PathName(kr), m, n, k, beta)
				y := guarded(t, (m-1)*ldy+n)
				randFill(r, y)
				if beta == 0 {
					for i := range y {
						y[i] = float32(math.NaN())
					}
				}
				y0 := slices.Clone(y)
				kr.SgemmNTBF16(m, n, k, x, w, beta, y, ldy)
				if !slices.Equal(x, x0) || !slices.Equal(w, w0) {
					t.Fatalf("%s: inputs modified", name)
				}
				for i := range m {
					for j := range n {
						want := dot[i*n+j]
						if beta != 0 {
							want += float64(y0[i*ldy+j])
						}
						if !near(y[i*ldy+j], want, 1e-6*(1+abs[i*n+j]+math.Abs(want))) {
							t.Fatalf("%s: y[%d,%d] = %v, want %v", name, i, j, y[i*ldy+j], want)
						}
					}
				}
			}
		}
	}
}

// TestBF16DotUsedWhereSupported makes sure the encoding test above really
// runs the VDPBF16PS bytes on a CPU that has the instruction.
func TestBF16DotUsedWhereSupported(t *testing.T) {
	if !hasAVX512BF16() {
		t.Logf("this CPU has no AVX512_BF16: only the widening path is tested")
		return
	}
	kr, err := For(AVX512)
	if err != nil {
		t.Fatal(err)
	}
	if !kr.HasBF16Dot() {
		t.Fatal("CPU has AVX512_BF16 but the AVX512 kernels do not use VDPBF16PS")
	}
	if kr.WidenBF16().HasBF16Dot() {
		t.Fatal("WidenBF16 kept the VDPBF16PS tile")
	}
	if !kr.NoAMX().HasBF16Dot() {
		t.Fatal("NoAMX dropped the VDPBF16PS tile")
	}
}

// TestAMXUsedWhereSupported makes sure the tests above run the AMX bytes on
// a CPU (and OS) that grants them, and that the switches turn them off.
func TestAMXUsedWhereSupported(t *testing.T) {
	if !hasAMXBF16() {
		t.Logf("no AMX-BF16 here (CPU or OS permission): the AMX kernels are not tested")
		return
	}
	kr, err := For(AVX512)
	if err != nil {
		t.Fatal(err)
	}
	if !kr.HasAMX() || !Best.HasAMX() {
		t.Fatal("CPU has AMX-BF16 but the AVX512 kernels do not use it")
	}
	if kr.NoAMX().HasAMX() || kr.WidenBF16().HasAMX() {
		t.Fatal("NoAMX or WidenBF16 kept the AMX kernels")
	}
}

// TestAMXPackX checks the vectorized packing of x for the AMX tiles bit
// for bit against its definition (bf16 of each float, pairs of a row at
// tile row p, rows past m zero), on values that test the rounding: ties
// both ways, NaN, infinities, subnormals and the overflow to infinity.
func TestAMXPackX(t *testing.T) {
	kr, err := For(Supported()[len(Supported())-1])
	if err != nil {
		t.Fatal(err)
	}
	if !kr.HasAMX() {
		t.Logf("no AMX-BF16 here: the AMX packing is not tested")
		return
	}
	r := rand.New(rand.NewSource(4))
	special := []uint32{0x3f808000, 0x3f818000, 0x3f808001, 0x3f807fff, 0xbf808001, 0x7f7fffff, 0x7f800000,
		0xff800000, 0x7fc00001, 0xffa00000, 0x7f800001, 0x00000001, 0x007fffff, 0x80000000}
	for _, xTiles := range []int{1, 2} {
		for _, sh := range [][2]int{{1, 32}, {15, 64}, {16, 96}, {17, 32}, {33, 128}, {64, 64}} {
			m, k := sh[0], sh[1]
			xRows := 16 * xTiles
			mp := (m + xRows - 1) / xRows * xRows
			x := make([]float32, m*k)
			for i := range x {
				if r.Intn(4) == 0 {
					x[i] = math.Float32frombits(special[r.Intn(len(special))])
				} else {
					x[i] = float32(r.NormFloat64())
				}
			}
			got := make([]uint16, mp*k)
			for i := range got {
				got[i] = 0xdead
			}
			kr.amx.packX(got, x, m, mp, k, xTiles, make([]float32, 16*k))
			want := make([]uint16, mp*k)
			steps := k / 32
			for i := range m {
				g, b, row := i/xRows, i/16%xTiles, i%16
				for l := range k {
					q, pair, e := l/32, l%32/2, l%2
					want[((g*steps+q)*xTiles+b)*512+pair*32+2*row+e] = bf16(x[i*k+l])
				}
			}
			if i := slices.Compare(got, want); i != 0 {
				for j := range got {
					if got[j] != want[j] {
						t.Fatalf("xTiles=%d %dx%d: packed[%d] = %#04x, want %#04x", xTiles, m, k, j, got[j], want[j])
					}
				}
			}
		}
	}
}
