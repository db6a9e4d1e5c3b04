// Package layers holds the Gorgonia layer constructors that decoder
// architectures are assembled from: linear projections, RMSNorm, rotary
// position embeddings, grouped-query attention with causal and padding masks,
// the SwiGLU MLP and the decoder block. The heavy steps are custom fused,
// row-parallel Gorgonia ops with preallocated outputs. It never reads files.
//
// # Design
//
// Every constructor adds one custom op (a gorgonia.Op) to the graph. Ops take
// activations as [B·T, features] matrices and weights in Hugging Face's
// layout ([out, in] for projections), and share a Runtime: the thread count,
// the current Batch layout (which rows are real tokens — left or right
// padding), cancellation, and an arena of named activation buffers. Each op
// writes into its arena slot ("x", "q", "k", "v", "attn", "mlp.gate", …),
// which all layers and all graphs of the runtime reuse, so memory does not
// grow with depth and a steady-state run allocates no activation memory.
// RoPE, SwiGLU and the residual additions (Linear with a residual) work in
// place. Graphs sharing a Runtime must therefore run one at a time.
//
// Matrix products call sgemm with the transposed-B flag on the [out, in]
// weights (never copied). sgemm, SwiGLU and the attention softmax are the
// kernels of layers/internal/kernels, single-threaded (the ops split work
// across goroutines themselves): Go assembly picked by CPU features on
// amd64, portable Go elsewhere and with the purego build tag.
//
// Attention never holds a T×T matrix: per (sequence, head, block of 64
// queries) it computes the scores against the keys the block can see, adds
// MaskValue (finite) to future keys, applies the softmax and multiplies by
// the values, reading q/k/v heads in place through the row stride (GQA
// without copies). Padding query rows get zeros.
package layers
