package weights

import (
	"errors"
	"math"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// TestVariantsBitExact loads every generated variant and compares each value,
// bit for bit, with what the generator says it wrote.
func TestVariantsBitExact(t *testing.T) {
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
			var wantNames []string
			for _, want := range modelgen.Tensors(spec) {
				canon := want.Name // names are kept exactly as stored
				wantNames = append(wantNames, canon)
				info, err := s.Info(canon)
				if err != nil {
					t.Fatal(err)
				}
				if info.Name != canon || string(info.DType) != spec.DType || !reflect.DeepEqual(info.Shape, want.Shape) {
					t.Errorf("Info(%q) = %+v, want %s %s %v", canon, info, canon, spec.DType, want.Shape)
				}
				if other := "model." + canon; !strings.HasPrefix(canon, "model.") {
					if _, err := s.Info(other); !errors.Is(err, ErrNotFound) {
						t.Errorf("Info(%q) = %v: a prefix the file does not have must not resolve", other, err)
					}
				}
				got, err := s.Float32(want.Name)
				if err != nil {
					t.Fatal(err)
				}
				if i := firstBitDifference(got, want.Data); i >= 0 {
					t.Fatalf("%s[%d] = %v, want %v", want.Name, i, got[i], want.Data[i])
				}
				if len(want.Shape) == 2 {
					cols := want.Shape[1]
					rows := []int{want.Shape[0] - 1, 0, want.Shape[0] / 2, 0}
					dst := make([]float32, len(rows)*cols)
					if err := s.GatherRows(canon, rows, dst); err != nil {
						t.Fatal(err)
					}
					for i, r := range rows {
						if j := firstBitDifference(dst[i*cols:(i+1)*cols], want.Data[r*cols:(r+1)*cols]); j >= 0 {
							t.Fatalf("GatherRows(%s) row %d col %d = %v", want.Name, r, j, dst[i*cols+j])
						}
					}
				}
			}
			sort.Strings(wantNames)
			if !reflect.DeepEqual(s.Names(), wantNames) {
				t.Errorf("Names() = %v\nwant %v", s.Names(), wantNames)
			}
		})
	}
}

func firstBitDifference(a, b []float32) int {
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

func TestBF16ToF32(t *testing.T) {
	for b := 0; b < 1<<16; b++ {
		got := math.Float32bits(BF16ToF32(uint16(b)))
		if got != uint32(b)<<16 {
			t.Fatalf("BF16ToF32(%#04x) bits %#08x", b, got)
		}
	}
}

// f16Reference decodes a half with float64 arithmetic, independently of F16ToF32.
func f16Reference(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	mant := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * mant * math.Pow(2, -24)
	case 0x1f:
		if mant != 0 {
			return math.NaN()
		}
		return sign * math.Inf(1)
	}
	return sign * (1 + mant/1024) * math.Pow(2, float64(exp-15))
}

func TestF16ToF32(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		got := F16ToF32(uint16(h))
		want := f16Reference(uint16(h))
		switch {
		case math.IsNaN(want):
			bits := math.Float32bits(got)
			if !math.IsNaN(float64(got)) || bits>>31 != uint32(h)>>15 || bits&0x7fffff != uint32(h&0x3ff)<<13 {
				t.Fatalf("F16ToF32(%#04x) = %#08x, want NaN with sign and payload kept", h, bits)
			}
		case float64(got) != want || math.Signbit(float64(got)) != (h&0x8000 != 0):
			t.Fatalf("F16ToF32(%#04x) = %v, want %v", h, got, want)
		}
		if tab := f16Table()[h]; math.Float32bits(tab) != math.Float32bits(got) {
			t.Fatalf("table[%#04x] = %v, F16ToF32 = %v", h, tab, got)
		}
	}
	named := map[uint16]float32{
		0x0001: 0x1p-24, 0x03ff: 0x3ffp-24, 0x0400: 0x1p-14, 0x3c00: 1, 0x7bff: 65504,
		0xc000: -2, 0x7c00: float32(math.Inf(1)), 0xfc00: float32(math.Inf(-1)),
	}
	for h, want := range named {
		if got := F16ToF32(h); got != want {
			t.Errorf("F16ToF32(%#04x) = %v, want %v", h, got, want)
		}
	}
}

func TestConcurrentReaders(t *testing.T) {
	s, err := Open(modelgen.TestModel(t, "qwen3-bf16"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	name := "embed_tokens.weight"
	if _, err := s.Info(name); err != nil {
		name = "model." + name
	}
	want, err := s.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := s.Float32(name)
			if err != nil {
				t.Error(err)
				return
			}
			if i := firstBitDifference(got, want); i >= 0 {
				t.Errorf("concurrent read differs at %d", i)
			}
			row := make([]float32, 64)
			if err := s.GatherRows(name, []int{151643}, row); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}
