package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	G "gorgonia.org/gorgonia"

	"github.com/gembed-dev/gembed/layers"
)

// Qwen3 (Qwen3-Embedding) and Qwen2 (gte-Qwen2, Qwen2 causal-LM checkpoints):
// a Llama-style pre-norm decoder — RMSNorm, q/k/v projections, RoPE, causal
// grouped-query attention, SwiGLU MLP — with a final RMSNorm. Qwen2 always
// has q/k/v biases and head_dim = hidden/heads; Qwen3 reads head_dim from
// config.json (128 when absent), has biases only when attention_bias says
// so, and an RMSNorm over each head of q and k before RoPE.
func init() {
	Register("qwen3", Family{New: func(c *Config) (Architecture, error) { return newQwen(c, true) }, Prefixes: []string{"model."}})
	Register("qwen2", Family{New: func(c *Config) (Architecture, error) { return newQwen(c, false) }, Prefixes: []string{"model."}})
}

type qwen struct {
	cfg    Config
	eps    float64
	theta  float64
	bias   bool
	qkNorm bool
	tied   bool        // tie_word_embeddings: the output matrix is Embed
	Embed  *Table      `hf:"embed_tokens.weight" shape:"vocab,hidden"`
	Layers []qwenLayer `hf:"layers.%d"`
	Norm   *Param      `hf:"norm.weight" shape:"hidden"`
}

type qwenLayer struct {
	InputNorm *Param `hf:"input_layernorm.weight" shape:"hidden"`
	Q         *Param `hf:"self_attn.q_proj.weight" shape:"q,hidden"`
	K         *Param `hf:"self_attn.k_proj.weight" shape:"kv,hidden"`
	V         *Param `hf:"self_attn.v_proj.weight" shape:"kv,hidden"`
	QBias     *Param `hf:"self_attn.q_proj.bias" shape:"q" optional:"attention_bias"`
	KBias     *Param `hf:"self_attn.k_proj.bias" shape:"kv" optional:"attention_bias"`
	VBias     *Param `hf:"self_attn.v_proj.bias" shape:"kv" optional:"attention_bias"`
	O         *Param `hf:"self_attn.o_proj.weight" shape:"hidden,q"`
	PostNorm  *Param `hf:"post_attention_layernorm.weight" shape:"hidden"`
	Gate      *Param `hf:"mlp.gate_proj.weight" shape:"intermediate,hidden"`
	Up        *Param `hf:"mlp.up_proj.weight" shape:"intermediate,hidden"`
	Down      *Param `hf:"mlp.down_proj.weight" shape:"hidden,intermediate"`
	QNorm     *Param `hf:"self_attn.q_norm.weight" shape:"head_dim" optional:"qk_norm"`
	KNorm     *Param `hf:"self_attn.k_norm.weight" shape:"head_dim" optional:"qk_norm"`
}

type qwenConfig struct {
	RMSEps           *float64        `json:"rms_norm_eps"`
	RopeTheta        *float64        `json:"rope_theta"`
	AttentionBias    *bool           `json:"attention_bias"`
	HeadDim          *int            `json:"head_dim"`
	RopeScaling      json.RawMessage `json:"rope_scaling"`
	UseSlidingWindow bool            `json:"use_sliding_window"`
	HiddenAct        string          `json:"hidden_act"`
	TieEmbeddings    *bool           `json:"tie_word_embeddings"`
}

func newQwen(c *Config, qwen3 bool) (Architecture, error) {
	var r qwenConfig
	if err := c.Decode(&r); err != nil {
		return nil, err
	}
	if err := c.Require("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size"); err != nil {
		return nil, err
	}
	m := &qwen{eps: 1e-6, theta: 10000, bias: !qwen3, qkNorm: qwen3} // transformers' Qwen2Config/Qwen3Config defaults
	c.HeadDim = 0
	if qwen3 {
		c.HeadDim = 128
		if r.HeadDim != nil {
			c.HeadDim = *r.HeadDim
		}
	}
	c.defaultHeads()
	if c.MaxPositions == 0 {
		c.MaxPositions = 32768
	}
	m.tied = r.TieEmbeddings != nil && *r.TieEmbeddings // false by default in Qwen2Config and Qwen3Config
	if r.RMSEps != nil {
		m.eps = *r.RMSEps
	}
	if r.RopeTheta != nil {
		m.theta = *r.RopeTheta
	}
	if r.AttentionBias != nil && qwen3 {
		m.bias = *r.AttentionBias
	}
	if err := checkRopeScaling(r.RopeScaling); err != nil {
		return nil, err
	}
	// The MLP is SwiGLU; any other activation would give wrong vectors silently.
	if a := r.HiddenAct; a != "" && a != "silu" && a != "swish" {
		return nil, fmt.Errorf("field \"hidden_act\": activation %q is not supported (only silu)", a)
	}
	if r.UseSlidingWindow {
		return nil, errors.New(`field "use_sliding_window": sliding-window attention is not supported`)
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
	m.cfg = *c
	m.Layers = make([]qwenLayer, c.Layers)
	return m, nil
}

// checkRopeScaling accepts an absent, null or "default" rope_scaling and
// refuses any other type — or a value that is not an object — by name.
func checkRopeScaling(raw json.RawMessage) error {
	rs := strings.TrimSpace(string(raw))
	if rs == "" || rs == "null" {
		return nil
	}
	var s struct {
		Type     *string `json:"type"`
		RopeType *string `json:"rope_type"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("field \"rope_scaling\": %s is not an object with a string type: %w", rs, err)
	}
	for _, t := range []*string{s.Type, s.RopeType} {
		if t != nil && *t != "default" {
			return fmt.Errorf("field \"rope_scaling\": type %q is not supported", *t)
		}
	}
	if s.Type == nil && s.RopeType == nil {
		return fmt.Errorf("field \"rope_scaling\": %s names no type", rs)
	}
	return nil
}

func (m *qwen) Dims() map[string]int {
	c := m.cfg
	return map[string]int{
		"hidden": c.Hidden, "vocab": c.Vocab, "intermediate": c.Intermediate, "head_dim": c.HeadDim,
		"q": c.Heads * c.HeadDim, "kv": c.KVHeads * c.HeadDim,
		"attention_bias": b2i(m.bias), "qk_norm": b2i(m.qkNorm),
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (m *qwen) Forward(b *Builder) (*G.Node, error) {
	c, rt := m.cfg, b.RT
	h, err := layers.Embeddings(rt, b.Input, layers.EmbeddingSpec{Words: m.Embed})
	if err != nil {
		return nil, err
	}
	attn := layers.AttentionSpec{Heads: c.Heads, KVHeads: c.KVHeads, Dim: c.HeadDim, Causal: true}
	for l, w := range m.Layers {
		if h, err = m.layer(b, h, w, attn); err != nil {
			return nil, fmt.Errorf("layer %d: %w", l, err)
		}
	}
	return layers.RMSNorm(rt, h, b.Node(m.Norm), m.eps, layers.SlotX)
}

// layer adds one pre-norm decoder block to the residual stream h:
//
//	h += o_proj(attention(RoPE(norm_q(x·Wqᵀ+bq)), RoPE(norm_k(x·Wkᵀ+bk)), x·Wvᵀ+bv)),  x = RMSNorm(h)
//	h += down(SiLU(x·Wgᵀ) ⊙ x·Wuᵀ),                                              x = RMSNorm(h)
//
// The residual additions happen in place in h's buffer.
func (m *qwen) layer(b *Builder, h *G.Node, w qwenLayer, attn layers.AttentionSpec) (*G.Node, error) {
	c, rt := m.cfg, b.RT
	x, err := layers.RMSNorm(rt, h, b.Node(w.InputNorm), m.eps, layers.SlotX)
	if err != nil {
		return nil, err
	}
	q, err := layers.Linear(rt, x, b.Node(w.Q), b.Node(w.QBias), nil, layers.SlotQ)
	if err != nil {
		return nil, err
	}
	k, err := layers.Linear(rt, x, b.Node(w.K), b.Node(w.KBias), nil, layers.SlotK)
	if err != nil {
		return nil, err
	}
	v, err := layers.Linear(rt, x, b.Node(w.V), b.Node(w.VBias), nil, layers.SlotV)
	if err != nil {
		return nil, err
	}
	if q, err = layers.RoPE(rt, q, layers.RoPESpec{Heads: c.Heads, Dim: c.HeadDim, Theta: m.theta, Norm: b.Node(w.QNorm), NormEps: m.eps}); err != nil {
		return nil, err
	}
	if k, err = layers.RoPE(rt, k, layers.RoPESpec{Heads: c.KVHeads, Dim: c.HeadDim, Theta: m.theta, Norm: b.Node(w.KNorm), NormEps: m.eps}); err != nil {
		return nil, err
	}
	a, err := layers.Attention(rt, q, k, v, attn, layers.SlotAttn)
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

// OutputMatrix implements OutputRows: the input embeddings when
// tie_word_embeddings is true (transformers then ties lm_head to them, even
// when the checkpoint also stores one), else lm_head.weight.
func (m *qwen) OutputMatrix(lmHead *Table) (RowSource, error) {
	if m.tied {
		return m.Embed, nil
	}
	if lmHead == nil {
		return nil, errors.New(`tie_word_embeddings is false and the checkpoint has no "lm_head.weight"`)
	}
	return lmHead, nil
}
