package layers

import (
	"context"
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// refBlock is a naive float64 decoder block over one unpadded sequence
// [T][hidden], written straight from DESIGN.md §3.
type refWeights struct {
	inNorm, postNorm, qn, kn []float64
	q, k, v, o, g, u, d      [][]float64 // [out][in]
	bq, bk, bv               []float64
}

func refRMS(x, w []float64, eps float64) []float64 {
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	sc := 1 / math.Sqrt(s/float64(len(x))+eps)
	y := make([]float64, len(x))
	for i := range x {
		y[i] = x[i] * sc * w[i]
	}
	return y
}

func refLin(x []float64, w [][]float64, b []float64) []float64 {
	y := make([]float64, len(w))
	for o, row := range w {
		s := 0.0
		for i, v := range row {
			s += v * x[i]
		}
		if b != nil {
			s += b[o]
		}
		y[o] = s
	}
	return y
}

func refRope(x []float64, pos int, theta float64) {
	D := len(x)
	for i := range D / 2 {
		a := float64(pos) * math.Pow(theta, -2*float64(i)/float64(D))
		c, s := math.Cos(a), math.Sin(a)
		x1, x2 := x[i], x[i+D/2]
		x[i] = x1*c - x2*s
		x[i+D/2] = x2*c + x1*s
	}
}

func refBlock(h [][]float64, w refWeights, c BlockConfig) [][]float64 {
	T := len(h)
	D := c.HeadDim
	qs, ks, vs := make([][]float64, T), make([][]float64, T), make([][]float64, T)
	for t := range T {
		x := refRMS(h[t], w.inNorm, c.RMSEps)
		qs[t], ks[t], vs[t] = refLin(x, w.q, w.bq), refLin(x, w.k, w.bk), refLin(x, w.v, w.bv)
		for hh := range c.Heads {
			seg := qs[t][hh*D : (hh+1)*D]
			if w.qn != nil {
				copy(seg, refRMS(seg, w.qn, c.RMSEps))
			}
			refRope(seg, t, c.RopeTheta)
		}
		for hh := range c.KVHeads {
			seg := ks[t][hh*D : (hh+1)*D]
			if w.kn != nil {
				copy(seg, refRMS(seg, w.kn, c.RMSEps))
			}
			refRope(seg, t, c.RopeTheta)
		}
	}
	out := make([][]float64, T)
	for t := range T {
		a := make([]float64, c.Heads*D)
		for hh := range c.Heads {
			kv := hh / (c.Heads / c.KVHeads)
			sc := make([]float64, t+1)
			mx := math.Inf(-1)
			for j := 0; j <= t; j++ {
				s := 0.0
				for i := range D {
					s += qs[t][hh*D+i] * ks[j][kv*D+i]
				}
				sc[j] = s / math.Sqrt(float64(D))
				mx = math.Max(mx, sc[j])
			}
			sum := 0.0
			for j := range sc {
				sc[j] = math.Exp(sc[j] - mx)
				sum += sc[j]
			}
			for j := range sc {
				for i := range D {
					a[hh*D+i] += sc[j] / sum * vs[j][kv*D+i]
				}
			}
		}
		o := refLin(a, w.o, nil)
		h2 := make([]float64, len(h[t]))
		for i := range h2 {
			h2[i] = h[t][i] + o[i]
		}
		x := refRMS(h2, w.postNorm, c.RMSEps)
		g, u := refLin(x, w.g, nil), refLin(x, w.u, nil)
		for i := range g {
			g[i] = g[i] / (1 + math.Exp(-g[i])) * u[i]
		}
		d := refLin(g, w.d, nil)
		for i := range h2 {
			h2[i] += d[i]
		}
		out[t] = h2
	}
	return out
}

type fixture struct {
	cfg   BlockConfig
	inter int
	ref   refWeights
	f32   map[string][]float32
	shape map[string][]int
}

func newFixture(seed int64, bias, qkNorm bool) *fixture {
	r := rand.New(rand.NewSource(seed))
	c := BlockConfig{Hidden: 48, Heads: 4, KVHeads: 2, HeadDim: 16, RMSEps: 1e-6, RopeTheta: 10000}
	f := &fixture{cfg: c, inter: 80, f32: map[string][]float32{}, shape: map[string][]int{}}
	mat := func(name string, out, in int, sd float64) [][]float64 {
		m := make([][]float64, out)
		flat := make([]float32, 0, out*in)
		for o := range m {
			m[o] = make([]float64, in)
			for i := range m[o] {
				v := float64(float32(r.NormFloat64() * sd))
				m[o][i] = v
				flat = append(flat, float32(v))
			}
		}
		f.f32[name], f.shape[name] = flat, []int{out, in}
		return m
	}
	vec := func(name string, n int, mean, sd float64) []float64 {
		v := make([]float64, n)
		flat := make([]float32, n)
		for i := range v {
			flat[i] = float32(mean + r.NormFloat64()*sd)
			v[i] = float64(flat[i])
		}
		f.f32[name], f.shape[name] = flat, []int{n}
		return v
	}
	H, D := c.Hidden, c.HeadDim
	f.ref = refWeights{
		inNorm: vec("in", H, 1, 0.1), postNorm: vec("post", H, 1, 0.1),
		q: mat("q", c.Heads*D, H, 0.2), k: mat("k", c.KVHeads*D, H, 0.2), v: mat("v", c.KVHeads*D, H, 0.2),
		o: mat("o", H, c.Heads*D, 0.2), g: mat("g", f.inter, H, 0.2), u: mat("u", f.inter, H, 0.2), d: mat("d", H, f.inter, 0.2),
	}
	if qkNorm {
		f.ref.qn, f.ref.kn = vec("qn", D, 1, 0.1), vec("kn", D, 1, 0.1)
	}
	if bias {
		f.ref.bq, f.ref.bk, f.ref.bv = vec("bq", c.Heads*D, 0, 0.5), vec("bk", c.KVHeads*D, 0, 0.5), vec("bv", c.KVHeads*D, 0, 0.5)
	}
	return f
}

// run builds a two-block graph (the same weights twice) plus last-token
// pooling and returns the raw residual stream and pooled rows.
func (f *fixture) run(t *testing.T, threads int, batch Batch, rows [][]float32, mode Pooling) (hidden, pooled []float32) {
	t.Helper()
	g := G.NewGraph()
	rt := NewRuntime(threads)
	rt.Batch = batch
	rt.Ctx = context.Background()
	node := func(name string) *G.Node {
		if f.f32[name] == nil {
			return nil
		}
		v := tensor.New(tensor.WithShape(f.shape[name]...), tensor.WithBacking(f.f32[name]))
		return G.NewTensor(g, G.Float32, len(f.shape[name]), G.WithShape(f.shape[name]...), G.WithName(name), G.WithValue(v))
	}
	w := BlockWeights{InputNorm: node("in"), PostNorm: node("post"), Q: node("q"), K: node("k"), V: node("v"), O: node("o"),
		QBias: node("bq"), KBias: node("bk"), VBias: node("bv"), QNorm: node("qn"), KNorm: node("kn"),
		Gate: node("g"), Up: node("u"), Down: node("d")}
	N := batch.Size * batch.Length
	H := f.cfg.Hidden
	in := rt.Buffer("h", N*H)
	for i, r := range rows {
		copy(in[i*H:], r)
	}
	hNode := G.NewMatrix(g, G.Float32, G.WithShape(N, H), G.WithName("h"), G.WithValue(tensor.New(tensor.WithShape(N, H), tensor.WithBacking(in))))
	h := hNode
	var err error
	for range 2 {
		if h, err = DecoderBlock(rt, h, w, f.cfg); err != nil {
			t.Fatal(err)
		}
	}
	p, err := FinalNormPool(rt, h, w.PostNorm, f.cfg.RMSEps, mode, batch.Size, "pool")
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	hidden = append([]float32(nil), in...)
	pooled = append([]float32(nil), p.Value().Data().([]float32)...)
	return hidden, pooled
}

func randRows(r *rand.Rand, n, h int) [][]float64 {
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = make([]float64, h)
		for j := range rows[i] {
			rows[i][j] = float64(float32(r.NormFloat64()))
		}
	}
	return rows
}

func TestDecoderBlockMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		name         string
		bias, qkNorm bool
		threads      int
	}{{"qwen3-like", false, true, 1}, {"qwen2-like", true, false, 2}, {"qwen3-like-2threads", false, true, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(7, tc.bias, tc.qkNorm)
			r := rand.New(rand.NewSource(3))
			lens := []int{5, 9, 1, 70} // 70 > queryBlock: several query blocks
			T := 72
			H := f.cfg.Hidden
			seqs := make([][][]float64, len(lens))
			for i, n := range lens {
				seqs[i] = randRows(r, n, H)
			}
			for _, side := range []string{"left", "right"} {
				b := LeftPadded(lens, T)
				if side == "right" {
					clear(b.Start)
				}
				rows := make([][]float32, len(lens)*T)
				for i := range rows {
					rows[i] = make([]float32, H)
				}
				for s, seq := range seqs {
					for j, v := range seq {
						for k := range v {
							rows[s*T+b.Start[s]+j][k] = float32(v[k])
						}
					}
				}
				hidden, pooled := f.run(t, tc.threads, b, rows, PoolLastToken)
				for _, x := range hidden {
					if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
						t.Fatalf("%s padding: non-finite hidden value (padding rows must stay finite)", side)
					}
				}
				for s, seq := range seqs {
					want := refBlock(refBlock(seq, f.ref, f.cfg), f.ref, f.cfg)
					for j := range want {
						got := hidden[(s*T+b.Start[s]+j)*H:][:H]
						for k := range H {
							if d := math.Abs(float64(got[k]) - want[j][k]); d > 2e-4*(1+math.Abs(want[j][k])) {
								t.Fatalf("%s padding: seq %d token %d dim %d: got %v want %v", side, s, j, k, got[k], want[j][k])
							}
						}
					}
					last := refRMS(want[len(want)-1], f.ref.postNorm, f.cfg.RMSEps)
					for k := range H {
						if d := math.Abs(float64(pooled[s*H+k]) - last[k]); d > 2e-4*(1+math.Abs(last[k])) {
							t.Fatalf("%s padding: pooled seq %d dim %d: got %v want %v", side, s, k, pooled[s*H+k], last[k])
						}
					}
				}
			}
		})
	}
}

func TestExpf(t *testing.T) {
	for x := float32(-104); x < 89; x += 0.01237 {
		got, want := float64(expf(x)), math.Exp(float64(x))
		if want < 1e-37 || want > math.MaxFloat32 {
			continue
		}
		if math.Abs(got-want) > 3e-7*want {
			t.Fatalf("expf(%v) = %v, want %v", x, got, want)
		}
	}
	if expf(-200) != 0 || !math.IsInf(float64(expf(200)), 1) {
		t.Fatal("expf limits")
	}
}

func TestSgemm(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	m, n, k := 5, 7, 3
	a, b := make([]float32, m*k), make([]float32, n*k)
	for i := range a {
		a[i] = float32(r.NormFloat64())
	}
	for i := range b {
		b[i] = float32(r.NormFloat64())
	}
	c := make([]float32, m*n)
	for i := range c {
		c[i] = 1
	}
	sgemm(true, m, n, k, 2, a, k, b, k, 1, c, n)
	for i := range m {
		for j := range n {
			s := 0.0
			for l := range k {
				s += float64(a[i*k+l]) * float64(b[j*k+l])
			}
			if d := math.Abs(float64(c[i*n+j]) - (1 + 2*s)); d > 1e-5 {
				t.Fatalf("c[%d,%d] = %v, want %v", i, j, c[i*n+j], 1+2*s)
			}
		}
	}
}

// TestBackendKernels checks the backend's SwiGLU and causal softmax (C under
// cgo, Go otherwise) against float64.
func TestBackendKernels(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	g := make([]float32, 1003)
	u := make([]float32, len(g))
	want := make([]float64, len(g))
	for i := range g {
		g[i] = float32(r.NormFloat64() * 8)
		if i < 4 {
			g[i] = []float32{-200, 200, -88, 0}[i]
		}
		u[i] = float32(r.NormFloat64())
		x := float64(g[i])
		want[i] = x / (1 + math.Exp(-x)) * float64(u[i])
	}
	swiglu(g, u)
	for i := range g {
		if d := math.Abs(float64(g[i]) - want[i]); d > 1e-6*(1+math.Abs(want[i])) || math.IsNaN(float64(g[i])) {
			t.Fatalf("swiglu[%d] = %v, want %v", i, g[i], want[i])
		}
	}
	m, nk, first := 5, 37, 32
	s := make([]float32, m*nk)
	for i := range s {
		s[i] = float32(r.NormFloat64() * 10)
	}
	ref := make([]float64, len(s))
	for row := range m {
		mx := math.Inf(-1)
		for j := 0; j <= first+row && j < nk; j++ {
			mx = math.Max(mx, float64(s[row*nk+j]))
		}
		sum := 0.0
		for j := 0; j <= first+row && j < nk; j++ {
			sum += math.Exp(float64(s[row*nk+j]) - mx)
		}
		for j := 0; j <= first+row && j < nk; j++ {
			ref[row*nk+j] = math.Exp(float64(s[row*nk+j])-mx) / sum
		}
	}
	causalSoftmax(s, m, nk, first)
	for i := range s {
		if d := math.Abs(float64(s[i]) - ref[i]); d > 1e-6 {
			t.Fatalf("softmax[%d] = %v, want %v", i, s[i], ref[i])
		}
	}
}

// TestSgemmNTShapes checks the backend's x·Wᵀ (small-row kernel included)
// against float64 for row counts around its thresholds, with beta 0 and 1.
func TestSgemmNTShapes(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	// k = 40 takes the AVX2 small-row kernel, k = 64 the AVX-512 one where
	// the CPU has it; m and n cover the tile remainders.
	for _, m := range []int{1, 2, 3, 5, 31, 48, 49, 70} {
		for _, n := range []int{4, 7, 16, 17} {
			for _, beta := range []float32{0, 1} {
				for _, k := range []int{40, 64} {
					ldy := n + 3
					x, w := make([]float32, m*k), make([]float32, n*k)
					y := make([]float32, m*ldy)
					for i := range x {
						x[i] = float32(r.NormFloat64())
					}
					for i := range w {
						w[i] = float32(r.NormFloat64())
					}
					for i := range y {
						y[i] = float32(r.NormFloat64())
					}
					y0 := append([]float32(nil), y...)
					sgemmNT(m, n, k, x, w, beta, y, ldy)
					for i := range m {
						for j := range ldy {
							want := float64(y0[i*ldy+j])
							if j < n {
								s := 0.0
								for l := range k {
									s += float64(x[i*k+l]) * float64(w[j*k+l])
								}
								want = float64(beta)*want + s
							}
							if d := math.Abs(float64(y[i*ldy+j]) - want); d > 1e-4 {
								t.Fatalf("m=%d n=%d k=%d beta=%v: y[%d,%d] = %v, want %v", m, n, k, beta, i, j, y[i*ldy+j], want)
							}
						}
					}
				}
			}
		}
	}
}
