// Package weights reads Hugging Face safetensors checkpoints (a single
// model.safetensors or a sharded model.safetensors.index.json) from a model
// folder. Files are memory-mapped, every header is validated before use, and
// F32, F16 and BF16 tensors are converted to float32 exactly. It knows tensor
// names, dtypes and shapes, never architectures.
package weights
