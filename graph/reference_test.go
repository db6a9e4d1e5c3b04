package graph

import (
	"fmt"
	"math"
	"testing"

	"github.com/gembed-dev/gembed/weights"
)

// refModel is a deliberately naive float64 forward pass written from
// DESIGN.md §3, for development checks next to the llama.cpp goldens.
type refModel struct {
	cfg Config
	t   map[string][]float64
	st  *weights.Store
}

func loadRef(t *testing.T, dir string) *refModel {
	t.Helper()
	cfg, err := ReadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := weights.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &refModel{cfg: cfg, t: map[string][]float64{}, st: st}
	for _, n := range st.Names() {
		if n == "embed_tokens.weight" {
			continue
		}
		f, err := st.Float32(n)
		if err != nil {
			t.Fatal(err)
		}
		d := make([]float64, len(f))
		for i, v := range f {
			d[i] = float64(v)
		}
		r.t[n] = d
	}
	return r
}

func (r *refModel) w(format string, a ...any) []float64 { return r.t[fmt.Sprintf(format, a...)] }

func rms(x, w []float64, eps float64) []float64 {
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

func lin(x, w, b []float64, out int) []float64 {
	in := len(x)
	y := make([]float64, out)
	for o := range out {
		s := 0.0
		for i := range in {
			s += w[o*in+i] * x[i]
		}
		if b != nil {
			s += b[o]
		}
		y[o] = s
	}
	return y
}

func rope(x []float64, pos int, theta float64) {
	D := len(x)
	for i := range D / 2 {
		a := float64(pos) * math.Pow(theta, -2*float64(i)/float64(D))
		c, s := math.Cos(a), math.Sin(a)
		x1, x2 := x[i], x[i+D/2]
		x[i] = x1*c - x2*s
		x[i+D/2] = x2*c + x1*s
	}
}

// forward returns the pooled (final-normed, not L2-normalized) vector.
func (r *refModel) forward(t *testing.T, ids []int, pool Pooling) []float64 {
	c := r.cfg
	H, D, T := c.Hidden, c.HeadDim, len(ids)
	emb := make([]float32, T*H)
	if err := r.st.GatherRows("embed_tokens.weight", ids, emb); err != nil {
		t.Fatal(err)
	}
	h := make([][]float64, T)
	for i := range h {
		h[i] = make([]float64, H)
		for j := range H {
			h[i][j] = float64(emb[i*H+j])
		}
	}
	for l := range c.Layers {
		q, k, v := make([][]float64, T), make([][]float64, T), make([][]float64, T)
		for i := range T {
			x := rms(h[i], r.w("layers.%d.input_layernorm.weight", l), c.RMSEps)
			q[i] = lin(x, r.w("layers.%d.self_attn.q_proj.weight", l), r.w("layers.%d.self_attn.q_proj.bias", l), c.Heads*D)
			k[i] = lin(x, r.w("layers.%d.self_attn.k_proj.weight", l), r.w("layers.%d.self_attn.k_proj.bias", l), c.KVHeads*D)
			v[i] = lin(x, r.w("layers.%d.self_attn.v_proj.weight", l), r.w("layers.%d.self_attn.v_proj.bias", l), c.KVHeads*D)
			for hh := range c.Heads {
				s := q[i][hh*D : (hh+1)*D]
				if qn := r.w("layers.%d.self_attn.q_norm.weight", l); qn != nil {
					copy(s, rms(s, qn, c.RMSEps))
				}
				rope(s, i, c.RopeTheta)
			}
			for hh := range c.KVHeads {
				s := k[i][hh*D : (hh+1)*D]
				if kn := r.w("layers.%d.self_attn.k_norm.weight", l); kn != nil {
					copy(s, rms(s, kn, c.RMSEps))
				}
				rope(s, i, c.RopeTheta)
			}
		}
		for i := range T {
			a := make([]float64, c.Heads*D)
			for hh := range c.Heads {
				kv := hh / (c.Heads / c.KVHeads)
				sc := make([]float64, i+1)
				mx := math.Inf(-1)
				for j := 0; j <= i; j++ {
					s := 0.0
					for d := range D {
						s += q[i][hh*D+d] * k[j][kv*D+d]
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
					for d := range D {
						a[hh*D+d] += sc[j] / sum * v[j][kv*D+d]
					}
				}
			}
			o := lin(a, r.w("layers.%d.self_attn.o_proj.weight", l), nil, H)
			for j := range H {
				h[i][j] += o[j]
			}
			x := rms(h[i], r.w("layers.%d.post_attention_layernorm.weight", l), c.RMSEps)
			g := lin(x, r.w("layers.%d.mlp.gate_proj.weight", l), nil, c.Intermediate)
			u := lin(x, r.w("layers.%d.mlp.up_proj.weight", l), nil, c.Intermediate)
			for j := range g {
				g[j] = g[j] / (1 + math.Exp(-g[j])) * u[j]
			}
			d := lin(g, r.w("layers.%d.mlp.down_proj.weight", l), nil, H)
			for j := range H {
				h[i][j] += d[j]
			}
		}
	}
	fn := r.w("norm.weight")
	switch pool {
	case PoolMean:
		acc := make([]float64, H)
		for i := range T {
			for j, x := range rms(h[i], fn, c.RMSEps) {
				acc[j] += x / float64(T)
			}
		}
		return acc
	case PoolCLS:
		return rms(h[0], fn, c.RMSEps)
	}
	return rms(h[T-1], fn, c.RMSEps)
}
