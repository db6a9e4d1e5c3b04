package graph

import (
	"encoding/json"
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"

	"github.com/gembed-dev/gembed/layers"
)

// GTE v1.5 (model_type "new": Alibaba-NLP/gte-base-en-v1.5,
// gte-large-en-v1.5, gte-multilingual-base), as the published NewModel code
// defines it: word (+ token type
// when type_vocab_size > 0) embeddings → LayerNorm; post-LN layers,
// h = LN(h + o_proj(attn(h))), h = LN(h + down(up ⊙ act(gate))); a fused
// qkv_proj with biases; rotate-half rotary positions with base rope_theta;
// bidirectional attention; a GLU MLP from one fused up_gate_proj without
// bias (first half up, second half gate); no final norm.
//
// rope_scaling {"type": "ntk", "factor": f} is NewModel's fixed NTK
// scaling: every frequency is (θ·f)^(-2i/D) / f^(2/D), for every position
// (its cache is built past max_position_embeddings at load, so the scaled
// frequencies are the ones used at any length).
func init() {
	Register("new", Family{New: newGTE, Prefixes: []string{"new."}})
}

type gte struct {
	cfg       Config
	eps       float64
	act       layers.Activation
	theta     float64
	freqScale float64
	types     int

	Words   *Table     `hf:"embeddings.word_embeddings.weight" shape:"vocab,hidden"`
	Types   *Param     `hf:"embeddings.token_type_embeddings.weight" shape:"types,hidden" optional:"types" dtype:"float32"`
	EmbNorm *Param     `hf:"embeddings.LayerNorm.weight" shape:"hidden"`
	EmbBias *Param     `hf:"embeddings.LayerNorm.bias" shape:"hidden"`
	Layers  []gteLayer `hf:"encoder.layer.%d"`
}

type gteLayer struct {
	QKV     *Param `hf:"attention.qkv_proj.weight" shape:"qkv,hidden"`
	QKVBias *Param `hf:"attention.qkv_proj.bias" shape:"qkv"`
	O       *Param `hf:"attention.o_proj.weight" shape:"hidden,hidden"`
	OBias   *Param `hf:"attention.o_proj.bias" shape:"hidden"`
	AttnLN  *Param `hf:"attn_ln.weight" shape:"hidden"`
	AttnLNB *Param `hf:"attn_ln.bias" shape:"hidden"`
	UpGate  *Param `hf:"mlp.up_gate_proj.weight" shape:"upgate,hidden"`
	Down    *Param `hf:"mlp.down_proj.weight" shape:"hidden,intermediate"`
	DownB   *Param `hf:"mlp.down_proj.bias" shape:"hidden"`
	MLPLN   *Param `hf:"mlp_ln.weight" shape:"hidden"`
	MLPLNB  *Param `hf:"mlp_ln.bias" shape:"hidden"`
}

type gteConfig struct {
	HiddenAct     *string         `json:"hidden_act"`
	LayerNormEps  *float64        `json:"layer_norm_eps"`
	LayerNormType *string         `json:"layer_norm_type"`
	TypeVocab     *int            `json:"type_vocab_size"`
	PositionType  *string         `json:"position_embedding_type"`
	RopeTheta     *float64        `json:"rope_theta"`
	RopeScaling   json.RawMessage `json:"rope_scaling"`
	LogNScale     *bool           `json:"logn_attention_scale"`
	PackQKV       *bool           `json:"pack_qkv"`
}

func newGTE(c *Config) (Architecture, error) {
	var r gteConfig
	if err := c.Decode(&r); err != nil {
		return nil, err
	}
	if err := c.Require("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size"); err != nil {
		return nil, err
	}
	// NewConfig's defaults.
	m := &gte{eps: 1e-12, theta: 10000, types: 0}
	if c.MaxPositions == 0 {
		c.MaxPositions = 512
	}
	c.KVHeads, c.HeadDim = 0, 0
	c.defaultHeads()
	act := "gelu"
	if r.HiddenAct != nil {
		act = *r.HiddenAct
	}
	var err error
	if m.act, err = layers.ParseActivation(act); err != nil {
		return nil, fmt.Errorf("field \"hidden_act\": %w", err)
	}
	if r.LayerNormEps != nil {
		m.eps = *r.LayerNormEps
	}
	if r.TypeVocab != nil {
		m.types = *r.TypeVocab
	}
	if r.RopeTheta != nil {
		m.theta = *r.RopeTheta
	}
	if r.LayerNormType != nil && *r.LayerNormType != "layer_norm" {
		return nil, fmt.Errorf("field \"layer_norm_type\": %q is not supported (only layer_norm)", *r.LayerNormType)
	}
	if r.PositionType == nil || *r.PositionType != "rope" {
		pt := "absolute (the default)"
		if r.PositionType != nil {
			pt = fmt.Sprintf("%q", *r.PositionType)
		}
		return nil, fmt.Errorf("field \"position_embedding_type\": %s is not supported (only rope)", pt)
	}
	if r.LogNScale != nil && *r.LogNScale {
		return nil, fmt.Errorf("field \"logn_attention_scale\": true is not supported")
	}
	if r.PackQKV != nil && !*r.PackQKV {
		return nil, fmt.Errorf("field \"pack_qkv\": false is not supported (only the fused qkv_proj)")
	}
	switch {
	case !(m.eps > 0 && m.eps < 1):
		return nil, fmt.Errorf("field \"layer_norm_eps\": value %v out of range", m.eps)
	case !(m.theta > 1):
		return nil, fmt.Errorf("field \"rope_theta\": value %v out of range", m.theta)
	case m.types < 0 || m.types > 1<<16:
		return nil, fmt.Errorf("field \"type_vocab_size\": value %d out of range", m.types)
	case c.Hidden%c.Heads != 0:
		return nil, fmt.Errorf("field \"hidden_size\" (%d) is not a multiple of \"num_attention_heads\" (%d)", c.Hidden, c.Heads)
	case c.HeadDim%2 != 0 || c.HeadDim < 4:
		return nil, fmt.Errorf("head dim %d (hidden_size / num_attention_heads) must be even and at least 4 for rotary embeddings", c.HeadDim)
	}
	if err := m.ropeScaling(r.RopeScaling, c.HeadDim); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	m.cfg = *c
	m.Layers = make([]gteLayer, c.Layers)
	return m, nil
}

// ropeScaling reads rope_scaling: null, or NTK with a factor (and no
// mixed_b, which NewModel also supports but no published model uses).
func (m *gte) ropeScaling(raw json.RawMessage, dim int) error {
	if isNull(raw) {
		return nil
	}
	var s struct {
		Type     string   `json:"type"`
		RopeType string   `json:"rope_type"`
		Factor   *float64 `json:"factor"`
		MixedB   *float64 `json:"mixed_b"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("field \"rope_scaling\": %s is not an object with a type and a factor: %w", raw, err)
	}
	t := s.Type
	if t == "" {
		t = s.RopeType
	}
	switch {
	case t != "ntk":
		return fmt.Errorf("field \"rope_scaling\": type %q is not supported (only ntk)", t)
	case s.Factor == nil || !(*s.Factor > 0) || math.IsInf(*s.Factor, 0):
		return fmt.Errorf("field \"rope_scaling\": %s needs a positive factor", raw)
	case s.MixedB != nil:
		return fmt.Errorf("field \"rope_scaling\": mixed_b is not supported")
	}
	f := *s.Factor
	m.theta *= f
	m.freqScale = math.Pow(f, -2/float64(dim))
	return nil
}

func (m *gte) Dims() map[string]int {
	c := m.cfg
	return map[string]int{"hidden": c.Hidden, "vocab": c.Vocab, "intermediate": c.Intermediate,
		"qkv": 3 * c.Hidden, "upgate": 2 * c.Intermediate, "types": m.types}
}

func (m *gte) Forward(b *Builder) (*G.Node, error) {
	c, rt := m.cfg, b.RT
	h, err := layers.Embeddings(rt, b.Input, layers.EmbeddingSpec{Words: m.Words, Types: b.Node(m.Types)})
	if err != nil {
		return nil, err
	}
	if h, err = layers.LayerNorm(rt, h, b.Node(m.EmbNorm), b.Node(m.EmbBias), m.eps, layers.InPlace); err != nil {
		return nil, err
	}
	attn := layers.AttentionSpec{Heads: c.Heads, KVHeads: c.Heads, Dim: c.HeadDim}
	rope := layers.RoPESpec{Heads: c.Heads, Dim: c.HeadDim, Theta: m.theta, FreqScale: m.freqScale}
	for l, w := range m.Layers {
		if h, err = m.layer(b, h, w, attn, rope); err != nil {
			return nil, fmt.Errorf("layer %d: %w", l, err)
		}
	}
	return h, nil
}

// layer adds one post-LN layer; the residual stream h is updated in place.
func (m *gte) layer(b *Builder, h *G.Node, w gteLayer, attn layers.AttentionSpec, rope layers.RoPESpec) (*G.Node, error) {
	rt, H, I := b.RT, m.cfg.Hidden, m.cfg.Intermediate
	h, err := fusedRotaryAttention(b, h, w.QKV, w.QKVBias, w.O, w.OBias, H, attn, rope)
	if err != nil {
		return nil, err
	}
	if h, err = layers.LayerNorm(rt, h, b.Node(w.AttnLN), b.Node(w.AttnLNB), m.eps, layers.InPlace); err != nil {
		return nil, err
	}
	up, err := layers.Linear(rt, h, b.Node(rowBlock(w.UpGate, 0, I)), nil, nil, layers.SlotMLPUp)
	if err != nil {
		return nil, err
	}
	gate, err := layers.Linear(rt, h, b.Node(rowBlock(w.UpGate, 1, I)), nil, nil, layers.SlotMLPGate)
	if err != nil {
		return nil, err
	}
	g, err := layers.GLU(rt, gate, up, m.act)
	if err != nil {
		return nil, err
	}
	if h, err = layers.Linear(rt, g, b.Node(w.Down), b.Node(w.DownB), h, layers.InPlace); err != nil {
		return nil, err
	}
	return layers.LayerNorm(rt, h, b.Node(w.MLPLN), b.Node(w.MLPLNB), m.eps, layers.InPlace)
}
