package graph

// Qwen2 (e.g. gte-Qwen2, Qwen2 causal-LM checkpoints): the shared decoder with
// q/k/v biases always present, no q/k norm, head_dim = hidden/heads.
func init() {
	register("qwen2", &architecture{
		defaultRopeTheta: 10000, // transformers' Qwen2Config default
		alwaysBias:       true,
		embedding:        "embed_tokens.weight",
		finalNorm:        "norm.weight",
		layer:            decoderTensors,
	})
}
