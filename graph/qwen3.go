package graph

import (
	G "gorgonia.org/gorgonia"

	"github.com/gembed-dev/gembed/layers"
)

// Qwen3 (Qwen3-Embedding): the shared decoder plus an RMSNorm over each
// head's head_dim values of q and k before RoPE; head_dim comes from
// config.json (128 for 0.6B, not hidden/heads); no biases unless
// attention_bias says so.
func init() {
	register("qwen3", &architecture{
		defaultRopeTheta: 10000, // transformers' Qwen3Config defaults
		readsHeadDim:     true,
		defaultHeadDim:   128,
		embedding:        "embed_tokens.weight",
		finalNorm:        "norm.weight",
		layer: append(append([]tensorSlot(nil), decoderTensors...),
			tensorSlot{"layers.%d.self_attn.q_norm.weight", shapeHeadDim, nil, func(w *layers.BlockWeights) **G.Node { return &w.QNorm }},
			tensorSlot{"layers.%d.self_attn.k_norm.weight", shapeHeadDim, nil, func(w *layers.BlockWeights) **G.Node { return &w.KNorm }},
		),
	})
}
