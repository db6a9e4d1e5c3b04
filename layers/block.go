package layers

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// BlockConfig is the shape of one decoder block.
type BlockConfig struct {
	Hidden, Heads, KVHeads, HeadDim int
	RMSEps, RopeTheta               float64
}

// BlockWeights are the nodes of one decoder block's parameters. Biases and
// q/k norms are optional (nil): Qwen2 has q/k/v biases, Qwen3 has q/k norms.
type BlockWeights struct {
	InputNorm, PostNorm *G.Node // [hidden]
	Q, K, V, O          *G.Node // [out, in]
	QBias, KBias, VBias *G.Node // [out] or nil
	QNorm, KNorm        *G.Node // [head_dim] or nil
	Gate, Up, Down      *G.Node // [out, in]
}

// DecoderBlock adds one pre-norm decoder block to the residual stream h
// [B·T, hidden]:
//
//	h += o_proj(attention(RoPE(norm_q(x·Wqᵀ+bq)), RoPE(norm_k(x·Wkᵀ+bk)), x·Wvᵀ+bv)),  x = RMSNorm(h)
//	h += down(SiLU(x·Wgᵀ) ⊙ x·Wuᵀ),                                              x = RMSNorm(h)
//
// The residual additions happen in place, so the block's output shares h's
// buffer; h must not be read after it. Activations live in the runtime's
// arena slots, shared by all blocks.
func DecoderBlock(rt *Runtime, h *G.Node, w BlockWeights, c BlockConfig) (*G.Node, error) {
	if w.InputNorm == nil || w.PostNorm == nil || w.Q == nil || w.K == nil || w.V == nil || w.O == nil ||
		w.Gate == nil || w.Up == nil || w.Down == nil {
		return nil, fmt.Errorf("layers: decoder block is missing a weight")
	}
	x, err := RMSNorm(rt, h, w.InputNorm, c.RMSEps, "x", true)
	if err != nil {
		return nil, err
	}
	q, err := Linear(rt, x, w.Q, w.QBias, nil, "q")
	if err != nil {
		return nil, err
	}
	k, err := Linear(rt, x, w.K, w.KBias, nil, "k")
	if err != nil {
		return nil, err
	}
	v, err := Linear(rt, x, w.V, w.VBias, nil, "v")
	if err != nil {
		return nil, err
	}
	if q, err = RoPE(rt, q, w.QNorm, c.Heads, c.HeadDim, c.RopeTheta, c.RMSEps); err != nil {
		return nil, err
	}
	if k, err = RoPE(rt, k, w.KNorm, c.KVHeads, c.HeadDim, c.RopeTheta, c.RMSEps); err != nil {
		return nil, err
	}
	a, err := Attention(rt, q, k, v, c.Heads, c.KVHeads, c.HeadDim, "attn")
	if err != nil {
		return nil, err
	}
	if h, err = Linear(rt, a, w.O, nil, h, ""); err != nil {
		return nil, err
	}
	if x, err = RMSNorm(rt, h, w.PostNorm, c.RMSEps, "x", true); err != nil {
		return nil, err
	}
	return MLP(rt, x, w.Gate, w.Up, w.Down, h)
}
