package graph

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"

	"github.com/gembed-dev/gembed/layers"
)

// MPNet (sentence-transformers/all-mpnet-base-v2): RoBERTa-style embeddings
// (word + absolute position from padding_idx + 1, no token types) →
// LayerNorm; post-LN encoder layers with biases everywhere, whose attention
// scores get one relative-position bias shared by all layers: a
// [buckets, heads] table indexed by T5-style bidirectional buckets of k − q.
func init() {
	Register("mpnet", Family{New: newMPNet, Prefixes: []string{"mpnet."}})
}

// transformers' MPNetEncoder.compute_position_bias always buckets with its
// default of 32 buckets and max distance 128, whatever
// relative_attention_num_buckets says (which only sizes the table).
const (
	mpnetBuckets     = 32
	mpnetMaxDistance = 128
)

type mpnet struct {
	cfg       Config
	eps       float64
	act       layers.Activation
	posOffset int
	positions int     // rows of the position table
	buckets   int     // rows of the relative bias table
	bucketOf  []int32 // bucket of each relative position in ±mpnetMaxDistance

	Words     *Table       `hf:"embeddings.word_embeddings.weight" shape:"vocab,hidden"`
	Positions *Param       `hf:"embeddings.position_embeddings.weight" shape:"positions,hidden" dtype:"float32"`
	EmbNorm   *Param       `hf:"embeddings.LayerNorm.weight" shape:"hidden"`
	EmbBias   *Param       `hf:"embeddings.LayerNorm.bias" shape:"hidden"`
	RelBias   *Param       `hf:"encoder.relative_attention_bias.weight" shape:"buckets,heads" dtype:"float32"`
	Layers    []mpnetLayer `hf:"encoder.layer.%d"`
}

type mpnetLayer struct {
	Q        *Param `hf:"attention.attn.q.weight" shape:"hidden,hidden"`
	QB       *Param `hf:"attention.attn.q.bias" shape:"hidden"`
	K        *Param `hf:"attention.attn.k.weight" shape:"hidden,hidden"`
	KB       *Param `hf:"attention.attn.k.bias" shape:"hidden"`
	V        *Param `hf:"attention.attn.v.weight" shape:"hidden,hidden"`
	VB       *Param `hf:"attention.attn.v.bias" shape:"hidden"`
	O        *Param `hf:"attention.attn.o.weight" shape:"hidden,hidden"`
	OB       *Param `hf:"attention.attn.o.bias" shape:"hidden"`
	AttnNorm *Param `hf:"attention.LayerNorm.weight" shape:"hidden"`
	AttnBias *Param `hf:"attention.LayerNorm.bias" shape:"hidden"`
	Up       *Param `hf:"intermediate.dense.weight" shape:"intermediate,hidden"`
	UpB      *Param `hf:"intermediate.dense.bias" shape:"intermediate"`
	Down     *Param `hf:"output.dense.weight" shape:"hidden,intermediate"`
	DownB    *Param `hf:"output.dense.bias" shape:"hidden"`
	OutNorm  *Param `hf:"output.LayerNorm.weight" shape:"hidden"`
	OutBias  *Param `hf:"output.LayerNorm.bias" shape:"hidden"`
}

type mpnetConfig struct {
	HiddenAct    *string  `json:"hidden_act"`
	LayerNormEps *float64 `json:"layer_norm_eps"`
	PadTokenID   *int     `json:"pad_token_id"`
	Buckets      *int     `json:"relative_attention_num_buckets"`
}

func newMPNet(c *Config) (Architecture, error) {
	var r mpnetConfig
	if err := c.Decode(&r); err != nil {
		return nil, err
	}
	if err := c.Require("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size"); err != nil {
		return nil, err
	}
	// transformers' MPNetConfig defaults
	m := &mpnet{eps: 1e-12, buckets: 32}
	if c.MaxPositions == 0 {
		c.MaxPositions = 512
	}
	c.KVHeads, c.HeadDim = 0, 0 // not config fields of this family
	c.defaultHeads()
	var err error
	if m.act, m.eps, err = encoderActEps(r.HiddenAct, r.LayerNormEps, m.eps); err != nil {
		return nil, err
	}
	if r.Buckets != nil {
		m.buckets = *r.Buckets
	}
	if m.buckets < mpnetBuckets || m.buckets > 1<<16 {
		// transformers indexes the table with buckets 0..31 whatever the
		// config says; a smaller table fails there too.
		return nil, fmt.Errorf("field \"relative_attention_num_buckets\": value %d out of range [%d, %d]", m.buckets, mpnetBuckets, 1<<16)
	}
	if c.Hidden%c.Heads != 0 {
		return nil, fmt.Errorf("field \"hidden_size\" (%d) is not a multiple of \"num_attention_heads\" (%d)", c.Hidden, c.Heads)
	}
	positions := c.MaxPositions
	pad := 1
	if r.PadTokenID != nil {
		pad = *r.PadTokenID
	}
	if pad < 0 || pad+1 >= positions {
		return nil, fmt.Errorf("field \"pad_token_id\" (%d) leaves no positions of %d", pad, positions)
	}
	m.posOffset = pad + 1
	c.MaxPositions = positions - m.posOffset
	if err := c.validate(); err != nil {
		return nil, err
	}
	m.cfg, m.positions = *c, positions
	m.Layers = make([]mpnetLayer, c.Layers)
	// Distances of mpnetMaxDistance and more share the last bucket of their
	// side, so a table of ±mpnetMaxDistance covers any input length.
	m.bucketOf = make([]int32, 2*mpnetMaxDistance+1)
	for i := range m.bucketOf {
		m.bucketOf[i] = int32(mpnetBucket(i-mpnetMaxDistance, mpnetBuckets, mpnetMaxDistance))
	}
	return m, nil
}

// bucket is the relative-position bucket of key position k seen from query
// position q.
func (m *mpnet) bucket(q, k int) int {
	return int(m.bucketOf[min(max(k-q, -mpnetMaxDistance), mpnetMaxDistance)+mpnetMaxDistance])
}

// mpnetBucket is transformers' MPNetEncoder.relative_position_bucket of a
// relative position k − q: keys to the right use the upper half of the
// buckets; within a half, distances below a quarter of the buckets have
// their own bucket and the rest share logarithmically spaced ones up to
// maxDistance. (float64 here; it gives torch's float32 buckets for every
// distance up to 3000, checked against transformers.)
func mpnetBucket(rel, buckets, maxDistance int) int {
	half := buckets / 2
	ret := 0
	n := -rel
	if n < 0 {
		ret = half
		n = -n
	}
	exact := half / 2
	if n < exact {
		return ret + n
	}
	large := exact + int(math.Log(float64(n)/float64(exact))/math.Log(float64(maxDistance)/float64(exact))*float64(half-exact))
	return ret + min(large, half-1)
}

func (m *mpnet) Dims() map[string]int {
	c := m.cfg
	return map[string]int{"hidden": c.Hidden, "vocab": c.Vocab, "intermediate": c.Intermediate,
		"positions": m.positions, "buckets": m.buckets, "heads": c.Heads}
}

func (m *mpnet) Forward(b *Builder) (*G.Node, error) {
	c, rt := m.cfg, b.RT
	h, err := layers.Embeddings(rt, b.Input, layers.EmbeddingSpec{Words: m.Words, Positions: b.Node(m.Positions),
		PositionOffset: m.posOffset})
	if err != nil {
		return nil, err
	}
	if h, err = layers.LayerNorm(rt, h, b.Node(m.EmbNorm), b.Node(m.EmbBias), m.eps, layers.InPlace); err != nil {
		return nil, err
	}
	// The table is [buckets, heads]; the bias of (head, q, k) is read straight
	// from its float32 values, which the model owns and never changes.
	table, heads := m.RelBias.value.Float32s(), c.Heads
	bias := func(head, q, k int) float32 {
		return table[m.bucket(q, k)*heads+head]
	}
	attn := layers.AttentionSpec{Heads: c.Heads, KVHeads: c.Heads, Dim: c.HeadDim, Bias: bias}
	for l, w := range m.Layers {
		if h, err = postLNEncoderLayer(b, h, postLNLayer(w), m.eps, m.act, attn); err != nil {
			return nil, fmt.Errorf("layer %d: %w", l, err)
		}
	}
	return h, nil
}
