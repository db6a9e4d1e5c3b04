package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	G "gorgonia.org/gorgonia"

	"github.com/gembed-dev/gembed/layers"
)

// Llama and Mistral (e5-mistral-7b-instruct, Linq-Embed-Mistral,
// SFR-Embedding-2_R, …): the Qwen decoder without q/k/v biases or q/k norm —
// RMSNorm, RoPE, causal grouped-query attention, SwiGLU, final RMSNorm.
// Mistral adds a causal sliding window (sliding_window, 4096 when the field is
// absent, none when it is null): a query sees the keys with q−k < window.
// These embedders pool the last token, the EOS their tokenizer appends.
func init() {
	Register("llama", Family{New: func(c *Config) (Architecture, error) { return newLlama(c, false) }, Prefixes: []string{"model."}})
	Register("mistral", Family{New: func(c *Config) (Architecture, error) { return newLlama(c, true) }, Prefixes: []string{"model."}})
}

type llama struct {
	cfg    Config
	eps    float64
	theta  float64
	attn   layers.AttentionSpec
	Embed  *Table       `hf:"embed_tokens.weight" shape:"vocab,hidden"`
	Layers []llamaLayer `hf:"layers.%d"`
	Norm   *Param       `hf:"norm.weight" shape:"hidden"`
}

type llamaLayer struct {
	InputNorm *Param `hf:"input_layernorm.weight" shape:"hidden"`
	Q         *Param `hf:"self_attn.q_proj.weight" shape:"q,hidden"`
	K         *Param `hf:"self_attn.k_proj.weight" shape:"kv,hidden"`
	V         *Param `hf:"self_attn.v_proj.weight" shape:"kv,hidden"`
	O         *Param `hf:"self_attn.o_proj.weight" shape:"hidden,q"`
	PostNorm  *Param `hf:"post_attention_layernorm.weight" shape:"hidden"`
	Gate      *Param `hf:"mlp.gate_proj.weight" shape:"intermediate,hidden"`
	Up        *Param `hf:"mlp.up_proj.weight" shape:"intermediate,hidden"`
	Down      *Param `hf:"mlp.down_proj.weight" shape:"hidden,intermediate"`
}

// llamaConfig holds the LlamaConfig / MistralConfig fields that change the
// forward pass; nil means absent (transformers' default).
type llamaConfig struct {
	RMSEps         *float64        `json:"rms_norm_eps"`
	RopeTheta      *float64        `json:"rope_theta"`
	RopeScaling    json.RawMessage `json:"rope_scaling"`
	RopeParameters json.RawMessage `json:"rope_parameters"`
	HeadDim        *int            `json:"head_dim"`
	HiddenAct      string          `json:"hidden_act"`
	AttentionBias  bool            `json:"attention_bias"`
	MLPBias        bool            `json:"mlp_bias"`
	SlidingWindow  json.RawMessage `json:"sliding_window"`
}

func newLlama(c *Config, mistral bool) (Architecture, error) {
	var r llamaConfig
	if err := c.Decode(&r); err != nil {
		return nil, err
	}
	if err := c.Require("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size"); err != nil {
		return nil, err
	}
	c.HeadDim = 0
	if r.HeadDim != nil {
		c.HeadDim = *r.HeadDim
	}
	c.defaultHeads()
	if c.MaxPositions == 0 {
		c.MaxPositions = 2048 // LlamaConfig
		if mistral {
			c.MaxPositions = 4096 * 32
		}
	}
	m := &llama{eps: 1e-6, theta: 10000}
	if r.RMSEps != nil {
		m.eps = *r.RMSEps
	}
	if r.RopeTheta != nil {
		m.theta = *r.RopeTheta
	}
	if err := checkRopeScaling(r.RopeScaling); err != nil {
		return nil, err
	}
	if p := strings.TrimSpace(string(r.RopeParameters)); p != "" && p != "null" {
		// transformers ≥ 5 writes {"rope_type": "default", "rope_theta": θ}.
		var params struct {
			RopeType *string  `json:"rope_type"`
			Theta    *float64 `json:"rope_theta"`
		}
		if err := json.Unmarshal(r.RopeParameters, &params); err != nil {
			return nil, fmt.Errorf("field \"rope_parameters\": %s is not an object: %w", p, err)
		}
		if params.RopeType != nil && *params.RopeType != "default" {
			return nil, fmt.Errorf("field \"rope_parameters\": rope_type %q is not supported", *params.RopeType)
		}
		if params.Theta != nil {
			m.theta = *params.Theta
		}
	}
	if a := r.HiddenAct; a != "" && a != "silu" && a != "swish" {
		return nil, fmt.Errorf("field \"hidden_act\": activation %q is not supported (only silu)", a)
	}
	if r.AttentionBias {
		return nil, errors.New(`field "attention_bias": attention biases are not supported`)
	}
	if r.MLPBias {
		return nil, errors.New(`field "mlp_bias": MLP biases are not supported`)
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
	if !(m.theta > 1) {
		return nil, fmt.Errorf("field \"rope_theta\": value %v out of range", m.theta)
	}
	m.attn = layers.AttentionSpec{Heads: c.Heads, KVHeads: c.KVHeads, Dim: c.HeadDim, Causal: true}
	if mistral {
		window, err := mistralWindow(r.SlidingWindow)
		if err != nil {
			return nil, err
		}
		// A window as long as the longest input masks nothing.
		if window > 0 && window < c.MaxPositions {
			m.attn.Window = window - 1 // keys with q−k < window
		}
	}
	m.cfg = *c
	m.Layers = make([]llamaLayer, c.Layers)
	return m, nil
}

// mistralWindow reads sliding_window: absent = 4096 (MistralConfig's
// default), null = none (0).
func mistralWindow(raw json.RawMessage) (int, error) {
	s := strings.TrimSpace(string(raw))
	switch s {
	case "":
		return 4096, nil
	case "null":
		return 0, nil
	}
	var w int
	if err := json.Unmarshal(raw, &w); err != nil || w < 2 || w > 1<<24 {
		return 0, fmt.Errorf("field \"sliding_window\": %s is not a window length (an integer ≥ 2 or null)", s)
	}
	return w, nil
}

func (m *llama) Dims() map[string]int {
	c := m.cfg
	return map[string]int{
		"hidden": c.Hidden, "vocab": c.Vocab, "intermediate": c.Intermediate, "head_dim": c.HeadDim,
		"q": c.Heads * c.HeadDim, "kv": c.KVHeads * c.HeadDim,
	}
}

func (m *llama) Forward(b *Builder) (*G.Node, error) {
	rt := b.RT
	h, err := layers.Embeddings(rt, b.Input, layers.EmbeddingSpec{Words: m.Embed})
	if err != nil {
		return nil, err
	}
	for l, w := range m.Layers {
		if h, err = m.layer(b, h, w); err != nil {
			return nil, fmt.Errorf("layer %d: %w", l, err)
		}
	}
	return layers.RMSNorm(rt, h, b.Node(m.Norm), m.eps, layers.SlotX)
}

// layer adds one pre-norm decoder block to the residual stream h (in place):
//
//	h += o_proj(attention(RoPE(x·Wqᵀ), RoPE(x·Wkᵀ), x·Wvᵀ)),  x = RMSNorm(h)
//	h += down(SiLU(x·Wgᵀ) ⊙ x·Wuᵀ),                           x = RMSNorm(h)
func (m *llama) layer(b *Builder, h *G.Node, w llamaLayer) (*G.Node, error) {
	c, rt := m.cfg, b.RT
	x, err := layers.RMSNorm(rt, h, b.Node(w.InputNorm), m.eps, layers.SlotX)
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
	if q, err = layers.RoPE(rt, q, layers.RoPESpec{Heads: c.Heads, Dim: c.HeadDim, Theta: m.theta}); err != nil {
		return nil, err
	}
	if k, err = layers.RoPE(rt, k, layers.RoPESpec{Heads: c.KVHeads, Dim: c.HeadDim, Theta: m.theta}); err != nil {
		return nil, err
	}
	a, err := layers.Attention(rt, q, k, v, m.attn, layers.SlotAttn)
	if err != nil {
		return nil, err
	}
	if h, err = layers.Linear(rt, a, b.Node(w.O), nil, h, layers.InPlace); err != nil {
		return nil, err
	}
	if x, err = layers.RMSNorm(rt, h, b.Node(w.PostNorm), m.eps, layers.SlotX); err != nil {
		return nil, err
	}
	return layers.GatedMLP(rt, x, b.Node(w.Gate), b.Node(w.Up), b.Node(w.Down), layers.ActSiLU, h, layers.InPlace)
}
