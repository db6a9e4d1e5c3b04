package layers

import (
	"math"
	"math/rand"
	"testing"
)

// TestRoPEFreqScale checks the frequency scale (fixed NTK / linear scaling)
// against the rotation written out: angle = pos · s · θ^(-2i/D), with left
// and right padding giving each sequence positions from 0.
func TestRoPEFreqScale(t *testing.T) {
	r := rand.New(rand.NewSource(41))
	const heads, D, theta, scale = 2, 16, 1e6, 0.917
	lens := []int{7, 3}
	for _, left := range []bool{true, false} {
		b := RightPadded(lens, 9)
		if left {
			b = LeftPadded(lens, 9)
		}
		seqs := make([][][]float64, len(lens))
		for s, n := range lens {
			seqs[s] = randRows(r, n, heads*D)
		}
		h := newHarness(t, 2, b)
		x := h.rows("x", paddedRows(b, seqs), heads*D)
		got := h.run(must(t)(RoPE(h.rt, x, RoPESpec{Heads: heads, Dim: D, Theta: theta, FreqScale: scale})))
		want := make([][][]float64, len(lens))
		for s := range seqs {
			for p, row := range seqs[s] {
				row = append([]float64(nil), row...)
				for hh := range heads {
					v := row[hh*D : (hh+1)*D]
					for i := range D / 2 {
						a := float64(p) * scale * math.Pow(theta, -2*float64(i)/D)
						c, sn := math.Cos(a), math.Sin(a)
						x1, x2 := v[i], v[i+D/2]
						v[i], v[i+D/2] = x1*c-x2*sn, x2*c+x1*sn
					}
				}
				want[s] = append(want[s], row)
			}
		}
		checkRows(t, "freq scale", got, paddedRows(b, want), opTol)
	}
	h := newHarness(t, 1, LeftPadded([]int{1}, 1))
	x := h.rows("x", [][]float64{{1, 2}}, 2)
	if _, err := RoPE(h.rt, x, RoPESpec{Heads: 1, Dim: 2, Theta: 10, FreqScale: math.NaN()}); err == nil {
		t.Fatal("a NaN frequency scale was accepted")
	}
}
