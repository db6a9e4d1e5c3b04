package graph

import (
	"encoding/json"
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gembed-dev/gembed/layers"
)

// ModernBERT (answerdotai/ModernBERT-*, nomic-ai/modernbert-embed-base,
// Alibaba-NLP/gte-modernbert-base): word embeddings → LayerNorm; pre-LN
// encoder layers whose first has no attention norm (identity); a fused Wqkv
// projection; rotary positions with a θ per layer kind; bidirectional
// attention, global on every global_attn_every_n_layers-th layer and a
// symmetric sliding window of local_attention/2 on each side elsewhere; a
// GeGLU MLP from one fused Wi (the first half is activated, the second
// gates it); a final LayerNorm. Norms, projections and the MLP have no biases
// unless norm_bias, attention_bias or mlp_bias says so.
func init() {
	Register("modernbert", Family{New: newModernBERT, Prefixes: []string{"model."}})
}

type modernBERT struct {
	cfg    Config
	eps    float64
	act    layers.Activation
	global []bool    // per layer: full attention (else the sliding window)
	theta  []float64 // per layer: rotary base
	window int       // keys at most this far from the query on local layers
	flags  map[string]int

	Embed     *Table            `hf:"embeddings.tok_embeddings.weight" shape:"vocab,hidden"`
	EmbNorm   *Param            `hf:"embeddings.norm.weight" shape:"hidden"`
	EmbBias   *Param            `hf:"embeddings.norm.bias" shape:"hidden" optional:"norm_bias"`
	Layers    []modernBERTLayer `hf:"layers.%d"`
	FinalNorm *Param            `hf:"final_norm.weight" shape:"hidden"`
	FinalBias *Param            `hf:"final_norm.bias" shape:"hidden" optional:"norm_bias"`
}

type modernBERTLayer struct {
	// AttnNorm is absent on layer 0 (transformers makes it an identity);
	// Forward requires it on every other layer.
	AttnNorm *Param `hf:"attn_norm.weight" shape:"hidden" optional:""`
	AttnBias *Param `hf:"attn_norm.bias" shape:"hidden" optional:""`
	QKV      *Param `hf:"attn.Wqkv.weight" shape:"qkv,hidden"`
	QKVBias  *Param `hf:"attn.Wqkv.bias" shape:"qkv" optional:"attention_bias"`
	O        *Param `hf:"attn.Wo.weight" shape:"hidden,hidden"`
	OBias    *Param `hf:"attn.Wo.bias" shape:"hidden" optional:"attention_bias"`
	MLPNorm  *Param `hf:"mlp_norm.weight" shape:"hidden"`
	MLPBias  *Param `hf:"mlp_norm.bias" shape:"hidden" optional:"norm_bias"`
	Wi       *Param `hf:"mlp.Wi.weight" shape:"wi,hidden"`
	WiBias   *Param `hf:"mlp.Wi.bias" shape:"wi" optional:"mlp_bias"`
	Wo       *Param `hf:"mlp.Wo.weight" shape:"hidden,intermediate"`
	WoBias   *Param `hf:"mlp.Wo.bias" shape:"hidden" optional:"mlp_bias"`
}

type modernBERTConfig struct {
	NormEps          *float64 `json:"norm_eps"`
	NormBias         *bool    `json:"norm_bias"`
	AttentionBias    *bool    `json:"attention_bias"`
	MLPBias          *bool    `json:"mlp_bias"`
	HiddenActivation *string  `json:"hidden_activation"`
	GlobalRopeTheta  *float64 `json:"global_rope_theta"`
	LocalRopeTheta   *float64 `json:"local_rope_theta"`
	LocalAttention   *int     `json:"local_attention"`
	GlobalEvery      *int     `json:"global_attn_every_n_layers"`
	// Newer transformers write the layer kinds and θs explicitly.
	LayerTypes     []string                   `json:"layer_types"`
	RopeParameters map[string]json.RawMessage `json:"rope_parameters"`
	RopeScaling    json.RawMessage            `json:"rope_scaling"`
}

func newModernBERT(c *Config) (Architecture, error) {
	var r modernBERTConfig
	if err := c.Decode(&r); err != nil {
		return nil, err
	}
	if err := c.Require("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size"); err != nil {
		return nil, err
	}
	// transformers' ModernBertConfig defaults.
	m := &modernBERT{eps: 1e-5}
	globalTheta, localTheta, localAttention, every := 160000.0, 10000.0, 128, 3
	normBias, attnBias, mlpBias := false, false, false
	if c.MaxPositions == 0 {
		c.MaxPositions = 8192
	}
	c.KVHeads, c.HeadDim = 0, 0 // not config fields of this family
	c.defaultHeads()
	act := "gelu"
	if r.HiddenActivation != nil {
		act = *r.HiddenActivation
	}
	var err error
	if m.act, err = layers.ParseActivation(act); err != nil {
		return nil, fmt.Errorf("field \"hidden_activation\": %w", err)
	}
	if r.NormEps != nil {
		m.eps = *r.NormEps
	}
	for _, f := range []struct {
		dst *bool
		src *bool
	}{{&normBias, r.NormBias}, {&attnBias, r.AttentionBias}, {&mlpBias, r.MLPBias}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if r.GlobalRopeTheta != nil {
		globalTheta = *r.GlobalRopeTheta
	}
	if r.LocalRopeTheta != nil {
		localTheta = *r.LocalRopeTheta
	}
	if r.LocalAttention != nil {
		localAttention = *r.LocalAttention
	}
	if r.GlobalEvery != nil {
		every = *r.GlobalEvery
	}
	if err := checkRopeScaling(r.RopeScaling); err != nil {
		return nil, err
	}
	for kind, raw := range r.RopeParameters {
		var p struct {
			RopeType string   `json:"rope_type"`
			Theta    *float64 `json:"rope_theta"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, fmt.Errorf("field \"rope_parameters\".%q: %w", kind, err)
		}
		if p.RopeType != "" && p.RopeType != "default" {
			return nil, fmt.Errorf("field \"rope_parameters\".%q: rope_type %q is not supported", kind, p.RopeType)
		}
		if p.Theta == nil {
			continue
		}
		switch kind {
		case "full_attention":
			globalTheta = *p.Theta
		case "sliding_attention":
			localTheta = *p.Theta
		default:
			return nil, fmt.Errorf("field \"rope_parameters\": unknown layer kind %q", kind)
		}
	}
	switch {
	case !(m.eps > 0 && m.eps < 1):
		return nil, fmt.Errorf("field \"norm_eps\": value %v out of range", m.eps)
	case !(globalTheta > 1):
		return nil, fmt.Errorf("field \"global_rope_theta\": value %v out of range", globalTheta)
	case !(localTheta > 1):
		return nil, fmt.Errorf("field \"local_rope_theta\": value %v out of range", localTheta)
	case localAttention < 2 || localAttention > 1<<24:
		return nil, fmt.Errorf("field \"local_attention\": value %d out of range", localAttention)
	case every < 1:
		return nil, fmt.Errorf("field \"global_attn_every_n_layers\": value %d out of range", every)
	case c.Hidden%c.Heads != 0:
		return nil, fmt.Errorf("field \"hidden_size\" (%d) is not a multiple of \"num_attention_heads\" (%d)", c.Hidden, c.Heads)
	case c.HeadDim%2 != 0:
		return nil, fmt.Errorf("head dim %d (hidden_size / num_attention_heads) must be even for rotary embeddings", c.HeadDim)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if r.LayerTypes != nil && len(r.LayerTypes) != c.Layers {
		return nil, fmt.Errorf("field \"layer_types\" has %d entries for %d layers", len(r.LayerTypes), c.Layers)
	}
	m.window = localAttention / 2
	m.global = make([]bool, c.Layers)
	m.theta = make([]float64, c.Layers)
	for l := range c.Layers {
		m.global[l] = l%every == 0
		if r.LayerTypes != nil {
			switch r.LayerTypes[l] {
			case "full_attention":
				m.global[l] = true
			case "sliding_attention":
				m.global[l] = false
			default:
				return nil, fmt.Errorf("field \"layer_types\"[%d]: unknown layer kind %q", l, r.LayerTypes[l])
			}
		}
		m.theta[l] = localTheta
		if m.global[l] {
			m.theta[l] = globalTheta
		}
	}
	m.flags = map[string]int{"norm_bias": b2i(normBias), "attention_bias": b2i(attnBias), "mlp_bias": b2i(mlpBias)}
	m.cfg = *c
	m.Layers = make([]modernBERTLayer, c.Layers)
	return m, nil
}

func (m *modernBERT) Dims() map[string]int {
	c := m.cfg
	d := map[string]int{"hidden": c.Hidden, "vocab": c.Vocab, "intermediate": c.Intermediate,
		"qkv": 3 * c.Hidden, "wi": 2 * c.Intermediate}
	for k, v := range m.flags {
		d[k] = v
	}
	return d
}

// rowBlock returns rows [i·n, (i+1)·n) of a [k·n, in] weight (or elements of a
// bias) as a parameter sharing p's data: fused projections are split into
// their parts without copying. A nil p gives nil.
func rowBlock(p *Param, i, n int) *Param {
	if p == nil {
		return nil
	}
	width := 1
	if len(p.Shape) == 2 {
		width = p.Shape[1]
	}
	shape := []int{n, width}
	if len(p.Shape) == 1 {
		shape = []int{n}
	}
	if p.bf16 != nil { // the BFloat16 mode
		return &Param{Name: fmt.Sprintf("%s[%d]", p.Name, i), File: p.File, Shape: shape,
			bf16: p.bf16[i*n*width : (i+1)*n*width], mapped: p.mapped}
	}
	data := p.value.Float32s()[i*n*width : (i+1)*n*width]
	return &Param{Name: fmt.Sprintf("%s[%d]", p.Name, i), File: p.File, Shape: shape,
		value: tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))}
}

func (m *modernBERT) Forward(b *Builder) (*G.Node, error) {
	rt := b.RT
	h, err := layers.Embeddings(rt, b.Input, layers.EmbeddingSpec{Words: m.Embed})
	if err != nil {
		return nil, err
	}
	if h, err = layers.LayerNorm(rt, h, b.Node(m.EmbNorm), b.Node(m.EmbBias), m.eps, layers.InPlace); err != nil {
		return nil, err
	}
	for l, w := range m.Layers {
		if l > 0 && (w.AttnNorm == nil || (m.flags["norm_bias"] != 0 && w.AttnBias == nil)) {
			return nil, fmt.Errorf("layer %d: tensor \"layers.%d.attn_norm.weight\" or its bias is missing", l, l)
		}
		if h, err = m.layer(b, h, l, w); err != nil {
			return nil, fmt.Errorf("layer %d: %w", l, err)
		}
	}
	return layers.LayerNorm(rt, h, b.Node(m.FinalNorm), b.Node(m.FinalBias), m.eps, layers.SlotX)
}

// layer adds one pre-LN layer to the residual stream h (in place):
//
//	h += Wo·attention(RoPE(q), RoPE(k), v),  q|k|v = Wqkv·x,  x = LN(h) (x = h on layer 0)
//	h += Wo·(act(Wi₀·x) ⊙ Wi₁·x),            x = LN(h)
func (m *modernBERT) layer(b *Builder, h *G.Node, l int, w modernBERTLayer) (*G.Node, error) {
	c, rt := m.cfg, b.RT
	x := h
	var err error
	if l > 0 {
		if x, err = layers.LayerNorm(rt, h, b.Node(w.AttnNorm), b.Node(w.AttnBias), m.eps, layers.SlotX); err != nil {
			return nil, err
		}
	}
	H := c.Hidden
	q, err := layers.Linear(rt, x, b.Node(rowBlock(w.QKV, 0, H)), b.Node(rowBlock(w.QKVBias, 0, H)), nil, layers.SlotQ)
	if err != nil {
		return nil, err
	}
	k, err := layers.Linear(rt, x, b.Node(rowBlock(w.QKV, 1, H)), b.Node(rowBlock(w.QKVBias, 1, H)), nil, layers.SlotK)
	if err != nil {
		return nil, err
	}
	v, err := layers.Linear(rt, x, b.Node(rowBlock(w.QKV, 2, H)), b.Node(rowBlock(w.QKVBias, 2, H)), nil, layers.SlotV)
	if err != nil {
		return nil, err
	}
	rope := layers.RoPESpec{Heads: c.Heads, Dim: c.HeadDim, Theta: m.theta[l]}
	if q, err = layers.RoPE(rt, q, rope); err != nil {
		return nil, err
	}
	if k, err = layers.RoPE(rt, k, rope); err != nil {
		return nil, err
	}
	spec := layers.AttentionSpec{Heads: c.Heads, KVHeads: c.Heads, Dim: c.HeadDim}
	if !m.global[l] {
		spec.Window = m.window
	}
	a, err := layers.Attention(rt, q, k, v, spec, layers.SlotAttn)
	if err != nil {
		return nil, err
	}
	if h, err = layers.Linear(rt, a, b.Node(w.O), b.Node(w.OBias), h, layers.InPlace); err != nil {
		return nil, err
	}
	if x, err = layers.LayerNorm(rt, h, b.Node(w.MLPNorm), b.Node(w.MLPBias), m.eps, layers.SlotX); err != nil {
		return nil, err
	}
	I := c.Intermediate
	gate, err := layers.Linear(rt, x, b.Node(rowBlock(w.Wi, 0, I)), b.Node(rowBlock(w.WiBias, 0, I)), nil, layers.SlotMLPGate)
	if err != nil {
		return nil, err
	}
	up, err := layers.Linear(rt, x, b.Node(rowBlock(w.Wi, 1, I)), b.Node(rowBlock(w.WiBias, 1, I)), nil, layers.SlotMLPUp)
	if err != nil {
		return nil, err
	}
	g, err := layers.GLU(rt, gate, up, m.act)
	if err != nil {
		return nil, err
	}
	return layers.Linear(rt, g, b.Node(w.Wo), b.Node(w.WoBias), h, layers.InPlace)
}
