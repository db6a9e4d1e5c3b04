package numtest

import (
	"math"
	"testing"
)

func TestCheck(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name      string
		got, want []float64
		tol       Tol
		pass      bool
	}{
		{"equal", []float64{1, 2}, []float64{1, 2}, Tol{Abs: 1e-6, MinCos: 0.99999}, true},
		{"within abs", []float64{1, 2}, []float64{1 + 1e-7, 2}, Tol{Abs: 1e-6}, true},
		{"beyond abs", []float64{1, 2}, []float64{1.1, 2}, Tol{Abs: 1e-6}, false},
		{"relative", []float64{1000, 2}, []float64{1000.01, 2}, Tol{Abs: 1e-6, Rel: 1e-4}, true},
		{"cosine", []float64{1, 0}, []float64{0, 1}, Tol{MinCos: 0.5}, false},
		{"normalized", []float64{2, 4}, []float64{1, 2}, Tol{Abs: 1e-9, Normalize: true}, true},
		{"nan got", []float64{nan, 1}, []float64{1, 1}, Tol{Abs: 1e9, MinCos: 0.1}, false},
		{"all nan", []float64{nan, nan}, []float64{1, 1}, Tol{Abs: 1e-4, MinCos: 0.9999, Normalize: true}, false},
		{"nan want", []float64{1, 1}, []float64{nan, 1}, Tol{Abs: 1e9}, false},
		{"inf", []float64{math.Inf(1), 1}, []float64{1, 1}, Tol{Abs: 1e9}, false},
		{"length", []float64{1}, []float64{1, 1}, Tol{Abs: 1e9}, false},
		{"empty", nil, nil, Tol{Abs: 1e9}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.got, tc.want, tc.tol)
			if (err == nil) != tc.pass {
				t.Fatalf("Check = %v, want pass %v", err, tc.pass)
			}
		})
	}
}

func TestCheckFloat32(t *testing.T) {
	if err := Check([]float32{float32(math.NaN())}, []float64{0}, Tol{Abs: 1}); err == nil {
		t.Fatal("float32 NaN passed")
	}
	if err := Check([]float32{1, 2}, []float64{1, 2}, Tol{Abs: 1e-7}); err != nil {
		t.Fatal(err)
	}
}

func TestSameBits(t *testing.T) {
	nan := float32(math.NaN())
	next := math.Nextafter32(1, 2)
	for _, tc := range []struct {
		name      string
		got, want []float32
		pass      bool
	}{
		{"equal", []float32{1, -2}, []float32{1, -2}, true},
		{"one ulp", []float32{1, 2}, []float32{next, 2}, false},
		{"signed zero", []float32{0}, []float32{float32(math.Copysign(0, -1))}, false},
		{"both nan", []float32{nan, 1}, []float32{nan, 1}, false},
		{"all nan", []float32{nan, nan}, []float32{nan, nan}, false},
		{"inf", []float32{float32(math.Inf(1))}, []float32{float32(math.Inf(1))}, false},
		{"length", []float32{1}, []float32{1, 1}, false},
		{"empty", nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := SameBits(tc.got, tc.want); (err == nil) != tc.pass {
				t.Fatalf("SameBits = %v, want pass %v", err, tc.pass)
			}
		})
	}
}
