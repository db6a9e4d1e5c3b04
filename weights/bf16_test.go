package weights

import (
	"math"
	"strings"
	"testing"

	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// refBF16 rounds f to bfloat16 by comparing the distances to its two
// neighbours in float64 (ties to the even one): an independent check of the
// bit trick in roundBF16.
func refBF16(f float32) uint16 {
	if math.IsNaN(float64(f)) {
		return 0x7fc0
	}
	if math.IsInf(float64(f), 0) {
		return uint16(math.Float32bits(f) >> 16)
	}
	lo := uint16(math.Float32bits(f) >> 16)
	hi := lo + 1
	hv := float64(BF16ToF32(hi))
	if math.IsInf(hv, 0) {
		// Rounding as if the exponent were unbounded: the next value is 2^128.
		hv = math.Copysign(math.Ldexp(1, 128), hv)
	}
	dl := math.Abs(float64(f) - float64(BF16ToF32(lo)))
	dh := math.Abs(float64(f) - hv)
	switch {
	case dl < dh, dl == dh && lo&1 == 0:
		return lo
	}
	return hi
}

// TestBF16 checks Store.BF16 on every generated variant: BF16 safetensors
// come back as a view of the file (no copy), others rounded to nearest even.
func TestBF16(t *testing.T) {
	for _, variant := range modelgen.Variants() {
		t.Run(variant, func(t *testing.T) {
			spec, err := modelgen.Variant(variant)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Open(modelgen.TestModel(t, variant))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, want := range modelgen.Tensors(spec) {
				info, err := s.Info(want.Name)
				if err != nil {
					t.Fatal(err)
				}
				got, mapped, err := s.BF16(want.Name)
				if err != nil {
					t.Fatal(err)
				}
				if wantMapped := info.DType == BF16 && strings.HasSuffix(info.File, ".safetensors"); mapped != wantMapped {
					t.Errorf("%s (%s in %s): mapped = %v, want %v", want.Name, info.DType, info.File, mapped, wantMapped)
				}
				if len(got) != len(want.Data) {
					t.Fatalf("%s: %d values, want %d", want.Name, len(got), len(want.Data))
				}
				for i, f := range want.Data {
					if r := refBF16(f); got[i] != r {
						t.Fatalf("%s[%d]: %#04x for %v, want %#04x", want.Name, i, got[i], f, r)
					}
				}
			}
		})
	}
}

func TestRoundBF16Edges(t *testing.T) {
	in := []float32{0, 1, -1, 1.00390625, 1.01171875, 1.0039063, math.MaxFloat32, float32(math.Inf(-1)), 1e-40, -0.0}
	got := make([]uint16, len(in))
	roundBF16(got, in)
	for i, f := range in {
		if want := refBF16(f); got[i] != want {
			t.Errorf("roundBF16(%v) = %#04x, want %#04x", f, got[i], want)
		}
	}
	roundBF16(got[:1], []float32{float32(math.NaN())})
	if !math.IsNaN(float64(BF16ToF32(got[0]))) {
		t.Errorf("NaN rounded to %#04x", got[0])
	}
}

func TestBF16Closed(t *testing.T) {
	s, err := Open(modelgen.TestModel(t, modelgen.Variants()[0]))
	if err != nil {
		t.Fatal(err)
	}
	name := s.Names()[0]
	s.Close()
	if _, _, err := s.BF16(name); err != ErrClosed {
		t.Fatalf("BF16 after Close: %v, want ErrClosed", err)
	}
}
