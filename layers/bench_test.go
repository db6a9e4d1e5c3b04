package layers

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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

// BenchmarkAttention is one Qwen3-0.6B attention layer (16 query heads, 8
// key/value heads of 128) over 64 texts of 64 tokens, causal and
// bidirectional, on one thread.
func BenchmarkAttention(b *testing.B) {
	const seqs, T, heads, kvHeads, D = 64, 64, 16, 8, 128
	lens := make([]int, seqs)
	for i := range lens {
		lens[i] = T
	}
	for _, causal := range []bool{true, false} {
		b.Run(fmt.Sprintf("causal=%v", causal), func(b *testing.B) {
			rt := NewRuntime(1)
			rt.Batch = RightPadded(lens, T)
			rt.Ctx = context.Background()
			g := G.NewGraph()
			input := func(name string, width int) *G.Node {
				f := make([]float32, seqs*T*width)
				for i := range f {
					f[i] = float32(i%13)*0.05 - 0.3
				}
				return G.NewTensor(g, G.Float32, 2, G.WithShape(seqs*T, width), G.WithName(name),
					G.WithValue(tensor.New(tensor.WithShape(seqs*T, width), tensor.WithBacking(f))))
			}
			spec := AttentionSpec{Heads: heads, KVHeads: kvHeads, Dim: D, Causal: causal}
			if _, err := Attention(rt, input("q", heads*D), input("k", kvHeads*D), input("v", kvHeads*D), spec, SlotAttn); err != nil {
				b.Fatal(err)
			}
			m := G.NewTapeMachine(g)
			defer m.Close()
			flops := 4 * float64(seqs*heads*T*T*D) // Q·Kᵀ and P·V, masked scores included
			c0 := processCPU()
			for b.Loop() {
				if err := m.RunAll(); err != nil {
					b.Fatal(err)
				}
				m.Reset()
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if c := processCPU() - c0; c > 0 {
				b.ReportMetric(flops*float64(b.N)/c.Seconds()/1e9, "GFLOP/cpu-s")
			}
		})
	}
}
