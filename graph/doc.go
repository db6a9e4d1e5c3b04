// Package graph defines the supported architectures (one file each, keyed by
// config.json's model_type) as Gorgonia expression graphs assembled from
// package layers, binds safetensors weights to their nodes, runs them on a
// Gorgonia VM and pools the hidden states into one vector per input. It caches
// compiled graphs per input shape. It knows nothing about the Hub or the CLI.
//
// # Architectures
//
// qwen3.go and qwen2.go each register a table that maps Hugging Face tensor
// names ("layers.%d.self_attn.q_proj.weight", with or without "model.") to
// the slots of a layers.BlockWeights; Load checks every tensor's presence and
// shape against config.json and converts it to float32 once. lm_head is never
// read. The embedding table stays memory-mapped: Forward gathers the rows of
// the requested ids straight into the graph's input buffer.
//
// # Execution
//
// A Model owns one worker per thread. Forward sorts the sequences by length,
// splits them into one contiguous run per worker (about equal tokens), and
// cuts each run into left-padded sub-batches of at most MaxBatchTokens padded
// tokens. Each worker keeps compiled TapeMachine graphs per (batch, padded
// length) bucket — lengths are rounded up to a multiple of 4 (8 above 128,
// 32 above 256, 128 above 1024) — and one activation arena shared by all its graphs and
// layers, so a steady-state forward pass allocates almost nothing. With fewer
// sequences than threads, one worker runs with several threads inside each op.
// OpenBLAS (cgo) runs single-threaded; all parallelism is the ops' own.
package graph
