package kernels

import (
	"fmt"
	"testing"
)

func fill(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(i%7)*0.1 - 0.3
	}
	return s
}

// gflops runs fn in a b.Loop and reports GFLOP/s by the wall clock and,
// where the OS tells, per second of the thread's CPU time (steadier when
// other processes share the cores).
func gflops(b *testing.B, flops float64, fn func()) {
	c0, ok := threadCPU()
	for b.Loop() {
		fn()
	}
	c1, _ := threadCPU()
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if ok && c1 > c0 {
		b.ReportMetric(flops*float64(b.N)/(c1-c0).Seconds()/1e9, "GFLOP/cpu-s")
	}
}

// BenchmarkMicroL1 runs each GEMM microkernel on data that stays in L1: the
// arithmetic ceiling of one core for that kernel, the "peak" the other
// figures are compared with.
func BenchmarkMicroL1(b *testing.B) {
	for _, isa := range Supported() {
		kr, _ := For(isa)
		b.Run(isa.String(), func(b *testing.B) {
			const kc = 256
			a, p, c := fill(kr.mr*kc), fill(kc*kr.nr), fill(kr.mr*kr.nr)
			gflops(b, 2*float64(kr.mr*kr.nr*kc), func() { kr.micro(kc, &a[0], kc, &p[0], &c[0], kr.nr, 1, 1) })
		})
	}
}

// BenchmarkSgemmNT is x·Wᵀ on one thread at the shapes of a Qwen3-0.6B
// layer: m token rows (4096 = 64 texts × 64 tokens, 32 = one short text)
// against half of a projection's output columns (what one of two threads
// gets).
func BenchmarkSgemmNT(b *testing.B) {
	for _, isa := range Supported() {
		kr, _ := For(isa)
		for _, s := range [][3]int{{4096, 1536, 1024}, {4096, 512, 3072}, {64, 1536, 1024}, {32, 1536, 1024}, {32, 512, 3072}} {
			m, n, k := s[0], s[1], s[2]
			b.Run(fmt.Sprintf("%v/%dx%dx%d", isa, m, n, k), func(b *testing.B) {
				x, w, y := fill(m*k), fill(n*k), fill(m*n)
				gflops(b, 2*float64(m*n*k), func() { kr.SgemmNT(m, n, k, x, w, 0, y, n) })
			})
		}
	}
}

// BenchmarkAttention is one head-block of attention at 64 tokens: S = Q·Kᵀ
// (transposed B) and O = P·V.
func BenchmarkAttention(b *testing.B) {
	for _, isa := range Supported() {
		kr, _ := For(isa)
		b.Run(isa.String(), func(b *testing.B) {
			const t, d, ld = 64, 128, 2048
			q, k, v, s, o := fill(t*ld), fill(t*ld), fill(t*ld), fill(t*t), fill(t*ld)
			gflops(b, 4*float64(t*t*d), func() {
				kr.Sgemm(true, t, t, d, 0.088, q, ld, k, ld, 0, s, t)
				kr.Sgemm(false, t, d, t, 1, s, t, v, ld, 0, o, ld)
			})
		})
	}
}

func BenchmarkSwiGLU(b *testing.B) {
	for _, isa := range Supported() {
		kr, _ := For(isa)
		b.Run(isa.String(), func(b *testing.B) {
			g, u := fill(1<<16), fill(1<<16)
			for b.Loop() {
				kr.SwiGLU(g, u)
			}
			b.ReportMetric(float64(len(g))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
	}
}

func BenchmarkCausalSoftmax(b *testing.B) {
	for _, isa := range Supported() {
		kr, _ := For(isa)
		b.Run(isa.String(), func(b *testing.B) {
			s := fill(64 * 64)
			for b.Loop() {
				kr.CausalSoftmax(s, 64, 64, 0, -1e30)
			}
			b.ReportMetric(float64(len(s))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
	}
}

// BenchmarkSmallRows compares, for growing row counts, the transposed
// product w·xᵀ with packing the weights, on one thread: where SgemmNT's
// threshold belongs.
func BenchmarkSmallRows(b *testing.B) {
	kr, _ := For(Supported()[len(Supported())-1])
	const n, k = 1536, 1024
	for _, m := range []int{1, 8, 16, 32, 64, 128, 256, 512, 4096} {
		for _, transposed := range []bool{true, false} {
			b.Run(fmt.Sprintf("m=%d/transposed=%v", m, transposed), func(b *testing.B) {
				limit := 0
				if transposed {
					limit = 1 << 30
				}
				defer kr.SetSmallRows(kr.SetSmallRows(limit))
				x, w, y := fill(m*k), fill(n*k), fill(m*n)
				gflops(b, 2*float64(m*n*k), func() { kr.SgemmNT(m, n, k, x, w, 0, y, n) })
			})
		}
	}
}

// BenchmarkSgemmNTBF16 is SgemmNT with bfloat16 weights on every path this
// CPU has (AMX tiles, the VDPBF16PS tile, widening; rounding and packing
// of x included) next to float32 SgemmNT, at 32, 256 and 2048 rows of the
// Qwen3-0.6B shapes one of two threads gets.
func BenchmarkSgemmNTBF16(b *testing.B) {
	paths := []*Kernels{Best}
	if Best.HasAMX() {
		paths = append(paths, Best.NoAMX())
	}
	if Best.HasBF16Dot() || Best.HasAMX() {
		paths = append(paths, Best.WidenBF16())
	}
	for _, m := range []int{32, 256, 2048} {
		for _, s := range [][2]int{{1536, 1024}, {512, 3072}} {
			n, k := s[0], s[1]
			b.Run(fmt.Sprintf("f32/%dx%dx%d", m, n, k), func(b *testing.B) {
				x, w, y := fill(m*k), fill(n*k), fill(m*n)
				gflops(b, 2*float64(m*n*k), func() { Best.SgemmNT(m, n, k, x, w, 0, y, n) })
			})
			for _, kr := range paths {
				benchBF16(b, kr, m, n, k)
			}
		}
	}
}

func benchBF16(b *testing.B, kr *Kernels, m, n, k int) {
	b.Run(fmt.Sprintf("%s/%dx%dx%d", bf16PathName(kr), m, n, k), func(b *testing.B) {
		x, y := fill(m*k), fill(m*n)
		w := make([]uint16, n*k)
		ToBF16(w, fill(n*k))
		gflops(b, 2*float64(m*n*k), func() { kr.SgemmNTBF16(m, n, k, x, w, 0, y, n) })
	})
}

// BenchmarkGELU: one 64×64-token all-MiniLM-L6-v2 intermediate activation.
func BenchmarkGELU(b *testing.B) {
	x := make([]float32, 64*64*1536)
	for _, isa := range Supported() {
		kr := mustFor(isa)
		b.Run(isa.String(), func(b *testing.B) {
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				b.StopTimer()
				for i := range x {
					x[i] = float32(i%2000-1000) / 250
				}
				b.StartTimer()
				kr.GELU(x)
			}
		})
	}
}

// BenchmarkFewRowsCold is the few-row x·Wᵀ of one 16-token text at
// all-MiniLM-L6-v2's shapes (half of a layer's output columns, what one of
// two threads gets), with the weights coming from memory: each call takes
// the next of enough weight matrices to fill 48 MB, far more than the
// caches, as a forward pass through the model does. "hot" repeats one
// matrix (it stays in L2); "bf16-cold" is the bfloat16 product (AMX,
// VDPBF16PS or widening, what Best has) on as many weight bytes. Reports
// GFLOP and weight GB per CPU-second.
func BenchmarkFewRowsCold(b *testing.B) {
	const m, total = 16, 48 << 20
	for _, s := range [][2]int{{192, 384}, {768, 384}, {192, 1536}} {
		n, k := s[0], s[1]
		ws := make([][]float32, max(1, total/(4*n*k)))
		for i := range ws {
			ws[i] = fill(n * k)
		}
		x, y := fill(m*k), fill(m*n)
		wb := make([][]uint16, 2*len(ws)) // as many bytes in bfloat16
		for i := range wb {
			wb[i] = make([]uint16, n*k)
			ToBF16(wb[i], ws[i%len(ws)])
		}
		b.Run(fmt.Sprintf("%dx%dx%d/bf16-cold", m, n, k), func(b *testing.B) {
			i := 0
			c0, ok := threadCPU()
			for b.Loop() {
				Best.SgemmNTBF16(m, n, k, x, wb[i], 0, y, n)
				i = (i + 1) % len(wb)
			}
			c1, _ := threadCPU()
			if ok && c1 > c0 {
				sec := (c1 - c0).Seconds()
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/sec/1e9, "GFLOP/cpu-s")
				b.ReportMetric(2*float64(n*k)*float64(b.N)/sec/1e9, "GB/cpu-s")
			}
		})
		for _, cold := range []bool{false, true} {
			name := "hot"
			if cold {
				name = "cold"
			}
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, n, k, name), func(b *testing.B) {
				i := 0
				c0, ok := threadCPU()
				for b.Loop() {
					Best.SgemmNT(m, n, k, x, ws[i], 0, y, n)
					if cold {
						i = (i + 1) % len(ws)
					}
				}
				c1, _ := threadCPU()
				if ok && c1 > c0 {
					sec := (c1 - c0).Seconds()
					b.ReportMetric(2*float64(m*n*k)*float64(b.N)/sec/1e9, "GFLOP/cpu-s")
					b.ReportMetric(4*float64(n*k)*float64(b.N)/sec/1e9, "GB/cpu-s")
				}
			})
		}
	}
}

// BenchmarkPackB packs every kc×nc panel of a 3072×1024 weight ([n,k], 12
// MiB: from memory, as in a forward pass), with the scalar loop and with
// AVX-512 gathers.
func BenchmarkPackB(b *testing.B) {
	const n, k = 3072, 1024
	w := fill(n * k)
	panel := make([]float32, blockK*(blockN+32))
	variants := []struct {
		name   string
		gather gatherFunc
	}{{"scalar", nil}}
	if kr, err := For(AVX512); err == nil {
		variants = append(variants, struct {
			name   string
			gather gatherFunc
		}{"gather", kr.gather16})
	}
	var idx [16]int32
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				for jc := 0; jc < n; jc += blockN {
					for pc := 0; pc < k; pc += blockK {
						packB(true, w, k, pc, blockK, jc, blockN, 32, panel, v.gather, &idx)
					}
				}
			}
			b.ReportMetric(float64(n*k*4*b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

// BenchmarkNormRoPE normalizes one 1024-wide row (Qwen3-0.6B's hidden
// size) and rotates one 128-wide head.
func BenchmarkNormRoPE(b *testing.B) {
	for _, isa := range Supported() {
		kr, _ := For(isa)
		x, w, dst := fill(1024), fill(1024), make([]float32, 1024)
		b.Run("rmsnorm/"+isa.String(), func(b *testing.B) {
			for b.Loop() {
				kr.RMSNorm(dst, x, w, 1e-6)
			}
		})
		b.Run("rope/"+isa.String(), func(b *testing.B) {
			for b.Loop() {
				kr.RoPE(dst[:128], x[:64], w[:64])
			}
		})
	}
}
