package graph

import (
	G "gorgonia.org/gorgonia"

	"github.com/gembed-dev/gembed/layers"
)

// An architecture maps a model_type to the tensors its checkpoints hold and
// how they bind to a decoder block. Adding an architecture is one file that
// registers one of these.
type architecture struct {
	defaultRopeTheta float64
	readsHeadDim     bool // config.json's head_dim is honoured (Qwen3); else hidden/heads
	defaultHeadDim   int  // head_dim when config.json has none (0 = hidden/heads)
	alwaysBias       bool // q/k/v biases regardless of attention_bias (Qwen2)

	embedding string       // [vocab, hidden], looked up outside the graph
	finalNorm string       // [hidden]
	layer     []tensorSlot // per decoder block; names contain one %d
}

// tensorSlot is one row of an architecture's tensor table.
type tensorSlot struct {
	name  string                              // Hugging Face name without "model."; %d = layer
	shape func(Config) []int                  // expected shape
	when  func(Config) bool                   // nil = always present
	bind  func(*layers.BlockWeights) **G.Node // where the node goes
}

var architectures = map[string]*architecture{}

func register(modelType string, a *architecture) { architectures[modelType] = a }

// Shapes shared by the tables.
func shapeHidden(c Config) []int  { return []int{c.Hidden} }
func shapeHeadDim(c Config) []int { return []int{c.HeadDim} }
func shapeQ(c Config) []int       { return []int{c.Heads * c.HeadDim, c.Hidden} }
func shapeKV(c Config) []int      { return []int{c.KVHeads * c.HeadDim, c.Hidden} }
func shapeQBias(c Config) []int   { return []int{c.Heads * c.HeadDim} }
func shapeKVBias(c Config) []int  { return []int{c.KVHeads * c.HeadDim} }
func shapeO(c Config) []int       { return []int{c.Hidden, c.Heads * c.HeadDim} }
func shapeUp(c Config) []int      { return []int{c.Intermediate, c.Hidden} }
func shapeDown(c Config) []int    { return []int{c.Hidden, c.Intermediate} }
func withBias(c Config) bool      { return c.AttentionBias }

// decoderTensors is the tensor table of a Llama-style pre-norm decoder block
// with SwiGLU MLP, which Qwen2 and Qwen3 share; architectures append theirs.
var decoderTensors = []tensorSlot{
	{"layers.%d.input_layernorm.weight", shapeHidden, nil, func(w *layers.BlockWeights) **G.Node { return &w.InputNorm }},
	{"layers.%d.self_attn.q_proj.weight", shapeQ, nil, func(w *layers.BlockWeights) **G.Node { return &w.Q }},
	{"layers.%d.self_attn.k_proj.weight", shapeKV, nil, func(w *layers.BlockWeights) **G.Node { return &w.K }},
	{"layers.%d.self_attn.v_proj.weight", shapeKV, nil, func(w *layers.BlockWeights) **G.Node { return &w.V }},
	{"layers.%d.self_attn.q_proj.bias", shapeQBias, withBias, func(w *layers.BlockWeights) **G.Node { return &w.QBias }},
	{"layers.%d.self_attn.k_proj.bias", shapeKVBias, withBias, func(w *layers.BlockWeights) **G.Node { return &w.KBias }},
	{"layers.%d.self_attn.v_proj.bias", shapeKVBias, withBias, func(w *layers.BlockWeights) **G.Node { return &w.VBias }},
	{"layers.%d.self_attn.o_proj.weight", shapeO, nil, func(w *layers.BlockWeights) **G.Node { return &w.O }},
	{"layers.%d.post_attention_layernorm.weight", shapeHidden, nil, func(w *layers.BlockWeights) **G.Node { return &w.PostNorm }},
	{"layers.%d.mlp.gate_proj.weight", shapeUp, nil, func(w *layers.BlockWeights) **G.Node { return &w.Gate }},
	{"layers.%d.mlp.up_proj.weight", shapeUp, nil, func(w *layers.BlockWeights) **G.Node { return &w.Up }},
	{"layers.%d.mlp.down_proj.weight", shapeDown, nil, func(w *layers.BlockWeights) **G.Node { return &w.Down }},
}
