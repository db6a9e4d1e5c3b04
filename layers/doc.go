// Package layers holds the Gorgonia layer constructors that decoder
// architectures are assembled from: linear projections, RMSNorm, rotary
// position embeddings, grouped-query attention with causal and padding masks,
// the SwiGLU MLP and the decoder block. The heavy steps are custom fused,
// row-parallel Gorgonia ops with preallocated outputs. It never reads files.
package layers
