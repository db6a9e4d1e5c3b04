package layers

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/internal/reference"
)

// opTol is the float32 op vs float64 reference tolerance.
var opTol = numtest.Tol{Abs: 2e-5, Rel: 2e-5}

// harness builds one graph over a runtime with a batch layout and runs it.
type harness struct {
	t  *testing.T
	g  *G.ExprGraph
	rt *Runtime
}

func newHarness(t *testing.T, threads int, batch Batch) *harness {
	rt := NewRuntime(threads)
	rt.Batch = batch
	rt.Ctx = context.Background()
	return &harness{t: t, g: G.NewGraph(), rt: rt}
}

// node makes a constant node over a float32 copy of v with the given shape.
func (h *harness) node(name string, v []float64, shape ...int) *G.Node {
	if v == nil {
		return nil
	}
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return G.NewTensor(h.g, G.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))))
}

// rows makes a [N, W] node from per-row values, padding rows zero.
func (h *harness) rows(name string, rows [][]float64, width int) *G.Node {
	flat := make([]float64, 0, len(rows)*width)
	for _, r := range rows {
		if r == nil {
			r = make([]float64, width)
		}
		flat = append(flat, r...)
	}
	return h.node(name, flat, len(rows), width)
}

func (h *harness) run(out *G.Node) []float32 {
	h.t.Helper()
	m := G.NewTapeMachine(h.g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		h.t.Fatal(err)
	}
	return append([]float32(nil), out.Value().Data().([]float32)...)
}

func must(t *testing.T) func(*G.Node, error) *G.Node {
	return func(n *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
}

func randVec(r *rand.Rand, n int, mean, sd float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(float32(mean + r.NormFloat64()*sd))
	}
	return v
}

func randRows(r *rand.Rand, n, w int) [][]float64 {
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = randVec(r, w, 0, 1)
	}
	return rows
}

func checkRows(t *testing.T, what string, got []float32, want [][]float64, tol numtest.Tol) {
	t.Helper()
	w := len(got) / len(want)
	for i, row := range want {
		if row == nil {
			continue
		}
		if err := numtest.Check(got[i*w:(i+1)*w], row, tol); err != nil {
			t.Fatalf("%s: row %d: %v", what, i, err)
		}
	}
}

func TestLinear(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	const n, in, out = 7, 24, 40
	x := randRows(r, n, in)
	w := randVec(r, out*in, 0, 0.3)
	b := randVec(r, out, 0, 1)
	res := randRows(r, n, out)
	for _, tc := range []struct {
		name           string
		bias, residual bool
	}{{"plain", false, false}, {"bias", true, false}, {"residual", false, true}, {"bias+residual", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 2, LeftPadded([]int{n}, n))
			var bn, rn *G.Node
			var bias []float64
			if tc.bias {
				bn, bias = h.node("b", b, out), b
			}
			slot := SlotQ
			if tc.residual {
				rn, slot = h.rows("res", res, out), InPlace
			}
			got := h.run(must(t)(Linear(h.rt, h.rows("x", x, in), h.node("w", w, out, in), bn, rn, slot)))
			want := make([][]float64, n)
			for i := range n {
				want[i] = reference.Linear(x[i], w, bias)
				if tc.residual {
					for j := range want[i] {
						want[i][j] += res[i][j]
					}
				}
			}
			checkRows(t, tc.name, got, want, opTol)
		})
	}
}

func TestNorm(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	const n, H = 5, 48
	x := randRows(r, n, H)
	for i := range x[0] {
		x[0][i] = x[0][i]*3 + 7 // a row far from zero mean
	}
	for _, tc := range []struct {
		name    string
		spec    NormSpec
		bias    bool
		inPlace bool
	}{
		{"rms", NormSpec{Kind: KindRMS, Eps: 1e-6}, false, false},
		{"rms 1+w", NormSpec{Kind: KindRMS, Eps: 1e-6, UnitOffset: true}, false, false},
		{"rms per head", NormSpec{Kind: KindRMS, Eps: 1e-6, Group: 16}, false, false},
		{"layer", NormSpec{Kind: KindLayer, Eps: 1e-12}, true, false},
		{"layer no bias", NormSpec{Kind: KindLayer, Eps: 1e-5}, false, false},
		{"layer in place", NormSpec{Kind: KindLayer, Eps: 1e-5}, true, true},
		{"layer per head", NormSpec{Kind: KindLayer, Eps: 1e-5, Group: 12}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.spec.Group
			if g == 0 {
				g = H
			}
			w := randVec(r, g, 1, 0.2)
			var b []float64
			h := newHarness(t, 1, LeftPadded([]int{n}, n))
			var bn *G.Node
			if tc.bias {
				b = randVec(r, g, 0, 0.5)
				bn = h.node("b", b, g)
			}
			slot := SlotX
			if tc.inPlace {
				slot = InPlace
			}
			got := h.run(must(t)(Norm(h.rt, h.rows("x", x, H), h.node("w", w, g), bn, tc.spec, slot)))
			want := make([][]float64, n)
			for i := range n {
				for c := 0; c < H; c += g {
					seg := x[i][c : c+g]
					ww := w
					if tc.spec.UnitOffset {
						ww = make([]float64, g)
						for j := range ww {
							ww[j] = 1 + w[j]
						}
					}
					if tc.spec.Kind == KindRMS {
						want[i] = append(want[i], reference.RMSNorm(seg, ww, tc.spec.Eps)...)
					} else {
						want[i] = append(want[i], reference.LayerNorm(seg, ww, b, tc.spec.Eps)...)
					}
				}
			}
			checkRows(t, tc.name, got, want, opTol)
		})
	}
}

// TestNormAdd checks residual += RMSNorm(x)·(1+w), per row and per head.
func TestNormAdd(t *testing.T) {
	r := rand.New(rand.NewSource(12))
	const n, H = 5, 48
	x := randRows(r, n, H)
	res := randRows(r, n, H)
	for _, group := range []int{0, 16} {
		t.Run(fmt.Sprintf("group %d", group), func(t *testing.T) {
			g := group
			if g == 0 {
				g = H
			}
			w := randVec(r, g, 0, 0.2)
			h := newHarness(t, 2, LeftPadded([]int{n}, n))
			spec := NormSpec{Kind: KindRMS, Eps: 1e-6, UnitOffset: true, Group: group}
			got := h.run(must(t)(NormAdd(h.rt, h.rows("x", x, H), h.node("w", w, g), spec, h.rows("res", res, H))))
			ww := make([]float64, g)
			for j := range ww {
				ww[j] = 1 + w[j]
			}
			want := make([][]float64, n)
			for i := range n {
				for c := 0; c < H; c += g {
					want[i] = append(want[i], reference.RMSNorm(x[i][c:c+g], ww, spec.Eps)...)
				}
				for j := range want[i] {
					want[i][j] += res[i][j]
				}
			}
			checkRows(t, "NormAdd", got, want, opTol)
		})
	}
	h := newHarness(t, 1, LeftPadded([]int{n}, n))
	if _, err := NormAdd(h.rt, h.rows("x", x, H), h.node("w", make([]float64, H), H), NormSpec{Kind: KindRMS}, h.rows("res", res[:2], H)); err == nil {
		t.Error("NormAdd accepted a residual of another shape")
	}
}

func TestActivations(t *testing.T) {
	xs := []float64{-30, -5, -1.5, -0.3, 0, 1e-3, 0.7, 2, 6, 30}
	for name, act := range activationNames {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, 1, LeftPadded([]int{1}, 1))
			got := h.run(must(t)(Activate(h.rt, h.node("x", xs, 1, len(xs)), act)))
			want := make([]float64, len(xs))
			for i, x := range xs {
				want[i] = reference.Activate(name, x)
			}
			if err := numtest.Check(got, want, numtest.Tol{Abs: 1e-6, Rel: 1e-6}); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := ParseActivation("gelu_fast"); err == nil {
		t.Error("an unsupported activation was accepted")
	}
}

func TestMLPs(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	const n, H, I = 6, 32, 56
	x := randRows(r, n, H)
	res := randRows(r, n, H)
	wg, wu, wd := randVec(r, I*H, 0, 0.3), randVec(r, I*H, 0, 0.3), randVec(r, H*I, 0, 0.3)
	b1, b2 := randVec(r, I, 0, 0.5), randVec(r, H, 0, 0.5)
	for _, tc := range []struct {
		name  string
		gated bool
		act   string
	}{{"swiglu", true, "silu"}, {"geglu", true, "gelu"}, {"geglu tanh", true, "gelu_pytorch_tanh"}, {"dense gelu", false, "gelu"}, {"dense relu", false, "relu"}} {
		t.Run(tc.name, func(t *testing.T) {
			act, err := ParseActivation(tc.act)
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, 2, LeftPadded([]int{n}, n))
			xn, rn := h.rows("x", x, H), h.rows("res", res, H)
			var out *G.Node
			if tc.gated {
				out = must(t)(GatedMLP(h.rt, xn, h.node("g", wg, I, H), h.node("u", wu, I, H), h.node("d", wd, H, I), act, rn, InPlace))
			} else {
				out = must(t)(DenseMLP(h.rt, xn, h.node("w1", wg, I, H), h.node("b1", b1, I), h.node("w2", wd, H, I), h.node("b2", b2, H), act, rn, InPlace))
			}
			got := h.run(out)
			want := make([][]float64, n)
			for i := range n {
				var a []float64
				if tc.gated {
					a = reference.Linear(x[i], wg, nil)
					u := reference.Linear(x[i], wu, nil)
					for j := range a {
						a[j] = reference.Activate(tc.act, a[j]) * u[j]
					}
					want[i] = reference.Linear(a, wd, nil)
				} else {
					a = reference.Linear(x[i], wg, b1)
					for j := range a {
						a[j] = reference.Activate(tc.act, a[j])
					}
					want[i] = reference.Linear(a, wd, b2)
				}
				for j := range want[i] {
					want[i][j] += res[i][j]
				}
			}
			checkRows(t, tc.name, got, want, numtest.Tol{Abs: 1e-4, Rel: 1e-4})
		})
	}
}

// paddedRows lays per-sequence rows out by a batch (nil rows = padding).
func paddedRows(b Batch, seqs [][][]float64) [][]float64 {
	out := make([][]float64, b.Size*b.Length)
	for s, rows := range seqs {
		for i, r := range rows {
			out[s*b.Length+b.Start[s]+i] = r
		}
	}
	return out
}

func TestRoPE(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	const heads, D = 3, 16
	lens := []int{5, 2, 9}
	for _, tc := range []struct {
		name   string
		rotary int
		norm   bool
		left   bool
	}{{"full left", 0, false, true}, {"full right", 0, false, false}, {"partial", 8, false, true}, {"q/k norm", 0, true, false}} {
		t.Run(tc.name, func(t *testing.T) {
			b := RightPadded(lens, 12)
			if tc.left {
				b = LeftPadded(lens, 12)
			}
			seqs := make([][][]float64, len(lens))
			for s, n := range lens {
				seqs[s] = randRows(r, n, heads*D)
			}
			h := newHarness(t, 2, b)
			var nw []float64
			var nn *G.Node
			if tc.norm {
				nw = randVec(r, D, 1, 0.2)
				nn = h.node("n", nw, D)
			}
			x := h.rows("x", paddedRows(b, seqs), heads*D)
			got := h.run(must(t)(RoPE(h.rt, x, RoPESpec{Heads: heads, Dim: D, RotaryDim: tc.rotary, Theta: 10000, Norm: nn, NormEps: 1e-6})))
			rot := tc.rotary
			if rot == 0 {
				rot = D
			}
			want := make([][][]float64, len(lens))
			for s := range seqs {
				for p, row := range seqs[s] {
					row = append([]float64(nil), row...)
					for hh := range heads {
						v := row[hh*D : (hh+1)*D]
						if nw != nil {
							copy(v, reference.RMSNorm(v, nw, 1e-6))
						}
						reference.RoPE(v, p, 10000, rot)
					}
					want[s] = append(want[s], row)
				}
			}
			checkRows(t, tc.name, got, paddedRows(b, want), opTol)
		})
	}
}

func TestAttention(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	const D = 8
	lens := []int{70, 3, 1, 33} // 70 > queryBlock: several query blocks
	const T = 72
	bias := func(h, i, j int) float32 { return float32(h+1) * 0.1 * float32(max(i-j, j-i)%5) }
	for _, tc := range []struct {
		name         string
		heads, kv    int
		causal, left bool
		window       int
		scale        float64
		bias         bool
		threads      int
	}{
		{"causal gqa left", 4, 2, true, true, 0, 0, false, 2},
		{"causal right", 2, 2, true, false, 0, 0, false, 1},
		{"bidirectional left", 4, 1, false, true, 0, 0, false, 2},
		{"bidirectional right", 2, 2, false, false, 0, 0.3, false, 2},
		{"causal window", 2, 1, true, true, 5, 0, false, 2},
		{"symmetric window", 2, 2, false, false, 4, 0, false, 1},
		{"score bias", 2, 2, false, true, 0, 0, true, 2},
		{"causal bias window", 4, 2, true, false, 7, 0.5, true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := RightPadded(lens, T)
			if tc.left {
				b = LeftPadded(lens, T)
			}
			qs, ks, vs := make([][][]float64, len(lens)), make([][][]float64, len(lens)), make([][][]float64, len(lens))
			for s, n := range lens {
				qs[s], ks[s], vs[s] = randRows(r, n, tc.heads*D), randRows(r, n, tc.kv*D), randRows(r, n, tc.kv*D)
			}
			h := newHarness(t, tc.threads, b)
			spec := AttentionSpec{Heads: tc.heads, KVHeads: tc.kv, Dim: D, Causal: tc.causal, Window: tc.window, Scale: tc.scale}
			opts := reference.AttentionOpts{Heads: tc.heads, KVHeads: tc.kv, Dim: D, Causal: tc.causal, Window: tc.window, Scale: tc.scale}
			if tc.scale == 0 {
				opts.Scale = 1 / math.Sqrt(D)
			}
			if tc.bias {
				spec.Bias = bias
				opts.Bias = func(h, i, j int) float64 { return float64(bias(h, i, j)) }
			}
			got := h.run(must(t)(Attention(h.rt, h.rows("q", paddedRows(b, qs), tc.heads*D), h.rows("k", paddedRows(b, ks), tc.kv*D),
				h.rows("v", paddedRows(b, vs), tc.kv*D), spec, SlotAttn)))
			want := make([][][]float64, len(lens))
			for s := range lens {
				want[s] = reference.Attention(qs[s], ks[s], vs[s], opts)
			}
			wantRows := paddedRows(b, want)
			for i, row := range wantRows {
				if row == nil {
					wantRows[i] = make([]float64, tc.heads*D) // padding rows are zeros
				}
			}
			checkRows(t, tc.name, got, wantRows, opTol)
		})
	}
}

// table is a RowSource over float64 rows.
type table [][]float64

func (tb table) GatherRows(ids []int, dst []float32) error {
	w := len(tb[0])
	for i, id := range ids {
		if id < 0 || id >= len(tb) {
			return fmt.Errorf("id %d out of range", id)
		}
		for j, v := range tb[id] {
			dst[i*w+j] = float32(v)
		}
	}
	return nil
}

func TestEmbeddings(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	const H = 8
	words, pos, types := randRows(r, 20, H), randRows(r, 12, H), randRows(r, 2, H)
	ids := [][]int{{3, 4, 5}, {19}, {0, 1, 2, 3, 4}}
	tids := [][]int{{0, 1, 1}, {1}, {0, 0, 0, 1, 1}}
	lens := []int{3, 1, 5}
	for _, tc := range []struct {
		name           string
		left, pos, typ bool
		offset         int
		scale          float32
	}{{"words", true, false, false, 0, 0}, {"bert", false, true, true, 0, 0}, {"roberta offset", true, true, true, 2, 0}, {"gemma scale", false, false, false, 0, 2.5}} {
		t.Run(tc.name, func(t *testing.T) {
			b := RightPadded(lens, 6)
			if tc.left {
				b = LeftPadded(lens, 6)
			}
			b.IDs, b.TypeIDs = ids, tids
			h := newHarness(t, 1, b)
			spec := EmbeddingSpec{Words: table(words), PositionOffset: tc.offset, Scale: tc.scale}
			if tc.pos {
				spec.Positions = h.node("pos", flatten(pos), len(pos), H)
			}
			if tc.typ {
				spec.Types = h.node("types", flatten(types), len(types), H)
			}
			in := h.rows("in", randRows(r, b.Size*b.Length, H), H) // stale values must be overwritten
			got := h.run(must(t)(Embeddings(h.rt, in, spec)))
			want := make([][][]float64, len(ids))
			for s, seq := range ids {
				for p, id := range seq {
					row := append([]float64(nil), words[id]...)
					for j := range row {
						if tc.scale != 0 {
							row[j] *= float64(tc.scale)
						}
						if tc.typ {
							row[j] += types[tids[s][p]][j]
						}
						if tc.pos {
							row[j] += pos[p+tc.offset][j]
						}
					}
					want[s] = append(want[s], row)
				}
			}
			wantRows := paddedRows(b, want)
			for i := range wantRows {
				if wantRows[i] == nil {
					wantRows[i] = make([]float64, H)
				}
			}
			checkRows(t, tc.name, got, wantRows, opTol)
		})
	}
	t.Run("position out of range", func(t *testing.T) {
		b := LeftPadded([]int{5}, 5)
		b.IDs = [][]int{{1, 2, 3, 4, 5}}
		h := newHarness(t, 1, b)
		out := must(t)(Embeddings(h.rt, h.rows("in", make([][]float64, 5), H), EmbeddingSpec{Words: table(words), Positions: h.node("pos", flatten(pos[:6]), 6, H), PositionOffset: 2}))
		m := G.NewTapeMachine(h.g)
		defer m.Close()
		if err := m.RunAll(); err == nil {
			t.Fatalf("positions beyond the table accepted: %v", out.Value())
		}
	})
}

func flatten(rows [][]float64) []float64 {
	var out []float64
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

func TestPool(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	const H = 6
	lens := []int{4, 1, 7}
	skip := []int{2, 0, 3}
	seqs := make([][][]float64, len(lens))
	for s, n := range lens {
		seqs[s] = randRows(r, n, H)
	}
	all := []Pooling{PoolCLS, PoolMean, PoolMax, PoolMeanSqrtLen, PoolWeightedMean, PoolLastToken}
	names := map[Pooling]reference.Pooling{PoolCLS: "cls", PoolMean: "mean", PoolMax: "max", PoolMeanSqrtLen: "mean_sqrt_len", PoolWeightedMean: "weightedmean", PoolLastToken: "last"}
	for _, left := range []bool{true, false} {
		for _, withSkip := range []bool{false, true} {
			t.Run(fmt.Sprintf("left=%v skip=%v", left, withSkip), func(t *testing.T) {
				b := RightPadded(lens, 8)
				if left {
					b = LeftPadded(lens, 8)
				}
				if withSkip {
					b.Skip = skip
				}
				h := newHarness(t, 2, b)
				got := h.run(must(t)(Pool(h.rt, h.rows("h", paddedRows(b, seqs), H), all, len(lens), SlotPooled)))
				for s := range lens {
					var want []float64
					for _, m := range all {
						sk := 0
						if withSkip {
							sk = skip[s]
						}
						v, err := reference.PoolRows(seqs[s], names[m], sk)
						if err != nil {
							t.Fatal(err)
						}
						want = append(want, v...)
					}
					if err := numtest.Check(got[s*len(want):(s+1)*len(want)], want, opTol); err != nil {
						t.Fatalf("sequence %d: %v", s, err)
					}
				}
			})
		}
	}
}

func TestSlotNames(t *testing.T) {
	seen := map[string]bool{}
	for s := Slot(1); s < numSlots; s++ {
		n := s.String()
		if n == "" || seen[n] {
			t.Fatalf("slot %d has name %q (empty or repeated)", int(s), n)
		}
		seen[n] = true
	}
}
