// Package embed is the public Go API of gembed: embed.New(modelID) loads a
// model by Hugging Face id or from a local folder and turns texts into
// L2-normalized embedding vectors, applying prompts and instructions,
// batching by a token budget, truncation and Matryoshka dimensions. An
// *Embedder is safe for concurrent use.
package embed
