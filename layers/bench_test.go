package layers

import (
	"fmt"
	"testing"
)

// BenchmarkSgemmNT measures the backend's x·Wᵀ throughput on the shapes of a
// Qwen3-0.6B layer (M rows of tokens), one thread and split across two.
func BenchmarkSgemmNT(b *testing.B) {
	for _, s := range []struct {
		m, n, k, small int
		avx512         bool
	}{{2048, 3072, 1024, 0, false}, {2048, 1024, 3072, 0, false},
		{32, 3072, 1024, 0, false}, {32, 3072, 1024, 1 << 20, false}, {32, 3072, 1024, 1 << 20, true},
		{64, 3072, 1024, 0, false}, {64, 3072, 1024, 1 << 20, false}, {64, 3072, 1024, 1 << 20, true}} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/small=%v/avx512=%v/threads=%d", s.m, s.n, s.k, s.small > 0, s.avx512, threads), func(b *testing.B) {
				defer setSmallKernel512(setSmallKernel512(s.avx512))
				if s.small > 0 {
					defer setSmallRows(setSmallRows(s.small))
				} else {
					defer setSmallRows(setSmallRows(0))
				}
				x := make([]float32, s.m*s.k)
				w := make([]float32, s.n*s.k)
				y := make([]float32, s.m*s.n)
				for i := range x {
					x[i] = float32(i%7) * 0.1
				}
				for i := range w {
					w[i] = float32(i%5) * 0.1
				}
				for b.Loop() {
					matmulNT(threads, s.m, s.n, s.k, x, w, nil, 0, y)
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

func BenchmarkSwiGLU(b *testing.B) {
	g := make([]float32, 1<<16)
	u := make([]float32, 1<<16)
	for i := range g {
		g[i] = float32(i%200)/20 - 5
		u[i] = 1
	}
	for b.Loop() {
		swiglu(g, u)
	}
	b.ReportMetric(float64(len(g))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
}
