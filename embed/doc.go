// Package embed is the public Go API of gembed: embed.New(modelID) loads a
// model by Hugging Face id or from a local folder and turns texts into
// L2-normalized embedding vectors, applying prompts and instructions,
// batching by a token budget, truncation and Matryoshka dimensions. An
// *Embedder is safe for concurrent use.
//
//	e, err := embed.New("Qwen/Qwen3-Embedding-0.6B", embed.WithDimensions(256))
//	if err != nil { ... }
//	defer e.Close()
//	docs, err := e.Embed(ctx, []string{"The capital of China is Beijing."})
//	qs, err := e.EmbedQueries(ctx, []string{"What is the capital of China?"})
//	score := embed.Cosine(qs[0], docs[0])
//
// What New reads from the model folder: config.json (architecture and
// sizes), tokenizer.json (+ tokenizer_config.json), the weights,
// modules.json (whether a Normalize module is present), the pooling
// module's config.json (last-token, mean or CLS pooling) and
// config_sentence_transformers.json (prompts such as "query", and
// default_prompt_name).
//
// Long inputs: each input (prompt included) is cut to the maximum length
// (DefaultMaxLength tokens unless WithMaxLength), keeping the final
// <|endoftext|>; EmbedDetailed reports it per input (InputStats.Truncated).
// WithNoTruncate or EmbedOptions.NoTruncate make it a *TooLongError naming
// the input's index and length instead.
//
// Batching: inputs are sorted by length and packed into model calls by a
// token budget; results come back in input order and do not depend on which
// other inputs shared a batch (beyond float rounding, ≤ 1e-5).
//
// Servers that batch requests of many clients together use the two halves
// of EmbedDetailed: Tokenize (prompt, truncation, token counts) and
// EmbedTokens (the model), then Finish per request (dimensions, normalize).
package embed
