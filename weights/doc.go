// Package weights reads Hugging Face checkpoints from a model folder:
// safetensors (a single model.safetensors or a sharded
// model.safetensors.index.json) and, for repositories that ship nothing
// else, PyTorch's pytorch_model.bin (single or sharded through
// pytorch_model.bin.index.json). Files are memory-mapped, every header is
// validated before use, and F32, F16 and BF16 tensors are converted to
// float32 exactly. It knows tensor names, dtypes and shapes, never
// architectures.
//
// A pytorch_model.bin is a torch.save zip archive holding a pickled state
// dict. Its pickle is read by a small interpreter that resolves only the
// globals torch.save writes for tensors (collections.OrderedDict,
// torch._utils._rebuild_tensor_v2 and _rebuild_parameter, torch.*Storage)
// and never calls anything: any other global is refused with
// ErrForbiddenGlobal. Storages are read in place from the mapping; strided
// views are gathered into row-major order when converted. The pre-1.6
// non-zip format is refused with ErrLegacyTorchFormat.
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
