package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/gembed-dev/gembed/layers"
)

// DistilBERT: word + absolute position embeddings (positions from 0, no
// token types) → LayerNorm; post-LN layers with biases everywhere, eps
// 1e-12 fixed. sinusoidal_pos_embds only says how the position table was
// initialised: transformers fills it with sinusoids at init, and loading a
// checkpoint overwrites it with the stored table, which is what runs here.
func init() {
	Register("distilbert", Family{New: newDistilBERT, Prefixes: []string{"distilbert."}})
}

// distilbertEps is the LayerNorm eps transformers' DistilBERT hard-codes.
const distilbertEps = 1e-12

type distilbert struct {
	cfg Config
	act layers.Activation

	Words     *Table            `hf:"embeddings.word_embeddings.weight" shape:"vocab,hidden"`
	Positions *Param            `hf:"embeddings.position_embeddings.weight" shape:"positions,hidden" dtype:"float32"`
	EmbNorm   *Param            `hf:"embeddings.LayerNorm.weight" shape:"hidden"`
	EmbBias   *Param            `hf:"embeddings.LayerNorm.bias" shape:"hidden"`
	Layers    []distilbertLayer `hf:"transformer.layer.%d"`
}

type distilbertLayer struct {
	Q        *Param `hf:"attention.q_lin.weight" shape:"hidden,hidden"`
	QB       *Param `hf:"attention.q_lin.bias" shape:"hidden"`
	K        *Param `hf:"attention.k_lin.weight" shape:"hidden,hidden"`
	KB       *Param `hf:"attention.k_lin.bias" shape:"hidden"`
	V        *Param `hf:"attention.v_lin.weight" shape:"hidden,hidden"`
	VB       *Param `hf:"attention.v_lin.bias" shape:"hidden"`
	O        *Param `hf:"attention.out_lin.weight" shape:"hidden,hidden"`
	OB       *Param `hf:"attention.out_lin.bias" shape:"hidden"`
	AttnNorm *Param `hf:"sa_layer_norm.weight" shape:"hidden"`
	AttnBias *Param `hf:"sa_layer_norm.bias" shape:"hidden"`
	Up       *Param `hf:"ffn.lin1.weight" shape:"intermediate,hidden"`
	UpB      *Param `hf:"ffn.lin1.bias" shape:"intermediate"`
	Down     *Param `hf:"ffn.lin2.weight" shape:"hidden,intermediate"`
	DownB    *Param `hf:"ffn.lin2.bias" shape:"hidden"`
	OutNorm  *Param `hf:"output_layer_norm.weight" shape:"hidden"`
	OutBias  *Param `hf:"output_layer_norm.bias" shape:"hidden"`
}

// distilbertConfig holds DistilBertConfig's own names for the common sizes.
type distilbertConfig struct {
	Dim        *int    `json:"dim"`
	HiddenDim  *int    `json:"hidden_dim"`
	NLayers    *int    `json:"n_layers"`
	NHeads     *int    `json:"n_heads"`
	Activation *string `json:"activation"`
}

func newDistilBERT(c *Config) (Architecture, error) {
	var r distilbertConfig
	if err := c.Decode(&r); err != nil {
		return nil, err
	}
	// transformers' DistilBertConfig defaults. Its attribute_map reads
	// hidden_size, num_hidden_layers and num_attention_heads as dim, n_layers
	// and n_heads (its own names win); intermediate_size means nothing to it.
	for _, f := range []struct {
		name string
		dst  *int
		v    *int
		def  int
		max  int
	}{
		{"dim", &c.Hidden, r.Dim, 768, MaxHidden},
		{"hidden_dim", &c.Intermediate, r.HiddenDim, 3072, MaxIntermediate},
		{"n_layers", &c.Layers, r.NLayers, 6, MaxLayers},
		{"n_heads", &c.Heads, r.NHeads, 12, MaxHeads},
	} {
		switch {
		case f.v != nil:
			*f.dst = *f.v
		case f.name == "hidden_dim" || *f.dst == 0:
			*f.dst = f.def
		}
		// Checked under DistilBERT's own names before the common checks,
		// which would name hidden_size and friends.
		if *f.dst <= 0 || *f.dst > f.max {
			return nil, fmt.Errorf("field %q: value %d out of range (1…%d)", f.name, *f.dst, f.max)
		}
	}
	if c.Vocab == 0 {
		c.Vocab = 30522
	}
	if c.MaxPositions == 0 {
		c.MaxPositions = 512
	}
	c.KVHeads, c.HeadDim = 0, 0 // not config fields of this family
	c.defaultHeads()
	act := "gelu"
	if r.Activation != nil {
		act = *r.Activation
	}
	m := &distilbert{}
	var err error
	if m.act, err = layers.ParseActivation(act); err != nil {
		return nil, fmt.Errorf("field \"activation\": %w", err)
	}
	if c.Hidden%c.Heads != 0 {
		return nil, fmt.Errorf("field \"dim\" (%d) is not a multiple of \"n_heads\" (%d)", c.Hidden, c.Heads)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	m.cfg = *c
	m.Layers = make([]distilbertLayer, c.Layers)
	return m, nil
}

func (m *distilbert) Dims() map[string]int {
	c := m.cfg
	return map[string]int{"hidden": c.Hidden, "vocab": c.Vocab, "intermediate": c.Intermediate, "positions": c.MaxPositions}
}

func (m *distilbert) Forward(b *Builder) (*G.Node, error) {
	c, rt := m.cfg, b.RT
	h, err := layers.Embeddings(rt, b.Input, layers.EmbeddingSpec{Words: m.Words, Positions: b.Node(m.Positions)})
	if err != nil {
		return nil, err
	}
	if h, err = layers.LayerNorm(rt, h, b.Node(m.EmbNorm), b.Node(m.EmbBias), distilbertEps, layers.InPlace); err != nil {
		return nil, err
	}
	attn := layers.AttentionSpec{Heads: c.Heads, KVHeads: c.Heads, Dim: c.HeadDim}
	for l, w := range m.Layers {
		if h, err = postLNEncoderLayer(b, h, postLNLayer(w), distilbertEps, m.act, attn); err != nil {
			return nil, fmt.Errorf("layer %d: %w", l, err)
		}
	}
	return h, nil
}
