package graph

import (
	G "gorgonia.org/gorgonia"

	"github.com/gembed-dev/gembed/layers"
)

// fusedRotaryAttention adds the attention half of a NomicBERT or GTE layer
// to the residual stream h in place: q, k, v from one fused [3·H, H] weight
// (and optional bias), RoPE on q and k, attention, then h += a·Woᵀ + bo.
func fusedRotaryAttention(b *Builder, h *G.Node, qkv, qkvBias, o, oBias *Param, H int,
	attn layers.AttentionSpec, rope layers.RoPESpec) (*G.Node, error) {
	rt := b.RT
	q, err := layers.Linear(rt, h, b.Node(rowBlock(qkv, 0, H)), b.Node(rowBlock(qkvBias, 0, H)), nil, layers.SlotQ)
	if err != nil {
		return nil, err
	}
	k, err := layers.Linear(rt, h, b.Node(rowBlock(qkv, 1, H)), b.Node(rowBlock(qkvBias, 1, H)), nil, layers.SlotK)
	if err != nil {
		return nil, err
	}
	v, err := layers.Linear(rt, h, b.Node(rowBlock(qkv, 2, H)), b.Node(rowBlock(qkvBias, 2, H)), nil, layers.SlotV)
	if err != nil {
		return nil, err
	}
	if q, err = layers.RoPE(rt, q, rope); err != nil {
		return nil, err
	}
	if k, err = layers.RoPE(rt, k, rope); err != nil {
		return nil, err
	}
	a, err := layers.Attention(rt, q, k, v, attn, layers.SlotAttn)
	if err != nil {
		return nil, err
	}
	return layers.Linear(rt, a, b.Node(o), b.Node(oBias), h, layers.InPlace)
}
