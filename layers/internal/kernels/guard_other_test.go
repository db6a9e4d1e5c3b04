//go:build !linux

package kernels

import "testing"

// guarded returns a plain slice where guard pages are not set up.
func guarded(_ *testing.T, n int) []float32 { return make([]float32, n) }
