package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/gembed-dev/gembed/layers"
)

// BERT and the RoBERTa family: word + absolute position + token type
// embeddings → LayerNorm; post-LN encoder layers with biases everywhere
// (h = LN(h + attn(h)), h = LN(h + W2·act(W1·h))); bidirectional attention
// over the real tokens; no final norm. RoBERTa, XLM-RoBERTa and CamemBERT
// number positions from padding_idx + 1, so the usable length is
// max_position_embeddings − padding_idx − 1 (a pad id inside a text would
// get position padding_idx in transformers; tokenizers never put one there).
func init() {
	Register("bert", Family{New: func(c *Config) (Architecture, error) { return newBERT(c, false) }, Prefixes: []string{"bert."}})
	for _, t := range []string{"roberta", "xlm-roberta", "camembert"} {
		Register(t, Family{New: func(c *Config) (Architecture, error) { return newBERT(c, true) }, Prefixes: []string{"roberta."}})
	}
}

type bert struct {
	cfg       Config
	eps       float64
	act       layers.Activation
	posOffset int
	positions int // rows of the position table
	types     int

	Words     *Table      `hf:"embeddings.word_embeddings.weight" shape:"vocab,hidden"`
	Positions *Param      `hf:"embeddings.position_embeddings.weight" shape:"positions,hidden" dtype:"float32"`
	Types     *Param      `hf:"embeddings.token_type_embeddings.weight" shape:"types,hidden" dtype:"float32"`
	EmbNorm   *Param      `hf:"embeddings.LayerNorm.weight|embeddings.LayerNorm.gamma" shape:"hidden"`
	EmbBias   *Param      `hf:"embeddings.LayerNorm.bias|embeddings.LayerNorm.beta" shape:"hidden"`
	Layers    []bertLayer `hf:"encoder.layer.%d"`
}

type bertLayer struct {
	Q        *Param `hf:"attention.self.query.weight" shape:"hidden,hidden"`
	QB       *Param `hf:"attention.self.query.bias" shape:"hidden"`
	K        *Param `hf:"attention.self.key.weight" shape:"hidden,hidden"`
	KB       *Param `hf:"attention.self.key.bias" shape:"hidden"`
	V        *Param `hf:"attention.self.value.weight" shape:"hidden,hidden"`
	VB       *Param `hf:"attention.self.value.bias" shape:"hidden"`
	O        *Param `hf:"attention.output.dense.weight" shape:"hidden,hidden"`
	OB       *Param `hf:"attention.output.dense.bias" shape:"hidden"`
	AttnNorm *Param `hf:"attention.output.LayerNorm.weight|attention.output.LayerNorm.gamma" shape:"hidden"`
	AttnBias *Param `hf:"attention.output.LayerNorm.bias|attention.output.LayerNorm.beta" shape:"hidden"`
	Up       *Param `hf:"intermediate.dense.weight" shape:"intermediate,hidden"`
	UpB      *Param `hf:"intermediate.dense.bias" shape:"intermediate"`
	Down     *Param `hf:"output.dense.weight" shape:"hidden,intermediate"`
	DownB    *Param `hf:"output.dense.bias" shape:"hidden"`
	OutNorm  *Param `hf:"output.LayerNorm.weight|output.LayerNorm.gamma" shape:"hidden"`
	OutBias  *Param `hf:"output.LayerNorm.bias|output.LayerNorm.beta" shape:"hidden"`
}

type bertConfig struct {
	HiddenAct    *string  `json:"hidden_act"`
	LayerNormEps *float64 `json:"layer_norm_eps"`
	TypeVocab    *int     `json:"type_vocab_size"`
	PadTokenID   *int     `json:"pad_token_id"`
	PositionType *string  `json:"position_embedding_type"`
}

func newBERT(c *Config, roberta bool) (Architecture, error) {
	var r bertConfig
	if err := c.Decode(&r); err != nil {
		return nil, err
	}
	if err := c.Require("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size"); err != nil {
		return nil, err
	}
	// transformers' BertConfig / RobertaConfig defaults
	m := &bert{eps: 1e-12, types: 2}
	if roberta {
		m.eps, m.types = 1e-5, 1
	}
	if c.MaxPositions == 0 {
		c.MaxPositions = 512
	}
	c.KVHeads, c.HeadDim = 0, 0 // not config fields of these families
	c.defaultHeads()
	var err error
	if m.act, m.eps, err = encoderActEps(r.HiddenAct, r.LayerNormEps, m.eps); err != nil {
		return nil, err
	}
	if r.TypeVocab != nil {
		m.types = *r.TypeVocab
	}
	if m.types < 1 || m.types > 1<<16 {
		return nil, fmt.Errorf("field \"type_vocab_size\": value %d out of range", m.types)
	}
	if r.PositionType != nil && *r.PositionType != "absolute" {
		return nil, fmt.Errorf("field \"position_embedding_type\": %q is not supported (only absolute)", *r.PositionType)
	}
	if c.Hidden%c.Heads != 0 {
		return nil, fmt.Errorf("field \"hidden_size\" (%d) is not a multiple of \"num_attention_heads\" (%d)", c.Hidden, c.Heads)
	}
	positions := c.MaxPositions
	if roberta {
		pad := 1
		if r.PadTokenID != nil {
			pad = *r.PadTokenID
		}
		if pad < 0 || pad+1 >= positions {
			return nil, fmt.Errorf("field \"pad_token_id\" (%d) leaves no positions of %d", pad, positions)
		}
		m.posOffset = pad + 1
		c.MaxPositions = positions - m.posOffset
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	m.cfg, m.positions = *c, positions
	m.Layers = make([]bertLayer, c.Layers)
	return m, nil
}

func (m *bert) Dims() map[string]int {
	c := m.cfg
	return map[string]int{"hidden": c.Hidden, "vocab": c.Vocab, "intermediate": c.Intermediate,
		"positions": m.positions, "types": m.types}
}

func (m *bert) Forward(b *Builder) (*G.Node, error) {
	c, rt := m.cfg, b.RT
	h, err := layers.Embeddings(rt, b.Input, layers.EmbeddingSpec{Words: m.Words, Positions: b.Node(m.Positions),
		PositionOffset: m.posOffset, Types: b.Node(m.Types)})
	if err != nil {
		return nil, err
	}
	if h, err = layers.LayerNorm(rt, h, b.Node(m.EmbNorm), b.Node(m.EmbBias), m.eps, layers.InPlace); err != nil {
		return nil, err
	}
	attn := layers.AttentionSpec{Heads: c.Heads, KVHeads: c.Heads, Dim: c.HeadDim}
	for l, w := range m.Layers {
		if h, err = postLNEncoderLayer(b, h, postLNLayer(w), m.eps, m.act, attn); err != nil {
			return nil, fmt.Errorf("layer %d: %w", l, err)
		}
	}
	return h, nil
}

// encoderActEps reads hidden_act (default exact GELU) and layer_norm_eps
// (default def) as the BERT-style configs spell them.
func encoderActEps(hiddenAct *string, layerNormEps *float64, def float64) (layers.Activation, float64, error) {
	name := "gelu"
	if hiddenAct != nil {
		name = *hiddenAct
	}
	act, err := layers.ParseActivation(name)
	if err != nil {
		return act, 0, fmt.Errorf("field \"hidden_act\": %w", err)
	}
	eps := def
	if layerNormEps != nil {
		eps = *layerNormEps
	}
	if !(eps > 0 && eps < 1) {
		return act, 0, fmt.Errorf("field \"layer_norm_eps\": value %v out of range", eps)
	}
	return act, eps, nil
}

// postLNLayer is the weights of one post-LN encoder layer under the names
// this code uses; bertLayer, mpnetLayer and distilbertLayer convert to it
// (the same fields, each with its family's tensor names).
type postLNLayer struct {
	Q, QB, K, KB, V, VB, O, OB               *Param
	AttnNorm, AttnBias, Up, UpB, Down, DownB *Param
	OutNorm, OutBias                         *Param
}

// postLNEncoderLayer adds one post-LN encoder layer (BERT, MPNet,
// DistilBERT); the residual stream h is updated in place:
// h = LN(h + attn(h)·Woᵀ + bo), h = LN(h + W2·act(W1·h + b1) + b2).
func postLNEncoderLayer(b *Builder, h *G.Node, w postLNLayer, eps float64, act layers.Activation, attn layers.AttentionSpec) (*G.Node, error) {
	rt := b.RT
	q, err := layers.Linear(rt, h, b.Node(w.Q), b.Node(w.QB), nil, layers.SlotQ)
	if err != nil {
		return nil, err
	}
	k, err := layers.Linear(rt, h, b.Node(w.K), b.Node(w.KB), nil, layers.SlotK)
	if err != nil {
		return nil, err
	}
	v, err := layers.Linear(rt, h, b.Node(w.V), b.Node(w.VB), nil, layers.SlotV)
	if err != nil {
		return nil, err
	}
	a, err := layers.Attention(rt, q, k, v, attn, layers.SlotAttn)
	if err != nil {
		return nil, err
	}
	if h, err = layers.Linear(rt, a, b.Node(w.O), b.Node(w.OB), h, layers.InPlace); err != nil {
		return nil, err
	}
	if h, err = layers.LayerNorm(rt, h, b.Node(w.AttnNorm), b.Node(w.AttnBias), eps, layers.InPlace); err != nil {
		return nil, err
	}
	if h, err = layers.DenseMLP(rt, h, b.Node(w.Up), b.Node(w.UpB), b.Node(w.Down), b.Node(w.DownB), act, h, layers.InPlace); err != nil {
		return nil, err
	}
	return layers.LayerNorm(rt, h, b.Node(w.OutNorm), b.Node(w.OutBias), eps, layers.InPlace)
}
