package layers

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time of the whole process (all threads), for a
// rate per CPU-second that other load on a shared machine disturbs less.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSgemmNT measures the backend's x·Wᵀ throughput on the shapes of a
// Qwen3-0.6B layer (M rows of tokens: 64 texts × 64 tokens, one 64-token and
// one 32-token text), one thread and split across two.
func BenchmarkSgemmNT(b *testing.B) {
	for _, s := range [][3]int{{4096, 3072, 1024}, {4096, 1024, 3072}, {64, 3072, 1024}, {32, 3072, 1024}} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/threads=%d", s[0], s[1], s[2], threads), func(b *testing.B) {
				m, n, k := s[0], s[1], s[2]
				x := make([]float32, m*k)
				w := make([]float32, n*k)
				y := make([]float32, m*n)
				for i := range x {
					x[i] = float32(i%7) * 0.1
				}
				for i := range w {
					w[i] = float32(i%5) * 0.1
				}
				c0 := processCPU()
				for b.Loop() {
					matmulNT(threads, m, n, k, x, w, nil, 0, y)
				}
				flops := 2 * float64(m*n*k) * float64(b.N)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				if c := processCPU() - c0; c > 0 {
					b.ReportMetric(flops/c.Seconds()/1e9, "GFLOP/cpu-s")
				}
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
