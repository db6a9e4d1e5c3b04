// Package numtest is the one tolerance check every numeric test uses. It is
// NaN-safe: a NaN or infinity in either vector is always a failure (a
// comparison written with math.Max or "d > tol" silently passes on NaN).
package numtest

import (
	"fmt"
	"math"
)

// Float is the element type of the vectors compared.
type Float interface{ ~float32 | ~float64 }

// Tol is a tolerance. Every non-zero bound must hold.
type Tol struct {
	// Abs bounds |got − want| per element, plus Rel·|want|.
	Abs, Rel float64
	// MinCos bounds the cosine similarity from below.
	MinCos float64
	// Normalize L2-normalizes both vectors before the element bounds.
	Normalize bool
}

// Diff describes how two vectors differ: the cosine similarity, the largest
// absolute difference and where it is.
type Diff struct {
	Cos    float64
	MaxAbs float64
	At     int
}

// Compare returns the difference of got and want, or an error when they
// cannot be compared: different lengths, empty, or a non-finite value.
func Compare[A, B Float](got []A, want []B, normalize bool) (Diff, error) {
	if len(got) != len(want) || len(got) == 0 {
		return Diff{}, fmt.Errorf("lengths %d and %d", len(got), len(want))
	}
	g, w := make([]float64, len(got)), make([]float64, len(want))
	for i := range got {
		g[i], w[i] = float64(got[i]), float64(want[i])
		if math.IsNaN(g[i]) || math.IsInf(g[i], 0) {
			return Diff{}, fmt.Errorf("got[%d] is %v", i, g[i])
		}
		if math.IsNaN(w[i]) || math.IsInf(w[i], 0) {
			return Diff{}, fmt.Errorf("want[%d] is %v", i, w[i])
		}
	}
	var dot, ng, nw float64
	for i := range g {
		dot += g[i] * w[i]
		ng += g[i] * g[i]
		nw += w[i] * w[i]
	}
	d := Diff{Cos: 1}
	if ng > 0 && nw > 0 {
		d.Cos = dot / math.Sqrt(ng*nw)
	} else if ng != nw {
		d.Cos = 0
	}
	if normalize {
		for i := range g {
			if ng > 0 {
				g[i] /= math.Sqrt(ng)
			}
			if nw > 0 {
				w[i] /= math.Sqrt(nw)
			}
		}
	}
	for i := range g {
		if a := math.Abs(g[i] - w[i]); a > d.MaxAbs || i == 0 {
			d.MaxAbs, d.At = a, i
		}
	}
	return d, nil
}

// Check returns nil when got is within tol of want, else an error saying
// by how much it is not. NaN never passes.
func Check[A, B Float](got []A, want []B, tol Tol) error {
	d, err := Compare(got, want, tol.Normalize)
	if err != nil {
		return err
	}
	if tol.MinCos > 0 && !(d.Cos >= tol.MinCos) {
		return fmt.Errorf("cosine %.9f < %.9f (max abs diff %.3g at %d)", d.Cos, tol.MinCos, d.MaxAbs, d.At)
	}
	switch {
	case tol.Normalize && tol.Abs > 0:
		if !(d.MaxAbs <= tol.Abs) {
			return fmt.Errorf("normalized: max abs diff %.3g at %d > %g (cosine %.9f)", d.MaxAbs, d.At, tol.Abs, d.Cos)
		}
	case tol.Abs > 0 || tol.Rel > 0:
		for i := range got {
			g, w := float64(got[i]), float64(want[i])
			if !(math.Abs(g-w) <= tol.Abs+tol.Rel*math.Abs(w)) {
				return fmt.Errorf("element %d: %v vs %v (tolerance %g + %g·|want|; cosine %.9f)", i, g, w, tol.Abs, tol.Rel, d.Cos)
			}
		}
	}
	return nil
}

// SameBits returns nil when got and want hold the same float32 bits, element
// by element: the batch-invariance check. Like Check it is NaN-safe: a NaN or
// infinity in either, or empty or different-length vectors, is an error, so
// two all-NaN outputs never count as identical.
func SameBits(got, want []float32) error {
	if len(got) != len(want) || len(got) == 0 {
		return fmt.Errorf("lengths %d and %d", len(got), len(want))
	}
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) || math.IsInf(g, 0) {
			return fmt.Errorf("got[%d] is %v", i, g)
		}
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("want[%d] is %v", i, w)
		}
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			return fmt.Errorf("element %d: %v (%#08x) vs %v (%#08x)", i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
	return nil
}
