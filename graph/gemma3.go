package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	G "gorgonia.org/gorgonia"

	"github.com/gembed-dev/gembed/layers"
)

// Gemma 3 text (EmbeddingGemma, google/embeddinggemma-300m): a decoder stack
// that differs from Qwen's in almost every detail —
//   - word embeddings × √hidden (the factor rounded to float32, as
//     transformers casts it to the float32 weights' dtype);
//   - every RMSNorm scales by 1 + w, also the per-head q/k norms;
//   - four norms per layer: input, post-attention (on the attention output,
//     before the residual add), pre-feed-forward and post-feed-forward;
//   - scores scaled by query_pre_attn_scalar^-½ instead of head_dim^-½;
//   - local layers attend through a sliding window, full layers everywhere;
//     which is which comes from layer_types, or else every
//     sliding_window_pattern-th layer is full; each kind has its own RoPE base
//     (rope_local_base_freq for local, rope_theta for full);
//   - use_bidirectional_attention (EmbeddingGemma) drops causality: local
//     layers then see a symmetric window |q−k| ≤ sliding_window/2 (transformers
//     halves the window and compares with an exclusive bound);
//   - GeGLU with the tanh GELU of hidden_activation.
func init() {
	Register("gemma3_text", Family{New: newGemma3, Prefixes: []string{"model."}})
}

type gemma3 struct {
	cfg    Config
	eps    float64
	scale  float64 // softmax scale, query_pre_attn_scalar^-½
	act    layers.Activation
	attn   []layers.AttentionSpec // per layer: causality and window
	theta  []float64              // per layer RoPE base
	Embed  *Table                 `hf:"embed_tokens.weight" shape:"vocab,hidden"`
	Layers []gemma3Layer          `hf:"layers.%d"`
	Norm   *Param                 `hf:"norm.weight" shape:"hidden"`
}

type gemma3Layer struct {
	InputNorm *Param `hf:"input_layernorm.weight" shape:"hidden"`
	Q         *Param `hf:"self_attn.q_proj.weight" shape:"q,hidden"`
	K         *Param `hf:"self_attn.k_proj.weight" shape:"kv,hidden"`
	V         *Param `hf:"self_attn.v_proj.weight" shape:"kv,hidden"`
	O         *Param `hf:"self_attn.o_proj.weight" shape:"hidden,q"`
	QNorm     *Param `hf:"self_attn.q_norm.weight" shape:"head_dim"`
	KNorm     *Param `hf:"self_attn.k_norm.weight" shape:"head_dim"`
	PostAttn  *Param `hf:"post_attention_layernorm.weight" shape:"hidden"`
	PreFFN    *Param `hf:"pre_feedforward_layernorm.weight" shape:"hidden"`
	PostFFN   *Param `hf:"post_feedforward_layernorm.weight" shape:"hidden"`
	Gate      *Param `hf:"mlp.gate_proj.weight" shape:"intermediate,hidden"`
	Up        *Param `hf:"mlp.up_proj.weight" shape:"intermediate,hidden"`
	Down      *Param `hf:"mlp.down_proj.weight" shape:"hidden,intermediate"`
}

// gemma3Config holds the fields of transformers' Gemma3TextConfig that change
// the forward pass; nil means "absent", which takes transformers' default.
type gemma3Config struct {
	RMSEps             *float64        `json:"rms_norm_eps"`
	HeadDim            *int            `json:"head_dim"`
	HiddenActivation   *string         `json:"hidden_activation"`
	QueryPreAttnScalar *float64        `json:"query_pre_attn_scalar"`
	SlidingWindow      *int            `json:"sliding_window"`
	LayerTypes         []string        `json:"layer_types"`
	Pattern            *int            `json:"sliding_window_pattern"`
	RopeTheta          *float64        `json:"rope_theta"`
	RopeLocalBase      *float64        `json:"rope_local_base_freq"`
	RopeScaling        json.RawMessage `json:"rope_scaling"`
	RopeParameters     json.RawMessage `json:"rope_parameters"`
	Bidirectional      *bool           `json:"use_bidirectional_attention"`
	AttnSoftcap        *float64        `json:"attn_logit_softcapping"`
	AttentionBias      *bool           `json:"attention_bias"`
}

const (
	gemmaSliding = "sliding_attention"
	gemmaFull    = "full_attention"
)

func newGemma3(c *Config) (Architecture, error) {
	var r gemma3Config
	if err := c.Decode(&r); err != nil {
		return nil, err
	}
	if err := c.Require("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads"); err != nil {
		return nil, err
	}
	// transformers' Gemma3TextConfig defaults.
	if c.Vocab == 0 {
		c.Vocab = 262208
	}
	if c.MaxPositions == 0 {
		c.MaxPositions = 131072
	}
	if c.KVHeads == 0 {
		c.KVHeads = 4
	}
	c.HeadDim = 256
	if r.HeadDim != nil {
		c.HeadDim = *r.HeadDim
	}
	m := &gemma3{eps: 1e-6}
	if r.RMSEps != nil {
		m.eps = *r.RMSEps
	}
	qpas := 256.0
	if r.QueryPreAttnScalar != nil {
		qpas = *r.QueryPreAttnScalar
	}
	if !(qpas > 0) {
		return nil, fmt.Errorf("field \"query_pre_attn_scalar\": value %v out of range", qpas)
	}
	m.scale = 1 / math.Sqrt(qpas)
	actName := "gelu_pytorch_tanh"
	if r.HiddenActivation != nil {
		actName = *r.HiddenActivation
	}
	act, err := layers.ParseActivation(actName)
	if err != nil {
		return nil, fmt.Errorf("field \"hidden_activation\": %w", err)
	}
	m.act = act
	if r.AttnSoftcap != nil {
		return nil, fmt.Errorf("field \"attn_logit_softcapping\": score soft-capping (%v) is not supported", *r.AttnSoftcap)
	}
	if r.AttentionBias != nil && *r.AttentionBias {
		return nil, errors.New(`field "attention_bias": attention biases are not supported for gemma3_text`)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if c.HeadDim%2 != 0 {
		return nil, fmt.Errorf("field \"head_dim\" (%d) must be even for rotary embeddings", c.HeadDim)
	}
	if !(m.eps > 0 && m.eps < 1) {
		return nil, fmt.Errorf("field \"rms_norm_eps\": value %v out of range", m.eps)
	}

	types, err := gemmaLayerTypes(r, c.Layers)
	if err != nil {
		return nil, err
	}
	global, local, err := gemmaRopeBases(r)
	if err != nil {
		return nil, err
	}
	bidirectional := r.Bidirectional != nil && *r.Bidirectional
	window := 4096
	if r.SlidingWindow != nil {
		window = *r.SlidingWindow
	}
	m.attn = make([]layers.AttentionSpec, c.Layers)
	m.theta = make([]float64, c.Layers)
	for l, kind := range types {
		spec := layers.AttentionSpec{Heads: c.Heads, KVHeads: c.KVHeads, Dim: c.HeadDim, Causal: !bidirectional, Scale: m.scale}
		m.theta[l] = global
		if kind == gemmaSliding {
			if window < 2 || window > 1<<24 {
				return nil, fmt.Errorf("field \"sliding_window\": value %d out of range for layer %d's sliding attention", window, l)
			}
			m.theta[l] = local
			// transformers' bounds: causal keys with q−k < window; bidirectional
			// keys with |q−k| < window/2 + 1.
			spec.Window = window - 1
			if bidirectional {
				spec.Window = window / 2
			}
		}
		m.attn[l] = spec
	}
	m.cfg = *c
	m.Layers = make([]gemma3Layer, c.Layers)
	return m, nil
}

// gemmaLayerTypes returns each layer's attention kind: layer_types when the
// config lists them, else transformers' rule — layer i is full when
// (i+1) % sliding_window_pattern == 0 (pattern 6 when absent).
func gemmaLayerTypes(r gemma3Config, n int) ([]string, error) {
	if r.LayerTypes != nil {
		if len(r.LayerTypes) != n {
			return nil, fmt.Errorf("field \"layer_types\" lists %d layers, num_hidden_layers is %d", len(r.LayerTypes), n)
		}
		for i, t := range r.LayerTypes {
			if t != gemmaSliding && t != gemmaFull {
				return nil, fmt.Errorf("field \"layer_types\"[%d]: %q is not %q or %q", i, t, gemmaSliding, gemmaFull)
			}
		}
		return append([]string(nil), r.LayerTypes...), nil
	}
	pattern := 6
	if r.Pattern != nil {
		pattern = *r.Pattern
	}
	if pattern < 1 {
		return nil, fmt.Errorf("field \"sliding_window_pattern\": value %d out of range", pattern)
	}
	types := make([]string, n)
	for i := range types {
		types[i] = gemmaSliding
		if (i+1)%pattern == 0 {
			types[i] = gemmaFull
		}
	}
	return types, nil
}

// gemmaRopeBases returns the RoPE bases of full and sliding layers: from
// rope_parameters (transformers ≥ 5 writes {"full_attention": {...},
// "sliding_attention": {...}}), else rope_theta and rope_local_base_freq,
// else 1e6 and 1e4. Only the default (unscaled) rotation is supported.
func gemmaRopeBases(r gemma3Config) (global, local float64, err error) {
	global, local = 1e6, 1e4
	if r.RopeTheta != nil {
		global = *r.RopeTheta
	}
	if r.RopeLocalBase != nil {
		local = *r.RopeLocalBase
	}
	if err := checkRopeScaling(r.RopeScaling); err != nil {
		return 0, 0, err
	}
	if p := strings.TrimSpace(string(r.RopeParameters)); p != "" && p != "null" {
		var params map[string]*struct {
			RopeType *string  `json:"rope_type"`
			Theta    *float64 `json:"rope_theta"`
		}
		if err := json.Unmarshal(r.RopeParameters, &params); err != nil {
			return 0, 0, fmt.Errorf("field \"rope_parameters\": %s is not an object of per-layer-type objects: %w", p, err)
		}
		for kind, dst := range map[string]*float64{gemmaFull: &global, gemmaSliding: &local} {
			v := params[kind]
			if v == nil {
				continue
			}
			if v.RopeType != nil && *v.RopeType != "default" {
				return 0, 0, fmt.Errorf("field \"rope_parameters\".%s: rope_type %q is not supported", kind, *v.RopeType)
			}
			if v.Theta != nil {
				*dst = *v.Theta
			}
		}
	}
	if !(global > 1) || !(local > 1) {
		return 0, 0, fmt.Errorf("RoPE bases %v (full) and %v (sliding) must be > 1", global, local)
	}
	return global, local, nil
}

func (m *gemma3) Dims() map[string]int {
	c := m.cfg
	return map[string]int{
		"hidden": c.Hidden, "vocab": c.Vocab, "intermediate": c.Intermediate, "head_dim": c.HeadDim,
		"q": c.Heads * c.HeadDim, "kv": c.KVHeads * c.HeadDim,
	}
}

func (m *gemma3) norm() layers.NormSpec {
	return layers.NormSpec{Kind: layers.KindRMS, Eps: m.eps, UnitOffset: true}
}

func (m *gemma3) Forward(b *Builder) (*G.Node, error) {
	rt := b.RT
	scale := float32(math.Sqrt(float64(m.cfg.Hidden)))
	h, err := layers.Embeddings(rt, b.Input, layers.EmbeddingSpec{Words: m.Embed, Scale: scale})
	if err != nil {
		return nil, err
	}
	for l, w := range m.Layers {
		if h, err = m.layer(b, h, w, l); err != nil {
			return nil, fmt.Errorf("layer %d: %w", l, err)
		}
	}
	return layers.Norm(rt, h, b.Node(m.Norm), nil, m.norm(), layers.SlotX)
}

// layer adds one Gemma 3 block to the residual stream h:
//
//	h += norm_post(o_proj(attention(RoPE(norm_q(x·Wqᵀ)), RoPE(norm_k(x·Wkᵀ)), x·Wvᵀ))),  x = norm_in(h)
//	h += norm_postffn(down(GELU(x·Wgᵀ) ⊙ x·Wuᵀ)),                                    x = norm_preffn(h)
func (m *gemma3) layer(b *Builder, h *G.Node, w gemma3Layer, l int) (*G.Node, error) {
	c, rt := m.cfg, b.RT
	norm := m.norm()
	head := norm
	head.Group = c.HeadDim
	x, err := layers.Norm(rt, h, b.Node(w.InputNorm), nil, norm, layers.SlotX)
	if err != nil {
		return nil, err
	}
	q, err := layers.Linear(rt, x, b.Node(w.Q), nil, nil, layers.SlotQ)
	if err != nil {
		return nil, err
	}
	k, err := layers.Linear(rt, x, b.Node(w.K), nil, nil, layers.SlotK)
	if err != nil {
		return nil, err
	}
	v, err := layers.Linear(rt, x, b.Node(w.V), nil, nil, layers.SlotV)
	if err != nil {
		return nil, err
	}
	for _, p := range []struct {
		x     **G.Node
		norm  *Param
		heads int
	}{{&q, w.QNorm, c.Heads}, {&k, w.KNorm, c.KVHeads}} {
		if *p.x, err = layers.Norm(rt, *p.x, b.Node(p.norm), nil, head, layers.InPlace); err != nil {
			return nil, err
		}
		if *p.x, err = layers.RoPE(rt, *p.x, layers.RoPESpec{Heads: p.heads, Dim: c.HeadDim, Theta: m.theta[l]}); err != nil {
			return nil, err
		}
	}
	a, err := layers.Attention(rt, q, k, v, m.attn[l], layers.SlotAttn)
	if err != nil {
		return nil, err
	}
	o, err := layers.Linear(rt, a, b.Node(w.O), nil, nil, layers.SlotScratch)
	if err != nil {
		return nil, err
	}
	if h, err = layers.NormAdd(rt, o, b.Node(w.PostAttn), norm, h); err != nil {
		return nil, err
	}
	if x, err = layers.Norm(rt, h, b.Node(w.PreFFN), nil, norm, layers.SlotX); err != nil {
		return nil, err
	}
	y, err := layers.GatedMLP(rt, x, b.Node(w.Gate), b.Node(w.Up), b.Node(w.Down), m.act, nil, layers.SlotScratch)
	if err != nil {
		return nil, err
	}
	return layers.NormAdd(rt, y, b.Node(w.PostFFN), norm, h)
}
