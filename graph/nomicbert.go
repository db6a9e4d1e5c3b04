package graph

import (
	"encoding/json"
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/gembed-dev/gembed/layers"
)

// NomicBERT (nomic-ai/nomic-embed-text-v1, -v1.5), as its published
// configuration and weights define it: word + token type embeddings →
// LayerNorm (emb_ln); post-LN layers, h = LN(h + attn(h)), h = LN(h + mlp(h));
// a fused Wqkv projection; non-interleaved (rotate-half) rotary positions on
// the first rotary_emb_fraction of each head with base rotary_emb_base;
// bidirectional attention; a SwiGLU MLP fc2(fc11(x) ⊙ SiLU(fc12(x))); no
// position table and no final norm. Biases exist only where qkv_proj_bias,
// mlp_fc1_bias, mlp_fc2_bias say so. The config uses GPT-2 field names
// (n_embd, n_head, n_layer, n_inner, n_positions).
func init() {
	Register("nomic_bert", Family{New: newNomicBERT, Prefixes: []string{"bert."}})
}

type nomicBERT struct {
	cfg       Config
	eps       float64
	theta     float64
	rotaryDim int
	types     int
	flags     map[string]int

	Words   *Table           `hf:"embeddings.word_embeddings.weight" shape:"vocab,hidden"`
	Types   *Param           `hf:"embeddings.token_type_embeddings.weight" shape:"types,hidden" optional:"types" dtype:"float32"`
	EmbNorm *Param           `hf:"emb_ln.weight" shape:"hidden"`
	EmbBias *Param           `hf:"emb_ln.bias" shape:"hidden"`
	Layers  []nomicBERTLayer `hf:"encoder.layers.%d"`
}

type nomicBERTLayer struct {
	QKV      *Param `hf:"attn.Wqkv.weight" shape:"qkv,hidden"`
	QKVBias  *Param `hf:"attn.Wqkv.bias" shape:"qkv" optional:"qkv_proj_bias"`
	O        *Param `hf:"attn.out_proj.weight" shape:"hidden,hidden"`
	OBias    *Param `hf:"attn.out_proj.bias" shape:"hidden" optional:"qkv_proj_bias"`
	Norm1    *Param `hf:"norm1.weight" shape:"hidden"`
	Norm1B   *Param `hf:"norm1.bias" shape:"hidden"`
	Up       *Param `hf:"mlp.fc11.weight" shape:"intermediate,hidden"`
	UpBias   *Param `hf:"mlp.fc11.bias" shape:"intermediate" optional:"mlp_fc1_bias"`
	Gate     *Param `hf:"mlp.fc12.weight" shape:"intermediate,hidden"`
	GateBias *Param `hf:"mlp.fc12.bias" shape:"intermediate" optional:"mlp_fc1_bias"`
	Down     *Param `hf:"mlp.fc2.weight" shape:"hidden,intermediate"`
	DownBias *Param `hf:"mlp.fc2.bias" shape:"hidden" optional:"mlp_fc2_bias"`
	Norm2    *Param `hf:"norm2.weight" shape:"hidden"`
	Norm2B   *Param `hf:"norm2.bias" shape:"hidden"`
}

type nomicBERTConfig struct {
	NEmbd          *int            `json:"n_embd"`
	NHead          *int            `json:"n_head"`
	NLayer         *int            `json:"n_layer"`
	NInner         *int            `json:"n_inner"`
	NPositions     *int            `json:"n_positions"`
	PadMultiple    *int            `json:"pad_vocab_size_multiple"`
	Activation     *string         `json:"activation_function"`
	Eps            *float64        `json:"layer_norm_epsilon"`
	TypeVocab      *int            `json:"type_vocab_size"`
	RotaryBase     *float64        `json:"rotary_emb_base"`
	RotaryFraction *float64        `json:"rotary_emb_fraction"`
	Interleaved    *bool           `json:"rotary_emb_interleaved"`
	ScaleBase      json.RawMessage `json:"rotary_emb_scale_base"`
	ScalingFactor  json.RawMessage `json:"rotary_scaling_factor"`
	QKVBias        *bool           `json:"qkv_proj_bias"`
	FC1Bias        *bool           `json:"mlp_fc1_bias"`
	FC2Bias        *bool           `json:"mlp_fc2_bias"`
	Prenorm        *bool           `json:"prenorm"`
	Causal         *bool           `json:"causal"`
	ParallelBlock  *bool           `json:"parallel_block"`
	UseRMSNorm     *bool           `json:"use_rms_norm"`
}

func isNull(raw json.RawMessage) bool {
	s := string(raw)
	return len(raw) == 0 || s == "null"
}

func newNomicBERT(c *Config) (Architecture, error) {
	var r nomicBERTConfig
	if err := c.Decode(&r); err != nil {
		return nil, err
	}
	// GPT-2 names win over the common ones when both are present.
	for _, f := range []struct {
		dst *int
		src *int
	}{{&c.Hidden, r.NEmbd}, {&c.Heads, r.NHead}, {&c.Layers, r.NLayer}, {&c.Intermediate, r.NInner}, {&c.MaxPositions, r.NPositions}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if c.Intermediate == 0 {
		c.Intermediate = 4 * c.Hidden // GPT2Config's n_inner = None
	}
	if err := c.Require("hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size"); err != nil {
		return nil, fmt.Errorf("%w (n_embd, n_layer, n_head)", err)
	}
	if c.MaxPositions == 0 {
		c.MaxPositions = 2048
	}
	// The checkpoint's word table is padded to a multiple of pad_vocab_size_multiple.
	if r.PadMultiple != nil && *r.PadMultiple > 1 && c.Vocab%*r.PadMultiple != 0 {
		c.Vocab += *r.PadMultiple - c.Vocab%*r.PadMultiple
	}
	c.KVHeads, c.HeadDim = 0, 0
	c.defaultHeads()
	m := &nomicBERT{eps: 1e-12, theta: 10000, types: 2}
	if r.Eps != nil {
		m.eps = *r.Eps
	}
	if r.RotaryBase != nil {
		m.theta = *r.RotaryBase
	}
	if r.TypeVocab != nil {
		m.types = *r.TypeVocab
	}
	fraction := 1.0
	if r.RotaryFraction != nil {
		fraction = *r.RotaryFraction
	}
	if r.Activation != nil && *r.Activation != "swiglu" {
		return nil, fmt.Errorf("field \"activation_function\": %q is not supported (only swiglu)", *r.Activation)
	}
	for _, f := range []struct {
		name string
		v    *bool
	}{{"rotary_emb_interleaved", r.Interleaved}, {"prenorm", r.Prenorm}, {"causal", r.Causal}, {"parallel_block", r.ParallelBlock}, {"use_rms_norm", r.UseRMSNorm}} {
		if f.v != nil && *f.v {
			return nil, fmt.Errorf("field %q: true is not supported", f.name)
		}
	}
	if !isNull(r.ScaleBase) {
		return nil, fmt.Errorf("field \"rotary_emb_scale_base\": %s is not supported (only null)", r.ScaleBase)
	}
	// A scaling factor makes the rotary base depend on the padded batch
	// length (dynamic NTK past max_trained_positions): refused rather than
	// guessed.
	if !isNull(r.ScalingFactor) {
		return nil, fmt.Errorf("field \"rotary_scaling_factor\": %s is not supported (only null)", r.ScalingFactor)
	}
	switch {
	case !(m.eps > 0 && m.eps < 1):
		return nil, fmt.Errorf("field \"layer_norm_epsilon\": value %v out of range", m.eps)
	case !(m.theta > 1):
		return nil, fmt.Errorf("field \"rotary_emb_base\": value %v out of range", m.theta)
	case m.types < 0 || m.types > 1<<16:
		return nil, fmt.Errorf("field \"type_vocab_size\": value %d out of range", m.types)
	case !(fraction > 0 && fraction <= 1):
		return nil, fmt.Errorf("field \"rotary_emb_fraction\": value %v out of range", fraction)
	case c.Hidden%c.Heads != 0:
		return nil, fmt.Errorf("field \"n_embd\" (%d) is not a multiple of \"n_head\" (%d)", c.Hidden, c.Heads)
	case c.HeadDim%2 != 0: // as every family with rotary positions requires
		return nil, fmt.Errorf("head dim %d (n_embd / n_head) must be even for rotary embeddings", c.HeadDim)
	}
	m.rotaryDim = int(float64(c.HeadDim) * fraction)
	if m.rotaryDim < 2 || m.rotaryDim%2 != 0 {
		return nil, fmt.Errorf("field \"rotary_emb_fraction\": %v of head dim %d is not an even number of rotary dims", fraction, c.HeadDim)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	bias := func(b *bool) int {
		if b == nil {
			// Absent: expect the biases, so a checkpoint without them is
			// a load error naming the tensor, never biases silently dropped.
			return 1
		}
		return b2i(*b)
	}
	m.flags = map[string]int{"types": m.types, "qkv_proj_bias": bias(r.QKVBias), "mlp_fc1_bias": bias(r.FC1Bias), "mlp_fc2_bias": bias(r.FC2Bias)}
	m.cfg = *c
	m.Layers = make([]nomicBERTLayer, c.Layers)
	return m, nil
}

func (m *nomicBERT) Dims() map[string]int {
	c := m.cfg
	d := map[string]int{"hidden": c.Hidden, "vocab": c.Vocab, "intermediate": c.Intermediate, "qkv": 3 * c.Hidden}
	for k, v := range m.flags {
		d[k] = v
	}
	return d
}

func (m *nomicBERT) Forward(b *Builder) (*G.Node, error) {
	c, rt := m.cfg, b.RT
	h, err := layers.Embeddings(rt, b.Input, layers.EmbeddingSpec{Words: m.Words, Types: b.Node(m.Types)})
	if err != nil {
		return nil, err
	}
	if h, err = layers.LayerNorm(rt, h, b.Node(m.EmbNorm), b.Node(m.EmbBias), m.eps, layers.InPlace); err != nil {
		return nil, err
	}
	attn := layers.AttentionSpec{Heads: c.Heads, KVHeads: c.Heads, Dim: c.HeadDim}
	rope := layers.RoPESpec{Heads: c.Heads, Dim: c.HeadDim, RotaryDim: m.rotaryDim, Theta: m.theta}
	for l, w := range m.Layers {
		if h, err = m.layer(b, h, w, attn, rope); err != nil {
			return nil, fmt.Errorf("layer %d: %w", l, err)
		}
	}
	return h, nil
}

// layer adds one post-LN layer; the residual stream h is updated in place:
// h = LN₁(h + Wo·attention(RoPE(q), RoPE(k), v)), h = LN₂(h + fc2(fc11(h) ⊙ SiLU(fc12(h)))).
func (m *nomicBERT) layer(b *Builder, h *G.Node, w nomicBERTLayer, attn layers.AttentionSpec, rope layers.RoPESpec) (*G.Node, error) {
	rt, H := b.RT, m.cfg.Hidden
	h, err := fusedRotaryAttention(b, h, w.QKV, w.QKVBias, w.O, w.OBias, H, attn, rope)
	if err != nil {
		return nil, err
	}
	if h, err = layers.LayerNorm(rt, h, b.Node(w.Norm1), b.Node(w.Norm1B), m.eps, layers.InPlace); err != nil {
		return nil, err
	}
	gate, err := layers.Linear(rt, h, b.Node(w.Gate), b.Node(w.GateBias), nil, layers.SlotMLPGate)
	if err != nil {
		return nil, err
	}
	up, err := layers.Linear(rt, h, b.Node(w.Up), b.Node(w.UpBias), nil, layers.SlotMLPUp)
	if err != nil {
		return nil, err
	}
	g, err := layers.GLU(rt, gate, up, layers.ActSiLU)
	if err != nil {
		return nil, err
	}
	if h, err = layers.Linear(rt, g, b.Node(w.Down), b.Node(w.DownBias), h, layers.InPlace); err != nil {
		return nil, err
	}
	return layers.LayerNorm(rt, h, b.Node(w.Norm2), b.Node(w.Norm2B), m.eps, layers.InPlace)
}
