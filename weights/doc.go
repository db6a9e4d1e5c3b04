// Package weights reads Hugging Face safetensors checkpoints (a single
// model.safetensors or a sharded model.safetensors.index.json) from a model
// folder. Files are memory-mapped, every header is validated before use, and
// F32, F16 and BF16 tensors are converted to float32 exactly. It knows tensor
// names, dtypes and shapes, never architectures.
//
// Names are exactly as stored: which prefixes ("model.", "bert.", …) a
// checkpoint may carry and which tensors (lm_head.*) to leave unread is what
// the architectures in package graph know.
// Every error names the file and, where there is one, the tensor at fault; a
// missing tensor wraps ErrNotFound.
//
// Loading all of a 1.2 GB BF16 checkpoint costs about as much as reading the
// file: conversion runs in parallel, streams past the cache (AVX2 on amd64),
// and writes into output slices the runtime does not clear first.
package weights
