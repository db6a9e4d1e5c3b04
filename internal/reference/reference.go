// Package reference is a deliberately naive float64 forward pass of the
// supported architectures, written from the design notes' math, for tests
// next to the goldens from outside implementations. It reads config.json and
// the safetensors files with its own minimal code, not with the packages it
// checks, and favours obviousness over speed.
package reference

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Model is a checkpoint in float64 with its config.json as a generic map.
type Model struct {
	Config  map[string]any
	Tensors map[string][]float64
	Shapes  map[string][]int
}

// Load reads dir/config.json and the safetensors weights (single file or
// sharded index) into float64.
func Load(dir string) (*Model, error) {
	m := &Model{Tensors: map[string][]float64{}, Shapes: map[string][]int{}}
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &m.Config); err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	files := []string{"model.safetensors"}
	if idx, err := os.ReadFile(filepath.Join(dir, "model.safetensors.index.json")); err == nil {
		if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err != nil {
			var ix struct {
				WeightMap map[string]string `json:"weight_map"`
			}
			if err := json.Unmarshal(idx, &ix); err != nil {
				return nil, err
			}
			set := map[string]bool{}
			for _, f := range ix.WeightMap {
				set[f] = true
			}
			files = files[:0]
			for f := range set {
				files = append(files, f)
			}
			sort.Strings(files)
		}
	}
	for _, f := range files {
		if err := m.readSafetensors(filepath.Join(dir, f)); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Model) readSafetensors(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	n := binary.LittleEndian.Uint64(data)
	var header map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &header); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	body := data[8+n:]
	for name, raw := range header {
		if name == "__metadata__" {
			continue
		}
		var t struct {
			DType   string `json:"dtype"`
			Shape   []int  `json:"shape"`
			Offsets [2]int `json:"data_offsets"`
		}
		if err := json.Unmarshal(raw, &t); err != nil {
			return fmt.Errorf("%s: %s: %w", path, name, err)
		}
		b := body[t.Offsets[0]:t.Offsets[1]]
		var v []float64
		switch t.DType {
		case "F32":
			for i := 0; i < len(b); i += 4 {
				v = append(v, float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))))
			}
		case "BF16":
			for i := 0; i < len(b); i += 2 {
				v = append(v, float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[i:]))<<16)))
			}
		default:
			return fmt.Errorf("%s: %s: dtype %s", path, name, t.DType)
		}
		m.Tensors[name], m.Shapes[name] = v, t.Shape
	}
	return nil
}

// Int returns an integer config field, or def when absent.
func (m *Model) Int(key string, def int) int {
	if v, ok := m.Config[key].(float64); ok {
		return int(v)
	}
	return def
}

// Float returns a float config field, or def when absent.
func (m *Model) Float(key string, def float64) float64 {
	if v, ok := m.Config[key].(float64); ok {
		return v
	}
	return def
}

// String returns a string config field, or def when absent.
func (m *Model) String(key, def string) string {
	if v, ok := m.Config[key].(string); ok {
		return v
	}
	return def
}

// W returns the tensor named by the format, trying the given prefixes; nil
// when absent.
func (m *Model) W(prefixes []string, format string, a ...any) []float64 {
	name := fmt.Sprintf(format, a...)
	for _, p := range append([]string{""}, prefixes...) {
		if v, ok := m.Tensors[p+name]; ok {
			return v
		}
	}
	return nil
}

// Pooling names a pooling mode: "cls", "mean", "max", "mean_sqrt_len",
// "weightedmean", "last".
type Pooling string

// Forward runs one sequence (and its token type ids, nil = zeros) and returns
// the pooled, not normalized, vector; skip leading tokens are left out of the
// averaging pools (include_prompt: false).
func (m *Model) Forward(ids, types []int, pool Pooling, skip int) ([]float64, error) {
	var h [][]float64
	var err error
	switch mt := m.String("model_type", ""); mt {
	case "qwen3", "qwen2":
		h, err = m.qwen(ids, mt == "qwen3")
	case "bert", "roberta", "xlm-roberta", "camembert":
		h, err = m.bert(ids, types)
	default:
		return nil, fmt.Errorf("reference: model_type %q", mt)
	}
	if err != nil {
		return nil, err
	}
	return PoolRows(h, pool, skip)
}

// PoolRows pools hidden states as sentence-transformers does with right
// padding.
func PoolRows(h [][]float64, pool Pooling, skip int) ([]float64, error) {
	T, H := len(h), len(h[0])
	out := make([]float64, H)
	switch pool {
	case "cls":
		copy(out, h[0])
	case "last":
		copy(out, h[T-1])
	case "max":
		for j := range out {
			out[j] = math.Inf(-1)
			for t := skip; t < T; t++ {
				out[j] = math.Max(out[j], h[t][j])
			}
		}
	case "mean", "mean_sqrt_len", "weightedmean":
		ws := 0.0
		for t := skip; t < T; t++ {
			w := 1.0
			if pool == "weightedmean" {
				w = float64(t + 1)
			}
			ws += w
			for j := range out {
				out[j] += w * h[t][j]
			}
		}
		if pool == "mean_sqrt_len" {
			ws = math.Sqrt(ws)
		}
		for j := range out {
			out[j] /= ws
		}
	default:
		return nil, fmt.Errorf("reference: pooling %q", pool)
	}
	return out, nil
}

// RMSNorm is x / sqrt(mean(x²) + eps) · w.
func RMSNorm(x, w []float64, eps float64) []float64 {
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

// LayerNorm is (x − mean) / sqrt(var + eps) · w + b (b may be nil).
func LayerNorm(x, w, b []float64, eps float64) []float64 {
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	vr := 0.0
	for _, v := range x {
		vr += (v - mean) * (v - mean)
	}
	sc := 1 / math.Sqrt(vr/float64(len(x))+eps)
	y := make([]float64, len(x))
	for i := range x {
		y[i] = (x[i] - mean) * sc * w[i]
		if b != nil {
			y[i] += b[i]
		}
	}
	return y
}

// Linear is x·Wᵀ + b for W [out, in] flattened (b may be nil).
func Linear(x, w, b []float64) []float64 {
	in := len(x)
	out := len(w) / in
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

// RoPE rotates x (one head) in place, rotate-half form, over its first dims.
func RoPE(x []float64, pos int, theta float64, dims int) {
	for i := range dims / 2 {
		a := float64(pos) * math.Pow(theta, -2*float64(i)/float64(dims))
		c, s := math.Cos(a), math.Sin(a)
		x1, x2 := x[i], x[i+dims/2]
		x[i] = x1*c - x2*s
		x[i+dims/2] = x2*c + x1*s
	}
}

// Activate applies a Hugging Face activation by name.
func Activate(name string, x float64) float64 {
	switch strings.ToLower(name) {
	case "silu", "swish":
		return x / (1 + math.Exp(-x))
	case "gelu":
		return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
	case "gelu_new", "gelu_pytorch_tanh":
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	case "relu":
		return math.Max(x, 0)
	case "tanh":
		return math.Tanh(x)
	case "identity", "linear", "":
		return x
	}
	panic("reference: activation " + name)
}

// AttentionOpts are the options of Attention.
type AttentionOpts struct {
	Heads, KVHeads, Dim int
	Causal              bool
	Window              int // > 0: keys with |i−j| > Window are masked
	Scale               float64
	Bias                func(head, i, j int) float64 // nil = none
}

// Attention is softmax(scale·q·kᵀ + bias, masked)·v per head over one
// sequence; q [T][heads·D], k and v [T][kvHeads·D].
func Attention(q, k, v [][]float64, o AttentionOpts) [][]float64 {
	T, D := len(q), o.Dim
	out := make([][]float64, T)
	for i := range T {
		out[i] = make([]float64, o.Heads*D)
		for hh := range o.Heads {
			kv := hh / (o.Heads / o.KVHeads)
			var idx []int
			var sc []float64
			mx := math.Inf(-1)
			for j := range T {
				if (o.Causal && j > i) || (o.Window > 0 && (j-i > o.Window || i-j > o.Window)) {
					continue
				}
				s := 0.0
				for d := range D {
					s += q[i][hh*D+d] * k[j][kv*D+d]
				}
				s *= o.Scale
				if o.Bias != nil {
					s += o.Bias(hh, i, j)
				}
				idx, sc = append(idx, j), append(sc, s)
				mx = math.Max(mx, s)
			}
			sum := 0.0
			for n := range sc {
				sc[n] = math.Exp(sc[n] - mx)
				sum += sc[n]
			}
			for n, j := range idx {
				for d := range D {
					out[i][hh*D+d] += sc[n] / sum * v[j][kv*D+d]
				}
			}
		}
	}
	return out
}

func (m *Model) qwen(ids []int, qwen3 bool) ([][]float64, error) {
	pre := []string{"model."}
	H := m.Int("hidden_size", 0)
	heads := m.Int("num_attention_heads", 0)
	kvHeads := m.Int("num_key_value_heads", heads)
	D := H / heads
	if qwen3 {
		D = m.Int("head_dim", 128)
	}
	eps := m.Float("rms_norm_eps", 1e-6)
	theta := m.Float("rope_theta", 10000)
	emb := m.W(pre, "embed_tokens.weight")
	if emb == nil {
		return nil, fmt.Errorf("reference: no embed_tokens.weight")
	}
	T := len(ids)
	h := make([][]float64, T)
	for i, id := range ids {
		h[i] = append([]float64(nil), emb[id*H:(id+1)*H]...)
	}
	for l := range m.Int("num_hidden_layers", 0) {
		w := func(f string) []float64 { return m.W(pre, "layers.%d."+f, l) }
		q, k, v := make([][]float64, T), make([][]float64, T), make([][]float64, T)
		for i := range T {
			x := RMSNorm(h[i], w("input_layernorm.weight"), eps)
			q[i] = Linear(x, w("self_attn.q_proj.weight"), w("self_attn.q_proj.bias"))
			k[i] = Linear(x, w("self_attn.k_proj.weight"), w("self_attn.k_proj.bias"))
			v[i] = Linear(x, w("self_attn.v_proj.weight"), w("self_attn.v_proj.bias"))
			for hh := range heads {
				s := q[i][hh*D : (hh+1)*D]
				if qn := w("self_attn.q_norm.weight"); qn != nil {
					copy(s, RMSNorm(s, qn, eps))
				}
				RoPE(s, i, theta, D)
			}
			for hh := range kvHeads {
				s := k[i][hh*D : (hh+1)*D]
				if kn := w("self_attn.k_norm.weight"); kn != nil {
					copy(s, RMSNorm(s, kn, eps))
				}
				RoPE(s, i, theta, D)
			}
		}
		a := Attention(q, k, v, AttentionOpts{Heads: heads, KVHeads: kvHeads, Dim: D, Causal: true, Scale: 1 / math.Sqrt(float64(D))})
		for i := range T {
			o := Linear(a[i], w("self_attn.o_proj.weight"), nil)
			for j := range H {
				h[i][j] += o[j]
			}
			x := RMSNorm(h[i], w("post_attention_layernorm.weight"), eps)
			g := Linear(x, w("mlp.gate_proj.weight"), nil)
			u := Linear(x, w("mlp.up_proj.weight"), nil)
			for j := range g {
				g[j] = Activate("silu", g[j]) * u[j]
			}
			d := Linear(g, w("mlp.down_proj.weight"), nil)
			for j := range H {
				h[i][j] += d[j]
			}
		}
	}
	fn := m.W(pre, "norm.weight")
	for i := range T {
		h[i] = RMSNorm(h[i], fn, eps)
	}
	return h, nil
}

func (m *Model) bert(ids, types []int) ([][]float64, error) {
	pre := []string{"bert.", "roberta."}
	H := m.Int("hidden_size", 0)
	heads := m.Int("num_attention_heads", 0)
	D := H / heads
	mt := m.String("model_type", "")
	roberta := mt != "bert"
	eps := m.Float("layer_norm_eps", map[bool]float64{false: 1e-12, true: 1e-5}[roberta])
	act := m.String("hidden_act", "gelu")
	offset := 0
	if roberta {
		offset = m.Int("pad_token_id", 1) + 1
	}
	word, pos, typ := m.W(pre, "embeddings.word_embeddings.weight"), m.W(pre, "embeddings.position_embeddings.weight"), m.W(pre, "embeddings.token_type_embeddings.weight")
	if word == nil || pos == nil || typ == nil {
		return nil, fmt.Errorf("reference: embeddings missing")
	}
	T := len(ids)
	h := make([][]float64, T)
	for i, id := range ids {
		t := 0
		if types != nil {
			t = types[i]
		}
		h[i] = make([]float64, H)
		for j := range H {
			h[i][j] = word[id*H+j] + typ[t*H+j] + pos[(i+offset)*H+j]
		}
		h[i] = LayerNorm(h[i], m.W(pre, "embeddings.LayerNorm.weight"), m.W(pre, "embeddings.LayerNorm.bias"), eps)
	}
	for l := range m.Int("num_hidden_layers", 0) {
		w := func(f string) []float64 { return m.W(pre, "encoder.layer.%d."+f, l) }
		q, k, v := make([][]float64, T), make([][]float64, T), make([][]float64, T)
		for i := range T {
			q[i] = Linear(h[i], w("attention.self.query.weight"), w("attention.self.query.bias"))
			k[i] = Linear(h[i], w("attention.self.key.weight"), w("attention.self.key.bias"))
			v[i] = Linear(h[i], w("attention.self.value.weight"), w("attention.self.value.bias"))
		}
		a := Attention(q, k, v, AttentionOpts{Heads: heads, KVHeads: heads, Dim: D, Scale: 1 / math.Sqrt(float64(D))})
		for i := range T {
			o := Linear(a[i], w("attention.output.dense.weight"), w("attention.output.dense.bias"))
			for j := range H {
				o[j] += h[i][j]
			}
			x := LayerNorm(o, w("attention.output.LayerNorm.weight"), w("attention.output.LayerNorm.bias"), eps)
			u := Linear(x, w("intermediate.dense.weight"), w("intermediate.dense.bias"))
			for j := range u {
				u[j] = Activate(act, u[j])
			}
			d := Linear(u, w("output.dense.weight"), w("output.dense.bias"))
			for j := range H {
				d[j] += x[j]
			}
			h[i] = LayerNorm(d, w("output.LayerNorm.weight"), w("output.LayerNorm.bias"), eps)
		}
	}
	return h, nil
}
