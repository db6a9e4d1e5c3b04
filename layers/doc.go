// Package layers holds the Gorgonia layer primitives that architectures are
// assembled from: the in-graph embedding lookup (word, position with an
// offset, token type, scale), Linear (optional bias, optional fused
// residual), Norm (RMSNorm with w or 1+w, LayerNorm with optional bias, per
// row or per head), activations (SiLU, GELU erf, GELU tanh, ReLU, Tanh),
// GLU/GatedMLP (SwiGLU, GeGLU) and DenseMLP, RoPE (NeoX rotation, partial
// rotary dims, any θ), Attention whose causality, sliding window, additive
// score bias, GQA and scale are arguments, and Pool (cls, mean, max,
// mean-sqrt-len, weighted-mean, last-token, with a prompt skip). The heavy
// steps are custom fused, row-parallel Gorgonia ops with preallocated
// outputs. It never reads files and knows no model family.
//
// # Design
//
// Every constructor adds one custom op (a gorgonia.Op) to the graph. Ops take
// activations as [B·T, features] matrices and weights in Hugging Face's
// layout ([out, in] for projections), and share a Runtime: the thread count,
// the current Batch layout (which rows are real tokens — left or right
// padding —, the token and type ids, the pooling skip), cancellation, and an
// arena of activation buffers named by Slot constants, which all layers and
// all graphs of the runtime reuse, so memory does not grow with depth and a
// steady-state run allocates no activation memory. RoPE, activations, GLU,
// in-place norms and residual additions work in place. Graphs sharing a
// Runtime must therefore run one at a time.
//
// Matrix products call sgemm with the transposed-B flag on the [out, in]
// weights (never copied). sgemm, SwiGLU and the attention softmax are the
// kernels of layers/internal/kernels, single-threaded (the ops split work
// across goroutines themselves): Go assembly picked by CPU features on
// amd64, portable Go elsewhere and with the purego build tag.
// Package kerneltest is the conformance suite every kernel implementation runs.
//
// Attention never holds a T×T matrix: per (sequence, head, block of 64
// queries) it computes the scores against the keys the block can see, adds
// MaskValue (finite) to masked keys and the score bias, applies the softmax
// and multiplies by the values, reading q/k/v heads in place through the row
// stride (GQA without copies). Padding query rows get zeros.
package layers
